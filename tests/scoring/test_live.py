"""Live events and the results cache go through the channels backend (memory, or PostgreSQL NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib

import msgspec

from scoring import live


async def test_results_change_reaches_subscribers_and_evicts_the_cache(app: object) -> None:
    loads = 0

    async def load() -> bytes:
        nonlocal loads
        loads += 1
        return b"v%d" % loads

    assert await live.results_cache.get_or_load(7, "board", load) == b"v1"
    assert await live.results_cache.get_or_load(7, "board", load) == b"v1"  # served from the cache
    async with live.subscribe(live.competition_channel(7)) as events:
        await asyncio.sleep(0.2)  # the backend's LISTEN is in place
        await live.results_changed(7, "published", version=2)
        payload = await asyncio.wait_for(anext(aiter(events)), timeout=5)
    event = msgspec.json.decode(payload, type=live.Event)
    assert (event.kind, event.competition_id, event.version) == ("published", 7, 2)
    assert await live.results_cache.get_or_load(7, "board", load) == b"v2"


async def test_a_burst_of_readers_after_eviction_loads_once(app: object) -> None:
    calls = 0

    async def slow_load() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return b"board"

    live.results_cache.evict_local(8)
    values = await asyncio.gather(*(live.results_cache.get_or_load(8, "board", slow_load) for _ in range(50)))
    assert set(values) == {b"board"} and calls == 1


async def test_a_second_app_created_leaves_the_started_apps_live_events_alone(app: object) -> None:
    from app import create_app

    create_app()  # never started: a command's or a test's
    async with live.subscribe(live.competition_channel(9)) as events:
        await asyncio.sleep(0.2)
        await live.marks_changed(9)
        payload = await asyncio.wait_for(anext(aiter(events)), timeout=5)
    assert msgspec.json.decode(payload, type=live.Event).kind == "marks"


async def test_the_cache_is_bounded_and_frees_its_locks(app: object) -> None:
    cache = live.ResultsCache(max_entries=3)

    async def load() -> bytes:
        await asyncio.sleep(0)
        return b"x"

    async def missing() -> bytes:
        raise LookupError("no such competition")

    for competition_id in range(10):
        await cache.get_or_load(competition_id, "board", load)
    assert cache.sizes() == (3, 0)
    assert [cache.peek(i, "board") for i in (6, 7, 8, 9)] == [None, b"x", b"x", b"x"]  # least recent gone
    await cache.get_or_load(7, "board", load)  # used again: 8 is now the oldest
    await cache.get_or_load(10, "board", load)
    assert cache.peek(7, "board") == b"x" and cache.peek(8, "board") is None
    # Ids that name nothing: the load fails, nothing is kept, not even a lock.
    for competition_id in range(1000, 1100):
        with contextlib.suppress(LookupError):
            await cache.get_or_load(competition_id, "board", missing)
    assert cache.sizes() == (3, 0)
    # Concurrent readers of one key share a lock while they wait, then it is gone.
    values = await asyncio.gather(*(cache.get_or_load(50, "board", load) for _ in range(20)))
    assert set(values) == {b"x"} and cache.sizes() == (3, 0)
