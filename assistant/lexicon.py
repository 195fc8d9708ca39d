"""The act's concept lexicon: lay, colloquial and professional ways to say each of its terms, per language.

Legal search engines keep such synonym dictionaries: a user asks about a "зам" or a "фирма", the
act says "заместитель" and "юридическое лицо". The lexicon (`concepts.json` beside the act's texts)
was written from the act and general legal vocabulary only. It is used twice: to expand a question
with the act's own terms (in both languages, so a question and its translation meet the same
clauses), and to decide whether a clause covers what the question asks about (abstention).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .normalization import tokenize
from .stemming import Analyzer

Phrase = tuple[str, ...]  # the stems of one term or variant


@dataclass(frozen=True)
class Concept:
    """One notion of the act: its own wording (`terms`) and other ways to say it (`variants`), per language."""

    id: str
    terms: Mapping[str, tuple[Phrase, ...]]
    variants: Mapping[str, tuple[Phrase, ...]]

    def phrases(self, lang: str) -> tuple[Phrase, ...]:
        return self.terms.get(lang, ()) + self.variants.get(lang, ())


@dataclass(frozen=True)
class Ambiguity:
    """A word that names two of the act's concepts in one language (Kazakh "міндеттері": tasks and duties)."""

    lang: str
    stem: str
    concepts: tuple[str, ...]
    note: Mapping[str, str]  # {"ru": ..., "kk": ...}: what the answer says about it


class Lexicon:
    """Concepts found in a question's stems, and the act's terms they stand for."""

    def __init__(self, concepts: Sequence[Concept], ambiguities: Sequence[Ambiguity] = (), source: Mapping | None = None):
        self.concepts = {concept.id: concept for concept in concepts}
        # Only words the act itself uses for notions another language tells apart are kept (see `ambiguity`).
        self.ambiguities = tuple(a for a in ambiguities if self._told_apart(a))
        self.source = source or {}  # the parsed concepts.json, to analyze again with another analyzer
        self._first_stem: dict[str, dict[str, list[tuple[str, frozenset[str]]]]] = {}  # see _phrases_by_first_stem

    @classmethod
    def from_dict(cls, data: Mapping, analyzer: Analyzer) -> "Lexicon":
        """Parse `concepts.json`, analyzing every term and variant with the search's own analyzer."""

        def phrases(words: Iterable[str], lang: str) -> tuple[Phrase, ...]:
            analyzed = (analyzer.terms(tokenize(word), lang) for word in words)
            return tuple(dict.fromkeys(phrase for phrase in analyzed if phrase))

        concepts = [
            Concept(
                id=row["id"],
                terms={lang: phrases(row[lang].get("terms", ()), lang) for lang in ("ru", "kk") if lang in row},
                variants={lang: phrases(row[lang].get("variants", ()), lang) for lang in ("ru", "kk") if lang in row},
            )
            for row in data.get("concepts", ())
        ]
        ambiguities = []
        for row in data.get("ambiguous", ()):
            stems = analyzer.terms(tokenize(row["word"]), row["lang"])
            if stems:
                ambiguities.append(
                    Ambiguity(row["lang"], stems[0], tuple(row["concepts"]), {"ru": row["note_ru"], "kk": row["note_kk"]})
                )
        return cls(concepts, ambiguities, data)

    def analyzed(self) -> dict:
        """The lexicon as `from_dict` analyzed it, JSON-ready: what `from_analyzed` reads back without the analyzer."""
        return {
            "concepts": [
                {"id": c.id, "terms": {lang: list(map(list, p)) for lang, p in c.terms.items()},
                 "variants": {lang: list(map(list, p)) for lang, p in c.variants.items()}}
                for c in self.concepts.values()
            ],
            "ambiguities": [{"lang": a.lang, "stem": a.stem, "concepts": list(a.concepts), "note": dict(a.note)} for a in self.ambiguities],
        }

    @classmethod
    def from_analyzed(cls, data: Mapping, source: Mapping) -> "Lexicon":
        """The lexicon `analyzed` gave, with `source` (the parsed concepts.json) kept for other analyzers;
        ValueError when `data` is not of that shape."""
        try:
            concepts = [
                Concept(
                    id=row["id"],
                    terms={lang: tuple(map(tuple, p)) for lang, p in row["terms"].items()},
                    variants={lang: tuple(map(tuple, p)) for lang, p in row["variants"].items()},
                )
                for row in data["concepts"]
            ]
            ambiguities = [Ambiguity(a["lang"], a["stem"], tuple(a["concepts"]), dict(a["note"])) for a in data["ambiguities"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an analyzed lexicon: {exc!r}") from exc
        return cls(concepts, ambiguities, source)

    @classmethod
    def load(cls, path: Path, analyzer: Analyzer) -> "Lexicon":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), analyzer)

    def find(self, stems: Sequence[str], lang: str) -> dict[str, frozenset[str]]:
        """Concepts named in a question's stems -> the stems that named them.

        A phrase names its concept when all its stems are among the question's (word order and
        inflection aside). Example: find(("зам", "прокурор"), "ru") -> {"deputy_prosecutor": {"зам", ...}}.
        """
        present = set(stems)
        used: dict[str, set[str]] = {}
        for stem in present:  # only the phrases that begin with a stem of the question can be all in it
            for cid, phrase in self._phrases_by_first_stem(lang).get(stem, ()):
                if phrase <= present:
                    used.setdefault(cid, set()).update(phrase)
        return {cid: frozenset(used[cid]) for cid in self.concepts if cid in used}  # in the lexicon's order

    def _phrases_by_first_stem(self, lang: str) -> dict[str, list[tuple[str, frozenset[str]]]]:
        """First stem of a phrase -> (concept id, the phrase's stems), per language, built on first use."""
        index = self._first_stem.get(lang)
        if index is None:
            index = {}
            for concept in self.concepts.values():
                for phrase in concept.phrases(lang):
                    index.setdefault(phrase[0], []).append((concept.id, frozenset(phrase)))
            self._first_stem[lang] = index
        return index

    def stems(self, lang: str) -> frozenset[str]:
        """Every stem of every term and variant in `lang`."""
        return frozenset(stem for concept in self.concepts.values() for phrase in concept.phrases(lang) for stem in phrase)

    def terms(self, concept_ids: Iterable[str], lang: str) -> frozenset[str]:
        """The stems of the act's own wording of these concepts in `lang`."""
        return frozenset(
            stem for cid in concept_ids if cid in self.concepts for phrase in self.concepts[cid].terms.get(lang, ()) for stem in phrase
        )

    def worded_in(self, concept_ids: Iterable[str], lang: str, stems: frozenset[str]) -> bool:
        """Does a text with these stems say one of the concepts in the act's wording: all the stems of one of its
        terms? "заместитель прокурора района" is not said by a clause that names only the prosecutor of the district."""
        return any(
            set(phrase) <= stems for cid in concept_ids if cid in self.concepts for phrase in self.concepts[cid].terms.get(lang, ())
        )

    def ambiguity(self, stems: Sequence[str], lang: str) -> Ambiguity | None:
        """The first word of the question that its language makes ambiguous, if any.

        Only a word the other language tells apart counts (Kazakh "міндеттері": Russian "задачи" and
        "обязанности"); a word ambiguous in both languages alike is left to the ranking.
        """
        present = set(stems)
        return next((a for a in self.ambiguities if a.lang == lang and a.stem in present), None)

    def _told_apart(self, ambiguity: Ambiguity) -> bool:
        """Does the act itself use this word for two notions whose wordings in another language share nothing?"""
        own = [c for c in ambiguity.concepts if c in self.concepts and ambiguity.stem in self.terms([c], ambiguity.lang)]
        others = {lang for c in own for lang in self.concepts[c].terms} - {ambiguity.lang}
        for other in others:
            terms = [self.terms([c], other) for c in own]
            if any(a and b and not a & b for i, a in enumerate(terms) for b in terms[i + 1 :]):
                return True
        return False
