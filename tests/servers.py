"""Real server processes for tests: ``yicheng serve`` (granian) on a free port, its log kept in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text(errors='replace')[-3000:]}")


def wait_for_workers(log: Path, count: int, timeout: float = 30) -> None:
    """Until the server's log says ``count`` workers have started (granian's "Started worker-N", logged once
    a worker has run its start-up): ``/health`` answering shows only that one of them has."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("Started worker") < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not start: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running_server(
    log: Path, *args: str, env: dict[str, str] | None = None, command: str = "serve"
) -> Iterator[str]:
    """``cli.py <command> <args>`` on a free port over the test database; yields its base URL.

    Standard output and error (the server's whole log) go to ``log``."""
    port = free_port()
    environ = {**os.environ, "YICHENG_PORT": str(port), "YICHENG_HOST": "127.0.0.1", **(env or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "cli.py", command, *args], cwd=ROOT, env=environ, stdout=sink, stderr=sink
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
