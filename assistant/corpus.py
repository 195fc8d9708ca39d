"""The acts on disk: one folder per act with `act.json` and one source text per language."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .citation import CitationStyle
from .clause import Clause
from .parser import PARSER_VERSION, parse_act


def default_act_dir() -> Path:
    """The act shipped with the package (inside the wheel, never looked up from the working directory)."""
    from corpus import CORPUS_DIR

    return CORPUS_DIR / "prosecutor-order-127"


@dataclass(frozen=True)
class Act:
    """One bilingual act: its metadata and the raw text per language."""

    meta: dict
    sources: dict[str, str]  # lang -> raw text
    lexicon: dict = field(default_factory=dict)  # the act's concept lexicon (concepts.json), {} when it has none

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.meta["languages"])

    @cached_property
    def hash(self) -> str:
        """Fingerprint of everything the index depends on: metadata, texts and the parser version."""
        digest = hashlib.sha256(f"parser:{PARSER_VERSION}\n".encode())
        # The lexicon reads questions, never clauses: the index does not depend on it.
        indexed = {key: value for key, value in self.meta.items() if key != "lexicon"}
        digest.update(json.dumps(indexed, sort_keys=True, ensure_ascii=False).encode())
        for lang in sorted(self.sources):
            digest.update(f"\n{lang}\n".encode() + self.sources[lang].encode())
        return digest.hexdigest()[:16]

    @cached_property
    def citation_style(self) -> CitationStyle:
        kwargs = {k: self.meta[k] for k in ("documents", "list_labels") if k in self.meta}
        number = self.meta.get("number")
        if number:
            kwargs["act_name"] = {"ru": f"приказ № {number}", "kk": f"№ {number} бұйрық"}
        return CitationStyle(**kwargs)

    @cached_property
    def _parsed(self) -> dict[str, tuple[Clause, ...]]:
        return {lang: tuple(parse_act(self.sources[lang], lang)) for lang in self.languages}

    def clauses(self, lang: str) -> list[Clause]:
        """The act's clauses in one language, in reading order."""
        return list(self._parsed[lang])

    def naming(self) -> dict[str, list[str]]:
        """Per language, the texts that name the act itself: the order's title, its short name, the Regulation's title."""
        style = self.citation_style
        names: dict[str, list[str]] = {}
        for lang in self.languages:
            titles = [c.text for c in self.clauses(lang) if c.part == "title"]
            names[lang] = [self.meta.get("title", {}).get(lang, ""), (style.act_name or {}).get(lang, ""), *titles]
        return names

    def all_clauses(self) -> list[Clause]:
        """Every clause in every language, language by language."""
        return [clause for lang in self.languages for clause in self.clauses(lang)]


def load_act(path: Path | None = None) -> Act:
    """An act folder -> Act (default: the act shipped with the package)."""
    folder = Path(path) if path is not None else default_act_dir()
    meta = json.loads((folder / "act.json").read_text(encoding="utf-8"))
    sources = {lang: (folder / name).read_text(encoding="utf-8") for lang, name in meta["sources"].items()}
    lexicon = json.loads((folder / meta["lexicon"]).read_text(encoding="utf-8")) if meta.get("lexicon") else {}
    return Act(meta=meta, sources=sources, lexicon=lexicon)
