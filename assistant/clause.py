"""The shared language of the package: a clause of the act, addressed the same way in both languages."""
from __future__ import annotations

from dataclasses import dataclass

LANGS = ("ru", "kk")
DOCUMENTS = ("order", "regulation")
# Unnumbered parts of a document, addressed as its point 0.
PARTS = ("title", "preamble", "signature")


@dataclass(frozen=True)
class Clause:
    """One citable unit of the act in one language.

    A point with subpoints appears three ways: the whole point (`subpoint=None`, `list=None`),
    each list of the point when it has two (`list=1|2`, `subpoint=None`), and each subpoint.
    `lead_in` is the words that introduce a subpoint's list ("... вправе:"), kept apart from
    `text` so a subpoint can be shown with its context without being glued to it.
    """

    document: str  # "order" | "regulation"
    point: int  # 0 for the unnumbered parts (title, preamble, signature)
    lang: str  # "ru" | "kk"
    text: str  # the source wording, re-joined, never normalized
    subpoint: int | None = None
    list: int | None = None  # 1, or 2 for the duties of regulation point 8
    part: str | None = None  # "title" | "preamble" | "signature" when point == 0
    chapter: int | None = None
    chapter_title: str | None = None
    lead_in: str | None = None
    lists: int = 1  # how many subpoint lists the clause's point has

    @property
    def id(self) -> str:
        """Stable address, the same in every language.

        Example: regulation point 8, second list, subpoint 3 -> "regulation.p8.l2.s3".
        """
        if self.part is not None:
            return f"{self.document}.{self.part}"
        key = f"{self.document}.p{self.point}"
        if self.list is not None and (self.lists > 1 or self.subpoint is None):
            key += f".l{self.list}"
        if self.subpoint is not None:
            key += f".s{self.subpoint}"
        return key

    @property
    def level(self) -> str:
        """"part", "point", "list" or "subpoint": how much of the act the clause covers."""
        if self.part is not None:
            return "part"
        if self.subpoint is not None:
            return "subpoint"
        if self.list is not None:
            return "list"
        return "point"

    @property
    def point_id(self) -> str:
        """The id of the point (or part) this clause belongs to. Example: "regulation.p8"."""
        if self.part is not None:
            return f"{self.document}.{self.part}"
        return f"{self.document}.p{self.point}"

    def to_dict(self) -> dict:
        # Fields read directly: `asdict` deep-copies each one, 0.2 ms a clause, minutes at 2M (bench/product_scale.py).
        return {"id": self.id, **{name: getattr(self, name) for name in self.__dataclass_fields__}}

    @classmethod
    def from_dict(cls, data: dict) -> "Clause":
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**fields)
