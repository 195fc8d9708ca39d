"""Any sentence-transformers model from a local folder (or the local HF cache); never downloads.

Optional: needs `pip install torch==2.13.0` then `pip install "zanger[st]"`.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import EncoderUnavailable
from .base import clean_texts, unit_rows

INSTALL_HINT = 'pip install torch==2.13.0 && pip install "zanger[st]"'


class SentenceTransformerEncoder:
    """A sentence-transformers model on CPU, normalized embeddings.

    Prompts are applied only when the model's own config defines them ("query"; "document",
    "passage" or "corpus"), the way sentence-transformers' `encode_query` / `encode_document` do.
    """

    def __init__(self, name_or_path: str):
        local = Path(name_or_path).expanduser()
        # A local folder is named by its absolute path so the manifest does not depend on the cwd.
        self.source = str(local.resolve()) if local.is_dir() else name_or_path
        self.name = f"st:{self.source}"
        # Set before the import: huggingface_hub reads these once; `local_files_only` covers the case
        # where sentence-transformers was imported earlier.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderUnavailable("encoder_st_missing", hint=INSTALL_HINT) from exc
        try:
            with _quiet_transformers():
                self._model = SentenceTransformer(self.source, device="cpu", local_files_only=True)
        except Exception as exc:  # hub, config and weight errors all mean the same to a user: no model here
            raise EncoderUnavailable("encoder_st_no_model", name=name_or_path) from exc
        # Renamed in sentence-transformers 5; the old name still works on 3.x and 4.x.
        dimension = getattr(self._model, "get_embedding_dimension", None)
        dimension = dimension or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension() or self._model.encode(["x"]).shape[1])
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = next((p for p in ("document", "passage", "corpus") if p in prompts), None)
        # Fast tokenizers raise "Already borrowed" when one instance is used from two threads at once.
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        texts = clean_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                prompt_name=prompt_name,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return unit_rows(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim))


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No "Loading weights" bar from transformers while the model loads (the CLI's --quiet means quiet)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
