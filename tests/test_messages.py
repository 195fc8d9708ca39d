"""The message catalog: every code in both languages, values filled in, nested reasons rendered."""
import re
import string

import pytest

from assistant.errors import IndexCorrupt, QuestionError
from assistant.messages import MESSAGES, Message, both, render

KAZAKH_LETTERS = set("әғқңөұүһі")


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_has_the_same_fields_in_both_languages(code):
    ru, kk = MESSAGES[code]
    fields = [{name for _, name, _, _ in string.Formatter().parse(text) if name} for text in (ru, kk)]
    assert fields[0] == fields[1]
    assert ru.strip() and kk.strip()


def test_the_russian_side_is_russian_and_the_kazakh_side_is_kazakh():
    kazakh = sum(bool(KAZAKH_LETTERS & set(kk.lower())) for _, kk in MESSAGES.values())
    assert not any(KAZAKH_LETTERS & set(ru.lower()) for ru, _ in MESSAGES.values())
    assert kazakh > len(MESSAGES) * 0.6


def test_values_fill_the_templates():
    assert render("question_too_long", "ru", length=1200, limit=1000) == (
        "Вопрос слишком длинный: 1200 символов, допустимо не более 1000."
    )
    assert "1000" in render("question_too_long", "kk", length=1200, limit=1000)


def test_a_nested_reason_is_rendered_in_the_same_language():
    error = IndexCorrupt("index_corrupt", index_dir="/x", reason=Message("reason_no_file", {"name": "f"}),
                         rebuild=Message("index_rebuild", {"command": "zanger index"}))
    assert error.code == "index_corrupt"
    assert "нет файла f" in error.message_ru and "Перестройте индекс: zanger index" in error.message_ru
    assert "f файлы жоқ" in error.message_kk and "Индексті қайта құрыңыз" in error.message_kk
    assert str(error) == f"{error.message_ru}\n{error.message_kk}"


def test_an_error_speaks_the_asked_language():
    error = QuestionError("question_empty")
    assert error.message("kk") == both("question_empty")[1]
    assert error.message("ru") == both("question_empty")[0]
    assert not re.search(r"\{\w*\}", error.message_ru)
