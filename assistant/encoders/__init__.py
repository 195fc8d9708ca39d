"""Encoders: "e5" (bundled, default), "st:NAME_OR_PATH" (sentence-transformers), "hashing[:DIM]" (tests)."""
from __future__ import annotations

from ..errors import EncoderUnavailable
from ..settings import Settings
from .base import Encoder
from .hashing import HashingEncoder

SPECS = ("e5", "st:NAME_OR_PATH", "hashing", "hashing:DIM")

__all__ = ["SPECS", "Encoder", "HashingEncoder", "load_encoder"]


def load_encoder(spec: str = "e5", settings: Settings | None = None) -> Encoder:
    """An encoder from its spec: "e5" | "st:NAME_OR_PATH" | "hashing" | "hashing:DIM"; e5 bounded by `settings`.

    Backends are imported only when chosen, so sentence-transformers (and torch) stay optional.
    """
    spec = (spec or "e5").strip()
    if spec == "e5":
        from .e5 import E5Encoder

        settings = settings or Settings()
        return E5Encoder(max_query_tokens=settings.max_question_tokens, queue_tokens=settings.encoder_queue_tokens)
    if spec.startswith("st:") and spec[3:].strip():
        from .sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(spec[3:].strip())
    if spec == "hashing":
        return HashingEncoder()
    if spec.startswith("hashing:") and spec[8:].isdigit() and 2 <= int(spec[8:]) <= 65536:
        return HashingEncoder(int(spec[8:]))
    valid = ", ".join(SPECS)
    raise EncoderUnavailable("encoder_unknown", spec=spec, valid=valid)
