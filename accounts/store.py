"""A Litestar :class:`~litestar.stores.base.Store` kept in the database.

Sessions and log-in rate-limit counters must be seen by every server process behind the load balancer,
so they live in the ``store_entry`` table rather than in one process's memory.
"""

from __future__ import annotations

import datetime as dt

from litestar.stores.base import NamespacedStore

from accounts.tables import StoreEntry
from core.db import utcnow


def _expiry(expires_in: int | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
    return utcnow() + dt.timedelta(seconds=seconds)


class DatabaseStore(NamespacedStore):
    def __init__(self, namespace: str = "default") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        row = StoreEntry(key=self._key(key), value=data, expires_at=_expiry(expires_in))
        await StoreEntry.insert(row).on_conflict(
            target=StoreEntry.key,
            action="DO UPDATE",
            values=[StoreEntry.value, StoreEntry.expires_at],
        )

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        row = (
            await StoreEntry.select(StoreEntry.value, StoreEntry.expires_at)
            .where(StoreEntry.key == self._key(key))
            .first()
        )
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= utcnow():
            await self.delete(key)
            return None
        if renew_for is not None and row["expires_at"] is not None:
            await StoreEntry.update({StoreEntry.expires_at: _expiry(renew_for)}).where(
                StoreEntry.key == self._key(key)
            )
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        await StoreEntry.delete().where(StoreEntry.key == self._key(key))

    async def delete_all(self) -> None:
        await StoreEntry.delete().where(StoreEntry.key.like(f"{self.namespace}:%"))

    async def delete_expired(self) -> None:
        await StoreEntry.delete().where(StoreEntry.expires_at < utcnow())

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await StoreEntry.select(StoreEntry.expires_at).where(StoreEntry.key == self._key(key)).first()
        if row is None or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - utcnow()).total_seconds())
