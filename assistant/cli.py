"""Command line: `zanger ask | index | eval | serve`. The only place, with `api/`, that reads paths and the environment."""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from .errors import ZangerError
from .messages import both, render
from .settings import Settings

def _settings(args) -> Settings:
    return Settings.from_env(index_dir=getattr(args, "index_dir", None), encoder=getattr(args, "encoder", None))


def _shorten(text: str, width: int = 160) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def format_answer(answer, act_title: str) -> str:
    """The answer as a person reads it in a terminal."""
    lang = answer.lang
    if answer.abstained:
        lines = [answer.answer.splitlines()[0]]
        if answer.hits:
            lines += ["", render("answer_maybe", lang)]
            lines += [f"  • {hit.citation} — «{_shorten(hit.quote)}»" for hit in answer.hits]
        return "\n".join(lines)
    best, *related = answer.hits
    lines = [f"{best.citation[:1].upper()}{best.citation[1:]}:", f"«{best.quote}»"]
    if related:
        lines += ["", render("answer_related", lang)]
        lines += [f"  • {hit.citation} — «{_shorten(hit.quote)}»" for hit in related]
    lines += ["", f"{render('answer_source', lang)}: {act_title}"]
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from .assistant import Assistant

    assistant = Assistant.load(_settings(args), progress=sys.stderr.isatty())
    answer = assistant.ask(args.question, lang=args.lang, k=args.k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer, assistant.act.meta["title"][answer.lang]))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zanger",
        description="Ask Order No. 127 of the Prosecutor General of Kazakhstan and its Regulation, in Russian or Kazakh.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--index-dir", help="index directory (default: $ZANGER_INDEX_DIR or index/ of the checkout)")
        p.add_argument("--encoder", help='"e5" (default, bundled), "st:NAME_OR_PATH" (sentence-transformers) or "hashing"')
        return p

    ask = common(sub.add_parser("ask", help="answer a question with cited clauses"))
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=5, help="clauses to return (1-20, default 5)")
    ask.add_argument("--lang", choices=["ru", "kk"], help="answer language (default: detected)")
    ask.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    ask.set_defaults(func=cmd_ask)

    index = common(sub.add_parser("index", help="(re)build the index atomically"))
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(func=cmd_index)

    serve = common(sub.add_parser("serve", help="start the HTTP API and web chat"))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", default=8000, help="TCP port, 1-65535 (default 8000)")
    serve.add_argument("--log-level", default="info")
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
    evaluate.add_argument("--fit", action="store_true", help="fit fusion weights and abstention, write assistant/params.json")
    evaluate.add_argument("--report", default=None, help="where to write the markdown report (default eval/report.md)")
    evaluate.add_argument("--eval-dir", help="development set folder (default: eval/ of the checkout)")
    evaluate.add_argument("--no-significance", action="store_true", help="skip the paired randomization tests")
    evaluate.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .encoders.e5 import OPENMP_DEFAULTS

    for name, value in OPENMP_DEFAULTS.items():  # OpenMP reads these once, when the engine loads
        os.environ.setdefault(name, value)
    try:
        return args.func(args)
    except ZangerError as error:
        print(str(error), file=sys.stderr)
        return 2
    except OSError as error:  # e.g. an index folder that cannot be created or written
        where, reason = error.filename or "", error.strerror or str(error)
        print("\n".join(both("io_error", path=where, reason=reason)), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
