"""core.db.run_sql: SQL text built once answers as ``Table.raw`` does, inside a write unit and outside,
on both engines: the same rows, the same values, the write committed with its unit or not at all."""

from __future__ import annotations

import uuid

import pytest

from accounts.tables import AuditLog
from core.db import run_sql, utcnow, write_transaction

_INSERT = (
    "INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, before, after, reason) "
    "VALUES ({}, {}, {}, {}, {}, {}, NULL, NULL, {}) RETURNING id, entity_id"
)
_READ = "SELECT id, action, entity_id, reason FROM audit_log WHERE entity = {} AND action = {} ORDER BY id"


async def test_run_sql_reads_and_writes_as_table_raw(db: None) -> None:
    entity = f"probe-{uuid.uuid4().hex[:8]}"
    async with write_transaction():
        inserted = await run_sql(_INSERT, utcnow(), None, "系统", "probe.one", entity, "7", "原因")
        await AuditLog.raw(_INSERT, utcnow(), None, "系统", "probe.one", entity, "8", "")
        inside = await run_sql(_READ, entity, "probe.one")  # the unit sees its own writes
    assert [r["entity_id"] for r in inserted] == ["7"]
    outside = await run_sql(_READ, entity, "probe.one")
    assert outside == inside == await AuditLog.raw(_READ, entity, "probe.one")
    assert [(r["entity_id"], r["reason"]) for r in outside] == [("7", "原因"), ("8", "")]
    one = "SELECT id, at FROM audit_log WHERE entity = {} AND entity_id = {}"
    assert await run_sql(one, entity, "8") == await AuditLog.raw(one, entity, "8") != []
    assert await run_sql(_READ, entity, "no such action") == []


async def test_a_failed_unit_leaves_nothing_of_its_run_sql_writes(db: None) -> None:
    entity = f"probe-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await run_sql(_INSERT, utcnow(), None, "系统", "probe.two", entity, "1", "")
            raise RuntimeError("the unit fails after its write")
    assert await run_sql(_READ, entity, "probe.two") == []
