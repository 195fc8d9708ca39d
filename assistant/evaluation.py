"""Retrieval-quality evaluation on the development set (`eval/`), baselines side by side.

Questions (`questions.jsonl`) and graded qrels (`qrels.json`, {question: {clause: grade}}) are
scored at two granularities:
- point level: the ranking mapped to points (the top hit is in the right point);
- clause level: graded clause ids (nDCG, MRR), and Recall@1 against the grade-2 clause only
  (the right subpoint when the question is about one).
"Recall@k" is the share of questions with a relevant item in the top k (success@k), as the targets
define it. Metrics are computed by ranx; paired randomization tests compare the full system with
each baseline. Every system sees follow-ups the way the service does (earlier turns blended in).
"""
from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path

import numpy as np

from .abstention import answerable_probability, fit_logistic
from .answer import Hit, select_hits
from .conversation import Turn, followup_context
from .language import detect_langdetect, detect_language
from .retrieval import PARAMS_FILE, SIGNALS, Retriever, RetrievalParams

FEATURES = (
    "fused_top", "fused_margin", "dense_max", "dense_gap", "dense_twin_max", "lexical_max",
    "coverage", "unknown", "char_coverage", "overlap_top", "asks_amount",
)
TOP = 10


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    text: str
    kind: str
    history: tuple[str, ...] = ()
    twin: str | None = None


def default_eval_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "eval"


def load_dev_set(eval_dir: Path) -> tuple[list[Question], dict[str, dict[str, int]]]:
    """`questions.jsonl` and `qrels.json` of an eval folder."""
    questions = []
    for line in (eval_dir / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            questions.append(
                Question(row["id"], row["lang"], row["text"], row["kind"], tuple(row.get("history", ())), row.get("twin"))
            )
    qrels = json.loads((eval_dir / "qrels.json").read_text(encoding="utf-8"))
    return questions, {q: {c: int(g) for c, g in rel.items()} for q, rel in qrels.items()}


@dataclass
class Prepared:
    """A question's expensive part, computed once: its signals and those of the turns it leans on."""

    question: Question
    signals: dict
    earlier: list
    context: list


def prepare(retriever: Retriever, questions: Sequence[Question]) -> list[Prepared]:
    prepared = []
    for q in questions:
        history = [Turn(h, detect_language(h).lang or q.lang) for h in q.history]
        context = followup_context(q.text, q.lang, history)
        prepared.append(
            Prepared(q, retriever.signals(q.text, q.lang), [retriever.signals(t, lang) for t, lang in context], context)
        )
    return prepared


@dataclass
class SystemRun:
    """One system over the set: ranked ids (deduplicated as shown to users), features, abstentions."""

    name: str
    ranked: dict[str, list[str]]
    features: dict[str, dict[str, float]]
    abstained: dict[str, bool]


def run_system(
    retriever: Retriever, prepared: Sequence[Prepared], params: RetrievalParams, name: str, dedupe: bool = True
) -> SystemRun:
    ranked, features, abstained = {}, {}, {}
    for item in prepared:
        q = item.question
        ranking = retriever.rank_signals(q.text, q.lang, item.signals, item.earlier, params, item.context)
        if dedupe:
            hits = select_hits((Hit(retriever.clause(cid, q.lang), "", 0.0) for cid in ranking.ids), TOP)
            ranked[q.id] = [h.clause.id for h in hits]
        else:
            ranked[q.id] = list(ranking.ids[:TOP])
        features[q.id] = ranking.features
        p = answerable_probability(ranking.features, params.abstain_coef, params.abstain_bias)
        abstained[q.id] = p < params.abstain_threshold
    return SystemRun(name, ranked, features, abstained)


def point_of(clause_id: str) -> str:
    """"regulation.p8.l2.s3" -> "regulation.p8"; parts stay themselves."""
    parts = clause_id.split(".")
    return ".".join(parts[:2])


def level_qrels(qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, dict[str, int]]]:
    """The graded qrels at each granularity the report uses, answerable questions only."""
    clause = {q: rel for q, rel in qrels.items() if rel}
    best = {q: {c: 1 for c, g in rel.items() if g == max(rel.values())} for q, rel in clause.items()}
    point: dict[str, dict[str, int]] = {}
    for q, rel in clause.items():
        mapped: dict[str, int] = {}
        for c, g in rel.items():
            mapped[point_of(c)] = max(mapped.get(point_of(c), 0), g)
        point[q] = mapped
    return {"clause": clause, "best": best, "point": point}


def ranked_points(ranked: list[str]) -> list[str]:
    return list(dict.fromkeys(point_of(c) for c in ranked))


def per_query_metrics(run: SystemRun, qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """{metric: {question: value}} computed by ranx, for answerable questions."""
    from ranx import Qrels, Run, evaluate

    levels = level_qrels(qrels)
    ids = sorted(levels["clause"])
    results: dict[str, dict[str, float]] = {}

    def score(ranked: dict[str, list[str]], qrel: dict, metrics: list[str], prefix: str) -> None:
        run_dict = {q: {c: float(TOP - i) for i, c in enumerate(ranked[q])} or {"none": 0.0} for q in ids}
        values = evaluate(Qrels({q: qrel[q] for q in ids}), Run(run_dict), metrics, return_mean=False, make_comparable=True)
        for metric in metrics:
            name = prefix + metric.replace("hit_rate", "recall")
            results[name] = dict(zip(ids, map(float, np.atleast_1d(values[metric]))))

    point_runs = {q: ranked_points(run.ranked[q]) for q in ids}
    score(point_runs, levels["point"], ["hit_rate@1", "hit_rate@3", "hit_rate@5"], "point_")
    score(run.ranked, levels["best"], ["hit_rate@1", "hit_rate@5"], "clause_")
    score(run.ranked, levels["clause"], ["mrr@10", "ndcg@10"], "clause_")
    return results


REPORT_METRICS = (
    ("point_recall@1", "P-R@1"),
    ("point_recall@3", "P-R@3"),
    ("point_recall@5", "P-R@5"),
    ("clause_recall@1", "C-R@1"),
    ("clause_recall@5", "C-R@5"),
    ("clause_mrr@10", "MRR@10"),
    ("clause_ndcg@10", "nDCG@10"),
)


def mean_over(values: dict[str, float], ids: Sequence[str]) -> float:
    picked = [values[i] for i in ids if i in values]
    return float(np.mean(picked)) if picked else float("nan")


def randomization_test(a: Sequence[float], b: Sequence[float], rounds: int = 10_000, seed: int = 0) -> float:
    """Two-sided paired randomization (permutation) test of mean(a) - mean(b); returns the p-value."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if not diff.any():
        return 1.0
    rng = np.random.default_rng(seed)
    observed = abs(diff.mean())
    signs = rng.choice([-1.0, 1.0], size=(rounds, len(diff)))
    extreme = np.sum(np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12)
    return float((extreme + 1) / (rounds + 1))


# --- fitting -------------------------------------------------------------------------------


def _objective(retriever: Retriever, prepared: Sequence[Prepared], qrels, params: RetrievalParams) -> float:
    """Macro over languages of point R@1 + best-clause R@1 + clause MRR@10 (no dedupe; cheap)."""
    levels = level_qrels(qrels)
    per_lang: dict[str, list[float]] = defaultdict(list)
    for item in prepared:
        q = item.question
        if q.id not in levels["clause"]:
            continue
        fused = retriever.blend(item.signals, item.earlier, params)
        order = np.argsort(-fused, kind="stable")
        if params.settle_granularity:
            order = retriever.settle_granularity(order, fused, q.text, q.lang)
        order = order[:TOP]
        ranked = [retriever.ids[i] for i in order]
        top = ranked[0]
        rr = next((1.0 / (i + 1) for i, c in enumerate(ranked) if c in levels["clause"][q.id]), 0.0)
        per_lang[q.lang].append(
            float(point_of(top) in levels["point"][q.id]) + float(top in levels["best"][q.id]) + rr
        )
    return float(np.mean([np.mean(v) for v in per_lang.values()]))


WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def fit_fusion(
    retriever: Retriever, prepared: Sequence[Prepared], qrels, base: RetrievalParams, rounds: int = 3
) -> RetrievalParams:
    """Coordinate ascent over the fusion weights (lexical fixed at 1: only ratios matter), the level
    priors and the follow-up weight, for each normalization; a dozen parameters on a grid, so the
    fit cannot memorize individual questions (the report's cross-validated row checks that)."""

    def score(params: RetrievalParams) -> float:
        return _objective(retriever, prepared, qrels, params)

    best, best_score = base, -1.0
    for norm in ("minmax", "zscore"):
        params = replace(
            base,
            normalization=norm,
            weights={name: (1.0 if name in ("lexical", "dense") else 0.0) for name in SIGNALS},
            level_prior={},
        )
        current = score(params)
        scale = 0.5 if norm == "zscore" else 0.1
        for _ in range(rounds):
            improved = False
            for name in SIGNALS[1:]:
                for value in WEIGHT_GRID:
                    trial = replace(params, weights={**params.weights, name: value})
                    trial_score = score(trial)
                    if trial_score > current + 1e-9:
                        params, current, improved = trial, trial_score, True
            for level in ("point", "list", "subpoint", "part"):
                for step in (-2, -1, 0, 1, 2):
                    trial = replace(params, level_prior={**params.level_prior, level: step * scale})
                    trial_score = score(trial)
                    if trial_score > current + 1e-9:
                        params, current, improved = trial, trial_score, True
            for weight in (0.2, 0.4, 0.6, 0.8, 1.0, 1.5):
                trial = replace(params, followup_weight=weight)
                trial_score = score(trial)
                if trial_score > current + 1e-9:
                    params, current, improved = trial, trial_score, True
            if not improved:
                break
        if current > best_score:
            best, best_score = params, current
    return best


def fit_abstention(run: SystemRun, questions: Sequence[Question], qrels, max_false_refusals: float = 0.05) -> tuple[dict, float, float]:
    """Logistic model on ranking features; the threshold is the highest one that wrongly refuses at
    most `max_false_refusals` of answerable questions. Returns (coef, bias, threshold)."""
    rows = [run.features[q.id] for q in questions]
    labels = [1 if qrels.get(q.id) else 0 for q in questions]
    coef, bias = fit_logistic(rows, labels, FEATURES)
    probs = np.array([answerable_probability(r, coef, bias) for r in rows])
    answerable = probs[np.array(labels) == 1]
    # refuse below the threshold: keep false refusals within budget
    allowed = int(np.floor(max_false_refusals * len(answerable)))
    threshold = float(np.sort(answerable)[allowed]) if len(answerable) else 0.5
    return coef, bias, threshold - 1e-9


def cross_validate(retriever, prepared, questions, qrels, base: RetrievalParams, folds: int = 5, seed: int = 0) -> SystemRun:
    """Each question ranked and judged by a model fitted without it (k-fold), for an honest estimate."""
    order = list(range(len(prepared)))
    random.Random(seed).shuffle(order)
    ranked, features, abstained = {}, {}, {}
    for fold in range(folds):
        held = {i for j, i in enumerate(order) if j % folds == fold}
        train = [prepared[i] for i in order if i not in held]
        test = [prepared[i] for i in sorted(held)]
        params = fit_fusion(retriever, train, qrels, base)
        train_run = run_system(retriever, train, params, "train")
        coef, bias, threshold = fit_abstention(train_run, [p.question for p in train], qrels)
        params = replace(params, abstain_coef=coef, abstain_bias=bias, abstain_threshold=threshold)
        test_run = run_system(retriever, test, params, "cv")
        ranked.update(test_run.ranked)
        features.update(test_run.features)
        abstained.update(test_run.abstained)
    return SystemRun("Full (5-fold CV)", ranked, features, abstained)


# --- report --------------------------------------------------------------------------------


def baselines(full: RetrievalParams) -> dict[str, RetrievalParams]:
    plain = RetrievalParams(level_prior={}, followup_weight=full.followup_weight, followup_decay=full.followup_decay)
    return {
        "BM25": replace(plain, weights={"lexical": 1.0}),
        "Dense": replace(plain, weights={"dense": 1.0}),
        "RRF(BM25,Dense)": replace(plain, weights={"lexical": 1.0, "dense": 1.0}, normalization="rrf"),
    }


def abstention_stats(run: SystemRun, questions: Sequence[Question], qrels) -> dict[str, float]:
    oos = [q.id for q in questions if not qrels.get(q.id)]
    answerable = [q.id for q in questions if qrels.get(q.id)]
    refused_oos = sum(run.abstained[q] for q in oos)
    refused_ok = sum(run.abstained[q] for q in answerable)
    refused = refused_oos + refused_ok
    return {
        "out_of_scope": len(oos),
        "recall": refused_oos / len(oos) if oos else float("nan"),
        "precision": refused_oos / refused if refused else float("nan"),
        "false_refusal_rate": refused_ok / len(answerable) if answerable else float("nan"),
    }


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


def _fmt(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def build_report(questions, qrels, runs: dict[str, SystemRun], metrics: dict[str, dict], extra: dict) -> str:
    langs = sorted({q.lang for q in questions})
    answerable = [q for q in questions if qrels.get(q.id)]
    lines = ["# Retrieval evaluation", ""]
    lines.append(
        f"Development set: {len(questions)} questions ({', '.join(f'{l}: {sum(q.lang == l for q in questions)}' for l in langs)}), "
        f"{len(answerable)} answerable, {len(questions) - len(answerable)} out of scope. Encoder: `{extra['encoder']}`. "
        f"Generated by `zanger eval` in {extra['seconds']:.0f} s."
    )
    lines += [
        "",
        "P-R@k: a clause of the right point in the top k. C-R@k: the best clause itself (the subpoint when the "
        "question is about one) in the top k. MRR@10 and nDCG@10 on graded clause qrels. Computed with ranx; "
        "rankings are the deduplicated lists users see. *Full (5-fold CV)* ranks each question with weights and "
        "abstention fitted without it: the honest estimate for unseen questions.",
        "",
        "## Overall, per language",
        "",
    ]
    header = "| system | lang | " + " | ".join(label for _, label in REPORT_METRICS) + " |"
    lines += [header, "|" + "---|" * (len(REPORT_METRICS) + 2)]
    for name in runs:
        for lang in langs:
            ids = [q.id for q in answerable if q.lang == lang]
            row = [_fmt(mean_over(metrics[name][m], ids)) for m, _ in REPORT_METRICS]
            lines.append(f"| {name} | {lang} | " + " | ".join(row) + " |")
    lines += ["", "## Significance (paired randomization test, 10,000 rounds, two-sided)", ""]
    lines += ["| comparison | lang | metric | full | baseline | p-value |", "|---|---|---|---|---|---|"]
    for base_name, rows in extra["significance"].items():
        for lang, metric, a, b, p in rows:
            lines.append(f"| Full vs {base_name} | {lang} | {metric} | {_fmt(a)} | {_fmt(b)} | {p:.4f} |")
    lines += ["", "## Per question kind (point R@1 / clause R@1)", ""]
    kinds = sorted({q.kind for q in answerable})
    shown = [n for n in runs if n in ("BM25", "Dense", "Full", "Full (5-fold CV)")]
    lines += ["| kind | lang | n | " + " | ".join(shown) + " |", "|---|---|---|" + "---|" * len(shown)]
    for kind in kinds:
        for lang in langs:
            ids = [q.id for q in answerable if q.kind == kind and q.lang == lang]
            if not ids:
                continue
            cells = [
                f"{_fmt(mean_over(metrics[n]['point_recall@1'], ids))} / {_fmt(mean_over(metrics[n]['clause_recall@1'], ids))}"
                for n in shown
            ]
            lines.append(f"| {kind} | {lang} | {len(ids)} | " + " | ".join(cells) + " |")
    folded = extra.get("folded")
    if folded:
        lines += ["", "## Kazakh typed without Kazakh letters", ""]
        lines.append(
            f"{folded['n']} folded questions and their properly spelled twins, point R@1 (Full): "
            f"folded {_fmt(folded['folded'])}, spelled {_fmt(folded['spelled'])}, gap {_fmt(folded['spelled'] - folded['folded'])}."
        )
    lines += ["", "## Abstention (\"the act does not say\")", ""]
    lines += ["| system | out-of-scope refused (recall) | precision | answerable wrongly refused |", "|---|---|---|---|"]
    for name, stats in extra["abstention"].items():
        lines.append(f"| {name} | {_fmt(stats['recall'])} | {_fmt(stats['precision'])} | {_fmt(stats['false_refusal_rate'])} |")
    params = extra["params"]
    lines += [
        "",
        f"Threshold: abstain when P(answerable) < {params.abstain_threshold:.3f} (logistic model over "
        f"{', '.join(FEATURES)}; fitted so that at most 5% of answerable development questions are refused).",
        "",
        "## Language identification",
        "",
        "| detector | " + " | ".join(langs) + " | all |",
        "|---|" + "---|" * (len(langs) + 1),
    ]
    for name, acc in extra["langid"].items():
        lines.append(f"| {name} | " + " | ".join(_fmt(acc[l]) for l in langs) + f" | {_fmt(acc['all'])} |")
    lines += [
        "",
        "langdetect has no Kazakh profile, so it cannot name Kazakh at all; the product uses lingua restricted to the served languages.",
        "",
        "## Ablations (point R@1 / clause R@1)",
        "",
        "| variant | " + " | ".join(langs) + " |",
        "|---|" + "---|" * len(langs),
    ]
    for name, per_lang in extra["ablations"].items():
        lines.append(f"| {name} | " + " | ".join(f"{_fmt(a)} / {_fmt(b)}" for a, b in per_lang) + " |")
    w = params.weights
    lines += [
        "",
        "## Fitted parameters",
        "",
        f"Normalization `{params.normalization}`; signal weights {json.dumps(params.weights)}; "
        f"level priors {json.dumps(params.level_prior)}; "
        f"follow-up weight {params.followup_weight:g}; granularity by question scope: {params.settle_granularity}.",
        "",
        "![Recall@1 per system and language](report.png)",
        "",
    ]
    return "\n".join(lines)


def plot(metrics, runs, questions, qrels, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = sorted({q.lang for q in questions})
    names = list(runs)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (metric, title) in zip(axes, (("point_recall@1", "Point Recall@1"), ("clause_recall@1", "Clause Recall@1"))):
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            values = [
                mean_over(metrics[name][metric], [q.id for q in questions if q.lang == lang and qrels.get(q.id)])
                for lang in langs
            ]
            bars = ax.bar(np.arange(len(langs)) + i * width, values, width, label=name)
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks(np.arange(len(langs)) + width * (len(names) - 1) / 2, langs)
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
        ax.axhline(0.9 if metric.startswith("point") else 0.8, color="grey", linestyle="--", linewidth=0.8)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate_all(
    retriever: Retriever,
    questions: Sequence[Question],
    qrels,
    params: RetrievalParams,
    *,
    fit: bool = False,
    significance: bool = True,
    prefix_retriever: Retriever | None = None,
    log: Callable[[str], None] = print,
) -> tuple[str, dict, RetrievalParams]:
    """Run every system, fit when asked, and return (markdown report, results, params used)."""
    started = time.time()
    prepared = prepare(retriever, questions)
    if fit:
        log("fitting fusion weights ...")
        params = fit_fusion(retriever, prepared, qrels, params)
        run = run_system(retriever, prepared, params, "Full")
        coef, bias, threshold = fit_abstention(run, questions, qrels)
        params = replace(params, abstain_coef=coef, abstain_bias=bias, abstain_threshold=threshold)
    runs = {name: run_system(retriever, prepared, p, name) for name, p in baselines(params).items()}
    runs["Full"] = run_system(retriever, prepared, params, "Full")
    log("cross-validating ...")
    runs["Full (5-fold CV)"] = cross_validate(retriever, prepared, questions, qrels, params)
    metrics = {name: per_query_metrics(run, qrels) for name, run in runs.items()}
    answerable = [q for q in questions if qrels.get(q.id)]
    langs = sorted({q.lang for q in questions})
    significance_rows: dict[str, list] = {}
    if significance:
        for base in ("BM25", "Dense", "RRF(BM25,Dense)"):
            rows = []
            for lang in langs:
                ids = [q.id for q in answerable if q.lang == lang]
                for metric in ("point_recall@1", "clause_recall@1", "clause_mrr@10"):
                    a = [metrics["Full"][metric][i] for i in ids]
                    b = [metrics[base][metric][i] for i in ids]
                    rows.append((lang, metric, float(np.mean(a)), float(np.mean(b)), randomization_test(a, b)))
            significance_rows[base] = rows
    ablations = {}
    w = params.weights
    variants = {
        "Full": params,
        "− other-language evidence": replace(params, weights={**w, "dense_twin": 0.0, "lexical_twin": 0.0}),
        "− level priors": replace(params, level_prior={}),
        "− follow-up context": replace(params, followup_weight=0.0),
    }
    for name, p in variants.items():
        run = runs["Full"] if name == "Full" else run_system(retriever, prepared, p, name)
        m = per_query_metrics(run, qrels)
        ablations[name] = [
            (
                mean_over(m["point_recall@1"], [q.id for q in answerable if q.lang == l]),
                mean_over(m["clause_recall@1"], [q.id for q in answerable if q.lang == l]),
            )
            for l in langs
        ]
    if prefix_retriever is not None:
        run = run_system(prefix_retriever, prepare(prefix_retriever, questions), params, "prefix")
        m = per_query_metrics(run, qrels)
        ablations["Kazakh prefix-5 truncation instead of the suffix stripper"] = [
            (
                mean_over(m["point_recall@1"], [q.id for q in answerable if q.lang == l]),
                mean_over(m["clause_recall@1"], [q.id for q in answerable if q.lang == l]),
            )
            for l in langs
        ]
    twins = [q for q in questions if q.twin and qrels.get(q.id) and qrels.get(q.twin)]
    folded = None
    if twins:
        folded = {
            "n": len(twins),
            "folded": mean_over(metrics["Full"]["point_recall@1"], [q.id for q in twins]),
            "spelled": mean_over(metrics["Full"]["point_recall@1"], [q.twin for q in twins]),
        }
    extra = {
        "encoder": retriever.encoder.name,
        "significance": significance_rows,
        "abstention": {n: abstention_stats(runs[n], questions, qrels) for n in ("Full", "Full (5-fold CV)")},
        "langid": language_id(questions),
        "ablations": ablations,
        "folded": folded,
        "params": params,
    }
    extra["seconds"] = time.time() - started
    report = build_report(questions, qrels, runs, metrics, extra)
    summary = {
        name: {
            lang: {m: mean_over(metrics[name][m], [q.id for q in answerable if q.lang == lang]) for m, _ in REPORT_METRICS}
            for lang in langs
        }
        for name in runs
    }
    results = {
        "summary": summary,
        "abstention": extra["abstention"],
        "langid": extra["langid"],
        "folded": folded,
        "ablations": ablations,
        "runs": {name: run.ranked for name, run in runs.items()},
        "plot": (metrics, runs),
    }
    return report, results, params


def main(args) -> int:
    """`zanger eval`: evaluate (and with --fit, refit) on the development set; write the report."""
    from .assistant import Assistant
    from .settings import Settings

    settings = Settings.from_env(index_dir=args.index_dir, encoder=args.encoder)
    eval_dir = Path(getattr(args, "eval_dir", None) or default_eval_dir())
    if not (eval_dir / "questions.jsonl").is_file():
        print(f"no development set in {eval_dir} (run from a checkout of the repository)")
        return 2
    questions, qrels = load_dev_set(eval_dir)
    assistant = Assistant.load(settings, progress=True)
    retriever = assistant.retriever
    prefix = _prefix_retriever(retriever)
    report, results, params = evaluate_all(
        retriever, questions, qrels, retriever.params, fit=args.fit, significance=not args.no_significance,
        prefix_retriever=prefix,
    )
    if args.fit:
        params.save(PARAMS_FILE)
        print(f"fitted parameters written to {PARAMS_FILE}")
    report_path = Path(args.report) if args.report else eval_dir / "report.md"
    report_path.write_text(report, encoding="utf-8")
    metrics, runs = results.pop("plot")
    plot(metrics, runs, questions, qrels, report_path.with_suffix(".png"))
    results_path = report_path.with_name("results.json")
    results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    print(report)
    print(f"\nreport: {report_path}\nchart: {report_path.with_suffix('.png')}")
    return 0


def _prefix_retriever(retriever: Retriever) -> Retriever:
    """The same retriever with Kazakh stems replaced by 5-letter prefixes (the stemmer's baseline)."""
    from .normalization import fold_kazakh, tokenize
    from .stemming import KAZAKH_STOPWORDS, analyze, stem_prefix

    def prefix_analyze(text: str, lang: str) -> list[str]:
        if lang != "kk":
            return analyze(text, lang)
        tokens = (fold_kazakh(token) for token in tokenize(text))
        return [stem_prefix(t) for t in tokens if t not in KAZAKH_STOPWORDS and (len(t) > 1 or t.isdigit())]

    clauses = [c for lang in retriever.langs for c in retriever.by_lang[lang]]
    rows = np.concatenate([retriever._rows[lang] for lang in retriever.langs])
    return Retriever(clauses, retriever._vectors[rows], retriever.encoder, retriever.params, analyzer=prefix_analyze)
