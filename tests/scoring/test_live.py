"""Live events and the results cache go through the channels backend (memory, or PostgreSQL NOTIFY)."""

from __future__ import annotations

import asyncio

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
