"""The evaluation report: markdown tables (targets, systems, kinds, agreement, abstention, ablations)
and a chart. It holds only results and the parameters that produced them, so an unchanged method
leaves it unchanged."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..abstention import FEATURES
from .fitting import FitBudget
from .runs import PAIR_OUTCOMES

METRICS = (
    ("point_recall@1", "P-R@1"), ("point_recall@3", "P-R@3"), ("point_recall@5", "P-R@5"),
    ("clause_recall@1", "C-R@1"), ("clause_recall@5", "C-R@5"), ("clause_mrr@10", "MRR@10"), ("clause_ndcg@10", "nDCG@10"),
)
# Issue #10's targets, per language on the frozen test split: (label, key, target, higher is better)
TARGETS = (
    ("point R@1", "point_recall@1", 0.92, True),
    ("point R@5", "point_recall@5", 0.98, True),
    ("clause R@1", "clause_recall@1", 0.85, True),
    ("questions about the order, point R@1", "order_point_recall@1", 0.90, True),
    ("out of scope refused", "oos_refused", 0.85, True),
    ("answerable wrongly refused", "false_refusals", 0.05, False),
    ("same clause first in ru and kk (pairs)", "agreement", 0.95, True),
)


def fmt(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def build_report(results: dict, budget: FitBudget, rounds: int) -> str:
    """The markdown report from `evaluate`'s results."""
    langs = results["langs"]
    sets = results["sets"]
    lines = ["# Retrieval evaluation", ""]
    described = []
    for name, s in sets.items():
        per_lang = ", ".join(f"{lang}: {s['per_lang'][lang]}" for lang in langs)
        described.append(f"**{name}** {s['n']} questions ({per_lang}), {s['out_of_scope']} out of scope")
    lines.append("Sets: " + "; ".join(described) + f". Encoder: `{results['encoder']}`.")
    lines += [
        "",
        "The **test** split (`eval/test/`) was written blind from the act's texts and is never fitted on: its rows "
        "are the estimate for unseen questions. The **dev** set is fitted on; its cross-validated row (each "
        "writer's questions judged by parameters fitted on the other writers' questions, fusion weights included; "
        f"{budget.folds}-fold for a set that does not name its writers) is the other honest figure, "
        "and its fitted row is a training figure only.",
        "",
        "P-R@k: a clause of the right point in the top k. C-R@k: the best clause itself (the subpoint when the "
        "question is about one). MRR@10 and nDCG@10 on graded clause qrels. Computed with ranx on the "
        "deduplicated lists users see. \"Refused\": any verdict but *answered*.",
        "",
        "## Targets (test split)",
        "",
        "| metric | " + " | ".join(langs) + " | target | met |",
        "|---|" + "---|" * (len(langs) + 2),
    ]
    for label, key, target, higher in TARGETS:
        values = [results["targets"][lang][key] for lang in langs]
        met = all((v >= target) if higher else (v <= target) for v in values if v == v)
        sign = "≥" if higher else "≤"
        lines.append(f"| {label} | " + " | ".join(fmt(v) for v in values) + f" | {sign} {target:.2f} | {'yes' if met else 'no'} |")
    lines += ["", "## Systems, per language", ""]
    lines += ["| set | system | lang | " + " | ".join(label for _, label in METRICS) + " |", "|---|---|---|" + "---|" * len(METRICS)]
    for set_name, system, lang, row in results["table"]:
        lines.append(f"| {set_name} | {system} | {lang} | " + " | ".join(fmt(row[m]) for m, _ in METRICS) + " |")
    lines += ["", f"## Significance (test split, paired randomization test, {rounds:,} rounds, two-sided)", ""]
    lines += ["| comparison | lang | metric | Full | baseline | p-value |", "|---|---|---|---|---|---|"]
    for base, lang, metric, a, b, p in results["significance"]:
        lines.append(f"| Full vs {base} | {lang} | {metric} | {fmt(a)} | {fmt(b)} | {p:.4f} |")
    if not results["significance"]:
        lines.append("| (skipped: --no-significance) | | | | | |")
    if results.get("writers"):
        lines += ["", "## Per writer (dev, cross-validated: each writer held out in turn)", "",
                  "Each writer's questions judged by parameters fitted on the others': the spread is how far one new "
                  "writer's figures can land from the average, and a change smaller than it needs more than one set to show.", ""]
        lines += ["| writer | lang | answerable | out of scope | P-R@1 | C-R@1 | out of scope refused | answerable refused |",
                  "|---|---|---|---|---|---|---|---|"]
        for writer, lang, n, oos, p1, c1, refused, wrongly in results["writers"]:
            lines.append(f"| {writer} | {lang} | {n} | {oos} | {fmt(p1)} | {fmt(c1)} | {fmt(refused)} | {fmt(wrongly)} |")
    lines += ["", "## Per question kind (point R@1 / clause R@1)", ""]
    shown = results["kind_systems"]
    lines += ["| set | kind | lang | n | " + " | ".join(shown) + " |", "|---|---|---|---|" + "---|" * len(shown)]
    for set_name, kind, lang, n, cells in results["kinds"]:
        lines.append(f"| {set_name} | {kind} | {lang} | {n} | " + " | ".join(f"{fmt(a)} / {fmt(b)}" for a, b in cells) + " |")
    lines += ["", "## The same question in Russian and in Kazakh (agreement@1: same clause first, same verdict)", ""]
    lines += ["| set | kind | pairs | agreement@1 |", "|---|---|---|---|"]
    for set_name, per_kind in results["agreement"].items():
        for kind, row in per_kind.items():
            lines.append(f"| {set_name} | {kind} | {row['n']} | {fmt(row['agreement'])} |")
    outcomes = results.get("disagreements")
    if outcomes:
        lines += ["", "How the pairs came out: a verdict part (the two languages judged answerability apart) and a ranking "
                  "part (the same verdict, another clause first; *right* is the best clause of the qrels).", ""]
        lines += ["| set | pairs | " + " | ".join(PAIR_OUTCOMES) + " |", "|---|---|" + "---|" * len(PAIR_OUTCOMES)]
        for set_name, counts in outcomes.items():
            lines.append(f"| {set_name} | {sum(counts.values())} | " + " | ".join(str(counts[o]) for o in PAIR_OUTCOMES) + " |")
    lines += ["", "## Answerability (three verdicts)", ""]
    lines += [
        "| set | system | out of scope refused | of them *not in the act* | precision | answerable refused | of them *not in the act* |",
        "|---|---|---|---|---|---|---|",
    ]
    for set_name, system, s in results["abstention"]:
        lines.append(
            f"| {set_name} | {system} | {fmt(s['recall'])} | {fmt(s['oos_not_in_act'])} | {fmt(s['precision'])} | "
            f"{fmt(s['false_refusal_rate'])} | {fmt(s['answerable_not_in_act'])} |"
        )
    params = results["params"]
    lines += [
        "",
        "Verdicts: *answered* when P(answerable) ≥ "
        + ", ".join(f"{t:.3f} ({lang})" for lang, t in sorted(params["abstain_threshold"].items()))
        + ", *not in the act* below "
        + ", ".join(f"{t:.3f} ({lang})" for lang, t in sorted(params["refuse_threshold"].items()))
        + f", *partial* (\"the act does not answer this directly; the closest clauses are…\") between. Logistic model "
        f"(scikit-learn) over {', '.join(FEATURES)}; thresholds fitted per language so that at most "
        f"{budget.max_false_refusals:.0%} of each language's answerable development questions are not answered directly "
        f"(held at {budget.confidence:.0%} one-sided confidence for new questions: Clopper-Pearson upper bound on "
        f"the out-of-fold probabilities) and at most {budget.max_false_rejections:.0%} are called not in the act.",
    ]
    folded = results.get("folded") or {}
    if any(folded.values()):
        lines += ["", "## Kazakh typed without Kazakh letters (dev, Full, fitted)", "",
                  "| questions | n | point R@1 folded / spelled | clause R@1 folded / spelled | answered folded / spelled |",
                  "|---|---|---|---|---|"]
        described = {"written": "written folded by the writers, against their spelled twins",
                     "typed": "every other answerable Kazakh question, folded by `fold_kazakh` (ә→а, қ→к, і→и, ...)"}
        for key, label in described.items():
            row = folded.get(key)
            if row:
                lines.append(f"| {label} | {row['n']} | " + " | ".join(f"{fmt(row[k][0])} / {fmt(row[k][1])}" for k in ("point", "clause", "answered")) + " |")
        if folded.get("typed"):
            lines += ["", f"lingua names Kazakh for {fmt(folded['typed']['detected'])} of the mechanically folded questions."]
    lines += ["", "## Language identification (dev and test)", "", "| detector | " + " | ".join(langs) + " | all |", "|---|" + "---|" * (len(langs) + 1)]
    for name, acc in results["langid"].items():
        lines.append(f"| {name} | " + " | ".join(fmt(acc[l]) for l in langs) + f" | {fmt(acc['all'])} |")
    lines += [
        "",
        "langdetect has no Kazakh profile, so it cannot name Kazakh at all; the product uses lingua restricted to the served languages.",
        "",
        "## Ablations (test split; point R@1 / clause R@1, and out of scope refused / answerable refused)",
        "",
        "| variant | " + " | ".join(langs) + " | refused (oos / answerable) |",
        "|---|" + "---|" * (len(langs) + 1),
    ]
    for name, per_lang, refusals in results["ablations"]:
        cells = " | ".join(f"{fmt(a)} / {fmt(b)}" for a, b in per_lang)
        lines.append(f"| {name} | {cells} | {fmt(refusals[0])} / {fmt(refusals[1])} |")
    lines += [
        "",
        "## Fitted parameters",
        "",
        {
            "all": f"Fusion weights: coordinate ascent, {budget.rounds} rounds at most.",
            "abstention": "Fusion weights kept as given (`--fit abstention` refits the answerability model only); fitted "
                          "by coordinate ascent before.",
            None: "The parameters in use, not refitted by this run (`--fit` refits them).",
        }[results.get("fitted")] + f" Normalization `{params['normalization']}`; signal weights "
        f"{json.dumps(params['weights'])}; level priors {json.dumps(params['level_prior'])}; follow-up weight "
        f"{params['followup_weight']:g}; granularity by question scope: {params['settle_granularity']}.",
        "",
        "![Recall@1 per system and language](report.png)",
        "",
    ]
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    """Point and clause Recall@1 per system and language on the test split, against the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = results["langs"]
    rows = {(system, lang): row for set_name, system, lang, row in results["table"] if set_name == "test"}
    names = list(dict.fromkeys(system for system, _ in rows))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (metric, title, target) in zip(axes, (("point_recall@1", "Point Recall@1 (test)", 0.92), ("clause_recall@1", "Clause Recall@1 (test)", 0.85))):
        width = 0.8 / max(1, len(names))
        for i, name in enumerate(names):
            values = [rows[(name, lang)][metric] for lang in langs]
            bars = ax.bar(np.arange(len(langs)) + i * width, values, width, label=name)
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks(np.arange(len(langs)) + width * (len(names) - 1) / 2, langs)
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
        ax.axhline(target, color="grey", linestyle="--", linewidth=0.8)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
