"""Database helpers shared by every domain: the engine, write transactions, clocks.

Piccolo finds its engine through ``piccolo_conf.DB`` (a module global chosen from the settings), so every
table of every app shares one engine per process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from string import Formatter
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString


@cache
def engine() -> Engine:
    """The process's engine (fixed when piccolo_conf is first imported), looked up once."""
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("piccolo_conf.DB is not defined")
    return found


def engine_name() -> str:
    return "sqlite" if isinstance(engine(), SQLiteEngine) else "postgres"


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """One atomic write: everything inside commits together or not at all.

    On SQLite it is a write unit of the engine's group commit (``core.sqlite_engine``): units queue first
    come, first served on the process's one writer connection, run one after another inside one
    ``BEGIN IMMEDIATE`` transaction, a savepoint each, and the block is left only once the shared COMMIT
    has succeeded (a unit that raises is rolled back alone). Other processes take turns through SQLite's
    lock and its busy timeout.
    On PostgreSQL it is an ordinary transaction on a pooled connection: row locks order the writers.
    Inside an existing transaction it simply joins it.
    """
    db = engine()
    if db.transaction_exists():
        async with db.transaction() as txn:  # joins the outer transaction
            yield txn
    elif isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with db.transaction() as txn:
            yield txn


@asynccontextmanager
async def read_snapshot() -> AsyncIterator[None]:
    """Several reads from one consistent snapshot on one connection (joins a transaction already open).

    On SQLite a deferred transaction on one pooled reader connection, which takes no write lock and never sees
    a write batch before it commits; on PostgreSQL one pooled connection.
    """
    async with engine().transaction():
        yield


class _Compiled(QueryString):
    """A statement already compiled for the engine, with its arguments as they go to the driver."""

    def __init__(self, compiled: str, args: tuple[Any, ...]) -> None:
        self.template, self.args, self.columns = compiled, args, []
        self.query_type, self.table, self._alias = "generic", None, None
        self._frozen_compiled_strings = (compiled, list(args))


@cache
def _compiled(template: str, engine_type: str) -> str:
    """``template`` with its ``{}`` placeholders in the engine's own form (``?`` or ``$n``), as Piccolo
    compiles them."""
    count = sum(1 for _, name, _, _ in Formatter().parse(template) if name is not None)
    return QueryString(template, *([None] * count)).compile_string(engine_type)[0]


async def run_sql(template: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL text built once, like ``Table.raw(template, *args)`` but without building the query again:
    Piccolo's ``QueryString`` inspects every argument (for nested columns and queries) and parses the
    template on every call, 100 µs for a statement of 50 values, most of a hot write's Python time."""
    db = engine()
    rows = await db.run_querystring(_Compiled(_compiled(template, db.engine_type), args), in_pool=True)
    return db.transform_response_to_dicts(rows) if rows else []


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware (stored as UTC, shown in Asia/Shanghai)."""
    return dt.datetime.now(dt.UTC)


SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def today_shanghai() -> dt.date:
    return utcnow().astimezone(SHANGHAI).date()


def is_unique_violation(exc: BaseException) -> bool:
    """True when a write failed on a UNIQUE constraint, on SQLite or PostgreSQL alike."""
    name = type(exc).__name__
    text = str(exc)
    return name == "UniqueViolationError" or (name == "IntegrityError" and "UNIQUE" in text)


def instant(value: Any) -> dt.datetime | None:
    """A timestamp as the engine returns it from a raw query (a datetime, or ISO text on SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
