"""Litestar's PostgreSQL LISTEN/NOTIFY channels backend, made fit for a server that runs for months.

The stock ``AsyncPgChannelsBackend`` opens a new connection for every event it publishes (one per judge's
sheet, on a busy day thousands a minute), lets a failed publish raise out of the plugin's one publishing
task (that task then ends: every later event of the process is silently lost, and shutdown waits forever
for its queue to drain), and never re-opens its listening connection once the database restarted. This
subclass:

- publishes over one kept connection, made again on the next event after it failed;
- logs a publish that failed twice and drops that event, never raising, whatever the error: a page that
  missed it catches up on the next event, a cache that missed an eviction on its TTL (asyncpg does not only
  raise connection errors for a connection the server cut: about one time in three it raises
  ``InternalClientError`` "cannot switch to state 11; another operation is in progress");
- re-opens the listening connection when it is lost, and listens again on every channel it had.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable
from functools import partial

import asyncpg
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from core.db import wait_until_reachable

log = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# A connect or a NOTIFY that takes longer is given up: the plugin publishes through one task, and an event
# stuck on a half-open socket would hold every later one (and shutdown, which waits for them).
TIMEOUT_S = 5.0


class KeptAsyncPgChannelsBackend(AsyncPgChannelsBackend):
    def __init__(self, dsn: str, *, start_wait_s: float = 0) -> None:
        super().__init__(make_connection=partial(asyncpg.connect, dsn=dsn, timeout=TIMEOUT_S))
        self._start_wait_s = start_wait_s  # how long start-up waits for a database out of reach
        self._publisher: asyncpg.Connection | None = None
        self._closing = False
        self._reconnecting: asyncio.Task[None] | None = None

    async def on_startup(self) -> None:
        self._closing = False
        await wait_until_reachable(super().on_startup, self._start_wait_s)
        self._listener_conn.add_termination_listener(self._listener_lost)

    async def on_shutdown(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._publisher is not None:
            await self._close_quietly(self._publisher)
            self._publisher = None
        await super().on_shutdown()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        text = data.decode("utf-8")
        for attempt in (1, 2):
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await self._connect()
                for channel in channels:
                    await self._publisher.execute(
                        "SELECT pg_notify($1, $2)", channel, text, timeout=TIMEOUT_S
                    )
                return
            except Exception as error:  # the plugin's one publishing task must never end
                if self._publisher is not None:
                    await self._close_quietly(self._publisher)
                self._publisher = None
                if attempt == 2:
                    log.warning("live event dropped, the database did not take it: %r", error)

    async def subscribe(self, channels: Iterable[str]) -> None:
        """While the listening connection is being made again, a channel is only noted: the new connection
        listens to every noted channel."""
        async with self._listener_lock:
            if self._listener_conn.is_closed():
                self._subscribed_channels.update(channels)
                return
        await super().subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._listener_lock:
            if self._listener_conn.is_closed():
                self._subscribed_channels.difference_update(channels)
                return
        await super().unsubscribe(channels)

    def _listener_lost(self, connection: asyncpg.Connection) -> None:
        if self._closing or connection is not self._listener_conn:
            return
        log.warning("the live events' listening connection was lost; listening again")
        self._reconnecting = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        for delay in itertools.chain(RECONNECT_DELAYS_S, itertools.repeat(RECONNECT_DELAYS_S[-1])):
            await asyncio.sleep(delay)
            connection: asyncpg.Connection | None = None
            try:
                connection = await self._connect()
                async with self._listener_lock:
                    for channel in self._subscribed_channels:
                        await connection.add_listener(channel, self._listener)  # type: ignore[arg-type]
                    self._listener_conn = connection
                connection.add_termination_listener(self._listener_lost)
                log.info("listening to live events again")
                return
            except Exception as error:  # given up only at shutdown, which cancels this task
                if connection is not None:
                    await self._close_quietly(connection)
                log.warning("listening again failed, retrying: %r", error)

    @staticmethod
    async def _close_quietly(connection: asyncpg.Connection) -> None:
        try:
            await asyncio.wait_for(connection.close(), timeout=2)
        except Exception:  # a connection that cannot close cleanly is cut
            connection.terminate()
