"""Start the servers the benchmark measures, each in a process of its own, the way ``make run`` does."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORKERS = int(os.environ.get("YICHENG_BENCH_WORKERS", "1"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited: {log.read().decode(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


@contextlib.contextmanager
def serve(target: str, env: dict[str, str] | None = None, *, workers: int = WORKERS) -> Iterator[str]:
    """Serve ``module:factory`` with granian (ASGI, ``workers`` processes) on a free port; yields its URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--no-ws", "--log-level", "warning", target,
    ]  # fmt: skip
    # The server's log goes to a file: a pipe nobody reads fills (64 KiB) and then blocks its logging.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(f"{base_url}/health", process, log)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=15)


# The bench's servers run production settings (no debug) over a database made for the run: a key of the
# run's own, and rate limits out of the way of a load that comes from one address.
_BENCH_SECRET = secrets.token_urlsafe(48)


def server_env(database_url: str) -> dict[str, str]:
    return {
        "YICHENG_DATABASE_URL": database_url,
        "PICCOLO_CONF": "piccolo_conf",
        "YICHENG_SECRET_KEY": os.environ.get("YICHENG_SECRET_KEY", _BENCH_SECRET),
        "YICHENG_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
        "YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE": "100000000",
    }


def cli(command: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "cli.py", command],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def platform_database() -> Iterator[dict[str, str]]:
    """A fresh SQLite database (or ``YICHENG_BENCH_DATABASE_URL``), migrated and loaded with the demo."""
    with tempfile.TemporaryDirectory(prefix="yicheng-bench-") as folder:
        env = server_env(os.environ.get("YICHENG_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3"))
        cli("migrate", env)
        cli("demo", env)
        yield env
