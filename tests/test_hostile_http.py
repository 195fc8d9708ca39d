"""Hostile HTTP against a real `zanger serve` (loopback, hashing encoder): every attack is bounded in count
and time, and each must be refused in the service's JSON error shape, closed by the server, or survived.

Attacks from issue 12: huge and numerous headers, huge URLs, malformed framing, idle / partial-header /
partial-body sockets, more connections than the limit, a foreign Host name, bad Range, bad ports.
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench/ is a folder beside the package, not installed
from bench.server import start_server  # noqa: E402

ENV = {"ZANGER_ENCODER": "hashing", "PYTHONPATH": str(REPO)}
TIMEOUT = 1.0  # the server's request-read and keep-alive timeouts in these tests (seconds)
MAX_CONNECTIONS = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-http")
    extra = ("--request-timeout", str(TIMEOUT), "--keepalive-timeout", str(TIMEOUT), "--max-connections", str(MAX_CONNECTIONS))
    with start_server(tmp / "index", tmp / "server.log", extra, env=ENV) as running:
        yield running


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def exchange(server, data: bytes, wait: float = 30.0) -> bytes:
    """Send `data` on a fresh connection and read until the server closes it (bounded by `wait`)."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=wait) as sock:
        try:
            sock.sendall(data)
        except OSError:  # the server may refuse and close before a huge request is all sent
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def head_of(response: bytes) -> tuple[int, dict[str, str]]:
    """(status, headers) of the first response in `response`."""
    lines = response.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}


def parse(response: bytes) -> tuple[int, dict[str, str], dict]:
    status, headers = head_of(response)
    body = response.partition(b"\r\n\r\n")[2]
    return status, headers, json.loads(body) if body else {}


def assert_refused(response: bytes, status: int, code: str) -> dict:
    got, headers, body = parse(response)
    assert got == status, response[:300]
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert headers["connection"] == "close"
    error = body["error"]
    assert error["code"] == code
    assert error["message_ru"] and error["message_kk"] and error["message"] == f"{error['message_ru']}\n{error['message_kk']}"
    return headers


def assert_healthy(server) -> None:
    response = httpx.get(f"{server.url}/health", timeout=10)
    assert response.status_code == 200 and response.json()["ready"] is True


GET = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


# --- headers and URLs ------------------------------------------------------------------------------


def test_a_1_mib_header_is_refused_with_431_before_it_is_all_read(server):
    started = time.monotonic()
    response = exchange(server, GET + b"X-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    assert_refused(response, 431, "headers_too_large")
    assert "16384" in parse(response)[2]["error"]["message_ru"]
    assert time.monotonic() - started < 30  # a bound for the test, not a performance target
    assert_healthy(server)


def test_a_header_sent_slowly_in_pieces_is_refused_too(server):
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(GET + b"X-Big: ")
        refused = False
        for _ in range(64):  # 64 x 1 KiB: the limit (16 KiB) is crossed part-way
            try:
                sock.sendall(b"a" * 1024)
            except OSError:
                refused = True
                break
            time.sleep(0.005)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    assert_refused(data, 431, "headers_too_large")


def test_too_many_header_fields_are_refused_with_431(server):
    fields = b"".join(b"X-%d: y\r\n" % n for n in range(150))
    assert_refused(exchange(server, GET + fields + b"\r\n"), 431, "headers_too_large")


def test_a_url_over_the_limit_is_refused_with_414(server):
    response = exchange(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert_refused(response, 414, "url_too_long")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\x00b\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ],
    ids=["duplicate Content-Length", "negative Content-Length", "bad chunk size", "NUL in a header", "not HTTP"],
)
def test_protocol_errors_get_the_json_shape_and_headers(server, request_bytes):
    assert_refused(exchange(server, request_bytes), 400, "bad_request")


def test_a_bad_range_is_ignored_not_answered_in_plain_text(server):
    for value in (b"bytes=abc", b"bytes=999999-", b"bytes=5-1"):
        request = b"GET /static/chat.css HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: " + value + b"\r\nConnection: close\r\n\r\n"
        status, headers = head_of(exchange(server, request))
        assert status == 200 and headers["x-content-type-options"] == "nosniff"


# --- sockets that hold on ---------------------------------------------------------------------------


def test_idle_and_partial_sockets_are_closed_by_the_server(server):
    """A socket that sends nothing, half a header, or half a body is closed after the read timeout."""
    partial_head = GET
    partial_body = b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"q"
    idle = exchange(server, b"", wait=30)
    assert idle == b""  # nothing was asked, so nothing is answered: closed
    assert_refused(exchange(server, partial_head, wait=30), 408, "request_timeout")
    assert_refused(exchange(server, partial_body, wait=30), 408, "request_timeout")


def test_an_idle_keep_alive_connection_is_closed_by_the_server(server):
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(GET + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):  # returns b"" once the server closes the idle connection
            data += chunk
    assert head_of(data)[0] == 200


def read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def test_idle_sockets_past_the_limit_cannot_lock_a_real_client_out(server):
    """More silent sockets than the limit: the oldest idle ones are closed to make room, a real client is served."""
    held = [socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) for _ in range(MAX_CONNECTIONS + 4)]
    try:
        assert_healthy(server)  # a real client gets in while every slot is taken by an idle socket
        answers = [read_all(sock) for sock in held]  # each is closed: evicted, or at the read timeout
    finally:
        for sock in held:
            sock.close()
    assert answers == [b""] * len(held)  # nobody who said nothing is answered


def test_busy_connections_past_the_limit_are_refused_with_503(server):
    """Every slot holds a request in progress (partial headers): a new connection gets 503 and Retry-After."""
    held = [socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in held:
            sock.sendall(GET)
        time.sleep(0.2)  # let the server read them
        refused = exchange(server, GET + b"Connection: close\r\n\r\n")
        headers = assert_refused(refused, 503, "server_busy")
        assert headers["retry-after"] == "1"
    finally:
        for sock in held:
            sock.close()
    assert_healthy(server)


# --- Host names and ports ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_name_is_refused_on_loopback(server, host):
    response = exchange(server, b"GET /health HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
    assert_refused(response, 400, "invalid_host")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_this_machines_names_are_accepted(server, host):
    port = port_of(server)
    response = exchange(server, f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
    assert head_of(response)[0] == 200


def zanger_serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "serve", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **ENV},
    )


@pytest.mark.parametrize("port", ["0", "99999", "-1", "abc", "65536"])
def test_an_invalid_port_is_refused_before_anything_loads(tmp_path, port):
    result = zanger_serve("--index-dir", str(tmp_path / "index"), "--port", port)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "1 до 65535" in result.stderr and "65535-ке дейінгі" in result.stderr
    assert not (tmp_path / "index").exists()  # nothing was built for a server that cannot start


def test_a_busy_port_is_a_message_in_both_languages(server, tmp_path):
    result = zanger_serve("--index-dir", str(tmp_path / "index"), "--port", str(port_of(server)))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"Порт {port_of(server)} на 127.0.0.1 уже занят" in result.stderr
    assert "портын басқа бағдарлама алып қойған" in result.stderr
    assert "Address already in use" not in result.stderr


def test_the_hostile_benchmark_runs_and_every_attack_held(tmp_path):
    """`python -m bench.hostile --quick`: the figures SECURITY.md quotes come from its full run."""
    from bench import hostile

    output = tmp_path / "hostile.json"
    assert hostile.main(["--quick", "--output", str(output)]) == 0
    results = json.loads(output.read_text())
    assert results["headers"]["1MiB_status"] == 431
    assert results["headers"]["rss_after_mib"] - results["headers"]["rss_before_mib"] < 100  # not 235 MiB a header
    sockets = results["sockets"]
    assert sockets["idle"]["status"] is None and sockets["partial_header"]["status"] == 408
    assert sockets["partial_body"]["status"] == 408
    assert sockets["idle_over_the_limit"]["real_client_status"] == 200
    assert sockets["busy_over_the_limit"]["status"] == 503
    assert results["sessions"]["followup_after"] is True
