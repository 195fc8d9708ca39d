"""Errors a person may see: each names a message of the catalog and carries it in Russian and in Kazakh."""
from __future__ import annotations

from .messages import both


class ZangerError(Exception):
    """Base error: `code` names the catalog message, `str()` gives both languages.

    Example: QuestionError("question_empty").message_kk -> "Сұрақ бос: не білгіңіз келетінін жазыңыз."
    """

    def __init__(self, code: str, **values):
        self.code = code
        self.message_ru, self.message_kk = both(code, **values)
        super().__init__(f"{self.message_ru}\n{self.message_kk}")

    def message(self, lang: str) -> str:
        return self.message_kk if lang == "kk" else self.message_ru


class QuestionError(ZangerError):
    """The question cannot be answered as asked (empty, too long, not ru/kk)."""


class UnknownClause(ZangerError):
    """No clause has that id."""


class EncoderUnavailable(ZangerError):
    """The encoder backend or its model cannot be loaded."""


class IndexMissing(ZangerError):
    """No index has been built in the directory."""


class IndexMismatch(ZangerError):
    """The index was built with another encoder or from another corpus."""


class IndexCorrupt(ZangerError):
    """The index files are unreadable or inconsistent."""


class EncoderBusy(ZangerError):
    """Too much work already waits for the encoder: the question is refused now rather than answered late."""

    def __init__(self, code: str = "encoder_busy", **values):
        super().__init__(code, **values)
