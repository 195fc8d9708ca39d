"""Conversations kept in memory: session id -> its latest turns, bounded in count, length and age.

The service forgets on purpose: at most `max_sessions` conversations (the least recently used
goes first), at most `max_turns` turns each (follow-ups only look a few turns back), and none
idle for longer than `ttl_seconds`. Every operation is O(1) amortized and holds one lock, so
the store can be shared by the threads that answer requests.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .conversation import Turn


@dataclass
class _Session:
    turns: deque[Turn]
    last_used: float


@dataclass
class SessionStore:
    """In-memory conversations; ids are random and unguessable, unknown or expired ids are replaced."""

    max_sessions: int = 10_000
    max_turns: int = 6
    ttl_seconds: float = 3600.0
    clock: Callable[[], float] = time.monotonic  # injectable so tests can move time
    # Ordered by last use, oldest first: LRU eviction and TTL expiry both pop from the front.
    _sessions: OrderedDict[str, _Session] = field(default_factory=OrderedDict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        if self.max_sessions < 1 or self.max_turns < 1 or self.ttl_seconds <= 0:
            raise ValueError("max_sessions, max_turns and ttl_seconds must be positive")

    @staticmethod
    def new_id() -> str:
        """A fresh session id: 128 random bits, URL-safe."""
        return secrets.token_urlsafe(16)

    def get(self, session_id: str | None) -> tuple[str, list[Turn]]:
        """(id, earlier turns oldest first) for a live session; (new id, []) for None, unknown or expired."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            session = self._sessions.get(session_id) if session_id is not None else None
            if session is None:
                return self.new_id(), []
            session.last_used = now
            self._sessions.move_to_end(session_id)
            return session_id, list(session.turns)

    def append(self, session_id: str, turn: Turn) -> None:
        """Record a turn, starting the session if it is not (or no longer) kept."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            session = self._sessions.get(session_id)
            if session is None:
                session = self._sessions[session_id] = _Session(deque(maxlen=self.max_turns), now)
            session.turns.append(turn)
            session.last_used = now
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self.clock())
            return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            self._expire(self.clock())
            return session_id in self._sessions

    def _expire(self, now: float) -> None:
        # The front is the least recently used, so expired sessions are all at the front.
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_used <= self.ttl_seconds:
                break
            self._sessions.popitem(last=False)
