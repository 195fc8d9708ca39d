"""Evaluation sets: questions (`questions.jsonl`) and graded qrels (`qrels.json`, {question: {clause: grade}}).

The development set (`eval/`) is fitted on; the frozen test split (`eval/test/`), written blind from
the act's texts, never is. Both have the same shape.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from ..normalization import fold_kazakh

Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    text: str
    kind: str
    history: tuple[str, ...] = ()
    twin: str | None = None  # a folded question's properly spelled original
    pair: str | None = None  # the same need asked in the other language shares this
    writer: str | None = None  # who wrote it: cross-validation holds out one writer's questions at a time


@dataclass(frozen=True)
class EvalSet:
    name: str  # "dev" | "test"
    questions: tuple[Question, ...]
    qrels: Qrels

    def answerable(self) -> list[Question]:
        return [q for q in self.questions if self.qrels.get(q.id)]

    def langs(self) -> list[str]:
        return sorted({q.lang for q in self.questions})


def load_set(folder: Path, name: str) -> EvalSet:
    """An evaluation folder -> EvalSet; every question must have a qrels entry."""
    questions = []
    for number, line in enumerate((folder / "questions.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        questions.append(Question(
            row["id"], row["lang"], row["text"], row["kind"], tuple(row.get("history") or ()),
            row.get("twin"), row.get("pair"), row.get("writer"),
        ))
    raw = json.loads((folder / "qrels.json").read_text(encoding="utf-8"))
    qrels = {q: {c: int(g) for c, g in rel.items()} for q, rel in raw.items()}
    missing = [q.id for q in questions if q.id not in qrels]
    if missing:
        raise ValueError(f"{folder / 'qrels.json'}: no judgments for {', '.join(missing[:5])}")
    return EvalSet(name, tuple(questions), qrels)


def typed_folded(evalset: EvalSet) -> EvalSet:
    """Each answerable Kazakh question written with Kazakh letters, typed again without them as on a Russian
    keyboard (`fold_kazakh`, its history too), as the kind "folded" with `twin` naming the original and its qrels."""
    copies = tuple(
        replace(q, id=f"{q.id}~folded", text=fold_kazakh(q.text), kind="folded", history=tuple(map(fold_kazakh, q.history)), twin=q.id)
        for q in evalset.answerable()
        if q.lang == "kk" and q.kind != "folded" and fold_kazakh(q.text) != q.text
    )
    return EvalSet(f"{evalset.name} folded", copies, {q.id: evalset.qrels[q.twin] for q in copies})


def point_of(clause_id: str) -> str:
    """"regulation.p8.l2.s3" -> "regulation.p8"; parts stay themselves."""
    return ".".join(clause_id.split(".")[:2])


def level_qrels(qrels: Qrels) -> dict[str, Qrels]:
    """The graded qrels at each granularity the report uses, answerable questions only."""
    clause = {q: rel for q, rel in qrels.items() if rel}
    best = {q: {c: 1 for c, g in rel.items() if g == max(rel.values())} for q, rel in clause.items()}
    point: Qrels = {}
    for q, rel in clause.items():
        mapped: dict[str, int] = {}
        for c, g in rel.items():
            mapped[point_of(c)] = max(mapped.get(point_of(c), 0), g)
        point[q] = mapped
    return {"clause": clause, "best": best, "point": point}
