"""The registration list as a spreadsheet (XLSX or CSV): masked, or full for organizers (audited)."""

from __future__ import annotations

from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.disclosure import OpenNumbers, disclose
from accounts.schemas import CurrentUser
from competitions import sheets
from competitions.roster import registration_filter
from competitions.rules import skill_level_label
from competitions.shared import (
    REG_COLUMNS,
    STATUS_NAMES,
    WAITLISTED,
    competition_row,
    local_time,
    waitlist_positions,
)
from competitions.tables import Registration
from core.db import SHANGHAI, utcnow, write_transaction

EXPORT_HEADERS = (
    "报名号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "手机号",
    "工作单位",
    "职业技能等级",
    "工会会员",
    "一线职工",
    "报名状态",
    "候补顺位",
    "审核",
    "审核意见",
    "检录",
    "工位号",
    "报名时间",
)

_REVIEW_NAMES = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}

_ATTENDANCE_NAMES = {"present": "到场", "absent": "缺席"}


async def export_registrations(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    *,
    fmt: str,
    full: bool,
    status: str | None = None,
    purpose: str | None = None,
) -> tuple[bytes, str, str]:
    """The registration list as XLSX or CSV; masked unless ``full`` (organizers, with a purpose: every
    person's unsealing is audited). Returns ``(content, file name, media type)``."""
    competition = await competition_row(competition_id)
    condition = registration_filter(viewer, competition_id, status=status)
    rows = (
        await Registration.select(
            *REG_COLUMNS,
            Registration.person.gender.as_alias("gender"),
            Registration.person.birth_date.as_alias("birth_date"),
            Registration.person.skill_level.as_alias("skill_level"),
            Registration.person.union_member.as_alias("union_member"),
            Registration.person.front_line.as_alias("front_line"),
            Registration.person.id_sealed.as_alias("id_sealed"),
            Registration.person.mobile_sealed.as_alias("mobile_sealed"),
        )
        .where(condition)
        .order_by(Registration.arrival)
    )
    positions = await waitlist_positions(competition_id)
    opened: dict[int, OpenNumbers] = {}
    if full:
        async with write_transaction():
            after = {"rows": len(rows), "format": fmt, "status": status}
            opened = await disclose(
                actor, rows, purpose=purpose or "", context="registration.export", person_key="person"
            )
            await audit.record(
                actor,
                "registration.export_full",
                "competition",
                competition_id,
                after=after,
                reason=purpose or "",
            )
    table = [_export_row(r, positions.get(r["id"]), opened.get(r["person"])) for r in rows]
    stamp = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    name = f"报名名单-{competition['title']}-{stamp}{'-完整' if full else ''}.{fmt}"
    if fmt == "xlsx":
        return sheets.write_xlsx(EXPORT_HEADERS, table), name, sheets.XLSX_MEDIA_TYPE
    return sheets.write_csv(EXPORT_HEADERS, table), name, sheets.CSV_MEDIA_TYPE


def _export_row(r: dict[str, Any], position: int | None, opened: OpenNumbers | None) -> list[Any]:
    yes_no = {True: "是", False: "否"}
    return [
        r["registration_no"],
        r["name"],
        {"M": "男", "F": "女"}.get(r["gender"], ""),
        r["birth_date"].isoformat(),
        opened.id_number if opened else r["id_masked"],
        opened.mobile if opened else r["mobile_masked"],
        r["employer_name"] or "",
        skill_level_label(r["skill_level"]) if r["skill_level"] else "",
        yes_no[bool(r["union_member"])],
        yes_no[bool(r["front_line"])],
        STATUS_NAMES.get(r["status"], r["status"]),
        position if r["status"] == WAITLISTED else "",
        _REVIEW_NAMES.get(r["review"], r["review"]),
        r["review_reason"],
        _ATTENDANCE_NAMES.get(r["attendance"] or "", ""),
        r["station_no"] or "",
        local_time(r["created_at"]),
    ]
