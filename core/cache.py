"""A per-process cache of loaded bytes: bounded, least recently used first out, one loader per key.

What anonymous readers can ask for (a competition list by series and state, a board by id) must not grow
memory without bound: at most ``max_entries`` values are kept, a value is kept only once its load
succeeded (and ``keep`` accepts it), and a key's lock lives only while callers hold or await it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class LoadingCache(Generic[K]):
    def __init__(self, *, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, bytes]] = OrderedDict()
        # A key's lock and how many callers hold or await it; dropped when that reaches 0.
        self._locks: dict[K, tuple[asyncio.Lock, int]] = {}
        # Keys being loaded now, and those of them a drop matched meanwhile: a load that began before a
        # drop (it may have read what the drop's change replaced) answers its caller but is not kept, or
        # the evicted state would come back until the ttl. Per key: a drop of one board never costs
        # another board's load.
        self._loading: set[K] = set()
        self._overtaken: set[K] = set()

    def peek(self, key: K) -> bytes | None:
        """A fresh value, or None; never loads."""
        hit = self._entries.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def _store(self, key: K, value: bytes) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_or_load(
        self, key: K, load: Callable[[], Awaitable[bytes]], keep: Callable[[bytes], bool] | None = None
    ) -> bytes:
        hit = self.peek(key)
        if hit is not None:
            return hit
        # One loader per key at a time: a burst of readers after an eviction costs one query.
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                hit = self.peek(key)
                if hit is not None:
                    return hit
                self._loading.add(key)
                try:
                    value = await load()
                finally:
                    self._loading.discard(key)
                    overtaken = key in self._overtaken
                    self._overtaken.discard(key)
                if not overtaken and (keep is None or keep(value)):
                    self._store(key, value)
                return value
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def drop(self, matches: Callable[[K], bool]) -> None:
        self._overtaken.update(key for key in self._loading if matches(key))
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]

    def clear(self) -> None:
        self._overtaken.update(self._loading)
        self._entries.clear()

    def sizes(self) -> tuple[int, int]:
        """How many values and locks are held."""
        return len(self._entries), len(self._locks)
