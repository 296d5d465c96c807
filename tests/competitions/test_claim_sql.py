"""The registration number as PostgreSQL's claim statement writes it is the rule's own number."""

from __future__ import annotations

import pytest

from competitions.admission import REGISTRATION_NO_PG
from competitions.rules import format_registration_no
from core.db import run_sql
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL only")


@pytest.mark.parametrize(
    ("competition", "seq"), [(1, 1), (12, 37), (9999, 99999), (10000, 100000), (123456, 7654321)]
)
async def test_the_sql_number_is_format_registration_no(db: None, competition: int, seq: int) -> None:
    sql = f"SELECT {REGISTRATION_NO_PG} AS no FROM (SELECT {{}}::int AS competition, {{}}::int AS seq) t"
    rows = await run_sql(sql, competition, seq)
    assert rows[0]["no"] == format_registration_no(competition, seq)
