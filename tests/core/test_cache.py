"""core.cache.LoadingCache: bounded, one loader per key, and never keeping what an eviction replaced."""

from __future__ import annotations

import asyncio

from core.cache import LoadingCache


async def test_a_load_overtaken_by_an_eviction_answers_but_is_not_kept() -> None:
    cache: LoadingCache[str] = LoadingCache(ttl=60, max_entries=8)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_old_read() -> bytes:
        started.set()
        await release.wait()  # the publication commits and evicts while this read is on its way
        return b"before"

    reader = asyncio.create_task(cache.get_or_load("board:1", slow_old_read))
    await started.wait()
    cache.drop(lambda key: key == "board:1")
    release.set()
    assert await reader == b"before"
    assert cache.peek("board:1") is None  # the next reader loads the new state

    async def new_read() -> bytes:
        return b"after"

    assert await cache.get_or_load("board:1", new_read) == b"after"
    assert cache.peek("board:1") == b"after"


async def test_at_most_max_entries_are_kept_and_no_lock_outlives_its_callers() -> None:
    cache: LoadingCache[int] = LoadingCache(ttl=60, max_entries=3)
    for key in range(10):

        async def load(key: int = key) -> bytes:
            return str(key).encode()

        await cache.get_or_load(key, load)
    assert cache.sizes() == (3, 0)
    assert cache.peek(9) == b"9" and cache.peek(0) is None


async def test_a_drop_of_one_key_keeps_the_load_of_another() -> None:
    cache: LoadingCache[str] = LoadingCache(ttl=60, max_entries=8)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_read() -> bytes:
        started.set()
        await release.wait()
        return b"board 2"

    reader = asyncio.create_task(cache.get_or_load("board:2", slow_read))
    await started.wait()
    cache.drop(lambda key: key == "board:1")  # another competition was published meanwhile
    release.set()
    assert await reader == b"board 2"
    assert cache.peek("board:2") == b"board 2"
