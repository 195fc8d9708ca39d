"""A question read once: its search terms in both languages, the act's concepts it names, the
document it is about and its focus: what a clause must contain to answer it.

Every later step (signals, granularity, abstention) reads this one `Query`; nothing re-analyzes
the question's text.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .citation import CITATION_NOUNS, CITED_LEVELS, ORDINAL_TENS, ORDINALS, CitationStyle
from .clause import Clause
from .lexical import LexicalIndex
from .lexicon import Ambiguity, Lexicon
from .normalization import fold_kazakh, tokenize
from .stemming import Analyzer

GENERAL_SHARE = 0.2  # a stem in more than this share of a language's clauses names no topic (прокуратура, район)
FAMILY_ROOT = 5  # letters a question's stem shares with the act's stem of its word family, at least (see `conflate`)
FAMILY_TAIL = 3  # letters one of the two runs past the other, at most


@dataclass(frozen=True)
class Query:
    """A question as search reads it; `terms` and `grams` leave out the words that only name the act."""

    text: str
    lang: str
    terms: Mapping[str, tuple[str, ...]]  # search stems per analyzing language ("ru", "kk")
    grams: tuple[str, ...]  # character 4-grams of the search words, in `lang`
    concepts: Mapping[str, frozenset[str]]  # concept id -> the question's stems that named it
    expansion: Mapping[str, tuple[str, ...]]  # per language: the act's terms for those concepts
    document: str | None  # "order" or "regulation" when the question names one
    focus: tuple[str, ...]  # stems (in `lang`) a clause must cover to answer the question
    all_terms: tuple[str, ...] = field(default=())  # every stem in `lang`, naming words included
    ambiguity: Ambiguity | None = None  # a word the act uses for two notions the other language tells apart
    words: frozenset[str] = frozenset()  # the question's normalized words, stopwords included
    cited: tuple[tuple[str, int], ...] = ()  # numbers the question cites: ("point", 8), ("subpoint", 3)
    citing: frozenset[str] = frozenset()  # stems that only say where: cited numbers, "пункт", "тармақ", "Положение"
    asked: str | None = None  # the focus stem a question word determines: "какой срок" -> "срок", "қандай құжаттар"


# Question words that determine a noun: the noun is what is asked for ("На какой срок назначается прокурор?" asks for
# a term, "қандай құжаттар керек" for documents), the answer's type in question-answering terms. Matched folded.
DETERMINERS = {
    lang: frozenset(fold_kazakh(word) for word in words.split())
    for lang, words in {
        "ru": """какой какая какое какие какого какому каким каком какую каких какими каков какова каково каковы
            сколько скольких""",
        "kk": "қандай қанша қай қайсы неше",
    }.items()
}
DETERMINED_WITHIN = 3  # tokens after the question word where its noun is looked for ("какой у прокуратуры адрес")


# Words that ask rather than say what is asked about: modal and auxiliary verbs ("может ли", "нужно",
# "ала ма", "керек", "тиіс"), the light verbs of "what does it do" ("делать", "жасау", "істеу", "ету"), and
# the courtesies and hedges of a lay question ("подскажите", "вообще", "шамамен"). They are searched like
# any word, but they are not a question's focus: "может ли прокуратура вызвать меня" asks about being
# summoned, and the clause that answers it says "вправе вызывать", not "может".
ASKING_WORDS = {
    "ru": """
        может могут мог могла могло могли можно нельзя мочь нужно нужен нужна нужны надо необходимо
        должен должна должно должны следует стоит придется
        делать делает делают сделать занимается занимаются заниматься бывает бывают происходит
        считается считаются относится относятся входит входят
        подскажите скажите расскажите объясните перечислите назовите опишите уточните пожалуйста хочу хотел хотела узнать знать
        вообще просто примерно конкретно обычно вот ну
    """,
    "kk": """
        ала алады алады ма алмайды алу аламын аламыз аласыз бола болады болмайды болу болса керек қажет тиіс тиісті мүмкін
        жатады жатқан кіреді кіре
        жасайды жасау жасай істейді істеу істей етеді ету айналысады айналысу
        айтыңызшы айтып түсіндіріп беріңізші өтінемін білгім келеді қызық
        нақты әдетте шамамен
    """,
}


@dataclass(frozen=True)
class ActVocabulary:
    """What the reader knows of the act: the stems that name it and the stems too common to be a focus."""

    naming: Mapping[str, frozenset[str]]  # stems of the act's titles, number, date, issuer
    identifying: Mapping[str, frozenset[str]]  # of those, the ones that identify it (number, date, issuer, document nouns)
    documents: Mapping[str, Mapping[str, str]]  # lang -> stem that names a document -> "order" | "regulation"
    general: Mapping[str, frozenset[str]]  # stems in so many clauses that they say nothing of a topic
    words: Mapping[str, frozenset[str]]  # every stem the act's clauses use

    @classmethod
    def of(
        cls, by_lang: Mapping[str, Sequence[Clause]], lexical: Mapping[str, LexicalIndex], style: CitationStyle,
        analyzer: Analyzer, naming: Mapping[str, Sequence[str]],
    ) -> "ActVocabulary":
        """The vocabulary of an act's clauses (`by_lang`, their BM25 index `lexical`), its documents' names
        (`style`) and the texts that name it (`naming`: titles, number, date), per language."""
        naming_stems, identifying, documents, general, words = {}, {}, {}, {}, {}
        for lang, clauses in by_lang.items():
            index = lexical[lang]
            naming_stems[lang] = frozenset(s for text in naming.get(lang, ()) for s in analyzer(text, lang))
            documents[lang] = {stem: doc for doc, names in style.documents.items() for stem in analyzer(names[lang], lang)}
            # The signature says who issued the act, when and under which number: its words identify the act.
            signed = {s for c in clauses if c.part == "signature" for s in analyzer(c.text, lang)}
            identifying[lang] = naming_stems[lang] & (signed | set(documents[lang]))
            general[lang] = frozenset(t for t, df in index.document_frequency().items() if df > GENERAL_SHARE * index.size)
            words[lang] = frozenset(index.vocabulary)
        return cls(naming=naming_stems, identifying=identifying, documents=documents, general=general, words=words)


class Reader:
    """Reads questions for one act: `read(text, lang) -> Query`."""

    def __init__(self, analyzer: Analyzer, lexicon: Lexicon, vocabulary: ActVocabulary, langs: tuple[str, ...]):
        self.analyzer, self.lexicon, self.vocabulary, self.langs = analyzer, lexicon, vocabulary, langs
        self._asking = {lang: frozenset(analyzer(ASKING_WORDS.get(lang, ""), lang)) for lang in langs}
        self._ordinals = {lang: {stem: n for n, stem in enumerate(analyzer(ORDINALS.get(lang, ""), lang), 1)} for lang in langs}
        self._citation_nouns = {lang: frozenset(analyzer(CITATION_NOUNS.get(lang, ""), lang)) for lang in langs}
        # the stems that say where in the act, not what: citation nouns and document nouns (cited numbers join them)
        self._where = {lang: self._citation_nouns[lang] | set(vocabulary.documents.get(lang, {})) for lang in langs}
        self._cited_levels = {
            lang: {stem: level for level, noun in CITED_LEVELS.get(lang, {}).items() for stem in analyzer(noun, lang)} for lang in langs
        }
        # the stems a question's stems are conflated to, and those long enough to be, by their first FAMILY_ROOT letters
        self._known = {lang: vocabulary.words.get(lang, frozenset()) | lexicon.stems(lang) for lang in langs}
        self._by_root: dict[str, dict[str, list[str]]] = {lang: {} for lang in langs}
        for lang, known in self._known.items():
            for stem in sorted(known):
                if len(stem) >= FAMILY_ROOT:
                    self._by_root[lang].setdefault(stem[:FAMILY_ROOT], []).append(stem)

    def terms(self, tokens: Sequence[str], lang: str) -> tuple[str, ...]:
        """The stems of `tokens` as the act spells them: a stem the act and its lexicon never use becomes the one of
        theirs it differs from by an ending the stemmer left (see `conflate`)."""
        return tuple(self.conflate(stem, lang) for stem in self.analyzer.terms(tokens, lang))

    def conflate(self, stem: str, lang: str) -> str:
        """The act's stem of the same word family as `stem`, or `stem` itself.

        A stemmer strips inflection, not derivation, and not always alike: Snowball reads "размещен" as "размещ"
        and "размещение" as "размещен", "действовать" as "действова" and "действие" as "действ". A question stem
        the act never uses is taken for the act's stem it extends or is extended by, by at most FAMILY_TAIL
        letters past a shared start of at least FAMILY_ROOT: the closest such stem, the shortest on a tie.
        Bound to the act's own vocabulary, this cannot join two words the act tells apart.
        """
        if len(stem) < FAMILY_ROOT or stem in self._known.get(lang, frozenset()):
            return stem
        near = [
            k for k in self._by_root.get(lang, {}).get(stem[:FAMILY_ROOT], ())
            if abs(len(k) - len(stem)) <= FAMILY_TAIL and (k.startswith(stem) or stem.startswith(k))
        ]
        return min(near, key=lambda k: (abs(len(k) - len(stem)), len(k), k)) if near else stem

    def asking(self, lang: str) -> frozenset[str]:
        """The stems of ASKING_WORDS in `lang`: they ask, and name nothing of the act."""
        return self._asking.get(lang, frozenset())

    def read(self, text: str, lang: str) -> Query:
        """Example: read("Кто подписал приказ?", "ru").document -> "order"; its terms keep "подписа", drop "приказ"."""
        tokens, cited = self._citations(tokenize(text), lang)
        # the question's own language as the act spells it; another language's analyzer reads foreign words, as is
        stems = {other: [(self.terms if other == lang else self.analyzer.terms)([t], other) for t in tokens] for other in self.langs}
        own = [s[0] if s else None for s in stems[lang]]
        all_terms = tuple(s for s in own if s)
        document = self._document(all_terms, lang)
        naming = self.vocabulary.naming.get(lang, frozenset())
        # Words that name the act say which document is meant, not which clause: once a document is
        # named they leave the search (unless nothing else is asked), so the title does not win on them.
        keep = [s is not None and not (document and s in naming) for s in own]
        if document and not any(keep):
            # A question of naming words only ("что утверждает приказ № 127", "бұйрық нені бекітеді") asks
            # about what the title describes: the words that identify the act still say nothing of a clause.
            identifying = self.vocabulary.identifying.get(lang, frozenset())
            keep = [s is not None and s not in identifying and not s.isdigit() for s in own]
        if document and not any(keep):
            keep = [s is not None for s in own]
        terms = {
            other: tuple(s[0] for s, kept in zip(stems[other], keep) if kept and s) for other in self.langs
        }
        grams = self.analyzer.grams([t for t, kept in zip(tokens, keep) if kept], lang)
        general = self.vocabulary.general.get(lang, frozenset())
        # A concept named only by words found all over the act (прокуратура, район) tells nothing.
        # Nor does a concept named by those words only: "бұйрық" says which document, and its expansion
        # ("приказываю", "бұйырамын") would make the preamble win what the document prior already says.
        searched = tuple(s for s, kept in zip(own, keep) if kept and s)
        concepts = {cid: stems for cid, stems in self.lexicon.find(searched, lang).items() if stems - general}
        expansion = {
            other: tuple(sorted(self.lexicon.terms(concepts, other) - set(terms[other]))) for other in self.langs
        }
        # The act is written in Cyrillic: a Latin word (markup, a pasted tag) cannot be a focus it covers.
        asking = self.asking(lang)
        focus = tuple(dict.fromkeys(
            s for s in terms[lang] if s not in general and s not in asking and not s.isdigit() and _cyrillic(s)
        ))
        ambiguity = self.lexicon.ambiguity(all_terms, lang)
        asked = _asked(tokens, own, focus, lang)
        citing = (self._where.get(lang, frozenset()) | {str(n) for _, n in cited}) & set(all_terms)
        return Query(
            text, lang, terms, grams, concepts, expansion, document, focus, all_terms, ambiguity, frozenset(tokens), cited, citing,
            asked,
        )

    def _citations(self, tokens: list[str], lang: str) -> tuple[list[str], tuple[tuple[str, int], ...]]:
        """The tokens with cited ordinals as numbers, and the numbers the question cites, each with the level the
        citation noun beside it names. A number follows its noun in Russian ("пункт 8") and precedes it in Kazakh
        ("8-тармағы"); an ordinal precedes it in both ("первый пункт", "бірінші тармақ"): that side is looked at first.

        Example: "в третьем подпункте пункта 8" -> tokens [..., "3", "подпункте", "пункта", "8"],
        cited (("subpoint", 3), ("point", 8)); "он бірінші тармағы" -> ["11", "тармағы"], (("point", 11),).
        """
        ordinals, nouns = self._ordinals.get(lang, {}), self._citation_nouns.get(lang, frozenset())
        levels, tens = self._cited_levels.get(lang, {}), ORDINAL_TENS.get(lang, {})
        stems = [next(iter(self.terms([t], lang)), None) for t in tokens]
        out: list[str | None] = list(tokens)
        cited = []
        for i, token in enumerate(tokens):
            if token.isdecimal() and len(token) <= 3:  # "²" is a digit int() cannot read
                number, sides = int(token), ((-1, 1) if lang == "ru" else (1, -1))
            elif stems[i] in ordinals and any(stems[j] in nouns for j in (i - 1, i + 1) if 0 <= j < len(tokens)):
                number, sides = ordinals[stems[i]], (1, -1)
                if number < 10 and i and tokens[i - 1] in tens:
                    number, out[i - 1] = tens[tokens[i - 1]] + number, None
                out[i] = str(number)
            else:
                continue
            beside = (i + side for side in sides)
            level = next((levels[stems[j]] for j in beside if 0 <= j < len(tokens) and stems[j] in levels), None)
            if level:
                cited.append((level, number))
        return [t for t in out if t is not None], tuple(dict.fromkeys(cited))

    def _document(self, stems: tuple[str, ...], lang: str) -> str | None:
        """The document a question is about. Naming both, it is about the one its words head: the first named in
        Russian ("положение, утвержденное приказом" -> regulation; "приказ об утверждении положения" -> order),
        the last in Kazakh, where a noun follows what qualifies it ("бұйрықпен бекітілген ереже" -> regulation)."""
        names = self.vocabulary.documents.get(lang, {})
        named = [names[s] for s in stems if s in names]
        if not named:
            return None
        return named[-1] if lang == "kk" else named[0]


def _asked(tokens: Sequence[str], stems: Sequence[str | None], focus: tuple[str, ...], lang: str) -> str | None:
    """The first focus stem within DETERMINED_WITHIN tokens after a question word that determines a noun.

    Example: "На какой срок назначается прокурор района?" -> "срок"; "Кто руководит прокуратурой?" -> None.
    """
    determiners = DETERMINERS.get(lang, frozenset())
    for i, token in enumerate(tokens):
        if fold_kazakh(token) in determiners:
            following = stems[i + 1 : i + 1 + DETERMINED_WITHIN]
            found = next((stem for stem in following if stem in focus), None)
            if found:
                return found
    return None


def _cyrillic(stem: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in stem)
