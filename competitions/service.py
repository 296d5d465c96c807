"""What other domains ask of the competitions domain: a stable API, no personal data unless the name says so.

Scoring builds its panels, sheets and results on these functions. The domain's own use cases live in
modules named for them (:mod:`competitions.setup`, :mod:`.lifecycle`, :mod:`.registration`,
:mod:`.checkin` ...), which the routes, the demo, tools and tests call.

``await get_competition_state(competition_id) -> str``
    one of ``competitions.rules.CompetitionState``; 404 for an unknown competition.
``await drawn_contestants(competition_id) -> list[DrawnContestant]``
    registration_id, person_id, employer_id, station_no, blind_code of every drawn contestant, by station.
``await competition_stages(competition_id) -> list[StageInfo]``
    id, position, name, kind, weight_percent (Decimal), in order.
``await mark_scoring_started(competition_id, actor=SYSTEM) -> None``
    checked_in -> in_progress, idempotent; from then on the lot draw is refused.
``await start_scoring_once(competition_id, actor=SYSTEM) -> bool``
    the same in two statements (inside the caller's write unit), False when not checked in and drawn.
``await unblinded_contestants(competition_id) -> dict[registration_id, (name, employer_name)]``
    the blind-code mapping's other half, for organizers and publication only.
"""

from __future__ import annotations

from accounts.audit import SYSTEM, Actor
from competitions.lifecycle import audit_transition, transition
from competitions.schemas import DrawnContestant, StageInfo
from competitions.shared import ACCEPTED, CENT, S, stage_rows
from competitions.tables import Competition, Registration
from core.db import write_transaction
from core.errors import Conflict, NotFound


async def get_competition_state(competition_id: int) -> str:
    row = await Competition.select(Competition.state).where(Competition.id == competition_id).first()
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return row["state"]


_START_SCORING_SQL = """
UPDATE competition SET state = 'in_progress', version = version + 1
WHERE id = {} AND state = 'checked_in' AND drawn_at IS NOT NULL RETURNING id
"""


async def start_scoring_once(competition_id: int, actor: Actor = SYSTEM) -> bool:
    """checked_in (and drawn) -> in_progress in one conditional UPDATE and its audit row, no read before and
    no read-back after: what the first mark of a competition runs inside its sheet's write unit. False
    when the competition was not in that state (nothing written)."""
    async with write_transaction():
        started = await Competition.raw(_START_SCORING_SQL, competition_id)
        if started:
            await audit_transition(actor, competition_id, S.CHECKED_IN, S.IN_PROGRESS, "开始评分")
    return bool(started)


async def mark_scoring_started(competition_id: int, actor: Actor = SYSTEM) -> None:
    """checked_in -> in_progress, once; called by the scoring domain when the first mark arrives."""
    if await start_scoring_once(competition_id, actor):
        return
    if await get_competition_state(competition_id) == S.IN_PROGRESS:
        return
    try:
        await transition(actor, competition_id, S.IN_PROGRESS, reason="开始评分")
    except Conflict:
        if await get_competition_state(competition_id) != S.IN_PROGRESS:
            raise


async def drawn_contestants(competition_id: int) -> list[DrawnContestant]:
    await get_competition_state(competition_id)
    rows = (
        await Registration.select(
            Registration.id,
            Registration.person,
            Registration.employer,
            Registration.station_no,
            Registration.blind_code,
        )
        .where(
            (Registration.competition == competition_id)
            & (Registration.status == ACCEPTED)
            & Registration.station_no.is_not_null()
        )
        .order_by(Registration.station_no)
    )
    return [
        DrawnContestant(
            registration_id=r["id"],
            person_id=r["person"],
            employer_id=r["employer"],
            station_no=r["station_no"],
            blind_code=r["blind_code"],
        )
        for r in rows
    ]


async def competition_stages(competition_id: int) -> list[StageInfo]:
    await get_competition_state(competition_id)
    return [
        StageInfo(
            id=s["id"],
            position=s["position"],
            name=s["name"],
            kind=s["kind"],
            weight_percent=s["weight_percent"].quantize(CENT),
        )
        for s in await stage_rows(competition_id)
    ]


async def unblinded_contestants(competition_id: int) -> dict[int, tuple[str, str | None]]:
    """registration_id -> (name, employer name) of the drawn contestants: organizers and publication only."""
    rows = await Registration.select(
        Registration.id,
        Registration.person.name.as_alias("name"),
        Registration.employer.name.as_alias("employer_name"),
    ).where(
        (Registration.competition == competition_id)
        & (Registration.status == ACCEPTED)
        & Registration.station_no.is_not_null()
    )
    return {r["id"]: (r["name"], r["employer_name"]) for r in rows}
