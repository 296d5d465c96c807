"""The years of the working-day calendar that organizers enter (节假日安排): the calendar library knows the
years it was released for; any other year's official schedule is entered here as data (audited, with a
version), and wins over the library for a year both know."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from awards import calendar as work_days
from awards.rows import from_json
from awards.schemas import CalendarStatusOut, CalendarYearIn, CalendarYearOut
from awards.tables import CalendarYear
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound


def _dates(raw: Any) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(str(d)) for d in (from_json(raw) or []))


def _calendar_out(r: Mapping[str, Any]) -> CalendarYearOut:
    return CalendarYearOut(
        year=r["year"],
        holidays=_dates(r["holidays"]),
        makeup_workdays=_dates(r["makeup_workdays"]),
        source=r["source"],
        entered_by=r["entered_by"],
        version=r["version"],
        created_at=r["created_at"],
    )


async def entered_years() -> list[CalendarYearOut]:
    rows = await CalendarYear.select().order_by(CalendarYear.year)
    return [_calendar_out(r) for r in rows]


async def work_calendar() -> work_days.WorkCalendar:
    """The calendar library plus every year organizers entered."""
    schedules = [
        work_days.YearSchedule(
            year=y.year, holidays=frozenset(y.holidays), makeup_workdays=frozenset(y.makeup_workdays)
        )
        for y in await entered_years()
    ]
    return work_days.WorkCalendar(schedules)


async def calendar_status() -> CalendarStatusOut:
    first, last = work_days.library_years()
    return CalendarStatusOut(library_years=[first, last], entered=await entered_years())


def _check_schedule(data: CalendarYearIn) -> None:
    """Refuse (422, naming the field) what ``awards.calendar.schedule_problems`` finds, and duplicates."""
    for field, days in (("holidays", data.holidays), ("makeup_workdays", data.makeup_workdays)):
        seen: set[dt.date] = set()
        for i, day in enumerate(days):
            if day in seen:
                raise Invalid(f"{day.isoformat()} 重复", code="duplicate_date", field=f"{field}[{i}]")
            seen.add(day)
    schedule = work_days.YearSchedule(
        year=data.year, holidays=frozenset(data.holidays), makeup_workdays=frozenset(data.makeup_workdays)
    )
    problems = work_days.schedule_problems(schedule)
    if problems:
        first = problems[0]
        field = first.field
        days = data.holidays if field == "holidays" else data.makeup_workdays
        for i, day in enumerate(days):  # name the date's place in its list when the message names a date
            if first.message.startswith(day.isoformat()):
                field = f"{field}[{i}]"
                break
        raise Invalid(
            first.message,
            code=first.code,
            field=field,
            detail={"problems": [msgspec.to_builtins(p) for p in problems]},
        )


async def put_calendar_year(actor: Actor, data: CalendarYearIn) -> CalendarYearOut:
    """Enter a year's official schedule (or correct it, with the version read); audited."""
    _check_schedule(data)
    now = utcnow()
    after = {
        "holidays": [d.isoformat() for d in sorted(data.holidays)],
        "makeup_workdays": [d.isoformat() for d in sorted(data.makeup_workdays)],
        "source": data.source.strip(),
    }
    async with write_transaction():
        current = await CalendarYear.select().where(CalendarYear.year == data.year).first()
        if current is None:
            if data.version is not None:
                raise NotFound(f"{data.year} 年尚未录入", code="calendar_year_missing", field="year")
            await CalendarYear.insert(
                CalendarYear(
                    year=data.year,
                    holidays=json.dumps(after["holidays"]),
                    makeup_workdays=json.dumps(after["makeup_workdays"]),
                    source=after["source"],
                    entered_by=actor.id,
                    version=1,
                    created_at=now,
                )
            ).on_conflict(target=CalendarYear.year, action="DO NOTHING")
            row = await CalendarYear.select().where(CalendarYear.year == data.year).first()
            assert row is not None
            if row["version"] != 1 or row["created_at"] != now:
                raise Conflict(
                    f"{data.year} 年已由他人录入，请刷新后核对",
                    code="stale_version",
                    field="version",
                    detail={"current_version": row["version"]},
                )
            await audit.record(actor, "calendar_year.create", "calendar_year", data.year, after=after)
        else:
            if data.version != current["version"]:
                raise Conflict(
                    f"{data.year} 年已录入（版本 {current['version']}），修改时请提交所读取的版本号",
                    code="stale_version",
                    field="version",
                    detail={"current_version": current["version"]},
                )
            updated = await (
                CalendarYear.update(
                    {
                        CalendarYear.holidays: json.dumps(after["holidays"]),
                        CalendarYear.makeup_workdays: json.dumps(after["makeup_workdays"]),
                        CalendarYear.source: after["source"],
                        CalendarYear.entered_by: actor.id,
                        CalendarYear.version: current["version"] + 1,
                    }
                )
                .where((CalendarYear.id == current["id"]) & (CalendarYear.version == current["version"]))
                .returning(CalendarYear.id)
            )
            if not updated:  # pragma: no cover - a concurrent correction
                raise Conflict("该年份已被他人修改，请刷新后重试", code="stale_version", field="version")
            before = _calendar_out(current)
            await audit.record(
                actor,
                "calendar_year.update",
                "calendar_year",
                data.year,
                before={
                    "holidays": [d.isoformat() for d in before.holidays],
                    "makeup_workdays": [d.isoformat() for d in before.makeup_workdays],
                    "source": before.source,
                },
                after=after,
            )
        row = await CalendarYear.select().where(CalendarYear.year == data.year).first()
        assert row is not None
        return _calendar_out(row)
