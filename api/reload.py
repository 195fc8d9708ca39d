"""A running service notices a newer complete index and swaps to it, without a restart.

`zanger index` installs a version by renaming the `current` link, so one readlink(2) per request
(about a microsecond) tells whether the index changed. When it did, the new version is loaded on a
background thread with the encoder already in memory, and `app.state.assistant` is replaced in one
assignment: a request is answered wholly by the old index or wholly by the new one, never a mix.
A version that fails to load is logged once and not retried until `current` changes again; the
old index keeps serving. SIGHUP asks for the same check at once.
"""
from __future__ import annotations

import logging
import threading

from assistant.errors import ZangerError
from assistant.settings import Settings
from assistant.store import current_version

log = logging.getLogger("zanger.api")


class IndexReloader:
    """Watches `settings.index_dir` for `app`; `check()` is cheap and safe to call on every request."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings.but(build_if_missing=False)  # a server never builds behind your back
        self.version: str | None = None  # the version being served
        self._seen: str | None = None  # the last version a load was tried for
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def loaded(self, version: str | None) -> None:
        """Record the version the app's assistant was loaded from (read before loading it)."""
        self.version = self._seen = version

    def check(self) -> bool:
        """Start loading a newer `current` if there is one; True while a reload is under way."""
        version = current_version(self.settings.index_dir)
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return True
            if version is None or version in (self.version, self._seen):
                return False
            self._seen = version
            self._thread = threading.Thread(target=self._reload, args=(version,), name="zanger-reload", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Block until a reload under way has finished (tests, and SIGHUP from a terminal)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _reload(self, version: str) -> None:
        from assistant.assistant import Assistant

        old = self.app.state.assistant
        encoder = getattr(getattr(old, "retriever", None), "encoder", None)
        try:
            new = Assistant.load(self.settings, encoder=encoder)
        except (ZangerError, OSError) as exc:
            log.error("index version %s not loaded, still serving %s: %s", version, self.version, exc)
            return
        self.app.state.assistant = new  # one assignment: each request sees the old or the new, whole
        self.version = version
        log.info("index reloaded: now serving version %s (built %s)", version, new.manifest.get("built_at"))
