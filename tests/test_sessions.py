"""SessionStore: conversations bounded in count (LRU), length and age (TTL), safe across threads."""
import threading

import pytest

from assistant.conversation import Turn
from assistant.sessions import SessionStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def turn(n: int, lang: str = "ru") -> Turn:
    return Turn(f"вопрос {n}", lang, (f"regulation.p{n}",))


def test_unknown_or_missing_id_gets_a_fresh_one():
    store = SessionStore()
    new_id, turns = store.get(None)
    assert turns == [] and len(new_id) >= 20
    other_id, turns = store.get("no-such-session")
    assert turns == [] and other_id not in (new_id, "no-such-session")


def test_ids_are_unique_and_url_safe():
    ids = {SessionStore.new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for i in ids)


def test_a_session_keeps_its_turns_in_order():
    store = SessionStore()
    sid, _ = store.get(None)
    assert sid not in store  # issuing an id stores nothing until a turn is recorded
    store.append(sid, turn(1))
    store.append(sid, turn(2, "kk"))
    same, turns = store.get(sid)
    assert same == sid
    assert turns == [turn(1), turn(2, "kk")]


def test_get_returns_a_copy():
    store = SessionStore()
    store.append("s", turn(1))
    _, turns = store.get("s")
    turns.append(turn(2))
    assert store.get("s")[1] == [turn(1)]


def test_turns_are_bounded_keeping_the_latest():
    store = SessionStore(max_turns=3)
    for n in range(1, 6):
        store.append("s", turn(n))
    assert store.get("s")[1] == [turn(3), turn(4), turn(5)]


def test_least_recently_used_session_is_evicted_first():
    store = SessionStore(max_sessions=2)
    store.append("a", turn(1))
    store.append("b", turn(2))
    store.get("a")  # a is now more recent than b
    store.append("c", turn(3))
    assert len(store) == 2
    assert "a" in store and "c" in store and "b" not in store
    replaced, turns = store.get("b")
    assert replaced != "b" and turns == []


def test_sessions_expire_after_being_idle_for_the_ttl():
    clock = Clock()
    store = SessionStore(ttl_seconds=10, clock=clock)
    store.append("a", turn(1))
    store.append("b", turn(2))
    clock.now = 6
    assert store.get("a") == ("a", [turn(1)])  # use refreshes a, not b
    clock.now = 12
    assert "a" in store and "b" not in store
    clock.now = 16
    assert store.get("a")[0] == "a"
    clock.now = 26.5
    new_id, turns = store.get("a")
    assert new_id != "a" and turns == []
    assert len(store) == 0


def test_append_to_an_expired_session_starts_it_afresh():
    clock = Clock()
    store = SessionStore(ttl_seconds=5, clock=clock)
    store.append("a", turn(1))
    clock.now = 100
    store.append("a", turn(2))
    assert store.get("a")[1] == [turn(2)]


def test_concurrent_appends_lose_nothing_and_respect_the_bounds():
    store = SessionStore(max_sessions=50, max_turns=1000)
    threads, per_thread, shared = 8, 300, ["s0", "s1", "s2", "s3"]
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(worker: int):
        try:
            start.wait()
            for n in range(per_thread):
                store.append(shared[n % len(shared)], turn(n))
                store.append(f"w{worker}-{n}", turn(n))  # churn: forces evictions while others append
                store.get(shared[(n + worker) % len(shared)])
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    assert len(store) <= 50
    # The four shared sessions are used constantly, so LRU keeps them; none lost a turn.
    total = sum(len(store.get(sid)[1]) for sid in shared)
    assert total == threads * per_thread


@pytest.mark.parametrize("kwargs", [{"max_sessions": 0}, {"max_turns": 0}, {"ttl_seconds": 0}])
def test_bounds_must_be_positive(kwargs):
    with pytest.raises(ValueError):
        SessionStore(**kwargs)
