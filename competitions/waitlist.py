"""Places and the waitlist: a place is claimed by a conditional update, a freed one goes to the first waiting.

``accepted_count = accepted_count + 1 WHERE capacity IS NULL OR accepted_count < capacity``: no row back means
no place. The callers hold the competition row lock (:func:`competitions.shared.lock_competition`), so the
waitlist moves in arrival order, one promotion at a time, each audited.
"""

from __future__ import annotations

import datetime as dt

from accounts import audit
from accounts.audit import SYSTEM
from competitions.rules import waitlist_promotion
from competitions.shared import ACCEPTED, LOCK_COLUMNS, WAITLISTED, S, open_now
from competitions.tables import Competition, Registration

PROMOTION_REASON = "候补递补"


async def claim_seat(competition_id: int) -> bool:
    rows = await (
        Competition.update({Competition.accepted_count: Competition.accepted_count + 1})
        .where(
            (Competition.id == competition_id)
            & (Competition.capacity.is_null() | (Competition.accepted_count < Competition.capacity))
        )
        .returning(Competition.accepted_count)
    )
    return bool(rows)


async def release_seat(competition_id: int, now: dt.datetime) -> None:
    """An accepted registration left: one place less taken, then the waitlist moves up (if still open)."""
    await Competition.update({Competition.accepted_count: Competition.accepted_count - 1}).where(
        (Competition.id == competition_id) & (Competition.accepted_count > 0)
    )
    await promote_waitlisted(competition_id, now)


async def promote_waitlisted(competition_id: int, now: dt.datetime) -> None:
    """While there is room and registration is open, the first on the waitlist is accepted (audited)."""
    while True:
        row = await Competition.select(*LOCK_COLUMNS).where(Competition.id == competition_id).first()
        state = row["state"] if open_now(row, now) else S.CLOSED
        first = (
            await Registration.select(Registration.id, Registration.version)
            .where((Registration.competition == competition_id) & (Registration.status == WAITLISTED))
            .order_by(Registration.arrival)
            .first()
        )
        waitlist = [first["id"]] if first else []
        promoted = waitlist_promotion(
            waitlist, state=state, capacity=row["capacity"], accepted_count=row["accepted_count"]
        )
        if promoted is None or not await claim_seat(competition_id):
            return
        await Registration.update(
            {Registration.status: ACCEPTED, Registration.version: Registration.version + 1}
        ).where(Registration.id == promoted)
        await audit.record(
            SYSTEM,
            "registration.promote",
            "registration",
            promoted,
            before={"status": WAITLISTED},
            after={"status": ACCEPTED},
            reason=PROMOTION_REASON,
        )
