"""The act as lexical search reads it, analyzed once: BM25 fields of its clauses and its analyzed lexicon.

Analyzing (tokenizing and stemming every clause, every lexicon phrase) gives the same result every
time for the same clauses, lexicon, analyzer and code, and costs a one-shot `zanger ask` ~70 ms of
its ~0.3 s (hours of a build at a million clauses). So it is kept beside the index version it was
computed for, under a key naming everything it depends on: the clauses' checksum, the corpus, the
lexicon, the analyzer and the source of the modules that analyze. A copy under another key, damaged
or missing is computed again; an answer never depends on whether it was read or computed. This
module turns an analysis into arrays and back; the store reads and writes them.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .lexical import LexicalIndex
from .lexicon import Lexicon
from .retrieval import LEXICAL_FIELDS
from .stemming import Analyzer

# The modules whose code decides what an analysis holds: a change to any of them makes a new key.
_ANALYZING_MODULES = ("analysis", "citation", "clause", "lexical", "lexicon", "normalization", "retrieval", "stemming")
_LEXICON = "lexicon.json"


@dataclass(frozen=True)
class Analysis:
    fields: Mapping[str, Mapping[str, LexicalIndex]]  # field (LEXICAL_FIELDS) -> language -> BM25 index
    lexicon: Lexicon

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array ("lexical/ru/docs", ..., "lexicon.json"), for np.savez."""
        arrays = {
            f"{name}/{lang}/{key}": array
            for name, by_lang in self.fields.items()
            for lang, index in by_lang.items()
            for key, array in index.to_arrays().items()
        }
        text = json.dumps(self.lexicon.analyzed(), ensure_ascii=False)
        arrays[_LEXICON] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], lexicon_source: Mapping) -> "Analysis":
        """What `to_arrays` gave; ValueError when the arrays are not one (damaged, or of another layout)."""
        grouped: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for name, array in arrays.items():
            if name == _LEXICON:
                continue
            field, _, rest = name.partition("/")
            lang, _, key = rest.partition("/")
            if field not in LEXICAL_FIELDS or not lang or not key:
                raise ValueError(f"unexpected array {name!r} in an analysis")
            grouped.setdefault(field, {}).setdefault(lang, {})[key] = array
        if set(grouped) != set(LEXICAL_FIELDS) or _LEXICON not in arrays:
            raise ValueError("an analysis lacks a field or the lexicon")
        try:
            lexicon_data = json.loads(arrays[_LEXICON].tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"unreadable lexicon in an analysis: {exc}") from exc
        field_indexes = {field: {lang: LexicalIndex.from_arrays(a) for lang, a in by_lang.items()} for field, by_lang in grouped.items()}
        return cls(field_indexes, Lexicon.from_analyzed(lexicon_data, lexicon_source))


def analysis_key(clauses_sha256: str, corpus: str, lexicon_source: Mapping, analyzer: Analyzer) -> str:
    """A name for everything an analysis depends on (hex sha256, 24 digits)."""
    digest = hashlib.sha256()
    for part in (clauses_sha256, corpus, json.dumps(lexicon_source, ensure_ascii=False, sort_keys=True), _describe(analyzer)):
        digest.update(part.encode("utf-8") + b"\0")
    for module in _ANALYZING_MODULES:
        digest.update(Path(__file__).with_name(f"{module}.py").read_bytes())
    return digest.hexdigest()[:24]


def _describe(analyzer: Analyzer) -> str:
    """The analyzer's settings, a function by its qualified name (its repr would hold its address)."""
    parts = []
    for field in fields(analyzer):
        value = getattr(analyzer, field.name)
        if callable(value):
            value = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
        parts.append(f"{field.name}={value}")
    return ",".join(parts)
