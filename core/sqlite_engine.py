"""Piccolo's SQLite engine with kept connections and group commit.

Piccolo's own ``SQLiteEngine`` opens a new connection (a new thread) and runs ``PRAGMA foreign_keys`` for
every query outside a transaction, and runs that PRAGMA again before every statement inside one. Here, per
process and event loop:

- one **writer** connection, kept open, with its PRAGMAs set once (WAL, ``synchronous=NORMAL``, foreign keys,
  busy timeout), whose statements run on the event loop's thread (see :class:`InlineWriter`);
- a small pool of **reader** connections, likewise kept: a query outside any transaction borrows one for the
  statement, a plain (deferred) ``transaction()`` borrows one for its whole length;
- one **inline reader** for the reads a hot path marks as by a unique key (``core.db.Sql(key_read=True)``):
  they run on the event loop's thread, as the writer's statements do (see :meth:`_LoopState.read_inline`);
- **group commit**: ``transaction(TransactionType.immediate)`` (what ``core.db.write_transaction`` opens) is a
  *write unit*. Units queue first come, first served; one writer task takes them in order and runs them in one
  ``BEGIN IMMEDIATE`` transaction, a ``SAVEPOINT`` each. A unit's code runs in its caller's own task with
  ordinary Piccolo queries: Piccolo finds the shared transaction through its context variable, which the unit
  sets for the caller while it holds the writer. A unit that raises rolls back to its savepoint, so nothing of
  it stays and no other unit is touched; its caller gets its own exception. A unit that finishes releases its
  savepoint. Every caller is answered only once the batch's ``COMMIT`` is done (a failed COMMIT fails every
  unit of the batch): a unit may have read what an earlier unit of its batch wrote, and its caller must not
  act on that before it is committed. One fsync-free WAL commit then serves a whole burst of writers.

Readers never see a batch before it commits (separate connections over WAL). Several processes on one file
stay correct: each batch takes SQLite's write lock with ``BEGIN IMMEDIATE`` and waits on the busy timeout.
``synchronous=NORMAL`` in WAL mode loses nothing when a process dies (kill -9): the WAL is in the operating
system's hands at COMMIT; only a power cut may undo the last commits, never corrupt the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
from piccolo.engine.exceptions import TransactionError
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

logger = logging.getLogger(__name__)

CONNECTION_PRAGMAS = ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL")
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class BatchFailed(RuntimeError):
    """The group transaction a write unit belonged to was lost, so the unit was not committed."""


async def open_reader(kwargs: dict[str, Any]) -> aiosqlite.Connection:
    """A reader with this engine's PRAGMAs, on a daemon thread (a kept connection never blocks exit)."""
    connection = aiosqlite.connect(**kwargs)
    connection._thread.daemon = True  # aiosqlite's worker thread; its sqlite3 handle closes with the process
    await connection
    connection.row_factory = dict_factory
    for pragma in CONNECTION_PRAGMAS:
        await connection.execute(pragma)
    return connection


def open_inline_reader(kwargs: dict[str, Any]) -> sqlite3.Connection:
    """The inline reader: never waits for a lock (``timeout=0``): a busy database answers at once and the
    read goes to a pooled reader instead, so the event loop is never held by another process's lock."""
    connection = sqlite3.connect(**{**kwargs, "timeout": 0})
    connection.row_factory = dict_factory
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection


class InlineWriter:
    """The writer connection. Inside a batch SQLite's write lock is already held, so no statement ever waits
    for a lock: statements run right on the event loop's thread (a few microseconds; a hop to a connection
    thread and back costs 50 to 150 times that, and the batch's units run one after another). What may wait,
    ``BEGIN IMMEDIATE`` (another process's lock) and ``COMMIT``/``ROLLBACK`` (a WAL checkpoint's fsync), runs
    on the writer's own thread. The aiosqlite-like ``execute``/``execute_fetchall`` are what Piccolo and this
    module call on a transaction's connection.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    @classmethod
    async def open(cls, kwargs: dict[str, Any]) -> InlineWriter:
        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(**kwargs)
            connection.row_factory = dict_factory
            # WAL is the file's own mode, kept once set. Setting it again is not free: while another
            # process writes, SQLite can refuse it at once ("database is locked", no busy wait), so it is
            # only asked of a file not yet in WAL mode.
            if connection.execute("PRAGMA journal_mode").fetchone()["journal_mode"] != "wal":
                connection.execute("PRAGMA journal_mode = WAL")
            for pragma in CONNECTION_PRAGMAS:
                connection.execute(pragma)
            return connection

        return cls(await asyncio.to_thread(connect))

    async def execute(self, sql: str, parameters: Any = ()) -> None:
        self._connection.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        return self._connection.execute(sql, parameters).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Bulk loads (the term demo): many rows in one statement, on the writer's thread (seconds)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._connection.executemany, sql, rows)

    async def execute_waiting(self, sql: str) -> None:
        """A statement that may wait (for a lock or the disk), off the event loop."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._connection.execute, sql)

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._connection.close)
        self._thread.shutdown(wait=False)


@dataclass(eq=False)
class _Unit:
    """One write unit's hand-offs with the writer task (all futures of the unit's event loop)."""

    started: asyncio.Future[None]  # the writer opened the unit's savepoint: its body may run
    finished: asyncio.Future[bool]  # the body ended: True to keep it, False to roll it back
    answered: asyncio.Future[None]  # the batch committed; an exception if it failed


def _new_unit() -> _Unit:
    loop = asyncio.get_running_loop()
    return _Unit(loop.create_future(), loop.create_future(), loop.create_future())


def _settle(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


@dataclass(eq=False)
class _LoopState:
    """The connections and the writer task of one event loop (connections and futures belong to one loop)."""

    engine: PooledSQLiteEngine
    pid: int = field(default_factory=os.getpid)
    queue: asyncio.Queue[_Unit | None] = field(default_factory=asyncio.Queue)
    readers: list[aiosqlite.Connection] = field(default_factory=list)  # every reader opened
    idle_readers: list[aiosqlite.Connection] = field(default_factory=list)
    reader_waiters: deque[asyncio.Future[aiosqlite.Connection]] = field(default_factory=deque)
    opening_readers: int = 0
    inline_reader: sqlite3.Connection | None = None
    writer: InlineWriter | None = None
    writer_task: asyncio.Task[None] | None = None

    # --- readers ------------------------------------------------------------------------------------------

    async def borrow_reader(self) -> aiosqlite.Connection:
        if self.idle_readers:
            return self.idle_readers.pop()
        if len(self.readers) + self.opening_readers < self.engine.readers:
            self.opening_readers += 1
            try:
                connection = await open_reader(self.engine.connection_kwargs)
            finally:
                self.opening_readers -= 1
            self.readers.append(connection)
            return connection
        waiter = asyncio.get_running_loop().create_future()
        self.reader_waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back(waiter.result())  # handed over just as its borrower gave up
            raise

    def give_back(self, connection: aiosqlite.Connection) -> None:
        """Back to the pool, or straight to the longest-waiting borrower."""
        while self.reader_waiters:
            waiter = self.reader_waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle_readers.append(connection)

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.borrow_reader()
        try:
            yield connection
        finally:
            self.give_back(connection)

    def read_inline(self, query: str, args: Sequence[Any]) -> list[Any] | None:
        """A read by a unique key, right on the event loop's thread: a few microseconds, where a hop to a
        pooled reader's thread and back costs 50 to 150 times that on a busy machine (the GIL changes hands
        twice). In WAL mode a reader takes no lock a writer holds; None if the database was busy anyway
        (another process resetting the WAL): the caller then reads through the pool."""
        if self.inline_reader is None:
            self.inline_reader = open_inline_reader(self.engine.connection_kwargs)
        try:
            return self.inline_reader.execute(query, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise

    # --- the writer ---------------------------------------------------------------------------------------

    def enqueue(self, unit: _Unit) -> None:
        self.queue.put_nowait(unit)
        if self.writer_task is None or self.writer_task.done():
            self.writer_task = asyncio.get_running_loop().create_task(
                self._write_batches(), name="sqlite-writer"
            )

    async def _write_batches(self) -> None:
        try:
            stop = False
            while not stop:
                first = await self.queue.get()
                if first is None:  # stop(): every unit queued before it has been answered
                    break
                if self.writer is None:
                    try:
                        self.writer = await InlineWriter.open(self.engine.connection_kwargs)
                    except Exception as exc:
                        _settle(first.started, error=exc)
                        continue
                stop = await GroupCommit(self.writer, self.queue, self.engine.batch_limit).run(first)
        finally:
            await self.close()

    async def stop(self) -> None:
        """Let the queued writes commit, then close every connection of this loop."""
        if self.writer_task is not None and not self.writer_task.done():
            self.queue.put_nowait(None)
            await self.writer_task
        await self.close()

    async def close(self) -> None:
        connections = [*self.readers, *([self.writer] if self.writer else [])]
        self.readers, self.idle_readers, self.writer = [], [], None
        if self.inline_reader is not None:
            self.inline_reader.close()
            self.inline_reader = None
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close()


class GroupCommit:
    """One batch on the writer connection: BEGIN IMMEDIATE, a savepoint per unit, one COMMIT."""

    def __init__(self, connection: InlineWriter, queue: asyncio.Queue[_Unit | None], limit: int) -> None:
        self.connection = connection
        self.queue = queue
        self.limit = limit
        # Every unit run in this batch waits for its COMMIT, a failed one too: it may have read what an
        # earlier unit of the batch wrote, and its caller must not act on that (say, answer "already
        # registered") before it is committed.
        self.taken: list[_Unit] = []

    async def run(self, first: _Unit) -> bool:
        """Run ``first`` and every unit queued behind it (up to the limit); True if a stop was queued."""
        current: _Unit | None = first
        stop = False
        try:
            await self.connection.execute_waiting("BEGIN IMMEDIATE")
            taken = 0
            while current is not None:
                await self._run_unit(current, f"unit_{taken}")
                taken += 1
                current = None
                if taken < self.limit and not self.queue.empty():
                    current = self.queue.get_nowait()
                    stop = current is None  # stop(): commit what was taken, then end
            await self.connection.execute_waiting("COMMIT")
        except BaseException as exc:
            await self._abandon(exc, current)
            if not isinstance(exc, Exception):
                raise
            return stop
        for unit in self.taken:
            _settle(unit.answered)
        return stop

    async def _run_unit(self, unit: _Unit, savepoint: str) -> None:
        if unit.started.done():  # its caller gave up (cancelled) while it queued
            return
        await self.connection.execute(f"SAVEPOINT {savepoint}")
        unit.started.set_result(None)
        keep = await unit.finished
        if keep:
            await self.connection.execute(f"RELEASE SAVEPOINT {savepoint}")
        else:
            await self.connection.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            await self.connection.execute(f"RELEASE SAVEPOINT {savepoint}")
        self.taken.append(unit)
        if not self.connection.in_transaction:
            # SQLite rolls a whole transaction back on some errors (disk full, I/O): earlier units went too.
            raise BatchFailed("写入事务意外中止，本批写入均未保存")

    async def _abandon(self, exc: BaseException, current: _Unit | None) -> None:
        """The batch cannot commit: roll it back and fail every unit in it, the running one included."""
        if self.connection.in_transaction:
            with contextlib.suppress(Exception):
                await self.connection.execute_waiting("ROLLBACK")
        error = exc if isinstance(exc, Exception) else BatchFailed("写入事务被中止")
        for unit in [*self.taken, *([current] if current is not None else [])]:
            _settle(unit.started, error=error)
            _settle(unit.answered, error=error)
            _settle(unit.finished, False)
        logger.warning("SQLite write batch of %d unit(s) rolled back: %r", len(self.taken) + 1, exc)


class WriteUnit(SQLiteTransaction):
    """``transaction(TransactionType.immediate)``: a unit of the next group commit (see the module doc).

    Entered, it holds the writer connection inside its own savepoint; left, it waits for the batch's COMMIT
    before its caller goes on, also when its body raised (its savepoint rolled back, its exception its own).
    """

    def __init__(self, engine: PooledSQLiteEngine, allow_nested: bool = True) -> None:
        super().__init__(engine, TransactionType.immediate, allow_nested)
        self._unit: _Unit | None = None

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        state = self.engine.loop_state()
        unit = self._unit = _new_unit()
        state.enqueue(unit)
        try:
            await unit.started
        except asyncio.CancelledError:
            if unit.started.done() and not unit.started.cancelled():
                _settle(unit.finished, False)  # the writer had already let it in: let the batch go on
            raise
        self.connection = state.writer
        self.context = self.engine.current_transaction.set(self)
        self.open = True
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None:
            return exception is None
        unit = self._unit
        assert unit is not None
        self.open = False
        self.engine.current_transaction.reset(self.context)
        _settle(unit.finished, exception is None and not self._rolled_back)
        try:
            await asyncio.shield(unit.answered)
        except Exception:
            if exception is None:
                raise  # the batch failed to commit: this unit is lost with it, and its caller must know
        self._committed = exception is None and not self._rolled_back
        return exception is None

    async def commit(self) -> None:
        raise TransactionError("a write unit commits with its batch: leave the block to commit it")

    async def rollback(self) -> None:
        """Discard this unit (its savepoint is rolled back when the block is left)."""
        self._rolled_back = True


class PooledTransaction(SQLiteTransaction):
    """A deferred (or exclusive) transaction on a borrowed reader connection, for consistent reads.

    Should it write, SQLite upgrades its lock as for any other connection (waiting on the busy timeout).
    """

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        state = self.engine.loop_state()
        self.connection = await state.borrow_reader()
        try:
            await self.begin()
        except BaseException:
            state.give_back(self.connection)
            raise
        self.context = self.engine.current_transaction.set(self)
        self.open = True
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None:
            return exception is None
        self.open = False
        try:
            if exception is not None or self._rolled_back:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed:
                await self.commit()
        finally:
            if self.connection.in_transaction:  # a failed COMMIT: never hand out a connection mid-transaction
                with contextlib.suppress(Exception):
                    await self.connection.execute("ROLLBACK")
            self.engine.loop_state().give_back(self.connection)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine on kept connections, with group-committed write units (see the module doc)."""

    def __init__(
        self, path: str = "piccolo.sqlite", *, readers: int = 4, batch_limit: int = 256, **kwargs: Any
    ):
        self.readers = readers
        self.batch_limit = batch_limit
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        super().__init__(path=path, **kwargs)

    def loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None or state.pid != os.getpid():  # a forked child opens its own connections
            state = self._states[loop] = _LoopState(self)
        return state

    def live_transaction(self) -> SQLiteTransaction | None:
        """The transaction this task is in, if it is still open.

        A task started inside a transaction inherits its context variable, and may run after the transaction
        has ended (its connection then serves someone else): such a task is in no transaction.
        """
        current = self.current_transaction.get()
        if current is not None and not getattr(current, "open", True):
            self.current_transaction.set(None)
            return None
        return current

    def transaction_exists(self) -> bool:
        return self.live_transaction() is not None

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        self.live_transaction()  # forget an inherited transaction that has ended
        if transaction_type is TransactionType.immediate:
            return WriteUnit(self, allow_nested)
        return PooledTransaction(self, transaction_type, allow_nested)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> list[dict[str, Any]]:
        query, args = querystring.compile_string(engine_type=self.engine_type)
        return await self._run(query, args)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> list[dict[str, Any]]:
        return await self._run(ddl, [])

    async def _run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=query)
        current = self.live_transaction()
        if current is not None:
            response = await current.connection.execute_fetchall(query, args)
        elif query.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            # A write outside a transaction is a unit of its own: it queues and commits with the others.
            async with self.transaction(TransactionType.immediate) as unit:
                response = await unit.connection.execute_fetchall(query, args)
        else:
            async with self.loop_state().reader() as connection:
                response = await connection.execute_fetchall(query, args)
        response = list(response)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_sql(
        self, query: str, args: Sequence[Any], *, key_read: bool = False
    ) -> list[dict[str, Any]]:
        """Compiled SQL (``core.db.Sql``); a read by a unique key outside a transaction runs inline."""
        if key_read and self.live_transaction() is None:
            rows = self.loop_state().read_inline(query, args)
            if rows is not None:
                return rows
        return await self._run(query, list(args))

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Connections open on first use; nothing to start."""

    async def close_connection_pool(self) -> None:
        """Close this event loop's connections once its queued writes are done (shutdown, tests)."""
        state = self._states.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.stop()
