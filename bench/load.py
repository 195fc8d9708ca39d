"""A small asyncio load client for POST /ask on loopback: latency and throughput at a concurrency.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) over asyncio streams, one
connection per concurrent worker. Why not httpx: on this 2-core box httpx spends ~0.8 ms of
client CPU per request, which both adds to the latency measured at concurrency 1 and takes a
core away from the server under load; this client costs ~0.1 ms, so the numbers are the server's.

Bounded twice: it sends at most len(questions) requests and stops starting new ones after
`time_limit` seconds; each request has its own timeout, so a hung server cannot keep it running.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .timing import Timing, summarize

REQUEST_TIMEOUT = 30.0  # seconds for one request, connect included


@dataclass(frozen=True)
class LoadResult:
    """What a batch of requests at one concurrency achieved."""

    concurrency: int
    sent: int
    errors: int  # non-200 answers, transport failures and timeouts
    seconds: float
    timing: Timing  # latency of the successful requests
    samples_ms: tuple[float, ...] = ()  # each successful request's latency, to pool runs

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


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after a failure."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: dict) -> tuple[int, bytes]:
        """(status, body) of POST `path` with a JSON body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode("ascii") + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def _load(url: str, questions: Sequence[str], concurrency: int, time_limit: float) -> LoadResult:
    parts = urlsplit(url)
    pending = iter(questions)
    samples: list[float] = []
    errors = sent = 0
    start = time.perf_counter()
    deadline = start + time_limit

    async def worker() -> None:
        nonlocal errors, sent
        connection = Connection(parts.hostname, parts.port)
        try:
            for question in pending:  # one shared iterator: each question is sent once
                if time.perf_counter() > deadline:
                    return
                sent += 1
                began = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(connection.post_json("/ask", {"question": question}), REQUEST_TIMEOUT)
                    ok = status == 200
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                    await connection.close()
                    ok = False
                if ok:
                    samples.append((time.perf_counter() - began) * 1000.0)
                else:
                    errors += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(concurrency, sent, errors, time.perf_counter() - start, summarize(samples), tuple(samples))


def run_load(url: str, questions: Sequence[str], concurrency: int = 1, time_limit: float = 60.0) -> LoadResult:
    """Send each question once as POST /ask, `concurrency` at a time; per-request latency and overall throughput."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    return asyncio.run(_load(url, questions, concurrency, time_limit))


class BlockingClient:
    """One keep-alive connection used one request at a time, for latency paired with other calls."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self._loop = asyncio.new_event_loop()
        self._connection = Connection(parts.hostname, parts.port)

    def ask(self, question: str) -> bytes:
        """POST /ask; the response body, or RuntimeError on any status but 200."""
        status, body = self._loop.run_until_complete(
            asyncio.wait_for(self._connection.post_json("/ask", {"question": question}), REQUEST_TIMEOUT)
        )
        if status != 200:
            raise RuntimeError(f"POST /ask answered {status}: {body[:200]!r}")
        return body

    def close(self) -> None:
        self._loop.run_until_complete(self._connection.close())
        self._loop.close()

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
