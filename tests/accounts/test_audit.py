"""Audit rows share the transaction of their change: both commit, or neither."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import audit
from accounts.audit import SYSTEM
from accounts.tables import AuditLog, GrassrootsUnion
from core.db import write_transaction


class Boom(Exception):
    pass


async def test_failed_change_leaves_no_audit_row(db: None) -> None:
    with pytest.raises(Boom):
        async with write_transaction():
            union = GrassrootsUnion(name="回滚工会", kind="enterprise")
            await union.save()
            await audit.record(SYSTEM, "union.create", "union", union.id, after={"name": "回滚工会"})
            raise Boom
    assert await AuditLog.count() == 0
    assert await GrassrootsUnion.count() == 0


async def test_failed_audit_write_undoes_the_change(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenInsert:
        async def rows(self, *args: Any) -> None:
            raise Boom

    monkeypatch.setattr(audit, "_INSERT", BrokenInsert())  # the statement accounts.audit.record runs
    with pytest.raises(Boom):
        async with write_transaction():
            await GrassrootsUnion(name="无审计工会", kind="enterprise").save()
            await audit.record(SYSTEM, "union.create", "union", 0)
    assert await GrassrootsUnion.count() == 0


async def test_audit_outside_a_transaction_is_refused(db: None) -> None:
    with pytest.raises(RuntimeError, match="outside a transaction"):
        await audit.record(SYSTEM, "union.create", "union", 1)
    assert await AuditLog.count() == 0


async def test_committed_change_has_its_row(db: None) -> None:
    async with write_transaction():
        union = GrassrootsUnion(name="提交工会", kind="enterprise")
        await union.save()
        await audit.record(SYSTEM, "union.create", "union", union.id, after={"name": "提交工会"})
    rows = await AuditLog.select().where(AuditLog.entity_id == str(union.id))
    assert [r["action"] for r in rows] == ["union.create"]
