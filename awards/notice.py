"""The public notice (公示): entering it fixes its dates, and anyone may read it while it runs and after.

Entering 公示 (the generic transition, or ``POST /api/programmes/{id}/notice``) fixes the dates: the notice
starts on the first working day from today (Asia/Shanghai) and lasts the programme's ``notice_length``
working or calendar days, counted on ``awards.calendar`` (the chinese-calendar library plus the years
organizers entered, :mod:`awards.calendar_years`). A year that neither knows refuses the transition (409
``calendar_year_unknown``) with a message naming the year.

:func:`today` is the one clock of the notice, the objections and the award (tests move it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from accounts import audit
from accounts.audit import Actor
from awards import calendar as work_days
from awards import transitions
from awards.calendar_years import work_calendar
from awards.rows import programme_row
from awards.rules import STATE_NAMES, ProgrammeState
from awards.schemas import (
    GROUNDS_MAX,
    KIND_NAMES,
    ChangeOut,
    NoticeChange,
    NoticeIn,
    NoticeItem,
    NoticePublic,
    TransitionIn,
)
from awards.shortlist import stored_report
from awards.tables import Programme
from core.db import SHANGHAI, today_shanghai
from core.errors import Conflict, NotFound


def today() -> dt.date:
    """Today in Asia/Shanghai (tests replace this to move the clock)."""
    return today_shanghai()


def unknown_year(exc: work_days.UnknownCalendarYear) -> Conflict:
    first, last = work_days.library_years()
    return Conflict(
        f"日历库只收录 {first}–{last} 年的节假日安排，没有 {exc.year} 年的数据，无法计算公示期；"
        f"请先在“节假日安排”中录入 {exc.year} 年国务院办公厅公布的放假和调休安排",
        code="calendar_year_unknown",
        field="notice_starts_on",
        detail={"year": exc.year},
    )


async def notice_dates(length: int, unit: str, on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(start, end) of a notice opened on ``on`` (default today, Asia/Shanghai): it starts on the first
    working day from then and lasts ``length`` working or calendar days, the start day included."""
    calendar = await work_calendar()
    try:
        return work_days.notice_period(calendar, on or today(), length, unit)
    except work_days.UnknownCalendarYear as exc:
        raise unknown_year(exc) from None


async def enter_notice(actor: Actor, row: dict[str, Any]) -> None:
    """Inside the transition to 公示: fix the dates (refused for a year no calendar knows)."""
    report = await stored_report(row)
    if report is None or not report.feasible or not report.selected:
        raise Conflict("尚无可公示的建议名单", code="no_shortlist", field="target")
    start, end = await notice_dates(row["notice_length"], row["notice_unit"])
    await Programme.update({Programme.notice_starts_on: start, Programme.notice_ends_on: end}).where(
        Programme.id == row["id"]
    )
    await audit.record(
        actor,
        "notice.open",
        "programme",
        row["id"],
        after={
            "notice_starts_on": start.isoformat(),
            "notice_ends_on": end.isoformat(),
            "length": row["notice_length"],
            "unit": row["notice_unit"],
            "names": len(report.selected),
        },
    )


async def open_notice(actor: Actor, programme_id: int, data: NoticeIn) -> NoticePublic:
    await transitions.transition(
        actor,
        programme_id,
        TransitionIn(target=ProgrammeState.PUBLIC_NOTICE, version=data.version, reason=data.reason.strip()),
        enter_notice,
    )
    return await public_notice(programme_id)


PUBLISHED_NOTICE_STATES = frozenset(
    {ProgrammeState.PUBLIC_NOTICE, ProgrammeState.AWARDED, ProgrammeState.ARCHIVED}
)


async def public_notice(programme_id: int) -> NoticePublic:
    """The public notice: nothing but names, employers, the award and the dates, who publishes it, where
    objections go, and the published changes (who moved up, with their own period if they have one)."""
    row = await programme_row(programme_id)
    report = await stored_report(row)
    if row["state"] not in PUBLISHED_NOTICE_STATES or report is None:
        raise NotFound("该评选没有正在公示或已公示的名单", code="not_published", field="programme_id")
    award = KIND_NAMES.get(row["kind"], row["kind"])
    items = [
        NoticeItem(
            nomination_id=e.nomination_id,
            name=e.name,
            employer_name=e.employer_name,
            award=award,
            moved_up=e.moved_up,
            notice_starts_on=e.notice_starts_on,
            notice_ends_on=e.notice_ends_on,
            open_now=open_for(row, e.notice_starts_on, e.notice_ends_on),
        )
        for e in report.selected
    ]
    return NoticePublic(
        programme_id=programme_id,
        name=row["name"],
        year=row["year"],
        kind_name=award,
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        notice_starts_on=row["notice_starts_on"],
        notice_ends_on=row["notice_ends_on"],
        notice_length=row["notice_length"],
        notice_unit=row["notice_unit"],
        open_now=any(item.open_now for item in items),
        today=today(),
        grounds_max_chars=GROUNDS_MAX,
        items=items,
        changes=[_change_notice(c) for c in report.changes if c.added_names],
        issuing_body=row["issuing_body"],
        objection_office=row["objection_office"],
        objection_phone=row["objection_phone"],
        objection_address=row["objection_address"],
    )


def _change_notice(change: ChangeOut) -> NoticeChange:
    """The public words of a change: who moved up (never who was removed, nor why)."""
    names = "、".join(change.added_names)
    text = f"经异议核查，公示名单调整，{names} 递补为拟表彰人选"
    if change.notice_starts_on and change.notice_ends_on:
        text += (
            f"，对递补人选另行公示 {change.notice_starts_on.isoformat()} 至 "
            f"{change.notice_ends_on.isoformat()}，公示期内可对其提出异议"
        )
    return NoticeChange(
        on=change.at.astimezone(SHANGHAI).date(),
        added_names=list(change.added_names),
        notice_starts_on=change.notice_starts_on,
        notice_ends_on=change.notice_ends_on,
        text=text + "。",
    )


def notice_open(row: Mapping[str, Any], on: dt.date | None = None) -> bool:
    start, end = row["notice_starts_on"], row["notice_ends_on"]
    day = on or today()
    return (
        row["state"] == ProgrammeState.PUBLIC_NOTICE
        and start is not None
        and end is not None
        and start <= day <= end
    )


def open_for(
    row: Mapping[str, Any], own_start: dt.date | None, own_end: dt.date | None, on: dt.date | None = None
) -> bool:
    """Whether objections to one person are taken on ``on``: within the notice, or within the person's own
    period (a replacement who moved up)."""
    day = on or today()
    if notice_open(row, day):
        return True
    return (
        row["state"] == ProgrammeState.PUBLIC_NOTICE
        and own_start is not None
        and own_end is not None
        and own_start <= day <= own_end
    )


def notice_closed(row: Mapping[str, Any]) -> Conflict:
    start, end = row["notice_starts_on"], row["notice_ends_on"]
    if row["state"] != ProgrammeState.PUBLIC_NOTICE or start is None or end is None:
        message = "该评选当前不在公示期，不受理异议"
    elif today() < start:
        message = f"公示期自 {start.isoformat()} 开始，届时方可提出异议"
    else:
        message = f"公示期已于 {end.isoformat()} 结束，不再受理异议"
    return Conflict(
        message,
        code="notice_closed",
        field="programme_id",
        detail={
            "notice_starts_on": None if start is None else start.isoformat(),
            "notice_ends_on": None if end is None else end.isoformat(),
        },
    )
