"""Latency samples -> percentiles; timing a call over many inputs after a warm-up."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Percentiles of one measurement, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    def to_dict(self) -> dict:
        return {key: round(value, 3) if isinstance(value, float) else value for key, value in asdict(self).items()}


def summarize(samples_ms: Sequence[float]) -> Timing:
    """Percentiles of latency samples (ms); NaNs when there are none.

    Example: summarize([1, 2, 3, 4]).p50 -> 2.5.
    """
    if not len(samples_ms):
        nan = float("nan")
        return Timing(0, nan, nan, nan, nan)
    values = np.asarray(samples_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return Timing(len(values), float(p50), float(p95), float(p99), float(values.mean()))


def time_each(call: Callable[[Any], object], inputs: Iterable[Any], warmup: Iterable[Any] = ()) -> Timing:
    """Latency of `call(x)` for each input, one at a time, after calling it once on each warm-up input."""
    for item in warmup:
        call(item)
    samples = []
    for item in inputs:
        start = time.perf_counter()
        call(item)
        samples.append((time.perf_counter() - start) * 1000.0)
    return summarize(samples)


def time_pairs(
    first: Callable[[str], object], second: Callable[[str], object], inputs: Iterable[str], warmup: Iterable[str] = ()
) -> tuple[Timing, Timing]:
    """Latency of `first(x)` and of `second(x)` for each input, alternating.

    Why pairs: on a shared machine background load drifts; timing both calls back to back on the
    same input exposes them to the same load, so their ratio stays meaningful.
    """
    for item in warmup:
        first(item)
        second(item)
    a, b = [], []
    for item in inputs:
        start = time.perf_counter()
        first(item)
        middle = time.perf_counter()
        second(item)
        end = time.perf_counter()
        a.append((middle - start) * 1000.0)
        b.append((end - middle) * 1000.0)
    return summarize(a), summarize(b)
