"""Stemming and analysis: text -> the stems lexical search matches on, per language.

Russian uses the Snowball stemmer (PyStemmer). Kazakh has no maintained stemmer on PyPI, so
`stem_kazakh` is a small rule-based suffix stripper written for this act and its questions.
It works on the *folded* alphabet (`fold_kazakh`), because people type Kazakh on a Russian
keyboard: `құжаттарға` and `кужаттарга` must meet at the same stem, `кужат`.

Kazakh rules, in the folded alphabet (ә→а ғ→г қ→к ң→н ө→о ұ→у ү→у һ→х і→и):
- Suffixes are stripped from the word's end, longest first, in the order Kazakh stacks them
  (stem + plural + possessive + case for nouns; stem + voice + tense/participle for verbs,
  and participles and verbal nouns then take nominal endings). So after a case ending only a
  possessive, plural, participle, verbal noun or derivation can follow, never a second case
  ending; this keeps a bare `аудан` or `орган` from losing a case-like `-дан`/`-ган` of its own
  once inflected forms have been reduced to it.
- A suffix is taken only where Kazakh would write it, which is checked on the stem it leaves:
  t/k/p-initial variants (-тар, -ты, -тан, -ка, -пен) follow a voiceless consonant, d/g-initial
  ones (-дар, -ды, -дан, -га) a vowel or voiced consonant (-ғы only a consonant: жыл + ғы),
  l-initial ones a vowel or р/й/у, -ны/-ның a vowel (-ның also м/н), the pronominal n of
  -на/-нда/-ндан/-н only the possessive -ы/-и (прокуратурасы + нда, but Қазақстан + да),
  vowel-initial ones (-ы, -ады, -ыл) a consonant, -сы a vowel. This is what tells `максаты`
  (мақсат + ы) from an accusative -ты.
- Vowel harmony: a back suffix (а, ы) is refused after a stem whose last vowel is е or и, a
  front one (е, и) after ы. Folding merges ә/а, ө/о, ү/ұ/у, so after а, о, у either is allowed.
- A stem keeps at least `MIN_STEM` letters and a vowel, so short words are left whole.
- After each strip a final г/б is devoiced to к/п, undoing the alternation before vowel
  suffixes: `кукыгы` (құқығы) -> `кукыг` -> `кукык`, like `кукыктары` (құқықтары).
- Passive -ыл/-ил/-л is stripped only behind a verbal suffix (`бекитилген` -> `бекит`).
- Finally a stem-final н or с after a vowel is dropped: `ауданы` is аудан + ы but `прокуратураны`
  is прокуратура + ны, and `жумысы` is жумыс + ы but `прокуратурасы` прокуратура + сы; without a
  dictionary the two cannot be told apart, so both readings are sent to the stem without the letter
  (`ауда`, `жумы`), which the bare word reaches too.
- A few words are listed outright: irregular forms (`құқылы` "entitled" -> `кукык`) and stems
  that merely end like a suffix (`казакстан` is not Қазақ + ablative -стан).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from .normalization import fold_kazakh, tokenize

MIN_STEM = 3  # letters a Kazakh stem keeps; with a vowel among them

# --- Russian -----------------------------------------------------------------------------

# PyStemmer's Stemmer keeps internal state and must not be shared between threads.
_local = threading.local()


def _russian_stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "russian", None)
    if stemmer is None:
        stemmer = _local.russian = Stemmer.Stemmer("russian")
    return stemmer


@lru_cache(maxsize=65536)
def stem_russian(token: str) -> str:
    """A lowercase Russian token -> its Snowball stem. Example: stem_russian("прокуратуры") -> "прокуратур"."""
    return _russian_stemmer().stemWord(token)


# --- Kazakh ------------------------------------------------------------------------------

_VOWELS = frozenset("аеиоуыэюя")
_VOICELESS = frozenset("кпстфхцчшщ")
_BACK, _FRONT = frozenset("аы"), frozenset("еи")

# Suffix groups, folded. Variants follow the stem's last sound and vowel harmony.
_CASE = (
    "га", "ге", "ка", "ке", "на", "не",  # dative (-на/-не after a possessive)
    "ны", "ни", "ды", "ди", "ты", "ти", "н",  # accusative (-н after a possessive -ы/-и)
    "нын", "нин", "дын", "дин", "тын", "тин",  # genitive
    "да", "де", "та", "те", "нда", "нде",  # locative
    "дан", "ден", "тан", "тен", "нан", "нен", "ндан", "нден",  # ablative
    "мен", "бен", "пен", "менен", "бенен", "пенен",  # instrumental
    "дагы", "деги", "тагы", "теги", "ндагы", "ндеги", "гы", "ги", "кы", "ки",  # -дағы/-ғы: "of/at"
)
_POSSESSIVE = ("ы", "и", "сы", "си")  # 3rd person; 1st/2nd persons are rare in questions and clash with stems
_PLURAL = ("лар", "лер", "дар", "дер", "тар", "тер")
_VERB_FINAL = ("ады", "еди", "йды", "йди", "яды", "сын", "син")  # present/future 3rd person; jussive
_PARTICIPLE = ("ган", "ген", "кан", "кен", "атын", "етин", "йтын", "йтин")
_VERBAL_NOUN = ("у", "ю")
_VOICE = ("ыл", "ил", "л")  # passive
_DERIVATION = ("лык", "лик", "дык", "дик", "тык", "тик")  # -лық: abstract nouns, adjectives
_HAVING = ("лы", "ли", "ды", "ди", "ты", "ти")  # "having X" behind -лық: өкілет + ті + лік, "authority"
# Past tense -ды/-ди/-ты/-ти looks like the accusative; a passive may stand behind it (`берилди`).
_PAST_LIKE = frozenset(("ды", "ди", "ты", "ти"))
# Endings that stand for a stem-final й: қой + ады -> қояды, қой + у -> қою.
_Y_FUSED = frozenset(("яды", "ю"))

_CASE_G, _POSS_G, _PLURAL_G, _VERB_G, _PART_G, _NOUN_G, _VOICE_G, _DERIV_G, _PAST_G, _HAVING_G = range(10)
_GROUPS = {
    _CASE_G: _CASE, _POSS_G: _POSSESSIVE, _PLURAL_G: _PLURAL, _VERB_G: _VERB_FINAL,
    _PART_G: _PARTICIPLE, _NOUN_G: _VERBAL_NOUN, _VOICE_G: _VOICE, _DERIV_G: _DERIVATION, _HAVING_G: _HAVING,
}
# Which groups may still be stripped after stripping one of a group (reading right to left).
_NEXT = {
    None: frozenset((_CASE_G, _POSS_G, _PLURAL_G, _VERB_G, _PART_G, _NOUN_G, _DERIV_G)),
    _CASE_G: frozenset((_POSS_G, _PLURAL_G, _PART_G, _NOUN_G, _DERIV_G)),
    _POSS_G: frozenset((_PLURAL_G, _PART_G, _NOUN_G, _DERIV_G)),
    _PLURAL_G: frozenset((_PART_G, _DERIV_G)),
    _VERB_G: frozenset((_VOICE_G,)),
    _PART_G: frozenset((_VOICE_G,)),
    _NOUN_G: frozenset((_VOICE_G,)),
    _VOICE_G: frozenset(),
    _DERIV_G: frozenset((_HAVING_G,)),
    _HAVING_G: frozenset(),
    _PAST_G: frozenset((_POSS_G, _PLURAL_G, _PART_G, _NOUN_G, _DERIV_G, _VOICE_G)),  # -ды: case or past
}
# Suffixes of the allowed groups, longest first, per state.
_CANDIDATES = {
    state: tuple(sorted(((s, g) for g in groups for s in _GROUPS[g]), key=lambda sg: -len(sg[0])))
    for state, groups in _NEXT.items()
}

# Whole folded words with a known stem: irregular forms, and stems that only look inflected.
_KAZAKH_EXCEPTIONS = {
    "кукылы": "кукык",  # құқылы "entitled to", from құқық with its final consonant dropped
    "казакстан": "казакстан",  # Қазақстан: -стан is part of the name, not an ablative
    "окил": "окил",  # өкіл "representative": its -л is not a passive behind the accusative -ді
}
# What may stand before each n-initial suffix. The pronominal n (-на, -нда, -ндан, -н) follows the
# 3rd person possessive -ы/-и only: прокуратурасы + нда, but Қазақстан + да; -нан also м/н (заңнан).
_N_AFTER = {
    **dict.fromkeys(("н", "на", "не", "нда", "нде", "ндан", "нден", "ндагы", "ндеги"), frozenset("ыи")),
    **dict.fromkeys(("нан", "нен"), frozenset("ыимн")),
    **dict.fromkeys(("нын", "нин"), _VOWELS | frozenset("мн")),
    **dict.fromkeys(("ны", "ни"), _VOWELS),
}
_INSTRUMENTAL = frozenset(("мен", "бен", "пен", "менен", "бенен", "пенен"))
_DEVOICE = {"г": "к", "б": "п"}


def _last_vowel(stem: str) -> str | None:
    for ch in reversed(stem):
        if ch in _VOWELS:
            return ch
    return None


def _fits(stem: str, suffix: str) -> bool:
    """Would Kazakh write `suffix` right after `stem`? Sound, harmony and length checks."""
    if len(stem) < MIN_STEM or _last_vowel(stem) is None:
        return False
    end, first = stem[-1], suffix[0]
    if first in "тпк":
        sound = end in _VOICELESS
    elif suffix in ("гы", "ги"):  # жыл + ғы, кейін + гі; after a vowel Kazakh writes -дағы
        sound = end not in _VOICELESS and end not in _VOWELS
    elif first in "дг":
        sound = end not in _VOICELESS
    elif first == "л":
        sound = end in _VOWELS if suffix in _VOICE else (end in _VOWELS or end in "рйу")
    elif first == "н":
        sound = end in _N_AFTER[suffix]
    elif first in "мб":
        sound = end not in _VOICELESS
    elif first == "с":
        sound = end in _VOWELS if suffix in ("сы", "си") else True
    elif first == "й":
        sound = end in _VOWELS
    elif first == "у" or first == "ю":
        sound = True
    else:  # vowel-initial: after a consonant (the glides й and у count as consonants here)
        sound = end not in _VOWELS or end == "у"
    if not sound:
        return False
    if suffix in ("ы", "и") and stem.endswith("кт"):  # Kazakh spells акт, объект as акті, объекті
        return False
    if suffix in _INSTRUMENTAL:  # -мен/-бен/-пен have no back variant
        return True
    last = _last_vowel(stem)
    vowels = {ch for ch in suffix if ch in _VOWELS}
    if last in _FRONT and vowels & _BACK:
        return False
    if last == "ы" and vowels & _FRONT:
        return False
    return True


def _drop_ambiguous_end(stem: str) -> str:
    """A finished stem without a final н/с after a vowel. Example: "аудан" -> "ауда"."""
    # `ауданы` reads as аудан + ы or ауда + ны, `жумысы` as жумыс + ы or жумы + сы; cutting the
    # letter gives every reading, and the bare word, the same stem.
    if len(stem) > MIN_STEM and stem[-1] in "нс" and stem[-2] in _VOWELS:
        return stem[:-1]
    return stem


@lru_cache(maxsize=65536)
def stem_kazakh(token: str) -> str:
    """A lowercase Kazakh token -> its stem, computed on the folded form (see the module docstring).

    Example: stem_kazakh("құжаттарға") -> "кужат"; stem_kazakh("прокуратурасының") -> "прокуратура".
    """
    word = fold_kazakh(token)
    state: int | None = None
    while word not in _KAZAKH_EXCEPTIONS:
        for suffix, group in _CANDIDATES[state]:
            if not word.endswith(suffix):
                continue
            stem = word[: -len(suffix)] + ("й" if suffix in _Y_FUSED else "")
            if _fits(stem, suffix):
                break
        else:
            return _drop_ambiguous_end(word)
        word = stem[:-1] + _DEVOICE[stem[-1]] if stem[-1] in _DEVOICE else stem
        state = _PAST_G if group == _CASE_G and suffix in _PAST_LIKE else group
    return _KAZAKH_EXCEPTIONS[word]


def stem_prefix(token: str, n: int = 5) -> str:
    """The first `n` characters of a token: the language-blind baseline. Example: stem_prefix("прокурор") -> "проку"."""
    return token[:n]


# --- Analysis ----------------------------------------------------------------------------

# Stopwords: function words and question words that carry no subject. The question words go
# too (кто/что, кім/не/қандай): a question asks them, a clause never answers with them, and
# they would only pull clauses that happen to contain them. Negations (не, емес) go because
# lexical search cannot use them anyway. Kept small on purpose: BM25's idf already discounts
# frequent words, and a legal text's "является"/"табылады" still help phrase-like matches.
# Kazakh postpositions of place and time go like the Russian prepositions (алдында ~ перед), and so do the
# aspect auxiliaries (жүр, отыр, тұр, жатыр: "демалыста жүргенде", "тоқтата тұру"), which say how, not what.
RUSSIAN_STOPWORDS = frozenset("""
и в во на по с со к ко о об обо от до из за для при у а но или либо не ни да
что чтобы как кто ли же бы то это этот эта эти этого этой этом этим этих так также тоже уже еще
он она оно они его ее их ему ей им ним нем нему него нее ней них я мы вы ты мне меня нас вас
где когда куда откуда зачем почему сколько каков какова каково каковы
какой какая какое какие какого какому каким каком какую какою каких какими
чем чего кем кого кому ком чему который которая которое которые которого которому которым котором которую которой которых которыми
мой моя мое мои моего моему моим моем мою моей моих моими наш наша наше наши нашего нашей наших нашим нашими
твой твоя твое твои ваш ваша ваше ваши вашего вашей ваших вашим себя себе собой
свой своя свое свои своего своему своим своем свою своей своих своими есть быть был была были было будет
через между перед передо над надо под подо про ради среди около возле вдоль
если пока хотя потому поэтому чтоб тогда ведь будто словно зато причем притом лишь даже разве неужели
""".split())
KAZAKH_STOPWORDS = frozenset(fold_kazakh(word) for word in """
және мен бен пен да де та те ма ме ба бе па пе ше ал ғана тағы немесе әлде бірақ емес
бұл осы сол ол олар оның оны оған одан онда олардың оларды оларға бұны мұны мұның бұған осыны осының соны соның
сен сіз біз менің сенің сіздің біздің өз өзі өзін өзінің сонда енді
мені маған менде менен менімен сені саған сенде бізді бізге бізде бізден сізді сізге сізде сізден
онымен оларда олардан олармен
кім кімге кімді кімнің кімде кімнен кіммен кімдер не неге нені несі неде неден немен қандай қалай қашан қайда қай
қайсы қайсысы қайсылары неше қанша
үшін туралы бойынша арқылы дейін сияқты әр әрбір
алдында алдына артында артынан астында үстінде ішінде жанында қасында маңында бірге қарай шейін гөрі сайын бері жөнінде жөніндегі жайында жайлы
сондай сондай-ақ
жүр жүрген жүргенде отыр отырса отырған тұр тұрған тұрады жатыр
бұдан мұнан осыдан содан одан бұнда мұнда осында сонда бұның мұның
егер әйтпесе себебі сондықтан өйткені яғни тек әлі
""".split())
_STOPWORDS = {"ru": RUSSIAN_STOPWORDS, "kk": KAZAKH_STOPWORDS}


@dataclass(frozen=True)
class Analyzer:
    """How text becomes the terms lexical search matches on, per language: fold Kazakh letters, drop
    stopwords, stem. Both languages fold, so a Russian question quoting a Kazakh word still meets its
    folded spelling; single letters (abbreviation debris like "т.е.") are dropped, numbers kept.

    `kazakh_stem` is the seam for the stemmer's ablation (5-letter prefixes instead).
    Example: Analyzer()("Кто назначает прокуроров?", "ru") -> ["назнача", "прокурор"];
    Analyzer()("Құжаттарға кім қол қояды?", "kk") -> ["кужат", "кол", "кой"].
    """

    kazakh_stem: Callable[[str], str] = stem_kazakh

    def __call__(self, text: str, lang: str) -> list[str]:
        return list(self.terms(tokenize(text), lang))

    def terms(self, tokens: Sequence[str], lang: str) -> tuple[str, ...]:
        """Tokens already cut by `tokenize` -> their stems, stopwords dropped."""
        stopwords = _stopwords(lang)
        stem = self.kazakh_stem if lang == "kk" else stem_russian
        stems = []
        for token in tokens:
            token = fold_kazakh(token)
            if token in stopwords or (len(token) == 1 and not token.isdigit()):
                continue
            stems.append(token if token.isdigit() else stem(token))
        return tuple(stems)

    def grams(self, tokens: Sequence[str], lang: str, n: int = 4) -> tuple[str, ...]:
        """Character n-grams of each content token (folded, with boundary marks), for typo- and
        morphology-tolerant matching: "функцыи" and "функции" share "#фун", "функ".

        Example: Analyzer().grams(["құқық"], "kk") -> ("#кук", "кукы", "укык", "кык#").
        """
        _stopwords(lang)  # refuses an unknown language, even with no tokens
        grams: list[str] = []
        for token in tokens:
            grams += _token_grams(token, lang, n)
        return tuple(grams)


@lru_cache(maxsize=1 << 18)
def _token_grams(token: str, lang: str, n: int) -> tuple[str, ...]:
    """One token's n-grams (none for a stopword or a single letter). Cached: a corpus repeats its words,
    so its clauses share these strings instead of holding ~250 new ones each (GBs at 1M clauses)."""
    token = fold_kazakh(token)
    if token in _stopwords(lang) or len(token) < 2:
        return ()
    padded = f"#{token}#"
    return tuple(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))


def _stopwords(lang: str) -> frozenset[str]:
    if lang not in _STOPWORDS:
        raise ValueError(f"no analyzer for language {lang!r}; expected 'ru' or 'kk'")
    return _STOPWORDS[lang]


analyze = Analyzer()  # the product's analyzer, as a function of (text, lang)


def char_ngrams(text: str, lang: str, n: int = 4) -> list[str]:
    """Character n-grams of a text's content words. Example: char_ngrams("құқық", "kk") -> ["#кук", "кукы", "укык", "кык#"]."""
    return list(analyze.grams(tokenize(text), lang, n))
