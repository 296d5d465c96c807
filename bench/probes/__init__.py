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
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

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
