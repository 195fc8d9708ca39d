"""Security basics beyond test_api.py: loopback by default, the body limit and CORS follow the settings,
nothing internal reaches a client, and clause ids and static paths never reach the file system."""
import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app, get_assistant
from assistant.cli import build_parser
from assistant.errors import EncoderUnavailable, IndexCorrupt
from assistant.messages import Message
from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Кто возглавляет прокуратуру района?"
SECRET_PATH = "/srv/zanger-secret/index"


def no_internals(text: str) -> None:
    """Nothing of the server's insides: no traceback, source lines, exception names or server paths."""
    for leak in ("Traceback", 'File "', "Error:", SECRET_PATH, "zanger index", ".py", "/work/", "site-packages"):
        assert leak not in text, f"{leak!r} leaked: {text[:300]}"


# --- loopback by default ---------------------------------------------------------------------------


def test_serve_defaults_to_loopback():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* shows them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`zanger serve` started with no --host, as a person would (hashing encoder, index built at start-up)."""
    tmp = tmp_path_factory.mktemp("served")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "ZANGER_ENCODER": "hashing", "ZANGER_INDEX_DIR": str(tmp / "index"), "PYTHONPATH": str(REPO)}
    log = open(tmp / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp / "server.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "zanger serve did not start"
            time.sleep(0.05)
        yield port, url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_server_listens_on_loopback_only(served):
    port, _ = served
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no 0.0.0.0 or IPv6 socket


def raw_get(port: int, target: str) -> tuple[int, str]:
    """GET `target` byte for byte (no client-side normalization of "..") -> (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "target",
    [
        "/static/../app.py",
        "/static/../../pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e/%2e%2e/assistant/settings.py",
        "/static//etc/passwd",
        "/clauses/../../etc/passwd",
        "/clauses/..%2f..%2fetc%2fpasswd",
        "/clauses/%2e%2e",
    ],
)
def test_no_path_outside_the_static_folder_is_served(served, target):
    port, _ = served
    status, body = raw_get(port, target)
    assert status in (404, 422), body
    assert "root:" not in body and "[project]" not in body and "import" not in body
    no_internals(body)


def test_api_reads_files_only_from_its_static_folder():
    """No open()/Path()/FileResponse()/StaticFiles() in api/ takes anything but constants, STATIC_DIR and the
    folder of the docs' assets inside the installed fastapi_offline package (DOCS_ASSETS_DIR)."""
    allowed = {"STATIC_DIR", "DOCS_ASSETS_DIR", "fastapi_offline", "__file__", "Path"}
    calls = 0
    for source in (REPO / "api").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in {
                "open", "Path", "FileResponse", "StaticFiles", "read_text", "read_bytes",
            }:
                if source.name == "screenshot.py":
                    continue  # a command-line tool writing the PNG it is told to, not part of the service
                inputs = [*node.args, *(k.value for k in node.keywords)]
                if isinstance(node.func, ast.Attribute):
                    inputs.append(node.func.value)  # x.read_text(): x is an input too
                names = {n.id for part in inputs for n in ast.walk(part) if isinstance(n, ast.Name)}
                assert names <= allowed, f"{source.name}:{node.lineno} uses {names - allowed}"
                calls += 1
    assert calls >= 2  # STATIC_DIR itself and the chat page


# --- limits and CORS follow the settings ------------------------------------------------------------


@pytest.fixture
def small_limit_client(settings, assistant):
    with TestClient(create_app(settings.but(max_body_bytes=1000), assistant=assistant)) as client:
        yield client


def test_the_body_limit_is_exact_and_configurable(small_limit_client):
    start = f'{{"question": "{QUESTION}"'.encode()
    at_limit = start + b" " * (1000 - len(start) - 1) + b"}"
    assert len(at_limit) == 1000
    assert small_limit_client.post("/ask", content=at_limit, headers={"Content-Type": "application/json"}).status_code == 200
    over = at_limit[:-1] + b" }"
    response = small_limit_client.post("/ask", content=over, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    assert "1000" in response.json()["error"]["message_ru"]


def test_the_body_limit_covers_every_route(small_limit_client):
    response = small_limit_client.request("GET", "/health", content=b"x" * 5000)
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_cors_is_off_by_default_for_simple_requests_too(monkeypatch, assistant):
    monkeypatch.delenv("ZANGER_CORS_ORIGINS", raising=False)
    settings = Settings.from_env()
    assert settings.cors_origins == ()
    with TestClient(create_app(settings, assistant=assistant)) as client:
        response = client.post("/ask", json={"question": QUESTION}, headers={"Origin": "https://evil.example"})
        assert response.status_code == 200
        assert not [h for h in response.headers if h.startswith("access-control-")]


def test_cors_origins_come_from_the_environment(monkeypatch, settings, assistant):
    monkeypatch.setenv("ZANGER_CORS_ORIGINS", " https://portal.example , https://other.example,")
    from_env = Settings.from_env()
    assert from_env.cors_origins == ("https://portal.example", "https://other.example")
    with TestClient(create_app(settings.but(cors_origins=from_env.cors_origins), assistant=assistant)) as client:
        allowed = client.post("/ask", json={"question": QUESTION}, headers={"Origin": "https://other.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://other.example"
        assert "access-control-allow-credentials" not in allowed.headers  # no cookies across origins
        evil = client.post("/ask", json={"question": QUESTION}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in evil.headers
        preflight = client.options(
            "/ask",
            headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "DELETE"},
        )
        assert "DELETE" not in preflight.headers.get("access-control-allow-methods", "")


# --- nothing internal in any response ---------------------------------------------------------------


class Broken:
    """An assistant whose every call fails with `error`."""

    def __init__(self, error: Exception):
        self.error = error

    def ask(self, *args, **kwargs):
        raise self.error

    def clause(self, *args, **kwargs):
        raise self.error

    def health(self):
        raise self.error


FAILURES = {
    "crash": (RuntimeError(f"boom in {SECRET_PATH}/versions/x/clauses.faiss"), 500, "internal_error"),
    "key error": (KeyError(SECRET_PATH), 500, "internal_error"),
    "index corrupt at request time": (
        IndexCorrupt(
            "index_corrupt",
            index_dir=SECRET_PATH,
            reason=Message("reason_no_file", {"name": f"{SECRET_PATH}/clauses.faiss"}),
            rebuild=Message("index_rebuild", {"command": f"zanger index --index-dir {SECRET_PATH}"}),
        ),
        503,
        "not_ready",
    ),
    "encoder unavailable": (EncoderUnavailable("encoder_st_no_model", name=SECRET_PATH), 503, "not_ready"),
}


@pytest.mark.parametrize("error, status, code", FAILURES.values(), ids=FAILURES.keys())
@pytest.mark.parametrize("method, url", [("POST", "/ask"), ("GET", "/clauses/regulation.p10"), ("GET", "/health")])
def test_failures_reach_the_client_without_internals(settings, assistant, error, status, code, method, url):
    app = create_app(settings, assistant=assistant)
    app.dependency_overrides[get_assistant] = lambda: Broken(error)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request(method, url, json={"question": QUESTION} if method == "POST" else None)
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message_ru"] and body["error"]["message_kk"]
    no_internals(response.text)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_refusals_do_not_echo_the_input(settings, assistant):
    with TestClient(create_app(settings, assistant=assistant)) as client:
        payloads = ({"question": "<script>alert(1)</script>"}, {"question": QUESTION, "lang": "<svg onload=x>"}, {"question": QUESTION, "k": "<b>"})
        for payload in payloads:
            response = client.post("/ask", json=payload)
            assert response.status_code == 422
            assert "<" not in response.text, response.text


def test_api_responses_carry_the_defensive_headers(settings, assistant):
    with TestClient(create_app(settings, assistant=assistant)) as client:
        for response in (client.post("/ask", json={"question": QUESTION}), client.get("/clauses/nope.p1"), client.get("/health")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["content-type"] == "application/json"


# --- clause ids are validated, never joined to a path ------------------------------------------------


@pytest.mark.parametrize(
    "url, status, code",
    [
        ("/clauses/regulation.p1%00", 422, "invalid_clause_id"),
        ("/clauses/order.p1%0A", 422, "invalid_clause_id"),
        ("/clauses/" + "a" * 10_000, 422, "invalid_clause_id"),
        ("/clauses/regulation." + "p1." * 3000, 422, "invalid_clause_id"),
        ("/clauses/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404, "not_found"),
        ("/clauses/..%5C..%5Cwindows%5Cwin.ini", 422, "invalid_clause_id"),
        ("/clauses/.%2e", 422, "invalid_clause_id"),
        ("/clauses/~root", 422, "invalid_clause_id"),
        ("/clauses/regulation.%D1%8010", 422, "invalid_clause_id"),  # Cyrillic "р" posing as Latin "p"
        ("/clauses/file:%2F%2F%2Fetc%2Fpasswd", 404, "not_found"),
        ("/clauses/regulation..p10", 404, "unknown_clause"),  # fits the pattern, names nothing: a lookup, not a path
        ("/clauses/order.p1?lang=..%2F..%2Fetc", 422, "invalid_lang"),
    ],
)
def test_hostile_clause_ids_are_refused(settings, assistant, url, status, code):
    with TestClient(create_app(settings, assistant=assistant)) as client:
        response = client.get(url)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    no_internals(response.text)
    assert not re.search(r"root:|\[extensions\]", response.text)
