"""Pure computations run off the event loop, so that a recomputation never stalls the tablets.

The aggregation of a large competition and the shortlist solver are pure functions (no database, no I/O).
Run on the loop, they hold every other request of the process for their whole length. :func:`off_loop` runs
one in a worker thread (the loop keeps answering: CPython switches threads every 5 ms, though both share one
core), or, when the caller says it is heavy, in a worker process started on first use, which computes on
another core. The arguments and the result then cross by pickle: msgspec Structs, Decimals and tuples do.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_POOL: ProcessPoolExecutor | None = None  # one worker per server process, started on first heavy call


def _pool() -> ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        # spawn, not fork: a forked child would inherit the event loop's and the engine's threads and locks.
        _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _POOL


async def off_loop(function: Callable[..., T], *args: Any, heavy: bool = False) -> T:
    """``function(*args)`` without stalling the loop: in a worker process when ``heavy``, else a thread.

    ``function`` must be pure and importable by name (a module-level function) when ``heavy``."""
    if not heavy:
        return await asyncio.to_thread(function, *args)
    return await asyncio.get_running_loop().run_in_executor(_pool(), function, *args)


def shutdown() -> None:
    """Stop the worker process, if one was started (on the server's shutdown)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL = None
