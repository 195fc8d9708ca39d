"""Retrieval pieces without the real model: fusion, conversation, answer selection, the eval harness."""
import numpy as np
import pytest

from assistant.answer import Hit, compose, overlaps, select_hits
from assistant.conversation import Turn, followup_context, is_followup
from assistant.corpus import load_act
from assistant.encoders import load_encoder
from assistant.dense import DenseIndex, build_faiss
from assistant.fusion import normalize_scores, normalize_signals, reciprocal_rank_fusion, weighted_sum
from assistant.lexicon import Lexicon
from assistant.lists import asks_other
from assistant.params import RetrievalParams
from assistant.pipeline import Pipeline
from assistant.retrieval import EmbeddingCache, Retriever, heading_text, matching_text
from assistant.stemming import analyze

ACT = load_act()
CLAUSES = {c.id: c for c in ACT.clauses("ru")}


def make_retriever(clauses, ivf_min_vectors=10**9, candidates=200, lexicon=None):
    encoder = load_encoder("hashing")
    vectors = encoder.encode_passages([matching_text(c) for c in clauses])
    return Retriever(
        clauses, DenseIndex(build_faiss(vectors, ivf_min_vectors), nprobe=8), encoder, style=ACT.citation_style,
        analyzer=analyze, lexicon=lexicon or Lexicon.from_dict(ACT.lexicon, analyze), naming=ACT.naming(),
        cache_size=16, candidates=candidates,
    )


@pytest.fixture(scope="module")
def retriever():
    return make_retriever(ACT.all_clauses())


def test_normalize_scores():
    assert normalize_scores(np.array([1.0, 3.0, 2.0])).tolist() == [0.0, 1.0, 0.5]
    assert normalize_scores(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    z = normalize_scores(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        normalize_scores(np.array([1.0]), "nope")


def test_fuse_and_rrf():
    signals = {"a": np.array([1.0, 0.0, 0.5]), "b": np.array([0.0, 1.0, 0.5])}
    normalized = normalize_signals(signals, "minmax")
    assert weighted_sum(normalized, {"a": 2.0, "b": 1.0}, 3).tolist() == [2.0, 1.0, 1.5]
    assert weighted_sum(normalized, {}, 3).tolist() == [0.0, 0.0, 0.0]
    assert weighted_sum(normalized, {"a": 1.0, "missing": 5.0}, 3).tolist() == [1.0, 0.0, 0.5]
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
    text = compose("ru", [hit], "answered")
    assert text == (
        "Подпункт 7) пункта 8 Положения (обязанности):\n«Прокуратура района и приравненная к ней прокуратура обязана: … "
        "7) совершенствовать свою деятельность с приоритетом повышения доверия населения;»"
    )
    assert compose("ru", [hit], "not_in_act").startswith("В приказе № 127")
    assert compose("ru", [hit], "partial").startswith("Прямого ответа на этот вопрос")
    assert compose("kk", [], "answered").startswith("№ 127 бұйрықта")


def test_heading_text():
    assert heading_text(CLAUSES["regulation.p8.l1"], ACT.citation_style) == (
        "пункт 8 Положения (права)\nПрокуратура района и приравненная к ней прокуратура вправе:"
    )
    assert heading_text(CLAUSES["regulation.p10"], ACT.citation_style) == "пункт 10 Положения"
    assert "подписал" in heading_text(CLAUSES["order.signature"], ACT.citation_style)


def test_granularity_follows_the_question_scope(retriever):
    # lexical evidence only, so the hashing encoder's noise cannot decide
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0, "heading": 1.0}, normalization="minmax"))
    assert pipeline.run("права прокуратуры района", "ru").ids[0] == "regulation.p8.l1"
    assert pipeline.run("назначать экспертизы", "ru").ids[0] == "regulation.p8.l1.s5"


def test_a_followup_naming_the_other_list_gets_that_list(retriever):
    """After the rights, "а обязанности?" asks for the duties: the history's subpoints lead the fused ranking, but
    the question names the other list, by the act's own name for it (the Kazakh rights list's lead-in also says
    "міндеттерін", to perform its duties), and not by the verb that asks ("нені істеуге міндетті")."""
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0}, normalization="minmax", followup_weight=1.0))
    rights = [("Аудан прокуратурасының құқықтары қандай?", "kk")]
    assert pipeline.run("Аудан прокуратурасының құқықтары қандай?", "kk").ids[0] == "regulation.p8.l1"
    assert pipeline.run("ал міндеттері ше?", "kk", rights).ids[0] == "regulation.p8.l2"
    assert pipeline.run("Ал ол нені істеуге міндетті?", "kk", rights).ids[0] == "regulation.p8.l2"
    assert pipeline.run("А обязанности?", "ru", [("Какие права у прокуратуры района?", "ru")]).ids[0] == "regulation.p8.l2"


def test_a_residual_subpoint_names_its_list(retriever):
    """"3) осуществляет иные полномочия": the powers of point 13 are the whole point, "other powers" that subpoint."""
    # the items' name and the residual's predicate: what the list's items are and what is done with them
    assert retriever._item_names[(retriever._position["regulation.p13"], "ru")] == {"осуществля", "полномоч"}
    assert retriever._item_names[(retriever._position["regulation.p13"], "kk")] == {"окилет", "жузе", "асыр"}
    assert retriever._item_names[(retriever._position["regulation.p6"], "ru")] == {"задач"}
    assert retriever._position["regulation.p8.l2.s8"] in retriever._residuals
    assert retriever._position["regulation.p8.l2.s7"] not in retriever._residuals
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0, "heading": 1.0}, normalization="minmax"))
    assert pipeline.run("полномочия прокурора района", "ru").ids[0] == "regulation.p13"
    assert pipeline.run("аудан прокурорының орынбасары функциялары", "kk").ids[0] == "regulation.p14"
    assert pipeline.run("может ли прокурор района осуществлять другие полномочия", "ru").ids[0] == "regulation.p13.s3"
    assert pipeline.run("какие полномочия осуществляет прокурор района", "ru").ids[0] == "regulation.p13"


@pytest.mark.parametrize("text, lang, beyond", [
    ("Может ли прокурор осуществлять полномочия, не перечисленные в Положении?", "ru", True),
    ("Это исчерпывающий список?", "ru", True),
    ("Какие ещё права есть у прокуратуры, кроме этих?", "ru", True),
    ("Какие функции перечислены в Положении?", "ru", False),
    ("Аудан прокуроры Ережеде жазылмаған өкілеттіктерді жүзеге асыра ма?", "kk", True),
    ("ережеде жазылмаган окилеттиктер", "kk", True),  # typed without Kazakh letters
    ("Бұдан басқа құқықтары жоқ па?", "kk", True),
    ("Басқарма кімге бағынады?", "kk", False),
])
def test_a_question_about_items_beyond_a_list_is_recognized(text, lang, beyond):
    assert asks_other(text, lang) is beyond


def test_each_sense_of_an_ambiguous_word_is_shown_by_the_clause_about_it(retriever):
    """Kazakh "міндеттері" names the tasks (point 6), the duties (point 8, second list) and, in point 7, the
    functions; a clause is about a notion by the words only that notion has ("задачи", not "основные")."""
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0}, normalization="minmax"))
    assert set(pipeline.run("аудан прокуратурасының міндеттері", "kk").ids[:3]) == {"regulation.p6", "regulation.p7", "regulation.p8.l2"}
    # a question about one task keeps the subpoint that answers it first
    asked = pipeline.run("Азаматтардың бұзылған құқықтарын қалпына келтіру аудан прокуратурасының міндетіне кіре ме?", "kk").ids
    assert asked[0] == "regulation.p6.s1"


def test_retriever_refuses_misaligned_languages():
    clauses = ACT.clauses("ru") + ACT.clauses("kk")[:-1]
    with pytest.raises(ValueError, match="vectors|same ids"):
        make_retriever(clauses)


def test_naming_the_order_does_not_make_its_title_win(retriever):
    """Words that name the act choose the document; they leave the search, so the title cannot win on them."""
    query = retriever.read("Кто подписал приказ об утверждении положения о прокуратуре района?", "ru")
    assert query.document == "order"
    assert "подписа" in query.terms["ru"] and "утвержден" not in query.terms["ru"] and "приказ" not in query.terms["ru"]
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0, "heading": 1.0, "document": 1.0}))
    assert pipeline.run("Кто подписал приказ об утверждении положения о прокуратуре района?", "ru").ids[0] == "order.signature"
    # A question that is only the act's name keeps its words: then the name is what it asks about.
    assert retriever.read("Приказ № 127", "ru").terms["ru"]
    # A question of naming words asks what the title describes; number, issuer and document nouns still identify.
    assert retriever.read("Бас Прокурордың № 127 бұйрығы нені бекітеді?", "kk").terms["kk"] == ("бекит",)
    assert retriever.read("Приказ Генерального Прокурора № 127 об утверждении Положения", "ru").terms["ru"] == ("утвержден",)


def test_the_named_documents_own_words_do_not_expand_the_search(retriever):
    """"Бұйрық" says which document: its concept ("бұйырамын", "приказываю") would pull the preamble, which says them."""
    query = retriever.read("Бұйрық қайда жариялануы тиіс?", "kk")
    assert query.document == "order" and "order" not in query.concepts
    assert not {"бұйыра", "приказыва"} & {t for terms in query.expansion.values() for t in terms}
    # What the question asks about still names its concept, in both languages' expansion.
    assert "publication_placement" in query.concepts and query.expansion["ru"]


def test_a_question_stem_the_act_never_uses_is_read_as_its_word_familys(retriever):
    """Snowball reads "размещен" as "размещ" and the act's "размещение" as "размещен": the question's stem joins the
    act's, for the search and for the lexicon alike. A stem the act uses is kept, however near another one."""
    reader = retriever.reader
    query = retriever.read("Где должен быть размещен приказ?", "ru")
    assert "размещен" in query.terms["ru"] and "publication_placement" in query.concepts
    assert reader.conflate("размещ", "ru") == "размещен"
    assert reader.conflate("утвержда", "ru") == "утвержда" and "утвержда" in reader.vocabulary.words["ru"]
    assert reader.conflate("зарплат", "ru") == "зарплат"  # no word of the act begins so
    assert reader.conflate("прок", "ru") == "прок"  # too short to say which family
    # Only the question's language is read as the act spells it; the other analyzer reads foreign words as they are.
    assert reader.analyzer.terms(["размещен"], "kk")[0] in query.terms["kk"]


def test_the_kazakh_document_words_come_from_the_act(retriever):
    assert retriever.read("Бұйрыққа кім қол қойды?", "kk").document == "order"
    assert retriever.read("Ереже бойынша прокуратура құқықтары", "kk").document == "regulation"
    assert retriever.read("Кто возглавляет прокуратуру района?", "ru").document is None


@pytest.mark.parametrize("text, lang, document", [
    ("Кто подписал приказ об утверждении Положения?", "ru", "order"),
    ("Как называется положение, которое утверждено приказом?", "ru", "regulation"),
    ("Бұйрықпен бекітілген ереже қалай аталады?", "kk", "regulation"),  # the Kazakh noun follows its qualifiers
    ("Ережені бекіткен бұйрыққа кім қол қойды?", "kk", "order"),
])
def test_a_question_naming_both_documents_is_about_the_one_it_heads(retriever, text, lang, document):
    assert retriever.read(text, lang).document == document


def test_candidates_cover_whole_points_when_the_act_is_large():
    """Above `candidates` clauses, only FAISS and BM25 neighbours are scored, widened to their points."""
    small = make_retriever(ACT.all_clauses(), ivf_min_vectors=50, candidates=5)
    assert not small.dense.exact
    query = small.read("права прокуратуры района", "ru")
    positions = small.candidates_of([small.evidence(query)])
    assert 0 < len(positions) < len(small.ids)
    ids = {small.ids[p] for p in positions}
    assert "regulation.p8.l1" in ids and {i for i in small.ids if i.startswith("regulation.p8.")} <= ids
    decision = Pipeline(small, RetrievalParams(weights={"lexical": 1.0})).run("права прокуратуры района", "ru")
    assert decision.ids[0].startswith("regulation.p8") and set(decision.ids) == ids


def test_flat_and_ivf_indexes_give_the_same_neighbours_on_a_small_corpus():
    vectors = np.random.default_rng(1).normal(size=(400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, ivf = DenseIndex(build_faiss(vectors, 10**9), 8), DenseIndex(build_faiss(vectors, 100), 10**6)
    assert flat.exact and not ivf.exact
    query = vectors[7]
    assert flat.search(query, 5).tolist() == ivf.search(query, 5).tolist()
    np.testing.assert_allclose(ivf.similarity(query, np.array([7, 9])), vectors[[7, 9]] @ query, rtol=1e-5)


def test_qrels_levels_and_points():
    from assistant.evaluation.dataset import level_qrels, point_of

    assert point_of("regulation.p8.l2.s3") == "regulation.p8" and point_of("order.signature") == "order.signature"
    levels = level_qrels({"q": {"regulation.p8.l2.s3": 2, "regulation.p8": 1}, "oos": {}})
    assert levels["best"] == {"q": {"regulation.p8.l2.s3": 1}}
    assert levels["point"] == {"q": {"regulation.p8": 2}}
    assert "oos" not in levels["clause"]


def test_fitted_parameters_ship_with_the_package():
    from assistant.abstention import FEATURES
    from assistant.params import PARAMS_FILE
    from assistant.retrieval import SIGNALS

    assert PARAMS_FILE.is_file()
    params = RetrievalParams.load(PARAMS_FILE)
    assert set(params.weights) <= set(SIGNALS) and params.weights.get("lexical") == 1.0
    assert set(params.abstain_coef) == set(FEATURES)
    assert set(params.abstain_threshold) == set(params.refuse_threshold) == {"ru", "kk"}
    assert all(0.0 < params.refuse_threshold[lang] <= params.abstain_threshold[lang] < 1.0 for lang in ("ru", "kk"))


@pytest.mark.parametrize(
    "text, lang, cited",
    [
        ("Что постановляет первый пункт приказа № 127?", "ru", (("point", 1),)),  # the order's number is not a point
        ("подпункт 3) пункта 8 Положения", "ru", (("subpoint", 3), ("point", 8))),
        ("в третьем подпункте восьмого пункта", "ru", (("subpoint", 3), ("point", 8))),
        ("Ереженің 8-тармағының 3) тармақшасы", "kk", (("point", 8), ("subpoint", 3))),
        ("№ 127 бұйрықтың бірінші тармағында не бекітілген?", "kk", (("point", 1),)),
        ("Ереженің он бірінші тармағы", "kk", (("point", 11),)),
        ("приказ от 3 ноября 2017 года № 127", "ru", ()),  # numbers beside no citation noun cite nothing
        ("права третьих лиц", "ru", ()),  # an ordinal beside no citation noun stays a word
        ("пункт ² Положения", "ru", ()),  # a superscript is a digit to str.isdigit, not a number
    ],
)
def test_the_reader_finds_the_numbers_a_question_cites(retriever, text, lang, cited):
    assert retriever.read(text, lang).cited == cited


def test_a_cited_point_is_looked_up(retriever):
    """"пункт 1 приказа" is an address: the cited clauses come first whatever else the words match."""
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0}, normalization="minmax"))
    assert pipeline.run("Что постановляет первый пункт приказа?", "ru").ids[0] == "order.p1"
    assert pipeline.run("Бұйрықтың бірінші тармағы", "kk").ids[0] == "order.p1"
    # the named document's point, even when the other document's point 1 matches more words
    assert pipeline.run("пункт 1 приказа: прокуратура района, приравненная прокуратура, территориальное подразделение", "ru").ids[0] == "order.p1"
    assert pipeline.run("подпункт 3) пункта 8 Положения: обязанности", "ru").ids[0] == "regulation.p8.l2.s3"
    # a question that only cites a point gets the whole point, not its first list
    assert pipeline.run("Что сказано в пункте 8 Положения?", "ru").ids[0] == "regulation.p8"
    assert pipeline.run("Ереженің 8-тармағында не жазылған?", "kk").ids[0] == "regulation.p8"
    assert pipeline.run("пункт 8 Положения: права", "ru").ids[0] == "regulation.p8.l1"
    # a point the act does not have changes nothing
    assert pipeline.run("пункт 99 о назначении экспертиз", "ru").ids == pipeline.run("о назначении экспертиз", "ru").ids
    # ... nor a subpoint it does not have: the question's scope still settles point, list or subpoint
    weights = {"lexical": 1.0, "heading": 1.0}
    looked = Pipeline(retriever, RetrievalParams(weights=weights, normalization="minmax"))
    unlooked = Pipeline(retriever, RetrievalParams(weights=weights, normalization="minmax", look_up_citations=False))
    assert looked.run("права прокуратуры района, подпункт 99)", "ru").ids[0] == "regulation.p8.l1"
    assert looked.run("права прокуратуры района, подпункт 99)", "ru").ids == unlooked.run("права прокуратуры района, подпункт 99)", "ru").ids


def test_words_that_ask_are_not_the_focus(retriever):
    """Modal and light verbs and courtesies ask; what a clause must contain is the rest."""
    assert retriever.read("Подскажите, может ли прокуратура вызвать меня для объяснений?", "ru").focus == ("вызва", "обьяснен")  # matched with ь for ъ
    assert retriever.read("Прокуратура мені түсініктеме беруге шақыра ала ма?", "kk").focus == ("тусиниктеме", "бер", "шакыр")  # the act's "шақыру"
    # nor do conjunctions, prepositions and auxiliary verbs ("если", "под"; "жүргенде": while being)
    assert retriever.read("Что делать, если человека держат под стражей?", "ru").focus == ("человек", "держат", "страж")
    assert retriever.read("Прокурор демалыста жүргенде прокуратураны кім басқарады?", "kk").focus == ("демалы", "баскар")
    # the words themselves are still searched
    assert "может" in retriever.read("может ли прокуратура вызвать меня", "ru").terms["ru"]


@pytest.mark.parametrize("text, lang, asked", [
    ("На какой срок назначается прокурор района?", "ru", "срок"),
    ("Какой у прокуратуры адрес?", "ru", "адрес"),  # the noun a few words after its question word
    ("Аудан прокуроры қанша жылға тағайындалады?", "kk", "жыл"),
    ("прокуратураға жұмысқа орналасу үшін кандай кужаттар керек", "kk", "кужат"),  # matched folded
    ("Кто руководит прокуратурой района?", "ru", None),  # "кто" determines no noun
    ("Какие у районной прокуратуры права?", "ru", None),  # "права" is all over the act: not a focus
])
def test_what_a_question_word_asks_for(retriever, text, lang, asked):
    """The answer's type: the focus word a question word determines, which the top clause must say."""
    assert retriever.read(text, lang).asked == asked


def test_a_misspelled_focus_word_is_still_the_acts(retriever):
    """A typo of a word of the nearest clauses is the act's word; a word the act never uses is not."""
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0, "chars": 1.0}, normalization="minmax"))
    assert pipeline.run("кто назначяет прокурора района", "ru").features["focus_missing_act"] == 0.0
    assert pipeline.run("кто назначает прокурора раиона", "ru").features["focus_missing_top"] == 0.0  # и for й
    assert pipeline.run("кто платит зарплату заместителям прокурора", "ru").features["focus_missing_act"] > 0.0


def test_a_followup_in_the_other_language_is_judged_on_its_own_words(retriever):
    """A Kazakh follow-up to a Russian question: the Russian words, read as Kazakh, are no focus of it."""
    pipeline = Pipeline(retriever, RetrievalParams())
    prepared = pipeline.prepare("Ал оны кім тағайындайды?", "kk", [("Кто возглавляет прокуратуру района?", "ru")])
    assert prepared.scope.focus == ("тагайында",)
    assert len(prepared.earlier) == 1  # the earlier turn's evidence still counts
    same = pipeline.prepare("Ал оны кім тағайындайды?", "kk", [("Аудан прокуратурасын кім басқарады?", "kk")])
    assert same.scope.focus == ("тагайында", "баскар")


def test_a_concept_covers_a_clause_only_in_a_whole_wording(retriever):
    """"Заместитель прокурора района" is not said by a clause that names only the district prosecutor: one stem
    of the concept's wording (прокурор) does not make the clause say the deputy."""
    pipeline = Pipeline(retriever, RetrievalParams(weights={"lexical": 1.0}, normalization="minmax"))
    deputy = pipeline.run("Кто назначает заместителя прокурора района на должность?", "ru")
    assert retriever.ids[int(deputy.positions[0])] == "regulation.p10"
    assert deputy.features["focus_missing_top"] > 0.0
    assert pipeline.run("Кто назначает прокурора района на должность?", "ru").features["focus_missing_top"] == 0.0
