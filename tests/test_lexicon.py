"""The concept lexicon: lay words find the act's concepts, expand the question in both languages, and
let answerability tell "asked in other words" from "asked about something else"."""
import pytest

from assistant.corpus import load_act
from assistant.lexicon import Lexicon
from assistant.stemming import analyze

SMALL = {
    "concepts": [
        {"id": "deputy", "ru": {"terms": ["заместитель"], "variants": ["зам"]}, "kk": {"terms": ["орынбасары"], "variants": ["зам"]}},
        {"id": "legal_entity", "ru": {"terms": ["юридическое лицо"], "variants": ["фирма", "компания"]},
         "kk": {"terms": ["заңды тұлға"], "variants": ["фирма", "компания"]}},
        {"id": "tasks", "ru": {"terms": ["задачи"]}, "kk": {"terms": ["міндеттері"]}},
        {"id": "duties", "ru": {"terms": ["обязанности"]}, "kk": {"terms": ["міндеттері"]}},
    ],
    "ambiguous": [{"lang": "kk", "word": "міндеттері", "concepts": ["tasks", "duties"], "note_ru": "и задачи, и обязанности", "note_kk": "міндеттер"}],
}


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.from_dict(SMALL, analyze)


def test_a_lay_word_finds_its_concept_in_either_language(lexicon):
    assert set(lexicon.find(analyze("Что делает зам прокурора?", "ru"), "ru")) == {"deputy"}
    assert set(lexicon.find(analyze("Фирмалар туралы не айтылған", "kk"), "kk")) == {"legal_entity"}
    assert lexicon.find(analyze("Какая погода завтра?", "ru"), "ru") == {}


def test_a_phrase_needs_all_its_words(lexicon):
    assert "legal_entity" in lexicon.find(analyze("юридические лица", "ru"), "ru")
    assert "legal_entity" not in lexicon.find(analyze("лица", "ru"), "ru")


def test_concepts_give_the_acts_terms_in_both_languages(lexicon):
    assert lexicon.terms(["deputy"], "ru") == frozenset(analyze("заместитель", "ru"))
    assert lexicon.terms(["legal_entity"], "kk") == frozenset(analyze("заңды тұлға", "kk"))


def test_a_clause_says_a_concept_only_in_one_whole_wording(lexicon):
    said = frozenset(analyze("Юридическое лицо в организационно-правовой форме учреждения", "ru"))
    assert lexicon.worded_in(["legal_entity"], "ru", said)
    # "лицо" alone is one stem of the act's wording "юридическое лицо": a clause about persons does not say it
    assert not lexicon.worded_in(["legal_entity"], "ru", frozenset(analyze("должностные лица", "ru")))
    assert not lexicon.worded_in(["deputy"], "ru", said)


def test_an_ambiguous_kazakh_word_is_known(lexicon):
    found = lexicon.ambiguity(analyze("Ал міндеттері ше?", "kk"), "kk")
    assert found is not None and found.concepts == ("tasks", "duties")
    assert lexicon.ambiguity(analyze("Какие обязанности?", "ru"), "ru") is None


def test_the_shipped_lexicon_is_bilingual_and_names_real_clauses():
    act = load_act()
    ids = {c.id for c in act.clauses("ru")}
    concepts = act.lexicon["concepts"]
    assert len(concepts) >= 50 and len({c["id"] for c in concepts}) == len(concepts)
    for concept in concepts:
        assert concept["ru"]["terms"] and concept["kk"]["terms"], concept["id"]
        assert set(concept.get("clauses", ())) <= ids, concept["id"]
    parsed = Lexicon.from_dict(act.lexicon, analyze)
    assert all(c.terms.get("ru") and c.terms.get("kk") for c in parsed.concepts.values())


def test_the_expansion_reaches_the_question(tmp_path):
    """A question with a lay word gets the act's own terms, in its language and the other."""
    from test_retrieval import make_retriever

    retriever = make_retriever(load_act().all_clauses(), lexicon=Lexicon.from_dict(SMALL, analyze))
    query = retriever.read("Что делает зам?", "ru")
    assert "deputy" in query.concepts
    assert set(analyze("заместитель", "ru")) <= set(query.expansion["ru"])
    assert set(analyze("орынбасары", "kk")) <= set(query.expansion["kk"])
