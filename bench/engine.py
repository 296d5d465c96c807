"""The engine's floor: one transaction per registration (claim a place, insert a row), no HTTP.

2,000 such transactions, 64 at once, first on Piccolo's stock ``SQLiteEngine`` the way the platform used it
before issue 12 (a new connection per transaction, ``BEGIN IMMEDIATE`` behind a per-process asyncio lock, WAL
with ``synchronous=FULL``), then on ``core.sqlite_engine.PooledSQLiteEngine`` (kept connections, group
commit). Each runs on a fresh file of its own with two small tables, in this process: what the figures
compare is the engine alone, under the same load at the same moment.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from piccolo.columns import Boolean, ForeignKey, Integer
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from core.sqlite_engine import PooledSQLiteEngine

UNITS = 2_000
AT_ONCE = 64
PLACES = 300


def _tables(engine: SQLiteEngine) -> tuple[type[Table], type[Table]]:
    class Place(Table, db=engine, tablename="place"):
        capacity = Integer()
        taken = Integer(default=0)

    class Entry(Table, db=engine, tablename="entry"):
        place = ForeignKey(Place)
        accepted = Boolean()

    return Place, Entry


async def _units_per_s(engine: SQLiteEngine, transaction: Callable[[], AbstractAsyncContextManager]) -> float:
    place_table, entry_table = _tables(engine)
    await place_table.create_table()
    await entry_table.create_table()
    await place_table.insert(place_table(capacity=PLACES))
    at_once = asyncio.Semaphore(AT_ONCE)

    async def register() -> None:
        async with at_once, transaction():
            claimed = await (
                place_table.update({place_table.taken: place_table.taken + 1})
                .where((place_table.id == 1) & (place_table.taken < place_table.capacity))
                .returning(place_table.taken)
            )
            await entry_table.insert(entry_table(place=1, accepted=bool(claimed)))

    start = time.perf_counter()
    await asyncio.gather(*(register() for _ in range(UNITS)))
    elapsed = time.perf_counter() - start
    assert await entry_table.count().where(entry_table.accepted.eq(True)) == PLACES
    return UNITS / elapsed


async def _stock(path: Path) -> float:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
    engine = SQLiteEngine(path=str(path), timeout=30, check_same_thread=False)
    lock = asyncio.Lock()

    class Locked:
        async def __aenter__(self) -> None:
            await lock.acquire()
            self.txn = engine.transaction(transaction_type=TransactionType.immediate)
            await self.txn.__aenter__()

        async def __aexit__(self, *exc: object) -> None:
            try:
                await self.txn.__aexit__(*exc)
            finally:
                lock.release()

    return await _units_per_s(engine, Locked)


async def _pooled(path: Path) -> float:
    engine = PooledSQLiteEngine(str(path), timeout=30, check_same_thread=False)
    try:
        return await _units_per_s(engine, lambda: engine.transaction(TransactionType.immediate))
    finally:
        await engine.close_connection_pool()


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="yicheng-engine-") as folder:
        stock = asyncio.run(_stock(Path(folder) / "stock.sqlite3"))
        pooled = asyncio.run(_pooled(Path(folder) / "pooled.sqlite3"))
    return {"engine_stock_units_per_s": round(stock, 1), "engine_units_per_s": round(pooled, 1)}
