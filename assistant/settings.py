"""One settings object for the CLI and the service; only `from_env` (the edge) reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


def index_dir_from_env(env: Mapping[str, str]) -> Path:
    """Where the index lives, whatever way zanger was installed (a wheel, an editable checkout, a venv):
    $ZANGER_INDEX_DIR, else $XDG_DATA_HOME/zanger/index, else ~/.local/share/zanger/index.

    Example: index_dir_from_env({"HOME": "/home/a"}) -> Path("/home/a/.local/share/zanger/index").
    """
    if env.get("ZANGER_INDEX_DIR"):
        return Path(env["ZANGER_INDEX_DIR"]).expanduser()
    if env.get("XDG_DATA_HOME") and Path(env["XDG_DATA_HOME"]).is_absolute():  # the XDG spec ignores relative ones
        return Path(env["XDG_DATA_HOME"]).expanduser() / "zanger" / "index"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "zanger" / "index"


@dataclass(frozen=True)
class Settings:
    index_dir: Path | None = None  # the edge chooses it: Settings.from_env (index_dir_from_env) or an explicit path
    encoder: str = "e5"  # "e5" (bundled multilingual-e5-small) | "st:NAME_OR_PATH" | "hashing"
    act_dir: Path | None = None  # None: the act shipped with the package
    max_question_chars: int = 1000  # longer questions are refused, not truncated
    default_k: int = 5  # clauses returned per answer
    max_k: int = 20
    build_if_missing: bool = True  # `ask` builds the index on first use
    embedding_cache_size: int = 2048  # query embeddings kept in memory (LRU)
    params_file: Path | None = None  # fitted retrieval parameters; None: the ones shipped with the package
    search_candidates: int = 200  # clauses FAISS and BM25 each put forward per question (all of them for one act)
    # From this many vectors (10k bilingual clauses) the index is IVF-Flat, below it exact: at 20k vectors IVF
    # at ivf_nprobe finds the exact top 10 (recall 1.00) for ~1/25 of the flat scan (bench/product_scale.py).
    ivf_min_vectors: int = 20_000
    # IVF lists searched per question (of 4·√n): recall@10 1.00 at 20k vectors, 0.98 at 200k; 32 gave 0.93 / 0.83
    # (bench/product_scale.py). Costs ~1-5 ms there, small beside BM25 over as many clauses.
    ivf_nprobe: int = 128
    session_turns: int = 3  # turns a conversation token carries (a follow-up looks back at most 3)
    session_ttl_seconds: float = 3600.0  # a conversation token expires this long after its last turn
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are given
    max_body_bytes: int = 64 * 1024  # request bodies larger than this are refused
    # --- bounded work per request (SECURITY.md "Hostile load") ---
    max_question_tokens: int = 64  # encoder tokens read from a question (longest dev-set question: 25); BM25 reads it all
    encoder_queue_tokens: int = 512  # question tokens waiting for the encoder (~0.5 s of work); past it: 503
    busy_retry_seconds: int = 1  # Retry-After sent with a 503 when the encoder queue is full
    # --- bounded HTTP (`zanger serve`) ---
    http_max_header_bytes: int = 16 * 1024  # request line + headers; past it: 431 (414 for the URL alone)
    http_max_headers: int = 100  # header fields per request; past it: 431
    http_max_connections: int = 1000  # open connections; more are answered 503 and closed (clamped below the fd limit)
    http_request_timeout_seconds: float = 10.0  # a request's headers and body must arrive within this; else 408
    http_keepalive_seconds: float = 5.0  # an idle keep-alive connection is closed after this
    allowed_hosts: tuple[str, ...] = ()  # Host header names accepted; () = any (serve on loopback fills in its own)
    # --- conversations (signed tokens, nothing kept on the server) ---
    session_key: bytes | None = None  # HMAC key for conversation tokens; None: random per process (set it for replicas)
    session_text_bytes: int = 1024  # UTF-8 bytes of a question a token keeps per turn (bounds the token: 4,334 chars)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from ZANGER_* environment variables, then explicit overrides (None values ignored)."""
        env = os.environ
        values: dict = {"index_dir": index_dir_from_env(env)}
        if env.get("ZANGER_ENCODER"):
            values["encoder"] = env["ZANGER_ENCODER"]
        if env.get("ZANGER_CORS_ORIGINS"):
            values["cors_origins"] = tuple(o.strip() for o in env["ZANGER_CORS_ORIGINS"].split(",") if o.strip())
        if env.get("ZANGER_SESSION_KEY"):
            values["session_key"] = env["ZANGER_SESSION_KEY"].encode("utf-8")
        if env.get("ZANGER_PARAMS"):
            values["params_file"] = Path(env["ZANGER_PARAMS"])
        if env.get("ZANGER_ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(h.strip().lower() for h in env["ZANGER_ALLOWED_HOSTS"].split(",") if h.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "index_dir" in values:
            values["index_dir"] = Path(values["index_dir"])
        return cls(**values)

    def but(self, **changes) -> "Settings":
        return replace(self, **changes)
