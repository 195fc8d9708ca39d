"""The evaluation harness, fitting and the abstention model, on small sets (no real model except where marked)."""
import json

import numpy as np
import pytest

from assistant import abstention
from assistant.evaluation import EvalSet, FitBudget, Question, evaluate
from assistant.evaluation.report import build_report
from assistant.evaluation.runs import SystemRun, agreement, disagreements, prepare, randomization_test, run_system
from assistant.params import ParamsError, RetrievalParams
from assistant.pipeline import Pipeline

from test_retrieval import ACT, make_retriever

QUESTIONS = (
    Question("r1", "ru", "Кто возглавляет прокуратуру района?", "paraphrase", pair="p1"),
    Question("r2", "ru", "А кто его назначает?", "followup", ("Кто возглавляет прокуратуру района?",)),
    Question("r3", "ru", "права прокуратуры района", "keyword", pair="p2"),
    Question("r4", "ru", "Какая погода будет завтра?", "out_of_scope", pair="p3"),
    Question("r5", "ru", "Кто подписал приказ?", "order"),
    Question("k1", "kk", "Аудан прокуратурасын кім басқарады?", "paraphrase", pair="p1"),
    Question("k2", "kk", "аудан прокуратурасын ким баскарады", "folded", twin="k1"),
    Question("k3", "kk", "Ертең ауа райы қандай болады?", "out_of_scope", pair="p3"),
    Question("k4", "kk", "аудан прокуратурасының құқықтары", "keyword", pair="p2"),
    Question("k5", "kk", "Бұйрыққа кім қол қойды?", "order"),
)
QRELS = {
    "r1": {"regulation.p10": 2}, "r2": {"regulation.p10": 2}, "r3": {"regulation.p8.l1": 2, "regulation.p8": 1},
    "r4": {}, "r5": {"order.signature": 2}, "k1": {"regulation.p10": 2}, "k2": {"regulation.p10": 2}, "k3": {},
    "k4": {"regulation.p8.l1": 2}, "k5": {"order.signature": 2},
}


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(make_retriever(ACT.all_clauses()), RetrievalParams(weights={"lexical": 1.0, "heading": 1.0, "document": 1.0}))


def test_the_harness_reports_every_system_target_and_agreement(pipeline):
    dev = EvalSet("dev", QUESTIONS, QRELS)
    test = EvalSet("test", QUESTIONS[:4] + QUESTIONS[5:9], QRELS)
    budget = FitBudget(rounds=1, folds=2)
    results, params = evaluate(pipeline, dev, test, fit_params=True, significance=True, budget=budget, log=lambda _: None)
    systems = {(s, name) for s, name, _, _ in results["table"]}
    assert {("test", "BM25"), ("test", "Dense"), ("test", "Full"), ("dev", "Full (2-fold CV)")} <= systems
    assert set(results["targets"]["ru"]) == {key for _, key, _, _ in __import__("assistant.evaluation.report", fromlist=["TARGETS"]).TARGETS}
    assert results["agreement"]["dev"]["all"]["n"] == 3 == sum(results["disagreements"]["dev"].values())
    assert results["langid"]["lingua"]["all"] == 1.0 and results["langid"]["langdetect"]["kk"] == 0.0
    assert set(params.abstain_coef) == set(abstention.FEATURES)
    report = build_report(results, budget, 10_000)
    assert "## Targets (test split)" in report and "2-fold" in report and "| Full vs BM25 |" in report
    assert "| other clause first: right in one language |" in report
    assert results["folded"]["written"]["n"] == 1 and results["folded"]["typed"]["n"] == 3
    assert "| every other answerable Kazakh question, folded" in report
    assert " s." not in report.split("\n")[2]  # no run time in the report: an unchanged method leaves it unchanged
    json.dumps(results, default=float)


def test_kazakh_questions_are_typed_again_without_kazakh_letters():
    from assistant.evaluation.dataset import typed_folded

    typed = typed_folded(EvalSet("dev", QUESTIONS, QRELS))
    assert [(q.id, q.twin, q.kind) for q in typed.questions] == [("k1~folded", "k1", "folded"), ("k4~folded", "k4", "folded"),
                                                                 ("k5~folded", "k5", "folded")]
    assert typed.questions[0].text == "Аудан прокуратурасын ким баскарады?"  # the folded k2 and the out-of-scope k3 stay out
    assert not any(set("әғқңөұүһі") & set(q.text.lower()) for q in typed.questions)
    assert typed.qrels == {"k1~folded": QRELS["k1"], "k4~folded": QRELS["k4"], "k5~folded": QRELS["k5"]}


def test_pairs_that_disagree_are_told_apart_by_why():
    best = {i: {"regulation.p10": 2, "regulation.p13": 1} for i in range(4)}
    best |= {4: {}, 5: {}, 6: {"regulation.p10": 2, "regulation.p13": 2}}
    pairs = tuple(
        Question(f"{lang}{i}", lang, f"{lang} {i}", "paraphrase" if best[i] else "out_of_scope", pair=f"p{i}")
        for i in best for lang in ("ru", "kk")
    )
    qrels = {f"{lang}{i}": graded for i, graded in best.items() for lang in ("ru", "kk")}
    first = {  # (ru, kk) clause first, (ru, kk) verdict
        0: (("regulation.p10", "regulation.p10"), ("answered", "answered")),  # agreed
        1: (("regulation.p10", "regulation.p13"), ("answered", "answered")),  # right in ru only
        2: (("regulation.p13", "regulation.p1"), ("answered", "answered")),  # right in neither (p13 is not the best)
        3: (("regulation.p10", "regulation.p10"), ("answered", "partial")),  # verdicts differ, answerable
        4: (("regulation.p1", "regulation.p2"), ("not_in_act", "not_in_act")),  # refused alike: agreed
        5: (("regulation.p1", "regulation.p2"), ("partial", "partial")),  # both partial, other closest clause
        6: (("regulation.p10", "regulation.p13"), ("answered", "answered")),  # each one of two best clauses
    }
    ranked = {f"{lang}{i}": [clauses[j]] for i, (clauses, _) in first.items() for j, lang in enumerate(("ru", "kk"))}
    verdict = {f"{lang}{i}": verdicts[j] for i, (_, verdicts) in first.items() for j, lang in enumerate(("ru", "kk"))}
    run, evalset = SystemRun("x", ranked, {}, {}, verdict), EvalSet("dev", pairs, qrels)
    assert disagreements(run, evalset) == {
        "agreed": 2, "verdicts differ: out of scope": 0, "verdicts differ: answerable": 1,
        "both partial, other closest clause": 1, "other clause first: right in one language": 1,
        "other clause first: right in neither": 1, "other clause first: two clauses equally best": 1,
    }
    assert agreement(run, evalset)["all"] == {"n": 7, "agreement": 2 / 7}


def test_fitting_answerability_only_keeps_the_fusion_weights(pipeline):
    from assistant.evaluation.fitting import fit

    dev = EvalSet("dev", QUESTIONS, QRELS)
    prepared = prepare(pipeline, QUESTIONS)
    kept = fit(pipeline, prepared, QUESTIONS, QRELS, pipeline.params, FitBudget(rounds=1, folds=2, fusion=False))
    assert kept.weights == pipeline.params.weights and kept.normalization == pipeline.params.normalization
    assert set(kept.abstain_coef) == set(abstention.FEATURES) and kept.abstain_threshold
    refitted = fit(pipeline, prepared, QUESTIONS, QRELS, pipeline.params, FitBudget(rounds=1, folds=2))
    assert refitted.weights != pipeline.params.weights  # the full fit starts from every signal, not from these
    report = build_report(evaluate(pipeline, dev, None, fit_params=True, significance=False, budget=FitBudget(rounds=1, folds=2, fusion=False),
                                   log=lambda _: None)[0], FitBudget(rounds=1, folds=2, fusion=False), 10)
    assert "Fusion weights kept as given" in report


def test_cross_validation_holds_out_one_writer_at_a_time(pipeline, tmp_path):
    from dataclasses import asdict, replace

    from assistant.evaluation import load_set
    from assistant.evaluation.fitting import writer_folds

    named = tuple(replace(q, writer="a" if q.id in {"r1", "r2", "r3", "k1", "k2"} else "b") for q in QUESTIONS)
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(asdict(q), ensure_ascii=False) for q in named), encoding="utf-8")
    (tmp_path / "qrels.json").write_text(json.dumps(QRELS), encoding="utf-8")
    assert [q.writer for q in load_set(tmp_path, "dev").questions] == [q.writer for q in named]
    splits = writer_folds(named)
    assert [({named[i].writer for i in kept}, {named[i].writer for i in held}) for kept, held in splits] == [({"b"}, {"a"}), ({"a"}, {"b"})]
    assert all(sorted(kept + held) == list(range(len(named))) for kept, held in splits)
    assert writer_folds(QUESTIONS) is None and writer_folds((QUESTIONS[0], *named[1:])) is None  # all name one, or k-fold
    budget = FitBudget(rounds=1, folds=2, fusion=False)
    results, _ = evaluate(pipeline, EvalSet("dev", named, QRELS), None, fit_params=False, significance=False, budget=budget, log=lambda _: None)
    assert ("dev", "Full (CV, 2 writers, each held out)") in {(s, name) for s, name, _, _ in results["table"]}
    assert [(w, lang, n, oos) for w, lang, n, oos, *_ in results["writers"]] == [("a", "kk", 2, 0), ("a", "ru", 3, 0), ("b", "kk", 2, 1), ("b", "ru", 1, 1)]
    report = build_report(results, budget, 10)
    assert "## Per writer (dev, cross-validated" in report and "not refitted by this run" in report


def test_evaluation_and_service_share_one_decision(pipeline):
    """The evaluation's prepared path and the service's `run` give the same ranking and verdict."""
    prepared = prepare(pipeline, QUESTIONS)
    run = run_system(pipeline, prepared, QUESTIONS, pipeline.params, "Full")
    for q in QUESTIONS:
        context = [] if not q.history else [(q.history[0], q.lang)]
        decision = pipeline.run(q.text, q.lang, context)
        assert run.verdict[q.id] == decision.verdict
        assert run.ranked[q.id][0] == decision.ids[0]


def test_logistic_fit_separates_and_thresholds_respect_the_budget():
    rng = np.random.default_rng(0)
    rows = [{name: float(rng.normal()) for name in abstention.FEATURES} for _ in range(200)]
    labels = [int(row["coverage"] > 0) for row in rows]
    coef, bias = abstention.fit(rows, labels)
    assert coef["coverage"] > 0 and abs(coef["coverage"]) == max(abs(v) for v in coef.values())
    p = [abstention.probability(r, coef, bias) for r in rows]
    answer, refuse = abstention.thresholds(p, labels, 0.05, 0.01)
    answerable = [x for x, y in zip(p, labels) if y]
    assert sum(x < answer for x in answerable) <= 0.05 * len(answerable)
    assert sum(x < refuse for x in answerable) <= 0.01 * len(answerable) and refuse <= answer
    # held at a confidence for new questions, the budget allows fewer refusals of the questions it is set on
    sure, _ = abstention.thresholds(p, labels, 0.05, 0.01, confidence=0.75)
    assert sure < answer and sum(x < sure for x in answerable) < sum(x < answer for x in answerable)
    params = RetrievalParams(abstain_threshold={"ru": answer, "kk": 0.99}, refuse_threshold={"ru": refuse, "kk": 0.5})
    assert abstention.verdict(1.0, params, "ru") == "answered" and abstention.verdict(0.0, params, "ru") == "not_in_act"
    assert abstention.verdict((answer + refuse) / 2, params, "ru") in ("partial", "answered")
    # each language is judged by its own thresholds; one without any, by the strictest
    assert abstention.verdict(0.9, params, "kk") == "partial" and abstention.verdict(0.9, params, "en") == "partial"


def test_params_file_is_required_and_checked(tmp_path):
    with pytest.raises(ParamsError, match="missing.json"):
        RetrievalParams.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"weights": {}, "surprise": 1}')
    with pytest.raises(ParamsError, match="surprise"):
        RetrievalParams.load(tmp_path / "bad.json")
    RetrievalParams(weights={"lexical": 1.0}).save(tmp_path / "ok.json")
    assert RetrievalParams.load(tmp_path / "ok.json").weights == {"lexical": 1.0}


def test_randomization_test():
    assert randomization_test([1, 1, 1, 1] * 10, [1, 1, 1, 1] * 10, 1000) == 1.0
    assert randomization_test([1] * 30, [0] * 30, 1000) < 0.01
