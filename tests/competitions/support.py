"""Builders the competitions tests share: competitions in a given state, people, contestant sessions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import PersonIn
from accounts.security import hash_password
from accounts.service import new_person_row
from accounts.sessions import start_session
from accounts.tables import Person, User
from competitions import lifecycle, setup
from competitions.rules import EligibilityRules
from competitions.schemas import CompetitionIn, StageIn
from core.db import utcnow, write_transaction
from tests.helpers import han_digits, make_id_number, make_mobile

ORGANIZER = Actor(None, "测试组织者", Role.ORGANIZER)


def competition_body(**overrides: Any) -> dict[str, Any]:
    """A valid create-competition request body (registration open from yesterday for ten days)."""
    now = utcnow()
    return {
        "title": "2026 年亦城职工职业技能竞赛（电工）",
        "occupation": "电工",
        "industry": "intelligent_manufacturing",
        "description": "理论知识 30%，技能操作 70%",
        "venue": "亦城职工实训基地",
        "registration_opens_at": (now - dt.timedelta(days=1)).isoformat(),
        "registration_closes_at": (now + dt.timedelta(days=10)).isoformat(),
        "capacity": 30,
        "stages": [
            {"name": "理论知识", "kind": "theory", "weight_percent": "30"},
            {"name": "技能操作", "kind": "practical", "weight_percent": "70"},
        ],
        "eligibility": {},
    } | overrides


async def make_competition(
    *,
    state: str = "open",
    capacity: int | None = 30,
    eligibility: EligibilityRules | None = None,
    opens: dt.datetime | None = None,
    closes: dt.datetime | None = None,
    title: str = "电工竞赛",
) -> int:
    """A competition created through the use case and moved to ``state`` (draft or open)."""
    now = utcnow()
    data = CompetitionIn(
        title=title,
        occupation="电工",
        industry="intelligent_manufacturing",
        registration_opens_at=opens or now - dt.timedelta(days=1),
        registration_closes_at=closes or now + dt.timedelta(days=10),
        capacity=capacity,
        stages=[
            StageIn(name="理论知识", kind="theory", weight_percent=Decimal(30)),
            StageIn(name="技能操作", kind="practical", weight_percent=Decimal(70)),
        ],
        eligibility=eligibility or EligibilityRules(),
    )
    competition = await setup.create_competition(ORGANIZER, data)
    if state == "open":
        await lifecycle.transition(
            ORGANIZER, competition.id, "open", now=(opens or now) + dt.timedelta(seconds=1)
        )
    return competition.id


async def make_people(
    count: int,
    *,
    employer_id: int | None = None,
    union_id: int | None = None,
    birth: dt.date = dt.date(1990, 5, 17),
    **fields: Any,
) -> list[int]:
    """``count`` people in one transaction (sealed numbers and all), returning their ids."""
    rows = [
        new_person_row(
            PersonIn(
                name=f"选手{han_digits(index)}",
                id_number=make_id_number(birth + dt.timedelta(days=index // 400)),
                mobile=make_mobile(),
                employer_id=employer_id,
                union_id=union_id,
                **({"union_member": True, "skill_level": 3, "front_line": True} | fields),
            ),
            union_id,
        )
        for index in range(count)
    ]
    async with write_transaction():
        inserted = await Person.insert(*rows)
    return [r["id"] for r in inserted]


async def make_contestants(person_ids: list[int], *, password: str = "secret123") -> list[tuple[int, str]]:
    """A contestant user and an open session for each person: ``[(user_id, session token)]``.

    One password hash for all (hashing 500 times would be the slowest part of a concurrency test)."""
    password_hash = await hash_password(password)
    users = [
        User(
            username=f"c{person_id}",
            password_hash=password_hash,
            role=Role.CONTESTANT,
            display_name=f"选手{person_id}",
            person=person_id,
        )
        for person_id in person_ids
    ]
    async with write_transaction():
        inserted = await User.insert(*users)
    return [(r["id"], await start_session(r["id"])) for r in inserted]
