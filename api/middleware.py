"""ASGI middleware: refuse oversized request bodies, and send defensive headers with every response."""
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

    /docs is left without CSP because FastAPI's Swagger UI loads its script from a CDN.
    """

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        chat = path == "/" or path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(DEFENSIVE_HEADERS)
                if chat:
                    headers["Content-Security-Policy"] = self.CSP
                    headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)
