"""A real `zanger serve` subprocess on a free loopback port: start-up time, peak memory, clean stop."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def zanger_command() -> list[str]:
    """How to run the `zanger` CLI: the console script beside this Python, else `python -m assistant.cli`."""
    script = Path(sys.executable).with_name("zanger")
    if script.is_file():
        return [str(script)]
    found = shutil.which("zanger")
    return [found] if found else [sys.executable, "-m", "assistant.cli"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB, from /proc; NaN where there is no /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used, in seconds (from /proc/PID/stat); NaN without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)", whose name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A running `zanger serve`; `ready_seconds` is spawn → first 200 on /health."""

    process: subprocess.Popen
    url: str
    spawned_at: float  # time.perf_counter() just before the spawn
    ready_seconds: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def first_answer_seconds(self, question: str) -> float:
        """Spawn → a 200 on POST /ask: readiness as the first user sees it (lazy loading shows up here)."""
        response = httpx.post(f"{self.url}/ask", json={"question": question}, timeout=60.0)
        response.raise_for_status()
        return time.perf_counter() - self.spawned_at

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it has not exited within `timeout`."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(
    index_dir: Path,
    log_path: Path,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> Server:
    """Spawn `zanger serve` on 127.0.0.1 and wait for the first 200 on /health; raises if it dies or times out."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*zanger_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--index-dir", str(index_dir), *extra_args]
    log = open(log_path, "wb")
    started = time.perf_counter()
    # stdout/stderr go to a file: a pipe nobody reads would fill and block the server's access log.
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    log.close()
    server = Server(process, url, started, float("nan"), Path(log_path))
    deadline = started + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"zanger serve exited with {process.returncode}:\n{Path(log_path).read_text()[-2000:]}")
            try:
                if client.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                server.stop()
                raise TimeoutError(f"zanger serve not ready within {timeout:.0f} s")
            time.sleep(0.01)
    server.ready_seconds = time.perf_counter() - started
    return server
