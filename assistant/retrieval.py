"""Hybrid bilingual retrieval: BM25 and dense scores of a clause in both its languages, over candidates.

Every clause exists in Russian and Kazakh under one id, so a clause is scored on both texts: the
question's own language lexically and densely, and its twin in the other language too (the small
multilingual model often embeds one language of a pair better than the other). The act's concepts
named in the question add the act's own terms in both languages (`concepts`), and a question that
names a document favours that document's clauses (`document`).

Candidates come from FAISS (the nearest vectors in either language) and from BM25 (the best
lexical scores), widened to whole points; every signal is an array over those candidates, which
for one act are all its clauses. Nothing here is quadratic in the number of clauses.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .citation import PART_TOPICS, CitationStyle
from .clause import Clause
from .dense import DenseIndex
from .lexical import LexicalBuilder, LexicalIndex
from .lexicon import Lexicon
from .lists import asks_other, residual_names
from .normalization import tokenize
from .params import RetrievalParams
from .query import ActVocabulary, Query, Reader
from .stemming import Analyzer

# Bumped whenever matching_text/passage_text change, so a stale index is refused.
PASSAGE_VERSION = 3
LEXICAL_FIELDS = ("lexical", "chars", "headings")  # BM25 indexes per language: stems, 4-grams, heading stems
SIGNALS = ("lexical", "chars", "heading", "dense", "dense_twin", "lexical_twin", "concepts", "document")
TERM_CACHE_SIZE = 100_000  # clauses whose stems are kept once computed (a dict: reads need no lock)



def matching_text(clause: Clause) -> str:
    """The text search reads for a clause: a subpoint is read with its list's lead-in.

    Example: regulation.p8.l2.s7 -> "Прокуратура ... обязана:\nсовершенствовать свою деятельность ...".
    """
    if clause.subpoint is not None and clause.lead_in:
        return f"{clause.lead_in}\n{clause.text}"
    return clause.text


def heading_text(clause: Clause, style: CitationStyle) -> str:
    """What names a clause rather than what it says: its citation, and the lead-in of a point or
    list that has subpoints, or the role of an unnumbered part (a title field, in BM25F terms).

    Example: regulation.p8.l1 (ru) -> "пункт 8 Положения (права)\nПрокуратура района ... вправе:".
    """
    lines = [style.render(clause)]
    if clause.document == "order" and style.act_name:
        lines.append(style.act_name[clause.lang])
    if clause.part is not None:
        lines.append(PART_TOPICS.get(clause.lang, {}).get(clause.part, ""))
    elif clause.subpoint is None and "\n1) " in clause.text:
        lines.append(clause.text.split("\n1) ")[0])
    return "\n".join(line for line in lines if line)


def passage_text(clause: Clause, style: CitationStyle) -> str:
    """The text the dense encoder embeds for a clause: its heading, then its matching text."""
    return f"{heading_text(clause, style)}\n{matching_text(clause)}"


def search_text(clause: Clause, style: CitationStyle) -> str:
    """The text lexical search reads for a clause: its matching text, read as part of its document, and for an
    unnumbered part of the order also the words of its role ("подписал", "основание")."""
    text = document_prefix(clause, style) + matching_text(clause)
    if clause.part is not None:
        text += "\n" + PART_TOPICS.get(clause.lang, {}).get(clause.part, "")
    label = style.list_label(clause, clause.lang)
    if label:  # the act's own name of the list a clause belongs to: "права", "обязанности"
        text += "\n" + label
    return text


def document_prefix(clause: Clause, style: CitationStyle) -> str:
    """Every clause of the order is read as part of "приказ № 127", so naming the order
    ("что утверждает приказ № 127?") favours none of them over another."""
    if clause.document == "order" and style.act_name:
        return style.act_name[clause.lang] + "\n"
    return ""


def lexical_fields(by_lang: Mapping[str, Sequence[Clause]], style: CitationStyle, analyzer: Analyzer) -> dict[str, dict[str, LexicalIndex]]:
    """BM25 over each language's clauses (in position order), per field: "lexical" (the stems of
    `search_text`), "chars" (its 4-grams), "headings" (the stems of `heading_text`)."""
    fields: dict[str, dict[str, LexicalIndex]] = {name: {} for name in LEXICAL_FIELDS}
    for lang, clauses in by_lang.items():
        stems, grams, headings = LexicalBuilder(), LexicalBuilder(), LexicalBuilder()
        for clause in clauses:  # one pass, each text tokenized once for its stems and 4-grams
            words = tokenize(search_text(clause, style))
            stems.add(analyzer.terms(words, lang))
            grams.add(analyzer.grams(words, lang))
            headings.add(analyzer(heading_text(clause, style), lang))
        for name, builder in zip(LEXICAL_FIELDS, (stems, grams, headings)):
            fields[name][lang] = builder.build()
    return fields


@dataclass(frozen=True)
class Evidence:
    """One question's raw evidence: its reading, its embedding, lexical scores of every clause, FAISS neighbours."""

    query: Query
    vector: np.ndarray
    lexical: dict[str, np.ndarray]  # signal -> BM25 score of every clause position
    neighbours: np.ndarray  # clause positions FAISS found nearest, in either language


class EmbeddingCache:
    """Bounded LRU of query embeddings, safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._data.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = vector
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class Retriever:
    """Reads questions and scores the act's clauses for them, in both languages at once."""

    def __init__(
        self,
        clauses: Sequence[Clause],
        dense: DenseIndex,
        encoder,
        *,
        style: CitationStyle,
        analyzer: Analyzer,
        lexicon: Lexicon,
        naming: dict[str, list[str]],
        cache_size: int,
        candidates: int,
        fields: Mapping[str, Mapping[str, LexicalIndex]] | None = None,
    ):
        """`clauses` in every language, in the order of the vectors in `dense`; `naming`: per language,
        the texts that name the act (its titles, number, date), for the reader; `fields`: what
        `lexical_fields` gave for these clauses, style and analyzer (kept with the index), else built here."""
        self.encoder, self.dense, self.style, self.analyzer, self.candidates = encoder, dense, style, analyzer, candidates
        self._clauses, self._naming = tuple(clauses), naming
        if dense.size != len(clauses):
            raise ValueError(f"{dense.size} vectors for {len(clauses)} clauses")
        self.langs = tuple(dict.fromkeys(c.lang for c in clauses))
        first = [c for c in clauses if c.lang == self.langs[0]]
        self.ids: tuple[str, ...] = tuple(c.id for c in first)
        self._position = {cid: i for i, cid in enumerate(self.ids)}
        self.by_lang: dict[str, list[Clause]] = {}
        self.rows: dict[str, np.ndarray] = {}  # lang -> FAISS row of each clause position
        row_position = np.empty(len(clauses), dtype=np.int64)
        for lang in self.langs:
            rows = [i for i, c in enumerate(clauses) if c.lang == lang]
            if len(rows) != len(self.ids) or any(clauses[i].id not in self._position for i in rows):
                raise ValueError(f"clauses in {lang!r} do not have the same ids as in {self.langs[0]!r}")
            rows.sort(key=lambda i: self._position[clauses[i].id])
            self.by_lang[lang] = [clauses[i] for i in rows]
            self.rows[lang] = np.asarray(rows, dtype=np.int64)
            row_position[self.rows[lang]] = np.arange(len(rows))
        self._row_position = row_position
        if fields is None:
            fields = lexical_fields(self.by_lang, style, analyzer)
        elif set(fields) != set(LEXICAL_FIELDS) or any(
            set(by_lang) != set(self.langs) or any(index.size != len(self.ids) for index in by_lang.values())
            for by_lang in fields.values()
        ):
            raise ValueError("lexical fields not built for these clauses")
        self.fields = fields
        self.lexical, self.chars, self.headings = (fields[name] for name in LEXICAL_FIELDS)
        self.levels = np.array([c.level for c in first])
        self.documents = np.array([c.document for c in first])
        self.points = np.array([c.point for c in first], dtype=np.int32)
        self.subpoints = np.array([-1 if c.subpoint is None else c.subpoint for c in first], dtype=np.int32)
        self._family: dict[str, list[int]] = defaultdict(list)  # point id -> positions of the point, its lists and subpoints
        for i, c in enumerate(first):
            self._family[c.point_id].append(i)
        vocabulary = ActVocabulary.of(self.by_lang, self.lexical, style, analyzer, naming)
        self.reader = Reader(analyzer, lexicon, vocabulary, self.langs)
        self._residuals, self._item_names = residual_names(self.by_lang, analyzer, self.scope_of)
        self._labels = {  # (list position, lang) -> stems of the act's name for the list ("права", "міндеттері")
            (i, lang): frozenset(analyzer(label, lang)) for lang in self.langs for i, c in enumerate(self.by_lang[lang])
            if c.level == "list" and (label := style.list_label(c, lang))
        }
        self.cache = EmbeddingCache(cache_size)
        self._term_cache: dict[tuple[int, str, bool], frozenset[str]] = {}

    def variant(self, *, analyzer: Analyzer | None = None, lexicon: Lexicon | None = None) -> "Retriever":
        """The same clauses and FAISS index read another way (the evaluation's ablations); shares the embedding cache."""
        analyzer = analyzer or self.analyzer
        if lexicon is None:
            lexicon = Lexicon.from_dict(self.reader.lexicon.source, analyzer)
        other = Retriever(
            self._clauses, self.dense, self.encoder, style=self.style, analyzer=analyzer,
            lexicon=lexicon, naming=self._naming, cache_size=self.cache.size, candidates=self.candidates,
        )
        other.cache = self.cache
        return other

    # --- clauses -------------------------------------------------------------------------------

    def clause(self, clause_id: str, lang: str) -> Clause:
        return self.by_lang[lang][self._position[clause_id]]

    def has(self, clause_id: str) -> bool:
        """Is there a clause with this id (a dict lookup: the id tuple can hold millions)?"""
        return clause_id in self._position

    def at(self, position: int, lang: str) -> Clause:
        return self.by_lang[lang][position]

    def family(self, position: int) -> list[int]:
        """Positions of the point that holds `position`: the point, its lists and its subpoints."""
        return self._family[self.by_lang[self.langs[0]][position].point_id]

    def clause_terms(self, position: int, lang: str) -> frozenset[str]:
        """The stems lexical search reads for a clause (on demand, kept for the clauses that reach the top)."""
        return self._terms(position, lang, False)

    def heading_terms(self, position: int, lang: str) -> frozenset[str]:
        return self._terms(position, lang, True)

    def _terms(self, position: int, lang: str, heading: bool) -> frozenset[str]:
        key = (position, lang, heading)
        terms = self._term_cache.get(key)
        if terms is None:
            clause = self.by_lang[lang][position]
            text = heading_text(clause, self.style) if heading else search_text(clause, self.style)
            terms = frozenset(self.analyzer(text, lang))
            if len(self._term_cache) < TERM_CACHE_SIZE:
                self._term_cache[key] = terms
        return terms

    # --- evidence ------------------------------------------------------------------------------

    def read(self, text: str, lang: str) -> Query:
        return self.reader.read(text, lang)

    def embed(self, text: str) -> np.ndarray:
        """Query embedding, from the cache when the same text was embedded before."""
        vector = self.cache.get(text)
        if vector is None:
            vector = np.asarray(self.encoder.encode_queries([text])[0], dtype=np.float32)
            self.cache.put(text, vector)
        return vector

    def evidence(self, query: Query) -> Evidence:
        """Everything that needs the encoder or an index walk, once per question."""
        lang = query.lang
        twin = self.twin(lang)
        vector = self.embed(query.text)
        lexical = {
            "lexical": self.lexical[lang].scores(query.terms[lang]),
            "chars": self.chars[lang].scores(query.grams),
            "heading": self.headings[lang].scores(query.terms[lang]),
            "lexical_twin": self.lexical[twin].scores(query.terms[twin]),
            "concepts": self.lexical[lang].scores(query.expansion[lang]) + self.lexical[twin].scores(query.expansion[twin]),
        }
        neighbours = self._row_position[self.dense.search(vector, self.candidates)]
        return Evidence(query, vector, lexical, neighbours)

    def twin(self, lang: str) -> str:
        return next((other for other in self.langs if other != lang), lang)

    def candidates_of(self, evidence: Sequence[Evidence]) -> np.ndarray:
        """Clause positions worth scoring: FAISS neighbours and the best lexical scores, widened to whole points."""
        n = len(self.ids)
        if n <= self.candidates:
            return np.arange(n)
        picked: set[int] = set()
        for item in evidence:
            picked.update(item.neighbours.tolist())
            for scores in item.lexical.values():
                top = np.argpartition(-scores, self.candidates)[: self.candidates]
                picked.update(top[scores[top] > 0].tolist())
        widened = {member for i in picked for member in self.family(i)}
        return np.array(sorted(widened), dtype=np.int64)

    def signals(self, evidence: Evidence, positions: np.ndarray) -> dict[str, np.ndarray]:
        """Every signal of one question over the candidate `positions`."""
        lang = evidence.query.lang
        signals = {name: scores[positions] for name, scores in evidence.lexical.items()}
        signals["dense"] = self.dense.similarity(evidence.vector, self.rows[lang][positions])
        signals["dense_twin"] = self.dense.similarity(evidence.vector, self.rows[self.twin(lang)][positions])
        named = evidence.query.document
        signals["document"] = (self.documents[positions] == named).astype(np.float32) if named else np.zeros(len(positions), np.float32)
        return signals

    def cited(self, query: Query, positions: np.ndarray) -> np.ndarray:
        """How well each clause's number fits the numbers the question cites: 1 for the cited point (with all
        its lists and subpoints), 1 more for its cited subpoint; a subpoint cited alone counts in every point.
        A number is a point of the document the question names, when that document has it ("пункт 1 приказа")."""
        score = np.zeros(len(positions), dtype=np.float32)
        points = {n for level, n in query.cited if level == "point"}
        subpoints = {n for level, n in query.cited if level == "subpoint"}
        in_point = np.isin(self.points[positions], list(points)) if points else np.ones(len(positions), dtype=bool)
        if query.document:
            in_document = in_point & (self.documents[positions] == query.document)
            if (points or subpoints) and in_document.any():
                in_point = in_document
        if points:
            score += in_point
        if subpoints:
            score += in_point & np.isin(self.subpoints[positions], list(subpoints))
        return score

    # --- ranking -------------------------------------------------------------------------------

    def scope_of(self, subpoint: int) -> int:
        """The position of the list that holds a subpoint, or of its point when the point has one list."""
        clause = self.by_lang[self.langs[0]][subpoint]
        family = self.family(subpoint)
        point = next(p for p in family if self.levels[p] == "point")
        return next((p for p in family if self.levels[p] == "list" and self.by_lang[self.langs[0]][p].list == clause.list), point)

    def asks_for(self, subpoint: int, query: Query) -> bool:
        """Does the question ask for this subpoint rather than its list: does it match words of the subpoint that
        the list's names do not hold, or ask for "other" items of a residual subpoint?"""
        lang = query.lang
        if subpoint in self._residuals and asks_other(query.text, lang):
            return True
        return bool((self._naming_terms(query) & self.clause_terms(subpoint, lang)) - self._named(self.scope_of(subpoint), lang))

    def _naming_terms(self, query: Query) -> set[str]:
        """The question's stems that can name a clause: the words that only ask ("нені істеуге міндетті": "істеу";
        "может ли") name nothing, and a subpoint that happens to use them is not what is asked for."""
        return set(query.terms[query.lang]) - self.reader.asking(query.lang)

    def _named(self, position: int, lang: str) -> frozenset[str]:
        """What names a point or list: its heading's stems and the name its residual subpoint gives its items."""
        return self.heading_terms(position, lang) | self._item_names.get((position, lang), frozenset())

    def level_prior(self, positions: np.ndarray, params: RetrievalParams) -> np.ndarray:
        return np.array([params.level_prior.get(level, 0.0) for level in self.levels[positions]], dtype=np.float32)

    def settle_granularity(self, order: np.ndarray, fused: np.ndarray, positions: np.ndarray, query: Query) -> np.ndarray:
        """Put first the clause of the top point that fits the question's scope.

        Within the point that won, the best subpoint is shown first only when it matches words of
        the question that its point's (or list's) heading does not: "права прокуратуры" names the
        list of rights, "может ли прокуратура назначать экспертизы" one right. Otherwise the list
        whose heading holds all the matched words, or else the whole point, comes first. A list is
        also named by what its residual subpoint calls its items: "полномочия прокурора района" asks
        for point 13, whose last subpoint is "осуществляет иные полномочия", not for that subpoint;
        "может ли он осуществлять другие полномочия" asks for that subpoint. A question that only cites a point
        ("что говорится в пункте 8") gets the whole point.
        `order` indexes `positions`; so does the result.
        """
        lang = query.lang
        top = int(positions[order[0]])
        index_of = {int(p): i for i, p in enumerate(positions)}
        family = [p for p in self.family(top) if p in index_of]
        subpoints = [p for p in family if self.levels[p] == "subpoint"]
        point = next((p for p in family if self.levels[p] == "point"), None)
        if not subpoints or point is None:
            return order
        best_sub = max(subpoints, key=lambda p: fused[index_of[p]])
        scope = self.scope_of(best_sub)
        if self.asks_for(best_sub, query):
            chosen = best_sub
        else:
            matched_scope = self._naming_terms(query) & (self.clause_terms(point, lang) | self._named(point, lang))
            # "что говорится в пункте 8": the words that cite the point name the whole point, not its first list
            cites_only = {level for level, _ in query.cited} == {"point"} and matched_scope <= query.citing
            # the best subpoint's list, else another list of the point its heading names ("а обязанности?" after a
            # question about the rights: the history's subpoints lead), one the act calls by that name first (the
            # Kazakh duties are "міндеттері"; the rights' lead-in only says "өз міндеттерін орындау үшін")
            lists = [scope] + sorted((p for p in family if self.levels[p] == "list" and p != scope), key=lambda p: -fused[index_of[p]])
            naming = [p for p in lists if matched_scope <= self._named(p, lang)] if not cites_only else []
            named = next((p for p in naming if matched_scope & self._labels.get((p, lang), frozenset())), naming[0] if naming else None)
            chosen = point if named is None else named
        if chosen == top:
            return order
        chosen_index = index_of[chosen]
        return np.concatenate(([chosen_index], order[order != chosen_index]))
