"""A tiny deterministic fake encoder for tests: hashed character trigrams, no model."""
from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from .base import clean_texts, unit_rows


class HashingEncoder:
    """Counts character trigrams of the lower-cased text into `dim` buckets (CRC32, stable across runs).

    Texts sharing many trigrams get close vectors; queries and passages are embedded alike.
    """

    def __init__(self, dim: int = 64):
        if not 2 <= dim <= 65536:
            raise ValueError(f"dim must be between 2 and 65536, got {dim}")
        self.dim = dim
        self.name = f"hashing:{dim}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = clean_texts(texts)
        counts = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in trigrams(text):
                counts[row, zlib.crc32(gram.encode("utf-8")) % self.dim] += 1.0
        return unit_rows(counts)


def trigrams(text: str) -> list[str]:
    """Character trigrams of the lower-cased, space-padded text; never empty.

    Example: trigrams("Да") -> [" да", "да "]; trigrams("") -> ["  "].
    """
    padded = f" {' '.join(text.lower().split())} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)] or [padded]
