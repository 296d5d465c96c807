"""Demo competitions, generated from the demo's seeded random source so every machine gets the same set.

A series of the current year with four competitions in different states:

* 电工 — open for registration, about fifteen demo contestants registered (contestant1 among them);
* 焊工 — registration closed, checked in and lots drawn: at least twelve present contestants with
  stations and blind codes, stages theory 30 % / practical 70 %, ready for the scoring domain to score;
* 药物制剂工 — registration closed, reviewed (one rejection), waiting for check-in;
* 数控车工 — a draft.

Everything goes through the use cases, so the audit log tells the same story as the data. Past registration
windows are simulated with the use cases' ``now`` argument.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from accounts.audit import Actor
from accounts.rules import Role
from competitions import approval, checkin, lifecycle, registration, setup
from competitions.rules import EligibilityRules
from competitions.schemas import BulkReviewIn, CheckInIn, CompetitionIn, DrawIn, ReviewIn, SeriesIn, StageIn
from core.db import SHANGHAI, utcnow
from core.errors import DomainError

DAY = dt.timedelta(days=1)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _stages(first_day: dt.date, theory: int = 30) -> list[StageIn]:
    return [
        StageIn(
            name="理论知识",
            kind="theory",
            weight_percent=Decimal(theory),
            starts_at=_at(first_day, 9),
            ends_at=_at(first_day, 10, 30),
        ),
        StageIn(
            name="技能操作",
            kind="practical",
            weight_percent=Decimal(100 - theory),
            starts_at=_at(first_day, 13, 30),
            ends_at=_at(first_day, 17),
        ),
    ]


async def _register_some(
    organizer: Actor, competition_id: int, candidates: list[int], wanted: int, at: dt.datetime
) -> list[int]:
    """Register candidates in order until ``wanted`` are in; the ineligible are simply skipped."""
    registered: list[int] = []
    for person_id in candidates:
        if len(registered) == wanted:
            break
        try:
            result = await registration.register_person(organizer, competition_id, person_id, now=at)
        except DomainError:
            continue
        registered.append(result.registration.id)
    return registered


async def load(rng: random.Random, ids: dict[str, Any]) -> dict[str, list[int]]:
    organizer = Actor(ids["users"][0], "赛事组织者", Role.ORGANIZER)
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    # People 50 and up are the demo judges; 0 and 1 are the demo contestants' own records.
    pool = list(ids["people"][2:50])
    series = await setup.create_series(
        organizer, SeriesIn(name=f"{today.year} 年亦城经开区职工职业技能竞赛", year=today.year)
    )
    electric = await _open_electricians(organizer, series.id, ids, rng.sample(pool, len(pool)), today, now)
    welding = await _drawn_welders(organizer, series.id, rng, rng.sample(pool, len(pool)), today, now)
    pharma = await _closed_pharma(organizer, series.id, rng.sample(pool, len(pool)), today, now)
    lathe = await setup.create_competition(
        organizer,
        CompetitionIn(
            series_id=series.id,
            title=f"{today.year} 年亦城职工职业技能竞赛（数控车工）",
            occupation="数控车工",
            industry="robotics_equipment",
            venue="亦城精密数控机床有限公司实训中心",
            description="筹备中：赛项方案待技术工作委员会审定。",
            registration_opens_at=_at(today + 30 * DAY, 9),
            registration_closes_at=_at(today + 50 * DAY, 17),
            capacity=24,
            stages=_stages(today + 60 * DAY, theory=20),
            eligibility=EligibilityRules(min_age=18, max_age=50, least_senior_level=4, max_per_enterprise=3),
        ),
    )
    return {
        "series": [series.id],
        "competitions": [electric, welding, pharma, lathe.id],
        "drawn_competitions": [welding],
    }


async def _open_electricians(
    organizer: Actor, series_id: int, ids: dict[str, Any], pool: list[int], today: dt.date, now: dt.datetime
) -> int:
    competition = await setup.create_competition(
        organizer,
        CompetitionIn(
            series_id=series_id,
            title=f"{today.year} 年亦城职工职业技能竞赛（电工）",
            occupation="电工",
            industry="intelligent_manufacturing",
            venue="亦城职工技能实训基地 2 号楼",
            description="按国家职业技能标准《电工》高级工（三级）要求命题；前三名按规定晋升技能等级。",
            registration_opens_at=_at(today - 7 * DAY, 9),
            registration_closes_at=_at(today + 21 * DAY, 17),
            capacity=40,
            stages=_stages(today + 30 * DAY),
            eligibility=EligibilityRules(
                min_age=18,
                max_age=55,
                union_member_required=True,
                zone_enterprise_required=True,
                max_per_enterprise=6,
            ),
        ),
    )
    await lifecycle.transition(organizer, competition.id, "open", now=now)
    await _register_some(organizer, competition.id, ids["people"][:2] + pool, 16, now)
    return competition.id


async def _drawn_welders(
    organizer: Actor, series_id: int, rng: random.Random, pool: list[int], today: dt.date, now: dt.datetime
) -> int:
    opens, closes = _at(today - 40 * DAY, 9), _at(today - 10 * DAY, 17)
    competition = await setup.create_competition(
        organizer,
        CompetitionIn(
            series_id=series_id,
            title=f"{today.year} 年亦城职工职业技能竞赛（焊工）",
            occupation="焊工",
            industry="intelligent_manufacturing",
            venue="北京奔驰亦庄动力总成有限公司焊接实训车间",
            description="理论知识 30%，技能操作（板对接、管对接）70%；检录后抽签确定工位，作品以加密号评分。",
            registration_opens_at=opens,
            registration_closes_at=closes,
            capacity=16,
            stages=_stages(today + DAY),
            eligibility=EligibilityRules(min_age=18, max_age=60),
        ),
    )
    during = opens + 2 * DAY
    await lifecycle.transition(organizer, competition.id, "open", now=during)
    registered = await _register_some(organizer, competition.id, pool, 18, during)
    await lifecycle.transition(organizer, competition.id, "closed", reason="报名截止")
    await approval.review_many(
        organizer, competition.id, BulkReviewIn(registration_ids=registered, decision="approve")
    )
    sheet = await checkin.checkin_sheet(competition.id)
    absent = {r.id for r in rng.sample(sheet.items, 2)}
    for item in sheet.items:
        attendance = "absent" if item.id in absent else "present"
        await checkin.check_in(
            organizer, competition.id, CheckInIn(registration_id=item.id, attendance=attendance)
        )
    await lifecycle.transition(organizer, competition.id, "checked_in", reason="检录完毕")
    await checkin.draw(organizer, competition.id, DrawIn(), rng=rng)
    return competition.id


async def _closed_pharma(
    organizer: Actor, series_id: int, pool: list[int], today: dt.date, now: dt.datetime
) -> int:
    opens, closes = _at(today - 30 * DAY, 9), _at(today - 2 * DAY, 17)
    competition = await setup.create_competition(
        organizer,
        CompetitionIn(
            series_id=series_id,
            title=f"{today.year} 年亦城职工职业技能竞赛（药物制剂工）",
            occupation="药物制剂工",
            industry="biomedicine",
            venue="亦城同仁堂健康药业有限公司 GMP 实训车间",
            description="理论知识 30%，实际操作（片剂制备与质量检查）70%。",
            registration_opens_at=opens,
            registration_closes_at=closes,
            capacity=10,
            stages=_stages(today + 12 * DAY),
            eligibility=EligibilityRules(front_line_only=True, least_senior_level=4),
        ),
    )
    during = opens + 3 * DAY
    await lifecycle.transition(organizer, competition.id, "open", now=during)
    registered = await _register_some(organizer, competition.id, pool, 12, during)
    if registered:
        await approval.review(
            organizer, registered[0], ReviewIn(decision="reject", reason="技能等级证书与申报不符"), now=during
        )
    await lifecycle.transition(organizer, competition.id, "closed", reason="报名截止")
    return competition.id
