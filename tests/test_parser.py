"""The clause parser on the official texts: structure, exact wording and id alignment in both languages."""
import pytest

from assistant.clause import Clause
from assistant.corpus import load_act
from assistant.parser import ParseError, clean_lines, join_paragraphs, parse_act

ACT = load_act()


@pytest.fixture(scope="module", params=["ru", "kk"])
def clauses(request) -> dict[str, Clause]:
    return {c.id: c for c in ACT.clauses(request.param)}


def expected_ids() -> set[str]:
    ids = {"order.title", "order.preamble", "order.signature", "regulation.title"}
    ids |= {f"order.p{n}" for n in range(1, 6)}
    ids |= {f"regulation.p{n}" for n in range(1, 16)}
    for point, count in {6: 4, 7: 5, 13: 3, 14: 3}.items():
        ids |= {f"regulation.p{point}.s{n}" for n in range(1, count + 1)}
    ids |= {"regulation.p8.l1", "regulation.p8.l2"}
    ids |= {f"regulation.p8.l1.s{n}" for n in range(1, 12)}
    ids |= {f"regulation.p8.l2.s{n}" for n in range(1, 9)}
    return ids


def test_both_languages_yield_exactly_the_same_ids():
    ru = [c.id for c in ACT.clauses("ru")]
    kk = [c.id for c in ACT.clauses("kk")]
    assert len(ru) == len(set(ru)) == 60
    assert ru == kk
    assert set(ru) == expected_ids()


def test_structure(clauses):
    assert {c.chapter for c in clauses.values() if c.document == "regulation" and c.point} == {1, 2, 3}
    chapters = {c.point: c.chapter for c in clauses.values() if c.document == "regulation" and c.level == "point"}
    assert chapters == {**{n: 1 for n in range(1, 6)}, **{n: 2 for n in range(6, 9)}, **{n: 3 for n in range(9, 16)}}
    duties = clauses["regulation.p8.l2.s3"]
    assert (duties.document, duties.point, duties.subpoint, duties.list, duties.chapter) == ("regulation", 8, 3, 2, 2)
    right = clauses["regulation.p8.l1.s11"]
    assert (right.list, right.lists) == (1, 2)
    assert clauses["regulation.p6.s2"].list == 1 and clauses["regulation.p6.s2"].lists == 1
    assert all(c.document == "order" and c.chapter is None for cid, c in clauses.items() if cid.startswith("order."))
    for part in ("title", "preamble", "signature"):
        assert clauses[f"order.{part}"].point == 0


def test_no_page_numbers_or_layout_debris(clauses):
    for clause in clauses.values():
        assert "\n4\n" not in clause.text and "  " not in clause.text
        assert clause.text == clause.text.strip()
        assert not clause.text.startswith(tuple("0123456789"))


RU = {
    "regulation.p10": "Прокуратуру района и приравненную к ней прокуратуру возглавляет прокурор, назначаемый на "
    "должность и освобождаемый от должности Генеральным Прокурором Республики Казахстан в порядке, "
    "установленном законодательством Республики Казахстан.",
    "regulation.p8.l1.s11": "осуществлять иные права, предусмотренные законом.",
    "regulation.p8.l2.s7": "совершенствовать свою деятельность с приоритетом повышения доверия населения;",
    "order.p5": "Настоящий приказ вступает в силу со дня его подписания.",
    "order.title": "Об утверждении положения о прокуратуре района и приравненной к ней прокуратуре",
    "order.preamble": "В соответствии с подпунктами 4) и 9) статьи 37 Закона «О прокуратуре», ПРИКАЗЫВАЮ:",
    "order.signature": "Генеральный Прокурор Республики Казахстан Ж. Асанов\nот 3 ноября 2017 года № 127",
    "regulation.title": "ПОЛОЖЕНИЕ о прокуратуре района и приравненной к ней прокуратуре",
    "regulation.p15": "Документы, направляемые от имени прокуратуры района и приравненной к ней прокуратуры, "
    "подписываются прокурором района и приравненным к нему прокурором, а в случае его отсутствия – лицом его замещающим.",
}
KK = {
    "regulation.p10": "Аудан прокуратурасын және оған теңестірілген прокуратураны Қазақстан Республикасының "
    "заңнамасымен белгіленген тәртіпте Қазақстан Республикасының Бас Прокуроры лауазымға тағайындайтын және "
    "лауазымнан босататын прокурор басқарады.",
    "regulation.p8.l1.s11": "заңда көзделген өзге де әрекеттерді орындауға құқылы.",
    "regulation.p8.l2.s8": "заңда көзделген өзге де өкілеттіктерді орындауға міндетті.",
    "order.p5": "Осы бұйрық қол қойылған күнінен бастап күшіне енеді.",
    "order.preamble": "«Прокуратура туралы» Заңның 37 бабының 4) және 9) тармақшаларына сәйкес, БҰЙЫРАМЫН:",
    "order.signature": "Қазақстан Республикасының Бас Прокуроры Ж. Асанов\n2017 жылғы 3 қарашадағы № 127",
    "regulation.title": "Аудан прокуратурасы және оған теңестірілген прокуратура туралы ЕРЕЖЕ",
}


@pytest.mark.parametrize("lang,expected", [("ru", RU), ("kk", KK)])
def test_known_texts(lang, expected):
    clauses = {c.id: c for c in ACT.clauses(lang)}
    for clause_id, text in expected.items():
        assert clauses[clause_id].text == text, clause_id


def test_second_list_lead_in_is_not_glued_to_the_last_right():
    ru = {c.id: c for c in ACT.clauses("ru")}
    kk = {c.id: c for c in ACT.clauses("kk")}
    assert ru["regulation.p8.l1.s1"].lead_in == "Прокуратура района и приравненная к ней прокуратура вправе:"
    assert ru["regulation.p8.l2.s1"].lead_in == "Прокуратура района и приравненная к ней прокуратура обязана:"
    assert kk["regulation.p8.l2.s1"].lead_in == "Аудан прокуратурасы және оған теңестірілген прокуратура:"
    assert kk["regulation.p8.l1.s1"].lead_in.endswith("негізгі құқықтары мен міндеттері:")
    assert ru["regulation.p8.l2"].text.startswith("Прокуратура района и приравненная к ней прокуратура обязана:\n1) защищать")
    assert "обязана" not in ru["regulation.p8.l1.s11"].text
    # the whole point keeps both lists, each after its own lead-in
    whole = ru["regulation.p8"].text.split("\n")
    assert whole[0] == "Основные права и обязанности прокуратуры района и приравненной к ней прокуратуры."
    assert whole[1] == "Прокуратура района и приравненная к ней прокуратура вправе:"
    assert whole[13] == "Прокуратура района и приравненная к ней прокуратура обязана:"
    assert whole[14].startswith("1) защищать") and whole[-1].startswith("8) выполнять")


def test_unnumbered_items_and_second_paragraphs_stay_in_their_clause():
    ru = {c.id: c for c in ACT.clauses("ru")}
    kk = {c.id: c for c in ACT.clauses("kk")}
    items = ru["regulation.p7.s1"].text.split("\n")
    assert len(items) == 5
    assert items[0] == "в пределах и порядке, установленных законом, осуществляет высший надзор за законностью:"
    assert items[2] == "исполнительного производства и производства по делам об административных правонарушениях;"
    assert items[4] == "иных направлений, определяемых законом;"
    assert len(kk["regulation.p7.s1"].text.split("\n")) == 4
    first = ru["regulation.p1"].text.split("\n")
    assert len(first) == 2 and first[1].startswith("Прокуратура района и приравненная к ней прокуратура в случаях")
    assert kk["regulation.p1"].text.split("\n")[1].startswith("Аудан прокуратурасы және оған теңестірілген прокуратура, заңда")


def test_broken_words_and_page_numbers_are_rejoined():
    kk = {c.id: c for c in ACT.clauses("kk")}
    text = kk["regulation.p8.l1.s2"].text
    assert "жедел-іздестіру қызметінің материалдарын" in text  # a page number "4" sat between these words
    assert "заңдылықтың жай-күйі" in text  # "жай-" ended a line


def test_chapter_titles():
    ru = {c.id: c for c in ACT.clauses("ru")}
    kk = {c.id: c for c in ACT.clauses("kk")}
    assert ru["regulation.p3"].chapter_title == "Общие положения"
    assert ru["regulation.p8"].chapter_title == (
        "Основные задачи, функции, права и обязанности прокуратуры района и приравненной к ней прокуратуры"
    )
    assert kk["regulation.p12"].chapter_title == "Аудан прокуратурасының және оған теңестірілген прокуратураның қызметін ұйымдастыру"


def test_clean_lines_and_join():
    lines = clean_lines(" 1. Первый пункт \n\n  продолжение;\n4 \n2) второй-\nподпункт.\n")
    assert lines == ["1. Первый пункт", "продолжение;", "2) второй-", "подпункт."]
    assert join_paragraphs(lines) == ["1. Первый пункт продолжение;", "2) второй-подпункт."]


def test_layout_errors_are_clear():
    with pytest.raises(ParseError, match="appendix header"):
        parse_act("просто текст без структуры", "ru")
    with pytest.raises(ParseError, match="no layout rules"):
        parse_act("text", "en")


def test_clause_dict_round_trip():
    for clause in ACT.clauses("kk"):
        assert Clause.from_dict(clause.to_dict()) == clause
