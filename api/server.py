"""Starting the service: `serve` (what `zanger serve` calls) and `serve_in_thread` (browser tests, screenshots).

`serve` checks everything it can before the port opens (the port number, the index, the encoder),
binds the socket itself (so a busy port is a message, not a traceback), and runs uvicorn with the
bounded protocol of `api/protocol.py` and the limits of `Settings`.
"""
from __future__ import annotations

import errno
import ipaddress
import logging
import os
import resource
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from assistant.encoders.e5 import OPENMP_DEFAULTS
from assistant.errors import ZangerError
from assistant.settings import Settings

from . import errors
from .protocol import HttpLimits, bounded_protocol

log = logging.getLogger("zanger.api")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_FD_RESERVE = 64  # descriptors kept for the index, logs and the threadpool when clamping the connection limit


def port_number(value: int | str) -> int:
    """A TCP port from a flag's text; ZangerError unless it is a whole number in 1-65535."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ZangerError("port_invalid", port=text)
    return int(text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int | str = 8000, log_level: str = "info", access_log: bool = False) -> None:
    """Run the service until SIGINT/SIGTERM; ZangerError (before the port opens) for a bad port, index or encoder."""
    port = port_number(port)
    for name, value in OPENMP_DEFAULTS.items():  # read once, when the engine loads: set before it does
        os.environ.setdefault(name, value)
    if not settings.allowed_hosts and is_loopback(host):
        # On loopback only this machine's names are accepted (DNS rebinding); behind a proxy, name yours.
        settings = settings.but(allowed_hosts=tuple(dict.fromkeys((*LOOPBACK_NAMES, host.strip("[]").lower()))))
    from assistant.assistant import Assistant

    from .app import create_app

    # Loaded before the port opens: a stale or corrupt index stops the command with its message (exit 2).
    assistant = Assistant.load(settings, progress=False)
    sock = bind(host, port)
    limits = http_limits(settings)
    config = uvicorn.Config(
        create_app(settings, assistant=assistant),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,  # off by default: a log line per request costs ~0.3 ms (bench/README.md)
        http=bounded_protocol(limits, errors.messages(settings)),
        timeout_keep_alive=settings.http_keepalive_seconds,
        backlog=2048,  # connections waiting to be accepted; past the limit they are accepted and answered 503
    )
    log.info("limits: %s", limits)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def http_limits(settings: Settings) -> HttpLimits:
    """The protocol's limits from `settings`, the connection limit clamped below this process's descriptor limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    connections = settings.http_max_connections
    if soft != resource.RLIM_INFINITY:
        connections = max(1, min(connections, soft - _FD_RESERVE))
    return HttpLimits(
        max_header_bytes=settings.http_max_header_bytes,
        max_headers=settings.http_max_headers,
        max_connections=connections,
        request_timeout=settings.http_request_timeout_seconds,
        retry_after=settings.busy_retry_seconds,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; ZangerError naming the port when it is taken or cannot be opened."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ZangerError("bind_failed", host=host, port=port, reason=exc.strerror or exc) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        code = "port_busy" if exc.errno == errno.EADDRINUSE else "bind_failed"
        raise ZangerError(code, host=host, port=port, reason=exc.strerror or exc) from exc
    sock.set_inheritable(True)
    return sock


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", startup_timeout: float = 120.0) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL ("http://127.0.0.1:PORT").

    The socket is bound here (port 0) and handed to uvicorn, so no other process can take the port
    between choosing and listening. `startup_timeout` covers an index build in `lifespan`.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="zanger-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server stopped during start-up (see the log above)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start within {startup_timeout:.0f} s")
            time.sleep(0.05)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
