"""Database helpers shared by every domain: the engine, write transactions, clocks.

Piccolo finds its engine through ``piccolo_conf.DB`` (a module global chosen from the settings), so every
table of every app shares one engine per process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


@cache
def engine() -> Engine:
    """The process's engine (fixed when piccolo_conf is first imported), looked up once."""
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("piccolo_conf.DB is not defined")
    return found


def engine_name() -> str:
    return "sqlite" if isinstance(engine(), SQLiteEngine) else "postgres"


# One queue of SQLite writers per event loop (so per process, and per test loop).
_SQLITE_WRITERS: dict[int, asyncio.Lock] = {}


def _sqlite_writer_queue() -> asyncio.Lock:
    loop = id(asyncio.get_running_loop())
    lock = _SQLITE_WRITERS.get(loop)
    if lock is None:
        lock = _SQLITE_WRITERS[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """One atomic write: everything inside commits together or not at all.

    On SQLite the transaction is IMMEDIATE, so it takes the write lock at BEGIN: two writers queue instead
    of both reading, then one failing to upgrade its lock (``database is locked``). Within one process they
    also queue first come, first served on an asyncio lock: left to SQLite's busy handler alone, whose
    back-off polls, a burst of writers starves some of them for seconds. Other processes still take turns
    through SQLite's lock and its busy timeout. PostgreSQL needs neither: row locks do it.
    Inside an existing transaction Piccolo simply joins it.
    """
    db = engine()
    if db.transaction_exists():
        async with db.transaction() as txn:  # joins the outer transaction
            yield txn
    elif isinstance(db, SQLiteEngine):
        async with _sqlite_writer_queue(), db.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with db.transaction() as txn:
            yield txn


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
