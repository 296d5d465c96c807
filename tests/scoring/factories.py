"""A scored competition built straight through the tables, for the results tests.

Twelve contestants, five judges (the world's ``judge`` is the chief, judge no. 1), a theory stage taken as
an imported exam mark and a practical stage marked on a rubric that uses everything the open document must
let anyone recompute: trimmed means, a factor, a judgement aspect, a deduction, rounding at two points,
a tie on the rounded final broken by the practical stage, a tie no rule breaks (shared rank that drops a
whole prize tier), a recused judge and a disqualified contestant.

Expected ranking (checked by hand from :data:`THEORY` and the marks, and again by the engine and by the
independent script in ``recompute_reference.py``)::

    rank  who   final   tier
    1     c9    85.64   一等奖
    2     c8    81.78   二等奖   (tier 2 holds 2: the shared 3rd place does not fit its one free place)
    3     c7    79.64   三等奖
    3     c10   79.64   三等奖   (c10 is c7's twin: same marks, theory and time -> shared rank)
    5     c5    73.87   三等奖
    6     c4    70.44   -        (c4 and c6 both round to 70.44; c4 wins on the practical stage)
    7     c6    70.44   -
    ...   c11   disqualified
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec

from accounts import service as accounts_service
from accounts.audit import SYSTEM
from accounts.rules import Role
from accounts.schemas import AttestationIn, CurrentUser, PersonIn, UserIn
from accounts.tables import User
from competitions.rules import draw_lots, format_registration_no
from competitions.tables import Competition, Registration, Stage
from core.db import utcnow
from scoring import rules as r
from scoring.tables import (
    ContestantFacts,
    ImportedMark,
    JudgeAssignment,
    Recusal,
    ScoreSheet,
    ScoringScheme,
    SheetMark,
    StageSignoff,
)
from tests.helpers import PASSWORD, han_digits, make_id_number, make_mobile, members_consent

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
CONTESTANTS = 12
JUDGES = 5
TWIN_OF = {10: 7}  # contestant 10 is marked exactly like contestant 7
DISQUALIFIED = 11
RECUSED = (5, 3)  # judge no. 5 is recused from contestant 3 (same employer): 4 marks per aspect there
# Theory exam marks; c6's 78.74 makes its final round to c4's 70.44 (70.440333... and 70.436666...).
THEORY = [D(60 + 3 * i) for i in range(CONTESTANTS)]
THEORY[6] = D("78.74")
THEORY[10] = THEORY[7]


def scoring_rules(theory_id: str, practical_id: str) -> r.CompetitionRules:
    """理论 30 % (an imported exam out of 100) + 实操 70 % (a 60-mark rubric)."""
    return r.CompetitionRules(
        stages=(
            r.Stage(id=theory_id, name="理论知识", kind="imported", full_marks=D(100), weight_percent=D(30)),
            r.Stage(
                id=practical_id,
                name="技能操作",
                full_marks=D(60),
                weight_percent=D(70),
                modules=(
                    r.Module(
                        id="m1",
                        name="操作规范",
                        aspects=(
                            r.Aspect(
                                id="a1",
                                name="接线工艺",
                                kind="measurement",
                                max_mark=D(20),
                                step=D("0.5"),
                                combine=r.Combination(method="trimmed_mean", trim=1),
                            ),
                            r.Aspect(
                                id="a2",
                                name="调试",
                                kind="measurement",
                                max_mark=D(10),
                                step=D("0.5"),
                                factor=D(2),
                            ),
                        ),
                    ),
                    r.Module(
                        id="m2",
                        name="作品质量",
                        aspects=(
                            r.Aspect(
                                id="j1",
                                name="整体质量",
                                kind="judgement",
                                max_mark=D(20),
                                combine=r.Combination(method="trimmed_mean", trim=1),
                            ),
                            r.Aspect(
                                id="d1", name="安全文明", kind="deduction", max_mark=D(5), step=D("0.5")
                            ),
                        ),
                    ),
                ),
            ),
        ),
        rounding=r.RoundingPolicy(panel_mark=r.RoundingStep(decimals=2), final=r.RoundingStep(decimals=2)),
        tie_breaks=(r.TieBreak(kind="stage", ref=practical_id), r.TieBreak(kind="time_used")),
    )


def marks_of(contestant: int) -> dict[str, list[Decimal]]:
    """Five judges' marks per aspect, from a fixed seed per contestant (stronger contestants higher)."""
    rng = random.Random(1000 + TWIN_OF.get(contestant, contestant))
    q = 0.45 + 0.05 * TWIN_OF.get(contestant, contestant)

    def halves(top: int, spread: float) -> Decimal:
        return D(int(min(top, max(0, top * q + rng.uniform(-spread, spread))) * 2)) / 2

    return {
        "a1": [halves(20, 3) for _ in range(JUDGES)],
        "a2": [halves(10, 2) for _ in range(JUDGES)],
        "j1": [D(min(3, max(0, round(3 * q + rng.uniform(-1, 1))))) for _ in range(JUDGES)],
        "d1": [D(str(rng.choice([0, 0, 0.5, 1]))) for _ in range(JUDGES)],
    }


def time_used(contestant: int) -> Decimal:
    return D(3000 - 60 * TWIN_OF.get(contestant, contestant))


@dataclass
class Built:
    competition_id: int
    theory_id: int
    practical_id: int
    registrations: list[int]  # by contestant index
    blind_codes: list[str]
    stations: list[int]
    names: list[str]
    judges: list[int]  # user ids by judge no. - 1
    contestant_user: int  # the world's contestant: registration 0 is theirs
    rules: r.CompetitionRules

    @property
    def chief(self) -> int:
        return self.judges[0]


async def _people(world: dict[str, Any], count: int) -> list[int]:
    root = CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")
    people = list(world["people"])
    enterprises = world["enterprises"]
    unions = world["unions"]
    for index in range(len(people), count):
        person = await accounts_service.create_person(
            SYSTEM,
            root,
            PersonIn(
                name=f"选手{han_digits(index, 2)}",
                id_number=make_id_number(dt.date(1980 + index, 4, 2)),
                mobile=make_mobile(),
                employer_id=enterprises[index % 2],
                union_id=unions[index % 2],
                union_member=True,
                skill_level=3,
                front_line=True,
                members_consent=AttestationIn(**members_consent()),
            ),
        )
        people.append(person.id)
    return people[:count]


async def _judges(world: dict[str, Any]) -> list[int]:
    judges = [world["users"]["judge"]]
    for number in range(2, JUDGES + 1):
        user = await accounts_service.create_user(
            SYSTEM,
            UserIn(
                username=f"judge{number}", password=PASSWORD, role=Role.JUDGE, display_name=f"裁判{number}"
            ),
        )
        judges.append(user.id)
    return judges


async def build(
    world: dict[str, Any],
    *,
    ended_hours_ago: float | None = 1.0,
    marks: bool = True,
    competition_id: int | None = None,
) -> Built:
    """The competition, drawn, with every sheet submitted (``marks``) but nothing signed off yet.

    ``ended_hours_ago``: when the stages ended (None: no end time declared), for the appeal window.
    ``competition_id``: an id of its own, for tests against a running server whose caches outlive the
    emptied tables (ids restart at 1 in every test).
    """
    now = utcnow()
    competition = Competition(
        **({} if competition_id is None else {"id": competition_id}),
        title="2026年亦城职工职业技能竞赛（电工）",
        occupation="电工",
        industry="intelligent_manufacturing",
        venue="亦城职业技能实训基地",
        registration_opens_at=now - dt.timedelta(days=30),
        registration_closes_at=now - dt.timedelta(days=10),
        state="in_progress",
        created_at=now,
    )
    await competition.save()
    cid = competition.id
    ends_at = None if ended_hours_ago is None else now - dt.timedelta(hours=ended_hours_ago)
    stage_ids = []
    for position, (name, kind, weight) in enumerate(
        [("理论知识", "theory", 30), ("技能操作", "practical", 70)]
    ):
        stage = Stage(
            competition=cid,
            position=position,
            name=name,
            kind=kind,
            weight_percent=D(weight),
            ends_at=ends_at,
        )
        await stage.save()
        stage_ids.append(stage.id)
    theory_id, practical_id = stage_ids
    people = await _people(world, CONTESTANTS)
    draws = draw_lots(list(range(CONTESTANTS)), rng=random.Random(7))
    by_index = {d.contestant_id: d for d in draws}
    registrations, names = [], []
    for index, person_id in enumerate(people):
        person = await accounts_service.get_person(
            CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统"), person_id
        )
        registration = Registration(
            competition=cid,
            person=person_id,
            entry_key=f"{cid}:{person_id}",
            registration_no=format_registration_no(cid, index + 1),
            employer=person.employer_id,
            status="accepted",
            arrival=index + 1,
            review="approved",
            attendance="present",
            station_no=by_index[index].station_no,
            blind_code=by_index[index].blind_code,
            created_at=now,
        )
        await registration.save()
        registrations.append(registration.id)
        names.append(person.name)
    judges = await _judges(world)
    rules = scoring_rules(str(theory_id), str(practical_id))
    await ScoringScheme(
        competition=cid, rules=msgspec.json.encode(rules).decode(), appeal_window_hours=2, created_at=now
    ).save()
    for number, judge_id in enumerate(judges, start=1):
        await JudgeAssignment(
            competition=cid,
            judge=judge_id,
            judge_key=f"{cid}:{judge_id}",
            judge_no=number,
            is_chief=number == 1,
            created_at=now,
        ).save()
    recused_judge, recused_contestant = judges[RECUSED[0] - 1], registrations[RECUSED[1]]
    await Recusal(
        competition=cid,
        judge=recused_judge,
        registration=recused_contestant,
        recusal_key=f"{recused_judge}:{recused_contestant}",
        kind="employer",
        created_at=now,
    ).save()
    built = Built(
        competition_id=cid,
        theory_id=theory_id,
        practical_id=practical_id,
        registrations=registrations,
        blind_codes=[by_index[i].blind_code for i in range(CONTESTANTS)],
        stations=[by_index[i].station_no for i in range(CONTESTANTS)],
        names=names,
        judges=judges,
        contestant_user=world["users"]["contestant"],
        rules=rules,
    )
    for index, registration_id in enumerate(registrations):
        await ImportedMark(
            stage=theory_id,
            registration=registration_id,
            mark_key=f"{theory_id}:{registration_id}",
            value=THEORY[index],
            updated_at=now,
        ).save()
        await ContestantFacts(
            registration=registration_id,
            time_used_seconds=time_used(index),
            disqualified=index == DISQUALIFIED,
            disqualified_reason="违反安全操作规程" if index == DISQUALIFIED else "",
        ).save()
    if marks:
        for index in range(CONTESTANTS):
            await submit_contestant(built, index)
    return built


async def submit_contestant(built: Built, index: int) -> None:
    by_aspect = marks_of(index)
    for number, judge_id in enumerate(built.judges, start=1):
        if (number, index) == RECUSED:
            continue
        await submit_sheet(
            built,
            index,
            judge_id,
            {aspect: values[number - 1] for aspect, values in by_aspect.items()},
        )


async def submit_sheet(
    built: Built, index: int, judge_id: int, values: dict[str, Decimal], status: str = "submitted"
) -> int:
    """One judge's submitted sheet for one contestant on the practical stage; returns the sheet id."""
    now = utcnow()
    registration_id = built.registrations[index]
    sheet = ScoreSheet(
        competition=built.competition_id,
        stage=built.practical_id,
        registration=registration_id,
        judge=judge_id,
        sheet_key=f"{built.practical_id}:{registration_id}:{judge_id}",
        status=status,
        version=1,
        submitted_at=now,
        updated_at=now,
    )
    await sheet.save()
    for aspect_id, value in values.items():
        await SheetMark(
            sheet=sheet.id,
            aspect_id=aspect_id,
            mark_key=f"{sheet.id}:{aspect_id}",
            value=value,
            updated_at=now,
        ).save()
    return sheet.id


async def sign_off(built: Built) -> None:
    """The chief judge signs off both stages."""
    for stage_id in (built.theory_id, built.practical_id):
        await StageSignoff(stage=stage_id, chief=built.chief, signed_at=utcnow()).save()


@contextlib.contextmanager
def one_worker_server() -> Iterator[str]:
    """The real server with a single worker, over the test database (the memory channels backend of
    SQLite reaches only its own process, so live events need one process there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "YICHENG_PORT": str(port), "YICHENG_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "cli.py", "serve", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the results test server did not start") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def fresh_competition_id() -> int:
    return random.randrange(100_000, 900_000)


async def staff_user(username: str, role: Role = Role.JUDGE) -> int:
    user = await accounts_service.create_user(
        SYSTEM, UserIn(username=username, password=PASSWORD, role=role, display_name=username)
    )
    return user.id


async def user_id(username: str) -> int:
    row = await User.select(User.id).where(User.username == username).first()
    assert row is not None
    return row["id"]
