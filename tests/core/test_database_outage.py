"""A database out of reach (restarting, failing over, refusing connections, a connection cut) is answered
503 in Chinese with Retry-After, never 500: the request is worth sending again, and the tablets' outbox does.
A real server over PostgreSQL has its connections cut under it and answers every request either as usual or
503, then recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from core.errors import exception_handlers
from tests.conftest import ENGINE, run_over
from tests.servers import free_port, running_server, wait_for_workers

LOST_DATABASE = [
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    asyncpg.exceptions.InterfaceError("connection is closed"),
    ConnectionRefusedError(111, "Connect call failed"),
    sqlite3.OperationalError("database is locked"),
]


def _raising(error: Exception) -> Litestar:
    @get("/work", sync_to_thread=False)
    def work() -> None:
        raise error

    return Litestar([work], exception_handlers=exception_handlers())


@pytest.mark.parametrize("error", LOST_DATABASE, ids=lambda error: type(error).__name__)
async def test_a_lost_database_is_a_503_to_try_again(error: Exception) -> None:
    async with AsyncTestClient(_raising(error)) as client:
        response = await client.get("/work")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "稍后重试" in response.json()["message"]
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        asyncpg.exceptions.UndefinedColumnError("column x does not exist"),
        sqlite3.OperationalError("no such column: x"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_a_fault_of_the_code_is_still_a_500(error: Exception) -> None:
    async with AsyncTestClient(_raising(error)) as client:
        response = await client.get("/work")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"


async def _cut_every_connection(database: str) -> int:
    from tests.conftest import _postgres_admin_url

    admin = await asyncpg.connect(_postgres_admin_url())
    try:
        cut = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return len(cut)


async def _storm(base_url: str, database: str) -> list[httpx.Response]:
    """Log-in attempts, 16 at a time (each reads the account and writes its counter), while every connection
    to the database is cut three times under them."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await client.get("/login")  # the CSRF cookie
        client.headers["x-csrftoken"] = client.cookies.get("csrftoken", "")

        async def attempt() -> httpx.Response:
            return await client.post(
                "/api/auth/login", json={"username": "nobody", "password": "wrong-pass1"}
            )

        async def attempts(count: int) -> list[httpx.Response]:
            return [await attempt() for _ in range(count)]

        async def cuts() -> None:
            cut = 0
            for _ in range(3):
                await asyncio.sleep(0.15)
                cut += await _cut_every_connection(database)
            assert cut > 0

        assert (await attempt()).status_code == 401
        *answered, _ = await asyncio.gather(*(attempts(15) for _ in range(16)), cuts())
        return [response for responses in answered for response in responses]


async def _answers_as_usual_within(base_url: str, seconds: float) -> bool:
    async with httpx.AsyncClient(base_url=base_url) as client:
        await client.get("/login")
        client.headers["x-csrftoken"] = client.cookies.get("csrftoken", "")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            body = {"username": "nobody", "password": "wrong-pass1"}
            if (await client.post("/api/auth/login", json=body)).status_code == 401:
                return True
            await asyncio.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL: connections the server cuts")
def test_a_server_whose_connections_are_cut_answers_503_or_as_usual_and_recovers(
    scratch_database: str, tmp_path: Path
) -> None:
    run_over(scratch_database, sys.executable, "cli.py", "migrate")
    database = urlsplit(scratch_database).path.lstrip("/")
    env = {"YICHENG_DATABASE_URL": scratch_database, "YICHENG_LOGIN_ATTEMPTS_PER_MINUTE": "1000000"}
    log = tmp_path / "server.log"
    with running_server(log, "--workers", "2", env=env) as base_url:
        wait_for_workers(log, 2)  # a cut during a worker's start-up is another test's matter (respawn)
        responses = asyncio.run(_storm(base_url, database))
        assert asyncio.run(_answers_as_usual_within(base_url, 20)), "the server did not recover"
    statuses = sorted({response.status_code for response in responses})
    assert set(statuses) <= {401, 503}, statuses
    for response in responses:
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) > 0 and "稍后重试" in response.json()["message"]
    text = log.read_text(errors="replace")
    assert "unhandled error" not in text
    # and it stopped when told: a connection whose request the cut ended had held the pool's close forever
    assert "shutdown completed" in text, text[-2000:]


# --- a server started before its database ------------------------------------------------------------------


async def test_start_up_waits_for_a_database_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import db

    answers: list[BaseException | None] = [ConnectionRefusedError(111, "refused"), OSError("unreachable")]
    calls: list[str] = []

    async def run_sql(template: str, *args: object) -> list[dict[str, object]]:
        calls.append(template)
        error = answers.pop(0) if answers else None
        if error is not None:
            raise error
        return [{"ok": 1}]

    monkeypatch.setattr(db, "run_sql", run_sql)
    await db.wait_for_database(30)
    assert len(calls) == 3  # two refusals waited out, then the answer


@pytest.mark.parametrize(
    ("error", "seconds"),
    [
        (asyncpg.exceptions.InvalidPasswordError("password authentication failed"), 30),
        (asyncpg.exceptions.InvalidCatalogNameError('database "x" does not exist'), 30),
        (ConnectionRefusedError(111, "refused"), 0),
    ],
    ids=["wrong password", "no such database", "no time to wait"],
)
async def test_start_up_gives_up_on_what_waiting_cannot_mend(
    monkeypatch: pytest.MonkeyPatch, error: Exception, seconds: int
) -> None:
    from core import db

    async def run_sql(template: str, *args: object) -> list[dict[str, object]]:
        raise error

    monkeypatch.setattr(db, "run_sql", run_sql)
    with pytest.raises(type(error)):
        await db.wait_for_database(seconds)


def _forward_later(port: int, delay: float) -> Callable[[], None]:
    """After ``delay`` seconds, a TCP forwarder on ``port`` to the PostgreSQL server the tests use (the
    database coming up late), in a thread of its own; returns the function that stops it."""
    from tests.conftest import _postgres_admin_url

    target = urlsplit(_postgres_admin_url())
    loop = asyncio.new_event_loop()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(target.hostname, target.port or 5432)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def serve() -> None:
        await asyncio.sleep(delay)
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    main = loop.create_task(serve())

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)
        rest = asyncio.all_tasks(loop)
        for task in rest:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop() -> None:
        loop.call_soon_threadsafe(main.cancel)
        thread.join(timeout=10)

    return stop


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL: a database server that comes up late")
def test_a_server_started_before_its_database_waits_for_it(scratch_database: str, tmp_path: Path) -> None:
    run_over(scratch_database, sys.executable, "cli.py", "migrate")
    port = free_port()
    late_url = urlunsplit(urlsplit(scratch_database)._replace(netloc=f"postgres@127.0.0.1:{port}"))
    stop = _forward_later(port, delay=3)
    log = tmp_path / "server.log"
    try:
        with running_server(log, env={"YICHENG_DATABASE_URL": late_url}) as base_url:
            assert httpx.get(f"{base_url}/health", timeout=5).json()["status"] == "ok"
    finally:
        stop()
    assert "the database is not reachable yet" in log.read_text(errors="replace")
