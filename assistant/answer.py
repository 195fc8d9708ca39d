"""Answer composition: ranked clauses -> a short cited answer in the question's language."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .citation import capitalize
from .abstention import Verdict
from .clause import Clause
from .highlight import highlight_spans, question_stems
from .messages import render

def clause_fields(clause: Clause, citation: str) -> dict:
    """A clause as the JSON contract shows it; `context` is the lead-in of a subpoint's list."""
    return {
        "id": clause.id,
        "document": clause.document,
        "point": clause.point,
        "subpoint": clause.subpoint,
        "list": clause.list,
        "chapter": clause.chapter,
        "lang": clause.lang,
        "citation": citation,
        "text": clause.text,
        "context": clause.lead_in if clause.subpoint is not None else None,
    }


@dataclass(frozen=True)
class Hit:
    """A clause put forward for a question, with its citation in the question's language."""

    clause: Clause
    citation: str
    score: float

    @property
    def quote(self) -> str:
        """The clause as quoted: a subpoint is shown after its list's lead-in."""
        clause = self.clause
        if clause.subpoint is not None and clause.lead_in:
            return f"{clause.lead_in} … {clause.subpoint}) {clause.text}"
        return clause.text

    def to_dict(self) -> dict:
        return {**clause_fields(self.clause, self.citation), "score": round(float(self.score), 6)}


@dataclass(frozen=True)
class Answer:
    """What the user gets: the verdict, the answer text and the clauses behind it, best first, all in `lang`."""

    question: str
    lang: str
    verdict: Verdict  # answered | partial (the act does not answer it directly) | not_in_act
    answer: str
    hits: tuple[Hit, ...]
    confidence: float  # P(the act answers the question), from the abstention model
    followup: bool = False  # earlier turns were used to understand the question
    note: str | None = None  # e.g. a Kazakh word of the question that names two of the act's notions
    matched: frozenset[str] | None = None  # the question's stems as the search read them (default: as analyzed)

    @property
    def abstained(self) -> bool:
        """Not answered directly: the act does not say, or says only something close to it."""
        return self.verdict != "answered"

    def to_dict(self) -> dict:
        stems = {
            lang: self.matched if self.matched is not None and lang == self.lang else question_stems(self.question, lang)
            for lang in {hit.clause.lang for hit in self.hits}
        }
        return {
            "question": self.question,
            "lang": self.lang,
            "verdict": self.verdict,
            "abstained": self.abstained,
            "answer": self.answer,
            "confidence": round(float(self.confidence), 4),
            "followup": self.followup,
            "note": self.note,
            "hits": [{**hit.to_dict(), "highlights": hit_highlights(hit, stems[hit.clause.lang])} for hit in self.hits],
        }


def hit_highlights(hit: Hit, stems: frozenset[str]) -> list[list[int]]:
    """[start, end] spans of `hit.clause.text` holding the question's `stems` (`highlight.question_stems`)."""
    return [list(span) for span in highlight_spans(hit.clause.text, stems, hit.clause.lang)]


def overlaps(a: Clause, b: Clause) -> bool:
    """Does one clause contain the other (a point and its list or subpoint, a list and its subpoint)?"""
    if a.point_id != b.point_id or a.id == b.id:
        return a.id == b.id
    if a.level == "point" or b.level == "point":
        return True
    if a.level == "list" or b.level == "list":
        return a.list == b.list
    return False


def select_hits(ranked: Sequence[Hit], k: int) -> tuple[Hit, ...]:
    """The top `k` hits with no clause repeated inside another already shown."""
    chosen: list[Hit] = []
    for hit in ranked:
        if not any(overlaps(hit.clause, shown.clause) for shown in chosen):
            chosen.append(hit)
        if len(chosen) == k:
            break
    return tuple(chosen)


def compose(lang: str, hits: Sequence[Hit], verdict: Verdict, note: str | None = None) -> str:
    """The answer text: the best clause quoted with its citation; or "not directly, the closest clauses
    are ..."; or a plain "the act does not say"."""
    if verdict == "not_in_act" or not hits:
        lines = [render("answer_not_in_act", lang)]
        if hits:
            lines.append(render("answer_maybe", lang) + " " + "; ".join(hit.citation for hit in hits[:3]) + ".")
        return "\n".join(lines)
    if verdict == "partial":
        return render("answer_partial", lang) + " " + "; ".join(hit.citation for hit in hits[:3]) + "."
    best = hits[0]
    lines = [render("answer_found", lang, citation=capitalize(best.citation), text=best.quote)]
    if note:
        lines.append(note)
    if len(hits) > 1:
        lines.append(render("answer_related", lang) + " " + "; ".join(hit.citation for hit in hits[1:]) + ".")
    return "\n".join(lines)
