"""core.offload: a pure function's result comes back the same from a thread and from a worker process, and
the event loop keeps running while it computes."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from core import offload


def _busy_sum(n: int) -> Decimal:
    # Pure and CPU-bound: what a large aggregation looks like to the loop.
    total = Decimal(0)
    for i in range(n):
        total += Decimal(i) / 7
    return total


@pytest.mark.parametrize("heavy", [False, True])
async def test_off_loop_answers_like_a_direct_call_and_the_loop_keeps_turning(heavy: bool) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    n = 300_000
    expected = _busy_sum(n)
    task = asyncio.create_task(ticker())
    try:
        started = time.perf_counter()
        result = await offload.off_loop(_busy_sum, n, heavy=heavy)
        elapsed = time.perf_counter() - started
    finally:
        task.cancel()
        offload.shutdown()
    assert result == expected
    # The ticker ran during the computation: the loop was not held (on the loop it would tick about once).
    assert ticks >= min(10, int(elapsed / 0.01))
    assert ticks > 3


async def test_an_exception_in_the_worker_reaches_the_caller() -> None:
    with pytest.raises(ZeroDivisionError):
        await offload.off_loop(divmod, 1, 0)
