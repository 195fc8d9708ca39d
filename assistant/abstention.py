"""Answerability: does the act answer the question, directly, or not at all?

Ranking evidence alone (scores, margins, how much of the question the act's vocabulary covers)
cannot tell "asked in other words" from "asked about something else": both use words the act
does not. So the model also reads the question's *focus* (its specific words, minus the words
that name the act or occur all over it) and asks whether the top clause covers each of them:
by the same stem, through a concept of the lexicon ("зам" -> "заместитель"), or by spelling
(a typo shares most character 4-grams), and in particular the word a question word determines
("на какой *срок*": what is asked for). A word the clause does not say may still be filler ("в двух
словах") or the very thing asked about ("зарплата"): the encoder tells which, as the question
without those words comes much nearer the clause only when they carried a subject of their own.
A logistic model over these features, fitted on the development set (`zanger eval --fit`), gives
P(answerable); two thresholds turn it into one of three verdicts. The features, their names,
the model and the verdict live here only.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from .normalization import tokenize
from .query import Query

if TYPE_CHECKING:
    from .params import RetrievalParams
    from .retrieval import Retriever

Verdict = Literal["answered", "partial", "not_in_act"]
VERDICTS: tuple[Verdict, ...] = ("answered", "partial", "not_in_act")

# "How much / how many / how long": the act is an organizational regulation with no amounts,
# terms or fees, so such a question is evidence (weighed by the fitted model) that it is out of scope.
AMOUNT_WORDS = frozenset("сколько скольких размер сумма ставка қанша неше мөлшері мөлшерлемесі".split())
FUZZY_SHARE = 0.6  # a word shares this much of its character 4-grams with a clause word: a spelling of it
NEAR_CLAUSES = 5  # the best-ranked clauses whose words a misspelled focus word is checked against

FEATURES = (
    "fused_top", "fused_margin", "dense_max", "dense_gap", "dense_twin_max", "lexical_per_term",
    "coverage", "unknown", "char_coverage", "overlap_top", "asks_amount",
    "focus_size", "focus_missing_top", "focus_missing_act", "asked_missing_top", "unsaid_pull", "kazakh",
)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def features(
    query: Query, signals: Mapping[str, np.ndarray], fused: np.ndarray, order: np.ndarray, positions: np.ndarray,
    retriever: "Retriever",
) -> dict[str, float]:
    """Evidence that the act answers `query` (a follow-up's query reads its earlier turns too)."""
    lang = query.lang
    top = int(positions[order[0]])
    second = float(fused[order[1]]) if len(order) > 1 else 0.0
    terms = set(query.all_terms)
    vocabulary = retriever.lexical[lang].vocabulary
    known = {t for t in terms if t in vocabulary}
    grams = set(query.grams)
    known_grams = {g for g in grams if any(g in index.vocabulary for index in retriever.chars.values())}
    top_terms = retriever.clause_terms(top, lang) | retriever.heading_terms(top, lang)
    dense = signals["dense"]
    focus = query.focus
    missing_top = [t for t in focus if not _covered(t, query, top_terms, retriever, lang)]
    near = frozenset().union(*(retriever.clause_terms(int(positions[i]), lang) for i in order[:NEAR_CLAUSES]))
    missing_act = [t for t in focus if not _known(t, query, vocabulary, near)]
    return {
        "fused_top": float(fused[order[0]]),
        "fused_margin": float(fused[order[0]]) - second,
        "dense_max": float(dense.max()),
        "dense_gap": float(dense.max() - dense.mean()),
        "dense_twin_max": float(signals["dense_twin"].max()),
        # BM25 sums over the question's words: per word, a question asked twice over is the same evidence
        "lexical_per_term": float(signals["lexical"].max()) / max(1, len(query.terms[lang])),
        "coverage": len(known) / len(terms) if terms else 0.0,
        "unknown": float(len(terms - known)),
        "char_coverage": len(known_grams) / len(grams) if grams else 0.0,
        "overlap_top": len(terms & top_terms) / len(terms) if terms else 0.0,
        "asks_amount": float(bool(query.words & AMOUNT_WORDS)),
        "focus_size": float(len(focus)),
        "focus_missing_top": len(missing_top) / len(focus) if focus else 0.0,
        "focus_missing_act": len(missing_act) / len(focus) if focus else 0.0,
        # what a question word asks for ("какой срок", "қанша жыл"): a clause that does not say it does not answer
        "asked_missing_top": float(query.asked is not None and query.asked in missing_top),
        "unsaid_pull": _unsaid_pull(query, missing_top, top, retriever),
        # The encoder and the stemmer read the two languages unequally (dense similarities run lower for
        # Kazakh): the model learns a shift, so a question and its translation get the same verdict.
        "kazakh": float(lang == "kk"),
    }


def _covered(stem: str, query: Query, clause_terms: frozenset[str], retriever: "Retriever", lang: str) -> bool:
    """Does a clause say what this focus word asks about: the same stem, a concept it names (in one of the act's
    wordings, whole), or a spelling of it?"""
    named = [cid for cid, stems in query.concepts.items() if stem in stems]
    if stem in clause_terms or retriever.reader.lexicon.worded_in(named, lang, clause_terms):
        return True
    return any(_spelling_of(stem, term) for term in clause_terms)


def _unsaid_pull(query: Query, unsaid: Sequence[str], top: int, retriever: "Retriever") -> float:
    """How much nearer the top clause the question comes without the focus words that clause does not say (dense
    similarity, without minus with). Filler ("если в двух словах") moves it little; a subject the act does not
    have ("какая зарплата у прокурора") held it away. 0 when the clause says every focus word, or nothing else."""
    if not unsaid:
        return 0.0
    lang, dropped = query.lang, frozenset(unsaid)
    reader = retriever.reader
    kept = _WORD.sub(lambda m: "" if dropped & set(reader.terms(tokenize(m.group()), lang)) else m.group(), query.text)
    if not _WORD.search(kept):  # nothing the clause says is left to compare: focus_missing_top says it all
        return 0.0
    row = retriever.rows[lang][[top]]
    with_words, without = (float(retriever.dense.similarity(retriever.embed(t), row)[0]) for t in (query.text, kept))
    return without - with_words


def _known(stem: str, query: Query, vocabulary: Mapping[str, int], near: frozenset[str]) -> bool:
    """Is the focus word the act's at all: in its vocabulary, a lay word for one of its concepts, or a
    misspelling of a word of the clauses ranked nearest (`near`: the act's words a typo most likely meant)?"""
    if stem in vocabulary or any(stem in stems for stems in query.concepts.values()):
        return True
    return any(_spelling_of(stem, term) for term in near)


def _spelling_of(a: str, b: str) -> bool:
    """Do two stems share most of their character 4-grams (a typo, a dropped letter), read with и for й (typed
    alike)? Example: "функцы" ~ "функц", "раион" ~ "район"."""
    a, b = a.replace("й", "и"), b.replace("й", "и")
    if abs(len(a) - len(b)) > 2 or min(len(a), len(b)) < 4:
        return False
    grams_a = {f"#{a}#"[i : i + 4] for i in range(len(a) - 1)}
    grams_b = {f"#{b}#"[i : i + 4] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) >= FUZZY_SHARE * min(len(grams_a), len(grams_b))


def probability(row: Mapping[str, float], coef: Mapping[str, float], bias: float) -> float:
    """P(the act answers the question) under the fitted logistic model; 1.0 when none is fitted."""
    if not coef:
        return 1.0
    z = bias + sum(weight * row.get(name, 0.0) for name, weight in coef.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def verdict(p: float, params: "RetrievalParams", lang: str) -> Verdict:
    """answered (P >= the language's abstain_threshold), partial (the act does not answer directly), or not_in_act.
    A language without fitted thresholds gets the strictest of the others'."""
    answer = params.abstain_threshold.get(lang, max(params.abstain_threshold.values(), default=0.0))
    refuse = params.refuse_threshold.get(lang, max(params.refuse_threshold.values(), default=0.0))
    if p >= answer:
        return "answered"
    return "not_in_act" if p < refuse else "partial"


def fit(
    rows: Sequence[Mapping[str, float]], labels: Sequence[int], names: Sequence[str] = FEATURES, l2: float = 1.0
) -> tuple[dict[str, float], float]:
    """Fit P(label=1 | the features `names`) by L2-regularized, class-balanced logistic regression (scikit-learn)
    on standardized features; returns (coefficients on the raw feature scale, bias)."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[row.get(n, 0.0) for n in names] for row in rows], dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if len(set(y.tolist())) < 2:  # one class only (a tiny fold): the evidence says nothing, keep the prior
        return {n: 0.0 for n in names}, 10.0 if y.size and y[0] == 1 else -10.0
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=1.0 / l2, class_weight="balanced", max_iter=5000)
    model.fit((x - mean) / std, y)
    w, b = model.coef_[0], float(model.intercept_[0])
    coef = {n: float(w[i] / std[i]) for i, n in enumerate(names)}
    return coef, float(b - np.sum(w * mean / std))


def thresholds(
    probabilities: Sequence[float], labels: Sequence[int], max_false_refusals: float, max_false_rejections: float,
    confidence: float = 0.0,
) -> tuple[float, float]:
    """(answer, refuse) thresholds: the highest that keep the answerable questions not answered directly within
    `max_false_refusals`, and those called not-in-the-act within `max_false_rejections`. With `confidence`, the
    refusal budget (a target for new questions) is kept at that one-sided confidence, the Clopper-Pearson upper
    bound of the share: a threshold that spends the whole budget on the questions it was set on overshoots it on
    about half of new sets. The not-in-the-act share splits the refusals and is set on its point estimate (held
    at confidence, a 1% share of ~150 questions would allow none, and the lowest answerable one would set it)."""
    p = np.asarray(probabilities, dtype=np.float64)
    answerable = np.sort(p[np.asarray(labels) == 1])
    n = len(answerable)
    if not n:
        return 0.5, 0.25

    def cut(share: float, held_at: float) -> float:
        """Just above the answerable probabilities the share may leave out: the share itself (held_at 0), or as
        many as keep its upper bound at `held_at` confidence within it."""
        allowed = int(np.floor(share * n))
        if held_at:
            from scipy.stats import beta

            allowed = 0
            while allowed + 1 < n and beta.ppf(held_at, allowed + 2, n - allowed - 1) <= share:
                allowed += 1
        return float(answerable[min(allowed, n - 1)]) - 1e-9

    answer = cut(max_false_refusals, confidence)
    return answer, min(cut(max_false_rejections, 0.0), answer)
