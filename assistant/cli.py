"""Command line: `zanger ask | chat | index | eval | serve`. The only place, with `api/`, that reads paths and the environment.

Nothing heavy is imported at the top: `zanger --help` and `--version` answer at once, and `ask`
and `chat` check their arguments before loading the encoder, the index or any language model.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import textwrap
from pathlib import Path

from .errors import QuestionError, ZangerError
from .messages import both, render
from .settings import Settings

EXIT_ERROR = 2  # a message was printed: bad input, a broken index, a path that cannot be used
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as `yes | head -1` leaves `yes`
EXIT_INTERRUPTED = 130  # 128 + SIGINT


def _settings(args) -> Settings:
    settings = Settings.from_env(index_dir=getattr(args, "index_dir", None), encoder=getattr(args, "encoder", None))
    args.index_dir_resolved = settings.index_dir  # so an I/O error can tell whether it is the index's
    return settings


def _shorten(text: str, width: int = 160) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def format_answer(answer, act_title: str) -> str:
    """The answer as a person reads it in a terminal."""
    lang = answer.lang
    verdict = f"[{render('verdict_' + answer.verdict, lang)}, {render('confidence', lang, value=answer.confidence)}]"
    if answer.abstained:
        partial = answer.verdict == "partial" and answer.hits
        lines = [render("answer_partial" if partial else "answer_not_in_act", lang), verdict]
        if answer.hits:
            lines += [""] if partial else ["", render("answer_maybe", lang)]
            lines += [f"  • {hit.citation} — «{_shorten(hit.quote)}»" for hit in answer.hits]
        return "\n".join(lines)
    best, *related = answer.hits
    lines = [f"{best.citation[:1].upper()}{best.citation[1:]}:", f"«{best.quote}»"]
    if answer.note:
        lines += ["", answer.note]
    if related:
        lines += ["", render("answer_related", lang)]
        lines += [f"  • {hit.citation} — «{_shorten(hit.quote)}»" for hit in related]
    lines += ["", verdict, f"{render('answer_source', lang)}: {act_title}"]
    return "\n".join(lines)


def _load(settings: Settings):
    """The assistant, its language models left to load on the first question that needs them."""
    from .assistant import Assistant

    return Assistant.load(settings, progress=sys.stderr.isatty(), preload_languages=False)


def _print_answer(answer, assistant, as_json: bool, indent: int | None = 2) -> None:
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=indent), flush=True)
    else:
        print(format_answer(answer, assistant.act.meta["title"][answer.lang]), flush=True)


def cmd_ask(args) -> int:
    from .question import check_k, clean_question

    settings = _settings(args)
    # The input is checked before anything is loaded: a refused question costs no model load.
    check_k(args.k, settings.max_k)
    clean_question(args.question, settings.max_question_chars)
    assistant = _load(settings)
    _print_answer(assistant.ask(args.question, lang=args.lang, k=args.k), assistant, args.json)
    return 0


def _history_file() -> Path:
    """Where `zanger chat` keeps its line history: $XDG_STATE_HOME/zanger/chat_history, else ~/.local/state/..."""
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local" / "state"
    return base / "zanger" / "chat_history"


def _line_editing(interactive: bool):
    """readline for a terminal (arrows, Ctrl-R, history across sessions); a callable that saves it, or None."""
    if not interactive:
        return None
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        return None
    path = _history_file()
    try:
        readline.read_history_file(path)
    except OSError:
        pass  # no history yet, or unreadable: start without
    readline.set_history_length(1000)

    def save() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError:
            pass  # losing the line history is no reason to fail the conversation

    return save


def cmd_chat(args) -> int:
    """A conversation: questions from the terminal (or stdin), follow-ups read with the earlier turns."""
    from .conversation import Turn

    from .question import check_k

    settings = _settings(args)
    check_k(args.k, settings.max_k)
    interactive = sys.stdin.isatty()
    save_history = _line_editing(interactive)
    if interactive:
        print("\n".join(both("chat_intro")), file=sys.stderr, flush=True)
    assistant = _load(settings)
    turns: list[Turn] = []
    try:
        while True:
            try:
                line = input("> " if interactive else "")
            except EOFError:
                break
            except KeyboardInterrupt:  # Ctrl-C drops the line being typed, as in a shell
                print(file=sys.stderr)
                continue
            question = line.strip()
            if not question:
                continue
            if question.startswith("/"):
                command = question.split()[0].lower()
                if command in ("/exit", "/quit"):
                    break
                if command == "/new":
                    turns.clear()
                    print("\n".join(both("chat_new")), file=sys.stderr if args.json else sys.stdout, flush=True)
                else:
                    print("\n".join(both("chat_unknown_command", command=command)), file=sys.stderr, flush=True)
                continue
            try:
                answer = assistant.ask(question, lang=args.lang, k=args.k, history=turns)
            except QuestionError as error:  # one bad question does not end the conversation
                print(str(error), file=sys.stderr, flush=True)
                continue
            # the same bookkeeping as POST /ask: the turn, its language and the clauses it was answered with
            turns.append(Turn(question, answer.lang, tuple(hit.clause.id for hit in answer.hits)))
            del turns[: -settings.session_turns]
            _print_answer(answer, assistant, args.json, indent=None)
            if not args.json:
                print(flush=True)
    finally:
        if save_history:
            save_history()
    return 0


def cmd_index(args) -> int:
    from .assistant import build
    from .corpus import load_act
    from .encoders import load_encoder

    settings = _settings(args)
    manifest = build(load_act(settings.act_dir), load_encoder(settings.encoder), settings, progress=not args.quiet)
    print(
        f"index: {settings.index_dir} — {manifest['clause_count']} clauses, "
        f"encoder {manifest['encoder']} ({manifest['dim']}-d), corpus {manifest['corpus_hash']}"
    )
    return 0


def cmd_serve(args) -> int:
    from api.server import serve

    limits = {
        "http_max_header_bytes": args.max_header_bytes,
        "http_max_connections": args.max_connections,
        "http_request_timeout_seconds": args.request_timeout,
        "http_keepalive_seconds": args.keepalive_timeout,
        "allowed_hosts": tuple(host.lower() for host in args.allowed_host) or None,
    }
    serve(_settings(args).but(**{k: v for k, v in limits.items() if v is not None}), args.host, args.port, args.log_level, args.access_log)
    return 0


def cmd_eval(args) -> int:
    from .evaluation import main as eval_main

    return eval_main(args)


EXAMPLES = {
    "ask": """examples:
  zanger ask "Кто возглавляет прокуратуру района?"
  zanger ask "Аудан прокуратурасын кім басқарады?" -k 2
  zanger ask "права прокуратуры" --lang ru --json
  zanger ask "кужаттарга ким кол кояды" --index-dir /srv/zanger/index""",
    "chat": """examples:
  zanger chat                      # type a question, then a follow-up: "А кто его назначает?"
  zanger chat --lang kk -k 3
  printf 'Кто возглавляет прокуратуру района?\\nА кто его назначает?\\n' | zanger chat --json

in the conversation: /new starts over, /exit or Ctrl-D leaves; arrows and Ctrl-R recall earlier lines""",
    "index": """examples:
  zanger index                     # build (or rebuild) the index where zanger keeps it
  zanger index --index-dir /srv/zanger/index --quiet
  zanger index --encoder st:/models/all-MiniLM-L6-v2""",
    "serve": """examples:
  zanger serve                     # http://127.0.0.1:8000/ (chat), /docs (OpenAPI)
  zanger serve --port 8080 --access-log""",
    "eval": """examples:
  zanger eval                      # writes eval/report.md, eval/report.png, eval/results.json
  zanger eval --fit                # refit assistant/params.json first
  zanger eval --fit abstention     # ... its answerability model only, on the fusion weights it has
  zanger eval --report /tmp/report.md --no-significance""",
}

INDEX_HELP = "index directory (default: $ZANGER_INDEX_DIR, else $XDG_DATA_HOME/zanger/index, else ~/.local/share/zanger/index)"


def _version() -> str:
    from importlib import metadata
    from platform import python_version

    try:
        version = metadata.version("zanger")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "unknown"
    return f"zanger {version} (Python {python_version()})"


class _VersionAction(argparse.Action):
    """`--version`, its text computed only when asked: reading the installed metadata costs every other
    command ~30 ms (importlib.metadata and a scan of the installed distributions)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version(), flush=True)  # stdout, as argparse's own "version" action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zanger",
        description="Ask Order No. 127 of the Prosecutor General of Kazakhstan and its Regulation, in Russian or Kazakh.",
        epilog="examples:\n" + "\n".join(line for text in EXAMPLES.values() for line in text.splitlines()[1:2])
        + "\n\n`zanger COMMAND --help` shows each command's options and more examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print zanger's and Python's versions and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p):
        p.add_argument("--index-dir", metavar="DIR", help=INDEX_HELP)
        p.add_argument("--encoder", metavar="SPEC", help='"e5" (default, bundled), "st:NAME_OR_PATH" (sentence-transformers) or "hashing"')
        return p

    def answering(p):
        p.add_argument("-k", type=int, default=5, metavar="N", help="clauses to return (1-20, default 5)")
        p.add_argument("--lang", choices=["ru", "kk"], help="answer in this language and skip language detection (default: detected)")
        return p

    ask = answering(common(sub.add_parser("ask", help="answer a question with cited clauses")))
    ask.add_argument("question", help="the question, in Russian or Kazakh (quote it)")
    ask.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    ask.set_defaults(func=cmd_ask)

    chat = answering(common(sub.add_parser("chat", help="a conversation in the terminal, with follow-up questions")))
    chat.add_argument("--json", action="store_true", help="print each answer as one line of JSON")
    chat.set_defaults(func=cmd_chat)

    index = common(sub.add_parser("index", help="(re)build the index atomically"))
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(func=cmd_index)

    serve = common(sub.add_parser("serve", help="start the HTTP API and web chat"))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", default=8000, help="TCP port, 1-65535 (default 8000)")
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug", "trace"),
        help="how much the server logs (default info)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request (off by default: it costs latency)")
    defaults = Settings()
    serve.add_argument("--max-header-bytes", type=int, help=f"request line + headers, larger: 431 (default {defaults.http_max_header_bytes})")
    serve.add_argument("--max-connections", type=int, help=f"open connections, more: 503 (default {defaults.http_max_connections})")
    serve.add_argument("--request-timeout", type=float, help=f"seconds for a request to arrive whole, else 408 (default {defaults.http_request_timeout_seconds:g})")
    serve.add_argument("--keepalive-timeout", type=float, help=f"seconds an idle connection stays open (default {defaults.http_keepalive_seconds:g})")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a Host name to accept (repeatable; default on loopback: 127.0.0.1, localhost, ::1; else any)")
    serve.set_defaults(func=cmd_serve)

    evaluate = common(sub.add_parser("eval", help="retrieval-quality evaluation on the development set"))
    evaluate.add_argument(
        "--fit", nargs="?", const="all", choices=("all", "abstention"),
        help="fit on the development set first: fusion weights and answerability (all), or answerability only, "
        "keeping the fusion weights of the parameters in use (abstention)",
    )
    evaluate.add_argument("--params-out", help="where --fit writes the parameters (default: assistant/params.json of the checkout)")
    evaluate.add_argument("--test-dir", help="frozen test split folder (default: test/ inside the eval folder)")
    evaluate.add_argument("--report", default=None, help="where to write the markdown report (default eval/report.md)")
    evaluate.add_argument("--eval-dir", help="development set folder (default: eval/ of the checkout)")
    evaluate.add_argument("--no-significance", action="store_true", help="skip the paired randomization tests")
    evaluate.set_defaults(func=cmd_eval)

    for name, command in sub.choices.items():
        command.epilog = EXAMPLES.get(name)
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _os_error(error: OSError, args) -> tuple[str, str]:
    """(ru, kk) naming what could not be read or written and why; the index is blamed only when it is the index."""
    reason = error.strerror or str(error)
    if not error.filename:
        return both("io_error_unnamed", reason=reason)
    path = Path(os.fsdecode(error.filename)).absolute()
    report = getattr(args, "report", None)
    if report and path == Path(report).absolute():
        return both("io_error_report", path=path, reason=reason)
    index_dir = getattr(args, "index_dir_resolved", None)
    if index_dir is not None:
        index_dir = index_dir.absolute()
        if path == index_dir or index_dir in path.parents or path in index_dir.parents:
            return both("io_error_index", path=path, reason=reason)
    return both("io_error", path=path, reason=reason)


def _quiet_broken_pipe() -> int:
    """The reader went away (`zanger ask ... | head -1`): stop quietly, as Unix tools do."""
    try:
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .encoders.e5 import OPENMP_DEFAULTS

    for name, value in OPENMP_DEFAULTS.items():  # OpenMP reads these once, when the engine loads
        os.environ.setdefault(name, value)
    try:
        return args.func(args)
    except ZangerError as error:
        print(str(error), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:
        if error.errno == errno.EPIPE:
            return _quiet_broken_pipe()
        print("\n".join(_os_error(error, args)), file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
