"""Check-in (检录) and the lot draw (抽签): who is present, then stations and blind codes, audited."""

from __future__ import annotations

import datetime as dt
import random

from accounts import audit
from accounts.audit import Actor
from accounts.service import parse_identity
from accounts.tables import Person
from competitions.rules import (
    draw_lots,
    parse_registration_no,
)
from competitions.schemas import (
    CheckInIn,
    CheckInSheet,
    DrawIn,
    DrawOut,
    DrawRow,
    RegistrationOut,
)
from competitions.shared import (
    ACCEPTED,
    REG_COLUMNS,
    STATUS_NAMES,
    S,
    changes_public_reads,
    competition_row,
    entry_key,
    lock_competition,
    registration_out,
    registration_out_by_id,
    registration_row,
    summary,
    summary_of,
    update_registration,
)
from competitions.tables import Competition, Registration
from core import crypto
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

# --- check-in ---------------------------------------------------------------------------------------------


async def checkin_sheet(competition_id: int) -> CheckInSheet:
    """Every accepted contestant, in registration order, with their attendance and station."""
    summary = await summary_of(competition_id)
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where((Registration.competition == competition_id) & (Registration.status == ACCEPTED))
        .order_by(Registration.arrival)
    )
    return CheckInSheet(competition=summary, items=[registration_out(r, None, show_blind=True) for r in rows])


async def _find_for_checkin(competition_id: int, data: CheckInIn) -> int:
    if data.registration_id is not None:
        return data.registration_id
    if data.code is None:
        raise Invalid("请输入身份证号或报名号", code="required", field="code")
    code = data.code.strip().upper()
    if code.startswith("C"):
        try:
            parse_registration_no(code)
        except ValueError as exc:
            raise Invalid(str(exc), code="bad_registration_no", field="code") from None
        row = (
            await Registration.select(Registration.id)
            .where((Registration.registration_no == code) & (Registration.competition == competition_id))
            .first()
        )
    else:
        identity = parse_identity(code, field="code")
        person = (
            await Person.select(Person.id)
            .where(Person.id_fingerprint == crypto.fingerprint(identity.number))
            .first()
        )
        row = None
        if person is not None:
            key = entry_key(competition_id, person["id"])
            row = await Registration.select(Registration.id).where(Registration.entry_key == key).first()
    if row is None:
        raise NotFound("本竞赛中没有该身份证号或报名号的报名", field="code")
    return row["id"]


async def check_in(actor: Actor, competition_id: int, data: CheckInIn) -> RegistrationOut:
    """检录: mark an accepted, approved contestant present (or absent); closed once lots are drawn."""
    async with write_transaction():
        competition = await lock_competition(competition_id)
        if competition["state"] not in (S.CLOSED, S.CHECKED_IN):
            message = "检录须在报名截止之后、比赛开始之前进行"
            raise Conflict(message, code="checkin_not_open", detail={"current": competition["state"]})
        if competition["drawn_at"] is not None:
            raise Conflict(
                "已抽签，检录已结束", code="already_drawn", detail={"current": competition["state"]}
            )
        registration_id = await _find_for_checkin(competition_id, data)
        row = await registration_row(registration_id)
        if row["competition"] != competition_id:
            raise NotFound(f"本竞赛中没有该报名：{registration_id}", field="registration_id")
        if row["status"] != ACCEPTED:
            message = f"{row['name']} 未获参赛资格（{STATUS_NAMES[row['status']]}）"
            raise Conflict(message, code="not_accepted", field="code", detail={"status": row["status"]})
        if data.attendance == "present" and row["review"] != "approved":
            raise Conflict(f"{row['name']} 的报名尚未审核通过", code="not_approved", field="code")
        if row["attendance"] != data.attendance:
            await update_registration(row, None, {Registration.attendance: data.attendance})
            await audit.record(
                actor,
                "registration.checkin",
                "registration",
                registration_id,
                before={"attendance": row["attendance"]},
                after={"attendance": data.attendance},
            )
    return await registration_out_by_id(registration_id, show_blind=True)


# --- the lot draw -----------------------------------------------------------------------------------------


@changes_public_reads
async def draw(
    actor: Actor,
    competition_id: int,
    data: DrawIn,
    *,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
) -> DrawOut:
    """抽签: stations and blind codes for every present contestant, in one audited transaction."""
    async with write_transaction():
        competition = await lock_competition(competition_id)
        state = competition["state"]
        if state in (S.IN_PROGRESS, S.FINISHED):
            raise Conflict("评分已经开始，不能再抽签", code="scoring_started", detail={"current": state})
        if state != S.CHECKED_IN:
            message = "须先完成检录（将状态改为“已检录”）再抽签"
            raise Conflict(message, code="not_checked_in", detail={"current": state})
        redraw = competition["drawn_at"] is not None
        if redraw and not data.reason.strip():
            raise Invalid("已抽过签，重新抽签须填写理由", code="reason_required", field="reason")
        present = (
            await Registration.select(Registration.id, Registration.registration_no)
            .where(
                (Registration.competition == competition_id)
                & (Registration.status == ACCEPTED)
                & (Registration.attendance == "present")
            )
            .order_by(Registration.arrival)
        )
        if not present:
            raise Conflict("没有检录到场的选手，无法抽签", code="nobody_present")
        draws = draw_lots([r["id"] for r in present], rng=rng)
        await Registration.update({Registration.station_no: None, Registration.blind_code: None}).where(
            Registration.competition == competition_id
        )
        for item in draws:
            await Registration.update(
                {
                    Registration.station_no: item.station_no,
                    Registration.blind_code: item.blind_code,
                    Registration.version: Registration.version + 1,
                }
            ).where(Registration.id == item.contestant_id)
        await Competition.update(
            {Competition.drawn_at: now or utcnow(), Competition.version: competition["version"] + 1}
        ).where(Competition.id == competition_id)
        number_of = {r["id"]: r["registration_no"] for r in present}
        after = {
            "count": len(draws),
            "redraw": redraw,
            "draws": {number_of[d.contestant_id]: [d.station_no, d.blind_code] for d in draws},
        }
        await audit.record(
            actor, "competition.draw", "competition", competition_id, after=after, reason=data.reason
        )
    return await draw_list(competition_id)


async def draw_list(competition_id: int) -> DrawOut:
    """The draw with names: organizers only (the blind-code mapping)."""
    competition = await competition_row(competition_id)
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where(
            (Registration.competition == competition_id)
            & (Registration.status == ACCEPTED)
            & Registration.station_no.is_not_null()
        )
        .order_by(Registration.station_no)
    )
    items = [
        DrawRow(
            registration_id=r["id"],
            registration_no=r["registration_no"],
            name=r["name"],
            employer_name=r["employer_name"],
            station_no=r["station_no"],
            blind_code=r["blind_code"],
        )
        for r in rows
    ]
    return DrawOut(competition=summary(competition, utcnow()), drawn_at=competition["drawn_at"], items=items)
