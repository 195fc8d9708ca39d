"""One act's latency before and after a change, in one run: `bench.run` of two revisions, interleaved.

    python -m bench.compare 4e31def            # that revision against the working tree, 3 rounds (~6 min)
    python -m bench.compare 4e31def --rounds 5

The other revision is exported (`git archive`) into a temporary folder with its own virtualenv (pip
installs it and its dependencies, as its pyproject says), so each side runs its own code, its own
`zanger serve` and its own benchmark. The rounds alternate which side goes first, and every figure
is compared as each run measured it against its own encoder floor: this machine's speed drifts by tens
of percent over minutes, which a before/after taken an hour apart would report as a change.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = Path(__file__).with_name("compare.json")
ROWS = [  # (label, path into bench.run's results, unit)
    ("encoder floor p50", ("floor_ms", "p50"), "ms"),
    ("in-process answer p50", ("in_process_ms", "p50"), "ms"),
    ("in-process answer p50 / floor p50", ("in_process_ratio",), "x"),
    ("in-process cache hit p50", ("cached_in_process_ms", "p50"), "ms"),
    ("HTTP POST /ask p50", ("http", "latency", "latency_ms", "p50"), "ms"),
    ("HTTP POST /ask p50 / floor p50", ("http_ratio",), "x"),
    ("HTTP cache hit p50", ("http", "cached", "latency_ms", "p50"), "ms"),
    ("throughput c4 / (1000 / floor)", ("http", "c4", "vs_floor"), "x"),
    ("Assistant.load", ("assistant_load_s",), "s"),
    ("server ready", ("server_ready_s",), "s"),
    ("server peak RSS", ("server_peak_rss_mb",), "MB"),
]


def prepare(revision: str, folder: Path) -> Path:
    """`revision` exported into `folder`, installed into its own virtualenv; returns that Python."""
    source = folder / "source"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    venv.create(folder / "venv", with_pip=True)
    python = folder / "venv" / "bin" / "python"
    # httpx: what bench/ itself needed before it had its own HTTP client (an extra of the package then)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(source), "httpx"], check=True)
    return python


def run_bench(python: Path, cwd: Path, output: Path, requests: int) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("ZANGER_INDEX_DIR", "PYTHONPATH")}
    subprocess.run(
        [str(python), "-m", "bench.run", "--requests", str(requests), "--no-threads-probe", "--output", str(output)],
        cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    results = json.loads(output.read_text(encoding="utf-8"))["results"]
    results["in_process_ratio"] = results["in_process_ms"]["p50"] / results["floor_ms"]["p50"]
    http = results["http"]["latency"]
    results["http_ratio"] = http["latency_ms"]["p50"] / http["floor_ms"]["p50"]
    return results


def pick(results: dict, path: tuple[str, ...]) -> float:
    for key in path:
        results = results[key]
    return float(results)


def compare(revision: str, rounds: int, requests: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="zanger-bench-compare-") as tmp:
        folder = Path(tmp)
        sides = {"before": (prepare(revision, folder), folder / "source"), "after": (Path(sys.executable), ROOT)}
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for number in range(rounds):
            order = ("before", "after") if number % 2 == 0 else ("after", "before")
            for side in order:
                python, cwd = sides[side]
                print(f"round {number + 1}/{rounds}: {side}", file=sys.stderr, flush=True)
                runs[side].append(run_bench(python, cwd, folder / f"{side}-{number}.json", requests))
    medians = {side: {label: statistics.median(pick(r, path) for r in results) for label, path, _ in ROWS} for side, results in runs.items()}
    return {"revision": revision, "rounds": rounds, "requests": requests, "median": medians, "runs": runs}


def format_report(result: dict) -> str:
    before, after = result["median"]["before"], result["median"]["after"]
    lines = [
        f"one act, before ({result['revision']}) and after (working tree): medians of {result['rounds']} interleaved "
        f"bench.run rounds, {result['requests']} requests per measure",
        f"{'':<36} {'before':>9} {'after':>9} {'after/before':>13}",
    ]
    for label, _, unit in ROWS:
        lines.append(f"{label:<36} {before[label]:>9.3f} {after[label]:>9.3f} {after[label] / before[label]:>12.2f}x  {unit}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare the working tree with (e.g. 4e31def)")
    parser.add_argument("--rounds", type=int, default=3, help="bench.run rounds of each side, alternating (default 3)")
    parser.add_argument("--requests", type=int, default=100, help="requests per measure in each round (default 100)")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help=f"JSON results (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.requests < 10:
        parser.error("--rounds must be at least 1 and --requests at least 10")
    load_before = os.getloadavg()
    result = compare(args.revision, args.rounds, args.requests)
    print(format_report(result))
    print(f"\nload average (1/5/15 min) before {'/'.join(f'{v:.2f}' for v in load_before)}, "
          f"after {'/'.join(f'{v:.2f}' for v in os.getloadavg())}")
    result["load_average"] = {"before": load_before, "after": os.getloadavg()}
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
