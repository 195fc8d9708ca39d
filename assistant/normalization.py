"""Normalization for matching: one canonical spelling of Russian and Kazakh text, and its word tokens.

Only the matching side sees these forms; clauses are always shown in their source wording.
The sources and the questions disagree in small ways that must not cost a match:
- PDF extraction and web forms leave invisible characters (soft hyphens, zero-width spaces, BOMs);
- the Kazakh source, like much Kazakh text typed on mixed layouts, writes Latin letters that look
  like Cyrillic ones inside Cyrillic words (`теңестiрiлген` with Latin i for Kazakh і, Latin ə for ә);
- people type Kazakh on a Russian keyboard, without ә ғ қ ң ө ұ ү һ і (see `fold_kazakh`).
"""
from __future__ import annotations

import re
import unicodedata

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")

# Kazakh letters a Russian keyboard lacks -> what people type instead (і is also Ukrainian/Belarusian).
_FOLD = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "Ә": "А", "Ғ": "Г", "Қ": "К", "Ң": "Н", "Ө": "О", "Ұ": "У", "Ү": "У", "Һ": "Х", "І": "И",
})

# Latin (and IPA) letters that are drawn like a Cyrillic one. Case matters: Latin `h` looks like
# Kazakh `һ` but `H` like `Н`; `b` like `ь` but `B` like `В`; `Y` is drawn like Kazakh `Ү`, but
# `y`/`Y` are mapped to `у`/`У`, the far more frequent reading, which folds to the same letter.
_LOOKALIKES = {
    "a": "а", "c": "с", "e": "е", "i": "і", "k": "к", "m": "м", "o": "о", "p": "р", "t": "т",
    "x": "х", "y": "у", "h": "һ", "b": "ь", "ë": "ё", "ï": "ї",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "Ë": "Ё", "Ï": "Ї",
    # Kazakh letters with a Latin/IPA twin, common in Kazakh typed with Latin fonts
    "ə": "ә", "Ə": "Ә", "Ǝ": "Ә", "ɵ": "ө", "Ɵ": "Ө",
}
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)

# Invisible format characters sit *inside* words (a soft hyphen in `проку\xadратура`), so they
# are deleted; a zero-width space separates words, so it becomes a space like control characters,
# unassigned and private-use code points.
_ZERO_WIDTH_SPACE = "\u200b"
# Stress marks (а́) have no precomposed Cyrillic form, so NFC leaves them to split words.
_STRESS = str.maketrans("", "", "\u0300\u0301")
# Hyphen variants PDF extraction produces; dashes (– —) are punctuation and stay separators.
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})

# Characters that may need cleaning: anything but word characters, whitespace and usual punctuation.
_SUSPECT = re.compile(r"[^\w\s!-/:-@\[-`{-~\u00a0-\u00ac\u00ae-\u00bf\u2012-\u2027\u2030-\u205f\u2116]")
# A word holding at least one look-alike letter; only those can need re-spelling.
_WORD_WITH_LOOKALIKE = re.compile(r"[^\W\d_]*[%s][^\W\d_]*" % "".join(_LOOKALIKES))
_TOKEN_RUN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # letters/digits, parts joined by single hyphens


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff" or "\u0500" <= ch <= "\u052f"


def _clean_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == _ZERO_WIDTH_SPACE:
        return " "
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
        return " "
    return ch


def _cyrillize(match: re.Match[str]) -> str:
    word = match.group()
    cyrillic = sum(_is_cyrillic(ch) for ch in word)
    # A word is re-spelled only when at least half its letters are Cyrillic: `iPhone`, `Word` stay Latin.
    if cyrillic == 0 or cyrillic < len(word) - cyrillic:
        return word
    return word.translate(_LOOKALIKE_TABLE)


def normalize(text: str) -> str:
    """Text -> its matching form: NFC, invisibles dropped, look-alikes Cyrillic, lowercase, ё→е, single spaces.

    Example: normalize("Теңестiрiлген\\u00adге  Прокуратура") -> "теңестірілгенге прокуратура"
    (Latin i, a soft hyphen and a double space in the input).
    """
    text = unicodedata.normalize("NFC", text)
    text = _SUSPECT.sub(_clean_char, text)
    if not text.isascii():
        text = text.translate(_STRESS).translate(_HYPHENS)
        text = _WORD_WITH_LOOKALIKE.sub(_cyrillize, text)
    text = text.lower().replace("ё", "е")
    return " ".join(text.split())


def fold_kazakh(text: str) -> str:
    """Kazakh-only letters -> the Russian-keyboard letters people type instead; other text unchanged.

    Example: fold_kazakh("құжаттарға") -> "кужаттарга"; fold_kazakh("Құқық") -> "Кукык".
    """
    return text.translate(_FOLD)


def has_kazakh_letters(text: str) -> bool:
    """Does the text contain any of ә ғ қ ң ө ұ ү һ і (either case)? Checks the characters as given.

    Latin look-alikes (`i` for `і`) only count after `normalize`.
    """
    return any(ch in KAZAKH_LETTERS for ch in text)


def tokenize(text: str) -> list[str]:
    """Text -> word tokens of its normalized form: runs of letters or digits, punctuation dropped.

    A hyphenated word of letters gives the whole compound and then each part, so a question
    written either way matches (`оперативно-розыскной` -> ["оперативно-розыскной", "оперативно",
    "розыскной"]). A hyphen next to a number only separates (`10-тармағы` -> ["10", "тармағы"],
    `8)` -> ["8"]).
    Example: tokenize("Пункт 8) «интернет-ресурсына»") -> ["пункт", "8", "интернет-ресурсына", "интернет", "ресурсына"].
    """
    tokens: list[str] = []
    # ъ is typed ь as often as not ("обьяснение"); words are matched with one letter for both (the detector,
    # which reads `normalize`, still sees ъ: it tells Bulgarian from Russian)
    for match in _TOKEN_RUN.finditer(normalize(text).replace("ъ", "ь")):
        run = match.group()
        if "-" not in run:
            tokens.append(run)
            continue
        parts = run.split("-")
        if not any(part.isdigit() for part in parts):
            tokens.append(run)
        tokens.extend(parts)
    return tokens
