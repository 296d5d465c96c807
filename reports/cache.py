"""A small per-process cache of computed figures, keyed on the database's data version.

Figures are shared state only in the sense that every process computes the same ones from the same data:
each entry remembers the :func:`reports.sources.data_version` it was computed at, and a read first asks the
database for the current version (one cheap query), so a change made through any process is seen by every
process on its next read. Nothing is invalidated by messages, and nothing is served stale. The cache is
bounded (least recently used entries go) and one computation per key runs at a time, so a burst of
dashboards after a change costs one computation.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class VersionedCache(Generic[T]):
    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[str, T]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def get(self, key: Hashable, version: str, compute: Callable[[], Awaitable[T]]) -> T:
        hit = self._fresh(key, version)
        if hit is not None:
            return hit[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._fresh(key, version)
            if hit is not None:
                return hit[1]
            value = await compute()
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)
            return value

    def _fresh(self, key: Hashable, version: str) -> tuple[str, T] | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] != version:
            return None
        self._entries.move_to_end(key)
        return hit

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()

    def __len__(self) -> int:
        return len(self._entries)
