"""Review of registrations by organizers: approve, or reject with a reason, one or many, before the draw."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts import audit
from accounts.audit import Actor
from competitions.schemas import BulkReviewIn, RegistrationOut, ReviewIn
from competitions.shared import (
    ACCEPTED,
    LIVE,
    REG_COLUMNS,
    REJECTED,
    STATUS_NAMES,
    S,
    changes_public_reads,
    lock_competition,
    registration_out,
    registration_out_by_id,
    registration_row,
    update_registration,
    waitlist_positions,
)
from competitions.tables import Registration
from competitions.waitlist import release_seat
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

_REVIEWABLE_STATES = (S.OPEN, S.CLOSED, S.CHECKED_IN)


async def _review_one(
    actor: Actor, row: dict[str, Any], decision: str, reason: str, version: int | None, now: dt.datetime
) -> bool:
    """Approve or reject one registration (inside the caller's transaction); False if nothing to do."""
    if row["status"] not in LIVE:
        return False
    if decision == "approve":
        if row["review"] == "approved":
            return False
        await update_registration(
            row, version, {Registration.review: "approved", Registration.review_reason: ""}
        )
        await audit.record(
            actor,
            "registration.approve",
            "registration",
            row["id"],
            before={"review": row["review"]},
            after={"review": "approved"},
        )
        return True
    values = {
        Registration.status: REJECTED,
        Registration.review: "rejected",
        Registration.review_reason: reason,
    }
    await update_registration(row, version, values)
    await audit.record(
        actor,
        "registration.reject",
        "registration",
        row["id"],
        before={"status": row["status"], "review": row["review"]},
        after={"status": REJECTED, "review": "rejected"},
        reason=reason,
    )
    if row["status"] == ACCEPTED:
        await release_seat(row["competition"], now)
    return True


def _check_review(data_decision: str, reason: str, competition: dict[str, Any]) -> None:
    if data_decision == "reject" and not reason.strip():
        raise Invalid("驳回报名须填写理由", code="reason_required", field="reason")
    if competition["state"] not in _REVIEWABLE_STATES or competition["drawn_at"] is not None:
        raise Conflict(
            "当前阶段不能审核报名（须在抽签之前）",
            code="review_closed",
            detail={"current": competition["state"]},
        )


@changes_public_reads
async def review(
    actor: Actor, registration_id: int, data: ReviewIn, *, now: dt.datetime | None = None
) -> RegistrationOut:
    now = now or utcnow()
    row = await registration_row(registration_id)
    async with write_transaction():
        competition = await lock_competition(row["competition"])
        _check_review(data.decision, data.reason, competition)
        row = await registration_row(registration_id)
        if row["status"] not in LIVE:
            raise Conflict(
                f"该报名已{STATUS_NAMES[row['status']]}，不能再审核",
                code="not_reviewable",
                field="registration_id",
            )
        await _review_one(actor, row, data.decision, data.reason.strip(), data.version, now)
    return await registration_out_by_id(registration_id, show_blind=True)


@changes_public_reads
async def review_many(
    actor: Actor, competition_id: int, data: BulkReviewIn, *, now: dt.datetime | None = None
) -> list[RegistrationOut]:
    """The same decision for many registrations of one competition; already-final ones are skipped."""
    now = now or utcnow()
    ids = list(dict.fromkeys(data.registration_ids))
    async with write_transaction():
        competition = await lock_competition(competition_id)
        _check_review(data.decision, data.reason, competition)
        rows = await Registration.select(*REG_COLUMNS).where(Registration.id.is_in(ids))
        by_id = {r["id"]: r for r in rows if r["competition"] == competition_id}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFound(f"本竞赛中没有这些报名：{missing[:10]}", field="registration_ids")
        changed = []
        for registration_id in ids:
            if await _review_one(
                actor, by_id[registration_id], data.decision, data.reason.strip(), None, now
            ):
                changed.append(registration_id)
    positions = await waitlist_positions(competition_id)
    rows = await Registration.select(*REG_COLUMNS).where(Registration.id.is_in(changed)) if changed else []
    return [registration_out(r, positions.get(r["id"]), show_blind=True) for r in rows]
