"""Hybrid bilingual retrieval: BM25 and dense scores of a clause in both its languages, fused.

Every clause exists in Russian and Kazakh under one id, so a clause is scored on both texts:
the question's own language lexically and densely, and its twin in the other language densely
(the small multilingual model often embeds one language of a pair better than the other).
All signals are arrays over the same id order and are fused with weights fitted on the
development set (`params.json`, written by `zanger eval --fit`).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .citation import PART_TOPICS, CitationStyle
from .clause import Clause
from .fusion import fuse_scores, reciprocal_rank_fusion
from .lexical import LexicalIndex
from .normalization import normalize
from .stemming import char_ngrams

PARAMS_FILE = Path(__file__).with_name("params.json")
# Bumped whenever matching_text/passage_text change, so a stale index is refused.
PASSAGE_VERSION = 2
# "How much / how many / how long": the act is an organizational regulation with no amounts,
# terms or fees, so such a question is evidence (weighed by the fitted model) that it is out of scope.
AMOUNT_WORDS = frozenset("сколько скольких размер сумма ставка қанша неше мөлшері мөлшерлемесі".split())
SIGNALS = ("lexical", "chars", "heading", "dense", "dense_twin", "lexical_twin")


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


@dataclass(frozen=True)
class RetrievalParams:
    """Fusion weights and abstention model; defaults are overwritten by the fitted `params.json`."""

    weights: dict[str, float] = field(
        default_factory=lambda: {"lexical": 1.0, "dense": 1.0, "dense_twin": 0.5, "lexical_twin": 0.0}
    )
    normalization: str = "minmax"  # "minmax" | "zscore" | "max" | "rrf"
    level_prior: dict[str, float] = field(default_factory=lambda: {"point": 0.0, "list": 0.0, "subpoint": 0.0, "part": 0.0})
    followup_weight: float = 0.6  # weight of the earlier turn's ranking in a follow-up's fused score
    followup_decay: float = 0.5  # each turn further back counts this much less
    settle_granularity: bool = True  # pick point / list / subpoint of the top point by the question's scope
    abstain_coef: dict[str, float] = field(default_factory=dict)  # logistic model over ranking features
    abstain_bias: float = 0.0
    abstain_threshold: float = 0.5  # abstain when P(answerable) falls below this

    @classmethod
    def load(cls, path: Path = PARAMS_FILE) -> "RetrievalParams":
        if not Path(path).is_file():
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def save(self, path: Path = PARAMS_FILE) -> None:
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Ranking:
    """Every clause id scored for one question, best first, with the evidence behind the scores."""

    ids: tuple[str, ...]
    scores: np.ndarray  # fused, parallel to ids
    signals: dict[str, np.ndarray]  # raw per-signal scores in the retriever's id order
    features: dict[str, float]  # what abstention reads


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
    """Scores all clauses of an act for a question, in both languages at once."""

    def __init__(
        self,
        clauses: Sequence[Clause],
        vectors: np.ndarray,
        encoder,
        params: RetrievalParams | None = None,
        cache_size: int = 2048,
        analyzer=None,
        style: CitationStyle | None = None,
    ):
        self.encoder = encoder
        self.params = params or RetrievalParams.load()
        self.langs = tuple(dict.fromkeys(c.lang for c in clauses))
        first = [c for c in clauses if c.lang == self.langs[0]]
        self.ids: tuple[str, ...] = tuple(c.id for c in first)
        self._position = position = {cid: i for i, cid in enumerate(self.ids)}
        self.by_lang: dict[str, list[Clause]] = {}
        self._rows: dict[str, np.ndarray] = {}
        for lang in self.langs:
            rows = [i for i, c in enumerate(clauses) if c.lang == lang]
            if sorted(clauses[i].id for i in rows) != sorted(self.ids):
                raise ValueError(f"clauses in {lang!r} do not have the same ids as in {self.langs[0]!r}")
            rows.sort(key=lambda i: position[clauses[i].id])
            self.by_lang[lang] = [clauses[i] for i in rows]
            self._rows[lang] = np.asarray(rows)
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        extra = {} if analyzer is None else {"analyzer": analyzer}
        style = style or CitationStyle()
        texts = {lang: [self._document_prefix(c, style) + matching_text(c) for c in self.by_lang[lang]] for lang in self.langs}
        self.lexical = {lang: LexicalIndex(texts[lang], lang, **extra) for lang in self.langs}
        self.chars = {lang: LexicalIndex(texts[lang], lang, analyzer=char_ngrams) for lang in self.langs}
        headings = {lang: [heading_text(c, style) for c in self.by_lang[lang]] for lang in self.langs}
        self.headings = {lang: LexicalIndex(headings[lang], lang, **extra) for lang in self.langs}
        self.levels = np.array([c.level for c in first])
        self._point_ids = [c.point_id for c in first]
        # _descendants[i, j]: subpoint j lies inside point or list i
        self._descendants = np.array(
            [
                [
                    b.level == "subpoint" and a.level in ("point", "list") and a.point_id == b.point_id
                    and (a.level == "point" or a.list == b.list)
                    for b in first
                ]
                for a in first
            ]
        )
        self._heading_tokens = {
            lang: [frozenset(self.lexical[lang].analyzer(text, lang)) for text in headings[lang]]
            for lang in self.langs
        }
        self._clause_tokens = {
            lang: [frozenset(self.lexical[lang].analyzer(text, lang)) for text in texts[lang]]
            for lang in self.langs
        }
        self.cache = EmbeddingCache(cache_size)

    @staticmethod
    def _document_prefix(clause: Clause, style: CitationStyle) -> str:
        """Every clause of the order is read as part of "приказ № 127", so naming the order
        ("что утверждает приказ № 127?") favours none of them over another."""
        if clause.document == "order" and style.act_name:
            return style.act_name[clause.lang] + "\n"
        return ""

    def clause(self, clause_id: str, lang: str) -> Clause:
        return self.by_lang[lang][self._position[clause_id]]

    def embed(self, text: str) -> np.ndarray:
        """Query embedding, from the cache when the same text was embedded before."""
        vector = self.cache.get(text)
        if vector is None:
            vector = np.asarray(self.encoder.encode_queries([text])[0], dtype=np.float32)
            self.cache.put(text, vector)
        return vector

    def signals(self, question: str, lang: str) -> dict[str, np.ndarray]:
        """Raw scores of every clause id for one question in `lang`, one array per signal."""
        query = self.embed(question)
        cosine = self._vectors @ query
        twin = next((other for other in self.langs if other != lang), lang)
        return {
            "lexical": self.lexical[lang].scores(question),
            "chars": self.chars[lang].scores(question),
            "heading": self.headings[lang].scores(question),
            "dense": cosine[self._rows[lang]],
            "dense_twin": cosine[self._rows[twin]],
            "lexical_twin": self.lexical[twin].scores(question),
        }

    def fuse(self, signals: dict[str, np.ndarray], params: RetrievalParams | None = None) -> np.ndarray:
        """One score per clause id from the signals, weighted and normalized as `params` say."""
        params = params or self.params
        if params.normalization == "rrf":
            fused = reciprocal_rank_fusion(signals, params.weights)
        else:
            fused = fuse_scores(signals, params.weights, params.normalization)
        prior = np.array([params.level_prior.get(level, 0.0) for level in self.levels], dtype=np.float32)
        return fused + prior

    def rank(self, question: str, lang: str, context: Sequence[tuple[str, str]] = ()) -> Ranking:
        """All clause ids, best first, for `question`; `context` holds earlier turns (text, lang),
        most recent first, whose rankings are blended in for a follow-up question."""
        signals = self.signals(question, lang)
        earlier = [self.signals(text, text_lang) for text, text_lang in context]
        return self.rank_signals(question, lang, signals, earlier, context=context)

    def rank_signals(
        self,
        question: str,
        lang: str,
        signals: dict[str, np.ndarray],
        earlier: Sequence[dict[str, np.ndarray]] = (),
        params: RetrievalParams | None = None,
        context: Sequence[tuple[str, str]] = (),
    ) -> Ranking:
        """Rank from precomputed signals (the eval reuses them across parameter settings).

        Abstention evidence of a follow-up is read from the question together with the turns it
        leans on: "И в какой срок?" is in scope when the turn before it was."""
        fused = self.blend(signals, earlier, params)
        order = np.argsort(-fused, kind="stable")
        if (params or self.params).settle_granularity:
            order = self.settle_granularity(order, fused, question, lang)
        return Ranking(
            ids=tuple(self.ids[i] for i in order),
            scores=fused[order],
            signals=signals,
            features=self._features(" ".join([question, *(text for text, _ in context)]), lang, signals, fused, order),
        )

    def blend(
        self, signals: dict[str, np.ndarray], earlier: Sequence[dict[str, np.ndarray]] = (), params: RetrievalParams | None = None
    ) -> np.ndarray:
        """Fused scores of the question, plus the earlier turns' fused scores, decaying with distance."""
        params = params or self.params
        fused = self.fuse(signals, params)
        weight = params.followup_weight
        for turn in earlier:
            fused = fused + weight * self.fuse(turn, params)
            weight *= params.followup_decay
        return fused

    def settle_granularity(self, order: np.ndarray, fused: np.ndarray, question: str, lang: str) -> np.ndarray:
        """Put first the clause of the top point that fits the question's scope.

        Within the point that won, the best subpoint is shown first only when it matches words of
        the question that its point's (or list's) heading does not: "права прокуратуры" names the
        list of rights, "может ли прокуратура назначать экспертизы" one right. Otherwise the list
        whose heading holds all the matched words, or else the whole point, comes first.
        """
        top = int(order[0])
        family = [i for i in range(len(self.ids)) if self._point_ids[i] == self._point_ids[top]]
        subpoints = [i for i in family if self.levels[i] == "subpoint"]
        if not subpoints:
            return order
        query = set(self.lexical[lang].analyzer(question, lang))
        best_sub = max(subpoints, key=lambda i: fused[i])
        point = next(i for i in family if self.levels[i] == "point")
        lists = [i for i in family if self.levels[i] == "list"]
        heading = self._heading_tokens[lang]
        scope = next((i for i in lists if self._descendants[i, best_sub]), point)
        matched = query & self._clause_tokens[lang][best_sub]
        if matched - heading[scope]:
            chosen = best_sub
        else:
            matched_scope = query & (self._clause_tokens[lang][point] | heading[point])
            chosen = scope if matched_scope <= heading[scope] else point
        if chosen == top:
            return order
        return np.concatenate(([chosen], order[order != chosen]))

    def _features(self, question, lang, signals, fused, order) -> dict[str, float]:
        """Evidence that the act answers the question at all, independent of which clause wins."""
        top = int(order[0])
        second = float(fused[order[1]]) if len(order) > 1 else 0.0
        query_tokens = set(self.lexical[lang].analyzer(question, lang))
        known = set(self.lexical[lang].tokens(question))
        grams = set(char_ngrams(question, lang))
        known_grams = {g for g in grams if any(g in index.vocabulary for index in self.chars.values())}
        clause_tokens = self._clause_tokens[lang][top]
        dense = signals["dense"]
        words = set(normalize(question).split())
        return {
            "fused_top": float(fused[top]),
            "fused_margin": float(fused[top]) - second,
            "dense_max": float(dense.max()),
            "dense_gap": float(dense.max() - dense.mean()),
            "dense_twin_max": float(signals["dense_twin"].max()),
            "lexical_max": float(signals["lexical"].max()),
            "coverage": len(known) / len(query_tokens) if query_tokens else 0.0,
            "unknown": float(len(query_tokens - known)),
            "char_coverage": len(known_grams) / len(grams) if grams else 0.0,
            "overlap_top": len(query_tokens & clause_tokens) / len(query_tokens) if query_tokens else 0.0,
            "asks_amount": float(bool(words & AMOUNT_WORDS)),
        }
