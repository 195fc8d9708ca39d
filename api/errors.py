"""Every error the service returns, in one JSON shape with a Russian and a Kazakh message.

{"error": {"code": "invalid_k", "message_ru": "...", "message_kk": "...", "message": "ru\\nkk"}}
Validation errors are mapped from the field that failed to a stable code; nothing leaks a traceback.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.errors import EncoderBusy, QuestionError, UnknownClause, ZangerError
from assistant.messages import both
from assistant.settings import Settings

from .schemas import CLAUSE_ID_MAX_CHARS, session_id_max_chars

log = logging.getLogger("zanger.api")

# Sent with every response (by middleware.SecurityHeaders, and by the crash handler, which runs outside it).
DEFENSIVE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

_STATUS_CODES = {
    400: "malformed_json",  # FastAPI's only 400: a JSON body it cannot decode (e.g. not UTF-8)
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    503: "not_ready",
}


def messages(settings: Settings) -> dict[str, tuple[str, str]]:
    """Error code -> (Russian, Kazakh) message from the catalog, with the limits of `settings` filled in."""
    limits = {
        "question_too_long": settings.max_question_chars,
        "invalid_k": settings.max_k,
        "invalid_session_id": session_id_max_chars(settings),
        "invalid_clause_id": CLAUSE_ID_MAX_CHARS,
        "body_too_large": settings.max_body_bytes,
    }
    values = {
        "url_too_long": {"limit": settings.http_max_header_bytes},
        "headers_too_large": {"limit": settings.http_max_header_bytes, "count": settings.http_max_headers},
        "request_timeout": {"seconds": settings.http_request_timeout_seconds},
        "server_busy": {"seconds": settings.busy_retry_seconds},
    }
    codes = (
        "question_missing", "question_empty", "question_too_long", "question_type", "invalid_k", "invalid_lang",
        "invalid_session_id", "invalid_clause_id", "invalid_parallel", "malformed_json", "invalid_body",
        "invalid_request", "not_found", "method_not_allowed", "body_too_large", "not_ready", "unavailable",
        "internal_error", "bad_request", "url_too_long", "headers_too_large", "request_timeout", "server_busy",
        "invalid_host",
    )
    # The API's names for two catalog entries whose wording differs from the core's (no length, no value).
    catalog = {"question_too_long": "question_too_long_limit", "invalid_lang": "invalid_lang_field"}
    return {
        code: both(catalog.get(code, code), **({"limit": limits[code]} if code in limits else values.get(code, {})))
        for code in codes
    }


def error_response(status: int, code: str, message_ru: str, message_kk: str, headers: dict | None = None) -> JSONResponse:
    """The one error shape."""
    body = {"error": {"code": code, "message_ru": message_ru, "message_kk": message_kk, "message": f"{message_ru}\n{message_kk}"}}
    return JSONResponse(body, status_code=status, headers=headers)


def validation_code(error: dict) -> tuple[str, str]:
    """One pydantic/FastAPI error -> (public code, message key).

    Example: {"loc": ("body", "k"), "type": "less_than_equal"} -> ("invalid_k", "invalid_k").
    """
    loc, kind = tuple(error.get("loc", ())), error.get("type", "")
    if kind == "json_invalid":
        return "malformed_json", "malformed_json"
    field = loc[1] if len(loc) > 1 and isinstance(loc[1], str) else None
    if loc[:1] == ("body",) and field is None:
        return "invalid_body", "invalid_body"
    if field == "question":
        key = {"missing": "question_missing", "string_too_short": "question_empty", "string_too_long": "question_too_long"}
        return "invalid_question", key.get(kind, "question_type")
    if field in ("k", "lang", "session_id", "clause_id", "parallel"):
        return f"invalid_{field}", f"invalid_{field}"
    return "invalid_request", "invalid_request"


def install(app: FastAPI, settings: Settings) -> None:
    """Register the handlers that turn every failure into the error shape."""
    texts = messages(settings)

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        code, key = validation_code(errors[0]) if errors else ("invalid_request", "invalid_request")
        # A body that is not JSON at all is a syntax error (400); a JSON body with wrong values is 422.
        status = 400 if code == "malformed_json" else 422
        return error_response(status, code, *texts[key])

    async def on_question(request: Request, exc: QuestionError) -> JSONResponse:
        return error_response(422, "invalid_question", exc.message_ru, exc.message_kk)

    async def on_unknown_clause(request: Request, exc: UnknownClause) -> JSONResponse:
        return error_response(404, "unknown_clause", exc.message_ru, exc.message_kk)

    async def on_unavailable(request: Request, exc: ZangerError) -> JSONResponse:
        # Index or encoder trouble at request time: the service cannot answer, the request was fine.
        # Its message names server paths and the command to run: for the operator's log, not the client.
        log.error("service unavailable: %s", exc)
        return error_response(503, "not_ready", *texts["unavailable"])

    async def on_busy(request: Request, exc: EncoderBusy) -> JSONResponse:
        # Refused fast instead of answered late: the client may retry; the others are not delayed.
        return error_response(503, "server_busy", *texts["server_busy"], headers={"Retry-After": str(settings.busy_retry_seconds)})

    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        ru, kk = texts.get(code, texts["invalid_request"])
        return error_response(exc.status_code, code, ru, kk, headers=getattr(exc, "headers", None))

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Starlette answers a 500 from its outermost middleware, past SecurityHeaders: add them here.
        return error_response(500, "internal_error", *texts["internal_error"], headers=DEFENSIVE_HEADERS)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(QuestionError, on_question)
    app.add_exception_handler(UnknownClause, on_unknown_clause)
    app.add_exception_handler(EncoderBusy, on_busy)
    app.add_exception_handler(ZangerError, on_unavailable)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
