"""Withdrawal: a registration leaves before check-in; a freed place goes to the first on the waitlist."""

from __future__ import annotations

import datetime as dt

from accounts import audit
from accounts.audit import Actor
from accounts.schemas import CurrentUser
from competitions.roster import get_registration
from competitions.schemas import RegistrationOut, WithdrawIn
from competitions.shared import (
    ACCEPTED,
    LIVE,
    STATUS_NAMES,
    WITHDRAWN,
    S,
    changes_public_reads,
    lock_competition,
    may_see,
    registration_row,
    update_registration,
)
from competitions.tables import Registration
from competitions.waitlist import release_seat
from core.db import utcnow, write_transaction
from core.errors import Conflict, NotFound


@changes_public_reads
async def withdraw(
    actor: Actor,
    viewer: CurrentUser,
    registration_id: int,
    data: WithdrawIn,
    *,
    now: dt.datetime | None = None,
) -> RegistrationOut:
    """Withdraw before check-in; a freed place goes to the first on the waitlist while still open."""
    now = now or utcnow()
    row = await registration_row(registration_id)
    if not may_see(viewer, row):
        raise NotFound(f"报名记录不存在：{registration_id}", field="registration_id")
    async with write_transaction():
        competition = await lock_competition(row["competition"])
        row = await registration_row(registration_id)
        if row["status"] not in LIVE:
            raise Conflict(
                f"该报名已{STATUS_NAMES[row['status']]}", code="not_withdrawable", field="registration_id"
            )
        if competition["state"] not in (S.OPEN, S.CLOSED):
            raise Conflict(
                "检录开始后不能在线退出，请联系组织者",
                code="withdrawal_closed",
                field="registration_id",
                detail={"state": competition["state"]},
            )
        await update_registration(row, data.version, {Registration.status: WITHDRAWN})
        await audit.record(
            actor,
            "registration.withdraw",
            "registration",
            registration_id,
            before={"status": row["status"]},
            after={"status": WITHDRAWN},
            reason=data.reason,
        )
        if row["status"] == ACCEPTED:
            await release_seat(row["competition"], now)
    return await get_registration(viewer, registration_id)
