"""The assistant: a question in Russian or Kazakh -> the act's most relevant clauses, cited."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from .analysis import Analysis, analysis_key
from .answer import Answer, Hit, compose, select_hits
from .clause import LANGS, Clause
from .conversation import Turn, followup_context
from .corpus import Act, load_act
from .dense import DenseIndex
from .encoders import load_encoder
from .errors import IndexMissing, QuestionError, UnknownClause
from .highlight import question_stems
from .language import detect_language
from .language import preload as preload_language_models
from .lexicon import Lexicon
from .params import PARAMS_FILE, RetrievalParams
from .pipeline import Pipeline
from .question import check_k, clean_question
from .retrieval import PASSAGE_VERSION, Retriever, passage_text
from .settings import Settings
from .stemming import Analyzer, analyze
from .store import LoadedIndex, build_index, load_index, read_analysis, write_analysis

log = logging.getLogger("zanger.assistant")


def index_fingerprint(act: Act) -> str:
    """What an index must have been built from: the act's texts, the parser and the passage format."""
    return f"{act.hash}-p{PASSAGE_VERSION}"


def make_retriever(act: Act, loaded: LoadedIndex, encoder, settings: Settings, analyzer: Analyzer = analyze) -> Retriever:
    """The retriever over a loaded index, with the act's citation style, lexicon and names. The analysis of the
    clauses and the lexicon is read from the index version when it was kept there, else computed and kept."""
    where = (settings.index_dir, loaded.version) if settings.index_dir is not None and loaded.version is not None else None
    key = analysis_key(loaded.manifest["clauses_sha256"], loaded.manifest["corpus_hash"], act.lexicon, analyzer) if where else ""
    analysis = _kept_analysis(act, where, key)
    retriever = Retriever(
        loaded.clauses,
        DenseIndex(loaded.index, settings.ivf_nprobe),
        encoder,
        style=act.citation_style,
        analyzer=analyzer,
        lexicon=analysis.lexicon if analysis else Lexicon.from_dict(act.lexicon, analyzer),
        naming=act.naming(),
        cache_size=settings.embedding_cache_size,
        candidates=settings.search_candidates,
        fields=analysis.fields if analysis else None,
    )
    if where is not None and analysis is None:
        write_analysis(*where, key, Analysis(retriever.fields, retriever.reader.lexicon).to_arrays())
    return retriever


def _kept_analysis(act: Act, where: tuple | None, key: str) -> Analysis | None:
    """The analysis kept under `key` in (index_dir, version), or None (none kept, or not a readable one)."""
    arrays = read_analysis(*where, key) if where is not None else None
    if arrays is None:
        return None
    try:
        return Analysis.from_arrays(arrays, act.lexicon)
    except ValueError as exc:
        log.warning("ignoring the analysis kept in %s (computing it again): %s", where, exc)
        return None


@dataclass(frozen=True)
class Assistant:
    act: Act
    pipeline: Pipeline
    settings: Settings
    manifest: dict

    @classmethod
    def load(cls, settings: Settings, *, encoder=None, progress: bool = False, preload_languages: bool = True) -> "Assistant":
        """Load the act, the encoder, the fitted parameters and the index (building it first when missing and allowed);
        with `preload_languages` also the language models, else each loads on the first question that needs it."""
        act = load_act(settings.act_dir)
        params = RetrievalParams.load(settings.params_file or PARAMS_FILE)
        encoder = encoder or load_encoder(settings.encoder, settings)
        fingerprint = index_fingerprint(act)
        try:
            loaded = load_index(settings.index_dir, encoder.name, fingerprint)
        except IndexMissing:
            if not settings.build_if_missing:
                raise
            build(act, encoder, settings, progress=progress)
            loaded = load_index(settings.index_dir, encoder.name, fingerprint)
        pipeline = Pipeline(make_retriever(act, loaded, encoder, settings), params)
        if preload_languages:
            preload_language_models()
        return cls(act=act, pipeline=pipeline, settings=settings, manifest=loaded.manifest)

    @property
    def retriever(self) -> Retriever:
        return self.pipeline.retriever

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
        decision = self.pipeline.run(text, lang, context)
        style = self.act.citation_style
        ranked = (
            Hit(clause, style.render(clause, lang), float(score))
            for clause, score in ((self.retriever.at(int(p), lang), s) for p, s in zip(decision.positions, decision.scores))
        )
        hits = select_hits(ranked, k)
        note = decision.ambiguity.note[lang] if decision.ambiguity is not None else None
        return Answer(
            question=question,
            lang=lang,
            verdict=decision.verdict,
            answer=compose(lang, hits, decision.verdict, note),
            hits=hits,
            confidence=decision.probability,
            followup=bool(context),
            note=note,
            matched=question_stems(text, lang, self.retriever.reader.conflate),
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
        if not self.retriever.has(clause_id):
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
    """Parse the act in every language, embed every clause and write the index atomically; then analyze the
    act for lexical search and keep that beside the new version, so that no question pays for it."""
    clauses = act.all_clauses()
    manifest = build_index(
        clauses,
        [passage_text(c, act.citation_style) for c in clauses],
        encoder,
        index_fingerprint(act),
        settings.index_dir,
        progress=progress,
        ivf_min_vectors=settings.ivf_min_vectors,
    )
    make_retriever(act, load_index(settings.index_dir, encoder.name, index_fingerprint(act)), encoder, settings)
    return manifest
