"""What the files of one index version hold, and how each is checked as it is read: the manifest's
fields, one clause per JSONL line, a flat or IVF-Flat inner-product FAISS index, size caps; and the
IndexCorrupt / rebuild messages that name the command to repair it. The store (store.py) lays
versions out and swaps them; this module never touches a directory.
"""
from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path
from typing import TypedDict, get_type_hints

import faiss
import numpy as np

from .clause import Clause
from .errors import IndexCorrupt, IndexMismatch
from .messages import Message

FORMAT_VERSION = 1
FAISS_FILE = "clauses.faiss"
CLAUSES_FILE = "clauses.jsonl"
MANIFEST_FILE = "manifest.json"
# Largest file read per name: an index of the whole of Kazakhstan's legislation fits (1M clause ids in two
# languages write 1.6 GB of clauses.jsonl and 3.1 GB of FAISS, bench/product_scale.py); a runaway file does not.
MAX_BYTES = {MANIFEST_FILE: 64 * 1024, FAISS_FILE: 16 * 1024**3, CLAUSES_FILE: 8 * 1024**3}
MAX_COUNT = 10_000_000  # clause_count and dim beyond this are not an index this program wrote


class Manifest(TypedDict):
    format_version: int
    encoder: str
    dim: int
    corpus_hash: str
    clause_count: int
    built_at: str  # ISO-8601 UTC
    faiss_sha256: str
    clauses_sha256: str


MANIFEST_TYPES = get_type_hints(Manifest)


def read_regular(path: Path, index_dir: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; a FIFO, device or folder is refused without blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once instead of waiting for a writer
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise corrupt(index_dir, "reason_not_regular", name=path.name)
        if info.st_size > MAX_BYTES[path.name]:
            raise corrupt(index_dir, "reason_too_large", name=path.name, size=info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as file:
            return file.read(MAX_BYTES[path.name] + 1)
    finally:
        os.close(fd)


def parse_manifest(data: bytes, index_dir: Path) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    # ValueError: also a number past Python's 4,300-digit limit; RecursionError: deep nesting.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise corrupt(index_dir, "reason_unreadable", name=MANIFEST_FILE) from exc
    if not isinstance(manifest, dict) or any(
        not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool)  # bool is an int too
        for key, kind in MANIFEST_TYPES.items()
    ):
        raise corrupt(index_dir, "reason_fields", name=MANIFEST_FILE)
    if not all(0 < manifest[key] <= MAX_COUNT for key in ("format_version", "dim", "clause_count")):
        raise corrupt(index_dir, "reason_fields", name=MANIFEST_FILE)
    return manifest


def check_matches(manifest: dict, encoder_name: str, corpus_hash: str, index_dir: Path) -> None:
    rebuild = rebuild_hint(index_dir)
    version = manifest["format_version"]
    if version != FORMAT_VERSION:
        raise IndexMismatch("index_format", index_dir=index_dir, version=version, expected=FORMAT_VERSION, rebuild=rebuild)
    if manifest["encoder"] != encoder_name:
        raise IndexMismatch(
            "index_other_encoder", index_dir=index_dir, built=manifest["encoder"], chosen=encoder_name, rebuild=rebuild
        )
    if manifest["corpus_hash"] != corpus_hash:
        raise IndexMismatch(
            "index_other_corpus", index_dir=index_dir, built=manifest["corpus_hash"], current=corpus_hash, rebuild=rebuild
        )


def parse_clauses(data: bytes, index_dir: Path) -> tuple[Clause, ...]:
    clauses = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        try:
            record = json.loads(line)
            clause = Clause.from_dict(record)
            if clause.id != record.get("id"):
                raise ValueError("id does not match the clause's fields")
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            raise corrupt(index_dir, "reason_clause_line", number=number, name=CLAUSES_FILE) from exc
        clauses.append(clause)
    return tuple(clauses)


def deserialize(data: bytes, index_dir: Path) -> faiss.Index:
    try:
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except (RuntimeError, ValueError, TypeError) as exc:  # faiss reports a bad file as RuntimeError
        raise corrupt(index_dir, "reason_unreadable", name=FAISS_FILE) from exc
    if not isinstance(index, (faiss.IndexFlat, faiss.IndexIVFFlat)) or index.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise corrupt(index_dir, "reason_not_flat", name=FAISS_FILE)
    return index


def build_command(index_dir: Path) -> str:
    return f"zanger index --index-dir {shlex.quote(str(index_dir))}"  # quoted: a path may hold spaces


def rebuild_hint(index_dir: Path) -> Message:
    return Message("index_rebuild", {"command": build_command(index_dir)})


def corrupt(index_dir: Path, reason: str, **values) -> IndexCorrupt:
    """IndexCorrupt naming the catalog `reason` (with `values`) and the command that rebuilds."""
    error = IndexCorrupt("index_corrupt", index_dir=index_dir, reason=Message(reason, values), rebuild=rebuild_hint(index_dir))
    error.reason = Message(reason, values)  # for the message that reports a fallback to an intact version
    return error
