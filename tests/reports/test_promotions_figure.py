"""The dashboard's skill-level promotions figure equals a count over the confirmed promotion records
(``skill_level_change`` rows of source ``promotion`` dated in the period), on the page's data, in the list
each number opens, and in the term report's words."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import httpx

from accounts import skill_levels
from accounts.audit import SYSTEM
from accounts.tables import SkillLevelChange
from core.db import SHANGHAI, write_transaction
from tests.helpers import login

YEAR = "year=2025"


async def _seed(people: list[int]) -> None:
    """Promotions through the use case a confirmed promotion list calls, then dated: some inside 2025, some
    outside it, and manual edits, which are no promotions."""
    async with write_transaction():
        await skill_levels.promote(SYSTEM, people[0], 2, competition_id=1, basis="第1名")  # 3 -> 2 技师
        await skill_levels.promote(SYSTEM, people[1], 2, competition_id=1, basis="第2名")
        await skill_levels.promote(SYSTEM, people[2], 1, competition_id=2, basis="第1名")  # 3 -> 1 高级技师
        await skill_levels.promote(SYSTEM, people[3], 2, competition_id=3, basis="第1名")
        await skill_levels.record_change(SYSTEM, people[3], 2, 1, source="manual", basis="更正")
    ids = [r["id"] for r in await SkillLevelChange.select(SkillLevelChange.id).order_by(SkillLevelChange.id)]
    dates = [
        dt.datetime(2025, 3, 1, 10, tzinfo=SHANGHAI),
        dt.datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI),  # the last evening of the year, Beijing time
        dt.datetime(2025, 6, 1, 9, tzinfo=SHANGHAI),
        dt.datetime(2026, 1, 1, 0, 10, tzinfo=SHANGHAI),  # the next year already
        dt.datetime(2025, 5, 1, 9, tzinfo=SHANGHAI),  # manual: not a promotion
    ]
    for row_id, when in zip(ids, dates, strict=True):
        await SkillLevelChange.update({SkillLevelChange.changed_at: when}).where(
            SkillLevelChange.id == row_id
        )


async def _counted_by_hand() -> Counter[int]:
    rows = await SkillLevelChange.select()
    lower = dt.datetime(2025, 1, 1, tzinfo=SHANGHAI)
    upper = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)
    counted: Counter[int] = Counter()
    for row in rows:
        when = row["changed_at"]
        when = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
        if row["source"] == "promotion" and lower <= when < upper:
            counted[row["level_after"]] += 1
    return counted


async def test_the_promotions_figure_is_a_count_over_the_promotion_records(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await _seed(world["people"])
    await login(client, "organizer")
    board = (await client.get(f"/api/reports/dashboard?{YEAR}")).json()
    figure = next(f for f in board["figures"] if f["name"] == "skill_promotions")
    shown = {int(r["key"]): r["values"][0] for r in figure["rows"] if r["values"][0]}
    expected = await _counted_by_hand()
    assert shown == dict(expected) == {2: 2, 1: 1}
    assert board["headline"]["promotions"] == sum(expected.values()) == 3
    assert [r["label"] for r in figure["rows"]] == ["初级工", "中级工", "高级工", "技师", "高级技师"]

    listed = (await client.get(f"/api/reports/list?{YEAR}&of=promotions&dimension=level&key=2")).json()
    assert listed["total"] == 2 and {r[3] for r in listed["rows"]} == {"第1名", "第2名"}
    assert [r[2] for r in listed["rows"]] == ["技师", "技师"]
    bad = await client.get(f"/api/reports/list?{YEAR}&of=promotions&dimension=level&key=9")
    assert bad.status_code == 422 and bad.json()["field"] == "key"

    report = (await client.get("/api/reports/term-report?start=2025-01-01&end=2025-12-31")).json()
    assert "通过竞赛晋升职业技能等级3人次（晋升为技师2人次、高级技师1人次）。" in report["paragraphs"]
    assert "skill_promotions" in report["figures"]  # its chart beside the words, on the page and in the PDF
    xlsx = await client.get(f"/api/reports/figures/skill_promotions/table.xlsx?{YEAR}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    next_year = (await client.get("/api/reports/dashboard?year=2026")).json()
    later = next(f for f in next_year["figures"] if f["name"] == "skill_promotions")
    assert {int(r["key"]): r["values"][0] for r in later["rows"] if r["values"][0]} == {2: 1}
