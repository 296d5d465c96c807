"""The PostgreSQL pool takes its size from the settings, and a small size still starts."""

from __future__ import annotations

import os

import pytest

from core.postgres_engine import PooledPostgresEngine
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL only")


@pytest.mark.parametrize(("pool_size", "idle"), [(1, 1), (3, 2), (12, 2)])
async def test_the_pool_is_sized_from_the_settings(migrated: None, pool_size: int, idle: int) -> None:
    engine = PooledPostgresEngine(config={"dsn": os.environ["YICHENG_DATABASE_URL"]}, pool_size=pool_size)
    await engine.start_connection_pool()
    try:
        assert engine.pool is not None
        assert (engine.pool.get_max_size(), engine.pool.get_min_size()) == (pool_size, idle)
        assert (await engine.run_ddl("SELECT 1 AS one"))[0]["one"] == 1
    finally:
        await engine.close_connection_pool()


async def test_an_explicit_size_wins(migrated: None) -> None:
    engine = PooledPostgresEngine(config={"dsn": os.environ["YICHENG_DATABASE_URL"]}, pool_size=10)
    await engine.start_connection_pool(max_size=4)
    try:
        assert engine.pool is not None and engine.pool.get_max_size() == 4
    finally:
        await engine.close_connection_pool()


async def test_a_connection_comes_back_from_the_pool_without_a_transaction_left_open(migrated: None) -> None:
    """The pool sends no reset query on release, but asyncpg still rolls back what a holder left open."""
    engine = PooledPostgresEngine(config={"dsn": os.environ["YICHENG_DATABASE_URL"]}, pool_size=1)
    await engine.start_connection_pool()
    try:
        assert engine.pool is not None
        async with engine.pool.acquire() as connection:
            await connection.execute("BEGIN")
            await connection.execute("CREATE TEMP TABLE left_open (n int)")
        async with engine.pool.acquire() as connection:
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT to_regclass('left_open')") is None  # rolled back
    finally:
        await engine.close_connection_pool()
