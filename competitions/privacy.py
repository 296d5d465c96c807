"""What the competitions domain holds about a person (registrations), offered to accounts' privacy use cases.

Registrations hold no personal data of their own beyond the link to the person (erasing the person
anonymises them), so erasure here changes nothing and only names the rows whose audit entries may carry
the name. A registration in a competition not yet finished blocks erasure: withdraw it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounts.audit import Actor, entered_state
from accounts.privacy import ErasedPart, PersonalDataSource, Section
from competitions.rules import STATE_NAMES, CompetitionState
from competitions.shared import LIVE, STATUS_NAMES
from competitions.tables import Competition, Registration

FINISHED = CompetitionState.FINISHED


async def _registrations(person_id: int) -> list[dict]:
    return (
        await Registration.select(
            Registration.id,
            Registration.registration_no,
            Registration.status,
            Registration.review,
            Registration.attendance,
            Registration.station_no,
            Registration.created_at,
            Registration.competition.id.as_alias("competition_id"),
            Registration.competition.title.as_alias("competition"),
            Registration.competition.state.as_alias("state"),
        )
        .where(Registration.person == person_id)
        .order_by(Registration.id)
    )


async def describe(person_id: int) -> list[Section]:
    items = [
        {
            "竞赛": r["competition"],
            "竞赛状态": STATE_NAMES.get(r["state"], r["state"]),
            "报名号": r["registration_no"],
            "报名状态": STATUS_NAMES.get(r["status"], r["status"]),
            "资格审核": r["review"],
            "检录": r["attendance"] or "",
            "工位号": r["station_no"] or "",
            "报名时间": r["created_at"].isoformat(),
        }
        for r in await _registrations(person_id)
    ]
    return [Section(key="registrations", title="竞赛报名", items=items)]


async def blockers(person_id: int) -> list[str]:
    return [
        f"竞赛「{r['competition']}」的报名（{r['registration_no']}）尚在进行，请先退出报名或待竞赛结束"
        for r in await _registrations(person_id)
        if r["state"] != FINISHED and r["status"] in LIVE
    ]


async def erase(actor: Actor, person_id: int) -> ErasedPart:
    rows = await _registrations(person_id)
    return ErasedPart(
        counts={"registrations_kept_anonymous": len(rows)},
        audit_refs=[("registration", str(r["id"])) for r in rows],
    )


async def still_needed(person_ids: Sequence[int], kept_since: dt.datetime) -> set[int]:
    """People with a registration in a competition not finished, or finished at or after ``kept_since``."""
    needed: set[int] = set()
    for start in range(0, len(person_ids), 500):
        rows = await Registration.select(
            Registration.person, Registration.competition, Registration.competition.state.as_alias("state")
        ).where(Registration.person.is_in(list(person_ids[start : start + 500])))
        finished = [r["competition"] for r in rows if r["state"] == FINISHED]
        finished_at = await entered_state("competition.transition", sorted(set(finished)), {FINISHED})
        for r in rows:
            ended = finished_at.get(str(r["competition"])) if r["state"] == FINISHED else None
            if ended is None and r["state"] == FINISHED:
                ended = await _closed_at(r["competition"])  # finished before transitions were audited
            if ended is None or ended >= kept_since:
                needed.add(r["person"])
    return needed


async def _closed_at(competition_id: int) -> dt.datetime | None:
    row = (
        await Competition.select(Competition.registration_closes_at)
        .where(Competition.id == competition_id)
        .first()
    )
    return None if row is None else row["registration_closes_at"]


SOURCE = PersonalDataSource(
    name="competitions", describe=describe, blockers=blockers, erase=erase, still_needed=still_needed
)
