"""Highlight spans: the words of a clause that meet the question's analyzed words, in both languages."""
import pytest

from assistant.highlight import highlight_spans, question_stems


def marked(text: str, question: str, lang: str) -> list[str]:
    return [text[start:end] for start, end in highlight_spans(text, question_stems(question, lang), lang)]


@pytest.mark.parametrize(
    "text, question, lang, expected",
    [
        ("Прокуратуру района возглавляет прокурор.", "Кто возглавляет прокуратуры?", "ru", ["Прокуратуру", "возглавляет"]),
        ("Ёлка и елки", "ёлки", "ru", ["Ёлка", "елки"]),
        # Kazakh typed without Kazakh letters meets the proper spelling
        ("Құжаттарға прокурор қол қояды.", "кужаттарга ким кол кояды", "kk", ["Құжаттарға", "қол", "қояды"]),
        # the source mixes Latin i into Cyrillic words
        ("оған теңестiрiлген прокуратура", "теңестірілген", "kk", ["теңестiрiлген"]),
        ("оған теңестірілген прокуратура", "тенестирилген", "kk", ["теңестірілген"]),
        # a hyphenated word is marked whole when a part matches
        ("материалы оперативно-розыскной деятельности", "розыскная деятельность", "ru", ["оперативно-розыскной", "деятельности"]),
        # stopwords and numbers mark nothing
        ("8) и в том числе 8", "и в 8", "ru", []),
        ("", "прокурор", "ru", []),
        ("Прокурор", "", "ru", []),
    ],
)
def test_marked_words(text, question, lang, expected):
    assert marked(text, question, lang) == expected


def test_spans_index_the_text_as_given():
    text = "\u00abПрокуратура\u00bb  района\nи прокурор"
    spans = highlight_spans(text, question_stems("прокуратура района", "ru"), "ru")
    assert spans == [(1, 12), (15, 21)]
    assert all(text[start:end].isalpha() for start, end in spans)


def test_the_readers_word_families_mark_what_the_search_matched():
    families = {"размещ": "размещен"}.get
    stems = question_stems("размещен", "ru", lambda stem, lang: families(stem, stem))
    assert [m for m in highlight_spans("обеспечить размещение приказа", stems, "ru")] == [(11, 21)]
    assert highlight_spans("обеспечить размещение приказа", question_stems("размещен", "ru"), "ru") == []
