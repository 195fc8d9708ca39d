"""Normalization: the matching form of Russian and Kazakh text, folding and word tokens."""
import unicodedata

import pytest

from assistant.normalization import fold_kazakh, has_kazakh_letters, normalize, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the Kazakh source writes Latin i (U+0069) for Kazakh і inside Cyrillic words
        ("Теңестiрiлген", "теңестірілген"),
        ("мекемелерiнiң қызметкерлерi", "мекемелерінің қызметкерлері"),
        ("ТЕҢЕСТIРIЛГЕН", "теңестірілген"),
        # Latin a, e, o, p, c, x, y, k, m, t inside Russian words
        ("пpокуpатуpа", "прокуратура"),
        ("Пpoкурop", "прокурор"),
        ("oбязaннocти", "обязанности"),
        ("Hаша", "наша"),  # capital Latin H is drawn like Н
        ("һәм", "һәм"),
        ("Əкiм", "әкім"),  # Latin schwa for ә
        ("шешiмдерiн Bерховного", "шешімдерін верховного"),
        # pure-Latin and mostly-Latin words are left alone (only lowercased)
        ("iPhone Word", "iphone word"),
        ("Прокурор and the Court", "прокурор and the court"),
        ("Coкa", "coкa"),  # one Cyrillic letter among three Latin ones
        ("Сoкa", "сока"),  # two against two: re-spelled
        # ё, NFC, invisible characters, whitespace
        ("Ёлка и её", "елка и ее"),
        ("и\u0306од", "йод"),  # decomposed й
        ("проку\u00adратура", "прокуратура"),  # soft hyphen inside a word
        ("прокурор\u200bрайона", "прокурор района"),  # zero-width space separates
        ("\ufeffПриказ", "приказ"),  # BOM
        ("а\u200dб", "аб"),  # zero-width joiner
        ("пункт\x008\x1f", "пункт 8"),  # control characters
        ("  права\t\tи\nобязанности\u00a0прокурора  ", "права и обязанности прокурора"),
        ("приве\u0301т", "привет"),  # a stress mark
        ("интернет\u2011ресурсына", "интернет-ресурсына"),  # non-breaking hyphen
        ("", ""),
        ("   \n\t ", ""),
        ("127", "127"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_is_idempotent_and_nfc():
    samples = ["Теңестiрiлген прокуратура", "Ёлка\u00ad и\u0306", "Pпоку  ратура\u200b", "Əкiм", "mixed Слово"]
    for sample in samples:
        once = normalize(sample)
        assert normalize(once) == once
        assert unicodedata.is_normalized("NFC", once)


def test_normalize_huge_string():
    text = "Аудан прокуратурасы және оған теңестiрiлген прокуратура туралы ереже. " * 20_000
    result = normalize(text)
    assert result.startswith("аудан прокуратурасы және оған теңестірілген прокуратура")
    assert "i" not in result
    assert len(result) == len(text) - 1  # only the trailing space goes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("құжаттарға", "кужаттарга"),
        ("ә ғ қ ң ө ұ ү һ і", "а г к н о у у х и"),
        ("Ә Ғ Қ Ң Ө Ұ Ү Һ І", "А Г К Н О У У Х И"),
        ("Құқық", "Кукык"),
        ("Қазақстан Республикасының", "Казакстан Республикасынын"),
        ("прокуратура района", "прокуратура района"),  # Russian has nothing to fold
        ("What is this?", "What is this?"),
        ("", ""),
    ],
)
def test_fold_kazakh(text, expected):
    assert fold_kazakh(text) == expected


def test_fold_kazakh_is_idempotent():
    text = "Аудан прокуроры қандай құқықтарға ие? Һәм өкілеттіктері"
    assert fold_kazakh(fold_kazakh(text)) == fold_kazakh(text)
    assert not has_kazakh_letters(fold_kazakh(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("прокурор кім", True),
        ("ал оны кім тағайындайды", True),
        ("ЕРЕЖЕНІҢ", True),
        ("мөр", True),
        ("Һ", True),
        ("кужаттарга ким кол кояды", False),  # folded Kazakh
        ("права прокуратуры", False),
        ("мiндет", False),  # Latin i, as given; normalize() first to count it
        ("What is this law about?", False),
        ("", False),
    ],
)
def test_has_kazakh_letters(text, expected):
    assert has_kazakh_letters(text) is expected


def test_has_kazakh_letters_after_normalize():
    assert has_kazakh_letters(normalize("мiндет"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Кто назначает прокурора района?", ["кто", "назначает", "прокурора", "района"]),
        # a hyphenated word of letters: the compound, then its parts
        ("оперативно-розыскной деятельности", ["оперативно-розыскной", "оперативно", "розыскной", "деятельности"]),
        ("«интернет-ресурсына»", ["интернет-ресурсына", "интернет", "ресурсына"]),
        ("ТЕРГЕП-ТЕКСЕРУ", ["тергеп-тексеру", "тергеп", "тексеру"]),
        # a hyphen next to a number only separates
        ("37 бабының 4) және 9) тармақшаларына", ["37", "бабының", "4", "және", "9", "тармақшаларына"]),
        ("Ереженің 10-тармағы", ["ереженің", "10", "тармағы"]),
        ("8)", ["8"]),
        ("пункт 8.1", ["пункт", "8", "1"]),
        ("№127 от 3.11.2017", ["127", "от", "3", "11", "2017"]),
        # dashes and stray hyphens are punctuation
        ("прокурор — это -должность-", ["прокурор", "это", "должность"]),
        ("а - б", ["а", "б"]),
        ("т.е. и т.п.", ["т", "е", "и", "т", "п"]),
        ("теңестiрiлген", ["теңестірілген"]),  # look-alikes are fixed before splitting
        ("Прокурор\u00adдың", ["прокурордың"]),
        ("объяснения и обьяснения", ["обьяснения", "и", "обьяснения"]),  # ъ typed ь: one letter for matching
        ("What's this?", ["what", "s", "this"]),
        ("这是什么法律", ["这是什么法律"]),
        ("😀 ?!", []),
        ("", []),
    ],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected


def test_tokenize_huge_string():
    tokens = tokenize("права и обязанности прокурора района, " * 50_000)
    assert len(tokens) == 250_000
    assert tokens[:5] == ["права", "и", "обязанности", "прокурора", "района"]
