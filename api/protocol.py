"""uvicorn's httptools protocol with bounds: header size and count, a request-read timeout, a connection limit.

uvicorn bounds none of these on its own (a 128 MiB header was parsed and answered, idle sockets
stayed open until the file descriptors ran out), and its protocol-level errors are plain text.
Here every refusal is the service's JSON error shape with its defensive headers, then the
connection is closed:

    400 bad_request          the parser rejects the bytes (bad or duplicate Content-Length, bad chunking, NUL...)
    414 url_too_long         the request target alone is over the header limit
    431 headers_too_large    request line + headers over `max_header_bytes`, or more than `max_headers` fields
    408 request_timeout      headers and body not complete within `request_timeout` of the first byte
    503 server_busy          more than `max_connections` open and none idle to close (with Retry-After)

A connection that sends nothing is closed silently after `request_timeout`; an idle keep-alive
connection after uvicorn's `timeout_keep_alive`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .errors import DEFENSIVE_HEADERS

log = logging.getLogger("zanger.api")


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int
    max_headers: int
    max_connections: int
    request_timeout: float
    retry_after: int


class _Refusal(Exception):
    """Raised from a parser callback; httptools re-raises it as the context of an HttpParserCallbackError."""

    def __init__(self, status: int, code: str):
        super().__init__(status, code)
        self.status, self.code = status, code


def error_bytes(status: int, code: str, message_ru: str, message_kk: str, extra: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response in the service's error shape, closing the connection (no Date/Server)."""
    body = json.dumps(
        {"error": {"code": code, "message_ru": message_ru, "message_kk": message_kk, "message": f"{message_ru}\n{message_kk}"}},
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body)),
        "connection": "close",
        **{name.lower(): value for name, value in DEFENSIVE_HEADERS.items()},
        **(extra or {}),
    }
    head = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
    return STATUS_LINE[status] + head + b"\r\n" + body


def bounded_protocol(limits: HttpLimits, messages: dict[str, tuple[str, str]]) -> type[HttpToolsProtocol]:
    """An HttpToolsProtocol subclass enforcing `limits`, its refusals worded from `messages` (code -> (ru, kk))."""
    retry = {"retry-after": str(limits.retry_after)}
    responses = {
        (status, code): error_bytes(status, code, *messages[code], extra=retry if status == 503 else None)
        for status, code in ((400, "bad_request"), (414, "url_too_long"), (431, "headers_too_large"),
                             (408, "request_timeout"), (503, "server_busy"))
    }

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._reading_head = True  # between a message's first byte (or the connection's start) and its headers' end
            self._head_bytes = 0  # bytes of the current head received so far
            self._callback_bytes = 0  # of those, the ones the parser has handed over (URL, names, values)
            self._header_count = self._url_bytes = 0
            self._messages_begun = 0
            self._received_any = False
            self._read_timer: asyncio.TimerHandle | None = None
            self._opened_at = self.loop.time()
            if len(self.connections) > limits.max_connections and not self._close_an_idle_connection():
                log.warning("refused a connection: %d open (limit %d)", len(self.connections), limits.max_connections)
                self._refuse(503, "server_busy")
                return
            self._arm_read_timer()

        def connection_lost(self, exc) -> None:
            self._cancel_read_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():
                return
            self._unset_keepalive_if_required()
            self._received_any = True
            self._arm_read_timer()  # a keep-alive connection's next request starts its own clock
            began = self._messages_begun
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                self._unsupported_upgrade_warning()  # no WebSocket routes here
                return
            except httptools.HttpParserError as exc:
                refusal = exc.__context__ if isinstance(exc.__context__, _Refusal) else _Refusal(400, "bad_request")
                self._refuse(refusal.status, refusal.code)
                return
            if self._reading_head and not self.transport.is_closing():
                # The parser keeps an unfinished header to itself, so count the raw bytes too: exactly from
                # the callbacks when the message began in this chunk, else the whole chunk.
                self._head_bytes = self._callback_bytes if self._messages_begun != began else self._head_bytes + len(data)
                if self._head_bytes > limits.max_header_bytes:
                    url = self._header_count == 0 and 2 * self._url_bytes > self._head_bytes  # mostly the target
                    self._refuse(414, "url_too_long") if url else self._refuse(431, "headers_too_large")

        def _close_an_idle_connection(self) -> bool:
            """Make room by closing the oldest connection that holds a slot doing nothing (never sent a byte,
            or idle between keep-alive requests): a flood of idle sockets cannot lock real clients out."""
            idle = [
                other for other in self.connections
                if other is not self and not other.transport.is_closing()
                and (not getattr(other, "_received_any", True) or other.timeout_keep_alive_task is not None)
            ]
            if not idle:
                return False
            oldest = min(idle, key=lambda other: other._opened_at)
            oldest.transport.close()
            self.connections.discard(oldest)
            return True

        # --- parser callbacks ---------------------------------------------------------------------

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._messages_begun += 1
            self._reading_head, self._head_bytes, self._callback_bytes, self._header_count = True, 0, 0, 0
            self._url_bytes = 0

        def on_url(self, url: bytes) -> None:
            self._callback_bytes += len(url)
            self._url_bytes += len(url)
            if self._callback_bytes > limits.max_header_bytes:
                raise _Refusal(414, "url_too_long")
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._callback_bytes += len(name) + len(value) + 4
            self._header_count += 1
            if self._callback_bytes > limits.max_header_bytes or self._header_count > limits.max_headers:
                raise _Refusal(431, "headers_too_large")
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._reading_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._cancel_read_timer()  # the whole request is in: what remains is the app's work
            super().on_message_complete()

        # --- refusals and the read timer ---------------------------------------------------------

        def send_400_response(self, msg: str) -> None:  # uvicorn's own call sites get the JSON shape too
            self._refuse(400, "bad_request")

        def _refuse(self, status: int, code: str) -> None:
            self._cancel_read_timer()
            if not self.transport.is_closing():
                self.transport.write(responses[(status, code)])
                self.transport.close()

        def _arm_read_timer(self) -> None:
            if self._read_timer is None:
                self._read_timer = self.loop.call_later(limits.request_timeout, self._on_read_timeout)

        def _cancel_read_timer(self) -> None:
            timer, self._read_timer = getattr(self, "_read_timer", None), None
            if timer is not None:
                timer.cancel()

        def _on_read_timeout(self) -> None:
            self._read_timer = None
            if self.transport.is_closing():
                return
            if not self._received_any:
                self.transport.close()  # never said a word: nobody to answer
                return
            self._refuse(408, "request_timeout")

    return BoundedHttpToolsProtocol
