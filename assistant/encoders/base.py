"""The seam every encoder backend sits behind: texts in, L2-normalized float32 rows out."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

_SURROGATE = re.compile("[\ud800-\udfff]")


@runtime_checkable
class Encoder(Protocol):
    """Embeds questions and clause passages into one vector space.

    `name` is stable and goes into the index manifest: an index built with one encoder is refused
    by another. Both methods return float32 arrays of shape (len(texts), dim) with unit-length rows.
    """

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def clean_texts(texts: Sequence[str]) -> list[str]:
    """Texts as a backend can take them: NUL -> space, lone surrogates -> U+FFFD.

    Why: a C engine reads a NUL as the end of the string, and a JSON "\\ud800" escape decodes to a
    lone surrogate that UTF-8 cannot encode; neither should crash or silently shorten a question.
    Example: clean_texts(["a\\x00b"]) -> ["a b"].
    """
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    cleaned = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        cleaned.append(_SURROGATE.sub("\ufffd", text.replace("\x00", " ")))
    return cleaned


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 as contiguous float32 (all-zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)
