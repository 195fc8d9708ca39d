"""Abstention: is there evidence that the act answers the question at all?

A logistic model over ranking features (fused score and margin, best dense cosine in each
language, lexical coverage of the question by the act's vocabulary and by the top clause),
fitted on the development set by `zanger eval --fit`. Raw similarity alone is not used: small
dense models give high cosines to anything in the domain's register.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def answerable_probability(features: Mapping[str, float], coef: Mapping[str, float], bias: float) -> float:
    """P(the act answers the question) under the fitted logistic model; 1.0 when none is fitted."""
    if not coef:
        return 1.0
    z = bias + sum(weight * features.get(name, 0.0) for name, weight in coef.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_logistic(
    rows: Sequence[Mapping[str, float]], labels: Sequence[int], names: Sequence[str], l2: float = 1.0, steps: int = 3000
) -> tuple[dict[str, float], float]:
    """Fit P(label=1 | features) by L2-regularized logistic regression (gradient descent on standardized
    features); returns (coefficients on the raw feature scale, bias)."""
    x = np.array([[row.get(n, 0.0) for n in names] for row in rows], dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    w = np.zeros(len(names))
    b = 0.0
    # balance classes so the rarer out-of-scope questions weigh as much as answerable ones
    pos = max(y.sum(), 1.0)
    neg = max(len(y) - y.sum(), 1.0)
    sample = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        grad = sample * (p - y)
        w -= 0.1 * (z.T @ grad / len(y) + l2 * w / len(y))
        b -= 0.1 * grad.mean()
    coef = {n: float(w[i] / std[i]) for i, n in enumerate(names)}
    bias = float(b - sum(w[i] * mean[i] / std[i] for i in range(len(names))))
    return coef, bias
