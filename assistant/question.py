"""A question as typed, checked and cleaned before anything is loaded (the CLI refuses bad input at once)."""
from __future__ import annotations

import re
import unicodedata

from .errors import QuestionError


def clean_question(question: str, max_chars: int) -> str:
    """A question as typed -> the text to answer; refuses empty, too long and letterless input.

    Format characters (soft hyphens, zero-width spaces and joiners, direction marks, BOM) are removed,
    since pasted text carries them inside words; other control characters (NUL, tabs) become spaces.
    Example: clean_question("прокура\u00adтуру\x00района", 1000) -> "прокуратуру района".
    """
    if not isinstance(question, str):
        raise QuestionError("question_type")
    if len(question) > max_chars:
        raise QuestionError("question_too_long", length=len(question), limit=max_chars)
    categories = ((ch, unicodedata.category(ch)) for ch in question)
    text = "".join("" if kind == "Cf" else " " if kind[0] == "C" else ch for ch, kind in categories)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("question_empty")
    if not any(ch.isalpha() for ch in text):
        raise QuestionError("question_no_words")
    return text


def check_k(k: object, max_k: int) -> None:
    """Refuses a number of clauses that is not an integer from 1 to `max_k`."""
    if not isinstance(k, int) or not 1 <= k <= max_k:
        raise QuestionError("invalid_k", limit=max_k)
