"""The assistant end to end with the bundled e5 model: cited answers, languages, follow-ups, the CLI."""
import json

import pytest

from assistant.assistant import clean_question
from assistant.cli import main
from assistant.conversation import Turn
from assistant.errors import QuestionError

pytestmark = pytest.mark.model

CONTRACT = {"question", "lang", "verdict", "abstained", "answer", "confidence", "followup", "note", "hits"}
HIT_FIELDS = {"id", "document", "point", "subpoint", "list", "chapter", "lang", "citation", "text", "score", "context", "highlights"}


def test_russian_question_gets_point_10_quoted_in_russian(assistant):
    answer = assistant.ask("Кто возглавляет прокуратуру района?")
    assert answer.lang == "ru" and not answer.abstained
    best = answer.hits[0]
    assert best.clause.id == "regulation.p10"
    assert best.citation == "пункт 10 Положения"
    assert best.clause.text.startswith("Прокуратуру района и приравненную к ней прокуратуру возглавляет прокурор")
    assert answer.answer.startswith("Пункт 10 Положения:\n«Прокуратуру района")


def test_kazakh_question_gets_point_10_quoted_in_kazakh(assistant):
    answer = assistant.ask("Аудан прокуратурасын кім басқарады?")
    assert answer.lang == "kk" and not answer.abstained
    best = answer.hits[0]
    assert best.clause.id == "regulation.p10"
    assert best.citation == "Ереженің 10-тармағы"
    assert best.clause.text.startswith("Аудан прокуратурасын және оған теңестірілген прокуратураны")
    assert all(hit.clause.lang == "kk" for hit in answer.hits)


def test_kazakh_typed_on_a_russian_keyboard(assistant):
    answer = assistant.ask("кужаттарга ким кол кояды")
    assert answer.lang == "kk"
    assert answer.hits[0].clause.id == "regulation.p15"


def test_question_about_one_right_gets_that_subpoint_with_its_lead_in(assistant):
    answer = assistant.ask("Может ли прокуратура района назначать экспертизы?")
    best = answer.hits[0]
    assert best.clause.id == "regulation.p8.l1.s5"
    assert best.citation == "подпункт 5) пункта 8 Положения (права)"
    assert best.to_dict()["context"] == "Прокуратура района и приравненная к ней прокуратура вправе:"


def test_question_about_a_whole_list_gets_the_list(assistant):
    assert assistant.ask("обязанности районной прокуратуры").hits[0].clause.id == "regulation.p8.l2"


def test_hits_do_not_repeat_a_clause_inside_another(assistant):
    hits = assistant.ask("права прокуратуры района", k=10).hits
    shown = [h.clause for h in hits]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert a.point_id != b.point_id or (a.level == b.level == "subpoint") or (
                {a.level, b.level} == {"list", "subpoint"} and a.list != b.list
            ), (a.id, b.id)


def test_followup_uses_the_previous_turn(assistant):
    history = [Turn("Кто возглавляет прокуратуру района?", "ru", ("regulation.p10",))]
    answer = assistant.ask("А кто его назначает?", history=history)
    assert answer.followup and answer.hits[0].clause.id == "regulation.p10"
    kk = assistant.ask("Ал оны кім тағайындайды?", history=[Turn("Аудан прокуратурасын кім басқарады?", "kk")])
    assert kk.lang == "kk" and kk.hits[0].clause.id == "regulation.p10"


def test_self_contained_question_is_not_pulled_by_history(assistant):
    history = [Turn("Кто возглавляет прокуратуру района?", "ru")]
    answer = assistant.ask("Когда приказ вступает в силу?", history=history)
    assert not answer.followup
    assert answer.hits[0].clause.id == "order.p5"


def test_out_of_scope_question_is_answered_honestly(assistant):
    answer = assistant.ask("Какая погода будет завтра в Астане?")
    assert answer.abstained
    assert answer.answer.startswith("В приказе № 127 и утверждённом им Положении ответа на этот вопрос нет.")
    assert answer.hits  # still listed as "may be related"
    kk = assistant.ask("Бешбармақты қалай дайындайды?")
    assert kk.abstained and kk.answer.startswith("№ 127 бұйрықта")


def test_lang_override_answers_in_the_other_language(assistant):
    answer = assistant.ask("Кто возглавляет прокуратуру района?", lang="kk")
    assert answer.lang == "kk" and all(hit.clause.lang == "kk" for hit in answer.hits)
    assert answer.hits[0].citation.startswith("Ереженің")


@pytest.mark.parametrize(
    "question,fragment",
    [
        ("", "пуст"),
        ("   \n\t ", "пуст"),
        ("\x00\x01", "пуст"),
        ("???", "нет слов"),
        ("What does this order say about district prosecutors?", "русском или казахском"),
        ("这是什么法律", "русском или казахском"),
    ],
)
def test_bad_questions_get_clear_bilingual_errors(assistant, question, fragment):
    with pytest.raises(QuestionError) as error:
        assistant.ask(question)
    assert fragment in error.value.message_ru and error.value.message_kk


def test_limits():
    assert clean_question("a" * 1000, 1000) == "a" * 1000
    with pytest.raises(QuestionError, match="1001"):
        clean_question("a" * 1001, 1000)
    assert clean_question("Кто\u200b возглавляет\x07 прокуратуру?", 1000) == "Кто возглавляет прокуратуру?"


def test_cli_json_contract(settings, capsys, monkeypatch):
    monkeypatch.setenv("ZANGER_INDEX_DIR", str(settings.index_dir))
    assert main(["ask", "Кто возглавляет прокуратуру района?", "--json", "-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == CONTRACT
    assert data["question"] == "Кто возглавляет прокуратуру района?" and data["lang"] == "ru"
    assert len(data["hits"]) == 3 and all(set(hit) == HIT_FIELDS for hit in data["hits"])
    best = data["hits"][0]
    assert (best["id"], best["document"], best["point"], best["subpoint"], best["list"], best["chapter"]) == (
        "regulation.p10", "regulation", 10, None, None, 3,
    )
    assert best["citation"] == "пункт 10 Положения" and best["lang"] == "ru"
    scores = [hit["score"] for hit in data["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_text_and_errors(settings, capsys, monkeypatch):
    monkeypatch.setenv("ZANGER_INDEX_DIR", str(settings.index_dir))
    assert main(["ask", "Аудан прокуратурасын кім басқарады?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Ереженің 10-тармағы:\n«Аудан прокуратурасын")
    assert "Қатысты ережелер:" in out
    assert main(["ask", "   "]) == 2
    err = capsys.readouterr().err
    assert "Вопрос пуст" in err and "Сұрақ бос" in err and "Traceback" not in err


def test_every_answer_has_a_verdict_and_its_confidence(assistant):
    answered = assistant.ask("Кто возглавляет прокуратуру района?")
    assert answered.verdict == "answered" and not answered.abstained and answered.confidence >= 0.5
    refused = assistant.ask("Какая погода будет завтра в Астане?")
    assert refused.verdict in ("partial", "not_in_act") and refused.abstained
    assert refused.to_dict()["verdict"] == refused.verdict


def test_a_kazakh_word_with_two_meanings_shows_both(assistant):
    """Kazakh "міндеттері" is both the tasks (point 6) and the duties (point 8): both are shown, and the answer says so."""
    answer = assistant.ask("Аудан прокуратурасының міндеттері қандай?", k=5)
    points = [hit.clause.point_id for hit in answer.hits[:3]]
    assert "regulation.p6" in points and "regulation.p8" in points
    assert answer.note and "міндет" in answer.note
    assert assistant.ask("Какие задачи у прокуратуры района?").note is None


def test_words_the_clause_does_not_say_are_weighed_by_what_they_carry(assistant):
    """A focus word the top clause does not say pulls the question away from it when it names a subject of its
    own ("зарплата"), little when it is filler ("в двух словах"); with every focus word said there is no pull."""
    run = assistant.pipeline.run
    salary = run("Какая зарплата у прокурора района?", "ru")
    filler = run("Чем вообще занимается районная прокуратура, если в двух словах?", "ru")
    said = run("Кто назначает прокурора района на должность?", "ru")
    assert salary.features["focus_missing_top"] > 0 and filler.features["focus_missing_top"] > 0
    assert salary.features["unsaid_pull"] > 2 * filler.features["unsaid_pull"] > 0
    assert said.features["focus_missing_top"] == 0 and said.features["unsaid_pull"] == 0.0
