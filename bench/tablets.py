"""Tablets at the workshop: judges submitting score sheets concurrently against the real server.

Set-up goes straight into the tables (a competition in progress, a ten-aspect rubric, judges and drawn
contestants, a session per judge); the load is 50 tablets, each submitting its judge's sheets, from another
process (bench.fire). Every sheet is new (base version 0), so none is refused as stale: any mark missing
afterwards is a lost mark.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from bench.remote import csrf_token, fire, tablet_figures

TABLETS = 50
SHEETS_PER_TABLET = 10
ASPECTS = 10


def ten_marks() -> list[dict[str, str]]:
    return [{"aspect_id": f"a{i}", "value": str(Decimal(i % 20) / 2)} for i in range(ASPECTS)]


def new_sheet(competition_id: int, stage_id: int, registration_id: int) -> dict:
    """A judge's new sheet (base version 0), ten marks, submitted, with a client id of its own."""
    return {
        "competition_id": competition_id,
        "stage_id": stage_id,
        "registration_id": registration_id,
        "client_id": str(uuid.uuid4()),
        "base_version": 0,
        "marks": ten_marks(),
        "submit": True,
    }


def ten_aspects() -> tuple:
    """Ten measurement aspects of 10 marks in steps of 0.5: the rubric that ``ten_marks`` fills."""
    from scoring import rules

    return tuple(
        rules.Aspect(id=f"a{i}", kind="measurement", max_mark=Decimal(10), step=Decimal("0.5"))
        for i in range(ASPECTS)
    )


async def _competition_in_progress() -> tuple[int, int, list[int], list[int]]:
    """A drawn competition in progress, a rubric, contestants; returns its ids and the judges' people."""
    import msgspec

    from bench.crowd import make_people
    from competitions.tables import Competition, Registration, Stage
    from core.db import utcnow, write_transaction
    from scoring import rules
    from scoring.tables import ScoringScheme

    now = utcnow()
    person_ids = await make_people(SHEETS_PER_TABLET, employer_id=None, union_id=None, seed=50)
    judge_people = await make_people(TABLETS, employer_id=None, union_id=None, seed=51)
    async with write_transaction():
        competition = Competition(
            title="基准测试·平板评分", occupation="焊工", industry="other", registration_opens_at=now,
            registration_closes_at=now, state="in_progress", drawn_at=now,
        )  # fmt: skip
        await competition.save()
        stage = Stage(
            competition=competition.id, position=0, name="实际操作", kind="practical", weight_percent=100
        )
        await stage.save()
        aspects = ten_aspects()
        scheme = rules.CompetitionRules(
            stages=(
                rules.Stage(
                    id=str(stage.id),
                    full_marks=Decimal(10 * ASPECTS),
                    weight_percent=Decimal(100),
                    modules=(rules.Module(id="m1", aspects=aspects),),
                ),
            )
        )
        await ScoringScheme.insert(
            ScoringScheme(
                competition=competition.id, rules=msgspec.json.encode(scheme).decode(), frozen_at=now
            )
        )
        registrations = await Registration.insert(
            *(
                Registration(
                    competition=competition.id,
                    person=pid,
                    entry_key=f"{competition.id}:{pid}",
                    registration_no=f"C{competition.id:04d}-{i + 1:05d}",
                    status="accepted",
                    arrival=i + 1,
                    review="approved",
                    attendance="present",
                    station_no=i + 1,
                    blind_code=f"BEN-{i:03d}",
                )
                for i, pid in enumerate(person_ids)
            )
        ).returning(Registration.id)
    return competition.id, stage.id, [r["id"] for r in registrations], judge_people


async def _prepare() -> tuple[int, int, list[int], list[str]]:
    from accounts.rules import Role
    from accounts.tables import User
    from bench.crowd import make_sessions
    from core.db import write_transaction
    from scoring.tables import JudgeAssignment

    competition_id, stage_id, registration_ids, judge_people = await _competition_in_progress()
    tokens = await make_sessions(judge_people, role=Role.JUDGE, prefix="tablet")
    judge_ids = [
        r["id"] for r in await User.select(User.id).where(User.username.like("tablet%")).order_by(User.id)
    ]
    async with write_transaction():
        await JudgeAssignment.insert(
            *(
                JudgeAssignment(
                    competition=competition_id, judge=j, judge_key=f"{competition_id}:{j}", judge_no=n + 1
                )
                for n, j in enumerate(judge_ids)
            )
        )
    return competition_id, stage_id, registration_ids, tokens


async def _marks_stored(competition_id: int) -> int:
    from scoring.tables import SheetMark

    return await SheetMark.count().where(SheetMark.sheet.competition == competition_id)


def run_tablets(ceiling_rps: float, base_url: str) -> dict[str, float | int]:
    competition_id, stage_id, registration_ids, tokens = asyncio.run(_prepare())
    requests = [
        {
            "path": "/api/judge/sheets",
            "token": token,
            "json": new_sheet(competition_id, stage_id, registration_id),
        }
        for token in tokens
        for registration_id in registration_ids
    ]
    plan = {"base_url": base_url, "csrf": csrf_token(base_url), "method": "PUT", "connections": TABLETS}
    outcome = fire({**plan, "requests": requests})
    stored = asyncio.run(_marks_stored(competition_id))
    return tablet_figures("marks", outcome, ceiling_rps, sent=len(requests) * ASPECTS, stored=stored)
