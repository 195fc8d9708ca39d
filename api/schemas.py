"""The HTTP contract: request and response bodies as pydantic models, so /docs and validation agree.

Response models forbid extra keys: the OpenAPI schema then describes the JSON exactly, and a
field added to `Answer.to_dict()` without being added here fails loudly in the tests.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.settings import Settings

Lang = Literal["ru", "kk"]
CLAUSE_ID_PATTERN = r"^[a-z]+\.[a-z0-9.]+$"
CLAUSE_ID_MAX_CHARS = 64


def session_id_max_chars(settings: Settings) -> int:
    """The longest session id accepted: the longest conversation token `settings` can produce."""
    from assistant.sessions import ConversationTokens

    return ConversationTokens(b"x" * 16, settings.session_turns, settings.session_text_bytes).max_token_chars


def ask_request_model(settings: Settings) -> type[BaseModel]:
    """The POST /ask body, with the limits of `settings` written into its schema."""

    class AskRequest(BaseModel):
        """A question, optionally continuing a conversation."""

        # Strict: "5" is not a number and 1 is not a question; wrong types are refused, not coerced.
        model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"question": "Кто возглавляет прокуратуру района?"}]})

        question: Annotated[
            str,
            Field(
                min_length=1,
                max_length=settings.max_question_chars,
                description="The question in Russian or Kazakh. Questions without words, or in another "
                "language, are refused with 422 invalid_question.",
            ),
        ]
        session_id: Annotated[
            str | None,
            Field(
                max_length=session_id_max_chars(settings),
                description="The conversation to continue: the `session_id` of the previous answer, sent back as it "
                "came (a signed token of the latest turns; the server keeps nothing). Omit, null, or an "
                "invalid or expired token starts a new conversation.",
            ),
        ] = None
        lang: Annotated[Lang | None, Field(description="Answer language; null: detected from the question.")] = None
        k: Annotated[
            int, Field(ge=1, le=settings.max_k, description="How many clauses to return.")
        ] = settings.default_k

    return AskRequest


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClauseFields(_Contract):
    """One clause of the act in one language, with its citation in that language."""

    id: str = Field(examples=["regulation.p10"])
    document: Literal["order", "regulation"]
    point: int = Field(description="0 for the title, preamble and signature")
    subpoint: int | None
    list: int | None = Field(description="1, or 2 for the duties of regulation point 8")
    chapter: int | None
    lang: Lang
    citation: str = Field(examples=["пункт 10 Положения", "Ереженің 10-тармағы"])
    text: str
    context: str | None = Field(description="The lead-in of a subpoint's list, else null")


class HitOut(ClauseFields):
    """A clause put forward for a question."""

    score: float
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character spans of `text` holding words of the question (compared as stems, "
        "Kazakh also folded), in order"
    )


class AskResponse(_Contract):
    """`Answer.to_dict()` plus the session id to send with the next question."""

    question: str
    lang: Lang
    verdict: Literal["answered", "partial", "not_in_act"] = Field(
        description="answered; partial: the act does not answer it directly, hits are the closest clauses; not_in_act"
    )
    abstained: bool = Field(description="True unless verdict is answered: hits are only possibly related")
    answer: str
    confidence: float = Field(ge=0, le=1, description="Estimated probability that the act answers the question")
    followup: bool = Field(description="Earlier turns of the conversation were used to understand the question")
    note: str | None = Field(description="A remark on the question, e.g. a Kazakh word that names two notions of the act")
    hits: list[HitOut] = Field(description="Best first, all in `lang`")
    session_id: str = Field(description="Send it back with the next question to continue the conversation (it changes every turn)")


class ClauseResponse(ClauseFields):
    """GET /clauses/{id}: the clause, and with parallel=true the same clause in the other language."""

    parallel: ClauseFields | None = Field(description="The clause in the other language when parallel=true, else null")


class ContentsEntry(_Contract):
    """A clause in the table of contents; a point holds its lists or subpoints, a list its subpoints."""

    id: str = Field(examples=["regulation.p8.l1"])
    level: Literal["part", "point", "list", "subpoint"]
    point: int
    list: int | None
    subpoint: int | None
    citation: str = Field(examples=["пункт 8 Положения (права)"])
    snippet: str = Field(description="The clause's first line, shortened")
    children: list["ContentsEntry"]


class ContentsChapter(_Contract):
    chapter: int | None = Field(description="null for the parts outside chapters (the order, the regulation's title)")
    title: str | None
    clauses: list[ContentsEntry]


class ContentsDocument(_Contract):
    document: Literal["order", "regulation"]
    title: str | None
    chapters: list[ContentsChapter]


class ActResponse(_Contract):
    """GET /act: the whole act's table of contents in one language, in reading order."""

    lang: Lang
    title: str = Field(description="The act's full name in `lang`")
    documents: list[ContentsDocument]


class IndexInfo(_Contract):
    """What the loaded index was built from and when."""

    corpus_hash: str
    clause_count: int
    built_at: str | None = Field(description="ISO-8601 UTC")
    encoder: str
    dim: int
    format_version: int


class HealthResponse(_Contract):
    status: Literal["ok"]
    ready: bool
    encoder: str
    act: str | None
    index: IndexInfo


class ErrorDetail(_Contract):
    code: str = Field(examples=["invalid_question"])
    message_ru: str
    message_kk: str
    message: str = Field(description="Both messages, Russian first, separated by a newline")


class ErrorResponse(_Contract):
    error: ErrorDetail
