"""The one way every domain writes the audit log: inside the transaction of the change it records.

:func:`record` refuses to run outside a transaction, so an audit row can never be committed without its
change, nor a change without its row (both roll back together).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from accounts.tables import AuditLog
from core.db import Sql, engine, insert_rows, utcnow


class Actor(msgspec.Struct, frozen=True):
    """Who did it: a logged-in user, or the system itself (id None) for automatic steps."""

    id: int | None
    name: str
    role: str = "system"


SYSTEM = Actor(None, "系统", "system")


# Every write of every domain runs it: SQL text built once (Piccolo's INSERT building cost more than the
# statement inside a write unit). ``after`` and ``entity_id`` come last: a statement that makes the entity
# (a data-modifying CTE) computes them itself after the values of :func:`row_values`.
COLUMNS = "at, actor_id, actor_name, action, entity, before, reason, after, entity_id"
_INSERT = Sql(
    f"INSERT INTO audit_log ({COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}})"
)


def _as_json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def row_values(actor: Actor, action: str, entity: str, *, before: Any = None, reason: str = "") -> list[Any]:
    """An audit row's values in :data:`COLUMNS` order but ``after`` and ``entity_id``, for :func:`record` or
    for the one statement that writes the change and its row together (a statement is atomic)."""
    return [utcnow(), actor.id, actor.name, action, entity, _as_json(before), reason]


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
    values = row_values(actor, action, entity, before=before, reason=reason)
    await _INSERT.rows(*values, _as_json(after), str(entity_id))


async def record_many(
    actor: Actor,
    action: str,
    entity: str,
    entries: Iterable[tuple[object, Any]],
    *,
    reason: str = "",
) -> int:
    """One row per ``(entity_id, after)`` of one action, inserted in batches (an export of thousands)."""
    rows = rows_of(actor, action, entity, entries, reason=reason)
    await insert(rows, action)
    return len(rows)


def rows_of(
    actor: Actor,
    action: str,
    entity: str,
    entries: Iterable[tuple[object, Any]],
    *,
    reason: str = "",
) -> list[dict[str, Any]]:
    """:func:`record_many`'s rows, not yet written: a write that audits several actions inserts them all
    with :func:`insert`, one statement instead of one per action."""
    at = utcnow()
    return [
        {
            "at": at,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "before": None,
            "after": _as_json(after),
            "reason": reason,
        }
        for entity_id, after in entries
    ]


async def insert(rows: Sequence[dict[str, Any]], what: str = "audit") -> None:
    """Audit rows (:func:`rows_of`), in the caller's transaction: never outside one."""
    if not engine().transaction_exists():
        raise RuntimeError(f"audit rows for {what} written outside a transaction")
    await insert_rows(AuditLog, rows)


async def entered_state(
    action: str, entity_ids: Sequence[object], states: set[str]
) -> dict[str, dt.datetime]:
    """When each entity last entered one of ``states``, read from its audited transitions (``action`` rows
    whose ``after`` is ``{"state": ...}``): the history of record, so no column has to repeat it."""
    found: dict[str, dt.datetime] = {}
    ids = [str(i) for i in entity_ids]
    for start in range(0, len(ids), 500):
        rows = await AuditLog.select(AuditLog.entity_id, AuditLog.at, AuditLog.after).where(
            (AuditLog.action == action) & AuditLog.entity_id.is_in(ids[start : start + 500])
        )
        for row in rows:
            after = row["after"]
            state = (msgspec.json.decode(after) if isinstance(after, str | bytes) else after or {}).get(
                "state"
            )
            if state in states and (row["entity_id"] not in found or row["at"] > found[row["entity_id"]]):
                found[row["entity_id"]] = row["at"]
    return found
