"""Stemming and analysis: Snowball for Russian, the rule-based Kazakh stripper, stopwords."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.normalization import fold_kazakh, has_kazakh_letters
from assistant.stemming import (
    KAZAKH_STOPWORDS,
    MIN_STEM,
    RUSSIAN_STOPWORDS,
    analyze,
    stem_kazakh,
    stem_prefix,
    stem_russian,
)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("прокуратуры", "прокуратур"),
        ("прокуратурой", "прокуратур"),
        ("прокурора", "прокурор"),
        ("прокурорами", "прокурор"),
        ("назначает", "назнача"),
        ("права", "прав"),
        ("правами", "прав"),
        ("обязанности", "обязан"),
        ("оперативно-розыскной", "оперативно-розыскн"),
    ],
)
def test_stem_russian(token, expected):
    assert stem_russian(token) == expected


def test_stem_russian_is_thread_safe():
    words = ["прокуратуры", "назначает", "обязанностей", "полномочиями", "заместителя", "района"] * 400
    expected = [stem_russian(word) for word in words]
    stem_russian.cache_clear()  # make every thread really run the stemmer
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(stem_russian, words)) == expected


@pytest.mark.parametrize(
    ("forms", "stem"),
    [
        # noun + plural + possessive + case, properly spelled and folded
        (["құжаттарға", "кужаттарга", "құжат", "құжаттар", "құжатпен", "құжаттармен"], "кужат"),
        (["прокуратурасының", "прокуратураға", "прокуратуралары", "прокуратура", "прокуратураны",
          "прокуратурасында", "прокуратурасынан", "прокуратураларының"], "прокуратура"),
        (["прокурор", "прокуроры", "прокурорының", "прокурордың", "прокурорын", "прокурорлары"], "прокурор"),
        # final қ/к voiced to ғ/г before a vowel: құқығы and құқықтары meet again
        (["құқық", "құқықтары", "кукыктары", "құқығы", "кукыгы", "құқықтарға", "құқылы"], "кукык"),
        (["бұйрық", "бұйрығы", "бұйрығына", "бұйрықпен", "бұйрықты", "буйрыкка"], "буйрык"),
        (["бап", "баптың", "бабының", "бабы"], "бап"),
        (["міндет", "міндеттері", "міндеті", "миндеттерин", "міндетті"], "миндет"),
        (["ереже", "ережені", "ережеге", "ереженің", "ережеде", "ережелер"], "ереже"),
        (["заң", "заңы", "заңның", "заңға", "зандар", "заңмен"], "зан"),
        # -лық behind "having" -ті: the act's өкілеттілік and the common өкілеттік meet
        (["өкілеттіліктерді", "өкілеттіктерді", "өкілеттілігінің", "өкілеттігі"], "окилет"),
        (["күн", "күні", "күнінен"], "кун"),
        (["қызметкер", "қызметкерлері", "қызметкерлерінің"], "кызметкер"),
        # a final н/с after a vowel is dropped: аудан + ы and прокуратура + ны read alike
        (["аудан", "ауданы", "ауданның", "ауданына", "ауданнан", "аудандық"], "ауда"),
        (["жұмыс", "жұмысы", "жұмысын", "жұмысына"], "жумы"),
        # verbs: voice + tense/participle/verbal noun
        (["тағайындайды", "тағайындалады", "тағайындау", "тағайындалған", "тағайындайтын", "тагайындайды"], "тагайында"),
        (["бекітеді", "бекітілген", "бекітілсін", "бекіту", "бекиткен"], "бекит"),
        (["қояды", "қою", "қойылады", "қойылған", "кояды", "койды"], "кой"),
        (["береді", "берілді", "беріледі", "берілген"], "бер"),
        (["орындау", "орындалуын", "орындайтын"], "орында"),
        # listed stems that only end like a suffix
        (["Қазақстан", "Қазақстанның", "Қазақстанда", "Казакстанга"], "казакстан"),
        (["өкіл", "өкілдер", "өкілді"], "окил"),
        (["акті", "актілер", "актінің", "актілерге"], "акти"),
    ],
)
def test_stem_kazakh_inflections_share_a_stem(forms, stem):
    assert {form: stem_kazakh(form.lower()) for form in forms} == {form: stem for form in forms}


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # the assimilation check: мақсат + ы, not макса + ты
        ("мақсаты", "максат"),
        ("мақсатты", "максат"),
        # vowel harmony: a front ending after a back stem is not a suffix
        ("кызылда", "кызыл"),
        ("кызылде", "кызылде"),
        ("кезде", "кез"),
        # pronominal n only after a possessive: Қазақстан + да, not Қазақста + нда
        ("прокуратурасында", "прокуратура"),
        # -ғы after a consonant only (жыл + ғы); after a vowel it is the possessive
        ("жылғы", "жыл"),
        ("тармағы", "тармак"),
        # short words keep at least MIN_STEM letters
        ("кім", "ким"),
        ("ал", "ал"),
        ("ауа", "ауа"),
        ("алу", "алу"),
        ("ету", "ету"),
        ("сот", "сот"),
        ("сотта", "сот"),
        ("", ""),
        ("127", "127"),
        # Russian and Latin text passes through unharmed when nothing fits
        ("интернет-ресурсына", "интернет-ресурс"),
        ("республикасы", "республика"),
    ],
)
def test_stem_kazakh(token, expected):
    assert stem_kazakh(token) == expected


def test_stem_kazakh_works_on_the_folded_form():
    for word in ["құжаттарға", "прокуратурасының", "тағайындалады", "міндеттері", "өкілеттіктері"]:
        assert stem_kazakh(word) == stem_kazakh(fold_kazakh(word))
        assert not has_kazakh_letters(stem_kazakh(word))


def test_stem_kazakh_never_shortens_below_the_minimum():
    for word in ["ауданнан", "заңға", "жылды", "елдер", "қою", "ісі", "бабы", "оны"]:
        stem = stem_kazakh(word)
        assert len(stem) >= min(MIN_STEM, len(word))
        assert fold_kazakh(word).startswith(stem[:-1])


@pytest.mark.parametrize(
    ("token", "n", "expected"),
    [("прокурор", 5, "проку"), ("прокуратуры", 5, "проку"), ("құқықтары", 3, "құқ"), ("кім", 5, "кім"), ("", 5, "")],
)
def test_stem_prefix(token, n, expected):
    assert stem_prefix(token, n) == expected


def test_stem_prefix_default_is_five():
    assert stem_prefix("тағайындау") == "тағай"


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Кто назначает прокуроров?", "ru", ["назнача", "прокурор"]),
        ("А кто его назначает?", "ru", ["назнача"]),
        ("Права и обязанности прокуратуры района", "ru", ["прав", "обязан", "прокуратур", "район"]),
        ("пункт 8) Положения", "ru", ["пункт", "8", "положен"]),
        ("т.е. в соответствии с законом", "ru", ["соответств", "закон"]),  # single letters dropped
        ("оперативно-розыскной", "ru", ["оперативно-розыскн", "оперативн", "розыскн"]),
        # a Russian question quoting a Kazakh word meets its folded spelling
        ("Что значит құқық?", "ru", ["знач", "кукык"]),
        ("Құжаттарға кім қол қояды?", "kk", ["кужат", "кол", "кой"]),
        ("кужаттарга ким кол кояды", "kk", ["кужат", "кол", "кой"]),
        ("Ал оны кім тағайындайды?", "kk", ["тагайында"]),
        ("Аудан прокуроры қандай құқықтарға ие?", "kk", ["ауда", "прокурор", "кукык", "ие"]),
        ("Теңестiрiлген прокуратура деген не?", "kk", ["тенестир", "прокуратура", "деге"]),
        ("мөр мен мөртаңба", "kk", ["мор", "мортанба"]),
        ("Ережені бекіту туралы 127 бұйрық", "kk", ["ереже", "бекит", "127", "буйрык"]),
        ("", "ru", []),
        ("", "kk", []),
        ("?! — 😀", "kk", []),
        ("и в на по с к о а не что как кто ли же", "ru", []),
        ("және мен бен пен да де ма ме ба бе ше ал бұл осы ол", "kk", []),
    ],
)
def test_analyze(text, lang, expected):
    assert analyze(text, lang) == expected


def test_analyze_rejects_unknown_language():
    with pytest.raises(ValueError, match="'en'"):
        analyze("What is this law about?", "en")


def test_analyze_matches_folded_and_proper_kazakh():
    proper = "Аудан прокуратурасының құжаттарына кім қол қояды?"
    assert analyze(proper, "kk") == analyze(fold_kazakh(proper), "kk") == ["ауда", "прокуратура", "кужат", "кол", "кой"]


def test_stopword_lists():
    # a question word or pronoun goes in every case form, not only the ones someone happened to type
    assert {"какой", "какого", "какому", "каким", "каком", "какую", "какой", "каких", "какими"} <= RUSSIAN_STOPWORDS
    assert {"который", "которого", "которому", "которым", "котором", "которую", "которых", "которыми"} <= RUSSIAN_STOPWORDS
    assert {"мой", "моего", "моему", "моим", "моем", "мою", "моей", "моих"} <= RUSSIAN_STOPWORDS
    assert {"мени", "маган", "менде", "менен", "оны", "оган", "онда", "одан", "нени", "неге", "неде", "неден", "немен"} <= KAZAKH_STOPWORDS
    assert {"и", "в", "на", "по", "с", "к", "о", "а", "не", "что", "как", "кто", "ли", "же"} <= RUSSIAN_STOPWORDS
    assert {"жане", "мен", "бен", "пен", "да", "де", "ма", "ме", "ба", "бе", "ше", "ал", "бул", "осы", "ол"} <= KAZAKH_STOPWORDS
    # postpositions like the Russian prepositions (алдында ~ перед), and aspect auxiliaries, which say how, not what
    assert {"перед", "под", "около"} <= RUSSIAN_STOPWORDS and {fold_kazakh(w) for w in ("алдында", "ішінде", "жөнінде", "тұр", "жүргенде")} <= KAZAKH_STOPWORDS
    assert analyze("Аудан прокуратурасы алдында қандай негізгі міндеттер тұр?", "kk") == ["ауда", "прокуратура", "негиз", "миндет"]
    # content words of the act must survive
    assert not {"прокурор", "права", "обязанности", "является", "района"} & RUSSIAN_STOPWORDS
    assert not {"прокурор", "кукык", "миндет", "ауда", "аудан", "табылады", "ереже"} & KAZAKH_STOPWORDS
    # Kazakh stopwords are stored folded, as the analyzer compares them
    assert not any(has_kazakh_letters(word) for word in KAZAKH_STOPWORDS)
