"""The act's lists and what names them: a list's residual subpoint ("3) осуществляет иные полномочия ...",
"өзге де функцияларды жүзеге асырады") says what the whole list enumerates, and a question about "other"
items asks for that subpoint. Granularity settling (`Retriever.settle_granularity`) reads both.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .clause import Clause
from .normalization import tokenize
from .stemming import Analyzer

# The word after a residual marker is the list's own name for its items.
RESIDUAL_MARKERS = {"ru": frozenset("иные иных иной иное другие других".split()), "kk": frozenset("өзге басқа".split())}
PARTICLES = frozenset("де да те та".split())  # "өзге де": the particle between the marker and the name
# A question that asks about "other" items ("могут ли возложить дополнительные функции") asks for the residual subpoint.
ASKS_OTHER = {
    "ru": frozenset("""иной иная иное иные иных иным иными другой другая другое другие других другим другими
        дополнительный дополнительная дополнительное дополнительные дополнительных дополнительно прочие прочих""".split()),
    "kk": frozenset("өзге басқа қосымша".split()),
}


def residual_names(
    by_lang: Mapping[str, Sequence[Clause]], analyzer: Analyzer, scope_of: Callable[[int], int],
) -> tuple[frozenset[int], dict[tuple[int, str], frozenset[str]]]:
    """The positions of residual subpoints, and (position of a list, or of a point without lists; lang) -> the stem
    its residual subpoint names its items by. `by_lang`: each language's clauses in position order; `scope_of`: the
    position of the list (or point) that holds a subpoint.

    Example: regulation.p13 (ru) -> {"полномоч"}: its last subpoint is "осуществляет иные полномочия ...".
    """
    names: dict[tuple[int, str], frozenset[str]] = {}
    residuals: set[int] = set()
    for lang, clauses in by_lang.items():
        markers = RESIDUAL_MARKERS.get(lang, frozenset())
        last: dict[tuple[str, int | None], int] = {}  # the last subpoint of each list
        for position, clause in enumerate(clauses):
            if clause.subpoint is not None:
                last[(clause.point_id, clause.list)] = position
        for position in last.values():
            words = tokenize(clauses[position].text)
            at = next((i for i, w in enumerate(words) if w in markers), None)
            name = next((w for w in words[at + 1 :] if w not in PARTICLES), None) if at is not None else None
            stems = analyzer.terms([name], lang) if name else ()
            if stems:
                names[(scope_of(position), lang)] = frozenset(stems)
                residuals.add(position)
    return frozenset(residuals), names


def asks_other(words: frozenset[str], lang: str) -> bool:
    """Does a question (its normalized words) ask about "other" items?"""
    return bool(words & ASKS_OTHER.get(lang, frozenset()))
