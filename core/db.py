"""Database helpers shared by every domain: the engine, write transactions, clocks.

Piccolo finds its engine through ``piccolo_conf.DB`` (a module global chosen from the settings), so every
table of every app shares one engine per process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache
from typing import Any, TypeVar

from piccolo.columns import JSON, JSONB, Column
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from core.errors import is_database_unavailable

T = TypeVar("T")


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


class Sql:
    """A statement a hot path runs on every request: SQL text with ``{}`` placeholders (as for
    ``Table.raw``), compiled once for the engine and handed to it as it is. ``Table.raw`` builds a Piccolo
    QueryString from the text and compiles it again on every call, which cost about as much CPU as the point
    query itself; ``rows`` answers the same dicts. Inside a transaction it runs in that transaction.

    ``key_read=True`` marks a read by a unique key (a row or a few, through an index): outside a transaction
    SQLite then runs it on the event loop's thread, microseconds, instead of a hop to a reader connection's
    thread and back (``core.sqlite_engine``). Never mark a read that scans: it would hold the loop.
    """

    __slots__ = ("_compiled", "key_read", "text")

    def __init__(self, text: str, *, key_read: bool = False) -> None:
        self.text = text
        self.key_read = key_read
        self._compiled: str | None = None  # the engine is fixed per process: compiled on first use

    def compiled(self) -> str:
        if self._compiled is None:
            parts = self.text.split("{}")
            if engine_name() == "sqlite":
                self._compiled = "?".join(parts)
            else:
                self._compiled = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        return self._compiled

    async def rows(self, *args: Any) -> list[dict[str, Any]]:
        return await engine().run_sql(self.compiled(), args, key_read=self.key_read)  # type: ignore[attr-defined]


@asynccontextmanager
async def read_snapshot() -> AsyncIterator[None]:
    """Several reads from one consistent snapshot on one connection (joins a transaction already open).

    On SQLite a deferred transaction on one pooled reader connection, which takes no write lock and never sees
    a write batch before it commits; on PostgreSQL one pooled connection.
    """
    async with engine().transaction():
        yield


@lru_cache(maxsize=1024)
def _statement(template: str) -> Sql:
    return Sql(template)


async def run_sql(template: str, *args: Any) -> list[dict[str, Any]]:
    """:class:`Sql` for text chosen at run time (a statement per kind of sheet, per count of values): each
    distinct text is compiled once. Texts come from the code, never from input, so there are few."""
    return await _statement(template).rows(*args)


async def wait_until_reachable(attempt: Callable[[], Awaitable[T]], seconds: float) -> T:
    """``attempt()`` again while the database is out of reach, for at most ``seconds``: a server process
    started before its database (both restarted after a power cut) waits for it instead of dying at
    start-up. An error that is not the database being out of reach (a wrong password, a database that does
    not exist) is raised at once."""
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            return await attempt()
        except Exception as exc:
            # OSError: also what asyncpg raises when every address of the host refused the connection.
            out_of_reach = is_database_unavailable(exc) or isinstance(exc, OSError)
            if not out_of_reach or time.monotonic() + delay > deadline:
                raise
            logging.getLogger(__name__).warning("the database is not reachable yet (%r): waiting", exc)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def wait_for_database(seconds: float) -> None:
    """Until the process's database answers, at most ``seconds`` (:func:`wait_until_reachable`)."""
    await wait_until_reachable(lambda: run_sql("SELECT 1 AS ok"), seconds)


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


# asyncpg refuses a statement with more than 32,767 parameters (PostgreSQL's wire protocol counts them in an
# Int16), and SQLite allows 32,766: a bulk insert goes in chunks under that.
MAX_PARAMETERS = 32_000


@lru_cache(maxsize=256)  # a few kinds of upload, a few row counts each; bounded all the same
def _insert_sql(table: type[Table], rows: int, returning: tuple[str, ...]) -> str:
    """``INSERT`` of ``rows`` rows of every column but the serial key (once per table, count and return)."""
    names = [c._meta.db_column_name for c in _inserted_columns(table)]
    row = "(" + ", ".join(["{}"] * len(names)) + ")"
    sql = f'INSERT INTO "{table._meta.tablename}" ({_quoted(names)}) VALUES ' + ", ".join([row] * rows)
    return sql + (f" RETURNING {_quoted(returning)}" if returning else "")


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


@cache
def _inserted_columns(table: type[Table]) -> tuple[Column, ...]:
    return tuple(c for c in table._meta.columns if not c._meta.primary_key)


@cache
def _json_columns(table: type[Table]) -> frozenset[str]:
    return frozenset(c._meta.name for c in _inserted_columns(table) if isinstance(c, JSON | JSONB))


# Values every driver takes as they are (Piccolo's columns keep a row's values in its __dict__).
_PLAIN = frozenset({str, int, bool, float, bytes, dt.datetime, dt.date, Decimal, uuid.UUID, type(None)})


def _values(row: Table | Mapping[str, Any], names: Sequence[str], json_names: frozenset[str]) -> list[Any]:
    """A row's values as the driver takes them (what Piccolo's insert does for the types our rows hold)."""
    values = row if isinstance(row, Mapping) else vars(row)
    out = [values[name] for name in names]
    for index, value in enumerate(out):
        if type(value) in _PLAIN:
            continue
        if isinstance(value, Table):
            out[index] = value.id
        elif isinstance(value, Enum):
            out[index] = value.value
        elif names[index] in json_names:
            out[index] = dump_json(value)
    return out


async def insert_rows(
    table: type[Table], rows: Sequence[Table | Mapping[str, Any]], *, returning: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Insert rows as SQL text built once per table and row count, in chunks under the parameter limit:
    Piccolo's own insert builds a query object per value, which costs more than the database does.

    A row is a Piccolo row, or (cheaper still: no Piccolo object per row) a mapping with a value for every
    column but the serial key. Returns the ``returning`` columns of every row, in no promised order (match
    them by a unique column)."""
    names = [c._meta.name for c in _inserted_columns(table)]
    json_names = _json_columns(table)
    per_chunk = max(1, min(500, MAX_PARAMETERS // len(names)))
    out: list[dict[str, Any]] = []
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        args = [value for row in chunk for value in _values(row, names, json_names)]
        out += await run_sql(_insert_sql(table, len(chunk), tuple(returning)), *args)
    return out
