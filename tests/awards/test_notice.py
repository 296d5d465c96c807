"""The public notice: dates counted in working days on the holiday calendar (a known year, an unknown year
refused, an entered year taking effect), calendar years entered by organizers, the public page's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from awards import notice
from awards.tables import Programme
from tests.awards.pipeline_factories import office, person, shortlisted
from tests.helpers import new_client

D = dt.date


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set today (Asia/Shanghai) for the notice: ``clock(date)``."""

    def set_today(day: dt.date) -> None:
        monkeypatch.setattr(notice, "today", lambda: day)

    return set_today


@pytest.fixture
async def ready(organizer: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    return await shortlisted(
        organizer,
        world,
        [person("张一"), office("李二", 1), person("王三", 1, female=True)],
        {"张一": 90, "李二": 85, "王三": 80},
        total_awards=2,
    )


async def programme(programme_id: int) -> dict[str, Any]:
    row = await Programme.select().where(Programme.id == programme_id).first()
    assert row is not None
    return row


async def test_a_notice_in_a_known_year_skips_the_national_day_holiday_and_counts_the_makeup_saturday(
    organizer: httpx.AsyncClient, ready: dict[str, Any], clock: Any
) -> None:
    clock(D(2026, 9, 30))  # Wednesday; 1-7 October off, Saturday 10 October worked (调休)
    pid = ready["programme_id"]
    response = await organizer.post(f"/api/programmes/{pid}/notice", json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["notice_starts_on"], body["notice_ends_on"]) == ("2026-09-30", "2026-10-12")
    assert body["state"] == "public_notice" and body["open_now"] is True
    row = await programme(pid)
    assert (row["state"], row["notice_starts_on"], row["notice_ends_on"]) == (
        "public_notice",
        D(2026, 9, 30),
        D(2026, 10, 12),
    )
    audit = await AuditLog.select().where(AuditLog.action == "notice.open").first()
    assert audit is not None and '"2026-10-12"' in str(audit["after"])


async def test_a_notice_opened_on_a_weekend_starts_on_the_next_working_day(
    organizer: httpx.AsyncClient, ready: dict[str, Any], clock: Any
) -> None:
    clock(D(2026, 9, 26))  # Saturday
    response = await organizer.post(f"/api/programmes/{ready['programme_id']}/notice", json={})
    assert response.status_code == 200, response.text
    assert (response.json()["notice_starts_on"], response.json()["notice_ends_on"]) == (
        "2026-09-28",
        "2026-10-09",
    )


async def test_a_notice_in_calendar_days(
    organizer: httpx.AsyncClient, world: dict[str, Any], clock: Any
) -> None:
    built = await shortlisted(
        organizer,
        world,
        [person("张一")],
        {"张一": 90},
        total_awards=1,
        notice_length=7,
        notice_unit="calendar_days",
    )
    clock(D(2026, 10, 3))  # inside the holiday: starts on the next working day, then 7 days whatever they are
    response = await organizer.post(f"/api/programmes/{built['programme_id']}/notice", json={})
    assert (response.json()["notice_starts_on"], response.json()["notice_ends_on"]) == (
        "2026-10-08",
        "2026-10-14",
    )


async def test_an_unknown_year_is_refused_until_its_schedule_is_entered(
    organizer: httpx.AsyncClient, ready: dict[str, Any], clock: Any
) -> None:
    pid = ready["programme_id"]
    clock(D(2027, 3, 1))  # Monday, in a year chinese-calendar 1.11 does not know
    refused = await organizer.post(f"/api/programmes/{pid}/notice", json={})
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "calendar_year_unknown" and error["detail"] == {"year": 2027}
    assert "2027" in error["message"] and "2004–2026" in error["message"]
    row = await programme(pid)
    assert (row["state"], row["notice_starts_on"]) == ("shortlist", None)
    assert not await AuditLog.exists().where(AuditLog.action == "notice.open")

    entered = await organizer.post(
        "/api/calendar-years",
        json={
            "year": 2027,
            "holidays": ["2027-03-02", "2027-03-03"],
            "makeup_workdays": ["2027-03-06"],
            "source": "测试用安排",
        },
    )
    assert entered.status_code == 200, entered.text
    assert entered.json()["version"] == 1
    opened = await organizer.post(f"/api/programmes/{pid}/notice", json={})
    assert opened.status_code == 200, opened.text
    # 1 March, then 2-3 off, 4, 5, Saturday 6 worked, 8: the fifth working day.
    assert (opened.json()["notice_starts_on"], opened.json()["notice_ends_on"]) == (
        "2027-03-01",
        "2027-03-08",
    )


async def test_a_notice_running_into_an_unknown_year_is_refused_naming_that_year(
    organizer: httpx.AsyncClient, ready: dict[str, Any], clock: Any
) -> None:
    clock(D(2026, 12, 28))
    refused = await organizer.post(f"/api/programmes/{ready['programme_id']}/notice", json={})
    assert refused.status_code == 409 and refused.json()["detail"] == {"year": 2027}


async def test_calendar_years_are_validated_versioned_and_audited(organizer: httpx.AsyncClient) -> None:
    status = (await organizer.get("/api/calendar-years")).json()
    assert status == {"library_years": [2004, 2026], "entered": []}
    good = {
        "year": 2027,
        "holidays": ["2027-01-01"],
        "makeup_workdays": ["2027-01-02"],
        "source": "国办发明电",
    }
    cases = [
        ({"makeup_workdays": ["2027-01-04"]}, "makeup_workdays[0]", "makeup_not_weekend"),
        ({"holidays": ["2026-12-31"]}, "holidays[0]", "date_outside_year"),
        ({"holidays": []}, "holidays", "holidays_required"),
        ({"makeup_workdays": ["2027-01-01"]}, "makeup_workdays[0]", "date_in_both_lists"),
        ({"holidays": ["2027-01-01", "2027-01-01"]}, "holidays[1]", "duplicate_date"),
        ({"holidays": ["2027-02-30"]}, "holidays[0]", "validation_error"),
        ({"year": 1999}, "year", "validation_error"),
    ]
    for change, field, code in cases:
        response = await organizer.post("/api/calendar-years", json=good | change)
        assert response.status_code == 422, (change, response.text)
        assert (response.json()["field"], response.json()["code"]) == (field, code), response.json()
    created = await organizer.post("/api/calendar-years", json=good)
    assert created.status_code == 200 and created.json()["version"] == 1
    again = await organizer.post("/api/calendar-years", json=good)
    assert again.status_code == 409 and again.json()["code"] == "stale_version"
    corrected = await organizer.post(
        "/api/calendar-years", json=good | {"holidays": ["2027-01-01", "2027-02-11"], "version": 1}
    )
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert corrected.json()["holidays"] == ["2027-01-01", "2027-02-11"]
    status = (await organizer.get("/api/calendar-years")).json()
    assert [y["year"] for y in status["entered"]] == [2027]
    actions = [
        a["action"]
        for a in (await organizer.get("/api/audit/", params={"entity": "calendar_year"})).json()["items"]
    ]
    assert sorted(actions) == ["calendar_year.create", "calendar_year.update"]


async def test_the_public_notice_shows_names_employers_and_the_award_and_nothing_private(
    app: Any, organizer: httpx.AsyncClient, ready: dict[str, Any], clock: Any
) -> None:
    pid = ready["programme_id"]
    async with new_client(app) as anonymous:
        before = await anonymous.get(f"/api/public/programmes/{pid}/notice")
        assert before.status_code == 404 and before.json()["code"] == "not_published"
        clock(D(2026, 9, 30))
        assert (await organizer.post(f"/api/programmes/{pid}/notice", json={})).status_code == 200
        response = await anonymous.get(f"/api/public/programmes/{pid}/notice")
    assert response.status_code == 200
    body = response.json()
    assert [(i["name"], i["employer_name"], i["award"]) for i in body["items"]] == [
        ("张一", "甲公司", "亦城工匠"),
        ("李二", "乙公司", "亦城工匠"),
    ]
    assert body["open_now"] is True and body["today"] == "2026-09-30" and body["grounds_max_chars"] == 2000
    for private in ("id_number", "mobile", "score", "gender", "birth", "front_line", "group"):
        assert private not in response.text
    # No CSRF cookie is minted by this public read.
    assert "csrftoken" not in response.headers.get("set-cookie", "")
