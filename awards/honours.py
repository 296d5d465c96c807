"""The award (表彰): the final list and the public honour roll, with its XLSX export.

Entering 已表彰 (the generic transition, or ``POST /api/programmes/{id}/award``; :func:`enter_awarded` runs in
its transaction) is refused while any objection is pending, before the public notice has ended, or without a
shortlist. It marks everyone still on the list ``awarded``, numbers their certificates (``YC2026-GJ-0001``:
year, award, serial in list order) and records the day. The honour roll and the XLSX carry public facts
only: name, employer, award, number. The certificates themselves are :mod:`awards.certificates`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import anyio
import msgspec

from accounts import audit
from accounts.audit import Actor
from awards import notice, transitions
from awards.rows import programme_row
from awards.rules import ProgrammeState
from awards.schemas import KIND_NAMES, AwardIn, HonourItem, HonourRoll, ShortlistEntry, TransitionIn
from awards.shortlist import store_report, stored_report
from awards.tables import Nomination, Objection, Programme
from core import spreadsheets
from core.errors import Conflict, NotFound

KIND_CODES = {
    "craftsman": "GJ",  # 工匠
    "model_worker": "LM",  # 劳模
    "advanced_worker": "XJ",  # 先进
    "good_employee": "HZG",  # 好职工
    "good_manager": "HJL",  # 好经理
    "collective": "JT",  # 集体
}


PUBLISHED_STATES = frozenset({ProgrammeState.AWARDED, ProgrammeState.ARCHIVED})


async def _certificate_prefix(row: dict[str, Any]) -> str:
    prefix = f"YC{row['year']}-{KIND_CODES.get(row['kind'], 'RY')}"
    taken = await Nomination.exists().where(
        Nomination.certificate_no.like(f"{prefix}-%") & (Nomination.programme != row["id"])
    )
    # A second programme of the same kind and year gets its id in the prefix, so numbers never collide.
    return f"{prefix}{row['id']}" if taken else prefix


async def enter_awarded(actor: Actor, row: dict[str, Any]) -> None:
    """Inside the transition to 已表彰: the checks, then the statuses, certificate numbers and the day."""
    pending = await Objection.count().where(
        (Objection.programme == row["id"]) & (Objection.status == "pending")
    )
    if pending:
        raise Conflict(
            f"还有 {pending} 件异议未处理，处理完毕后方可表彰",
            code="objections_pending",
            field="target",
            detail={"pending": pending},
        )
    end = row["notice_ends_on"]
    today = notice.today()
    if end is None or today <= end:
        raise Conflict(
            "公示期尚未结束，公示期满后方可表彰"
            if end is None
            else f"公示期至 {end.isoformat()} 结束，公示期满后方可表彰",
            code="notice_not_ended",
            field="target",
            detail={"notice_ends_on": None if end is None else end.isoformat()},
        )
    report = await stored_report(row)
    _refuse_replacements_in_notice(report.selected if report else [], today)
    on_list = {
        r["id"]
        for r in await Nomination.select(Nomination.id).where(
            (Nomination.programme == row["id"]) & (Nomination.status == "shortlisted")
        )
    }
    entries = [e for e in (report.selected if report else []) if e.nomination_id in on_list]
    if not entries:
        raise Conflict("建议名单为空，不能表彰", code="empty_shortlist", field="target")
    prefix = await _certificate_prefix(row)
    numbered = []
    for serial, entry in enumerate(entries, start=1):
        number = f"{prefix}-{serial:04d}"
        await Nomination.update(
            {
                Nomination.status: "awarded",
                Nomination.certificate_no: number,
                Nomination.version: Nomination.version + 1,
            }
        ).where(Nomination.id == entry.nomination_id)
        numbered.append(msgspec.structs.replace(entry, status="awarded", certificate_no=number))
    await Programme.update({Programme.awarded_on: today}).where(Programme.id == row["id"])
    assert report is not None
    await store_report(row["id"], msgspec.structs.replace(report, selected=numbered))
    await audit.record(
        actor,
        "programme.award",
        "programme",
        row["id"],
        after={
            "awarded": len(numbered),
            "certificates": [numbered[0].certificate_no, numbered[-1].certificate_no],
            "awarded_on": today.isoformat(),
        },
    )


def _refuse_replacements_in_notice(entries: Sequence[ShortlistEntry], today: dt.date) -> None:
    """A nominee who moved up has a notice period of their own: never onto the roll before it ends."""
    waiting = [e for e in entries if e.notice_ends_on is not None and today <= e.notice_ends_on]
    if not waiting:
        return
    last = max(e.notice_ends_on for e in waiting if e.notice_ends_on is not None)
    raise Conflict(
        f"递补人选 {'、'.join(e.name for e in waiting)} 的公示期至 {last.isoformat()} 结束，期满后方可表彰",
        code="replacement_notice_not_ended",
        field="target",
        detail={
            "nominations": [e.nomination_id for e in waiting],
            "notice_ends_on": last.isoformat(),
        },
    )


async def award(actor: Actor, programme_id: int, data: AwardIn) -> HonourRoll:
    await transitions.transition(
        actor,
        programme_id,
        TransitionIn(target=ProgrammeState.AWARDED, version=data.version, reason=data.reason.strip()),
        enter_awarded,
    )
    return await honour_roll(programme_id)


async def honour_roll(programme_id: int) -> HonourRoll:
    """The public honour roll: name, employer and award; 404 until the programme is awarded."""
    row = await programme_row(programme_id)
    if row["state"] not in PUBLISHED_STATES:
        raise NotFound("该评选尚未公布表彰名单", code="not_published", field="programme_id")
    award_name = KIND_NAMES.get(row["kind"], row["kind"])
    rows = (
        await Nomination.select(
            Nomination.certificate_no,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.name.as_alias("employer_name"),
        )
        .where((Nomination.programme == programme_id) & (Nomination.status == "awarded"))
        .order_by(Nomination.certificate_no)
    )
    return HonourRoll(
        programme_id=programme_id,
        name=row["name"],
        year=row["year"],
        kind_name=award_name,
        awarded_on=row["awarded_on"],
        issuing_body=row["issuing_body"],
        items=[
            HonourItem(
                certificate_no=r["certificate_no"] or "",
                name=r["name"],
                employer_name=r["employer_name"],
                award=award_name,
            )
            for r in rows
        ],
    )


def _text_cell(cell: Any, value: str) -> None:
    """A cell that is text whatever it starts with (a name like "=1+1" never becomes a formula)."""
    spreadsheets.put(cell, value)


def honours_workbook(roll: HonourRoll) -> bytes:
    from openpyxl.styles import Alignment, Font

    book = spreadsheets.new_book()
    sheet = book.active
    assert sheet is not None
    sheet.title = "表彰名单"
    title = f"{roll.name}表彰名单"
    _text_cell(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    headers = ["序号", "证书编号", "姓名", "工作单位", "荣誉称号"]
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column)
        _text_cell(cell, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for index, item in enumerate(roll.items, start=1):
        row = index + 2
        sheet.cell(row=row, column=1, value=index)
        for column, value in enumerate(
            (item.certificate_no, item.name, item.employer_name or "", item.award), start=2
        ):
            _text_cell(sheet.cell(row=row, column=column), value)
    for column, width in zip("ABCDE", (6, 18, 12, 36, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    footer = len(roll.items) + 4
    _text_cell(sheet.cell(row=footer, column=4), roll.issuing_body)
    if roll.awarded_on is not None:
        _text_cell(sheet.cell(row=footer + 1, column=4), roll.awarded_on.isoformat())
    return spreadsheets.xlsx_bytes(book)


async def honours_xlsx(programme_id: int) -> tuple[bytes, str]:
    roll = await honour_roll(programme_id)
    content = await anyio.to_thread.run_sync(honours_workbook, roll)
    return content, f"{roll.name}表彰名单.xlsx"
