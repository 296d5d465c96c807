"""Test set-up shared by every domain.

The engine is chosen per pytest run by ``YICHENG_TEST_ENGINE`` (``sqlite``, the default, or ``postgres``
with ``YICHENG_TEST_POSTGRES_URL``); ``make test`` runs the suite once per engine. Each run gets a database
of its own (a temporary SQLite file, or a fresh PostgreSQL database dropped at the end), migrated once;
the ``db`` fixture empties every table before a test, so each test starts clean.

This module sets ``YICHENG_DATABASE_URL`` before anything imports a table: Piccolo binds its engine when
``piccolo_conf`` is first imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = os.environ.get("YICHENG_TEST_ENGINE", "sqlite")
_RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"


def _postgres_admin_url() -> str:
    url = os.environ.get("YICHENG_TEST_POSTGRES_URL")
    if not url:
        raise pytest.UsageError("YICHENG_TEST_ENGINE=postgres needs YICHENG_TEST_POSTGRES_URL")
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _postgres(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_postgres_admin_url())
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _create_test_database() -> str:
    if ENGINE == "postgres":
        name = f"yicheng_test_{_RUN_ID}"
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
        return _with_database(_postgres_admin_url(), name)
    path = Path(tempfile.gettempdir()) / f"yicheng_test_{_RUN_ID}.sqlite3"
    return f"sqlite:///{path}"


TEST_DATABASE_URL = _create_test_database()
os.environ["YICHENG_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PICCOLO_CONF"] = "piccolo_conf"
os.environ.setdefault("YICHENG_SECRET_KEY", "test-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("YICHENG_LOGIN_ATTEMPTS_PER_MINUTE", "30")
# Every test client is 127.0.0.1: the per-address limits would otherwise bind across a test's many users.
os.environ.setdefault("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "1000")


def _drop_test_database() -> None:
    if ENGINE == "postgres":
        name = urlsplit(TEST_DATABASE_URL).path.lstrip("/")
        asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(TEST_DATABASE_URL.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _drop_test_database()


def pytest_report_header() -> str:
    return f"yicheng test engine: {ENGINE} ({TEST_DATABASE_URL})"


# --- the database ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def migrated() -> AsyncIterator[None]:
    from piccolo.engine.postgres import PostgresEngine

    from core.db import engine
    from core.migrations import migrate

    if ENGINE == "sqlite":
        import sqlite3

        with sqlite3.connect(TEST_DATABASE_URL.removeprefix("sqlite:///")) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    await migrate()
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(max_size=20)
    yield
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


def _all_tables() -> list[str]:
    from piccolo.conf.apps import Finder

    return [t._meta.tablename for t in Finder().get_table_classes()]


async def empty_database() -> None:
    """Every table emptied (and ids restarted)."""
    from core.db import engine

    tables = _all_tables()
    if ENGINE == "postgres":
        names = ", ".join(f'"{t}"' for t in tables)
        await engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        async with engine().transaction():
            for table in tables:
                await engine().run_ddl(f'DELETE FROM "{table}"')
            # Piccolo's SQLite ids are plain INTEGER PRIMARY KEY: an emptied table numbers from 1 again.


@pytest.fixture
async def db(migrated: None) -> AsyncIterator[None]:
    """A clean database: every table emptied (and ids restarted) before the test, and the process's caches
    of what the tables held emptied with it (ids restart; a cached board of the last test's competition 1
    would answer for this one's)."""
    from scoring import live, public_boards

    await empty_database()
    live.results_cache.clear()
    public_boards.provisional_cache.clear()
    yield


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """The URL of an empty database of its own, for a test that migrates it in subprocesses (Piccolo binds
    one engine per process): a fresh PostgreSQL database dropped afterwards, or a temporary SQLite file."""
    if ENGINE == "postgres":
        name = f"yicheng_scratch_{secrets.token_hex(4)}"
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
        try:
            yield _with_database(_postgres_admin_url(), name)
        finally:
            asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'scratch.sqlite3'}"


def run_over(url: str, *command: str) -> str:
    """What a command run in the project folder over the database at ``url`` prints; the test fails with its
    output when it fails."""
    env = {**os.environ, "YICHENG_DATABASE_URL": url, "PICCOLO_CONF": "piccolo_conf"}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


# --- the app, in process ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def app(migrated: None) -> AsyncIterator[object]:
    from app import create_app

    application = create_app()
    # Start-up (channels, cache listener, migrations check, pool) runs in the test's own event loop, once per
    # run: what ``Litestar.lifespan()`` does, less its event emitter, whose task group cannot be left from
    # the finalizer's task.
    async with contextlib.AsyncExitStack() as stack:
        for manager in application._lifespan_managers:
            context = (
                manager
                if isinstance(manager, contextlib.AbstractAsyncContextManager)
                else manager(application)
            )
            await stack.enter_async_context(context)
        for hook in application.on_startup:
            await application._call_lifespan_hook(hook)
        yield application
        for hook in application.on_shutdown:
            await application._call_lifespan_hook(hook)


@pytest.fixture
async def client(app: object, db: None) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of the in-process app, with a CSRF token ready for writes."""
    from tests.helpers import new_client

    async with new_client(app) as c:
        yield c


# --- the app, as a real server -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server (granian, as ``make run`` starts it) on a free port, over the test database.

    Two processes on PostgreSQL, as in production; one on SQLite, the only way SQLite is served."""
    from tests.servers import running_server

    log = tmp_path_factory.mktemp("live_server") / "server.log"
    with running_server(log, "--workers", "2" if ENGINE == "postgres" else "1") as base_url:
        yield base_url


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    """Argon2 with test-sized cost: hashes stay real (verify reads the cost from the hash)."""
    from argon2 import PasswordHasher

    import accounts.security

    accounts.security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
async def world(db: None) -> dict[str, object]:
    from tests.helpers import world as build_world

    return await build_world()


# --- the pages, in headless Chromium ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright. Missing Chromium skips locally and fails in CI."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - a single stat at session start
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def page(chromium: Any, live_server: str) -> AsyncIterator[Any]:
    """A fresh browser page (phone-sized, Chinese locale) on the live server; async Playwright API."""
    context = await chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}, has_touch=True
    )
    # Generous: CI runs the server, Chromium and pytest on two cores at once.
    context.set_default_timeout(20_000)
    browser_page = await context.new_page()
    yield browser_page
    await context.close()
