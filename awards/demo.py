"""Demo programmes: a 2026 亦城工匠 selection and a 爱企业的好职工 selection, both open for nominations,
with nominations from several unions written through the same use cases the officers use."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from accounts.audit import Actor
from accounts.consent import current_notice
from accounts.notices import NoticeKind
from accounts.rules import Role
from accounts.schemas import AttestationIn, CurrentUser
from accounts.tables import Person, User
from awards import lifecycle, nominations, programmes
from awards.schemas import (
    Achievements,
    ConstraintIn,
    NominationIn,
    Patent,
    ProgrammeIn,
    TitleHonour,
    TransitionIn,
)
from competitions.rules import EligibilityRules
from core.db import utcnow
from scoring.rules import Aspect, CompetitionRules, Module, Stage

DEMO_ACTOR = Actor(None, "演示数据", "system")

REVIEW_RUBRIC = CompetitionRules(
    stages=(
        Stage(
            id="review",
            name="专家评审",
            full_marks=Decimal(100),
            weight_percent=Decimal(100),
            modules=(
                Module(
                    id="deeds",
                    name="事迹与业绩",
                    aspects=(
                        Aspect(id="achievement", kind="measurement", max_mark=Decimal(40), name="工作业绩"),
                        Aspect(id="innovation", kind="measurement", max_mark=Decimal(30), name="技术创新"),
                        Aspect(id="influence", kind="measurement", max_mark=Decimal(30), name="示范带动"),
                    ),
                ),
            ),
        ),
    ),
    tiers=None,
)

DEEDS = [
    "扎根生产一线{years}年，牵头完成{n}项工艺改进，年节约成本{money}万元。",
    "作为班组长带领团队连续{years}年零事故，培养高级工{n}名。",
    "攻克关键设备故障难题{n}项，主持编写岗位操作规范，获评企业技术能手。",
    "在疫情保供期间坚守岗位{days}天，主动承担急难险重任务，受到客户书面表扬。",
    "开展“师带徒”活动，累计带徒{n}人，其中{m}人取得技师资格。",
]
HONOURS = ["亦城工匠", "北京市优秀技能人才", "企业优秀员工", "经开区五一劳动奖章", "首都劳动奖章"]


def _deed(rng: random.Random) -> str:
    template = rng.choice(DEEDS)
    return template.format(
        years=rng.randint(3, 20),
        n=rng.randint(2, 9),
        m=rng.randint(1, 3),
        money=rng.randint(20, 300),
        days=rng.randint(30, 120),
    )


def _achievements(rng: random.Random) -> Achievements:
    patents = [
        Patent(
            title=f"一种{rng.choice(['快速装夹', '在线检测', '自动上料', '精密定位'])}装置",
            kind="utility_model",
        )
        for _ in range(rng.randint(0, 2))
    ]
    return Achievements(
        patents=patents,
        patent_count=len(patents),
        apprentices_trained=rng.randint(0, 8),
        titles_honours=[
            TitleHonour(title=rng.choice(HONOURS), year=rng.randint(2019, 2025), level="district")
            for _ in range(rng.randint(0, 2))
        ],
    )


async def load(rng: random.Random, ids: dict[str, Any]) -> dict[str, list[int]]:
    now = utcnow()
    opens, closes = now - dt.timedelta(days=7), now + dt.timedelta(days=21)
    craftsman = await programmes.create_programme(
        DEMO_ACTOR,
        ProgrammeIn(
            name="2026 年度亦城工匠",
            year=2026,
            kind="craftsman",
            nomination_opens_at=opens,
            nomination_closes_at=closes,
            total_awards=10,
            quota_scope="union",
            default_quota=2,
            eligibility=EligibilityRules(
                union_member_required=True, least_senior_level=3, min_years_employed=3
            ),
            constraints=[
                ConstraintIn(attribute="front_line", bound="at_least", percent=Decimal(60)),
                ConstraintIn(attribute="enterprise_leader", bound="at_most", percent=Decimal(10)),
                ConstraintIn(attribute="female", bound="at_least", percent=Decimal(30)),
            ],
            review_rules=REVIEW_RUBRIC,
            deed_max_chars=1500,
            notice_length=5,
            notice_unit="working_days",
        ),
    )
    good_employee = await programmes.create_programme(
        DEMO_ACTOR,
        ProgrammeIn(
            name="2026 年度爱企业的好职工",
            year=2026,
            kind="good_employee",
            nomination_opens_at=opens,
            nomination_closes_at=closes,
            total_awards=30,
            quota_scope="union",
            default_quota=4,
            eligibility=EligibilityRules(union_member_required=True, min_years_employed=1),
            constraints=[ConstraintIn(attribute="front_line", bound="at_least", percent=Decimal(60))],
            review_rules=REVIEW_RUBRIC,
            deed_max_chars=800,
            notice_length=7,
            notice_unit="calendar_days",
        ),
    )
    for programme in (craftsman, good_employee):
        await lifecycle.transition_programme(DEMO_ACTOR, programme.id, TransitionIn(target="open"))
    nomination_ids = await _nominate_members(rng, ids, [(craftsman.id, 2), (good_employee.id, 3)])
    return {"programmes": [craftsman.id, good_employee.id], "nominations": nomination_ids}


async def _nominate_members(
    rng: random.Random, ids: dict[str, Any], per_programme: list[tuple[int, int]]
) -> list[int]:
    """The first eight unions' officers nominate a few of their members to each (programme, per union)."""
    nomination_ids = []
    officers = {
        row["union"]: row["id"]
        for row in await User.select(User.id, User.union).where(User.role == Role.UNION_OFFICER)
    }
    fallback_user = ids["users"][0]
    members: dict[int, list[int]] = defaultdict(list)
    for row in await Person.select(Person.id, Person.union).where(Person.id.is_in(ids["people"][:50])):
        if row["union"] is not None:
            members[row["union"]].append(row["id"])
    attested = current_notice(NoticeKind.MEMBER_ENTRY)  # the demo officers hold their members' consent
    for programme_id, per_union in per_programme:
        for union_id in sorted(members)[:8]:
            viewer = CurrentUser(
                id=officers.get(union_id, fallback_user),
                username="demo",
                role=Role.UNION_OFFICER,
                display_name="演示数据",
                union_id=union_id,
            )
            for person_id in rng.sample(members[union_id], min(per_union, len(members[union_id]))):
                _, nomination = await nominations.nominate(
                    DEMO_ACTOR,
                    viewer,
                    programme_id,
                    NominationIn(
                        person_id=person_id,
                        deed=_deed(rng),
                        achievements=_achievements(rng),
                        members_consent=AttestationIn(notice_version=attested.version, confirmed=True),
                    ),
                )
                nomination_ids.append(nomination.id)
    return nomination_ids
