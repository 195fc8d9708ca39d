"""Running a system over an evaluation set: the same pipeline the service calls, then ranx metrics."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..answer import Hit, select_hits
from ..conversation import Turn, followup_context
from ..language import detect_language
from ..params import RetrievalParams
from ..pipeline import Pipeline, Prepared
from .dataset import EvalSet, Qrels, Question, level_qrels, point_of

TOP = 10


def prepare(pipeline: Pipeline, questions: Iterable[Question], progress: Callable = iter) -> dict[str, Prepared]:
    """Each question read and scored once, with the earlier turns it leans on as the service would."""
    prepared = {}
    for q in progress(list(questions)):
        history = [Turn(h, detect_language(h).lang or q.lang) for h in q.history]
        prepared[q.id] = pipeline.prepare(q.text, q.lang, followup_context(q.text, q.lang, history))
    return prepared


@dataclass
class SystemRun:
    """One system over a set: ranked ids (deduplicated as shown to users), features, verdicts."""

    name: str
    ranked: dict[str, list[str]]
    features: dict[str, dict[str, float]]
    probability: dict[str, float]
    verdict: dict[str, str]

    def refused(self, qid: str) -> bool:
        return self.verdict[qid] != "answered"


def run_system(pipeline: Pipeline, prepared: dict[str, Prepared], questions: Sequence[Question], params: RetrievalParams, name: str) -> SystemRun:
    run = SystemRun(name, {}, {}, {}, {})
    retriever = pipeline.retriever
    for q in questions:
        decision = pipeline.decide(prepared[q.id], params)
        hits = select_hits((Hit(retriever.at(int(p), q.lang), "", 0.0) for p in decision.positions), TOP)
        run.ranked[q.id] = [h.clause.id for h in hits]
        run.features[q.id] = decision.features
        run.probability[q.id] = decision.probability
        run.verdict[q.id] = decision.verdict
    return run


def ranked_points(ranked: list[str]) -> list[str]:
    return list(dict.fromkeys(point_of(c) for c in ranked))


def per_query_metrics(run: SystemRun, qrels: Qrels) -> dict[str, dict[str, float]]:
    """{metric: {question: value}} computed by ranx, for the answerable questions the run covers."""
    from ranx import Qrels as RanxQrels, Run, evaluate

    levels = level_qrels(qrels)
    ids = sorted(q for q in levels["clause"] if q in run.ranked)
    results: dict[str, dict[str, float]] = {}
    if not ids:
        return results

    def score(ranked: dict[str, list[str]], qrel: Qrels, metrics: list[str], prefix: str) -> None:
        run_dict = {q: {c: float(TOP - i) for i, c in enumerate(ranked[q])} or {"none": 0.0} for q in ids}
        values = evaluate(RanxQrels({q: qrel[q] for q in ids}), Run(run_dict), metrics, return_mean=False, make_comparable=True)
        for metric in metrics:
            results[prefix + metric.replace("hit_rate", "recall")] = dict(zip(ids, map(float, np.atleast_1d(values[metric]))))

    score({q: ranked_points(run.ranked[q]) for q in ids}, levels["point"], ["hit_rate@1", "hit_rate@3", "hit_rate@5"], "point_")
    score(run.ranked, levels["best"], ["hit_rate@1", "hit_rate@5"], "clause_")
    score(run.ranked, levels["clause"], ["mrr@10", "ndcg@10"], "clause_")
    return results


def mean_over(values: dict[str, float], ids: Iterable[str]) -> float:
    picked = [values[i] for i in ids if i in values]
    return float(np.mean(picked)) if picked else float("nan")


def randomization_test(a: Sequence[float], b: Sequence[float], rounds: int, seed: int = 0) -> float:
    """Two-sided paired randomization (permutation) test of mean(a) - mean(b); returns the p-value."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if not diff.any():
        return 1.0
    rng = np.random.default_rng(seed)
    observed = abs(diff.mean())
    signs = rng.choice([-1.0, 1.0], size=(rounds, len(diff)))
    extreme = np.sum(np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12)
    return float((extreme + 1) / (rounds + 1))


def abstention_stats(run: SystemRun, questions: Sequence[Question], qrels: Qrels) -> dict[str, float]:
    """Out-of-scope questions not answered (recall), answerable ones not answered, and the verdicts' shares."""
    oos = [q.id for q in questions if not qrels.get(q.id)]
    answerable = [q.id for q in questions if qrels.get(q.id)]
    refused_oos = sum(run.refused(q) for q in oos)
    refused_ok = sum(run.refused(q) for q in answerable)
    refused = refused_oos + refused_ok
    return {
        "out_of_scope": len(oos),
        "recall": refused_oos / len(oos) if oos else float("nan"),
        "precision": refused_oos / refused if refused else float("nan"),
        "false_refusal_rate": refused_ok / len(answerable) if answerable else float("nan"),
        "oos_not_in_act": sum(run.verdict[q] == "not_in_act" for q in oos) / len(oos) if oos else float("nan"),
        "answerable_not_in_act": sum(run.verdict[q] == "not_in_act" for q in answerable) / len(answerable) if answerable else float("nan"),
    }


PAIR_OUTCOMES = (
    "agreed",
    "verdicts differ: out of scope",
    "verdicts differ: answerable",
    "both partial, other closest clause",
    "other clause first: right in one language",
    "other clause first: right in neither",
    "other clause first: two clauses equally best",
)


def pair_outcomes(run: SystemRun, evalset: EvalSet) -> list[tuple[str, str]]:
    """(kind, outcome) of each pair asked in both languages, the outcome one of PAIR_OUTCOMES. Both refused as
    not in the act agree whatever the closest clause; any other verdict needs the same clause first."""
    members: dict[str, list[Question]] = defaultdict(list)
    for q in evalset.questions:
        if q.pair:
            members[q.pair].append(q)
    best = level_qrels(evalset.qrels)["best"]
    out = []
    for pair in members.values():
        if len(pair) != 2 or len({q.lang for q in pair}) != 2:
            continue
        a, b = pair
        first = [run.ranked[q.id][0] if run.ranked[q.id] else None for q in pair]
        if run.verdict[a.id] != run.verdict[b.id]:
            outcome = "verdicts differ: answerable" if a.id in best else "verdicts differ: out of scope"
        elif (first[0] is not None and first[0] == first[1]) or run.verdict[a.id] == "not_in_act":
            outcome = "agreed"
        elif a.id not in best:
            outcome = "both partial, other closest clause"
        else:
            right = sum(top in best.get(q.id, {}) for q, top in zip(pair, first))
            outcome = ("other clause first: right in neither", "other clause first: right in one language",
                       "other clause first: two clauses equally best")[right]
        out.append((a.kind if a.kind == b.kind else f"{a.kind}/{b.kind}", outcome))
    return out


def agreement(run: SystemRun, evalset: EvalSet) -> dict[str, dict[str, float]]:
    """Pairs asked in both languages: the same clause first and the same verdict, per kind and overall."""
    per_kind: dict[str, list[float]] = defaultdict(list)
    for kind, outcome in pair_outcomes(run, evalset):
        per_kind[kind].append(float(outcome == "agreed"))
        per_kind["all"].append(float(outcome == "agreed"))
    return {kind: {"n": len(v), "agreement": float(np.mean(v))} for kind, v in sorted(per_kind.items())}


def disagreements(run: SystemRun, evalset: EvalSet) -> dict[str, int]:
    """How many pairs came out each way (PAIR_OUTCOMES): which part, ranking or verdict, keeps agreement down."""
    counts = dict.fromkeys(PAIR_OUTCOMES, 0)
    for _, outcome in pair_outcomes(run, evalset):
        counts[outcome] += 1
    return counts


def language_id(questions: Sequence[Question]) -> dict[str, dict[str, float]]:
    """Accuracy of lingua (as the product uses it) and langdetect on the same questions, per language."""
    out: dict[str, dict[str, float]] = {}
    for name, detect in (("lingua", lambda t: detect_language(t).lang), ("langdetect", detect_langdetect)):
        per_lang = defaultdict(list)
        for q in questions:
            per_lang[q.lang].append(detect(q.text) == q.lang)
        out[name] = {lang: float(np.mean(v)) for lang, v in sorted(per_lang.items())}
        out[name]["all"] = float(np.mean([x for v in per_lang.values() for x in v]))
    return out


def detect_langdetect(text: str) -> str | None:
    """The langdetect baseline's raw code ("ru", "uk", "mk", "zh-cn", ...) or None; it has no Kazakh model.

    Seeded (DetectorFactory.seed = 0) so the evaluation is reproducible; used only to compare.
    """
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None
