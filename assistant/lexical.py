"""Lexical search: BM25 over analyzed clause text, one index per language and field, in numpy.

The scores are those of bm25s's default ("lucene") variant, which the tests check term for term:

    idf(t)    = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
    score(d)  = sum over query tokens t of idf(t) * tf(t, d) / (tf(t, d) + k1 * (1 - b + b * len(d) / avglen))

Each (term, document) score is computed once at build time and kept column-wise (CSC: one column
per term, `indptr` into `docs` and `weights`), so a query adds up the columns of its tokens; a token
given twice counts twice, as in bm25s. Built here rather than with bm25s because the index is built
from token ids one document at a time (at a million clauses, lists of token strings would need tens
of GB), and because importing bm25s (with numba and scipy, when they are installed) costs a one-shot
`zanger ask` a quarter of a second.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence

import numpy as np


class LexicalBuilder:
    """Collects documents one at a time, then builds the index; several builders can be fed from one pass
    over the texts. Of a document only its distinct term ids and their counts are kept, in flat typed
    arrays (4 bytes each: no per-document object, which at millions of documents would outweigh the data)."""

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._terms = array("i")  # distinct term ids, document after document
        self._counts = array("f")  # how often each occurs in its document
        self._distinct = array("i")  # distinct terms per document
        self._lengths = array("i")  # tokens per document

    def add(self, tokens: Iterable[str]) -> None:
        vocab = self._vocab
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32)
        distinct, tf = np.unique(ids, return_counts=True)
        self._terms.frombytes(distinct.tobytes())  # int32, as `ids`
        self._counts.frombytes(tf.astype(np.float32).tobytes())
        self._distinct.append(len(distinct))
        self._lengths.append(len(ids))

    def build(self, k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        size, vocab = len(self._lengths), self._vocab
        length = np.frombuffer(self._lengths, dtype=np.int32).astype(np.float32)
        term = np.frombuffer(self._terms, dtype=np.int32)
        tf = np.frombuffer(self._counts, dtype=np.float32)
        doc = np.repeat(np.arange(size, dtype=np.int32), np.frombuffer(self._distinct, dtype=np.int32))
        df = np.bincount(term, minlength=len(vocab))
        idf = np.log1p((size - df + 0.5) / (df + 0.5)).astype(np.float32)
        average = float(length.mean()) if size else 0.0
        norm = (k1 * (1.0 - b + b * length / max(average, 1e-9))).astype(np.float32)
        weight = idf[term] * tf / (tf + norm[doc])
        order = np.argsort(term, kind="stable")  # column-wise, documents ascending within a column
        docs, weights = doc[order], weight[order]
        del doc, weight, order, term, tf
        self._terms, self._counts, self._distinct, self._lengths = array("i"), array("f"), array("i"), array("i")
        indptr = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        return LexicalIndex(vocab, docs, weights, indptr, size)


class LexicalIndex:
    """BM25 over one language's documents (token sequences); scores every document for a query."""

    def __init__(self, vocabulary: dict[str, int], docs: np.ndarray, weights: np.ndarray, indptr: np.ndarray, size: int):
        """Column-wise scores: the documents and weights of term i are docs/weights[indptr[i]:indptr[i + 1]]."""
        self._vocab, self._docs, self._weights, self._indptr, self.size = vocabulary, docs, weights, indptr, size

    @classmethod
    def of(cls, documents: Iterable[Iterable[str]], k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        builder = LexicalBuilder()
        for tokens in documents:
            builder.add(tokens)
        return builder.build(k1, b)

    @property
    def vocabulary(self) -> dict[str, int]:
        return self._vocab

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as plain arrays (no pickle), for `from_arrays`; the vocabulary as its tokens joined by
        newlines in id order (a token never holds one), UTF-8."""
        tokens = sorted(self._vocab, key=self._vocab.__getitem__)
        vocab = np.frombuffer("\n".join(tokens).encode("utf-8"), dtype=np.uint8)
        return {"vocab": vocab, "docs": self._docs, "weights": self._weights, "indptr": self._indptr, "size": np.array([self.size])}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "LexicalIndex":
        """The index `to_arrays` gave; ValueError when the arrays do not make one (damaged or of another kind)."""
        try:
            text = arrays["vocab"].tobytes().decode("utf-8")
            docs, weights, indptr = arrays["docs"], arrays["weights"], arrays["indptr"]
            size = int(arrays["size"][0])
        except (KeyError, IndexError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a lexical index: {exc}") from exc
        tokens = text.split("\n") if text else []
        if (
            docs.dtype != np.int32 or weights.dtype != np.float32 or indptr.dtype != np.int64
            or len(indptr) != len(tokens) + 1 or indptr[0] != 0 or indptr[-1] != len(docs) or len(weights) != len(docs)
            or np.any(np.diff(indptr) < 0) or (len(docs) and (docs.min() < 0 or docs.max() >= size))
            or len(set(tokens)) != len(tokens)
        ):
            raise ValueError("not a lexical index: inconsistent arrays")
        return cls({token: i for i, token in enumerate(tokens)}, docs, weights, indptr, size)

    def document_frequency(self) -> dict[str, int]:
        """Stem -> how many documents contain it."""
        df = np.diff(self._indptr)
        return {token: int(df[i]) for token, i in self._vocab.items()}

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document, in index order (float32); tokens not in the index add nothing."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in tokens:
            i = self._vocab.get(token)
            if i is not None:
                start, end = self._indptr[i], self._indptr[i + 1]
                scores[self._docs[start:end]] += self._weights[start:end]  # a column holds each document once
        return scores
