"""A small asyncio + httpx load client for POST /ask on loopback: latency and throughput at a concurrency.

Bounded twice: it sends at most len(questions) requests and stops starting new ones after
`time_limit` seconds, so a slow or hung server cannot keep it running.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from .timing import Timing, summarize


@dataclass(frozen=True)
class LoadResult:
    """What a batch of requests at one concurrency achieved."""

    concurrency: int
    sent: int
    errors: int  # non-200 answers and transport failures
    seconds: float
    timing: Timing  # latency of the successful requests

    @property
    def throughput(self) -> float:
        """Successful requests per second of wall time."""
        return (self.sent - self.errors) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "concurrency": self.concurrency,
            "sent": self.sent,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 2),
            "latency_ms": self.timing.to_dict(),
        }


async def _load(url: str, questions: Sequence[str], concurrency: int, time_limit: float) -> LoadResult:
    pending = iter(questions)
    samples: list[float] = []
    errors = sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        start = time.perf_counter()
        deadline = start + time_limit

        async def worker() -> None:
            nonlocal errors, sent
            for question in pending:  # one shared iterator: each question is sent once
                if time.perf_counter() > deadline:
                    return
                sent += 1
                began = time.perf_counter()
                try:
                    response = await client.post("/ask", json={"question": question})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    samples.append((time.perf_counter() - began) * 1000.0)
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return LoadResult(concurrency, sent, errors, seconds, summarize(samples))


def run_load(url: str, questions: Sequence[str], concurrency: int = 1, time_limit: float = 60.0) -> LoadResult:
    """Send each question once as POST /ask, `concurrency` at a time; per-request latency and overall throughput."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    return asyncio.run(_load(url, questions, concurrency, time_limit))
