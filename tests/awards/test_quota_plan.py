"""The nominations-and-quota read every nomination and upload runs searches by key and by group, never walks
the programme's nominations (it did on SQLite, which keeps no statistics: 1.7 ms at 5,000 nominations)."""

from __future__ import annotations

import pytest

from awards.quotas import _nominations_sql
from core.db import run_sql
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's planner without statistics")


async def test_the_quota_read_searches_by_key_and_group(migrated: None) -> None:
    sql, args = _nominations_sql(1, ["1:1", "1:2"], ["5"])
    plan = " | ".join(row["detail"] for row in await run_sql(f"EXPLAIN QUERY PLAN {sql}", *args))
    assert "MULTI-INDEX OR" in plan, plan
    assert "(nomination_key=?)" in plan and "(quota_group=?)" in plan, plan
    assert "(programme=?)" not in plan, plan
