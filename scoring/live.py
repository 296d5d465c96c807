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
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from core.cache import LoadingCache
from core.pg_channels import KeptAsyncPgChannelsBackend
from settings import Settings

CACHE_CHANNEL = "cache"
# The cache key of the list of published competitions (competition ids start at 1): every competition's
# publication changes it, so it is dropped with that competition's entries, in the same message, before
# the pages are told (a page told "published" must not read the list from before).
PUBLISHED_LIST = 0
# Names this process on the cache channel: it drops its own copy before broadcasting, so its own message
# coming back (after a reader may already have loaded the new state) is skipped, not a second eviction.
PROCESS_ID = uuid.uuid4().hex


def _process_id() -> str:
    """This process's name on the cache channel; the pid in it keeps forked workers apart even if this module
    was imported before the fork."""
    return f"{os.getpid()}-{PROCESS_ID}"


# A safety net under the broadcast eviction: a process that missed a message serves a stale copy at most
# this long.
CACHE_TTL_S = 30.0


class Event(msgspec.Struct, kw_only=True):
    kind: str  # marks | published | corrected | unblinded
    competition_id: int
    version: int | None = None


class _Live:
    """The channels plugin of the app that started in this process (None in scripts that run services
    without the web app). Set by :func:`attach` when that app starts, never when one is merely created:
    a second ``create_app()`` (a test's, a command's) leaves the running app's events alone."""

    plugin: ChannelsPlugin | None = None


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    backend = (
        KeptAsyncPgChannelsBackend(dsn=settings.database_url, start_wait_s=settings.db_start_wait_s)
        if settings.engine == "postgres"
        else MemoryChannelsBackend(history=0)
    )
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


def attach(app: Litestar) -> None:
    """On start-up: publish through this app's plugin (started by then, as plugins start first)."""
    _Live.plugin = app.plugins.get(ChannelsPlugin)


def detach(app: Litestar) -> None:
    """On shutdown: stop publishing through this app's plugin, if it is still the one in use."""
    if _Live.plugin is app.plugins.get(ChannelsPlugin):
        _Live.plugin = None
        results_cache.stop_listening()


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
    _publish({"competition_id": competition_id, "origin": _process_id()}, CACHE_CHANNEL)
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

    Entries are keyed by (competition id, name); a value is the exact bytes served, stored only once a
    load succeeded (a competition that does not exist leaves nothing behind). At most ``max_entries``
    are kept, the least recently used dropped first, and a key's lock lives only while callers hold or
    await it: anonymous readers asking for ids at random cannot grow memory. Eviction drops every entry
    of a competition and is broadcast on the ``cache`` channel by :func:`results_changed`, with a TTL as
    the safety net.
    """

    def __init__(self, max_entries: int = 2048) -> None:
        self._cache: LoadingCache[tuple[int, str]] = LoadingCache(ttl=CACHE_TTL_S, max_entries=max_entries)
        self._listener: asyncio.Task[None] | None = None
        self._listening_to: ChannelsPlugin | None = None

    async def get_or_load(
        self, competition_id: int, name: str, load: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        self._listen_for_evictions()
        return await self._cache.get_or_load((competition_id, name), load)

    def peek(self, competition_id: int, name: str) -> bytes | None:
        """A fresh cached value, or None: never loads (the fast lane's read)."""
        return self._cache.peek((competition_id, name)) or None

    def evict_local(self, competition_id: int) -> None:
        self._cache.drop(lambda key: key[0] in (competition_id, PUBLISHED_LIST))

    def clear(self) -> None:
        self._cache.clear()

    def sizes(self) -> tuple[int, int]:
        """How many entries and locks are held."""
        return self._cache.sizes()

    def _listen_for_evictions(self) -> None:
        """Start, once per started app (on first use, when its channels plugin is surely running), the
        task that drops entries other processes invalidated."""
        plugin = _Live.plugin
        if plugin is None:
            return
        if self._listener is not None and not self._listener.done() and self._listening_to is plugin:
            return
        self.stop_listening()
        self._listening_to = plugin
        self._listener = asyncio.get_running_loop().create_task(self._evictions(plugin))

    def stop_listening(self) -> None:
        if self._listener is not None and not self._listener.done():
            self._listener.cancel()
        self._listener = self._listening_to = None

    async def _evictions(self, plugin: ChannelsPlugin) -> None:
        async with plugin.start_subscription(CACHE_CHANNEL) as subscriber:
            async for payload in subscriber.iter_events():
                message = msgspec.json.decode(payload)
                if message.get("origin") != _process_id():
                    self.evict_local(int(message["competition_id"]))


results_cache = ResultsCache()
