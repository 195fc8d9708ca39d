"""Highlighting: which words of a clause the question matched, as character spans of the clause's text.

The words are compared as lexical search compares them (`stemming.analyze`: Snowball stems for
Russian, the Kazakh suffix stripper over the folded alphabet), so what is marked is what the
search matched: `кужаттарга` marks `құжаттарға`, and a source word spelled with a Latin `i`
(`теңестiрiлген`) is marked like its Cyrillic spelling. Spans index the text as given (never a
normalized copy), so a client can cut the shown text at them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .stemming import analyze

# A word as written in the source: letters or digits, parts joined by a hyphen or a soft hyphen.
_WORD = re.compile(r"[^\W_]+(?:[-\u00ad\u2010\u2011][^\W_]+)*")


def question_stems(question: str, lang: str, conflate: Callable[[str, str], str] | None = None) -> frozenset[str]:
    """The analyzed content words of a question; numbers are left out (a "8" would mark every "8)"). With the
    reader's `conflate` (`query.Reader.conflate`), a stem the act never uses is the act's of its word family, as the
    search read it: "размещен" then marks "размещение".

    Example: question_stems("Кто назначает прокуроров?", "ru") -> {"назнача", "прокурор"}.
    """
    stems = (stem for stem in analyze(question, lang) if not stem.isdigit())
    return frozenset(conflate(stem, lang) for stem in stems) if conflate else frozenset(stems)


def highlight_spans(text: str, stems: frozenset[str], lang: str) -> list[tuple[int, int]]:
    """[start, end) spans of the words of `text` whose analyzed form meets one of `stems`, in order.

    A hyphenated word is marked whole when the compound or any of its parts matches.
    Example: highlight_spans("Кто подписывает документы", question_stems("документов", "ru"), "ru") -> [(16, 25)].
    """
    if not stems:
        return []
    return [match.span() for match in _WORD.finditer(text) if not stems.isdisjoint(_word_stems(match.group(), lang))]


@lru_cache(maxsize=1 << 16)
def _word_stems(word: str, lang: str) -> tuple[str, ...]:
    """One source word's stems. Cached: answers quote the same act, whose words are a few thousand, and
    analyzing each again cost an answer ~2 ms of its ~20 (bench/compare.py)."""
    return tuple(analyze(word, lang))
