"""Probes behind PERF_PLAN.md: where a request's time goes. Not part of ``make bench``."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def fresh_sqlite() -> None:
    """Unless ``YICHENG_DATABASE_URL`` names one, a new SQLite file for the probe, migrated."""
    if "YICHENG_DATABASE_URL" in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="yicheng-probe-")
    os.environ["YICHENG_DATABASE_URL"] = f"sqlite:///{folder}/probe.sqlite3"
    os.environ["PICCOLO_CONF"] = "piccolo_conf"
    subprocess.run([sys.executable, "cli.py", "migrate"], cwd=ROOT, check=True, capture_output=True)


PROFILE: cProfile.Profile | None = None  # set by run() when PROFILE=1 is in the environment


@contextlib.contextmanager
def measured() -> Iterator[None]:
    """The part of a probe that is measured: the only part profiled (not the setting up of its data)."""
    if PROFILE is not None:
        PROFILE.enable()
    try:
        yield
    finally:
        if PROFILE is not None:
            PROFILE.disable()


def run(load: Callable[[int], Awaitable[float]], unit: str, *, concurrency: int, lines: int = 60) -> None:
    """Run ``load`` (CONCURRENCY from the command line) on a fresh database and print its rate in ``unit``;
    PROFILE=1 prints cProfile's top ``lines`` of the measured part, sorted by SORT (default cumtime)."""
    global PROFILE
    fresh_sqlite()
    if os.environ.get("PROFILE"):
        PROFILE = cProfile.Profile()
    rate = asyncio.run(load(int(sys.argv[1]) if len(sys.argv) > 1 else concurrency))  # type: ignore[arg-type]
    if PROFILE is not None:
        pstats.Stats(PROFILE).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(lines)
    print(f"{rate:.0f} {unit}")


async def timed(work: Iterable[Coroutine[Any, Any, None]]) -> float:
    """Run ``work`` concurrently (profiled when asked); prints and returns the wall time in seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    with measured():
        await asyncio.gather(*work)
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


def run_with_app(probe: Callable[[Any, int], Awaitable[float]], unit: str, default_concurrency: int) -> None:
    """:func:`run` for a probe that takes the app: ``probe(app, concurrency)``."""
    sys.path.insert(0, str(ROOT))
    run(
        lambda concurrency: with_app(probe, concurrency),
        f"{unit} in process, through the ASGI app",
        concurrency=default_concurrency,
    )
