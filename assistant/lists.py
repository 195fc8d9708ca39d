"""The act's lists and what names them: a list's residual subpoint ("3) осуществляет иные полномочия ...",
"өзге де функцияларды жүзеге асырады") says what the whole list enumerates, and a question about "other"
items asks for that subpoint. Granularity settling (`Retriever.settle_granularity`) reads both.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from .clause import Clause
from .normalization import fold_kazakh, normalize, tokenize
from .stemming import Analyzer

# The word after a residual marker is the list's own name for its items; the residual's predicate (the words
# before the marker in Russian, after the name in Kazakh, whose verb comes last) says what is done with them.
RESIDUAL_MARKERS = {"ru": frozenset("иные иных иной иное другие других".split()), "kk": frozenset("өзге басқа".split())}
PARTICLES = frozenset("де да те та".split())  # "өзге де": the particle between the marker and the name
# A question that asks about items beyond a list ("могут ли возложить дополнительные функции", "полномочия, не
# перечисленные в положении", "Ережеде жазылмаған өкілеттіктер", "это исчерпывающий список?") asks for its residual
# subpoint. Matched on the normalized text (Kazakh folded, as typed on a Russian keyboard): "other" words, "besides",
# and negated participles of naming or listing.
ASKS_OTHER = {
    "ru": re.compile(
        r"\b(?:ин(?:ой|ая|ое|ые|ых|ым|ыми)|друг(?:ой|ая|ое|ие|их|им|ими)|дополнительн\w*|проч(?:ие|их|ее)|кроме|помимо"
        r"|исчерпывающ\w*|не\s+(?:перечисл|указан|предусмотр|назван|упомян|оговор)\w*)"
    ),
    "kk": re.compile(
        r"(?:^|\s)(?:озге|баска|косымша|тыс)(?=\s|$|\W)|(?:жазыл|атал|корсетил|карастырыл|коздел|тизил)(?:ма|ме)ган"
    ),
}


def residual_names(
    by_lang: Mapping[str, Sequence[Clause]], analyzer: Analyzer, scope_of: Callable[[int], int],
) -> tuple[frozenset[int], dict[tuple[int, str], frozenset[str]]]:
    """The positions of residual subpoints, and (position of a list, or of a point without lists; lang) -> the stem
    its residual subpoint names its items by. `by_lang`: each language's clauses in position order; `scope_of`: the
    position of the list (or point) that holds a subpoint.

    Example: regulation.p13 (ru) -> {"осуществля", "полномоч"}: its last subpoint is "осуществляет иные полномочия
    ..."; (kk) "... өзге де өкілеттіліктерді жүзеге асырады" -> {"окилет", "жузе", "асыр"}.
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
            named = next((i for i in range(at + 1, len(words)) if words[i] not in PARTICLES), None) if at is not None else None
            if named is None:
                continue
            predicate = words[:at] if lang == "ru" else words[named + 1 :]
            stems = analyzer.terms([words[named], *predicate], lang)
            if stems:
                names[(scope_of(position), lang)] = frozenset(stems)
                residuals.add(position)
    return frozenset(residuals), names


def asks_other(text: str, lang: str) -> bool:
    """Does a question ask about items beyond a list? Example: asks_other("Это исчерпывающий список?", "ru") -> True."""
    pattern = ASKS_OTHER.get(lang)
    text = normalize(text)
    return bool(pattern and pattern.search(fold_kazakh(text) if lang == "kk" else text))
