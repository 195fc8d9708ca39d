"""The act's table of contents in one language: documents -> chapters -> points -> lists -> subpoints."""
from __future__ import annotations

from collections.abc import Sequence

from .citation import CitationStyle
from .clause import Clause

SNIPPET_CHARS = 120  # how much of a clause's first line an entry shows


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The first line of a clause, cut at a word with "…" when longer than `limit`.

    Example: snippet("Общие положения.\\n1. ...") -> "Общие положения."
    """
    line = text.split("\n", 1)[0].strip()
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _entry(clause: Clause, style: CitationStyle, lang: str) -> dict:
    return {
        "id": clause.id,
        "level": clause.level,
        "point": clause.point,
        "list": clause.list,
        "subpoint": clause.subpoint,
        "citation": style.render(clause, lang),
        "snippet": snippet(clause.text),
        "children": [],
    }


def table_of_contents(clauses: Sequence[Clause], style: CitationStyle, lang: str) -> list[dict]:
    """Clauses of one language in reading order -> documents with chapters, each a tree of entries.

    A point's subpoints hang under its list when the point has two lists, else under the point.
    Example: [{"document": "order", "title": "...", "chapters": [{"chapter": None, "title": None,
    "clauses": [{"id": "order.title", ...}, {"id": "order.p1", "children": []}, ...]}]}, ...]
    """
    documents: dict[str, dict] = {}
    parents: dict[str, dict] = {}  # clause id -> its entry, for attaching lists and subpoints
    for clause in clauses:
        if clause.lang != lang:
            continue
        document = documents.setdefault(clause.document, {"document": clause.document, "title": None, "chapters": []})
        if clause.part == "title" and document["title"] is None:
            document["title"] = clause.text
        entry = _entry(clause, style, lang)
        parents[clause.id] = entry
        if clause.level == "subpoint":
            parent = parents.get(f"{clause.point_id}.l{clause.list}") if clause.lists > 1 else None
            (parent or parents[clause.point_id])["children"].append(entry)
            continue
        if clause.level == "list":
            parents[clause.point_id]["children"].append(entry)
            continue
        chapters = document["chapters"]
        if not chapters or chapters[-1]["chapter"] != clause.chapter:
            chapters.append({"chapter": clause.chapter, "title": clause.chapter_title, "clauses": []})
        chapters[-1]["clauses"].append(entry)
    return list(documents.values())
