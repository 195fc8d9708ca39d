"""Conversations carried by the client: the session id is a signed token of the latest turns.

The server keeps nothing, so no client can evict another's conversation (the shared 10,000-slot
store it replaces could be flushed by 10,000 cheap requests), any replica holding the same key can
continue a conversation, and memory does not grow with the number of conversations. A token is

    z1.<base64url(zlib(JSON {"v": 1, "t": issued at, "turns": [[question, lang], ...]}))>.<base64url(HMAC-SHA256)[:22]>

bounded: at most `max_turns` turns (a follow-up looks back at most 3), each question cut to
`max_bytes` of UTF-8 (control characters and lone surrogates replaced), so its length has a fixed
ceiling (`max_token_chars`, 4,334 characters by default; a typical token is ~200). Hit ids are not
carried: resolving a follow-up reads only the earlier questions and their languages. A token
is accepted only with a valid signature (hmac.compare_digest) and younger than `ttl_seconds`;
anything else reads as no conversation, so a follow-up starts afresh. Turns are visible to the
client that holds the token (they are its own questions), never changeable by it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .conversation import Turn

_PREFIX = "z1."
_SIGNATURE_CHARS = 22  # 128 bits of HMAC-SHA256, base64url
_UNSAFE = re.compile("[\x00-\x1f\x7f]|[\ud800-\udfff]")  # JSON would escape them (6 bytes) or UTF-8 refuse them
_CLOCK_SKEW = 60.0  # seconds a token may seem to come from the future (replicas' clocks differ a little)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class ConversationTokens:
    """Issues and reads conversation tokens; `key` None means a random key for this process only."""

    key: bytes | None = None
    max_turns: int = 3
    max_bytes: int = 1024
    ttl_seconds: float = 3600.0
    clock: Callable[[], float] = time.time  # wall time: tokens travel between processes; injectable for tests
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self):
        if self.max_turns < 1 or self.max_bytes < 1 or self.ttl_seconds <= 0:
            raise ValueError("max_turns, max_bytes and ttl_seconds must be positive")
        if self.key is not None and len(self.key) < 16:
            raise ValueError("a conversation key needs at least 16 bytes")
        self._key = self.key or secrets.token_bytes(32)

    @property
    def max_token_chars(self) -> int:
        """The longest token this issuer can produce (zlib's worst case: a little larger than its input)."""
        turn_bytes = self.max_bytes + 16  # the question, its language and the JSON around them
        raw = self.max_turns * turn_bytes + 32
        compressed = raw + raw // 1000 * 5 + 64
        return len(_PREFIX) + (compressed * 4 + 2) // 3 + 1 + _SIGNATURE_CHARS

    def read(self, token: str | None) -> list[Turn]:
        """The turns of a valid, unexpired token, oldest first; [] for None, forged, expired or malformed."""
        if not isinstance(token, str) or not token.startswith(_PREFIX) or len(token) > self.max_token_chars:
            return []
        payload, _, signature = token[len(_PREFIX) :].partition(".")
        if not hmac.compare_digest(signature.encode("ascii", "replace"), self._sign(payload).encode("ascii")):
            return []
        try:  # signed by us, so well-formed; checked anyway, a key may have been shared carelessly
            record = json.loads(zlib.decompressobj().decompress(_unb64(payload), self.max_token_chars * 8))
            if not -_CLOCK_SKEW <= self.clock() - float(record["t"]) <= self.ttl_seconds:
                return []
            return [Turn(str(question), str(lang)) for question, lang in record["turns"]]
        except (ValueError, KeyError, TypeError, zlib.error, RecursionError):
            return []

    def issue(self, turns: Sequence[Turn]) -> str:
        """A token for the latest `max_turns` of `turns`."""
        kept = [[self._keepable(turn.question), turn.lang] for turn in turns[-self.max_turns :]]
        record = {"v": 1, "t": int(self.clock()), "turns": kept}
        payload = _b64(zlib.compress(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6))
        return f"{_PREFIX}{payload}.{self._sign(payload)}"

    def append(self, token: str | None, turn: Turn) -> str:
        """The token that continues `token`'s conversation with `turn` (a new conversation if it is not valid)."""
        return self.issue([*self.read(token), turn])

    def _keepable(self, question: str) -> str:
        """The question as a token keeps it: unsafe characters replaced, cut to `max_bytes` of UTF-8."""
        text = _UNSAFE.sub(lambda m: " " if m.group() < "\x80" else "\ufffd", question)
        return text.encode("utf-8")[: self.max_bytes].decode("utf-8", "ignore")

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, (_PREFIX + payload).encode("ascii", "replace"), hashlib.sha256).digest())[:_SIGNATURE_CHARS]
