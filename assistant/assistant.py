"""The assistant: a question in Russian or Kazakh -> the act's most relevant clauses, cited."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .abstention import answerable_probability
from .answer import Answer, Hit, compose, select_hits
from .clause import LANGS, Clause
from .conversation import Turn, followup_context
from .corpus import Act, load_act
from .encoders import load_encoder
from .errors import IndexMissing, QuestionError, UnknownClause
from .language import detect_language
from .language import preload as preload_language_models
from .question import check_k, clean_question
from .retrieval import PASSAGE_VERSION, Retriever, RetrievalParams, passage_text
from .settings import Settings
from .store import build_index, load_index


def index_fingerprint(act: Act) -> str:
    """What an index must have been built from: the act's texts, the parser and the passage format."""
    return f"{act.hash}-p{PASSAGE_VERSION}"


@dataclass(frozen=True)
class Assistant:
    act: Act
    retriever: Retriever
    settings: Settings
    manifest: dict

    @classmethod
    def load(
        cls, settings: Settings | None = None, *, encoder=None, progress: bool = False, preload_languages: bool = True
    ) -> "Assistant":
        """Load the act, the encoder and the index (building it first when missing and allowed); with
        `preload_languages` also the language models, else each loads on the first question that needs it."""
        settings = settings or Settings()
        act = load_act(settings.act_dir)
        encoder = encoder or load_encoder(settings.encoder, settings)
        fingerprint = index_fingerprint(act)
        try:
            loaded = load_index(settings.index_dir, encoder.name, fingerprint)
        except IndexMissing:
            if not settings.build_if_missing:
                raise
            build(act, encoder, settings, progress=progress)
            loaded = load_index(settings.index_dir, encoder.name, fingerprint)
        retriever = Retriever(
            loaded.clauses,
            loaded.vectors,
            encoder,
            RetrievalParams.load(),
            cache_size=settings.embedding_cache_size,
            style=act.citation_style,
        )
        if preload_languages:
            preload_language_models()
        return cls(act=act, retriever=retriever, settings=settings, manifest=loaded.manifest)

    @property
    def encoder_name(self) -> str:
        return self.retriever.encoder.name

    def ask(self, question: str, *, lang: str | None = None, k: int | None = None, history: Sequence[Turn] = ()) -> Answer:
        """Answer one question; `history` holds the conversation's earlier turns, oldest first."""
        k = self.settings.default_k if k is None else k
        check_k(k, self.settings.max_k)
        text = clean_question(question, self.settings.max_question_chars)
        lang = self.language_of(text, lang)
        context = followup_context(text, lang, history)
        ranking = self.retriever.rank(text, lang, context)
        params = self.retriever.params
        confidence = answerable_probability(ranking.features, params.abstain_coef, params.abstain_bias)
        abstained = confidence < params.abstain_threshold
        style = self.act.citation_style
        ranked = (
            Hit(clause, style.render(clause, lang), float(score))
            for clause, score in ((self.retriever.clause(cid, lang), s) for cid, s in zip(ranking.ids, ranking.scores))
        )
        hits = select_hits(ranked, k)
        return Answer(
            question=question,
            lang=lang,
            abstained=abstained,
            answer=compose(lang, hits, abstained),
            hits=hits,
            confidence=confidence,
            followup=bool(context),
        )

    def language_of(self, text: str, lang: str | None = None) -> str:
        """The language to answer in: `lang` when given, else the detected one; refuses others."""
        if lang is not None:
            if lang not in LANGS:
                raise QuestionError("invalid_lang", lang=lang)
            return lang
        detection = detect_language(text)
        if detection.lang is None:
            raise QuestionError("question_language")
        return detection.lang

    def clause(self, clause_id: str, lang: str) -> Clause:
        """One clause by id in `lang`."""
        if lang not in LANGS:
            raise QuestionError("invalid_lang", lang=lang)
        if clause_id not in self.retriever.ids:
            raise UnknownClause("unknown_clause", clause_id=clause_id)
        return self.retriever.clause(clause_id, lang)

    def cite(self, clause: Clause, lang: str | None = None) -> str:
        return self.act.citation_style.render(clause, lang)

    def health(self) -> dict:
        return {
            "encoder": self.encoder_name,
            "act": self.act.meta.get("id"),
            "manifest": self.manifest,
        }


def build(act: Act, encoder, settings: Settings, progress: bool = True) -> dict:
    """Parse the act in every language, embed every clause and write the index atomically."""
    clauses = act.all_clauses()
    return build_index(
        clauses,
        [passage_text(c, act.citation_style) for c in clauses],
        encoder,
        index_fingerprint(act),
        settings.index_dir,
        progress=progress,
    )

