"""The HTTP service and web chat, thin over `assistant`: it validates, keeps conversations, and serves JSON.

The assistant is built once in `lifespan` (or handed in by the caller) and reaches the routes
through `Depends(get_assistant)`, so tests can swap it with `app.dependency_overrides`.
No retrieval happens here.
"""
# No `from __future__ import annotations`: FastAPI must resolve the route annotations, some of
# which (the request model built from the settings) are local to create_app.
import logging
import signal
import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path as PathParam, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from assistant.answer import clause_fields
from assistant.clause import LANGS
from assistant.contents import table_of_contents
from assistant.conversation import Turn
from assistant.sessions import ConversationTokens
from assistant.settings import Settings
from assistant.store import current_version

from . import docs, errors
from .reload import IndexReloader
from .middleware import BodySizeLimit, HostAllowList, IgnoreRange, SecurityHeaders
from .schemas import (
    ActResponse,
    CLAUSE_ID_MAX_CHARS,
    CLAUSE_ID_PATTERN,
    AskResponse,
    ClauseFields,
    ClauseResponse,
    ErrorResponse,
    HealthResponse,
    IndexInfo,
    Lang,
    ask_request_model,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
log = logging.getLogger("zanger.api")


async def get_assistant(request: Request):
    """The assistant built at start-up; 503 until it exists (async: a lookup needs no worker thread)."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(status_code=503)
    request.app.state.reloader.check()  # one readlink: has `zanger index` installed a newer version?
    return assistant


async def get_conversations(request: Request) -> ConversationTokens:
    """The app's conversation-token issuer (it keeps nothing)."""
    return request.app.state.conversations


# Any route may answer these: a bad Content-Length (400) or an oversized body (413) is refused by
# middleware before routing, and an unexpected failure is a bare 500.
_ANY_ROUTE = (400, 413, 500)


def _error_responses(*statuses: int) -> dict:
    """The OpenAPI `responses` of a route: its own error statuses and those of any route, in the error shape."""
    return {status: {"model": ErrorResponse} for status in sorted({*statuses, *_ANY_ROUTE})}


def create_app(settings: Settings | None = None, assistant=None) -> FastAPI:
    """The FastAPI app; with `assistant` given nothing is loaded, else `Assistant.load(settings)` runs at start-up."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.assistant is None:
            from assistant.assistant import Assistant

            # Loading may build the index (seconds of CPU): keep the event loop free meanwhile.
            version = current_version(settings.index_dir)
            app.state.assistant = await run_in_threadpool(Assistant.load, settings)
            app.state.reloader.loaded(version or current_version(settings.index_dir))
            log.info("assistant ready: encoder %s", app.state.assistant.encoder_name)
        try:  # `kill -HUP` asks a running server to look for a newer index now
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, app.state.reloader.check)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals here
            pass
        yield

    app = FastAPI(
        title="zanger",
        summary="Answers about Order No. 127 of the Prosecutor General of Kazakhstan and its Regulation, in Russian or Kazakh.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by docs.install with local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.reloader = IndexReloader(app, settings)
    if assistant is not None:
        app.state.reloader.loaded(current_version(settings.index_dir))
    app.state.conversations = ConversationTokens(
        settings.session_key, settings.session_turns, settings.session_text_bytes, settings.session_ttl_seconds
    )

    errors.install(app, settings)
    texts = errors.messages(settings)
    # Middleware added later wraps the earlier: headers and CORS also apply to a 413 from the size limit.
    app.add_middleware(IgnoreRange)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, messages=texts["body_too_large"])
    if settings.allowed_hosts:
        app.add_middleware(HostAllowList, hosts=settings.allowed_hosts, messages=texts["invalid_host"])
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"], allow_headers=["Content-Type"]
        )
    app.add_middleware(SecurityHeaders)

    AskRequest = ask_request_model(settings)
    AssistantDep = Annotated[object, Depends(get_assistant)]

    # Encoding a question is CPU-bound (and releases the GIL), so `ask` runs in the threadpool and never
    # stalls the event loop that serves the other requests. Only that call goes there: a plain `def`
    # route would also send its dependencies and its response validation to the pool, four thread
    # hops a request instead of one (bench/README.md). Plain `def` routes below are cheap lookups.
    @app.post("/ask", response_model=AskResponse, responses=_error_responses(422, 503), tags=["chat"])
    async def ask(
        body: AskRequest, assistant: AssistantDep, conversations: Annotated[ConversationTokens, Depends(get_conversations)]
    ) -> AskResponse:
        """Answer a question with the act's most relevant clauses; a follow-up leans on the conversation's earlier turns."""
        history = conversations.read(body.session_id)
        answer = await run_in_threadpool(assistant.ask, body.question, lang=body.lang, k=body.k, history=history)
        turn = Turn(body.question, answer.lang, tuple(hit.clause.id for hit in answer.hits))
        return AskResponse(**answer.to_dict(), session_id=conversations.issue([*history, turn]))

    @app.get("/clauses/{clause_id}", response_model=ClauseResponse, responses=_error_responses(404, 422, 503), tags=["act"])
    def clause(
        assistant: AssistantDep,
        clause_id: Annotated[str, PathParam(pattern=CLAUSE_ID_PATTERN, max_length=CLAUSE_ID_MAX_CHARS, examples=["regulation.p10"])],
        lang: Annotated[Lang, Query(description="Language of the clause")] = "ru",
        parallel: Annotated[bool, Query(description="Also return the clause in the other language")] = False,
    ) -> ClauseResponse:
        """One clause by id, with its citation; `parallel=true` adds the same clause in the other language."""
        found = assistant.clause(clause_id, lang)
        twin = None
        if parallel:
            other = next(other for other in LANGS if other != lang)
            twin_clause = assistant.clause(clause_id, other)
            twin = ClauseFields(**clause_fields(twin_clause, assistant.cite(twin_clause, other)))
        return ClauseResponse(**clause_fields(found, assistant.cite(found, lang)), parallel=twin)

    @app.get("/act", response_model=ActResponse, responses=_error_responses(422, 503), tags=["act"])
    def act(assistant: AssistantDep, lang: Annotated[Lang, Query(description="Language of the contents")] = "ru") -> ActResponse:
        """The act's table of contents: documents, chapters, points, lists and subpoints with ids and citations."""
        source = assistant.act
        documents = table_of_contents(source.clauses(lang), source.citation_style, lang)
        return ActResponse(lang=lang, title=source.meta["title"][lang], documents=documents)

    @app.get("/health", response_model=HealthResponse, responses=_error_responses(503), tags=["service"])
    def health(assistant: AssistantDep) -> HealthResponse:
        """Readiness (503 until the index is loaded), the encoder and the index manifest (a newer index is loaded first)."""
        reloader = app.state.reloader
        if reloader.check():
            reloader.wait(timeout=30)
            assistant = app.state.assistant
        report = assistant.health()
        manifest = report["manifest"]
        index = {key: manifest.get(key) for key in IndexInfo.model_fields}  # the manifest minus its checksums
        return HealthResponse(
            status="ok", ready=True, encoder=report["encoder"], act=report.get("act"), index=index
        )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    docs.install(app)
    return app
