"""Hostile load against a real `zanger serve` (loopback only, every attack bounded in count and time).

    python -m bench.hostile            # ~1-2 min; writes bench/hostile.json
    python -m bench.hostile --quick    # smaller counts (the test runs this)

What it measures, each beside the figure of issue 12 from before the fix:
  flood        64 questions of 1,000 random Cyrillic letters at concurrency 32 (e5 server), while a
               normal question is asked every 0.25 s: the normal question's latency, the flood's statuses
  headers      a 1 MiB header (time to the 431, /health meanwhile), 8 parallel 64 MiB headers (RSS)
  sockets      idle, partial-header and partial-body sockets: how long until the server closes them;
               more idle sockets than the limit: a real client still served (idle ones closed to
               make room); every slot busy with a half-sent request: 503 at once
  sessions     a follow-up after 10,000 requests from another client (hashing server); token sizes;
               server RSS before and after (nothing is kept per conversation)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx

from .server import start_server
from .soak import memory_mb

RESULTS_FILE = Path(__file__).with_name("hostile.json")
LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
NORMAL = "Кто возглавляет прокуратуру района?"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def hostile_question(rng: random.Random) -> str:
    """1,000 random Cyrillic letters in words of 3-12: the most tokens a question can carry."""
    words, length = [], 0
    while length < 990:
        word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 12)))
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:1000]


async def flood(url: str, count: int, concurrency: int) -> dict:
    rng = random.Random(12)
    questions = [hostile_question(rng) for _ in range(count)]
    statuses: dict[int, int] = {}
    normal_ms: list[float] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        queue: asyncio.Queue = asyncio.Queue()
        for question in questions:
            queue.put_nowait(question)

        async def attacker():
            while not queue.empty():
                question = queue.get_nowait()
                response = await http.post("/ask", json={"question": question})
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        async def normal_client():
            n = 0
            while not done.is_set():
                began = time.perf_counter()
                response = await http.post("/ask", json={"question": f"{NORMAL} ({n})" if n else NORMAL})
                if response.status_code == 200:
                    normal_ms.append((time.perf_counter() - began) * 1000)
                else:
                    normal_ms.append(float("inf"))
                n += 1
                await asyncio.sleep(0.25)

        began = time.perf_counter()
        watcher = asyncio.create_task(normal_client())
        await asyncio.gather(*(attacker() for _ in range(concurrency)))
        flood_seconds = time.perf_counter() - began
        done.set()
        await watcher
    return {
        "questions": count, "concurrency": concurrency, "flood_seconds": round(flood_seconds, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "normal_questions": len(normal_ms), "normal_max_ms": round(max(normal_ms), 1),
        "normal_p50_ms": round(sorted(normal_ms)[len(normal_ms) // 2], 1),
    }


def raw(url: str, data: bytes, wait: float = 60.0) -> tuple[bytes, float]:
    """Send `data`, read until closed; (response, seconds from the first byte sent to the close)."""
    began = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port_of(url)), timeout=wait) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return received, time.perf_counter() - began


def health_ms(url: str) -> float:
    began = time.perf_counter()
    httpx.get(f"{url}/health", timeout=60).raise_for_status()
    return (time.perf_counter() - began) * 1000


def headers(url: str, pid: int, parallel: int, big_mib: int) -> dict:
    rss_before = memory_mb(pid)["rss"]
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    response, seconds = raw(url, head + b"a" * (1 << 20) + b"\r\n\r\n")
    status = int(response.split()[1]) if response else None
    health_during: list[float] = []

    def big():
        raw(url, head + b"a" * (big_mib << 20) + b"\r\n\r\n")

    threads = [threading.Thread(target=big) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        health_during.append(health_ms(url))
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return {
        "1MiB_status": status, "1MiB_seconds": round(seconds, 4),
        f"{parallel}x{big_mib}MiB_health_max_ms": round(max(health_during, default=0.0), 1),
        "rss_before_mib": round(rss_before, 1), "rss_after_mib": round(memory_mb(pid)["rss"], 1),
        "peak_mib": round(memory_mb(pid)["peak"], 1),
    }


def sockets(url: str, max_connections: int) -> dict:
    results = {}
    partial = {
        "idle": b"",
        "partial_header": b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "partial_body": b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{",
    }
    for name, data in partial.items():
        response, seconds = raw(url, data, wait=120)
        results[name] = {"closed_after_s": round(seconds, 2), "status": int(response.split()[1]) if response else None}
    held = [socket.create_connection(("127.0.0.1", port_of(url)), timeout=5) for _ in range(max_connections + 50)]
    time.sleep(0.5)
    began = time.perf_counter()
    status = httpx.get(f"{url}/health", timeout=60).status_code
    results["idle_over_the_limit"] = {"opened": len(held), "real_client_status": status,
                                      "real_client_ms": round((time.perf_counter() - began) * 1000, 1)}
    for sock in held:
        sock.close()
    busy = [socket.create_connection(("127.0.0.1", port_of(url)), timeout=5) for _ in range(max_connections)]
    for sock in busy:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)
    response, seconds = raw(url, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    results["busy_over_the_limit"] = {"held": len(busy), "status": int(response.split()[1]) if response else None,
                                      "answered_in_ms": round(seconds * 1000, 1)}
    for sock in busy:
        sock.close()
    return results


def sessions(url: str, pid: int, others: int) -> dict:
    with httpx.Client(base_url=url, timeout=60) as http:
        first = http.post("/ask", json={"question": NORMAL}).json()
        rss_before = memory_mb(pid)["rss"]
        began = time.perf_counter()
        for n in range(others):
            http.post("/ask", json={"question": f"Какие права у прокуратуры района номер {n}?"}).raise_for_status()
        seconds = time.perf_counter() - began
        rss_after = memory_mb(pid)["rss"]
        follow = http.post("/ask", json={"question": "А кто его назначает?", "session_id": first["session_id"]}).json()
        third = http.post("/ask", json={"question": "А какие у него права?", "session_id": follow["session_id"]}).json()
    return {
        "other_requests": others, "other_seconds": round(seconds, 1), "followup_after": follow["followup"],
        "followup_best": follow["hits"][0]["id"] if follow["hits"] else None,
        "token_chars_1_turn": len(first["session_id"]), "token_chars_2_turns": len(follow["session_id"]),
        "token_chars_3_turns": len(third["session_id"]),
        "rss_before_mib": round(rss_before, 1), "rss_after_mib": round(rss_after, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller counts (seconds, not minutes)")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    quick = args.quick
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="zanger-hostile-") as tmp:
        tmp = Path(tmp)
        limits = ("--request-timeout", "2" if quick else "10", "--max-connections", "200")
        with start_server(tmp / "hashing-index", tmp / "hashing.log", ("--encoder", "hashing", *limits)) as server:
            results["headers"] = headers(server.url, server.pid, 2 if quick else 8, 8 if quick else 64)
            results["sockets"] = sockets(server.url, 200)
            results["sessions"] = sessions(server.url, server.pid, 500 if quick else 10_000)
        if not quick:
            with start_server(tmp / "e5-index", tmp / "e5.log", limits) as server:
                httpx.post(f"{server.url}/ask", json={"question": NORMAL}, timeout=60)
                results["flood"] = asyncio.run(flood(server.url, 64, 32))
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.output:
        args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
