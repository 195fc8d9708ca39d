"""One question's path, the same for the service and the evaluation:

read -> evidence (encoder, BM25, FAISS) -> candidates -> signals -> fuse (with the earlier turns)
-> cited points first -> granularity -> answerability features -> verdict.

`prepare` does the expensive part once; `decide` is pure arithmetic over it, so the evaluation
can fit parameters by calling `decide` many times on the same prepared questions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import abstention
from .abstention import Verdict
from .fusion import normalize_signals, weighted_sum
from .lexicon import Ambiguity
from .params import RetrievalParams
from .query import Query
from .retrieval import Retriever


@dataclass(frozen=True)
class Prepared:
    """A question read and scored: what every decision about it starts from."""

    query: Query
    scope: Query  # what answerability reads: the question, with the earlier turns in its language it leans on
    context: tuple[Query, ...]  # earlier turns it leans on, most recent first
    positions: np.ndarray  # candidate clause positions
    signals: dict[str, np.ndarray]  # over `positions`
    earlier: tuple[dict[str, np.ndarray], ...]  # each earlier turn's signals, over `positions`
    # normalized signals per (turn, method), filled on first use: a fit fuses the same question many times
    normalized: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Decision:
    """The ranking of the candidates, best first, and the verdict on the question."""

    ids: tuple[str, ...]
    scores: np.ndarray
    positions: np.ndarray  # clause positions, parallel to ids
    features: dict[str, float]
    probability: float  # P(the act answers the question)
    verdict: Verdict
    ambiguity: Ambiguity | None = None  # a word of the question that names two of the act's notions


class Pipeline:
    """The retriever and the fitted parameters, and the steps between a question and its verdict."""

    def __init__(self, retriever: Retriever, params: RetrievalParams):
        self.retriever, self.params = retriever, params

    def prepare(self, text: str, lang: str, context: Sequence[tuple[str, str]] = ()) -> Prepared:
        """Read and score a question; `context` holds the earlier turns (text, lang) it leans on, most recent first."""
        retriever = self.retriever
        query = retriever.read(text, lang)
        earlier_queries = tuple(retriever.read(t, l) for t, l in context)
        # Answerability reads the earlier turns asked in the same language: another language's words, read by
        # this language's analyzer, would look like words the act never uses. (Their evidence still counts.)
        same = [t for t, l in context if l == lang]
        scope = retriever.read(" ".join([text, *same]), lang) if same else query
        evidence = [retriever.evidence(q) for q in (query, *earlier_queries)]
        positions = retriever.candidates_of(evidence)
        signals = [retriever.signals(item, positions) for item in evidence]
        return Prepared(query, scope, earlier_queries, positions, signals[0], tuple(signals[1:]))

    def fuse(self, prepared: Prepared, params: RetrievalParams) -> np.ndarray:
        """Fused scores of the candidates, plus the earlier turns' fused scores, decaying with distance."""
        prior = self.retriever.level_prior(prepared.positions, params)
        fused = self._fuse_one(prepared, 0, params) + prior
        weight = params.followup_weight
        for turn in range(1, len(prepared.earlier) + 1):
            fused = fused + weight * (self._fuse_one(prepared, turn, params) + prior)
            weight *= params.followup_decay
        return fused

    def _fuse_one(self, prepared: Prepared, turn: int, params: RetrievalParams) -> np.ndarray:
        """One turn's weighted sum of normalized signals (0: the question, 1...: the earlier turns)."""
        key = (turn, params.normalization)
        normalized = prepared.normalized.get(key)
        if normalized is None:
            signals = prepared.signals if turn == 0 else prepared.earlier[turn - 1]
            normalized = prepared.normalized[key] = normalize_signals(signals, params.normalization)
        return weighted_sum(normalized, params.weights, len(prepared.positions))

    def rank(self, prepared: Prepared, params: RetrievalParams | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(fused scores, order of the candidates best first) under `params` (default: the fitted ones)."""
        params = params or self.params
        retriever = self.retriever
        fused = self.fuse(prepared, params)
        # A question that cites a point by number ("пункт 1 приказа", "8-тармағының 3) тармақшасы") is looked up:
        # the cited clauses come first, in the fused order, as a lawyer's citation is an address, not a hint.
        cited = retriever.cited(prepared.query, prepared.positions) if params.look_up_citations else None
        looked_up = cited is not None and bool(cited.any())
        order = np.lexsort((-fused, -cited)) if looked_up else np.argsort(-fused, kind="stable")
        subpoint_found = looked_up and any(level == "subpoint" for level, _ in prepared.query.cited)
        if params.settle_granularity and not subpoint_found:
            order = retriever.settle_granularity(order, fused, prepared.positions, prepared.query)
        if prepared.query.ambiguity is not None:
            order = self._show_each_sense(order, prepared.positions, prepared.query)
        return fused, order

    def decide(self, prepared: Prepared, params: RetrievalParams | None = None) -> Decision:
        """Rank the candidates and judge the question, under `params` (default: the fitted ones)."""
        params = params or self.params
        retriever = self.retriever
        fused, order = self.rank(prepared, params)
        row = abstention.features(prepared.scope, prepared.signals, fused, order, prepared.positions, retriever)
        p = abstention.probability(row, params.abstain_coef, params.abstain_bias)
        positions = prepared.positions[order]
        return Decision(
            ids=tuple(retriever.ids[i] for i in positions),
            scores=fused[order],
            positions=positions,
            features=row,
            probability=p,
            verdict=abstention.verdict(p, params, prepared.query.lang),
            ambiguity=prepared.query.ambiguity,
        )

    def run(self, text: str, lang: str, context: Sequence[tuple[str, str]] = ()) -> Decision:
        return self.decide(self.prepare(text, lang, context))

    def _show_each_sense(self, order: np.ndarray, positions: np.ndarray, query: Query) -> np.ndarray:
        """Bring forward the best clause of each notion an ambiguous word names, the best ranked first.

        A clause is about a notion when its heading (citation, lead-in, list name) in some language holds
        a term of that notion the others do not have: Kazakh "міндеттері" is one word for all of them, the
        Russian headings say "задачи" and "обязанности" ("основные" heads both tasks and functions).
        """
        retriever, lexicon, ambiguity = self.retriever, self.retriever.reader.lexicon, query.ambiguity
        own = {
            (concept, lang): lexicon.terms([concept], lang) - lexicon.terms([c for c in ambiguity.concepts if c != concept], lang)
            for concept in ambiguity.concepts for lang in retriever.langs
        }

        def about(position: int, concept: str) -> bool:  # a subpoint is about what its list or point is about
            within = [position] if retriever.levels[position] != "subpoint" else [position, retriever.scope_of(position)]
            return any(own[(concept, lang)] & retriever.heading_terms(p, lang) for p in within for lang in retriever.langs)

        index_of = {int(p): i for i, p in enumerate(positions)}
        firsts: list[int] = []
        for concept in ambiguity.concepts:
            for i in order:
                position = int(positions[i])
                if about(position, concept):
                    # a subpoint stands for its list when the question names only the list's notion
                    if retriever.levels[position] == "subpoint" and not retriever.asks_for(position, query):
                        i = index_of.get(retriever.scope_of(position), i)
                    if i not in firsts:
                        firsts.append(int(i))
                    break
        if len(firsts) < 2:
            return order
        rank = {int(i): r for r, i in enumerate(order)}
        firsts.sort(key=rank.__getitem__)
        # The clause that won stays first when it, or its point, is about one of the notions, or when the question
        # asks about more than the notion; a question that names nothing but the notion ("аудан прокуратурасының
        # міндеттері") gets the notions' clauses first.
        winner = int(positions[order[0]])
        point = next((p for p in retriever.family(winner) if retriever.levels[p] == "point"), winner)
        if int(order[0]) not in firsts and (
            set(query.focus) - {ambiguity.stem} or any(about(p, c) for p in (winner, point) for c in ambiguity.concepts)
        ):
            firsts.insert(0, int(order[0]))
        return np.concatenate((np.array(firsts, dtype=order.dtype), order[~np.isin(order, firsts)]))
