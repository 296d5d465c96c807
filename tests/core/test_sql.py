"""``core.db.Sql``: hot statements compiled once answer what ``Table.raw`` answers, on both engines."""

from __future__ import annotations

from accounts.audit import SYSTEM, record
from accounts.tables import AuditLog
from core.db import Sql, engine_name, utcnow, write_transaction

BY_ENTITY = "SELECT id, action, entity_id, after, at FROM audit_log WHERE entity = {} AND entity_id = {}"


def test_placeholders_are_compiled_for_the_engine() -> None:
    compiled = Sql("SELECT {} AS a WHERE x = {} OR y = {}").compiled()
    if engine_name() == "sqlite":
        assert compiled == "SELECT ? AS a WHERE x = ? OR y = ?"
    else:
        assert compiled == "SELECT $1 AS a WHERE x = $2 OR y = $3"


async def test_rows_are_those_of_table_raw_inside_and_outside_a_transaction(db: None) -> None:
    async with write_transaction():
        await record(SYSTEM, "union.create", "union", 7, after={"name": "一工会"})
        inside = await Sql(BY_ENTITY).rows("union", "7")
        assert inside == await AuditLog.raw(BY_ENTITY, "union", "7")  # the unit's own row
    for key_read in (False, True):
        rows = await Sql(BY_ENTITY, key_read=key_read).rows("union", "7")
        assert rows == await AuditLog.raw(BY_ENTITY, "union", "7") == inside
        assert rows[0]["action"] == "union.create" and rows[0]["at"] <= utcnow()
    assert await Sql(BY_ENTITY, key_read=True).rows("union", "8") == []
