"""Live updates and the public results cache, shared by every server process.

Events go through Litestar's channels plugin: the in-memory backend on SQLite (the embedded,
single-process default) and PostgreSQL's LISTEN/NOTIFY (asyncpg backend) when the database is
PostgreSQL, so several processes behind a load balancer see the same events.

Channels:
- ``competition:<id>``: what pages watching a competition need to refresh (marks changed, results
  published or corrected). Server-Sent Events endpoints relay it to browsers.
- ``cache``: evictions of the per-process results cache; every process listens and drops its copy.

Publish only after the transaction that made the change has committed: an event about a change that then
rolled back would send pages to read data that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend

from settings import Settings

CACHE_CHANNEL = "cache"
# A safety net under the broadcast eviction: a process that missed a message serves a stale copy at most
# this long.
CACHE_TTL_S = 30.0


class Event(msgspec.Struct, kw_only=True):
    kind: str  # marks | published | corrected | unblinded
    competition_id: int
    version: int | None = None


class _Live:
    plugin: ChannelsPlugin | None = None


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    backend = (
        AsyncPgChannelsBackend(dsn=settings.database_url)
        if settings.engine == "postgres"
        else MemoryChannelsBackend(history=0)
    )
    plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    _Live.plugin = plugin
    return plugin


def competition_channel(competition_id: int) -> str:
    return f"competition:{competition_id}"


def _publish(data: Any, channel: str) -> None:
    if _Live.plugin is not None:  # None in scripts that run services without the web app
        _Live.plugin.publish(msgspec.json.encode(data), channel)


async def marks_changed(competition_id: int) -> None:
    """Marks, sign-offs, disqualifications or corrections changed: live leaderboards should refresh."""
    _publish(Event(kind="marks", competition_id=competition_id), competition_channel(competition_id))


async def results_changed(competition_id: int, kind: str, version: int | None = None) -> None:
    """Published, corrected or unblinded results: evict every process's cache, then tell the pages."""
    results_cache.evict_local(competition_id)
    _publish({"competition_id": competition_id}, CACHE_CHANNEL)
    _publish(
        Event(kind=kind, competition_id=competition_id, version=version), competition_channel(competition_id)
    )


@contextlib.asynccontextmanager
async def subscribe(channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
    """Events of one channel as raw JSON bytes, for an SSE stream; unsubscribes on exit."""
    if _Live.plugin is None:
        raise RuntimeError("the channels plugin is not configured")
    async with _Live.plugin.start_subscription(channel) as subscriber:
        yield subscriber.iter_events()


class ResultsCache:
    """Per-process cache of what the public reads most (the published leaderboard, its exports).

    Entries are keyed by (competition id, name); a value is the exact bytes served. Eviction drops every
    entry of a competition and is broadcast on the ``cache`` channel by :func:`results_changed`, with a
    TTL as the safety net.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str], tuple[float, bytes]] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        self._listener: asyncio.Task[None] | None = None

    async def get_or_load(
        self, competition_id: int, name: str, load: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        self._listen_for_evictions()
        key = (competition_id, name)
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        # One loader per key at a time: a burst of readers after an eviction costs one query.
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            value = await load()
            self._entries[key] = (time.monotonic() + CACHE_TTL_S, value)
            return value

    def peek(self, competition_id: int, name: str) -> bytes | None:
        """A fresh cached value, or None: never loads (the fast lane's read)."""
        hit = self._entries.get((competition_id, name))
        return hit[1] if hit is not None and hit[0] > time.monotonic() and hit[1] else None

    def evict_local(self, competition_id: int) -> None:
        for key in [k for k in self._entries if k[0] == competition_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def _listen_for_evictions(self) -> None:
        """Start, once per process (on first use, when the channels plugin is surely running), the task
        that drops entries other processes invalidated."""
        if self._listener is not None and not self._listener.done():
            return
        if _Live.plugin is None:
            return
        self._listener = asyncio.get_running_loop().create_task(self._evictions(_Live.plugin))

    async def _evictions(self, plugin: ChannelsPlugin) -> None:
        async with plugin.start_subscription(CACHE_CHANNEL) as subscriber:
            async for payload in subscriber.iter_events():
                self.evict_local(int(msgspec.json.decode(payload)["competition_id"]))


results_cache = ResultsCache()
