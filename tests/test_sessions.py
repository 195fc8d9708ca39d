"""ConversationTokens: conversations carried by the client, signed, bounded in turns, text and age."""
import base64
import json
import zlib

import pytest

from assistant.conversation import Turn
from assistant.sessions import ConversationTokens

KEY = b"k" * 32


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def turn(n: int, lang: str = "ru") -> Turn:
    return Turn(f"вопрос {n}", lang)


def test_a_token_round_trips_its_turns_in_order():
    tokens = ConversationTokens(KEY)
    token = tokens.append(tokens.append(None, turn(1)), turn(2, "kk"))
    assert tokens.read(token) == [turn(1), turn(2, "kk")]
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@pytest.mark.parametrize("token", [None, "", "made-up-session", "z1.", "z1.abc.def", "z1..", "x" * 100_000, 7])
def test_anything_but_a_valid_token_is_no_conversation(token):
    assert ConversationTokens(KEY).read(token) == []


def test_a_changed_payload_or_signature_is_refused():
    tokens = ConversationTokens(KEY)
    token = tokens.issue([turn(1)])
    prefix, payload, signature = token.split(".")
    record = json.loads(zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    record["turns"][0][0] = "подменённый вопрос"
    forged = base64.urlsafe_b64encode(zlib.compress(json.dumps(record).encode())).rstrip(b"=").decode()
    assert tokens.read(f"{prefix}.{forged}.{signature}") == []
    assert tokens.read(f"{prefix}.{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}") == []


def test_another_key_cannot_read_it_and_the_same_key_can():
    token = ConversationTokens(KEY).issue([turn(1)])
    assert ConversationTokens(b"o" * 32).read(token) == []
    assert ConversationTokens(KEY).read(token) == [turn(1)]  # a second replica with the same key
    assert ConversationTokens().read(ConversationTokens().issue([turn(1)])) == []  # random keys: per process


def test_turns_are_bounded_keeping_the_latest():
    tokens = ConversationTokens(KEY, max_turns=3)
    token = None
    for n in range(1, 8):
        token = tokens.append(token, turn(n))
    assert tokens.read(token) == [turn(5), turn(6), turn(7)]


def test_question_text_is_bounded_and_made_safe():
    tokens = ConversationTokens(KEY, max_bytes=11)
    [kept] = tokens.read(tokens.issue([Turn("щ" * 500, "ru", tuple(f"regulation.p{n}" for n in range(20)))]))
    assert kept == Turn("щ" * 5, "ru")  # 10 bytes: a letter is never cut in half; hit ids are not carried
    [kept] = ConversationTokens(KEY).read(ConversationTokens(KEY).issue([Turn("а\x00б\ud800в", "ru")]))
    assert kept.question == "а б\ufffdв"


def test_a_token_expires_after_the_ttl_and_each_turn_renews_it():
    clock = Clock()
    tokens = ConversationTokens(KEY, ttl_seconds=60, clock=clock)
    token = tokens.issue([turn(1)])
    clock.now += 59
    token = tokens.append(token, turn(2))
    clock.now += 59
    assert tokens.read(token) == [turn(1), turn(2)]
    clock.now += 2
    assert tokens.read(token) == []
    fresh = tokens.issue([turn(1)])
    clock.now -= 30  # a replica whose clock is a little behind still reads it
    assert tokens.read(fresh) == [turn(1)]
    clock.now -= 3600  # a token from far in the future is not trusted
    assert tokens.read(fresh) == []


def test_the_longest_possible_token_is_within_the_stated_ceiling():
    tokens = ConversationTokens(KEY)
    worst = [Turn("".join(chr(0x10000 + (n * 7919 + i * 104729) % 0xFFFF) for i in range(1000)), "kk") for n in range(3)]
    token = tokens.issue(worst)
    assert len(token) <= tokens.max_token_chars == 4334
    assert len(tokens.read(token)) == 3


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        ConversationTokens(b"short")
    with pytest.raises(ValueError):
        ConversationTokens(KEY, max_turns=0)


# --- through the API: nobody can erase a conversation, any replica can continue it -------------------

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from assistant.settings import Settings  # noqa: E402


class EchoAssistant:
    """Answers at once, and says whether it was handed earlier turns (what a follow-up depends on)."""

    def ask(self, question, *, lang=None, k=None, history=()):
        class Answer:
            hits = []

            def to_dict(self):
                return {"question": question, "lang": "ru", "verdict": "not_in_act", "abstained": True, "answer": "",
                        "confidence": 0.0, "note": None,
                        "followup": bool(history), "hits": []}

        self.last_history = list(history)
        answer = Answer()
        answer.lang = "ru"
        return answer


def test_a_follow_up_survives_10000_requests_from_another_client():
    app = create_app(Settings(), assistant=EchoAssistant())
    with TestClient(app) as client:
        mine = client.post("/ask", json={"question": "Кто возглавляет прокуратуру района?"}).json()["session_id"]
        for n in range(10_000):  # the flood that evicted a conversation from the old 10,000-slot store
            assert client.post("/ask", json={"question": f"Вопрос номер {n}"}).status_code == 200
        follow = client.post("/ask", json={"question": "А кто его назначает?", "session_id": mine}).json()
    assert follow["followup"] is True
    assert app.state.assistant.last_history == [Turn("Кто возглавляет прокуратуру района?", "ru")]


def test_a_second_replica_with_the_same_key_continues_the_conversation():
    shared = Settings(session_key=b"replica-key-" * 3)
    first, second, stranger = (create_app(s, assistant=EchoAssistant()) for s in (shared, shared, Settings()))
    with TestClient(first) as a, TestClient(second) as b, TestClient(stranger) as c:
        token = a.post("/ask", json={"question": "Кто возглавляет прокуратуру района?"}).json()["session_id"]
        assert b.post("/ask", json={"question": "А кто его назначает?", "session_id": token}).json()["followup"] is True
        assert c.post("/ask", json={"question": "А кто его назначает?", "session_id": token}).json()["followup"] is False
