"""Capacity, arrival order, "once per person" and the per-enterprise limit under real concurrent requests.

The requests go to the real server (granian, two worker processes) over HTTP, all at once, so the
guarantees are those of the database (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), not of one
process's event loop.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest

from accounts.sessions import SESSION_COOKIE
from accounts.tables import AuditLog, Enterprise
from competitions.rules import EligibilityRules, format_registration_no
from competitions.tables import Competition, Registration
from tests.competitions.support import make_competition, make_contestants, make_people
from tests.helpers import make_credit_code

pytestmark = pytest.mark.slow


async def _fire(base_url: str, url: str, tokens: list[str]) -> list[httpx.Response]:
    """One POST per token, all in flight together, each with its own session cookie."""
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=180) as client:
        csrf = (await client.get("/competitions")).cookies["csrftoken"]
        client.cookies.clear()

        async def post(token: str) -> httpx.Response:
            headers = {"cookie": f"{SESSION_COOKIE}={token}; csrftoken={csrf}", "x-csrftoken": csrf}
            return await client.post(url, json={}, headers=headers)

        return await asyncio.gather(*(post(t) for t in tokens))


async def test_500_at_once_for_100_places(live_server: str, db: None) -> None:
    competition_id = await make_competition(capacity=100)
    people = await make_people(500)
    sessions = await make_contestants(people)
    person_of = {token: person for person, (_, token) in zip(people, sessions, strict=True)}
    tokens = [token for _, token in sessions]
    # Five people press the button four times each, concurrently with everyone else.
    doubles = [tokens[i] for i in range(5) for _ in range(3)]
    batch = tokens + doubles
    random.Random(7).shuffle(batch)

    responses = await _fire(live_server, f"/api/competitions/{competition_id}/registrations", batch)

    assert {r.status_code for r in responses} <= {200, 201}, [
        r.text for r in responses if r.status_code >= 300
    ][:3]
    created = [r.json() for r in responses if r.status_code == 201]
    assert len(created) == 500 and sum(r.status_code == 200 for r in responses) == 15
    outcomes = Counter(body["outcome"] for body in created)
    assert outcomes == {"accepted": 100, "waitlisted": 400}
    positions = sorted(
        b["registration"]["waitlist_position"] for b in created if b["outcome"] == "waitlisted"
    )
    assert positions == list(range(1, 401))
    # Every answer for one person names the same registration.
    ids_of: dict[int, set[int]] = defaultdict(set)
    for token, response in zip(batch, responses, strict=True):
        ids_of[person_of[token]].add(response.json()["registration"]["id"])
    assert all(len(ids) == 1 for ids in ids_of.values()) and len(ids_of) == 500

    rows = await Registration.select(Registration.status, Registration.arrival).where(
        Registration.competition == competition_id
    )
    assert len(rows) == 500
    arrivals = {
        status: sorted(r["arrival"] for r in rows if r["status"] == status)
        for status in ("accepted", "waitlisted")
    }
    # Places went to the first 100 arrivals, the waitlist is the rest in arrival order; no number spent twice.
    assert arrivals["accepted"] == list(range(1, 101)) and arrivals["waitlisted"] == list(range(101, 501))
    competition = (
        await Competition.select(Competition.accepted_count, Competition.next_seq)
        .where(Competition.id == competition_id)
        .first()
    )
    assert competition == {"accepted_count": 100, "next_seq": 501}
    # One audit row per registration, written with it, saying what was written.
    written = await Registration.select(
        Registration.id, Registration.person, Registration.registration_no, Registration.status
    ).where(Registration.competition == competition_id)
    logged = await AuditLog.select(AuditLog.entity_id, AuditLog.after).where(
        AuditLog.action == "registration.create"
    )
    assert sorted((int(r["entity_id"]), _json(r["after"])) for r in logged) == sorted(
        (r["id"], {"registration_no": r["registration_no"], "person_id": r["person"], "status": r["status"]})
        for r in written
    )
    assert {r["registration_no"] for r in written} == {
        format_registration_no(competition_id, seq) for seq in range(1, 501)
    }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def test_per_enterprise_limit_holds_under_concurrency(live_server: str, db: None) -> None:
    enterprise = Enterprise(name="并发测试公司", credit_code=make_credit_code(99), industry="other")
    await enterprise.save()
    competition_id = await make_competition(capacity=None, eligibility=EligibilityRules(max_per_enterprise=5))
    people = await make_people(40, employer_id=enterprise.id)
    tokens = [token for _, token in await make_contestants(people)]

    responses = await _fire(live_server, f"/api/competitions/{competition_id}/registrations", tokens)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 5, 422: 35}, statuses
    refused: Any = [r.json() for r in responses if r.status_code == 422]
    assert {tuple(x["code"] for x in body["detail"]["reasons"]) for body in refused} == {
        ("enterprise_limit_reached",)
    }
    assert await Registration.count().where(Registration.competition == competition_id) == 5
