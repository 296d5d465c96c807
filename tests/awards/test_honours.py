"""The award: the final list, certificate numbers, the public honour roll and its XLSX (public facts only)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from accounts.tables import AuditLog
from awards import notice
from awards.tables import Nomination, Programme
from tests.awards.pipeline_factories import person, shortlisted
from tests.helpers import new_client

D = dt.date


async def awarded_programme(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **programme: Any
) -> dict[str, Any]:
    built = await shortlisted(
        organizer,
        world,
        [person("张一"), person("=HYPERLINK(1)", 1), person("王三", 1, female=True)],
        {"张一": 90, "=HYPERLINK(1)": 85, "王三": 80},
        total_awards=2,
        **programme,
    )
    monkeypatch.setattr(notice, "today", lambda: D(2026, 9, 30))
    assert (
        await organizer.post(f"/api/programmes/{built['programme_id']}/notice", json={})
    ).status_code == 200
    monkeypatch.setattr(notice, "today", lambda: D(2026, 10, 13))
    return built


async def test_the_award_numbers_certificates_and_publishes_the_honour_roll(
    app: Any, organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = await awarded_programme(organizer, world, monkeypatch)
    pid = built["programme_id"]
    async with new_client(app) as anonymous:
        early = await anonymous.get(f"/api/public/programmes/{pid}/honours")
        assert early.status_code == 404 and early.json()["code"] == "not_published"
        assert (await anonymous.get(f"/api/public/programmes/{pid}/honours.xlsx")).status_code == 404
        response = await organizer.post(f"/api/programmes/{pid}/award", json={"reason": "评选委员会决定"})
        assert response.status_code == 200, response.text
        roll = response.json()
        assert roll["awarded_on"] == "2026-10-13" and roll["kind_name"] == "亦城工匠"
        assert [(i["certificate_no"], i["name"], i["employer_name"], i["award"]) for i in roll["items"]] == [
            ("YC2026-GJ-0001", "张一", "甲公司", "亦城工匠"),
            ("YC2026-GJ-0002", "=HYPERLINK(1)", "乙公司", "亦城工匠"),
        ]
        public = await anonymous.get(f"/api/public/programmes/{pid}/honours")
        assert public.status_code == 200 and public.json() == roll
        for private in ("id_number", "mobile", "score", "gender", "王三"):
            assert private not in public.text
        sheet = await anonymous.get(f"/api/public/programmes/{pid}/honours.xlsx")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in sheet.headers["content-disposition"]
    book = load_workbook(io.BytesIO(sheet.content))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert rows[1] == ["序号", "证书编号", "姓名", "工作单位", "荣誉称号"]
    assert rows[2:4] == [
        [1, "YC2026-GJ-0001", "张一", "甲公司", "亦城工匠"],
        [2, "YC2026-GJ-0002", "=HYPERLINK(1)", "乙公司", "亦城工匠"],
    ]
    # Signed under the list: the issuing body and the day.
    assert [r[3] for r in rows[4:]] == [None, "北京经济技术开发区总工会", "2026-10-13"]
    assert book.active["C4"].data_type == "s"  # a name is never a formula
    statuses = {
        r["id"]: (r["status"], r["certificate_no"])
        for r in await Nomination.select(Nomination.id, Nomination.status, Nomination.certificate_no)
    }
    assert statuses[built["nominations"]["张一"]] == ("awarded", "YC2026-GJ-0001")
    assert statuses[built["nominations"]["王三"]] == ("nominated", None)
    row = await Programme.select(Programme.state, Programme.awarded_on).where(Programme.id == pid).first()
    assert row == {"state": "awarded", "awarded_on": D(2026, 10, 13)}
    audit = await AuditLog.select().where(AuditLog.action == "programme.award").first()
    assert audit is not None and "YC2026-GJ-0002" in str(audit["after"])
    again = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


async def test_a_second_programme_of_the_same_award_and_year_gets_its_own_numbers(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await awarded_programme(organizer, world, monkeypatch)
    assert (
        await organizer.post(f"/api/programmes/{first['programme_id']}/award", json={})
    ).status_code == 200
    second = await awarded_programme(organizer, world, monkeypatch, name="2026 年亦城工匠（补选）")
    response = await organizer.post(f"/api/programmes/{second['programme_id']}/award", json={})
    assert response.status_code == 200, response.text
    numbers = [i["certificate_no"] for i in response.json()["items"]]
    assert numbers == [f"YC2026-GJ{second['programme_id']}-0001", f"YC2026-GJ{second['programme_id']}-0002"]
