"""Citations as a lawyer writes them: "подпункт 3) пункта 8 Положения", "Ереженің 10-тармағы"."""
from __future__ import annotations

from dataclasses import dataclass, field

from .clause import Clause

_PARTS = {
    "ru": {"title": "наименование {doc}", "preamble": "преамбула {doc}", "signature": "подпись и реквизиты {doc}"},
    "kk": {"title": "{doc} атауы", "preamble": "{doc} кіріспесі", "signature": "{doc} қолтаңбасы мен деректемелері"},
}


# Words people use for what an unnumbered part of an order is: they name the part's role (its name,
# its legal basis, who signed it and when, under which number), which its own text never says.
PART_TOPICS = {
    "ru": {
        "title": "название наименование называется",
        "preamble": "основание основании соответствии закон статья издан",
        "signature": "подписал подписан подпись дата число номер издан",
    },
    "kk": {
        "title": "атауы аталуы аталады",
        "preamble": "негіз негізінде сәйкес заң бап шығарылған",
        "signature": "қол қойды қойылған қолтаңба күні нөмірі шыққан",
    },
}


# A point cited by its ordinal ("первый пункт", "в третьем подпункте", "бірінші тармағында") is the point
# cited by its number: the reader turns an ordinal next to one of these nouns into the number itself.
ORDINALS = {
    "ru": """первый второй третий четвертый пятый шестой седьмой восьмой девятый десятый одиннадцатый двенадцатый
        тринадцатый четырнадцатый пятнадцатый шестнадцатый семнадцатый восемнадцатый девятнадцатый двадцатый""",
    "kk": "бірінші екінші үшінші төртінші бесінші алтыншы жетінші сегізінші тоғызыншы оныншы",
}
ORDINAL_TENS = {"kk": {"он": 10, "жиырма": 20}}  # Kazakh "он бірінші" (eleventh) is "ten" + "first"
CITATION_NOUNS = {"ru": "пункт подпункт глава приложение", "kk": "тармақ тармақша тарау қосымша"}
# The nouns that say which level a number cites ("пункт 8", "8-тармағы"; "подпункт 3)", "3) тармақшасы").
CITED_LEVELS = {"ru": {"point": "пункт", "subpoint": "подпункт"}, "kk": {"point": "тармақ", "subpoint": "тармақша"}}


@dataclass(frozen=True)
class CitationStyle:
    """How one act names its documents (genitive) and the lists of a point, per language."""

    documents: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "order": {"ru": "приказа", "kk": "Бұйрықтың"},
            "regulation": {"ru": "Положения", "kk": "Ереженің"},
        }
    )
    # {"regulation.p8": {"2": {"ru": "обязанности", "kk": "міндеттері"}}}
    list_labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # how people name the order itself ("приказ № 127"), per language; None when unknown
    act_name: dict[str, str] | None = None

    def render(self, clause: Clause, lang: str | None = None) -> str:
        """A clause's citation in `lang` (default: the clause's own language).

        Example: regulation.p8.l2.s3 in "ru" -> "подпункт 3) пункта 8 Положения (обязанности)".
        """
        lang = lang or clause.lang
        doc = self.documents[clause.document][lang]
        if clause.part is not None:
            return _PARTS[lang][clause.part].format(doc=doc)
        label = self._list_label(clause, lang)
        suffix = f" ({label})" if label else ""
        if lang == "kk":
            if clause.subpoint is not None:
                return f"{doc} {clause.point}-тармағының {clause.subpoint}) тармақшасы{suffix}"
            return f"{doc} {clause.point}-тармағы{suffix}"
        if clause.subpoint is not None:
            return f"подпункт {clause.subpoint}) пункта {clause.point} {doc}{suffix}"
        return f"пункт {clause.point} {doc}{suffix}"

    def list_label(self, clause: Clause, lang: str) -> str | None:
        """The name of the list a clause belongs to ("права", "міндеттері"), when its point has several lists."""
        return self._list_label(clause, lang)

    def _list_label(self, clause: Clause, lang: str) -> str | None:
        if clause.list is None or clause.lists < 2:
            return None
        labels = self.list_labels.get(clause.point_id, {}).get(str(clause.list))
        if labels:
            return labels[lang]
        return f"перечень {clause.list}" if lang == "ru" else f"{clause.list}-тізбе"


def capitalize(citation: str) -> str:
    """Upper-case the first letter, for a citation that opens a sentence."""
    return citation[:1].upper() + citation[1:]
