"""Experts' tablets: 50 experts submitting review sheets concurrently against the real server.

Set-up goes straight into the tables (a programme in expert review with a ten-aspect rubric, eligible union
nominations, a panel of experts with a session each); the load is 50 tablets, each submitting its expert's
sheets for every nomination, from another process (bench.fire). Every sheet is new (base version 0), so none
is refused as stale: any mark missing afterwards is a lost mark.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

from bench.remote import csrf_token, fire, tablet_figures
from bench.tablets import ASPECTS, SHEETS_PER_TABLET, TABLETS, ten_aspects, ten_marks


async def _programme_in_review() -> tuple[int, list[int], list[str]]:
    """A programme in expert review; returns its id, its nominations and the experts' session tokens."""
    import msgspec

    from accounts.rules import Role
    from awards.rules import ProgrammeState
    from awards.tables import Nomination, Programme, Reviewer
    from bench.crowd import make_people, make_sessions
    from core.db import utcnow, write_transaction
    from scoring import rules

    now = utcnow()
    rubric = rules.CompetitionRules(
        stages=(
            rules.Stage(
                id="review",
                full_marks=Decimal(10 * ASPECTS),
                weight_percent=Decimal(100),
                modules=(rules.Module(id="m1", aspects=ten_aspects()),),
            ),
        )
    )
    nominee_people = await make_people(SHEETS_PER_TABLET, employer_id=None, union_id=None, seed=60)
    expert_people = await make_people(TABLETS, employer_id=None, union_id=None, seed=61)
    async with write_transaction():
        programme = Programme(
            name="基准测试·专家评审", year=now.year, kind="good_employee", state=ProgrammeState.EXPERT_REVIEW,
            nomination_opens_at=now - dt.timedelta(days=30), nomination_closes_at=now - dt.timedelta(days=1),
            total_awards=5, review_rules=msgspec.json.encode(rubric).decode(), created_at=now,
        )  # fmt: skip
        await programme.save()
        nominations = await Nomination.insert(
            *(
                Nomination(
                    programme=programme.id,
                    person=pid,
                    nomination_key=f"{programme.id}:{pid}",
                    source="union",
                    eligibility_status="eligible",
                    status="nominated",
                    created_at=now,
                )
                for pid in nominee_people
            )
        ).returning(Nomination.id)
    tokens = await make_sessions(expert_people, role=Role.EXPERT, prefix="benchexpert")
    expert_ids = await _user_ids_of(expert_people)
    async with write_transaction():
        await Reviewer.insert(
            *(
                Reviewer(
                    programme=programme.id,
                    expert=e,
                    reviewer_key=f"{programme.id}:{e}",
                    reviewer_no=n + 1,
                    created_at=now,
                )
                for n, e in enumerate(expert_ids)
            )
        )
    return programme.id, [n["id"] for n in nominations], tokens


async def _user_ids_of(person_ids: list[int]) -> list[int]:
    from accounts.tables import User

    rows = await User.select(User.id, User.person).where(User.person.is_in(person_ids))
    by_person = {r["person"]: r["id"] for r in rows}
    return [by_person[p] for p in person_ids]


async def _marks_stored(programme_id: int) -> int:
    from awards.tables import ReviewMark

    return await ReviewMark.count().where(ReviewMark.sheet.programme == programme_id)


def sheet_body(programme_id: int, nomination_id: int) -> dict[str, object]:
    """A tablet's first write of one sheet: new (base version 0), every mark, submitted."""
    return {
        "programme_id": programme_id,
        "nomination_id": nomination_id,
        "client_id": str(uuid.uuid4()),
        "base_version": 0,
        "marks": ten_marks(),
        "submit": True,
    }


def run_review(ceiling_rps: float, base_url: str, prefix: str = "review") -> dict[str, float | int]:
    programme_id, nomination_ids, tokens = asyncio.run(_programme_in_review())
    requests = [
        {"path": "/api/review/sheets", "token": token, "json": sheet_body(programme_id, nomination_id)}
        for token in tokens
        for nomination_id in nomination_ids
    ]
    plan = {"base_url": base_url, "csrf": csrf_token(base_url), "method": "PUT", "connections": TABLETS}
    outcome = fire({**plan, "requests": requests})
    stored = asyncio.run(_marks_stored(programme_id))
    return tablet_figures(prefix, outcome, ceiling_rps, sent=len(requests) * ASPECTS, stored=stored)


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float | int]:
    return run_review(ceiling_rps, base_url)
