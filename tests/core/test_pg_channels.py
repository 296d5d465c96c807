"""The live events' PostgreSQL backend: one kept publishing connection, survives lost connections, never
lets a failed publish end the plugin's publishing (the stock backend's task died and shutdown hung)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from litestar.channels import ChannelsPlugin

from core.pg_channels import KeptAsyncPgChannelsBackend
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL only")

DSN = os.environ["YICHENG_DATABASE_URL"]


class CountingBackend(KeptAsyncPgChannelsBackend):
    """Counts the connections it opens; `refuse` makes the next ones fail as an unreachable database does."""

    def __init__(self) -> None:
        super().__init__(dsn=DSN)
        self.opened = 0
        self.refuse: Exception | None = None
        connect = self._connect

        async def counted() -> asyncpg.Connection:
            if self.refuse is not None:
                raise self.refuse
            self.opened += 1
            return await connect()

        self._connect = counted


@pytest.fixture
async def plugin() -> AsyncIterator[ChannelsPlugin]:
    backend = CountingBackend()
    channels = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    await channels._on_startup()
    yield channels
    await asyncio.wait_for(channels._on_shutdown(), timeout=10)  # never hangs


def counting(plugin: ChannelsPlugin) -> CountingBackend:
    backend = plugin._backend
    assert isinstance(backend, CountingBackend)
    return backend


async def _terminate(connection: asyncpg.Connection) -> None:
    admin = await asyncpg.connect(DSN)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())
    finally:
        await admin.close()


async def _until(condition: Callable[[], bool]) -> None:
    """Waits (at most 20 s) for what the backend does in a task of its own."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the backend did not get there")


async def _next(subscriber: AsyncIterator[bytes]) -> bytes:
    return await asyncio.wait_for(anext(subscriber), timeout=10)


async def test_events_go_over_one_kept_connection(migrated: None, plugin: ChannelsPlugin) -> None:
    backend = counting(plugin)
    async with plugin.start_subscription("c:1") as subscriber:
        events = subscriber.iter_events()
        for n in range(20):
            plugin.publish(str(n).encode(), "c:1")
        assert [await _next(events) for _ in range(20)] == [str(n).encode() for n in range(20)]
    assert backend.opened == 2  # the listener and one publisher, not one connection per event


async def test_a_lost_publishing_connection_is_made_again(migrated: None, plugin: ChannelsPlugin) -> None:
    backend = counting(plugin)
    async with plugin.start_subscription("c:2") as subscriber:
        events = subscriber.iter_events()
        plugin.publish(b"before", "c:2")
        assert await _next(events) == b"before"
        # Cut several times: asyncpg answers a cut connection in more than one way (see the module).
        for cut in range(6):
            assert backend._publisher is not None
            await _terminate(backend._publisher)  # a database restart or a cut, as the server sees it
            plugin.publish(f"after {cut}".encode(), "c:2")
            assert await _next(events) == f"after {cut}".encode()


# The database unreachable, and what asyncpg raises for about one in three connections the server cut.
FAILURES = [
    ConnectionRefusedError("the database is down"),
    asyncpg.InternalClientError("cannot switch to state 11; another operation (2) is in progress"),
]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda error: type(error).__name__)
async def test_a_failed_publish_is_dropped_and_publishing_goes_on(
    migrated: None, plugin: ChannelsPlugin, failure: Exception
) -> None:
    backend = counting(plugin)
    async with plugin.start_subscription("c:3") as subscriber:
        events = subscriber.iter_events()
        assert backend._publisher is None
        backend.refuse = failure
        plugin.publish(b"lost", "c:3")  # logged and dropped, not raised
        await asyncio.wait_for(plugin._pub_queue.join(), timeout=10)
        assert plugin._pub_task is not None and not plugin._pub_task.done()
        backend.refuse = None
        plugin.publish(b"next", "c:3")
        assert await _next(events) == b"next"


async def test_a_lost_listening_connection_listens_again(migrated: None, plugin: ChannelsPlugin) -> None:
    backend = counting(plugin)
    async with plugin.start_subscription("c:4") as subscriber:
        events = subscriber.iter_events()
        lost = backend._listener_conn
        await _terminate(lost)
        await _until(lambda: backend._listener_conn is not lost)  # noticed, then made again
        plugin.publish(b"again", "c:4")
        assert await _next(events) == b"again"


async def test_a_channel_subscribed_while_the_listener_is_down_is_listened_to_after(
    migrated: None, plugin: ChannelsPlugin
) -> None:
    backend = counting(plugin)
    lost = backend._listener_conn
    backend.refuse = ConnectionRefusedError("the database is down")  # unreachable for a while
    await _terminate(lost)
    await _until(lost.is_closed)
    async with plugin.start_subscription("c:5") as subscriber:  # a page opens its stream meanwhile
        backend.refuse = None
        await _until(lambda: backend._listener_conn is not lost)
        plugin.publish(b"seen", "c:5")
        assert await _next(subscriber.iter_events()) == b"seen"
