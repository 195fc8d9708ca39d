"""A bounded load soak of a real `zanger serve`: does it keep answering, and lose nothing, for minutes on end?

    python -m bench.soak                          # 120 s, 16 concurrent clients, bundled e5 encoder
    python -m bench.soak --seconds 30 --clients 4 --encoder hashing

It builds an index in a temporary folder, starts `zanger serve` on a free 127.0.0.1 port and lets
`--clients` clients ask until `--seconds` have passed, each picking at random: a new question
(a fresh session), a follow-up in its own session, or a repeat of an earlier question. It counts
as an error any non-200, transport failure or timeout, a follow-up whose session was not kept, and
a repeat whose best clause differs from the first answer's. It prints latency percentiles per kind
of request and the server's resident memory (VmRSS, and the peak VmHWM) at the start and the end,
and writes everything to bench/soak.json. Nothing leaves loopback; every loop ends at the deadline.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .questions import pool_size, questions
from .server import start_server, zanger_command
from .timing import summarize

RESULTS_FILE = Path(__file__).with_name("soak.json")
KINDS = ("new", "followup", "repeat")
MIX = {"new": 0.5, "followup": 0.3, "repeat": 0.2}  # share of each kind of request
REQUEST_TIMEOUT = 60.0  # seconds for one request; a hung server shows up as errors, not a hung soak
HEALTH_EVERY = 1.0  # seconds between the monitor's GET /health (and memory samples)
# Asked once each before the clients start, so lazy loading is not counted as memory growth.
WARMUP = ("Что такое прокуратура района?", "Аудан прокуратурасы деген не?")

FOLLOWUPS = {
    "ru": ("А кто его назначает?", "А какие у него права?", "А что ещё входит в его обязанности?", "А где это сказано?"),
    "kk": ("Ал оны кім тағайындайды?", "Ал оның құқықтары қандай?", "Ал тағы қандай міндеттері бар?", "Бұл қай жерде жазылған?"),
}
# Prepended on later passes over the question pool, so "new" questions stay distinct (uncached).
PASS_PREFIXES = {"ru": ("", "Вопрос: ", "Уточните: ", "Хочу узнать: "), "kk": ("", "Сұрақ: ", "Нақтылаңызшы: ", "Білгім келеді: ")}


def memory_mb(pid: int) -> dict[str, float]:
    """{"rss": VmRSS, "peak": VmHWM} of a process in MiB, from /proc/PID/status; NaNs where unreadable."""
    values = {"rss": float("nan"), "peak": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = {"VmRSS:": "rss", "VmHWM:": "peak"}.get(line.split(":")[0] + ":")
            if key:
                values[key] = int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return values


class NewQuestions:
    """Distinct questions with their language, in order; after the last distinct one they repeat."""

    def __init__(self) -> None:
        pool = questions(pool_size())  # alternating ru / kk
        self.texts = []
        for number in range(len(PASS_PREFIXES["ru"])):
            for index, text in enumerate(pool):
                lang = "ru" if index % 2 == 0 else "kk"
                prefix = PASS_PREFIXES[lang][number]
                self.texts.append((prefix + text[0].lower() + text[1:] if prefix else text, lang))
        self.taken = 0

    def take(self) -> tuple[str, str]:
        text = self.texts[self.taken % len(self.texts)]
        self.taken += 1
        return text

    @property
    def distinct(self) -> int:
        return min(self.taken, len(self.texts))


@dataclass
class Tally:
    """What the clients saw, shared by all of them (one event loop: no locks needed)."""

    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    followups_resolved: int = 0
    lost_sessions: int = 0
    inconsistent_repeats: int = 0
    health_checks: int = 0
    health_errors: int = 0
    memory: list[dict] = field(default_factory=list)  # {"t": seconds, "rss": MiB} from the monitor

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {what}")


async def _client(http: httpx.AsyncClient, seed: int, deadline: float, fresh: NewQuestions, answered: dict, tally: Tally) -> None:
    """One user: asks until the deadline, mixing new questions, follow-ups and repeats."""
    rng = random.Random(seed)
    session: tuple[str, str] | None = None  # (session id, language of its last answer)
    while time.monotonic() < deadline:
        kind = rng.choices(KINDS, weights=[MIX[k] for k in KINDS])[0]
        if kind == "followup" and session is None:
            kind = "new"
        if kind == "repeat" and not answered:
            kind = "new"
        if kind == "new":
            question, _ = fresh.take()
            payload = {"question": question}
        elif kind == "followup":
            question = rng.choice(FOLLOWUPS[session[1]])
            payload = {"question": question, "session_id": session[0]}
        else:
            question = rng.choice(list(answered))
            payload = {"question": question}
        tally.sent[kind] += 1
        began = time.perf_counter()
        try:
            response = await http.post("/ask", json=payload)
        except httpx.HTTPError as exc:
            tally.error(kind, f"{type(exc).__name__}: {exc}")
            continue
        elapsed = (time.perf_counter() - began) * 1000.0
        if response.status_code != 200:
            tally.error(kind, f"HTTP {response.status_code}: {response.text[:200]}")
            continue
        body = response.json()
        top = (body["hits"][0]["id"] if body["hits"] else None, body["abstained"])
        if kind == "followup":
            # The session id is a signed token of the turns: it changes every turn, and a follow-up that
            # was not read as one means the conversation was lost.
            if not body["followup"]:
                tally.lost_sessions += 1
                tally.error(kind, f"follow-up {question!r} was not continued from its conversation")
                continue
            tally.followups_resolved += 1
            session = (body["session_id"], body["lang"])
        if kind == "repeat" and answered[question] != top:
            tally.inconsistent_repeats += 1
            tally.error(kind, f"{question!r}: first {answered[question]}, now {top}")
            continue
        if kind == "new":
            answered.setdefault(question, top)
            session = (body["session_id"], body["lang"])
        tally.latency_ms[kind].append(elapsed)


async def _monitor(http: httpx.AsyncClient, pid: int, started: float, deadline: float, tally: Tally) -> None:
    """GET /health and a memory sample every HEALTH_EVERY seconds until the deadline."""
    while time.monotonic() < deadline:
        tally.memory.append({"t": round(time.monotonic() - started, 1), "rss": memory_mb(pid)["rss"]})
        tally.health_checks += 1
        try:
            response = await http.get("/health")
            if response.status_code != 200 or response.json().get("ready") is not True:
                tally.health_errors += 1
                tally.error("health", f"HTTP {response.status_code}: {response.text[:200]}")
        except httpx.HTTPError as exc:
            tally.health_errors += 1
            tally.error("health", f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(HEALTH_EVERY)


async def _soak(url: str, pid: int, seconds: float, clients: int, seed: int) -> tuple[Tally, NewQuestions, float]:
    tally, fresh, answered = Tally(), NewQuestions(), {}
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            _monitor(http, pid, started, deadline, tally),
            *(_client(http, seed + number, deadline, fresh, answered, tally) for number in range(clients)),
        )
        elapsed = time.monotonic() - started
    return tally, fresh, elapsed


def soak(seconds: float = 120.0, clients: int = 16, encoder: str = "e5", index_dir: Path | None = None, seed: int = 0) -> dict:
    """Run the soak against a fresh `zanger serve`; returns the results as a JSON-ready dict.

    Without `index_dir` the index is first built with `zanger index` in a temporary folder.
    """
    if seconds <= 0 or clients < 1:
        raise ValueError("seconds must be positive and clients at least 1")
    with tempfile.TemporaryDirectory(prefix="zanger-soak-") as tmp:
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            subprocess.run(
                [*zanger_command(), "index", "--index-dir", str(index_dir), "--encoder", encoder, "--quiet"],
                check=True,
                capture_output=True,
            )
        with start_server(Path(index_dir), Path(tmp) / "server.log", ("--encoder", encoder)) as server:
            ready_memory = memory_mb(server.pid)
            for question in WARMUP:
                httpx.post(f"{server.url}/ask", json={"question": question}, timeout=REQUEST_TIMEOUT).raise_for_status()
            start_memory = memory_mb(server.pid)
            tally, fresh, elapsed = asyncio.run(_soak(server.url, server.pid, seconds, clients, seed))
            end_memory = memory_mb(server.pid)
            alive = server.process.poll() is None
    kinds = [kind for kind in KINDS if tally.sent[kind]]
    sent = sum(tally.sent.values())
    errors = sum(tally.errors.values())
    latency = {kind: summarize(tally.latency_ms[kind]).to_dict() for kind in kinds}
    latency["all"] = summarize([ms for kind in kinds for ms in tally.latency_ms[kind]]).to_dict()
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "encoder": encoder,
        "requests": sent,
        "errors": errors,
        "server_alive_at_end": alive,
        "throughput_rps": round((sent - errors) / elapsed, 2) if elapsed > 0 else 0.0,
        "sent": {kind: tally.sent[kind] for kind in kinds},
        "errors_by_kind": dict(tally.errors),
        "error_samples": tally.error_samples,
        "latency_ms": latency,
        "distinct_new_questions": fresh.distinct,
        "followups_resolved": tally.followups_resolved,
        "lost_sessions": tally.lost_sessions,
        "inconsistent_repeats": tally.inconsistent_repeats,
        "health_checks": tally.health_checks,
        "health_errors": tally.health_errors,
        "rss_mb": {
            "ready": round(ready_memory["rss"], 1),
            "start": round(start_memory["rss"], 1),  # after the warm-up questions
            "end": round(end_memory["rss"], 1),
            "growth": round(end_memory["rss"] - start_memory["rss"], 1),
            "peak": round(end_memory["peak"], 1),
            "samples": tally.memory,
        },
        "load_average": list(os.getloadavg()),
    }


def format_report(r: dict) -> str:
    """The soak's results as a plain-text table."""
    lines = [
        f"soak: {r['seconds']:.0f} s, {r['clients']} clients, encoder {r['encoder']}, {r['requests']} requests, "
        f"{r['throughput_rps']:.1f} answers/s",
        "",
        f"{'kind':<10}{'sent':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}",
    ]
    for kind, t in r["latency_ms"].items():
        sent = r["requests"] if kind == "all" else r["sent"].get(kind, 0)
        errors = r["errors"] if kind == "all" else r["errors_by_kind"].get(kind, 0)
        lines.append(f"{kind:<10}{sent:>8}{errors:>8}{t['p50']:>10.1f}{t['p95']:>10.1f}{t['p99']:>10.1f}{t['mean']:>10.1f}")
    m = r["rss_mb"]
    lines += [
        "",
        f"errors: {r['errors']} (lost sessions {r['lost_sessions']}, inconsistent repeats {r['inconsistent_repeats']}, "
        f"health {r['health_errors']} of {r['health_checks']} checks); server alive at the end: {r['server_alive_at_end']}",
        f"distinct new questions: {r['distinct_new_questions']}; follow-ups resolved as follow-ups: "
        f"{r['followups_resolved']} of {r['sent'].get('followup', 0)}",
        f"server RSS: ready {m['ready']:.0f} MiB, start (warmed up) {m['start']:.0f} MiB, "
        f"end {m['end']:.0f} MiB ({m['growth']:+.0f} MiB), peak {m['peak']:.0f} MiB",
        f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in r['load_average'])}",
    ]
    lines += [f"  {sample}" for sample in r["error_samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the clients ask (default 120)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--encoder", default="e5", help='encoder spec, as for zanger (default "e5")')
    parser.add_argument("--index-dir", type=Path, help="serve this prebuilt index instead of building one")
    parser.add_argument("--seed", type=int, default=0, help="seed of the clients' choices")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help=f"JSON results (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    results = soak(args.seconds, args.clients, args.encoder, args.index_dir, args.seed)
    print(format_report(results))
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.output}")
    return 0 if results["errors"] == 0 and results["server_alive_at_end"] else 1


if __name__ == "__main__":
    sys.exit(main())
