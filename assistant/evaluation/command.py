"""`zanger eval` as a command: arguments checked before anything runs, progress on stderr, files written at the end."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

EXTRA_HINT = 'pip install "zanger[eval]"'
CHECKOUT = Path(__file__).resolve().parents[2]


def in_checkout() -> bool:
    """Is this code running from a source checkout (not an installed wheel)?"""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "assistant").is_dir() and "site-packages" not in CHECKOUT.parts


def default_eval_dir() -> Path | None:
    """The checkout's `eval/`, or the copy of the evaluation sets shipped inside the package."""
    if in_checkout() and (CHECKOUT / "eval" / "questions.jsonl").is_file():
        return CHECKOUT / "eval"
    try:
        from importlib.resources import files

        shipped = Path(str(files("zanger_eval")))
    except (ImportError, TypeError):
        return None
    return shipped if (shipped / "questions.jsonl").is_file() else None


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _writable_parent(path: Path) -> bool:
    parent = path.resolve().parent
    return parent.is_dir() and os.access(parent, os.W_OK)


def run(args) -> int:
    missing = [name for name in ("ranx", "sklearn", "matplotlib", "langdetect") if not _importable(name)]
    if missing:
        return _fail(f"zanger eval needs the [eval] extra ({', '.join(missing)} missing): {EXTRA_HINT}")
    eval_dir = Path(args.eval_dir) if args.eval_dir else default_eval_dir()
    if eval_dir is None or not (eval_dir / "questions.jsonl").is_file():
        return _fail(f"no development set (questions.jsonl) in {eval_dir}: give --eval-dir")
    test_dir = Path(args.test_dir) if getattr(args, "test_dir", None) else eval_dir / "test"
    report_path = Path(args.report) if args.report else eval_dir / "report.md"
    if not _writable_parent(report_path):
        return _fail(f"cannot write the report to {report_path}: its folder does not exist or is not writable")
    params_out = None
    if args.fit:
        from ..params import PARAMS_FILE

        params_out = Path(args.params_out) if getattr(args, "params_out", None) else (PARAMS_FILE if in_checkout() else None)
        if params_out is None:
            return _fail("zanger eval --fit outside a checkout: give --params-out PATH (the package's own files are never rewritten)")
        if not _writable_parent(params_out):
            return _fail(f"cannot write the fitted parameters to {params_out}")

    from tqdm import tqdm

    from ..assistant import Assistant
    from ..settings import Settings
    from . import evaluate, load_set
    from .fitting import FitBudget
    from .report import build_report, plot

    dev = load_set(eval_dir, "dev")
    test = load_set(test_dir, "test") if (test_dir / "questions.jsonl").is_file() else None
    settings = Settings.from_env(index_dir=args.index_dir, encoder=args.encoder)
    assistant = Assistant.load(settings, progress=sys.stderr.isatty())
    budget = FitBudget(fusion=args.fit != "abstention")

    def progress(items):
        return tqdm(items, file=sys.stderr, leave=False, disable=None, unit="q" if len(items) > 20 else "fold")

    results, params = evaluate(
        assistant.pipeline, dev, test, fit_params=bool(args.fit), significance=not args.no_significance, budget=budget,
        progress=progress, log=lambda line: print(line, file=sys.stderr),
    )
    from .import SIGNIFICANCE_ROUNDS

    report = build_report(results, budget, SIGNIFICANCE_ROUNDS)
    if params_out is not None:
        params.save(params_out)
        print(f"fitted parameters written to {params_out}", file=sys.stderr)
    report_path.write_text(report, encoding="utf-8")
    plot(results, report_path.with_suffix(".png"))
    results_path = report_path.with_name("results.json")
    results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8")
    print(report)
    print(f"\nreport: {report_path}\nchart: {report_path.with_suffix('.png')}\nresults: {results_path}")
    return 0


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
