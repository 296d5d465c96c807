"""The SQLite engine's group commit and connection pool, on an engine and a file of their own.

Each test holds units open with events, so it knows which units share a batch; the rows are read back through
a separate connection, as another request (or process) would see them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.columns import Integer, Varchar
from piccolo.engine.sqlite import TransactionType
from piccolo.table import Table

from core.sqlite_engine import PooledSQLiteEngine, WriteUnit

IMMEDIATE = TransactionType.immediate


class Fixture:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = PooledSQLiteEngine(str(path), readers=2, timeout=30, check_same_thread=False)

        class Item(Table, db=self.engine, tablename="item"):
            label = Varchar(length=20, unique=True)
            n = Integer(default=0)

        self.Item = Item

    def unit(self) -> WriteUnit:
        unit = self.engine.transaction(IMMEDIATE)
        assert isinstance(unit, WriteUnit)
        return unit

    def committed(self) -> list[str]:
        """The labels another connection sees (committed rows only), in insertion order."""
        with sqlite3.connect(self.path) as connection:
            return [row[0] for row in connection.execute("SELECT label FROM item ORDER BY id")]


@pytest.fixture
async def f(tmp_path: Path) -> AsyncIterator[Fixture]:
    fixture = Fixture(tmp_path / "engine.sqlite3")
    await fixture.Item.create_table()
    await fixture.engine.run_ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await fixture.engine.run_ddl(
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER "
        "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    yield fixture
    await fixture.engine.close_connection_pool()


async def insert(f: Fixture, label: str) -> None:
    await f.Item.insert(f.Item(label=label))


async def test_the_connections_keep_their_pragmas(f: Fixture) -> None:
    async with f.unit():  # the writer
        assert await f.engine._run("PRAGMA journal_mode", []) == [{"journal_mode": "wal"}]
        assert await f.engine._run("PRAGMA synchronous", []) == [{"synchronous": 1}]  # NORMAL
        assert await f.engine._run("PRAGMA foreign_keys", []) == [{"foreign_keys": 1}]
        assert await f.engine._run("PRAGMA busy_timeout", []) == [{"timeout": 30000}]
    for pragma, value in [("synchronous", 1), ("foreign_keys", 1)]:  # a reader
        assert await f.engine._run(f"PRAGMA {pragma}", []) == [{pragma: value}]


async def test_a_failing_unit_rolls_back_only_its_own_savepoint(f: Fixture) -> None:
    hold = asyncio.Event()

    async def first() -> None:
        async with f.unit():
            await insert(f, "a")
            await hold.wait()  # b and c queue behind a: one batch

    async def failing() -> None:
        async with f.unit():
            await insert(f, "b")
            await f.Item.update({f.Item.n: 9}).where(f.Item.label == "a")
            raise ValueError("b fails")

    async def third() -> None:
        async with f.unit():
            await insert(f, "c")

    tasks = [asyncio.create_task(job()) for job in (first, failing, third)]
    await asyncio.sleep(0.05)
    hold.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ValueError) and str(results[1]) == "b fails"
    assert f.committed() == ["a", "c"]
    assert await f.Item.select(f.Item.label, f.Item.n).order_by(f.Item.id) == [
        {"label": "a", "n": 0},
        {"label": "c", "n": 0},
    ]


async def test_a_failed_statement_caught_inside_a_unit_keeps_the_rest(f: Fixture) -> None:
    await insert(f, "taken")
    async with f.unit():
        await insert(f, "mine")
        with pytest.raises(sqlite3.IntegrityError):
            await insert(f, "taken")
    assert f.committed() == ["taken", "mine"]


async def test_callers_are_answered_only_after_the_commit_and_readers_see_nothing_before(f: Fixture) -> None:
    hold_second = asyncio.Event()
    b_ran = asyncio.Event()
    events: list[str] = []

    async def first() -> None:
        async with f.unit():
            await insert(f, "a")
        events.append("a answered")

    async def second() -> None:
        async with f.unit():
            await insert(f, "b")
            events.append("b body ran")
            b_ran.set()
            await hold_second.wait()
        events.append("b answered")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await asyncio.wait_for(b_ran.wait(), 20)  # the writer's thread hops take their time on a loaded machine
    await asyncio.sleep(0.05)  # time for a wrong early answer to show
    # a's body is done and b runs in the same batch: a waits for the COMMIT, and no reader sees "a" yet.
    assert events == ["b body ran"]
    assert await f.Item.count() == 0
    assert f.committed() == []
    hold_second.set()
    await asyncio.gather(*tasks)
    assert sorted(events[1:]) == ["a answered", "b answered"]
    assert f.committed() == ["a", "b"]


async def test_a_failed_commit_fails_every_unit_of_the_batch(f: Fixture) -> None:
    hold = asyncio.Event()

    async def orphan() -> None:  # the deferred foreign key fails only at COMMIT
        async with f.unit():
            await f.engine._run("INSERT INTO child (parent) VALUES (404)", [])
            await hold.wait()

    async def innocent() -> None:
        async with f.unit():
            await insert(f, "innocent")

    tasks = [asyncio.create_task(orphan()), asyncio.create_task(innocent())]
    await asyncio.sleep(0.05)
    hold.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert f.committed() == []
    await insert(f, "after")  # the writer goes on with the next batch
    assert f.committed() == ["after"]


async def test_many_concurrent_units_all_commit_in_arrival_order(f: Fixture) -> None:
    async def one(i: int) -> None:
        async with f.unit():
            await insert(f, f"u{i:04d}")
            await f.Item.select(f.Item.id).where(f.Item.label == f"u{i:04d}").first()

    await asyncio.gather(*(one(i) for i in range(600)))
    assert f.committed() == [f"u{i:04d}" for i in range(600)]


async def test_a_nested_unit_joins_the_outer_one(f: Fixture) -> None:
    async with f.unit() as outer:
        await insert(f, "outer")
        async with f.engine.transaction(IMMEDIATE) as inner:
            assert inner is outer
            await insert(f, "inner")
        async with f.engine.transaction() as plain:
            assert plain is outer
    assert f.committed() == ["outer", "inner"]
    with pytest.raises(RuntimeError):
        async with f.unit():
            await insert(f, "outer2")
            async with f.engine.transaction(IMMEDIATE):
                await insert(f, "inner2")
                raise RuntimeError("inner fails")
    assert f.committed() == ["outer", "inner"]


async def test_savepoints_inside_a_unit_work_as_in_piccolo(f: Fixture) -> None:
    async with f.unit() as unit:
        await insert(f, "kept")
        savepoint = await unit.savepoint()
        await insert(f, "undone")
        await savepoint.rollback_to()
    assert f.committed() == ["kept"]


async def test_rollback_discards_the_unit_and_commit_is_refused(f: Fixture) -> None:
    async with f.unit() as unit:
        await insert(f, "discarded")
        await unit.rollback()
    assert f.committed() == []
    from piccolo.engine.exceptions import TransactionError

    with pytest.raises(TransactionError):
        async with f.unit() as unit:
            await unit.commit()


async def test_a_caller_cancelled_while_queued_or_inside_blocks_no_one(f: Fixture) -> None:
    hold = asyncio.Event()

    async def holder() -> None:
        async with f.unit():
            await insert(f, "holder")
            await hold.wait()

    async def inside() -> None:
        async with f.unit():
            await insert(f, "cancelled-inside")
            await asyncio.sleep(10)

    first = asyncio.create_task(holder())
    queued = asyncio.create_task(insert(f, "cancelled-queued"))
    await asyncio.sleep(0.05)
    queued.cancel()
    hold.set()
    await first
    running = asyncio.create_task(inside())
    await asyncio.sleep(0.05)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await insert(f, "after")
    assert f.committed() == ["holder", "after"]


async def test_writes_outside_a_transaction_are_units_and_reads_use_the_reader_pool(f: Fixture) -> None:
    await asyncio.gather(*(insert(f, f"w{i}") for i in range(50)))
    assert len(f.committed()) == 50
    counts = await asyncio.gather(*(f.Item.count() for _ in range(40)))
    assert counts == [50] * 40
    state = f.engine.loop_state()
    assert len(state.readers) <= 2 and len(state.idle_readers) == len(state.readers)


async def test_a_plain_transaction_reads_one_snapshot_on_a_reader(f: Fixture) -> None:
    await insert(f, "before")
    async with f.engine.transaction():
        assert await f.Item.count() == 1
        await insert_elsewhere(f.path, "meanwhile")  # another process commits
        assert await f.Item.count() == 1  # the snapshot holds
    assert await f.Item.count() == 2


async def insert_elsewhere(path: Path, label: str) -> None:
    def run() -> None:
        with sqlite3.connect(path, timeout=30) as connection:
            connection.execute("INSERT INTO item (label, n) VALUES (?, 0)", (label,))

    await asyncio.to_thread(run)


BY_LABEL = "SELECT label, n FROM item WHERE label = ?"


async def test_a_read_by_key_runs_on_the_loop_and_sees_only_what_is_committed(
    f: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await insert(f, "kept")
    state = f.engine.loop_state()

    async def no_reader() -> None:
        raise AssertionError("a read by key borrowed a pooled reader")

    monkeypatch.setattr(state, "borrow_reader", no_reader)
    assert await f.engine.run_sql(BY_LABEL, ["kept"], key_read=True) == [{"label": "kept", "n": 0}]
    inside, release = asyncio.Event(), asyncio.Event()

    async def open_unit() -> None:
        async with f.unit():
            await insert(f, "pending")
            assert await f.engine.run_sql(BY_LABEL, ["pending"], key_read=True) != []  # its own write
            inside.set()
            await release.wait()

    task = asyncio.create_task(open_unit())
    await inside.wait()
    assert await f.engine.run_sql(BY_LABEL, ["pending"], key_read=True) == []  # not committed yet
    release.set()
    await task
    assert await f.engine.run_sql(BY_LABEL, ["pending"], key_read=True) == [{"label": "pending", "n": 0}]


async def test_a_read_by_key_on_a_busy_database_goes_through_the_pool(f: Fixture) -> None:
    await insert(f, "kept")
    state = f.engine.loop_state()

    class Busy:
        def execute(self, *args: object) -> None:
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            pass

    state.inline_reader = Busy()  # type: ignore[assignment]
    assert await f.engine.run_sql(BY_LABEL, ["kept"], key_read=True) == [{"label": "kept", "n": 0}]
    assert state.readers  # answered by a pooled reader


async def test_two_engines_on_one_file_take_turns_like_two_processes(f: Fixture, tmp_path: Path) -> None:
    other = Fixture(f.path)
    try:

        async def write(fixture: Fixture, i: int) -> None:
            async with fixture.unit():
                await fixture.Item.insert(fixture.Item(label=f"p{i:03d}"))
                await asyncio.sleep(0)  # give the other engine a chance to want the lock

        await asyncio.gather(*(write(f if i % 2 else other, i) for i in range(200)))
        assert sorted(f.committed()) == [f"p{i:03d}" for i in range(200)]
    finally:
        await other.engine.close_connection_pool()


async def test_stopping_commits_what_was_queued(f: Fixture) -> None:
    writes = [asyncio.create_task(insert(f, f"s{i}")) for i in range(20)]
    await asyncio.sleep(0)
    await f.engine.close_connection_pool()
    await asyncio.gather(*writes)
    assert len(f.committed()) == 20


def test_connections_are_per_event_loop(tmp_path: Path) -> None:
    fixture = Fixture(tmp_path / "loops.sqlite3")

    async def work(label: str) -> int:
        if label == "first":
            await fixture.Item.create_table()
        await insert(fixture, label)
        return await fixture.Item.count()

    assert asyncio.run(work("first")) == 1
    assert asyncio.run(work("second")) == 2  # a new loop opens connections of its own


async def test_a_failing_unit_is_answered_only_once_what_it_read_is_committed(f: Fixture) -> None:
    """Two presses of one button: the second sees the first's row and gives up; when told so, it is stored."""
    hold = asyncio.Event()
    looked = asyncio.Event()
    seen: list[int] = []

    async def first() -> None:
        async with f.unit():
            await insert(f, "mine")

    async def duplicate() -> None:
        async with f.unit():
            seen.append(await f.Item.count())
            looked.set()
            raise LookupError("already registered")

    async def slow() -> None:
        async with f.unit():
            await insert(f, "slow")
            await hold.wait()

    tasks = [asyncio.create_task(job()) for job in (first, duplicate, slow)]
    await asyncio.wait_for(looked.wait(), 20)
    await asyncio.sleep(0.05)  # time for a wrong early answer to show
    assert seen == [1] and not tasks[1].done()  # it saw "mine", which is not committed yet
    hold.set()
    with pytest.raises(LookupError):
        await tasks[1]
    assert f.committed() == ["mine", "slow"]
    await asyncio.gather(tasks[0], tasks[2])


async def test_a_task_started_inside_a_unit_that_outlives_it_is_in_no_transaction(f: Fixture) -> None:
    go = asyncio.Event()

    async def later() -> bool:
        await go.wait()
        in_transaction = f.engine.transaction_exists()
        await insert(f, "later")  # its own unit, not the ended one's connection
        return in_transaction

    async with f.unit():
        await insert(f, "unit")
        task = asyncio.create_task(later())  # inherits the unit in its context
    go.set()
    assert await task is False
    assert f.committed() == ["unit", "later"]
