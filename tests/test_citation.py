"""Citations in both languages, as a lawyer writes them."""
import pytest

from assistant.corpus import load_act

ACT = load_act()
STYLE = ACT.citation_style
CLAUSES = {c.id: c for c in ACT.clauses("ru")}


@pytest.mark.parametrize(
    "clause_id,ru,kk",
    [
        ("regulation.p10", "пункт 10 Положения", "Ереженің 10-тармағы"),
        ("regulation.p6.s3", "подпункт 3) пункта 6 Положения", "Ереженің 6-тармағының 3) тармақшасы"),
        ("regulation.p8.l1.s3", "подпункт 3) пункта 8 Положения (права)", "Ереженің 8-тармағының 3) тармақшасы (құқықтары)"),
        ("regulation.p8.l2.s3", "подпункт 3) пункта 8 Положения (обязанности)", "Ереженің 8-тармағының 3) тармақшасы (міндеттері)"),
        ("regulation.p8.l2", "пункт 8 Положения (обязанности)", "Ереженің 8-тармағы (міндеттері)"),
        ("regulation.p8", "пункт 8 Положения", "Ереженің 8-тармағы"),
        ("order.p2", "пункт 2 приказа", "Бұйрықтың 2-тармағы"),
        ("order.preamble", "преамбула приказа", "Бұйрықтың кіріспесі"),
        ("order.signature", "подпись и реквизиты приказа", "Бұйрықтың қолтаңбасы мен деректемелері"),
        ("regulation.title", "наименование Положения", "Ереженің атауы"),
    ],
)
def test_citations(clause_id, ru, kk):
    clause = CLAUSES[clause_id]
    assert STYLE.render(clause, "ru") == ru
    assert STYLE.render(clause, "kk") == kk
    assert STYLE.render(clause) == ru  # default: the clause's own language


def test_every_clause_has_distinct_citation_per_language():
    for lang in ("ru", "kk"):
        citations = [STYLE.render(c, lang) for c in ACT.clauses(lang)]
        assert len(citations) == len(set(citations))
