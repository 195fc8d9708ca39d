"""An index store that heals: every malformed file is refused with the bilingual message (never a
traceback or a hang), a broken `current` falls back to the newest intact version and says so, the
suggested `zanger index` repairs whatever `current` has become, and a server picks up a rebuild."""
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant import cli
from assistant.assistant import Assistant, build
from assistant.corpus import load_act
from assistant.encoders import HashingEncoder
from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Кто возглавляет прокуратуру района?"
# the shipped answerability model reads e5 similarities, not the hashing encoder's (see conftest)
ENV = {**os.environ, "ZANGER_ENCODER": "hashing", "ZANGER_PARAMS": os.environ["ZANGER_TEST_HASHING_PARAMS"], "PYTHONPATH": str(REPO)}
ENV.pop("ZANGER_INDEX_DIR", None)


@pytest.fixture(autouse=True)
def hashing_encoder(monkeypatch):
    monkeypatch.setenv("ZANGER_ENCODER", "hashing")
    monkeypatch.delenv("ZANGER_INDEX_DIR", raising=False)


def settings_for(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, encoder="hashing")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    """An index built twice: `current` names the newer version, the older one is kept beside it."""
    index_dir = tmp_path_factory.mktemp("healing") / "index"
    for _ in range(2):
        build(load_act(), HashingEncoder(), settings_for(index_dir), progress=False)
    return index_dir


@pytest.fixture(params=["one version", "two versions"])
def index_dir(request, two_versions, tmp_path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(two_versions, copy, symlinks=True)
    if request.param == "one version":
        current = os.path.basename(os.readlink(copy / "current"))
        for entry in (copy / "versions").iterdir():
            if entry.name != current:
                shutil.rmtree(entry)
    return copy


def current(index_dir: Path) -> Path:
    return index_dir / os.readlink(index_dir / "current")


def has_spare(index_dir: Path) -> bool:
    return len(list((index_dir / "versions").iterdir())) > 1


def replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def replace_with_device(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def current_as_a_copied_folder(index_dir: Path) -> None:
    """What `cp -rL` of an index folder leaves: `current` a real folder holding a version's files."""
    target = current(index_dir)
    (index_dir / "current").unlink()
    shutil.copytree(target, index_dir / "current")


DAMAGES = {
    "manifest with a 5,000-digit number": lambda d: (current(d) / "manifest.json").write_text('{"dim": ' + "9" * 5000 + "}"),
    "manifest nested 100,000 deep": lambda d: (current(d) / "manifest.json").write_text("[" * 100_000 + "]" * 100_000),
    "manifest with a huge clause count": lambda d: (current(d) / "manifest.json").write_text(
        json.dumps({**json.loads((current(d) / "manifest.json").read_text()), "clause_count": 10**30})
    ),
    "clauses nested 100,000 deep": lambda d: (current(d) / "clauses.jsonl").write_text("[" * 100_000 + "\n"),
    "FIFO for the FAISS file": lambda d: replace_with_fifo(current(d) / "clauses.faiss"),
    "FIFO for the manifest": lambda d: replace_with_fifo(current(d) / "manifest.json"),
    "folder for the clauses": lambda d: replace_with_folder(current(d) / "clauses.jsonl"),
    "device for the FAISS file": lambda d: replace_with_device(current(d) / "clauses.faiss"),
    "current a copied folder": current_as_a_copied_folder,
    "current a FIFO": lambda d: ((d / "current").unlink(), os.mkfifo(d / "current")),
    "current a plain file": lambda d: ((d / "current").unlink(), (d / "current").write_text("versions/x")),
    "current dangling": lambda d: ((d / "current").unlink(), (d / "current").symlink_to("versions/gone")),
}


def zanger(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_broken_index_is_refused_or_served_from_an_intact_version_and_the_named_command_repairs_it(
    capsys, caplog, index_dir, damage
):
    # An intact version remains when a spare was kept, or when only `current` itself was damaged.
    intact_remains = has_spare(index_dir) or damage.startswith("current")
    DAMAGES[damage](index_dir)
    with caplog.at_level(logging.WARNING, logger="zanger.store"):
        code, out, err = zanger(capsys, "ask", "--index-dir", str(index_dir), "--json", QUESTION)
    command = f"zanger index --index-dir {index_dir}"
    assert (code == 0) is intact_remains, err
    if code == 0:  # served from the intact version beside the broken one, and said so in both languages
        assert json.loads(out)["hits"][0]["id"] == "regulation.p10"
        [warning] = [record.getMessage() for record in caplog.records if record.name == "zanger.store"]
        assert "предыдущая целая версия" in warning and "алдыңғы бүтін" in warning.lower() and command in warning
    else:
        assert code == 2 and out == "" and "Traceback" not in err
        assert command in err and len(err.strip().split("\n")) == 2
    # The command the message names repairs the index, whatever `current` had become.
    assert zanger(capsys, "index", "--index-dir", str(index_dir), "--quiet")[0] == 0
    assert (index_dir / "current").is_symlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="zanger.store"):
        code, out, err = zanger(capsys, "ask", "--index-dir", str(index_dir), "--json", QUESTION)
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "regulation.p10"
    assert not [record for record in caplog.records if record.name == "zanger.store"]  # no fallback any more


def test_with_an_intact_version_beside_a_broken_current_the_answer_comes_from_it(two_versions, tmp_path, capsys):
    index_dir = tmp_path / "index"
    shutil.copytree(two_versions, index_dir, symlinks=True)
    replace_with_fifo(current(index_dir) / "clauses.faiss")
    code, out, _ = zanger(capsys, "ask", "--index-dir", str(index_dir), "--json", QUESTION)
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "regulation.p10"


def test_the_real_command_never_hangs_on_a_fifo_and_says_so_on_stderr(two_versions, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(two_versions, index_dir, symlinks=True)
    replace_with_fifo(current(index_dir) / "manifest.json")
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--index-dir", str(index_dir), QUESTION],
        capture_output=True, text=True, env=ENV, timeout=120,
    )
    assert result.returncode == 0 and "Пункт 10 Положения" in result.stdout
    assert "manifest.json" in result.stderr and "предыдущая целая версия" in result.stderr and "Traceback" not in result.stderr


def test_a_running_server_swaps_to_a_newer_index(tmp_path):
    index_dir = tmp_path / "index"
    settings = settings_for(index_dir)
    build(load_act(), HashingEncoder(), settings, progress=False)
    app = create_app(settings)
    with TestClient(app) as client:
        first = client.get("/health").json()["index"]["built_at"]
        old = app.state.assistant
        time.sleep(1.1)  # built_at has one-second resolution
        build(load_act(), HashingEncoder(), settings, progress=False)
        assert client.get("/health").json()["index"]["built_at"] != first  # /health loads the newer one first
        assert app.state.assistant is not old
        assert client.post("/ask", json={"question": QUESTION}).json()["hits"][0]["id"] == "regulation.p10"
        # A broken newer version is never served: the reload falls back to the intact one, or keeps the old.
        build(load_act(), HashingEncoder(), settings, progress=False)
        (current(index_dir) / "clauses.jsonl").write_bytes(b"{")
        client.get("/health")
        app.state.reloader.wait(30)
        assert client.post("/ask", json={"question": QUESTION}).json()["hits"][0]["id"] == "regulation.p10"


def test_a_full_disk_names_the_file_it_could_not_write(monkeypatch, tmp_path, capsys):
    import errno

    import assistant.store as store

    def full_disk(*args, **kwargs):  # what write(2) reports on a full disk: an errno, no file name
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "open", full_disk, raising=False)  # the store's own `open` only
    code, out, err = zanger(capsys, "index", "--index-dir", str(tmp_path / "index"), "--quiet")
    assert code == 2 and "Traceback" not in err
    assert "clauses.faiss" in err and str(tmp_path / "index") in err  # the real path, not an empty one
    assert not [p for p in (tmp_path / "index" / "versions").iterdir() if p.name.startswith(".tmp-")]
