"""Fitting on the development set: fusion weights by coordinate ascent, then the abstention model;
cross-validation (one writer held out at a time) for an honest estimate. Every score comes from `Pipeline.rank`/`decide`."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import abstention
from ..params import RetrievalParams
from ..pipeline import Pipeline, Prepared
from ..retrieval import SIGNALS
from .dataset import Qrels, Question, level_qrels, point_of
from .runs import TOP, SystemRun, run_system

WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
FOLLOWUP_GRID = (0.2, 0.4, 0.6, 0.8, 1.0, 1.5)
LEVELS = ("point", "list", "subpoint", "part")


@dataclass(frozen=True)
class FitBudget:
    """What the fit may spend and must respect; the report states these numbers."""

    rounds: int = 3  # coordinate-ascent passes over the parameters
    folds: int = 5  # cross-validation folds
    max_false_refusals: float = 0.05  # answerable development questions not answered directly, at most
    max_false_rejections: float = 0.01  # answerable development questions called not-in-the-act, at most
    confidence: float = 0.75  # ... held at this one-sided confidence for new questions (Clopper-Pearson)
    fusion: bool = True  # refit the fusion weights too; False keeps the given ones and refits answerability only


def objective(pipeline: Pipeline, prepared: dict[str, Prepared], questions: Sequence[Question], qrels: Qrels, params: RetrievalParams) -> float:
    """Macro over languages of point R@1 + best-clause R@1 + clause MRR@10 (no dedupe; cheap)."""
    levels = level_qrels(qrels)
    per_lang: dict[str, list[float]] = defaultdict(list)
    ids = pipeline.retriever.ids
    for q in questions:
        if q.id not in levels["clause"]:
            continue
        item = prepared[q.id]
        _, order = pipeline.rank(item, params)
        ranked = [ids[i] for i in item.positions[order[:TOP]]]
        rr = next((1.0 / (i + 1) for i, c in enumerate(ranked) if c in levels["clause"][q.id]), 0.0)
        top = ranked[0]
        per_lang[q.lang].append(float(point_of(top) in levels["point"][q.id]) + float(top in levels["best"][q.id]) + rr)
    return float(np.mean([np.mean(v) for v in per_lang.values()]))


def fit_fusion(
    pipeline: Pipeline, prepared: dict[str, Prepared], questions: Sequence[Question], qrels: Qrels,
    base: RetrievalParams, budget: FitBudget,
) -> RetrievalParams:
    """Coordinate ascent over the signal weights (lexical fixed at 1: only ratios matter), the level
    priors and the follow-up weight, for each normalization: about a dozen parameters on a grid,
    so the fit cannot memorize individual questions (the cross-validated row checks that)."""

    def score(params: RetrievalParams) -> float:
        return objective(pipeline, prepared, questions, qrels, params)

    best, best_score = base, -1.0
    for norm in ("minmax", "zscore"):
        params = replace(base, normalization=norm, weights={name: float(name in ("lexical", "dense")) for name in SIGNALS}, level_prior={})
        current = score(params)
        scale = 0.5 if norm == "zscore" else 0.1
        trials: list[Callable[[RetrievalParams], list[RetrievalParams]]] = [
            lambda p: [replace(p, weights={**p.weights, name: v}) for name in SIGNALS[1:] for v in WEIGHT_GRID],
            lambda p: [replace(p, level_prior={**p.level_prior, level: step * scale}) for level in LEVELS for step in (-2, -1, 0, 1, 2)],
            lambda p: [replace(p, followup_weight=w) for w in FOLLOWUP_GRID],
        ]
        for _ in range(budget.rounds):
            improved = False
            for make in trials:
                for trial in make(params):
                    trial_score = score(trial)
                    if trial_score > current + 1e-9:
                        params, current, improved = trial, trial_score, True
            if not improved:
                break
        if current > best_score:
            best, best_score = params, current
    return best


def folds(n: int, k: int, seed: int) -> Iterator[tuple[list[int], list[int]]]:
    """The k splits of n items into (kept, held): a seeded shuffle dealt round-robin, kept in the shuffled order
    (the fits see their training rows in it), held in index order."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    for fold in range(k):
        yield [i for j, i in enumerate(order) if j % k != fold], sorted(i for j, i in enumerate(order) if j % k == fold)


def writer_folds(questions: Sequence[Question]) -> list[tuple[list[int], list[int]]] | None:
    """One split per writer: (the other writers' questions, this writer's), in index order; None unless every
    question names its writer and there are at least two. A writer's questions share a style, and their folded
    twins and the two halves of their bilingual pairs share an answer: split at random, a fold would be judged on
    questions its fit has all but seen, and the estimate would not be one for a new writer."""
    writers = sorted({q.writer for q in questions if q.writer})
    if len(writers) < 2 or any(not q.writer for q in questions):
        return None
    return [
        ([i for i, q in enumerate(questions) if q.writer != w], [i for i, q in enumerate(questions) if q.writer == w])
        for w in writers
    ]


def fit_abstention(
    run: SystemRun, questions: Sequence[Question], qrels: Qrels, params: RetrievalParams, budget: FitBudget,
    names: Sequence[str] = abstention.FEATURES, seed: int = 0,
) -> RetrievalParams:
    """The logistic model on the run's features `names`, and each language's two thresholds within the refusal
    budget: the targets hold per language, and one pair of thresholds would let one language take the refusals."""
    rows = [run.features[q.id] for q in questions]
    labels = [1 if qrels.get(q.id) else 0 for q in questions]
    coef, bias = abstention.fit(rows, labels, names)
    # The thresholds are set on out-of-fold probabilities: a model judging the questions it was fitted on is surer
    # of them than it will be of new ones, and thresholds set on those would refuse more new answerable questions.
    probabilities = [0.0] * len(rows)
    for kept, held in folds(len(rows), budget.folds, seed):
        fold_coef, fold_bias = abstention.fit([rows[i] for i in kept], [labels[i] for i in kept], names)
        for i in held:
            probabilities[i] = abstention.probability(rows[i], fold_coef, fold_bias)
    answer, refuse = {}, {}
    for lang in sorted({q.lang for q in questions}):
        mine = [i for i, q in enumerate(questions) if q.lang == lang]
        answer[lang], refuse[lang] = abstention.thresholds(
            [probabilities[i] for i in mine], [labels[i] for i in mine], budget.max_false_refusals, budget.max_false_rejections,
            budget.confidence,
        )
    return replace(params, abstain_coef=coef, abstain_bias=bias, abstain_threshold=answer, refuse_threshold=refuse)


def fit(pipeline: Pipeline, prepared: dict[str, Prepared], questions: Sequence[Question], qrels: Qrels, base: RetrievalParams, budget: FitBudget) -> RetrievalParams:
    """Fusion first (unless the budget keeps `base`'s), then abstention on the fitted ranking."""
    params = fit_fusion(pipeline, prepared, questions, qrels, base, budget) if budget.fusion else base
    return fit_abstention(run_system(pipeline, prepared, questions, params, "train"), questions, qrels, params, budget)


def cross_validate(
    pipeline: Pipeline, prepared: dict[str, Prepared], questions: Sequence[Question], qrels: Qrels,
    base: RetrievalParams, budget: FitBudget, progress: Callable = iter, seed: int = 0,
) -> SystemRun:
    """Each question ranked and judged by parameters fitted without it, for an honest estimate: without its
    writer's questions when the set names several writers (`writer_folds`), else k-fold. Each fold fits the whole
    method, fusion weights included, even when the final fit keeps them: kept weights were fitted on these
    questions too, and a row that reused them would be a training figure for the ranking."""
    splits = writer_folds(questions)
    if splits is None:
        name, splits = f"Full ({budget.folds}-fold CV)", list(folds(len(questions), budget.folds, seed))
    else:
        name = f"Full (CV, {len(splits)} writers, each held out)"
    merged = SystemRun(name, {}, {}, {}, {})
    whole = replace(budget, fusion=True)
    for kept, held in progress(splits):
        train = [questions[i] for i in kept]
        test = [questions[i] for i in held]
        params = fit(pipeline, prepared, train, qrels, base, whole)
        part = run_system(pipeline, prepared, test, params, "cv")
        for field in ("ranked", "features", "probability", "verdict"):
            getattr(merged, field).update(getattr(part, field))
    return merged
