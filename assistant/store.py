"""The index directory: clause vectors (FAISS), the clauses (JSONL) and a manifest, replaced atomically.

Layout (anything else in the directory, such as the repo's README.md, is left alone):

    index_dir/
      current -> versions/<id>       symlink to the version readers use
      versions/<id>/clauses.faiss    IndexFlatIP (IVF-Flat for large corpora) over unit passage vectors; row i = line i of clauses.jsonl
      versions/<id>/clauses.jsonl    one Clause.to_dict() per line, both languages
      versions/<id>/manifest.json    format version, encoder, dim, corpus hash, count, sha256 of both files
      versions/<id>/analysis-<key>.npz  the clauses and lexicon as lexical search analyzed them (analysis.py), a cache
      versions/.tmp-<id>/            a version being written (or left by a killed build)
      .lock                          flock taken while a build writes and swaps

What each file holds and how it is checked as it is read is index_format.py's; this module lays
versions out, builds them and swaps them.

Why it is atomic: a build writes and fsyncs a whole new version in `.tmp-<id>`, renames it to `<id>`, then
points `current` at it with rename(2) over the old symlink, which Linux performs atomically. Until that
rename, `current` names the previous complete version; after it, the new one. A build killed at any
moment (even SIGKILL) therefore leaves a loadable index; what it leaves behind (`.tmp-*`, a version never
made current, a `.current-*` link) is removed by the next build. Builds encode in parallel but write and
swap one at a time under the flock, which the kernel releases when its holder dies, so every `.tmp-*`
seen while holding the lock is stale. Readers take no lock: they resolve `current` once and read that
version; the version it replaces is kept until the following build, and a reader that still loses the
race re-resolves `current`.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from .clause import Clause
from .dense import build_faiss
from .encoders.base import Encoder
from .errors import IndexCorrupt, IndexMismatch, IndexMissing, ZangerError
from .index_format import (
    CLAUSES_FILE, FAISS_FILE, FORMAT_VERSION, MANIFEST_FILE, Manifest, build_command, check_matches, corrupt,
    deserialize, parse_clauses, parse_manifest, read_regular, rebuild_hint,
)

BATCH_SIZE = 16  # passages per encoder call: small enough for the progress bar to move on 2 cores
CURRENT = "current"
VERSIONS = "versions"
LOCK = ".lock"
_TMP_PREFIX = ".tmp-"
_LINK_PREFIX = ".current-"
_ANALYSIS_PREFIX = "analysis-"
_BROKEN_PREFIX = ".tmp-broken-"  # a `current` that was not a link, moved aside by a build (removed as a leftover)
log = logging.getLogger("zanger.store")


EXACT_ALWAYS = 2**62  # ivf_min_vectors that keeps every index flat


@dataclass(frozen=True)
class LoadedIndex:
    manifest: dict
    clauses: tuple[Clause, ...]
    index: faiss.Index  # flat or IVF inner-product index; row i = clauses[i]
    version: str | None = None  # the folder under versions/ it was read from
    fallback: str | None = None  # set when `current` was broken and an older intact version was loaded: why, in both languages

    @property
    def vectors(self) -> np.ndarray:
        """The stored vectors as a (clause_count, dim) float32 array (a copy: for checks, not for search)."""
        if isinstance(self.index, faiss.IndexIVF):
            self.index.make_direct_map()
        return np.ascontiguousarray(self.index.reconstruct_n(0, self.index.ntotal), dtype=np.float32)


def build_index(
    clauses: Sequence[Clause],
    passages: Sequence[str],
    encoder: Encoder,
    corpus_hash: str,
    index_dir: str | os.PathLike,
    progress: bool = True,
    ivf_min_vectors: int = EXACT_ALWAYS,
) -> Manifest:
    """Embed `passages` (the text to embed for each clause, in the same order) and install them as the index.

    The FAISS index is exact (flat) below `ivf_min_vectors` vectors, IVF-Flat above (`dense.build_faiss`).
    Returns the manifest written. The previous index stays readable until the new one is complete.
    """
    if len(clauses) != len(passages):
        raise ValueError(f"{len(clauses)} clauses but {len(passages)} passages")
    if not clauses:
        raise ValueError("no clauses to index")
    index_dir = Path(index_dir)
    vectors = encode_passages(passages, encoder, progress)
    dim = int(vectors.shape[1])
    index = build_faiss(vectors, ivf_min_vectors)
    del vectors  # the index holds its own copy
    # A uint8 array, hashed and written as it is: `.tobytes()` would hold the index a third time (3 GB at 2M vectors).
    faiss_bytes = faiss.serialize_index(index)
    del index
    clauses_bytes = "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in clauses).encode("utf-8")
    manifest: Manifest = {
        "format_version": FORMAT_VERSION,
        "encoder": encoder.name,
        "dim": dim,
        "corpus_hash": corpus_hash,
        "clause_count": len(clauses),
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "faiss_sha256": hashlib.sha256(faiss_bytes).hexdigest(),
        "clauses_sha256": hashlib.sha256(clauses_bytes).hexdigest(),
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    with _build_lock(index_dir):
        _remove_leftovers(index_dir)
        version = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{os.getpid()}-{secrets.token_hex(3)}"
        staging = versions / f"{_TMP_PREFIX}{version}"
        staging.mkdir()
        try:
            for name, data in ((FAISS_FILE, faiss_bytes), (CLAUSES_FILE, clauses_bytes), (MANIFEST_FILE, manifest_bytes)):
                _write_file(staging / name, data)
            _fsync_dir(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # e.g. a full disk: leave nothing half-written behind
            raise
        os.rename(staging, versions / version)
        _fsync_dir(versions)
        previous = _linked_version(index_dir)
        _clear_current(index_dir, version)
        link = index_dir / f"{_LINK_PREFIX}{version}"
        os.symlink(f"{VERSIONS}/{version}", link)
        os.replace(link, index_dir / CURRENT)
        _fsync_dir(index_dir)
        _remove_old_versions(versions, keep={version, previous})
    return manifest


def encode_passages(passages: Sequence[str], encoder: Encoder, progress: bool = True) -> np.ndarray:
    """Passage vectors, BATCH_SIZE at a time with a progress bar on a terminal; checks the encoder's contract."""
    rows = []
    show = progress and sys.stderr.isatty()
    with tqdm(total=len(passages), desc="encoding clauses", unit="clause", disable=not show) as bar:
        for start in range(0, len(passages), BATCH_SIZE):
            batch = list(passages[start : start + BATCH_SIZE])
            vectors = np.asarray(encoder.encode_passages(batch), dtype=np.float32)
            if vectors.shape != (len(batch), encoder.dim):
                expected = (len(batch), encoder.dim)
                raise ValueError(f"encoder {encoder.name} returned shape {vectors.shape}, expected {expected}")
            rows.append(vectors)
            bar.update(len(batch))
    vectors = np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    if not np.all(np.isfinite(vectors)) or not np.allclose(norms, 1.0, atol=1e-3):
        raise ValueError(f"encoder {encoder.name} returned vectors that are not finite unit rows")
    return vectors


def load_index(index_dir: str | os.PathLike, encoder_name: str, corpus_hash: str) -> LoadedIndex:
    """The current index, checked against the encoder and corpus it must have been built with.

    Raises IndexMissing, IndexMismatch or IndexCorrupt; never unpickles anything.
    """
    index_dir = Path(index_dir)
    try:
        raw = _read_current(index_dir)
        if raw is None:
            raise _missing(index_dir)
        return _load_raw(raw, encoder_name, corpus_hash, index_dir)
    except IndexCorrupt as broken:
        # A broken `current` (a damaged file, a copied folder, a bad link) need not stop the service when an
        # intact version built for this encoder and corpus lies beside it: use the newest, and say so.
        for version in _intact_candidates(index_dir):
            try:
                loaded = _load_raw(_read_version(index_dir, version), encoder_name, corpus_hash, index_dir)
            except (IndexCorrupt, IndexMismatch, OSError):
                continue
            fallback = ZangerError("index_fallback", index_dir=index_dir, reason=broken.reason, version=version, rebuild=rebuild_hint(index_dir))
            log.warning("%s", fallback)
            return LoadedIndex({**loaded.manifest}, loaded.clauses, loaded.index, version=version, fallback=str(fallback))
        raise


def current_version(index_dir: str | os.PathLike | None) -> str | None:
    """The version `current` names (None for none or a broken link): what a running server compares to notice a rebuild."""
    if index_dir is None:  # no index location chosen (an app handed its assistant)
        return None
    try:
        return _current_version(Path(index_dir))
    except IndexCorrupt:
        return None


def _load_raw(raw: tuple[bytes, bytes, bytes, str], encoder_name: str, corpus_hash: str, index_dir: Path) -> LoadedIndex:
    manifest_bytes, faiss_bytes, clauses_bytes, version = raw
    manifest = parse_manifest(manifest_bytes, index_dir)
    check_matches(manifest, encoder_name, corpus_hash, index_dir)
    for name, data, key in ((FAISS_FILE, faiss_bytes, "faiss_sha256"), (CLAUSES_FILE, clauses_bytes, "clauses_sha256")):
        if hashlib.sha256(data).hexdigest() != manifest[key]:
            raise corrupt(index_dir, "reason_checksum", name=name)
    clauses = parse_clauses(clauses_bytes, index_dir)
    index = deserialize(faiss_bytes, index_dir)
    count, dim = manifest["clause_count"], manifest["dim"]
    if not (index.ntotal == len(clauses) == count):
        raise corrupt(index_dir, "reason_counts", vectors=index.ntotal, clauses=len(clauses), count=count)
    if index.d != dim:
        raise corrupt(index_dir, "reason_dimension", found=index.d, expected=dim)
    return LoadedIndex(manifest=dict(manifest), clauses=clauses, index=index, version=version)


def read_manifest(index_dir: str | os.PathLike) -> dict | None:
    """The manifest of the current index, or None when none has been built; IndexCorrupt when unreadable."""
    index_dir = Path(index_dir)
    raw = _read_current(index_dir)
    return None if raw is None else dict(parse_manifest(raw[0], index_dir))


def read_analysis(index_dir: str | os.PathLike, version: str, key: str) -> dict[str, np.ndarray] | None:
    """The arrays `write_analysis` kept for `version` under `key`, or None when there are none or they cannot
    be read (a cache: whoever gets None computes the analysis again). Never unpickles; zip checks each array's CRC."""
    path = Path(index_dir) / VERSIONS / version / f"{_ANALYSIS_PREFIX}{key}.npz"
    if path.is_symlink() or not path.is_file():  # none kept yet, or not a plain file
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as exc:  # a damaged archive raises from zipfile, numpy or the OS, in many kinds
        log.warning("ignoring unreadable %s (computing it again): %s", path, exc)
        return None


def write_analysis(index_dir: str | os.PathLike, version: str, key: str, arrays: dict[str, np.ndarray]) -> bool:
    """Keep `arrays` for `version` under `key` (a temporary file renamed over), dropping other keys' copies and
    killed writers' leftovers; False when it cannot be written (a read-only index, a full disk): nothing needs it."""
    folder = Path(index_dir) / VERSIONS / version
    path, temporary = folder / f"{_ANALYSIS_PREFIX}{key}.npz", folder / f".{_ANALYSIS_PREFIX}{secrets.token_hex(4)}"
    try:
        for entry in folder.glob(f"*{_ANALYSIS_PREFIX}*"):
            entry.unlink(missing_ok=True)
        with open(temporary, "xb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        return True
    except OSError as exc:
        log.info("not keeping the analysis in %s: %s", folder, exc)
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False


# --- reading -------------------------------------------------------------------------------------


def _read_current(index_dir: Path, attempts: int = 10) -> tuple[bytes, bytes, bytes] | None:
    """(manifest, faiss, clauses) bytes of the version `current` names, or None when there is none."""
    for _ in range(attempts):
        version = _current_version(index_dir)
        if version is None:
            return None
        try:
            return _read_version(index_dir, version)
        except FileNotFoundError as exc:
            if _current_version(index_dir) == version:  # not a concurrent swap: the files really are gone
                raise corrupt(index_dir, "reason_no_file", name=exc.filename) from exc
        except OSError as exc:
            raise corrupt(index_dir, "reason_unreadable_file", error=exc) from exc
    raise corrupt(index_dir, "reason_rebuilding")


def _read_version(index_dir: Path, version: str) -> tuple[bytes, bytes, bytes, str]:
    """(manifest, faiss, clauses) bytes of versions/<version>, and the version; each must be a regular file."""
    folder = index_dir / VERSIONS / version
    return (*(read_regular(folder / name, index_dir) for name in (MANIFEST_FILE, FAISS_FILE, CLAUSES_FILE)), version)


def _intact_candidates(index_dir: Path) -> list[str]:
    """Complete versions (not staging folders), newest first: their names begin with the build time."""
    try:
        names = [entry.name for entry in (index_dir / VERSIONS).iterdir() if not entry.name.startswith(".")]
    except OSError:
        return []
    return sorted(names, reverse=True)


def _current_version(index_dir: Path) -> str | None:
    """The version name `current` points at, or None when there is no `current`."""
    try:
        target = os.readlink(index_dir / CURRENT)
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: index_dir is a file, so no index is there
        return None
    except OSError as exc:  # exists but is not a symlink
        raise corrupt(index_dir, "reason_not_link", name=CURRENT) from exc
    head, _, version = target.partition("/")
    if head != VERSIONS or not version or "/" in version:
        raise corrupt(index_dir, "reason_bad_link", name=CURRENT, target=target)
    return version


def _linked_version(index_dir: Path) -> str | None:
    """The last path part `current` points at, whatever it is; for a build, which must replace even a bad link."""
    try:
        return os.path.basename(os.readlink(index_dir / CURRENT))
    except OSError:
        return None


# --- writing -------------------------------------------------------------------------------------


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive flock on index_dir/.lock; the kernel drops it when the holder exits or is killed."""
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(index_dir: Path) -> None:
    """Remove what killed builds left: staging folders and unused symlinks (call only under the lock)."""
    for entry in (index_dir / VERSIONS).iterdir():
        if entry.name.startswith(_TMP_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
    for entry in index_dir.iterdir():
        if entry.name.startswith(_LINK_PREFIX) and entry.is_symlink():
            entry.unlink(missing_ok=True)


def _clear_current(index_dir: Path, version: str) -> None:
    """Make room for the new `current` link whatever the old one became (call only under the lock).

    rename(2) replaces a link or a file but not a folder: a `current` copied as a real folder
    (cp -rL) is moved aside into versions/ as a leftover, so the next build removes it.
    """
    path = index_dir / CURRENT
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        os.rename(path, index_dir / VERSIONS / f"{_BROKEN_PREFIX}{version}")
    else:
        os.unlink(path)  # a file, a FIFO, a socket: nothing of an index


def _remove_old_versions(versions: Path, keep: set[str | None]) -> None:
    """Remove versions other than `keep` (the new one and the one it replaced, for readers still on it)."""
    for entry in versions.iterdir():
        if entry.name not in keep and not entry.name.startswith(_TMP_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)


def _write_file(path: Path, data: bytes | np.ndarray) -> None:
    """Write and fsync a new file; an OSError always names `path` (a full disk reports none by itself)."""
    try:
        with open(path, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno or errno.EIO), str(path)) from exc
        raise


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- messages ------------------------------------------------------------------------------------


def _missing(index_dir: Path) -> IndexMissing:
    return IndexMissing("index_missing", index_dir=index_dir, command=build_command(index_dir))
