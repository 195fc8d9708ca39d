"""Conversation: which earlier turns a follow-up question leans on.

A follow-up ("А кто его назначает?", "Ал міндеттері ше?") names its subject only through
the previous turn; a self-contained question must not be pulled towards old answers. So the
earlier questions are used only when the new one looks dependent: it opens with a connective
("а", "и", "ал", "сонда"), refers back with a pronoun, ends with the Kazakh "ше", or is too
short to carry a subject on its own.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .normalization import normalize
from .stemming import analyze

_OPENERS = {
    "ru": ("а", "и", "ещё", "еще", "также", "тогда", "то", "но", "или"),
    "kk": ("ал", "сонда", "енді", "және", "онда", "ендеше"),
}
_PRONOUNS = {
    "ru": {
        "его", "ее", "её", "их", "него", "нее", "неё", "них", "ему", "ей", "им", "ним", "нему", "ней",
        "он", "она", "оно", "они", "это", "этот", "эта", "эти", "этого", "этой", "этим", "этом",
        "тот", "та", "те", "того", "той", "там", "такой", "такие", "такого", "нём", "нем",
    },
    "kk": {
        "ол", "оны", "оның", "оған", "онда", "одан", "олар", "оларды", "олардың", "оларға",
        "бұл", "бұны", "мұны", "мұның", "бұған", "осы", "осыны", "сол", "соны", "соның", "оған",
    },
}
_SHORT = 1  # a question with at most this many content words leans on the conversation


@dataclass(frozen=True)
class Turn:
    """One earlier question of a conversation and what it was answered with."""

    question: str
    lang: str
    hit_ids: tuple[str, ...] = ()


def is_followup(question: str, lang: str) -> bool:
    """Does the question depend on an earlier turn to be understood?"""
    words = re.findall(r"\w+", normalize(question))
    if not words:
        return False
    if words[0] in _OPENERS.get(lang, ()) and len(words) > 1:
        return True
    if lang == "kk" and words[-1] == "ше":
        return True
    if any(word in _PRONOUNS.get(lang, ()) for word in words):
        return True
    return len(analyze(question, lang)) <= _SHORT


def followup_context(question: str, lang: str, history: Sequence[Turn], max_turns: int = 3) -> list[tuple[str, str]]:
    """Earlier turns (text, lang), most recent first, that a follow-up leans on; [] for a new question.

    Walks back until a self-contained question is reached, so a chain of follow-ups keeps its subject.
    """
    if not history or not is_followup(question, lang):
        return []
    context: list[tuple[str, str]] = []
    for turn in reversed(history[-max_turns:]):
        context.append((turn.question, turn.lang))
        if not is_followup(turn.question, turn.lang):
            break
    return context
