"""ASGI middleware: refuse oversized bodies and unknown Host names, ignore Range, send defensive headers."""
from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.messages import both

from .errors import DEFENSIVE_HEADERS, error_response


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; FastAPI re-raises HTTPExceptions."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodySizeLimit:
    """413 for a body over `max_bytes`: at once by Content-Length, else while the body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int, messages: tuple[str, str]) -> None:
        self.app, self.max_bytes, self.messages = app, max_bytes, messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, "bad_request", *both("bad_content_length"))(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await error_response(413, "body_too_large", *self.messages)(scope, receive, send)
                return

        received = 0
        started = False

        async def limited_receive() -> Message:
            # Content-Length may be absent (chunked) or lie, so count what actually arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            # Normally the app's exception handler answers; this covers a body read outside a route.
            if started:
                raise
            await error_response(413, "body_too_large", *self.messages)(scope, receive, send)


class SecurityHeaders:
    """nosniff and no-referrer everywhere; a strict Content-Security-Policy on the chat page and its files.

    /docs and /redoc get a policy of their own: their assets are served here too, but FastAPI's pages
    start Swagger UI with an inline script and ReDoc runs its search in a blob: worker. Neither may load
    anything from another origin.
    """

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    DOCS_CSP = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        chat = path == "/" or path.startswith("/static/")
        docs = path in ("/docs", "/redoc") or path.startswith(("/docs/", "/docs-"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(DEFENSIVE_HEADERS)
                if chat:
                    headers["Content-Security-Policy"] = self.CSP
                    headers["X-Frame-Options"] = "DENY"
                elif docs:
                    headers["Content-Security-Policy"] = self.DOCS_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(value: str) -> str:
    """A Host header's name without its port, lower-case. Example: host_name("[::1]:8000") -> "::1"."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostAllowList:
    """400 invalid_host unless the Host header names one of `hosts`: a page on another name (DNS
    rebinding, "attacker.example" resolving to 127.0.0.1) cannot talk to a server on loopback."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...], messages: tuple[str, str]) -> None:
        self.app, self.hosts, self.messages = app, frozenset(h.lower() for h in hosts), messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and host_name(Headers(scope=scope).get("host", "")) not in self.hosts:
            await error_response(400, "invalid_host", *self.messages)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class IgnoreRange:
    """Drop Range and If-Range: the pages are small, and Starlette answers a bad range in plain text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if any(name in (b"range", b"if-range") for name, _ in headers):
                scope = {**scope, "headers": [(n, v) for n, v in headers if n not in (b"range", b"if-range")]}
        await self.app(scope, receive, send)
