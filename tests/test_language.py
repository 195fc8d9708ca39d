"""Language detection: ru / kk / another language, on short, long, folded and mixed questions."""
import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.evaluation.runs import detect_langdetect
from assistant.language import Detection, detect_language, preload

RUSSIAN = [
    "а кто его назначает?",
    "права прокуратуры",
    "Кто возглавляет прокуратуру района?",
    "Является ли районная прокуратура юридическим лицом?",
    "Какие прокуратуры считаются приравненными к районной?",
    "кто назначяет прокурора раиона",  # typos
    "когда вступаит в силу приказ 127",
    "печать и бланки прокуратуры",
    "прокурор кто",  # a shared word and a Russian question word
    "положение",
    "Приказ № 127",
    "Зачем?",
    "Что значит құқық?",  # a Kazakh term quoted in a Russian question
    "Кто подписывает құжаттар прокуратуры района?",
    "Что такое ереже",
    "ПРАВА И ОБЯЗАННОСТИ ПРОКУРАТУРЫ РАЙОНА",
    "Кто назначает прокурора района и какие у него права? " * 40,  # long
]
KAZAKH = [
    "кужаттарга ким кол кояды",  # folded: typed on a Russian keyboard
    "ал оны кім тағайындайды",
    "прокурор кім",
    "прокурор ким",
    "ким",
    "аудан прокурорын ким тагайындайды",
    "аудан прокуратурасы занды тулга ма",
    "Прокурор кандай кукыктарга ие",
    "прокуратура кукыктары",
    "127 буйрык кашан кушине енеди",
    "ал миндеттери ше?",
    "мор мен мортанба",
    "Аудан прокуроры қандай құқықтарға ие?",
    "Теңестiрiлген прокуратура деген не?",  # Latin i for і
    "прокурордын мiндеттерi кандай",
    "бұйрық",
    "мөр",
    "кім",
    "Қазақстан прокуратурасы",
    "Аудан прокуроры кім, кто это?",  # mixed, Kazakh dominates
    "Сот шешіміне қалай шағымдануға болады?",
    "Аудан прокуратурасы және оған теңестірілген прокуратура туралы ережені бекіту туралы. " * 40,
]
OTHER = [
    ("What is this law about?", "en"),
    ("Who appoints the district prosecutor?", "en"),
    ("What does прокурор mean in this order?", "en"),  # Latin dominates
    ("Wer ernennt den Bezirksstaatsanwalt?", "de"),
    ("¿Quién nombra al fiscal del distrito?", "es"),
    ("Bölge savcısını kim atar?", "tr"),
    ("这是什么法律", "zh"),
    ("区检察官由谁任命？", "zh"),
    ("これは何の法律ですか", "ja"),
    ("Хто очолює прокуратуру району?", "uk"),
    ("Які права має прокурор?", "uk"),
    ("Як призначається прокурор району?", "uk"),
    ("Який порядок призначення заступника прокурора?", "uk"),
    ("Хто ўзначальвае пракуратуру раёна?", "be"),
    ("Якія правы мае пракурор?", "be"),
    ("Хто прызначае пракурора раёна?", "be"),
    ("Кой ръководи районната прокуратура?", "bg"),
    ("Какви са задълженията на районната прокуратура?", "bg"),
    ("Ко именује јавног тужиоца?", "sr"),
    ("Ко руководи окружним тужилаштвом?", "sr"),
    ("Кој го именува јавниот обвинител?", "mk"),
    ("Энэ хууль юуны тухай вэ?", "mn"),
    ("Дүүргийн прокурорыг хэн томилдог вэ?", "mn"),
]
NOTHING = ["", "   ", "127", "8)", "😀", "😀 👍", "?!", "п. 8", "Hello"]


@pytest.fixture(scope="module", autouse=True)
def detectors():
    preload()


@pytest.mark.parametrize("text", RUSSIAN)
def test_russian(text):
    detection = detect_language(text)
    assert (detection.lang, detection.other) == ("ru", None)
    assert 0.5 <= detection.confidence <= 1.0


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh(text):
    detection = detect_language(text)
    assert (detection.lang, detection.other) == ("kk", None)
    assert 0.5 <= detection.confidence <= 1.0


@pytest.mark.parametrize(("text", "other"), OTHER)
def test_other_language(text, other):
    detection = detect_language(text)
    assert (detection.lang, detection.other) == (None, other)
    assert 0.5 <= detection.confidence <= 1.0


@pytest.mark.parametrize("text", NOTHING)
def test_no_language(text):
    assert detect_language(text) == Detection(None, 0.0, None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # clear questions are clear
        ("Кто возглавляет прокуратуру района?", "ru"),
        ("Аудан прокуроры қандай құқықтарға ие?", "kk"),
        ("ал оны кім тағайындайды", "kk"),
    ],
)
def test_confidence_of_clear_questions(text, lang):
    detection = detect_language(text)
    assert detection.lang == lang
    assert detection.confidence > 0.99


def test_folded_kazakh_is_never_another_cyrillic_language():
    folded = [
        "прокуратура кукыктары", "буйрык", "тулга", "колик", "кукык тартибин", "айкындалган",
        "акимшилик кукык", "Будан баска кукыктары жок па?", "бекитеди", "дейинги", "шешим",
    ]
    assert {text: detect_language(text).other for text in folded} == {text: None for text in folded}


def test_detection_is_frozen():
    detection = detect_language("прокурор кім")
    with pytest.raises(dataclasses.FrozenInstanceError):
        detection.lang = "ru"


def _rounded(text):
    # lingua's sums may differ in the last bit from call to call
    detection = detect_language(text)
    return detection.lang, detection.other, round(detection.confidence, 6)


def test_detection_is_thread_safe():
    texts = [text for text in RUSSIAN + KAZAKH if len(text) < 100] + [text for text, _ in OTHER]
    expected = [_rounded(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(_rounded, texts * 5)) == expected * 5


def test_detection_is_fast_on_short_questions():
    texts = [text for text in RUSSIAN + KAZAKH if len(text) < 100] + [text for text, _ in OTHER]
    rounds = []
    for _ in range(7):  # the best round: a busy machine slows rounds down, never speeds them up
        start = time.perf_counter()
        for text in texts:
            detect_language(text)
        rounds.append(time.perf_counter() - start)
    assert min(rounds) / len(texts) < 0.001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("а кто его назначает?", "ru"),
        ("Хто очолює прокуратуру району?", "uk"),
        ("What is this law about?", "en"),
        ("这是什么法律", "zh-cn"),
        ("", None),
        ("127", None),
    ],
)
def test_langdetect_baseline(text, expected):
    assert detect_langdetect(text) == expected


def test_langdetect_baseline_is_deterministic_and_has_no_kazakh():
    text = "кужаттарга ким кол кояды"
    results = {detect_langdetect(text) for _ in range(10)}
    assert len(results) == 1
    assert results != {"kk"}


def test_the_veto_detector_over_the_languages_that_can_spell_a_text_decides_as_the_full_one(monkeypatch):
    """Only the Cyrillic languages that can spell a text are loaded to veto it; over every Cyrillic
    language at once, the decisions are the same (tests' texts and the development set, as typed and folded)."""
    import json
    from pathlib import Path

    from assistant import language

    questions = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
    dev = [json.loads(line)["text"] for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = RUSSIAN + KAZAKH + [text for text, _ in OTHER] + dev + [text.lower().replace("қ", "к") for text in dev]
    lean = [detect_language(text) for text in texts]
    used = set(language.detectors_used())
    assert any(kind.startswith("cyrillic:") and kind != "cyrillic:uk,be,bg,sr,mk,mn" for kind in used)
    original = language._confidences
    monkeypatch.setattr(
        language, "_confidences",
        lambda kind, text, accurate=True: original("cyrillic:uk,be,bg,sr,mk,mn" if kind.startswith("cyrillic:") else kind, text, accurate),
    )
    full = [detect_language(text) for text in texts]
    assert [(d.lang, d.other) for d in lean] == [(d.lang, d.other) for d in full]


def test_the_trigram_first_cascade_decides_as_the_full_models(monkeypatch):
    """A sure answer of the trigram models stands; the texts they are unsure of, or veto, are decided by the
    full models, so the cascade changes no decision (tests' texts and the development set, as typed and folded)."""
    import json
    from pathlib import Path

    from assistant import language

    questions = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
    dev = [json.loads(line)["text"] for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = RUSSIAN + KAZAKH + [text for text, _ in OTHER] + NOTHING + dev + [text.lower().replace("қ", "к") for text in dev]
    cascade = [detect_language(text) for text in texts]
    monkeypatch.setattr(language, "FAST_SURE", 2.0)  # never sure: the full models decide every text
    full = [detect_language(text) for text in texts]
    assert [(d.lang, d.other) for d in cascade] == [(d.lang, d.other) for d in full]
