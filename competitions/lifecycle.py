"""The lifecycle of a competition: draft -> open -> closed -> checked_in -> in_progress -> finished.

:data:`competitions.rules.ALLOWED_TRANSITIONS` says which steps are legal; this module takes them under the
competition row lock, with a version check when the caller sends one, and audits each.
"""

from __future__ import annotations

import datetime as dt

from accounts import audit
from accounts.audit import Actor
from accounts.service import stale
from competitions.catalogue import get_competition
from competitions.rules import ALLOWED_TRANSITIONS, TransitionError, check_transition
from competitions.schemas import CompetitionOut
from competitions.shared import S, changes_public_reads, lock_competition
from competitions.tables import Competition
from competitions.waitlist import promote_waitlisted
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid


@changes_public_reads
async def transition(
    actor: Actor,
    competition_id: int,
    target: str,
    *,
    version: int | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> CompetitionOut:
    """Move along the lifecycle; 409 ``invalid_transition`` (with the current state) if not allowed."""
    now = now or utcnow()
    async with write_transaction():
        locked = await lock_competition(competition_id)
        if version is not None and locked["version"] != version:
            raise stale(locked["version"])
        current = locked["state"]
        try:
            check_transition(current, target)
        except TransitionError as exc:
            allowed = sorted(ALLOWED_TRANSITIONS.get(current, ()))
            detail = {"current": current, "target": target, "allowed": allowed}
            raise Conflict(exc.message, code=exc.code, field="target", detail=detail) from None
        if target == S.OPEN:
            check_window_ahead(locked["registration_closes_at"], now)
        if target == S.IN_PROGRESS and locked["drawn_at"] is None:
            raise Conflict(
                "尚未抽签，不能开始比赛", code="not_drawn", field="target", detail={"current": current}
            )
        await Competition.update(
            {Competition.state: target, Competition.version: locked["version"] + 1}
        ).where(Competition.id == competition_id)
        await audit_transition(actor, competition_id, current, target, reason)
        if target == S.OPEN:
            await promote_waitlisted(competition_id, now)
    return await get_competition(competition_id, include_draft=True)


async def audit_transition(actor: Actor, competition_id: int, before: str, after: str, reason: str) -> None:
    await audit.record(
        actor,
        "competition.transition",
        "competition",
        competition_id,
        before={"state": before},
        after={"state": after},
        reason=reason,
    )


def check_window_ahead(closes: dt.datetime, now: dt.datetime) -> None:
    if closes <= now:
        message = "报名截止时间已过，重新开放报名须先延后截止时间"
        raise Invalid(message, code="window_passed", field="registration_closes_at")
