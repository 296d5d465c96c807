"""Piccolo's PostgreSQL engine with its pool sized from the settings.

Each server process (granian worker) keeps one asyncpg pool of at most ``YICHENG_DB_POOL_SIZE`` connections;
``workers x pool size`` must stay below the server's ``max_connections`` (100 by default, 3 of them reserved
for superusers). More connections than about twice the database's cores buy nothing for writes: the hot rows
(a competition's counters) are taken one transaction at a time, and extra connections only wait on the lock.
The pool keeps ``min(2, size)`` connections open when idle, so a small pool size never trips asyncpg's
``min_size <= max_size`` check (its default minimum is 10).

A connection going back to the pool is not sent asyncpg's default reset query (advisory unlock, ``CLOSE
ALL``, ``UNLISTEN *``, ``RESET ALL``): that is one more round trip per query run outside a transaction, and
the platform never sets session state, takes advisory locks, keeps cursors or listens on a pooled connection
(the live channels listen on a connection of their own). An open transaction is still rolled back: asyncpg
does that before calling :func:`keep_session` (a local check, no round trip when there is none).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from piccolo.engine.postgres import PostgresEngine

IDLE_CONNECTIONS = 2
CLOSE_TIMEOUT_S = 5.0


async def keep_session(connection: Any) -> None:
    """The pool's reset: nothing beyond asyncpg's own rollback of a transaction left open (see above)."""


class PooledPostgresEngine(PostgresEngine):
    def __init__(self, config: dict[str, Any], *, pool_size: int, **kwargs: Any) -> None:
        self.pool_size = pool_size
        super().__init__(config=config, **kwargs)

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Start the pool: ``max_size`` from the settings unless given, and a small idle minimum."""
        kwargs.setdefault("max_size", self.pool_size)
        kwargs.setdefault("min_size", min(IDLE_CONNECTIONS, kwargs["max_size"]))
        kwargs.setdefault("reset", keep_session)
        await super().start_connection_pool(**kwargs)

    async def close_connection_pool(self) -> None:
        """Close the pool, waiting at most ``CLOSE_TIMEOUT_S`` for connections in use to come back: a
        connection that never does (its request ended mid-query when the database cut it) would otherwise
        hold the process's shutdown forever; after that it is cut."""
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout=CLOSE_TIMEOUT_S)
        except TimeoutError:
            pool.terminate()

    async def run_sql(
        self, query: str, args: Sequence[Any], *, key_read: bool = False
    ) -> list[dict[str, Any]]:
        """Compiled SQL (``core.db.Sql``) as ``run_querystring`` runs it, answered as dicts."""
        current = self.current_transaction.get()
        if current is not None:
            records = await current.connection.fetch(query, *args)
        elif self.pool:
            records = await self._run_in_pool(query, args)
        else:
            records = await self._run_in_new_connection(query, args)
        return [dict(record) for record in records]
