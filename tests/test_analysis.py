"""The analysis kept beside an index version: read back it scores as computed, and whatever is wrong with it
(damaged, another key, an unwritable folder) it is computed again and the answers do not change."""
import logging

import numpy as np
import pytest

from assistant import assistant as assistant_module
from assistant import retrieval
from assistant.analysis import Analysis, analysis_key
from assistant.assistant import build, make_retriever
from assistant.corpus import load_act
from assistant.encoders import load_encoder
from assistant.lexical import LexicalIndex
from assistant.lexicon import Lexicon
from assistant.params import PARAMS_FILE, RetrievalParams
from assistant.pipeline import Pipeline
from assistant.settings import Settings
from assistant.stemming import Analyzer, analyze, stem_prefix
from assistant.store import VERSIONS, load_index, read_analysis, write_analysis

ACT = load_act()
ENCODER = load_encoder("hashing")
QUESTIONS = [
    ("Кто назначает прокурора района?", "ru"),
    ("Какие права имеет прокуратура района?", "ru"),
    ("Аудан прокурорын кім тағайындайды?", "kk"),
    ("кужаттарга ким кол кояды", "kk"),  # Kazakh typed on a Russian keyboard
]


@pytest.fixture()
def index(tmp_path):
    settings = Settings(index_dir=tmp_path / "index", encoder="hashing")
    build(ACT, ENCODER, settings, progress=False)
    return settings, load_index(settings.index_dir, ENCODER.name, assistant_module.index_fingerprint(ACT))


def kept_files(settings, loaded):
    return sorted(p.name for p in (settings.index_dir / VERSIONS / loaded.version).glob("*analysis-*"))


def decisions(retriever):
    pipeline = Pipeline(retriever, RetrievalParams.load(PARAMS_FILE))
    return [(d.positions.tolist(), d.scores.tolist(), d.verdict, d.probability) for d in (pipeline.run(q, lang, ()) for q, lang in QUESTIONS)]


def test_the_build_keeps_the_analysis_and_a_retriever_reads_it_and_answers_the_same(index, monkeypatch):
    settings, loaded = index
    assert len(kept_files(settings, loaded)) == 1  # written by the build
    computed = make_retriever(ACT, loaded, ENCODER, settings.but(index_dir=None))  # analyzes, keeps nothing
    # Reading it back must not analyze anything again.
    monkeypatch.setattr(retrieval, "lexical_fields", lambda *a: pytest.fail("the clauses were analyzed again"))
    monkeypatch.setattr(Lexicon, "from_dict", classmethod(lambda *a: pytest.fail("the lexicon was analyzed again")))
    read = make_retriever(ACT, loaded, ENCODER, settings)
    assert decisions(read) == decisions(computed)
    assert read.reader.lexicon.analyzed() == computed.reader.lexicon.analyzed()
    for field in retrieval.LEXICAL_FIELDS:
        for lang in ("ru", "kk"):
            a, b = computed.fields[field][lang], read.fields[field][lang]
            assert a.vocabulary == b.vocabulary
            for name, array in a.to_arrays().items():
                assert np.array_equal(array, b.to_arrays()[name]) and array.dtype == b.to_arrays()[name].dtype


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "not a zip", "a folder"])
def test_a_damaged_analysis_is_computed_again_and_replaced(index, damage, caplog):
    settings, loaded = index
    expected = decisions(make_retriever(ACT, loaded, ENCODER, settings))
    [name] = kept_files(settings, loaded)
    path = settings.index_dir / VERSIONS / loaded.version / name
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":  # inside an array's data: the zip's CRC must catch it
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "not a zip":
        path.write_bytes(b"\x00" * 100)
    else:
        path.unlink()
        path.mkdir()
    with caplog.at_level(logging.WARNING):
        again = make_retriever(ACT, loaded, ENCODER, settings)
    assert decisions(again) == expected
    if damage != "a folder":
        assert "computing it again" in caplog.text  # a folder in its place is left alone; the analysis is computed each time
        assert read_analysis(settings.index_dir, loaded.version, name[len("analysis-") : -len(".npz")]) is not None


def test_arrays_that_do_not_make_an_analysis_are_refused():
    arrays = Analysis(retrieval.lexical_fields({"ru": ACT.clauses("ru")}, ACT.citation_style, analyze),
                      Lexicon.from_dict(ACT.lexicon, analyze)).to_arrays()
    assert Analysis.from_arrays(arrays, ACT.lexicon).fields["lexical"]["ru"].size == len(ACT.clauses("ru"))
    for broken in (
        {k: v for k, v in arrays.items() if k != "lexicon.json"},
        {k: v for k, v in arrays.items() if not k.startswith("chars/")},
        {**arrays, "lexical/ru/docs": arrays["lexical/ru/docs"] + 10_000},  # documents past the end
        {**arrays, "lexical/ru/indptr": arrays["lexical/ru/indptr"][:-1]},
        {**arrays, "lexical/ru/weights": arrays["lexical/ru/weights"].astype(np.float64)},
        {**arrays, "lexicon.json": np.frombuffer(b"{not json", dtype=np.uint8)},
        {**arrays, "lexicon.json": np.frombuffer(b'{"concepts": 1}', dtype=np.uint8)},
        {**arrays, "extra/ru/docs": arrays["lexical/ru/docs"]},
    ):
        with pytest.raises(ValueError):
            Analysis.from_arrays(broken, ACT.lexicon)


def test_fields_for_other_clauses_are_refused_by_the_retriever():
    fields = retrieval.lexical_fields({"ru": ACT.clauses("ru")[:5], "kk": ACT.clauses("kk")[:5]}, ACT.citation_style, analyze)
    encoder = load_encoder("hashing")
    from assistant.dense import DenseIndex, build_faiss

    clauses = ACT.all_clauses()
    dense = DenseIndex(build_faiss(encoder.encode_passages([c.text for c in clauses]), 10**9), nprobe=8)
    with pytest.raises(ValueError, match="lexical fields"):
        retrieval.Retriever(
            clauses, dense, encoder, style=ACT.citation_style, analyzer=analyze, lexicon=Lexicon.from_dict(ACT.lexicon, analyze),
            naming=ACT.naming(), cache_size=4, candidates=50, fields=fields,
        )


def test_the_key_names_the_clauses_the_corpus_the_lexicon_and_the_analyzer():
    key = analysis_key("c" * 64, "corpus-p3", ACT.lexicon, analyze)
    assert key == analysis_key("c" * 64, "corpus-p3", ACT.lexicon, Analyzer())  # deterministic, no addresses
    assert len({
        key,
        analysis_key("d" * 64, "corpus-p3", ACT.lexicon, analyze),
        analysis_key("c" * 64, "corpus-p4", ACT.lexicon, analyze),
        analysis_key("c" * 64, "corpus-p3", {**ACT.lexicon, "concepts": ACT.lexicon["concepts"][1:]}, analyze),
        analysis_key("c" * 64, "corpus-p3", ACT.lexicon, Analyzer(kazakh_stem=stem_prefix)),
    }) == 5


def test_an_unwritable_version_folder_costs_only_the_time_to_analyze(index, tmp_path):
    settings, loaded = index
    assert write_analysis(tmp_path / "no-such-index", loaded.version, "k", {"a": np.zeros(1)}) is False
    elsewhere = settings.but(index_dir=tmp_path / "elsewhere")  # holds no such version: nothing can be kept
    assert decisions(make_retriever(ACT, loaded, ENCODER, elsewhere)) == decisions(make_retriever(ACT, loaded, ENCODER, settings))
    assert not (tmp_path / "elsewhere").exists()


def test_a_new_key_replaces_the_old_copy(index):
    settings, loaded = index
    make_retriever(ACT, loaded, ENCODER, settings)
    make_retriever(ACT, loaded, ENCODER, settings, analyzer=Analyzer(kazakh_stem=stem_prefix))
    assert len(kept_files(settings, loaded)) == 1


def test_a_lexical_index_round_trips_with_an_empty_vocabulary():
    empty = LexicalIndex.of([[], []])
    back = LexicalIndex.from_arrays(empty.to_arrays())
    assert back.size == 2 and back.vocabulary == {} and back.scores(["x"]).tolist() == [0.0, 0.0]
