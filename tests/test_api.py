"""The HTTP API driven as a client would, over the real assistant: exact fields, exact error codes."""
import json
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app, get_assistant

pytestmark = pytest.mark.model

ANSWER_KEYS = {"question", "lang", "verdict", "abstained", "answer", "confidence", "followup", "note", "hits", "session_id"}
HIT_KEYS = {"id", "document", "point", "subpoint", "list", "chapter", "lang", "citation", "text", "score", "context", "highlights"}
CLAUSE_KEYS = HIT_KEYS - {"score", "highlights"}

RU_QUESTION = "Кто возглавляет прокуратуру района?"
KK_QUESTION = "Аудан прокуратурасын кім басқарады?"


@pytest.fixture
def client(settings, assistant):
    """A fresh app (so fresh sessions) over the shared real assistant."""
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def ask(client, question, **fields):
    response = client.post("/ask", json={"question": question, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape, with a Russian and a Kazakh message and no trace of Python internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message_ru", "message_kk", "message"}
    assert error["code"] == code
    assert re.search("[а-яё]", error["message_ru"], re.I)
    assert re.search("[әғқңөұүһі]", error["message_kk"], re.I) or re.search("[а-я]", error["message_kk"], re.I)
    assert error["message"] == f"{error['message_ru']}\n{error['message_kk']}"
    assert "Traceback" not in response.text and 'File "' not in response.text
    return error


# --- the answer contract -------------------------------------------------------------------------


def test_ask_returns_the_answer_contract(client, settings):
    body = ask(client, RU_QUESTION)
    assert set(body) == ANSWER_KEYS
    assert body["question"] == RU_QUESTION
    assert body["lang"] == "ru"
    assert body["abstained"] is False and body["verdict"] == "answered" and body["note"] is None
    assert body["followup"] is False
    assert 0.0 <= body["confidence"] <= 1.0
    assert isinstance(body["session_id"], str) and len(body["session_id"]) >= 20
    assert 1 <= len(body["hits"]) <= settings.default_k
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["lang"] == "ru"
        assert hit["document"] in ("order", "regulation")
        assert isinstance(hit["score"], float)
    top = body["hits"][0]
    assert top["id"] == "regulation.p10"
    assert (top["document"], top["point"], top["subpoint"], top["list"], top["context"]) == ("regulation", 10, None, None, None)
    assert top["chapter"] == 3
    assert top["citation"] == "пункт 10 Положения"
    assert "Пункт 10 Положения" in body["answer"]
    assert [h["score"] for h in body["hits"]] == sorted((h["score"] for h in body["hits"]), reverse=True)


def test_k_sets_the_number_of_hits(client, settings):
    assert len(ask(client, RU_QUESTION, k=1)["hits"]) == 1
    assert len(ask(client, RU_QUESTION, k=settings.max_k)["hits"]) > settings.default_k


def test_lang_overrides_detection(client):
    body = ask(client, RU_QUESTION, lang="kk")
    assert body["lang"] == "kk"
    assert {hit["lang"] for hit in body["hits"]} == {"kk"}
    assert all(hit["citation"].startswith(("Ереженің", "Бұйрықтың")) for hit in body["hits"])


def test_kazakh_question_is_answered_in_kazakh(client):
    body = ask(client, KK_QUESTION)
    assert body["lang"] == "kk"
    assert body["hits"][0]["id"] == "regulation.p10"
    assert body["hits"][0]["citation"] == "Ереженің 10-тармағы"


def test_question_of_exactly_the_limit_is_accepted(client, settings):
    question = (RU_QUESTION + " ") * (settings.max_question_chars // (len(RU_QUESTION) + 1) + 1)
    question = question[: settings.max_question_chars]
    assert len(question) == settings.max_question_chars
    assert ask(client, question)["lang"] == "ru"


def test_subpoint_hits_carry_their_list_context(client):
    body = ask(client, "Какие обязанности у прокуратуры района?", k=10)
    subpoints = [hit for hit in body["hits"] if hit["subpoint"] is not None]
    assert subpoints, body["hits"]
    assert all(hit["context"] for hit in subpoints)


# --- errors: each case gets its status and code, never a 500 --------------------------------------

LONG = "а" * 1001


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"question": ""}, 422, "invalid_question"),
        ({"question": "   \n\t  "}, 422, "invalid_question"),
        ({"question": "\u200b\u200b"}, 422, "invalid_question"),
        ({"question": LONG}, 422, "invalid_question"),
        ({"question": "12345 ?!"}, 422, "invalid_question"),
        ({}, 422, "invalid_question"),
        ({"question": None}, 422, "invalid_question"),
        ({"question": 42}, 422, "invalid_question"),
        ({"question": ["Кто?"]}, 422, "invalid_question"),
        ({"question": RU_QUESTION, "k": 0}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": 21}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": -3}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": "5"}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": 2.5}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": True}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "k": None}, 422, "invalid_k"),
        ({"question": RU_QUESTION, "lang": "en"}, 422, "invalid_lang"),
        ({"question": RU_QUESTION, "lang": "RU"}, 422, "invalid_lang"),
        ({"question": RU_QUESTION, "lang": ""}, 422, "invalid_lang"),
        ({"question": RU_QUESTION, "lang": 1}, 422, "invalid_lang"),
        ({"question": RU_QUESTION, "session_id": 7}, 422, "invalid_session_id"),
        ({"question": RU_QUESTION, "session_id": "s" * 5_000}, 422, "invalid_session_id"),
        ([RU_QUESTION], 422, "invalid_body"),
        ("Кто возглавляет?", 422, "invalid_body"),
        (5, 422, "invalid_body"),
    ],
)
def test_invalid_ask_requests(client, payload, status, code):
    assert_error(client.post("/ask", json=payload), status, code)


def test_too_long_question_names_the_limit(client, settings):
    error = assert_error(client.post("/ask", json={"question": LONG}), 422, "invalid_question")
    assert str(settings.max_question_chars) in error["message_ru"]
    assert str(settings.max_question_chars) in error["message_kk"]


def test_question_in_another_language_is_refused(client):
    error = assert_error(client.post("/ask", json={"question": "Who heads the district prosecutor's office?"}), 422, "invalid_question")
    assert "русском или казахском" in error["message_ru"]


@pytest.mark.parametrize(
    "content, content_type, status, code",
    [
        ('{"question": ', "application/json", 400, "malformed_json"),
        ("{'question': 'Кто?'}", "application/json", 400, "malformed_json"),
        ('{"question": "Кто возглавляет прокуратуру района?"}', "text/plain", 422, "invalid_body"),
        ("question=Кто", "application/x-www-form-urlencoded", 422, "invalid_body"),
        ("", "application/json", 422, "invalid_body"),
    ],
)
def test_malformed_bodies(client, content, content_type, status, code):
    response = client.post("/ask", content=content.encode(), headers={"Content-Type": content_type})
    assert_error(response, status, code)


def test_body_over_the_limit_is_refused_by_content_length(client, settings):
    body = json.dumps({"question": "а" * settings.max_body_bytes}).encode()
    assert_error(client.post("/ask", content=body, headers={"Content-Type": "application/json"}), 413, "body_too_large")


def test_streamed_body_over_the_limit_is_refused(client, settings):
    def chunks():  # no Content-Length: the limit must be enforced on the bytes as they arrive
        yield b'{"question": "'
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"a" * 1024
        yield b'"}'

    response = client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "body_too_large")


def test_bad_content_length_header(client):
    response = client.post("/ask", content=b'{"question": "x"}', headers={"Content-Type": "application/json", "Content-Length": "abc"})
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "url, status, code",
    [
        ("/clauses/regulation.p99", 404, "unknown_clause"),
        ("/clauses/order.p9", 404, "unknown_clause"),
        ("/clauses/regulation.p8.l3.s1", 404, "unknown_clause"),
        ("/clauses/REGULATION.P10", 422, "invalid_clause_id"),
        ("/clauses/regulation", 422, "invalid_clause_id"),
        ("/clauses/regulation.p10;ls", 422, "invalid_clause_id"),
        ("/clauses/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
        ("/clauses/regulation." + "p" * 60, 422, "invalid_clause_id"),
        ("/clauses/regulation.p10?lang=en", 422, "invalid_lang"),
        ("/clauses/regulation.p10?lang=", 422, "invalid_lang"),
        ("/clauses/regulation.p10?parallel=maybe", 422, "invalid_parallel"),
        ("/clauses/", 404, "not_found"),
        ("/no/such/page", 404, "not_found"),
        ("/static/missing.js", 404, "not_found"),
    ],
)
def test_invalid_get_requests(client, url, status, code):
    assert_error(client.get(url), status, code)


def test_wrong_method(client):
    error_response = client.get("/ask")
    assert_error(error_response, 405, "method_not_allowed")
    assert "POST" in error_response.headers["allow"]


class Exploding:
    """An assistant whose every call fails unexpectedly."""

    def ask(self, *args, **kwargs):
        raise RuntimeError("secret internal detail /srv/zanger/index")

    def health(self):
        raise RuntimeError("secret internal detail")


def test_unexpected_failure_is_a_bare_500(settings, assistant):
    app = create_app(settings, assistant=assistant)
    app.dependency_overrides[get_assistant] = Exploding
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/ask", json={"question": RU_QUESTION})
        assert_error(response, 500, "internal_error")
        assert "secret" not in response.text and "RuntimeError" not in response.text


def test_not_ready_until_the_assistant_is_loaded(settings):
    client = TestClient(create_app(settings))  # not entered: lifespan never loads the assistant
    assert_error(client.get("/health"), 503, "not_ready")
    assert_error(client.post("/ask", json={"question": RU_QUESTION}), 503, "not_ready")


def test_lifespan_loads_the_assistant(settings):
    with TestClient(create_app(settings)) as client:  # the index already exists: a quick load
        assert client.get("/health").json()["ready"] is True
        assert ask(client, RU_QUESTION)["hits"][0]["id"] == "regulation.p10"


# --- sessions and follow-ups -----------------------------------------------------------------------


def test_a_new_session_is_issued_and_continued(client):
    first = ask(client, RU_QUESTION)
    second = ask(client, "А кто его назначает?", session_id=first["session_id"])
    assert second["followup"] is True and second["session_id"] != first["session_id"]  # the token carries the turns
    third = ask(client, "А кто его назначает?", session_id=second["session_id"])
    assert third["followup"] is True


def test_an_unknown_session_is_replaced(client):
    body = ask(client, RU_QUESTION, session_id="made-up-session")
    assert body["session_id"] != "made-up-session"
    assert ask(client, "А кто его назначает?", session_id="made-up-session")["followup"] is False


def test_russian_follow_up(client):
    first = ask(client, RU_QUESTION)
    assert first["hits"][0]["id"] == "regulation.p10"
    second = ask(client, "А кто его назначает?", session_id=first["session_id"])
    assert second["followup"] is True
    assert second["lang"] == "ru"
    assert second["hits"][0]["id"] == "regulation.p10"
    assert second["hits"][0]["citation"] == "пункт 10 Положения"


def test_kazakh_follow_up(client):
    first = ask(client, KK_QUESTION)
    assert first["hits"][0]["id"] == "regulation.p10"
    second = ask(client, "Ал оны кім тағайындайды?", session_id=first["session_id"])
    assert second["followup"] is True
    assert second["lang"] == "kk"
    assert second["hits"][0]["id"] == "regulation.p10"
    assert second["hits"][0]["citation"] == "Ереженің 10-тармағы"


def test_language_switch_within_a_session(client):
    first = ask(client, RU_QUESTION)
    second = ask(client, "Ал оны кім тағайындайды?", session_id=first["session_id"])
    assert (second["lang"], second["hits"][0]["id"], second["followup"]) == ("kk", "regulation.p10", True)
    assert {hit["lang"] for hit in second["hits"]} == {"kk"}
    third = ask(client, "А кто его назначает?", session_id=second["session_id"])
    assert (third["lang"], third["hits"][0]["id"], third["followup"]) == ("ru", "regulation.p10", True)


def test_sessions_do_not_leak_into_each_other(client):
    ask(client, RU_QUESTION)
    lone = ask(client, "А кто его назначает?")
    assert lone["followup"] is False


def test_self_contained_question_is_not_a_follow_up(client):
    first = ask(client, RU_QUESTION)
    second = ask(client, "Какие обязанности у прокуратуры района?", session_id=first["session_id"])
    assert second["followup"] is False


# --- clauses ---------------------------------------------------------------------------------------


def test_clause_in_one_language(client):
    body = client.get("/clauses/regulation.p10", params={"lang": "ru"}).json()
    assert set(body) == CLAUSE_KEYS | {"parallel"}
    assert body["parallel"] is None
    assert (body["id"], body["lang"], body["citation"], body["point"], body["chapter"]) == (
        "regulation.p10", "ru", "пункт 10 Положения", 10, 3
    )
    assert body["text"]
    assert client.get("/clauses/regulation.p10").json() == body  # ru is the default


def test_clause_with_its_parallel_text(client):
    body = client.get("/clauses/regulation.p10", params={"lang": "kk", "parallel": "true"}).json()
    assert body["lang"] == "kk" and body["citation"] == "Ереженің 10-тармағы"
    twin = body["parallel"]
    assert set(twin) == CLAUSE_KEYS
    assert (twin["id"], twin["lang"], twin["citation"]) == ("regulation.p10", "ru", "пункт 10 Положения")
    assert twin["text"] != body["text"]


def test_subpoint_clause_has_its_context(client):
    body = client.get("/clauses/regulation.p8.l2.s3", params={"lang": "ru", "parallel": True}).json()
    assert (body["point"], body["list"], body["subpoint"]) == (8, 2, 3)
    assert body["context"] and body["parallel"]["context"]
    assert body["citation"].startswith("подпункт 3) пункта 8 Положения")


# --- highlights and the table of contents ---------------------------------------------------------


def test_hits_highlight_the_words_of_the_question(client):
    body = ask(client, "кужаттарга ким кол кояды", k=1)  # Kazakh typed without Kazakh letters
    hit = body["hits"][0]
    assert hit["id"] == "regulation.p15"
    assert [hit["text"][start:end] for start, end in hit["highlights"]] == ["құжаттарға", "қол", "қояды"]
    body = ask(client, "Кто возглавляет прокуратуру района?", k=1)
    hit = body["hits"][0]
    marked = [hit["text"][start:end] for start, end in hit["highlights"]]
    assert marked[:4] == ["Прокуратуру", "района", "прокуратуру", "возглавляет"]
    assert all(start < end for start, end in hit["highlights"])
    # the words the search matched through their word family are marked too ("размещен" read as "размещение")
    body = ask(client, "Где должен быть размещен приказ?", k=1)
    hit = body["hits"][0]
    assert hit["id"] == "order.p2" and "размещение" in [hit["text"][start:end] for start, end in hit["highlights"]]


def test_act_lists_the_whole_act_in_each_language(client, assistant):
    ru, kk = (client.get("/act", params={"lang": lang}).json() for lang in ("ru", "kk"))
    assert (ru["lang"], kk["lang"]) == ("ru", "kk")
    assert ru["title"].startswith("Приказ Генерального Прокурора") and "бұйрығы" in kk["title"]
    assert [d["document"] for d in ru["documents"]] == ["order", "regulation"]

    def flat(body):
        entries = []

        def walk(entry):
            entries.append(entry)
            for child in entry["children"]:
                walk(child)

        for document in body["documents"]:
            for chapter in document["chapters"]:
                for entry in chapter["clauses"]:
                    walk(entry)
        return entries

    ru_entries, kk_entries = flat(ru), flat(kk)
    assert [e["id"] for e in ru_entries] == [e["id"] for e in kk_entries]  # the same clauses in both languages
    assert {e["id"] for e in ru_entries} == set(assistant.retriever.ids)
    regulation = ru["documents"][1]
    assert [c["chapter"] for c in regulation["chapters"]] == [None, 1, 2, 3]
    assert regulation["chapters"][1]["title"] == "Общие положения"
    point8 = next(e for e in ru_entries if e["id"] == "regulation.p8")
    assert [e["id"] for e in point8["children"]] == ["regulation.p8.l1", "regulation.p8.l2"]
    rights = point8["children"][0]
    assert rights["citation"] == "пункт 8 Положения (права)" and len(rights["children"]) == 11
    assert rights["children"][2]["citation"] == "подпункт 3) пункта 8 Положения (права)"
    kk_rights = next(e for e in kk_entries if e["id"] == "regulation.p8.l1")
    assert kk_rights["citation"] == "Ереженің 8-тармағы (құқықтары)"
    assert_error(client.get("/act", params={"lang": "en"}), 422, "invalid_lang")


def test_docs_are_served_with_local_assets(client):
    for path, asset in [("/docs", "/docs-assets/swagger-ui-bundle.js"), ("/redoc", "/docs-redoc.standalone.js")]:
        page = client.get(path)
        assert page.status_code == 200 and asset in page.text
        assert "cdn.jsdelivr" not in page.text and "fonts.googleapis" not in page.text
        assert not re.search(r"""(src|href)=["']https?:""", page.text)
        script = client.get(asset)
        assert script.status_code == 200 and len(script.content) > 100_000
        assert b"cdn.redoc.ly" not in script.content
        assert "'self'" in page.headers["content-security-policy"] and "https:" not in page.headers["content-security-policy"]
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


# --- health, docs, headers, concurrency ------------------------------------------------------------


def test_health_reports_the_encoder_and_the_index(client, assistant):
    body = client.get("/health").json()
    assert set(body) == {"status", "ready", "encoder", "act", "index"}  # no session count: nothing is kept
    assert (body["status"], body["ready"], body["act"]) == ("ok", True, "prosecutor-order-127")
    assert body["encoder"] == assistant.encoder_name
    index = body["index"]
    assert set(index) == {"corpus_hash", "clause_count", "built_at", "encoder", "dim", "format_version"}
    assert index["corpus_hash"] == assistant.manifest["corpus_hash"]
    assert index["clause_count"] == assistant.manifest["clause_count"] > 100
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", index["built_at"])


def test_openapi_documents_the_limits_and_error_shape(client, settings):
    schema = client.get("/openapi.json").json()
    ask_body = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert ask_body["question"]["maxLength"] == settings.max_question_chars
    assert ask_body["question"]["minLength"] == 1
    assert (ask_body["k"]["minimum"], ask_body["k"]["maximum"], ask_body["k"]["default"]) == (1, settings.max_k, 5)
    responses = schema["paths"]["/ask"]["post"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskResponse")
    clause_id = next(p for p in schema["paths"]["/clauses/{clause_id}"]["get"]["parameters"] if p["name"] == "clause_id")
    assert clause_id["schema"]["pattern"] == r"^[a-z]+\.[a-z0-9.]+$"
    assert client.get("/docs").status_code == 200


def test_chat_page_and_static_files(client, settings):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<label for="question"' in page.text and 'aria-live="polite"' in page.text
    scripts = ["/static/chat.js", "/static/clause.js", "/static/act.js", "/static/i18n.js"]
    for path, kind in [*((script, "javascript") for script in scripts), ("/static/chat.css", "text/css")]:
        response = client.get(path)
        assert response.status_code == 200 and kind in response.headers["content-type"]
    for script in scripts:
        source = client.get(script).text
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "outerHTML" not in source
    # The chat counts characters against the server's limit.
    assert f"const MAX_CHARS = {settings.max_question_chars};" in client.get("/static/chat.js").text


def test_cors_is_off_by_default(client):
    response = client.options(
        "/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_can_be_enabled(settings, assistant):
    app = create_app(settings.but(cors_origins=("https://portal.example",)), assistant=assistant)
    with TestClient(app) as client:
        allowed = client.options("/ask", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"})
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
        other = client.options("/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in other.headers


class Slow:
    """An assistant whose answers wait for the test to release them."""

    def __init__(self, real):
        self.real, self.release, self.entered = real, threading.Event(), threading.Event()

    def ask(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(timeout=10)
        return self.real.ask(*args, **kwargs)

    def health(self):
        return self.real.health()


def test_a_slow_answer_does_not_block_other_requests(settings, assistant):
    slow = Slow(assistant)
    with TestClient(create_app(settings, assistant=slow)) as client:
        results = []
        worker = threading.Thread(target=lambda: results.append(client.post("/ask", json={"question": RU_QUESTION})))
        worker.start()
        assert slow.entered.wait(timeout=10)
        started = time.monotonic()
        assert client.get("/health").status_code == 200  # served while /ask is still running
        assert time.monotonic() - started < 2
        slow.release.set()
        worker.join(timeout=30)
        assert results[0].status_code == 200
