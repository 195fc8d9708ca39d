"""Fusion of rankings: per-query score normalization, weighted sums and reciprocal-rank fusion."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def normalize_scores(scores: np.ndarray, method: str = "minmax") -> np.ndarray:
    """Scores of one query over all documents -> comparable scale.

    "minmax" maps to [0, 1] (all-equal scores -> zeros, so a signal with no evidence adds nothing);
    "zscore" centres on the mean in units of standard deviation; "max" divides by the maximum.
    """
    scores = np.asarray(scores, dtype=np.float32)
    if scores.size == 0:
        return scores
    if method == "minmax":
        low, high = float(scores.min()), float(scores.max())
        return (scores - low) / (high - low) if high > low else np.zeros_like(scores)
    if method == "zscore":
        std = float(scores.std())
        return (scores - scores.mean()) / std if std > 0 else np.zeros_like(scores)
    if method == "max":
        high = float(scores.max())
        return scores / high if high > 0 else np.zeros_like(scores)
    raise ValueError(f"unknown normalization {method!r}")


def reciprocal_rank_fusion(signals: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None, k: int = 60) -> np.ndarray:
    """Weighted RRF: sum of weight / (k + rank) over signals (rank 1 = best), as in Cormack et al. 2009."""
    total = None
    for name, scores in signals.items():
        weight = 1.0 if weights is None else weights.get(name, 0.0)
        if weight == 0.0:
            continue
        order = np.argsort(-np.asarray(scores), kind="stable")
        ranks = np.empty(len(order), dtype=np.float32)
        ranks[order] = np.arange(1, len(order) + 1, dtype=np.float32)
        part = weight / (k + ranks)
        total = part if total is None else total + part
    if total is None:
        size = len(next(iter(signals.values()))) if signals else 0
        return np.zeros(size, dtype=np.float32)
    return total


def normalize_signals(signals: Mapping[str, np.ndarray], method: str) -> dict[str, np.ndarray]:
    """Each signal on a comparable scale: normalized scores, or for "rrf" the reciprocal ranks 1 / (60 + rank)."""
    if method != "rrf":
        return {name: normalize_scores(scores, method) for name, scores in signals.items()}
    return {name: reciprocal_rank_fusion({name: scores}) for name, scores in signals.items()}


def weighted_sum(normalized: Mapping[str, np.ndarray], weights: Mapping[str, float], size: int) -> np.ndarray:
    """Sum of weight x normalized signal over the signals with a weight."""
    total = np.zeros(size, dtype=np.float32)
    for name, weight in weights.items():
        if weight and name in normalized:
            total += weight * normalized[name]
    return total
