"""A drawn competition ready for scoring, written straight into the tables (the competitions service's
registration and draw are tested on their own): stages, drawn contestants, judges with employers.

Used by the score-entry tests; the results tests may use it too.

World (on top of ``tests.helpers.world``): competition "电工技能竞赛" in state ``checked_in`` with stages
theory (30 %, imported) and practical (70 %, rubric), 4 drawn contestants (the world's 4 people, employers
A, B, A, B) and judges ``judge`` (chief, no employer), ``judge2`` (employer A: recused from A's
contestants), ``judge3``, ``judge4``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from tests.helpers import PASSWORD, make_id_number, make_mobile, members_consent

D = Decimal


def practical_rules(theory_id: int, practical_id: int, *, trim: int = 0) -> dict[str, Any]:
    """The scheme as JSON: theory imported (100), practical rubric (a1 0-40 step 0.5, a2 pass/fail 20,
    a3 judgement 40, d1 deduction up to 10 in steps of 1)."""
    method = "trimmed_mean" if trim else "mean"
    return {
        "stages": [
            {
                "id": str(theory_id),
                "name": "理论知识",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "30",
            },
            {
                "id": str(practical_id),
                "name": "实际操作",
                "kind": "rubric",
                "full_marks": "100",
                "weight_percent": "70",
                "modules": [
                    {
                        "id": "m1",
                        "name": "接线与调试",
                        "aspects": [
                            {
                                "id": "a1",
                                "name": "尺寸精度",
                                "kind": "measurement",
                                "max_mark": "40",
                                "step": "0.5",
                            },
                            {"id": "a2", "name": "功能达标", "kind": "pass_fail", "max_mark": "20"},
                            {
                                "id": "a3",
                                "name": "工艺规范",
                                "kind": "judgement",
                                "max_mark": "40",
                                "combine": {"method": method, "trim": trim},
                            },
                        ],
                    },
                    {
                        "id": "m2",
                        "name": "安全文明生产",
                        "aspects": [
                            {
                                "id": "d1",
                                "name": "安全扣分",
                                "kind": "deduction",
                                "max_mark": "10",
                                "step": "1",
                            }
                        ],
                    },
                ],
            },
        ],
        "rounding": {
            "panel_mark": {"decimals": 2, "mode": "half_up"},
            "final": {"decimals": 2, "mode": "half_up"},
        },
        "tie_breaks": [{"kind": "time_used"}],
    }


async def build(world: dict[str, Any], *, state: str = "checked_in", seed: int = 7) -> dict[str, Any]:
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import AttestationIn, CurrentUser, PersonIn, UserIn
    from competitions.rules import draw_lots
    from competitions.tables import Competition, Registration, Stage
    from core.db import utcnow

    now = utcnow()
    competition = Competition(
        title="电工技能竞赛",
        occupation="电工",
        industry="other",
        registration_opens_at=now - dt.timedelta(days=20),
        registration_closes_at=now - dt.timedelta(days=5),
        state=state,
        created_at=now,
    )
    await competition.save()
    theory = Stage(
        competition=competition.id, position=0, name="理论知识", kind="theory", weight_percent=D(30)
    )
    practical = Stage(
        competition=competition.id, position=1, name="实际操作", kind="practical", weight_percent=D(70)
    )
    await theory.save()
    await practical.save()

    enterprise_a, enterprise_b = world["enterprises"]
    people = world["people"]
    employers = [enterprise_a, enterprise_b, enterprise_a, enterprise_b]
    registrations = []
    for index, person in enumerate(people):
        registration = Registration(
            competition=competition.id,
            person=person,
            entry_key=f"{competition.id}:{person}",
            registration_no=f"C{competition.id:04d}-{index + 1:05d}",
            employer=employers[index],
            status="accepted",
            arrival=index + 1,
            review="approved",
            attendance="present",
            created_at=now,
        )
        await registration.save()
        registrations.append(registration)
    draws = draw_lots([r.id for r in registrations], rng=random.Random(seed))
    contestants = []
    for draw in draws:
        await Registration.update(
            {Registration.station_no: draw.station_no, Registration.blind_code: draw.blind_code}
        ).where(Registration.id == draw.contestant_id)
        reg = next(r for r in registrations if r.id == draw.contestant_id)
        contestants.append(
            {
                "registration_id": reg.id,
                "registration_no": reg.registration_no,
                "station_no": draw.station_no,
                "blind_code": draw.blind_code,
                "employer_id": reg.employer,
            }
        )
    await Competition.update({Competition.drawn_at: now}).where(Competition.id == competition.id)

    root = CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")
    judge_person = await accounts_service.create_person(
        SYSTEM,
        root,
        PersonIn(
            name="裁判乙",
            id_number=make_id_number(dt.date(1975, 1, 2)),
            mobile=make_mobile(),
            employer_id=enterprise_a,
            members_consent=AttestationIn(**members_consent()),
        ),
    )
    judges = {"judge": world["users"]["judge"]}
    for username, person_id in [("judge2", judge_person.id), ("judge3", None), ("judge4", None)]:
        user = await accounts_service.create_user(
            SYSTEM,
            UserIn(
                username=username,
                password=PASSWORD,
                role=Role.JUDGE,
                display_name=f"裁判{username[-1]}",
                person_id=person_id,
            ),
        )
        judges[username] = user.id
    return {
        "competition_id": competition.id,
        "theory_id": theory.id,
        "practical_id": practical.id,
        "contestants": sorted(contestants, key=lambda c: c["station_no"]),
        "judges": judges,
        "enterprise_a": enterprise_a,
        "enterprise_b": enterprise_b,
    }


def of_employer(w: dict[str, Any], enterprise: int) -> list[dict[str, Any]]:
    return [c for c in w["contestants"] if c["employer_id"] == enterprise]


async def set_up_scoring(
    client: Any, w: dict[str, Any], *, trim: int = 0, chief: str = "judge"
) -> dict[str, Any]:
    """As the organizer (``client`` logged in): the scheme, then the four judges with the chief."""
    scheme = await client.put(
        f"/api/competitions/{w['competition_id']}/scoring",
        json={"rules": practical_rules(w["theory_id"], w["practical_id"], trim=trim)},
    )
    assert scheme.status_code == 200, scheme.text
    panel = await client.post(
        f"/api/competitions/{w['competition_id']}/judges",
        json={"judges": [{"user_id": uid, "is_chief": name == chief} for name, uid in w["judges"].items()]},
    )
    assert panel.status_code == 200, panel.text
    return {"scheme": scheme.json(), "panel": panel.json()}


def sheet_body(
    w: dict[str, Any],
    contestant: dict[str, Any],
    marks: dict[str, str],
    *,
    version: int = 0,
    submit: bool = False,
    client_id: str | None = None,
) -> dict[str, Any]:
    import uuid

    return {
        "competition_id": w["competition_id"],
        "stage_id": w["practical_id"],
        "blind_code": contestant["blind_code"],
        "client_id": client_id or str(uuid.uuid4()),
        "base_version": version,
        "marks": [{"aspect_id": a, "value": v} for a, v in marks.items()],
        "submit": submit,
    }


FULL = {"a1": "35.5", "a2": "20", "a3": "2", "d1": "0"}
