"""What score entry reads of a competition and its contestants, and what it tells others after a change.

Competitions' own facts (title, state, stages, who is drawn) come through :mod:`competitions.service`, its
API for other domains; scoring's facts about them (stage sign-offs, a contestant's time used and
disqualification) from scoring's tables. :func:`notify` tells live pages after a committed change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from accounts.audit import SYSTEM
from competitions import service as competitions_service
from competitions.rules import normalize_blind_code
from competitions.tables import Competition, Registration
from core.db import engine_name
from core.errors import Invalid, NotFound
from scoring import live
from scoring.marks import plain
from scoring.schemas import ContestantFactsOut
from scoring.tables import ContestantFacts, StageSignoff

logger = logging.getLogger("yicheng.scoring")


class CompetitionInfo(msgspec.Struct, kw_only=True):
    id: int
    title: str
    occupation: str
    state: str


class CompetitionStage(msgspec.Struct, kw_only=True):
    id: int
    position: int
    name: str
    kind: str
    weight_percent: Decimal


class Contestant(msgspec.Struct, kw_only=True, gc=False):
    registration_id: int
    station_no: int
    blind_code: str
    employer_id: int | None


async def competition(competition_id: int) -> CompetitionInfo:
    """The competition's head; 404 for an unknown id."""
    row = (
        await Competition.select(Competition.id, Competition.title, Competition.occupation, Competition.state)
        .where(Competition.id == competition_id)
        .first()
    )
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return CompetitionInfo(**row)


async def competition_stages(competition_id: int) -> list[CompetitionStage]:
    stages = await competitions_service.competition_stages(competition_id)
    return [
        CompetitionStage(
            id=s.id, position=s.position, name=s.name, kind=s.kind, weight_percent=s.weight_percent
        )
        for s in stages
    ]


async def drawn(competition_id: int) -> list[Contestant]:
    """The contestants on the floor: accepted and drawn (a station and a blind code), by station."""
    return [
        Contestant(
            registration_id=c.registration_id,
            station_no=c.station_no,
            blind_code=c.blind_code,
            employer_id=c.employer_id,
        )
        for c in await competitions_service.drawn_contestants(competition_id)
        if c.blind_code
    ]


async def drawn_or_registered(competition_id: int) -> list[Contestant]:
    """Drawn contestants; before the draw, the accepted registrations (for the employer recusals)."""
    contestants = await drawn(competition_id)
    if contestants:
        return contestants
    rows = await Registration.select(Registration.id, Registration.employer).where(
        (Registration.competition == competition_id) & (Registration.status == "accepted")
    )
    return [
        Contestant(registration_id=r["id"], station_no=0, blind_code="", employer_id=r["employer"])
        for r in rows
    ]


async def find_contestant(
    competition_id: int, registration_id: int | None, blind_code: str | None, *, field_prefix: str = ""
) -> Contestant:
    """A drawn contestant of the competition by registration id or blind code; 404 naming the field."""
    if registration_id is None and not blind_code:
        raise Invalid(
            "请指定选手（加密号或报名编号）", code="contestant_required", field=f"{field_prefix}blind_code"
        )
    query = Registration.select(
        Registration.id,
        Registration.station_no,
        Registration.blind_code,
        Registration.employer,
        Registration.status,
    ).where(Registration.competition == competition_id)
    if registration_id is not None:
        field = f"{field_prefix}registration_id"
        query = query.where(Registration.id == registration_id)
    else:
        field = f"{field_prefix}blind_code"
        query = query.where(Registration.blind_code == normalized_blind_code(blind_code or ""))
    row = await query.first()
    if row is None or row["station_no"] is None or row["blind_code"] is None or row["status"] != "accepted":
        raise NotFound("本竞赛没有该加密号的参赛选手", code="unknown_contestant", field=field)
    return Contestant(
        registration_id=row["id"],
        station_no=row["station_no"],
        blind_code=row["blind_code"],
        employer_id=row["employer"],
    )


def normalized_blind_code(text: str) -> str:
    """A blind code as typed on a tablet, in the form it is stored."""
    return normalize_blind_code(text) or text.strip().upper()


async def mark_scoring_started(competition_id: int) -> None:
    """The first mark moves a checked-in competition to in_progress (inside the caller's transaction): one
    conditional UPDATE and its audit row; the state is read only when that found nothing to move."""
    if await competitions_service.start_scoring_once(competition_id, SYSTEM):
        return
    if await competitions_service.get_competition_state(competition_id) == "checked_in":
        await competitions_service.mark_scoring_started(competition_id, SYSTEM)  # its 409 (not drawn)


async def lock_competition(competition_id: int) -> None:
    """Serialise panel changes of one competition (SQLite's write transaction already does)."""
    if engine_name() == "postgres":
        await Competition.select(Competition.id).where(Competition.id == competition_id).lock_rows()


async def notify(competition_id: int) -> None:
    """Tell live pages after a committed change; a failure to notify never fails the write."""
    try:
        await live.marks_changed(competition_id)
    except Exception:  # pragma: no cover - defensive
        logger.exception("marks_changed(%s) failed", competition_id)


async def stage_signoffs(stage_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The chief judge's sign-off of each signed-off stage, by stage id."""
    ids = list(stage_ids)
    if not ids:
        return {}
    rows = await StageSignoff.select(StageSignoff.stage, StageSignoff.chief, StageSignoff.signed_at).where(
        StageSignoff.stage.is_in(ids)
    )
    return {r["stage"]: r for r in rows}


async def contestant_facts(registration_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Time used, disqualification and 未晋级 of the contestants that have any, by registration id."""
    ids = list(registration_ids)
    if not ids:
        return {}
    rows = await ContestantFacts.select(
        ContestantFacts.registration,
        ContestantFacts.time_used_seconds,
        ContestantFacts.disqualified,
        ContestantFacts.disqualified_reason,
        ContestantFacts.version,
        ContestantFacts.eliminated_after,
    ).where(ContestantFacts.registration.is_in(ids))
    return {r["registration"]: r for r in rows}


def facts_out(contestant: Contestant, row: Mapping[str, Any] | None) -> ContestantFactsOut:
    return ContestantFactsOut(
        station_no=contestant.station_no,
        blind_code=contestant.blind_code,
        disqualified=bool(row and row["disqualified"]),
        reason=row["disqualified_reason"] if row else "",
        time_used_seconds=plain(row["time_used_seconds"])
        if row and row["time_used_seconds"] is not None
        else None,
        version=row["version"] if row else 0,
    )
