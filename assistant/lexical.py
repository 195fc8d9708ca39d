"""Lexical search: BM25 (bm25s) over analyzed clause text, one index per language."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import bm25s
import numpy as np


Analyzer = Callable[[str, str], list[str]]


class LexicalIndex:
    """BM25 over the matching texts of one language's clauses; scores every document for a query."""

    def __init__(
        self, texts: Sequence[str], lang: str, analyzer: Analyzer, k1: float = 1.2, b: float = 0.75,
        documents: Sequence[Sequence[str]] | None = None,
    ):
        """`documents`, when given, are `texts` already analyzed (one token list each), so a caller that
        indexes the same texts twice tokenizes them once."""
        self.lang = lang
        self.analyzer = analyzer
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if documents is None:
            documents = [analyzer(text, lang) for text in texts]
        elif len(documents) != len(texts):
            raise ValueError(f"{len(documents)} analyzed documents for {len(texts)} texts")
        # bm25s needs at least one token per document to keep rows aligned
        self._bm25.index([list(tokens) or ["\u2205"] for tokens in documents], show_progress=False)
        self._vocab = self._bm25.vocab_dict
        self.size = len(texts)

    @property
    def vocabulary(self) -> dict[str, int]:
        return self._vocab

    def document_frequency(self) -> dict[str, int]:
        """Stem -> how many documents contain it."""
        counts = np.diff(self._bm25.scores["indptr"])  # bm25s keeps scores column-wise: one column per token
        return {token: int(counts[i]) if i < len(counts) else 0 for token, i in self._vocab.items()}

    def tokens(self, query: str) -> list[str]:
        """The query's analyzed tokens that occur in this index's vocabulary."""
        return [t for t in self.analyzer(query, self.lang) if t in self._vocab]

    def scores(self, query: str | Sequence[str]) -> np.ndarray:
        """BM25 score of every document, in index order; a query given as tokens is used as is."""
        tokens = self.tokens(query) if isinstance(query, str) else [t for t in query if t in self._vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
