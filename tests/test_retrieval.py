"""Retrieval pieces without the real model: fusion, conversation, answer selection, the eval harness."""
import json

import numpy as np
import pytest

from assistant.answer import Hit, compose, overlaps, select_hits
from assistant.conversation import Turn, followup_context, is_followup
from assistant.corpus import load_act
from assistant.encoders import load_encoder
from assistant.evaluation import (
    Question,
    evaluate_all,
    level_qrels,
    point_of,
    randomization_test,
)
from assistant.fusion import fuse_scores, normalize_scores, reciprocal_rank_fusion
from assistant.retrieval import EmbeddingCache, Retriever, RetrievalParams, heading_text, matching_text

ACT = load_act()
CLAUSES = {c.id: c for c in ACT.clauses("ru")}


@pytest.fixture(scope="module")
def retriever():
    encoder = load_encoder("hashing")
    clauses = ACT.all_clauses()
    vectors = encoder.encode_passages([matching_text(c) for c in clauses])
    return Retriever(clauses, vectors, encoder, RetrievalParams(), style=ACT.citation_style)


def test_normalize_scores():
    assert normalize_scores(np.array([1.0, 3.0, 2.0])).tolist() == [0.0, 1.0, 0.5]
    assert normalize_scores(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    z = normalize_scores(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        normalize_scores(np.array([1.0]), "nope")


def test_fuse_and_rrf():
    signals = {"a": np.array([1.0, 0.0, 0.5]), "b": np.array([0.0, 1.0, 0.5])}
    assert fuse_scores(signals, {"a": 2.0, "b": 1.0}).tolist() == [2.0, 1.0, 1.5]
    assert fuse_scores(signals, {}).tolist() == [0.0, 0.0, 0.0]
    rrf = reciprocal_rank_fusion(signals, k=60)
    assert rrf[2] == pytest.approx(2 / 62) and rrf[0] == pytest.approx(1 / 61 + 1 / 63)


def test_embedding_cache_is_bounded():
    cache = EmbeddingCache(2)
    for key in "abc":
        cache.put(key, np.ones(2))
    assert cache.get("a") is None and cache.get("c") is not None and cache.hits == 1


@pytest.mark.parametrize(
    "question,lang,expected",
    [
        ("А кто его назначает?", "ru", True),
        ("а обязанности?", "ru", True),
        ("Ал оны кім тағайындайды?", "kk", True),
        ("Ал міндеттері ше?", "kk", True),
        ("ал ол кайда жариялануы керек", "kk", True),
        ("Кто возглавляет прокуратуру района?", "ru", False),
        ("Когда приказ вступает в силу?", "ru", False),
        ("Аудан прокуратурасын кім басқарады?", "kk", False),
        ("", "ru", False),
    ],
)
def test_followup_detection(question, lang, expected):
    assert is_followup(question, lang) is expected


def test_followup_context_walks_back_to_a_self_contained_question():
    history = [Turn("Кто возглавляет прокуратуру района?", "ru"), Turn("А кто его назначает?", "ru")]
    assert followup_context("А освобождает?", "ru", history) == [
        ("А кто его назначает?", "ru"),
        ("Кто возглавляет прокуратуру района?", "ru"),
    ]
    assert followup_context("Когда приказ вступает в силу?", "ru", history) == []
    assert followup_context("А кто его назначает?", "ru", []) == []


def test_overlaps_and_select_hits():
    p8, l1, l2 = CLAUSES["regulation.p8"], CLAUSES["regulation.p8.l1"], CLAUSES["regulation.p8.l2"]
    s3, d3 = CLAUSES["regulation.p8.l1.s3"], CLAUSES["regulation.p8.l2.s3"]
    assert overlaps(p8, s3) and overlaps(l1, s3) and not overlaps(l2, s3) and not overlaps(s3, d3)
    assert not overlaps(CLAUSES["regulation.p10"], s3)
    ranked = [Hit(c, "", 1.0) for c in (l1, s3, d3, p8, CLAUSES["regulation.p10"])]
    assert [h.clause.id for h in select_hits(ranked, 3)] == ["regulation.p8.l1", "regulation.p8.l2.s3", "regulation.p10"]


def test_compose_texts():
    hit = Hit(CLAUSES["regulation.p8.l2.s7"], "подпункт 7) пункта 8 Положения (обязанности)", 1.0)
    text = compose("ru", [hit], abstained=False)
    assert text == (
        "Подпункт 7) пункта 8 Положения (обязанности):\n«Прокуратура района и приравненная к ней прокуратура обязана: … "
        "7) совершенствовать свою деятельность с приоритетом повышения доверия населения;»"
    )
    assert compose("ru", [hit], abstained=True).startswith("В приказе № 127")


def test_heading_text():
    assert heading_text(CLAUSES["regulation.p8.l1"], ACT.citation_style) == (
        "пункт 8 Положения (права)\nПрокуратура района и приравненная к ней прокуратура вправе:"
    )
    assert heading_text(CLAUSES["regulation.p10"], ACT.citation_style) == "пункт 10 Положения"
    assert "подписал" in heading_text(CLAUSES["order.signature"], ACT.citation_style)


def test_granularity_follows_the_question_scope(retriever):
    # lexical evidence only, so the hashing encoder's noise cannot decide
    params = RetrievalParams(weights={"lexical": 1.0, "heading": 1.0})
    whole = retriever.rank_signals("права прокуратуры района", "ru", retriever.signals("права прокуратуры района", "ru"), params=params)
    assert whole.ids[0] == "regulation.p8.l1"
    one = "назначать экспертизы"
    assert retriever.rank_signals(one, "ru", retriever.signals(one, "ru"), params=params).ids[0] == "regulation.p8.l1.s5"


def test_retriever_refuses_misaligned_languages():
    encoder = load_encoder("hashing")
    clauses = ACT.clauses("ru") + ACT.clauses("kk")[:-1]
    with pytest.raises(ValueError, match="same ids"):
        Retriever(clauses, encoder.encode_passages([c.text for c in clauses]), encoder)


def test_qrels_levels_and_points():
    assert point_of("regulation.p8.l2.s3") == "regulation.p8" and point_of("order.signature") == "order.signature"
    levels = level_qrels({"q": {"regulation.p8.l2.s3": 2, "regulation.p8": 1}, "oos": {}})
    assert levels["best"] == {"q": {"regulation.p8.l2.s3": 1}}
    assert levels["point"] == {"q": {"regulation.p8": 2}}
    assert "oos" not in levels["clause"]


def test_randomization_test():
    assert randomization_test([1, 1, 1, 1] * 10, [1, 1, 1, 1] * 10) == 1.0
    assert randomization_test([1] * 30, [0] * 30) < 0.001


def test_eval_harness_reports_baselines_and_significance(retriever):
    questions = [
        Question("r1", "ru", "Кто возглавляет прокуратуру района?", "paraphrase"),
        Question("r2", "ru", "А кто его назначает?", "followup", ("Кто возглавляет прокуратуру района?",)),
        Question("r3", "ru", "права прокуратуры района", "keyword"),
        Question("r4", "ru", "Какая погода будет завтра?", "out_of_scope"),
        Question("k1", "kk", "Аудан прокуратурасын кім басқарады?", "paraphrase"),
        Question("k2", "kk", "аудан прокуратурасын ким баскарады", "folded", twin="k1"),
        Question("k3", "kk", "Ертең ауа райы қандай болады?", "out_of_scope"),
    ]
    qrels = {
        "r1": {"regulation.p10": 2}, "r2": {"regulation.p10": 2}, "r3": {"regulation.p8.l1": 2, "regulation.p8": 1},
        "r4": {}, "k1": {"regulation.p10": 2}, "k2": {"regulation.p10": 2}, "k3": {},
    }
    report, results, params = evaluate_all(retriever, questions, qrels, RetrievalParams(), fit=False, log=lambda _: None)
    assert set(results["summary"]) == {"BM25", "Dense", "RRF(BM25,Dense)", "Full", "Full (5-fold CV)"}
    assert results["summary"]["BM25"]["ru"]["point_recall@1"] == pytest.approx(1.0)
    assert "| Full vs BM25 | ru | point_recall@1 |" in report
    assert results["langid"]["lingua"]["all"] == 1.0 and results["langid"]["langdetect"]["kk"] == 0.0
    assert results["folded"]["n"] == 1
    json.dumps({k: v for k, v in results.items() if k != "plot"}, default=float)


def test_fitted_parameters_ship_with_the_package():
    from assistant.retrieval import PARAMS_FILE, SIGNALS

    assert PARAMS_FILE.is_file()
    params = RetrievalParams.load()
    assert set(params.weights) <= set(SIGNALS) and params.weights.get("lexical") == 1.0
    assert params.abstain_coef and 0.0 < params.abstain_threshold < 1.0
