"""Errors a person may see: each carries its message in Russian and in Kazakh."""


class ZangerError(Exception):
    """Base error; `str()` gives both languages."""

    def __init__(self, message_ru: str, message_kk: str):
        super().__init__(f"{message_ru}\n{message_kk}")
        self.message_ru, self.message_kk = message_ru, message_kk

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
