"""Retrieval-quality evaluation (`zanger eval`): the development set and the frozen test split, every
system through the same pipeline the service calls, baselines side by side, a report.

- dataset.py: the sets and their qrels; runs.py: running a system, ranx metrics, agreement, language id;
- fitting.py: fusion weights and abstention fitted on the development set, cross-validation;
- report.py: the markdown report and chart.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

import numpy as np

from .. import abstention
from ..language import detect_language
from ..params import RetrievalParams
from ..pipeline import Pipeline
from ..stemming import Analyzer, stem_prefix
from .dataset import EvalSet, Question, load_set, typed_folded
from .fitting import FitBudget, cross_validate, fit, fit_abstention, writer_folds
from .report import METRICS, TARGETS, build_report, plot
from .runs import (
    SystemRun, abstention_stats, agreement, disagreements, language_id, mean_over, per_query_metrics, prepare, randomization_test,
    run_system,
)

__all__ = ["EvalSet", "FitBudget", "Question", "build_report", "evaluate", "load_set", "plot"]

SIGNIFICANCE_ROUNDS = 10_000
FOCUS_FEATURES = ("focus_size", "focus_missing_top", "focus_missing_act", "asked_missing_top", "unsaid_pull")


def baselines(full: RetrievalParams) -> dict[str, RetrievalParams]:
    """BM25 alone, dense alone and their RRF, each with the full system's follow-up blending and abstention."""
    plain = replace(full, level_prior={}, settle_granularity=False)
    return {
        "BM25": replace(plain, weights={"lexical": 1.0}),
        "Dense": replace(plain, weights={"dense": 1.0}),
        "RRF(BM25,Dense)": replace(plain, weights={"lexical": 1.0, "dense": 1.0}, normalization="rrf"),
    }


def evaluate(
    pipeline: Pipeline,
    dev: EvalSet,
    test: EvalSet | None,
    *,
    fit_params: bool,
    significance: bool,
    budget: FitBudget,
    progress: Callable = iter,
    log: Callable[[str], None] = print,
) -> tuple[dict, RetrievalParams]:
    """Run every system on both sets (fitting on dev first when asked); return (results, params used)."""
    params = pipeline.params
    sets = [s for s in (test, dev) if s is not None]
    log("reading and scoring the questions ...")
    prepared = {s.name: prepare(pipeline, s.questions, progress) for s in sets}
    if fit_params:
        log("fitting on the development set ...")
        params = fit(pipeline, prepared["dev"], dev.questions, dev.qrels, params, budget)
    systems = {**baselines(params), "Full": params}
    runs: dict[tuple[str, str], SystemRun] = {}
    for s in sets:
        for name, system in systems.items():
            runs[(s.name, name)] = run_system(pipeline, prepared[s.name], s.questions, system, name)
    log("cross-validating on the development set ...")
    cv = cross_validate(pipeline, prepared["dev"], dev.questions, dev.qrels, params, budget, progress)
    runs[("dev", cv.name)] = cv
    metrics = {key: per_query_metrics(run, {s.name: s for s in sets}[key[0]].qrels) for key, run in runs.items()}
    langs = dev.langs()
    by_name = {s.name: s for s in sets}

    def ids(s: EvalSet, lang: str, kind: str | None = None) -> list[str]:
        return [q.id for q in s.answerable() if q.lang == lang and (kind is None or q.kind == kind)]

    table = []
    order = [("test", n) for n in systems] + [("dev", cv.name), ("dev", "Full")] + [("dev", n) for n in baselines(params)]
    for set_name, name in order:
        if set_name not in by_name:
            continue
        label = name if not (set_name == "dev" and name == "Full") else "Full (fitted: training figure)"
        for lang in langs:
            table.append((set_name, label, lang, {m: mean_over(metrics[(set_name, name)].get(m, {}), ids(by_name[set_name], lang)) for m, _ in METRICS}))

    headline = "test" if test is not None else "dev"
    head_set, head_run = by_name[headline], runs[(headline, "Full")]
    targets = {}
    head_agreement = agreement(head_run, head_set)
    for lang in langs:
        stats = abstention_stats(head_run, [q for q in head_set.questions if q.lang == lang], head_set.qrels)
        m = metrics[(headline, "Full")]
        targets[lang] = {
            "point_recall@1": mean_over(m["point_recall@1"], ids(head_set, lang)),
            "point_recall@5": mean_over(m["point_recall@5"], ids(head_set, lang)),
            "clause_recall@1": mean_over(m["clause_recall@1"], ids(head_set, lang)),
            "order_point_recall@1": mean_over(m["point_recall@1"], ids(head_set, lang, "order")),
            "oos_refused": stats["recall"],
            "false_refusals": stats["false_refusal_rate"],
            "agreement": head_agreement.get("all", {}).get("agreement", float("nan")),
        }

    significance_rows = []
    if significance:
        for base in baselines(params):
            for lang in langs:
                for metric in ("point_recall@1", "clause_recall@1", "clause_mrr@10"):
                    chosen = ids(head_set, lang)
                    a = [metrics[(headline, "Full")][metric][i] for i in chosen]
                    b = [metrics[(headline, base)][metric][i] for i in chosen]
                    significance_rows.append((base, lang, metric, float(np.mean(a)), float(np.mean(b)), randomization_test(a, b, SIGNIFICANCE_ROUNDS)))

    kind_systems = ["BM25", "Dense", "Full"]
    kinds = []
    for s in sets:
        for kind in sorted({q.kind for q in s.answerable()}):
            for lang in langs:
                chosen = ids(s, lang, kind)
                if chosen:
                    cells = [
                        (mean_over(metrics[(s.name, n)]["point_recall@1"], chosen), mean_over(metrics[(s.name, n)]["clause_recall@1"], chosen))
                        for n in kind_systems
                    ]
                    kinds.append((s.name, kind, lang, len(chosen), cells))

    writers = []
    if writer_folds(dev.questions):
        m = metrics[("dev", cv.name)]
        for writer in sorted({q.writer for q in dev.questions}):
            for lang in langs:
                mine = [q for q in dev.questions if q.writer == writer and q.lang == lang]
                chosen = [q.id for q in mine if dev.qrels.get(q.id)]
                stats = abstention_stats(cv, mine, dev.qrels)
                writers.append((writer, lang, len(chosen), len(mine) - len(chosen), mean_over(m["point_recall@1"], chosen),
                                mean_over(m["clause_recall@1"], chosen), stats["recall"], stats["false_refusal_rate"]))

    abstention_rows = [(s.name, "Full", abstention_stats(runs[(s.name, "Full")], s.questions, s.qrels)) for s in sets]
    abstention_rows.append(("dev", cv.name, abstention_stats(cv, dev.questions, dev.qrels)))

    log("ablations ...")
    ablations = _ablations(pipeline, params, head_set, prepared[headline], runs, headline, dev, prepared["dev"], budget, langs, progress)
    spelled = runs[("dev", "Full")], metrics[("dev", "Full")]
    folded = {"written": _folded_against_spelled(dev, *spelled, *spelled), "typed": None}
    typed = typed_folded(dev)
    if typed.questions:
        log("Kazakh typed without Kazakh letters ...")
        typed_run = run_system(pipeline, prepare(pipeline, typed.questions, progress), typed.questions, params, "Full")
        folded["typed"] = _folded_against_spelled(typed, typed_run, per_query_metrics(typed_run, typed.qrels), *spelled)
        if folded["typed"]:
            folded["typed"]["detected"] = float(np.mean([detect_language(q.text).lang == "kk" for q in typed.questions]))
    results = {
        "encoder": pipeline.retriever.encoder.name,
        "langs": langs,
        "sets": {
            s.name: {"n": len(s.questions), "per_lang": {l: sum(q.lang == l for q in s.questions) for l in langs},
                     "out_of_scope": len(s.questions) - len(s.answerable())}
            for s in sets
        },
        "targets": targets,
        "table": table,
        "significance": significance_rows,
        "kind_systems": kind_systems,
        "kinds": kinds,
        "writers": writers,
        "agreement": {s.name: agreement(runs[(s.name, "Full")], s) for s in sets},
        "disagreements": {s.name: disagreements(runs[(s.name, "Full")], s) for s in sets},
        "abstention": abstention_rows,
        "folded": folded,
        "langid": language_id([q for s in sets for q in s.questions]),
        "ablations": ablations,
        "params": asdict(params),
        "fitted": ("all" if budget.fusion else "abstention") if fit_params else None,
        "runs": {f"{k[0]}/{k[1]}": {"ranked": r.ranked, "verdict": r.verdict} for k, r in runs.items()},
    }
    return results, params


def _folded_against_spelled(folded: EvalSet, run: SystemRun, metrics: dict, spelled_run: SystemRun, spelled_metrics: dict) -> dict | None:
    """The answerable folded questions of `folded` (`run`, `metrics`) whose spelled twin is answerable too, against
    their twins (`spelled_run`, `spelled_metrics`): point and clause R@1 and the share answered, each as (folded,
    spelled). None without such pairs."""
    pairs = [(q.id, q.twin) for q in folded.answerable() if q.twin in spelled_metrics.get("point_recall@1", {})]
    if not pairs:
        return None
    shown, twins = [a for a, _ in pairs], [b for _, b in pairs]
    out: dict = {"n": len(pairs)}
    for key, metric in (("point", "point_recall@1"), ("clause", "clause_recall@1")):
        out[key] = (mean_over(metrics[metric], shown), mean_over(spelled_metrics[metric], twins))
    out["answered"] = (float(np.mean([not run.refused(i) for i in shown])), float(np.mean([not spelled_run.refused(i) for i in twins])))
    return out


def _ablations(pipeline, params, head_set, head_prepared, runs, headline, dev, dev_prepared, budget, langs, progress) -> list:
    """Each part of the method taken away in turn, judged on the headline set with the fitted parameters."""

    def summary(run: SystemRun, s: EvalSet) -> tuple[list, tuple[float, float]]:
        m = per_query_metrics(run, s.qrels)
        per_lang = [
            tuple(mean_over(m[k], [q.id for q in s.answerable() if q.lang == lang]) for k in ("point_recall@1", "clause_recall@1"))
            for lang in langs
        ]
        stats = abstention_stats(run, s.questions, s.qrels)
        return per_lang, (stats["recall"], stats["false_refusal_rate"])

    w = params.weights
    variants = {
        "− other-language evidence": replace(params, weights={**w, "dense_twin": 0.0, "lexical_twin": 0.0}),
        "− concept expansion (lexicon in retrieval)": replace(params, weights={**w, "concepts": 0.0}),
        "− document prior": replace(params, weights={**w, "document": 0.0}),
        "− level priors": replace(params, level_prior={}),
        "− follow-up context": replace(params, followup_weight=0.0),
        "− citation lookup (cited points first)": replace(params, look_up_citations=False),
    }
    rows = [("Full", *summary(runs[(headline, "Full")], head_set))]
    for name, variant in variants.items():
        rows.append((name, *summary(run_system(pipeline, head_prepared, head_set.questions, variant, name), head_set)))
    # Focus-aware answerability: the abstention model refitted on dev without the focus features.
    names = [n for n in abstention.FEATURES if n not in FOCUS_FEATURES]
    dev_run = run_system(pipeline, dev_prepared, dev.questions, params, "dev")
    unfocused = fit_abstention(dev_run, dev.questions, dev.qrels, params, budget, names)
    rows.append(("− focus features in answerability (refitted)", *summary(run_system(pipeline, head_prepared, head_set.questions, unfocused, "nofocus"), head_set)))
    # Whole readers swapped: another Kazakh stemmer, no lexicon at all.
    from ..lexicon import Lexicon

    readers = {
        "− concept lexicon entirely (retrieval and answerability)": pipeline.retriever.variant(lexicon=Lexicon([])),
        "Kazakh prefix-5 truncation instead of the suffix stripper": pipeline.retriever.variant(analyzer=Analyzer(kazakh_stem=stem_prefix)),
    }
    for name, retriever in readers.items():
        other = Pipeline(retriever, params)
        prepared = prepare(other, head_set.questions, progress)
        rows.append((name, *summary(run_system(other, prepared, head_set.questions, params, name), head_set)))
    return rows


def main(args) -> int:
    """`zanger eval`: see `cli.py` for the arguments."""
    from .command import run

    return run(args)
