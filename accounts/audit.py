"""The one way every domain writes the audit log: inside the transaction of the change it records.

:func:`record` refuses to run outside a transaction, so an audit row can never be committed without its
change, nor a change without its row (both roll back together).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from accounts.tables import AuditLog
from core.db import engine, utcnow


class Actor(msgspec.Struct, frozen=True):
    """Who did it: a logged-in user, or the system itself (id None) for automatic steps."""

    id: int | None
    name: str
    role: str = "system"


SYSTEM = Actor(None, "系统", "system")


def _as_json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def record(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    if not engine().transaction_exists():
        raise RuntimeError(f"audit row for {action} written outside a transaction")
    await AuditLog.insert(
        AuditLog(
            at=utcnow(),
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=_as_json(before),
            after=_as_json(after),
            reason=reason,
        )
    )


async def record_many(
    actor: Actor,
    action: str,
    entity: str,
    entries: Iterable[tuple[object, Any]],
    *,
    reason: str = "",
) -> int:
    """One row per ``(entity_id, after)`` of one action, inserted in batches (an export of thousands)."""
    if not engine().transaction_exists():
        raise RuntimeError(f"audit rows for {action} written outside a transaction")
    at = utcnow()
    rows = [
        AuditLog(
            at=at,
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=None,
            after=_as_json(after),
            reason=reason,
        )
        for entity_id, after in entries
    ]
    for start in range(0, len(rows), 500):
        await AuditLog.insert(*rows[start : start + 500])
    return len(rows)
