"""Competitions: a registration rush against the real server, and eligibility of 10,000 people.

The rush: 2,000 contestants, each with a session of their own, register at the same moment for 300
places; the load comes from another process (bench.fire). Throughput is registrations per second as a
ratio of the bare framework's ``GET /health`` ceiling measured in the same run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

from bench.pure import best_ms, check_people, people
from bench.remote import csrf_token, fire

RUSH_PEOPLE = 2_000
RUSH_PLACES = 300


async def _open_competition() -> int:
    from accounts.audit import SYSTEM
    from competitions import lifecycle, setup
    from competitions.schemas import CompetitionIn, StageIn
    from core.db import utcnow

    now = utcnow()
    created = await setup.create_competition(
        SYSTEM,
        CompetitionIn(
            title="基准测试·报名高峰",
            occupation="电工",
            industry="other",
            registration_opens_at=now - dt.timedelta(hours=1),
            registration_closes_at=now + dt.timedelta(days=1),
            capacity=RUSH_PLACES,
            stages=[
                StageIn(name="理论知识", kind="theory", weight_percent=Decimal(30)),
                StageIn(name="实际操作", kind="practical", weight_percent=Decimal(70)),
            ],
        ),
    )
    await lifecycle.transition(SYSTEM, created.id, "open")
    return created.id


async def _prepare() -> tuple[int, list[str]]:
    from accounts.rules import Role
    from bench.crowd import make_people, make_sessions

    competition_id = await _open_competition()
    person_ids = await make_people(RUSH_PEOPLE, employer_id=None, union_id=None, seed=2026)
    tokens = await make_sessions(person_ids, role=Role.CONTESTANT, prefix="rush")
    return competition_id, tokens


async def _counts(competition_id: int) -> dict[str, int]:
    from competitions.tables import Registration

    rows = await Registration.select(Registration.status).where(Registration.competition == competition_id)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def rush(ceiling_rps: float, base_url: str) -> dict[str, float | int]:
    competition_id, tokens = asyncio.run(_prepare())
    path = f"/api/competitions/{competition_id}/registrations"
    plan = {
        "base_url": base_url,
        "csrf": csrf_token(base_url),
        "method": "POST",
        "connections": 256,
        "client": "lean",  # httpx's pool would cost four times the server's CPU (bench/fire.py)
        "requests": [{"path": path, "token": token, "json": {}} for token in tokens],
    }
    outcome = fire(plan)
    counts = asyncio.run(_counts(competition_id))
    errors = sum(n for status, n in outcome["statuses"].items() if status not in {"200", "201"})
    rate = RUSH_PEOPLE / outcome["elapsed_s"]
    return {
        "rush_accepted": counts.get("accepted", 0),
        "rush_waitlisted": counts.get("waitlisted", 0),
        "rush_errors": errors,
        "rush_rps": round(rate, 1),
        "rush_ratio": round(rate / ceiling_rps, 4),
    }


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float | int]:
    facts = people(10_000)
    return {
        **rush(ceiling_rps, base_url),
        "eligibility_10k_ms": round(best_ms(lambda: check_people(facts)), 2),
    }
