"""Probes behind PERF_PLAN.md: where a request's time goes. Not part of ``make bench``.

What the in-process probes of the ASGI app share (:func:`run`): a fresh SQLite file unless
``YICHENG_DATABASE_URL`` names an empty migrated database, the app opened as the server's start-up opens it,
the timing (wall and this process's CPU) and, with ``PROFILE=1``, cProfile's top 60 (``SORT=tottime`` ...)
of the timed part alone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_PROFILE: Any = None


async def timed(work: Iterable[Coroutine[Any, Any, None]]) -> float:
    """Run ``work`` concurrently (profiled when asked); prints and returns the wall time in seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    if _PROFILE is not None:
        _PROFILE.enable()
    await asyncio.gather(*work)
    if _PROFILE is not None:
        _PROFILE.disable()
    elapsed = time.perf_counter() - start
    print(f"wall {elapsed:.2f} s, CPU {time.process_time() - cpu:.2f} s")
    return elapsed


async def with_app(probe: Callable[[Any, int], Awaitable[float]], concurrency: int) -> float:
    """``probe(app, concurrency)`` against the app, its database opened as the server's start-up does (the
    ASGI transport runs no lifespan: PostgreSQL's pool is opened here)."""
    import logging

    from app import _on_shutdown, create_app, prepare_database
    from settings import load_settings

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own log line per request
    settings = load_settings()
    app = create_app(settings)
    await prepare_database(settings)
    try:
        return await probe(app, concurrency)
    finally:
        await _on_shutdown()


def fresh_database(default_concurrency: int) -> int:
    """A fresh migrated SQLite file unless ``YICHENG_DATABASE_URL`` is set, the project importable; returns
    the concurrency asked on the command line (or the default)."""
    if "YICHENG_DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="yicheng-probe-")
        os.environ["YICHENG_DATABASE_URL"] = f"sqlite:///{folder}/probe.sqlite3"
        os.environ["PICCOLO_CONF"] = "piccolo_conf"
        subprocess.run([sys.executable, "cli.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    return int(sys.argv[1]) if len(sys.argv) > 1 else default_concurrency


def run(probe: Callable[[Any, int], Awaitable[float]], unit: str, default_concurrency: int) -> None:
    """The command line of a probe: ``[CONCURRENCY]``, ``PROFILE=1``; prints the rate in ``unit``."""
    concurrency = fresh_database(default_concurrency)
    global _PROFILE
    if os.environ.get("PROFILE"):
        import cProfile

        _PROFILE = cProfile.Profile()
    rate = asyncio.run(with_app(probe, concurrency))
    if _PROFILE is not None:
        import pstats

        pstats.Stats(_PROFILE).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(60)
    print(f"{rate:.0f} {unit} in process, through the ASGI app")
