"""Clause parser: raw PDF-extracted text of an order with an appended regulation -> addressed clauses.

The layout it reads, in both languages: the order's title, a preamble ending in the command word
("ПРИКАЗЫВАЮ:" / "БҰЙЫРАМЫН:"), points "1." .. "N.", the signature block, then the appendix header
(which carries the date and number), the regulation's title, and the regulation itself: chapter
headings "1. Title", points "N." numbered through the chapters, subpoints "N)"; a point may hold
several subpoint lists, each introduced by its own lead-in paragraph ("... обязана:").
Numbers are trusted only when they continue the expected sequence, so a stray "4)" or "37" at the
start of a broken line is read as text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clause import Clause

PARSER_VERSION = 1

_POINT = re.compile(r"^(\d{1,3})\.\s+(\S.*)$")
_SUBPOINT = re.compile(r"^(\d{1,3})\)\s+(\S.*)$")
_PAGE_NUMBER = re.compile(r"^\d{1,3}$")
_COMMAND = re.compile(r"^[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]{5,}:$")  # "ПРИКАЗЫВАЮ:", "БҰЙЫРАМЫН:"
_SIGNATORY = re.compile(r"(?:[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]\.\s*)+[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі-]+$")
_APPENDIX = {
    # the appendix header, with the order's date and number as its group 1
    "ru": re.compile(r"Приложение\s+к\s+приказу\s+.*?(от\s+\d{1,2}\s+\w+\s+\d{4}\s+года\s+№\s*\d+)"),
    "kk": re.compile(r"Қазақстан\s+Республикасы\s+Бас\s+Прокурорының\s+(\d{4}\s+жылғы\s+\d{1,2}\s+\w+\s+№\s*\d+)\s+бұйрығына\s+қосымша"),
}


class ParseError(ValueError):
    """The text does not have the layout of an order with an appended regulation."""


@dataclass
class _Item:
    """A point or subpoint being collected: its number and its paragraphs."""

    number: int
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class _Point(_Item):
    chapter: int | None = None
    lists: list[tuple[str | None, list[_Item]]] = field(default_factory=list)  # (lead-in, subpoints)


def clean_lines(raw: str) -> list[str]:
    """PDF text -> its non-empty lines, stripped, with page numbers dropped."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in raw.replace("\r", "").split("\n"))
    return [line for line in lines if line and not _PAGE_NUMBER.match(line)]


def join_paragraphs(lines: list[str]) -> list[str]:
    """Re-join broken lines into paragraphs, keeping the wording.

    A line starts a new paragraph when the previous one closed a sentence or a list item
    (ends in . ; :) and this one looks like a new element; a line ending in a hyphen is glued
    to the next without a space ("жай-" + "күйі" -> "жай-күйі").
    """
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and not _starts_paragraph(paragraphs[-1], line):
            glue = "" if re.search(r"\w-$", paragraphs[-1]) else " "
            paragraphs[-1] = paragraphs[-1] + glue + line
        else:
            paragraphs.append(line)
    return [re.sub(r"\s+", " ", p).strip() for p in paragraphs]


def _starts_paragraph(previous: str, line: str) -> bool:
    if _POINT.match(line) or _SUBPOINT.match(line):
        return True
    if previous.endswith((";", ":")):
        return True
    return previous.endswith(".") and line[:1].isupper() and not _SIGNATORY.match(previous)


def parse_act(raw: str, lang: str) -> list[Clause]:
    """Raw text of the order with its appended regulation, in `lang` -> its clauses, in reading order."""
    if lang not in _APPENDIX:
        raise ParseError(f"no layout rules for language {lang!r}")
    lines = clean_lines(raw)
    header = _APPENDIX[lang].search(" ".join(lines))
    if header is None:
        raise ParseError("appendix header (date and number of the order) not found")
    appendix_at = _split_at(lines, header.start())
    order = _parse_order(lines[:appendix_at], lang, date_number=header.group(1))
    regulation = _parse_regulation(lines[appendix_at:], lang, header_text=header.group(0))
    return order + regulation


def _split_at(lines: list[str], offset: int) -> int:
    """Index of the line that begins at character `offset` of the space-joined lines.

    The line holding the offset is split there first, when the offset falls inside it.
    """
    position = 0
    for i, line in enumerate(lines):
        if position + len(line) > offset:
            cut = offset - position
            if cut > 0:
                lines[i : i + 1] = [line[:cut].strip(), line[cut:].strip()]
                return i + 1
            return i
        position += len(line) + 1
    raise ParseError("appendix header line not found")


def _parse_order(lines: list[str], lang: str, date_number: str) -> list[Clause]:
    command = next((i for i, line in enumerate(lines) if _COMMAND.search(line.split()[-1])), None)
    if command is None:
        raise ParseError("the order's command word (ПРИКАЗЫВАЮ: / БҰЙЫРАМЫН:) not found")
    front = lines[: command + 1]
    title, preamble = _split_title(front)
    points = _numbered_points(lines[command + 1 :])
    if not points:
        raise ParseError("the order has no numbered points")
    last = points[-1]
    last.paragraphs, signature = _split_signature(last.paragraphs)
    make = lambda **kw: Clause(document="order", lang=lang, **kw)  # noqa: E731
    clauses = [
        make(point=0, part="title", text=title),
        make(point=0, part="preamble", text=preamble),
    ]
    clauses += [make(point=p.number, text="\n".join(p.paragraphs)) for p in points]
    clauses.append(make(point=0, part="signature", text=f"{signature}\n{date_number}"))
    return clauses


def _split_title(front: list[str]) -> tuple[str, str]:
    """The lines before the command word -> (title, preamble).

    The preamble is the sentence that ends in the command word; it begins at the first line that
    opens with a capital or a quote after the title's lines (titles are one lower-case phrase).
    """
    for i in range(1, len(front)):
        if front[i][:1].isupper() or front[i][:1] in "«\"":
            return " ".join(front[:i]), " ".join(front[i:])
    raise ParseError("cannot tell the order's title from its preamble")


def _split_signature(paragraphs: list[str]) -> tuple[list[str], str]:
    """The last point's paragraphs -> (its own paragraphs, the signature block after it)."""
    text = " ".join(paragraphs)
    name = _SIGNATORY.search(text)
    if name is None:
        raise ParseError("the order's signatory not found")
    end = text.rfind(". ", 0, name.start())
    if end < 0:
        raise ParseError("the end of the order's last point not found")
    own, signature = text[: end + 1], text[end + 2 :]
    return join_paragraphs(own.split("\n")), re.sub(r"\s+", " ", signature).strip()


def _numbered_points(lines: list[str]) -> list[_Item]:
    """Lines of sequentially numbered points "1." .. "N." -> items with their paragraphs."""
    items: list[_Item] = []
    for paragraph in join_paragraphs(lines):
        match = _POINT.match(paragraph)
        if match and int(match.group(1)) == len(items) + 1:
            items.append(_Item(len(items) + 1, [match.group(2)]))
        elif items:
            items[-1].paragraphs.append(paragraph)
    return items


def _parse_regulation(lines: list[str], lang: str, header_text: str) -> list[Clause]:
    paragraphs = join_paragraphs(lines)
    body = next((i for i, p in enumerate(paragraphs) if _POINT.match(p)), None)
    if body is None:
        raise ParseError("the regulation has no chapters or points")
    title = _regulation_title(" ".join(paragraphs[:body]), header_text)
    chapters: dict[int, str] = {}
    points: list[_Point] = []
    in_heading = False  # the last paragraph opened a chapter heading (headings may break over lines)
    for paragraph in paragraphs[body:]:
        point = _POINT.match(paragraph)
        sub = _SUBPOINT.match(paragraph)
        number = int((point or sub).group(1)) if (point or sub) else None
        if point and number == len(chapters) + 1 and (number != len(points) + 1 or not chapters):
            chapters[number] = point.group(2)
            in_heading = True
        elif point and number == len(points) + 1:
            points.append(_Point(number, [point.group(2)], chapter=max(chapters, default=None)))
            in_heading = False
        elif in_heading:
            chapters[max(chapters)] += " " + paragraph
        elif sub and points and _opens_subpoint(points[-1], number):
            _add_subpoint(points[-1], number, sub.group(2))
        elif points:
            current = points[-1]
            target = current.lists[-1][1][-1] if current.lists else current
            target.paragraphs.append(paragraph)
    clauses = [Clause(document="regulation", point=0, part="title", lang=lang, text=title)]
    for point in points:
        clauses += _point_clauses(point, lang, chapters)
    return clauses


def _regulation_title(front: str, header_text: str) -> str:
    """The words between the appendix header and the first chapter: the regulation's title."""
    title = front.replace(header_text, "", 1) if header_text in front else front
    return re.sub(r"\s+", " ", title).strip()


def _opens_subpoint(point: _Point, number: int) -> bool:
    if not point.lists:
        return number == 1
    return number == len(point.lists[-1][1]) + 1 or number == 1


def _add_subpoint(point: _Point, number: int, text: str) -> None:
    if number == 1:
        # the lead-in of a new list is the last paragraph before it, when it ends with ':'
        source = point.lists[-1][1][-1] if point.lists else point
        lead_in = None
        if source.paragraphs and source.paragraphs[-1].endswith(":"):
            lead_in = source.paragraphs[-1]
            if point.lists:  # a later list: its lead-in is not part of the previous subpoint
                source.paragraphs.pop()
        point.lists.append((lead_in, []))
    point.lists[-1][1].append(_Item(number, [text]))


def _point_clauses(point: _Point, lang: str, chapters: dict[int, str]) -> list[Clause]:
    common = dict(
        document="regulation",
        point=point.number,
        lang=lang,
        chapter=point.chapter,
        chapter_title=chapters.get(point.chapter) if point.chapter else None,
        lists=max(1, len(point.lists)),
    )
    whole = list(point.paragraphs)
    for index, (lead_in, items) in enumerate(point.lists):
        if index > 0 and lead_in:
            whole.append(lead_in)
        whole += [f"{item.number}) " + "\n".join(item.paragraphs) for item in items]
    clauses = [Clause(text="\n".join(whole), **common)]
    many = len(point.lists) > 1
    for index, (lead_in, items) in enumerate(point.lists, start=1):
        lead_in = lead_in or point.paragraphs[-1]
        if many:
            body = [lead_in] + [f"{item.number}) " + "\n".join(item.paragraphs) for item in items]
            clauses.append(Clause(text="\n".join(body), list=index, **common))
        for item in items:
            clauses.append(
                Clause(text="\n".join(item.paragraphs), subpoint=item.number, list=index, lead_in=lead_in, **common)
            )
    return clauses
