"""A server worker killed outright (kill -9, the kernel's out-of-memory killer) is started again and the
server goes on answering: granian, left to its default, stopped the whole server when one worker died."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ENGINE
from tests.servers import running_server, wait_for_workers


def _server_processes(base_url: str) -> tuple[int, list[int]]:
    """The main process and the workers of the test server at ``base_url``: the processes started with its
    port in their environment (/proc), the main one being the one whose parent is not among them."""
    marker = f"YICHENG_PORT={base_url.rsplit(':', 1)[1]}".encode()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue  # ended meanwhile
    (main,) = [pid for pid, parent in parents.items() if parent not in parents]
    return main, sorted(pid for pid, parent in parents.items() if parent == main)


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
async def test_a_killed_worker_is_started_again(migrated: None, tmp_path: Path) -> None:
    workers = 2 if ENGINE == "postgres" else 1
    log = tmp_path / "server.log"
    with running_server(log, "--workers", str(workers)) as base_url:
        wait_for_workers(log, workers)
        main, killed = _server_processes(base_url)
        assert len(killed) == workers, killed
        os.kill(killed[0], signal.SIGKILL)
        wait_for_workers(log, workers + 1)  # the one killed, started again
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            now_main, now_workers = _server_processes(base_url)
            if len(now_workers) == workers and killed[0] not in now_workers and _answers(base_url):
                break
            await asyncio.sleep(0.3)
        assert now_main == main
    assert "Unexpected exit from worker" in log.read_text(errors="replace")
