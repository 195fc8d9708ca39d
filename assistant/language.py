"""Language detection: is a question Russian, Kazakh, or in a language the assistant does not serve?

The assistant answers in Russian ("ru") or Kazakh ("kk"); anything else gets `lang=None` and,
when the text is clearly in one, the ISO 639-1 code of that language in `other`.

How a question is decided (lingua; each language's models are loaded on first use, once per process,
so a command that is given the language or refuses the text first loads none). Steps 2 and 3 run
first on lingua's trigram models alone (low accuracy mode: ~0.07 s to load instead of ~1.6 s): their
Russian or Kazakh answer stands when they are sure of it (>= FAST_SURE) and give the other Cyrillic
languages that can spell the text less than 1 - FAST_SURE; every other text, and a Russian answer
for a text with Kazakh letters, is decided by the full models. On the development, test, held-out and
benchmark questions and the test suite's texts (2,195 distinct, history turns included) the cascade decides
exactly as the full models alone, and 172 of them (foreign, mixed, folded or unsure ones) need the full models:
1. Text that is not mainly Cyrillic (English, Chinese, digits, emoji) is never ru/kk; a wide
   detector over every non-Cyrillic language lingua knows names it when it is sure.
2. A detector restricted to Russian and Kazakh chooses between the two. It is robust on short
   and folded Kazakh ("кужаттарга ким кол кояды", "прокурор кім").
   - Kazakh letters (ә ғ қ ң ө ұ ү һ і) are strong evidence of Kazakh, but a Russian question
     quoting a Kazakh term ("Что значит құқық?") stays Russian: when the words without Kazakh
     letters outnumber the others and are confidently Russian on their own, Russian dominates.
   - Without Kazakh letters, question and function words that exist in only one of the two
     languages (кто, что, ли, и / ким, кандай, жане, ма) each multiply the odds of their
     language by 10. This settles the short questions n-gram statistics cannot ("прокурор кто",
     "прокурор ким", a bare "ким") and leaves longer texts, where lingua is sure, as they are.
3. A Cyrillic detector over ru, kk and those of uk, be, bg, mk, sr, mn that can spell the text
   may then overrule (veto) that choice
   with another language, but only on strong evidence, because calling a Kazakh question typed
   on a Russian keyboard Ukrainian or Mongolian would turn a real user away:
   - the other language must be able to spell every letter of the text. So ә ғ қ ң ұ һ, which
     only Kazakh has, rule out any veto; ө ү leave only Mongolian, і only Ukrainian and
     Belarusian (their own letters too). Ukrainian has no ы/э/ъ, Belarusian no и/щ/ъ, Bulgarian
     no ы/э, Serbian and Macedonian no й/ы/э/ь/ю/я/щ/ъ. Mongolian, which shares every other
     letter with folded Kazakh, is only considered when the text has э (its everyday вэ, энэ,
     хэн; Kazakh writes э only in a few loanwords);
   - a letter no Russian or Kazakh word has (є ї ґ, ў, ј љ њ ђ ћ џ ѓ ќ ѕ) settles it as soon as
     the other language outweighs Russian and Kazakh in the Cyrillic detector;
   - otherwise the text needs two words or more, and the other language probability >= 0.8 and
     a margin >= 0.6 over Russian and Kazakh when the ru/kk detector said Russian, >= 0.99 and
     >= 0.95 when it said Kazakh. Short Ukrainian or Bulgarian questions without their own
     letters ("Що таке прокуратура?") therefore pass as Russian: answering a Ukrainian speaker
     in Russian costs less than refusing a Kazakh one.
   Kyrgyz has no lingua model; a Kyrgyz question is called Kazakh, its closest neighbour.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from .normalization import normalize

# Kazakh letters a Russian keyboard lacks; ө ү are also Mongolian, і also Ukrainian and Belarusian.
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")

# Lowercase alphabets (ё is folded to е by `normalize`), to tell which languages can spell a text.
_ALPHABETS = {
    "ru": frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюя"),
    "kk": frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"),
    "uk": frozenset("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"),
    "be": frozenset("абвгдежзійклмнопрстуўфхцчшыьэюя"),
    "bg": frozenset("абвгдежзийклмнопрстуфхцчшщъьюя"),
    "sr": frozenset("абвгдђежзијклљмнњопрстћуфхцчџш"),
    "mk": frozenset("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "mn": frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяөү"),
}
# Letters that no Russian or Kazakh word has: є ї ґ, ў, ј љ њ ђ ћ џ ѓ ќ ѕ.
_FOREIGN_LETTERS = {
    code: alphabet - _ALPHABETS["ru"] - _ALPHABETS["kk"] for code, alphabet in _ALPHABETS.items()
}
_CYRILLIC_LANGUAGES = (
    Language.RUSSIAN, Language.KAZAKH, Language.UKRAINIAN, Language.BELARUSIAN,
    Language.BULGARIAN, Language.MACEDONIAN, Language.SERBIAN, Language.MONGOLIAN,
)

_VETOING = ("uk", "be", "bg", "sr", "mk", "mn")

OTHER_MIN_CONFIDENCE = 0.5  # below this a non-Cyrillic text gets no `other` code
RUSSIAN_DOMINANCE = 0.8  # how sure the Kazakh-letter-free words of a mixed text must be of Russian
VETO_AFTER_RUSSIAN = (0.8, 0.6)  # (probability, margin) another Cyrillic language needs to overrule "ru"
VETO_AFTER_KAZAKH = (0.99, 0.95)  # ... and to overrule "kk": folded Kazakh must stay Kazakh
# A trigram-only ru/kk answer this sure, with the other Cyrillic languages this unlikely, is final. Trigram
# probabilities are extreme (nine Russian texts in ten get 1 - p < 1e-9), and folded Kazakh can still get
# 0.99994 for Russian ("бугинги тенгенин долларга багамы"), so only five nines stand without the full models.
FAST_SURE = 0.99999

# Words only one of the two languages has (Kazakh folded: no Kazakh letters reach this test).
# Words both have or that mean something else in the other (не, да, же, от) are left out.
_MARKERS = {
    "ru": frozenset("""
        кто что как какой какая какое какие каков где когда почему зачем сколько чей ли это его ее их
        и в во с со к у о об до из за для при или чтобы бы который которые можно нужно есть
    """.split()),
    "kk": frozenset("""
        ким кимге кимди кимнин кандай калай кашан кайда кайдан неге неше канша кайсы жане немесе
        мен бен пен ма ме ба бе па пе ше туралы ушин бойынша осы бул ол оны онын оган олар деген
        керек тиис жок бар болады
    """.split()),
}
MARKER_ODDS = 10.0  # evidence of one marker word, as a likelihood ratio

_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Detection:
    """The language of a text: "ru", "kk", or None with, when it is clear, the other language's ISO code."""

    lang: str | None  # "ru" | "kk" | None
    confidence: float  # probability of `lang`, or of `other` when lang is None; 0.0 when nothing is known
    other: str | None = None  # ISO 639-1 code ("en", "uk", "zh") of a language the assistant does not serve


# --- Detectors, built once per process ---------------------------------------------------
# Building a detector costs nothing; lingua loads a language's models the first time a detector
# needs them (~0.15 s and ~30 MB a language) and shares them between detectors. So a Russian or
# Kazakh question loads ru and kk, and of the other Cyrillic languages only those that can spell it
# (the veto detector for a text is "cyrillic:" + those codes: a language that cannot spell the text
# could never overrule, and leaving it out changes no decision on the development set, the tests'
# texts or the benchmark's 960 questions); text in another script loads only that script's languages.

_DETECTORS: dict[tuple[str, bool], LanguageDetector] = {}
_BUILD_LOCK = threading.Lock()


def _build(kind: str, accurate: bool, preloaded: bool = False) -> LanguageDetector:
    if kind == "ru_kk":
        builder = LanguageDetectorBuilder.from_languages(Language.RUSSIAN, Language.KAZAKH)
    elif kind.startswith("cyrillic:"):  # ru, kk and the other Cyrillic languages named after the colon
        codes = ("ru", "kk", *kind.removeprefix("cyrillic:").split(","))
        builder = LanguageDetectorBuilder.from_languages(*(l for l in _CYRILLIC_LANGUAGES if _code(l) in codes))
    else:  # "world": only names languages for `other`; low accuracy keeps its memory small
        builder = LanguageDetectorBuilder.from_all_languages_without(*_CYRILLIC_LANGUAGES)
        accurate = False
    if not accurate:
        builder = builder.with_low_accuracy_mode()
    if preloaded:
        builder = builder.with_preloaded_language_models()
    return builder.build()


def _detector(kind: str, accurate: bool, preloaded: bool = False) -> LanguageDetector:
    key = (kind, accurate)
    detector = _DETECTORS.get(key)
    if detector is None:
        with _BUILD_LOCK:
            detector = _DETECTORS.get(key)
            if detector is None:
                detector = _DETECTORS[key] = _build(kind, accurate, preloaded)
    return detector


def preload() -> None:
    """Load now the models every Cyrillic question may need (about 1.5 s, ~250 MB), as a server does
    before its first request; the languages of other scripts still load on their first question."""
    for kind in ("ru_kk", "cyrillic:" + ",".join(_VETOING)):
        for accurate in (False, True):
            _detector(kind, accurate, preloaded=True)


def detectors_used() -> frozenset[str]:
    """Which detectors ("ru_kk", "cyrillic:uk,bg", "world"; "ru_kk (full)" with every n-gram model) this
    process has used, so has loaded models for."""
    return frozenset(kind + (" (full)" if accurate else "") for kind, accurate in _DETECTORS)


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def _confidences(kind: str, text: str, accurate: bool = True) -> list[tuple[str, float]]:
    """(ISO code, probability) pairs, most probable first; `accurate=False`: from trigram models alone."""
    return [
        (_code(value.language), value.value)
        for value in _detector(kind, accurate).compute_language_confidence_values(text)
    ]


# --- Decision ----------------------------------------------------------------------------


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


def _russian_or_kazakh(text: str, words: list[str], letters: set[str], accurate: bool) -> tuple[str, float] | None:
    """The ru/kk detector's choice, with Kazakh letters as evidence for Kazakh unless Russian dominates.
    None when the trigram models (`accurate=False`) find Russian dominating: the full models weigh that."""
    probabilities = dict(_confidences("ru_kk", text, accurate))
    if not letters & _KAZAKH_LETTERS:
        return _with_markers(probabilities.get("ru", 0.0), words)
    plain = [word for word in words if not set(word) & _KAZAKH_LETTERS]
    if 2 * len(plain) > len(words):
        russian = dict(_confidences("ru_kk", " ".join(plain), accurate)).get("ru", 0.0)
        if russian >= RUSSIAN_DOMINANCE:
            return ("ru", russian) if accurate else None
    return "kk", probabilities.get("kk", 0.0)


def _with_markers(russian: float, words: list[str]) -> tuple[str, float]:
    """Update P(ru) by the marker words of each language (odds x MARKER_ODDS per word); the likelier side."""
    shift = sum(word in _MARKERS["ru"] for word in words) - sum(word in _MARKERS["kk"] for word in words)
    if shift and 0.0 < russian < 1.0:
        odds = russian / (1.0 - russian) * MARKER_ODDS ** shift
        russian = odds / (1.0 + odds)
    return ("ru", russian) if russian >= 0.5 else ("kk", 1.0 - russian)


def _can_spell(code: str, letters: set[str]) -> bool:
    cyrillic = {ch for ch in letters if _is_cyrillic(ch)}
    if not cyrillic <= _ALPHABETS[code]:
        return False
    return code != "mn" or "э" in cyrillic


def _other_cyrillic(text: str, words: list[str], letters: set[str], lang: str) -> Detection | None:
    """Another Cyrillic language that overrules the ru/kk choice, or None (see the module docstring)."""
    candidates = _veto_candidates(letters)
    if not candidates:
        return None  # e.g. ә ғ қ ң ұ һ: only Kazakh spells them; skips the detector call
    ranked = _confidences("cyrillic:" + ",".join(candidates), text)
    native = max(p for code, p in ranked if code in ("ru", "kk"))
    foreign = [(code, p) for code, p in ranked if code not in ("ru", "kk")]
    if not foreign:
        return None
    code, probability = foreign[0]
    if letters & _FOREIGN_LETTERS[code]:
        overrule = probability > native
    elif len(words) < 2:
        return None  # one word alone is too often shared, or folded Kazakh
    else:
        min_probability, min_margin = VETO_AFTER_RUSSIAN if lang == "ru" else VETO_AFTER_KAZAKH
        overrule = probability >= min_probability and probability - native >= min_margin
    return Detection(None, probability, code) if overrule else None


def _veto_candidates(letters: set[str]) -> list[str]:
    return [code for code in _VETOING if _can_spell(code, letters)]


def _on_trigrams(text: str, words: list[str], letters: set[str]) -> Detection | None:
    """The Russian or Kazakh answer lingua's trigram models are sure of, with every other Cyrillic language
    that can spell the text unlikely to them; None leaves the text to the full models."""
    choice = _russian_or_kazakh(text, words, letters, accurate=False)
    if choice is None or choice[1] < FAST_SURE:
        return None
    candidates = _veto_candidates(letters)
    if candidates:
        ranked = _confidences("cyrillic:" + ",".join(candidates), text, accurate=False)
        if sum(p for code, p in ranked if code not in ("ru", "kk")) > 1.0 - FAST_SURE:
            return None
    return Detection(choice[0], choice[1], None)


def _other_script(text: str) -> Detection:
    code, probability = _confidences("world", text, accurate=False)[0]
    if probability < OTHER_MIN_CONFIDENCE:
        return Detection(None, 0.0, None)
    return Detection(None, probability, code)


def detect_language(text: str) -> Detection:
    """A question's language: Detection("ru"|"kk", p) or Detection(None, p, other ISO code or None).

    Example: detect_language("кужаттарга ким кол кояды").lang -> "kk";
    detect_language("Хто очолює прокуратуру району?") -> Detection(None, 0.98.., "uk").
    """
    text = normalize(text)
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return Detection(None, 0.0, None)
    if 2 * sum(_is_cyrillic(ch) for ch in letters) < len(letters):
        return _other_script(text)
    words, distinct = _WORD.findall(text), set(letters)
    sure = _on_trigrams(text, words, distinct)
    if sure is not None:
        return sure
    lang, probability = _russian_or_kazakh(text, words, distinct, accurate=True)
    return _other_cyrillic(text, words, distinct, lang) or Detection(lang, probability, None)
