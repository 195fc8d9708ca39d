"""The acts on disk: one folder per act with `act.json` and one source text per language."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
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

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.meta["languages"])

    @cached_property
    def hash(self) -> str:
        """Fingerprint of everything the index depends on: metadata, texts and the parser version."""
        digest = hashlib.sha256(f"parser:{PARSER_VERSION}\n".encode())
        digest.update(json.dumps(self.meta, sort_keys=True, ensure_ascii=False).encode())
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

    def all_clauses(self) -> list[Clause]:
        """Every clause in every language, language by language."""
        return [clause for lang in self.languages for clause in self.clauses(lang)]


def load_act(path: Path | None = None) -> Act:
    """An act folder -> Act (default: the act shipped with the package)."""
    folder = Path(path) if path is not None else default_act_dir()
    meta = json.loads((folder / "act.json").read_text(encoding="utf-8"))
    sources = {lang: (folder / name).read_text(encoding="utf-8") for lang, name in meta["sources"].items()}
    return Act(meta=meta, sources=sources)
