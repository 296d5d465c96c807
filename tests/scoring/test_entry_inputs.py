"""``load_scoring_inputs``: what the results half aggregates (submitted sheets only, recusals out)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from scoring import rules
from scoring.inputs import load_scoring_inputs
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, of_employer, set_up_scoring, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


async def test_inputs_count_submitted_sheets_only_and_leave_recused_judges_out(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    a_contestant = of_employer(w, w["enterprise_a"])[0]
    b_contestant = of_employer(w, w["enterprise_b"])[0]
    async with new_client(app) as judge3, new_client(app) as judge4:
        await login(judge3, "judge3")
        await login(judge4, "judge4")
        await judge3.put("/api/judge/sheets", json=sheet_body(w, b_contestant, FULL))  # a draft
        await judge4.put("/api/judge/sheets", json=sheet_body(w, b_contestant, FULL, submit=True))
        await judge4.put("/api/judge/sheets", json=sheet_body(w, a_contestant, FULL, submit=True))
    inputs = await load_scoring_inputs(w["competition_id"])
    judge4 = str(w["judges"]["judge4"])
    assert {(m.subject_id, m.judge_id) for m in inputs.marks} == {
        (str(b_contestant["registration_id"]), judge4),
        (str(a_contestant["registration_id"]), judge4),
    }
    assert len(inputs.marks) == 8
    assert [s.subject_id for s in inputs.subjects] == [str(c["registration_id"]) for c in w["contestants"]]
    everyone = {str(uid) for uid in w["judges"].values()}
    a_subject, b_subject = str(a_contestant["registration_id"]), str(b_contestant["registration_id"])
    assert set(inputs.expected[(b_subject, "a3")]) == everyone
    assert set(inputs.expected[(a_subject, "a3")]) == everyone - {str(w["judges"]["judge2"])}
    assert len(inputs.expected) == 4 * 4  # every (subject, rubric aspect)
    assert inputs.blind[a_subject] == (a_contestant["station_no"], a_contestant["blind_code"])
    assert inputs.judge_numbers == {str(uid): n for n, uid in enumerate(w["judges"].values(), start=1)}
    # The engine takes them as they are.
    board = rules.leaderboard(inputs.rules, inputs.subjects, inputs.marks, expected=inputs.expected)
    scores = {r.subject_id: r for r in board.results}
    assert scores[b_subject].complete is False
    # A conflict declared after marking takes the judge's marks out of the aggregation.
    await client.post(
        f"/api/competitions/{w['competition_id']}/judges/{w['judges']['judge4']}/conflicts",
        json={"registration_id": b_contestant["registration_id"], "reason": "赛后申报的亲属关系"},
    )
    inputs = await load_scoring_inputs(w["competition_id"])
    assert {m.subject_id for m in inputs.marks} == {a_subject}
    assert judge4 not in inputs.expected[(b_subject, "a1")]


async def test_no_scheme_is_not_found(world: dict[str, Any]) -> None:
    from core.errors import NotFound

    w = await build(world)
    with pytest.raises(NotFound):
        await load_scoring_inputs(w["competition_id"])


@pytest.mark.slow
async def test_inputs_at_1000_contestants_7_judges_40_aspects(db: None) -> None:
    """The size the benchmark uses: 280,000 marks in a few queries."""
    timings = await build_large(1000, 7, 40)
    start = time.perf_counter()
    inputs = await load_scoring_inputs(timings["competition_id"])
    elapsed = time.perf_counter() - start
    assert len(inputs.marks) == 1000 * 7 * 40 and len(inputs.expected) == 1000 * 40
    print(f"load_scoring_inputs at 1000x7x40: {elapsed:.2f}s (build {timings['build']:.1f}s)")
    assert elapsed < 20


async def build_large(contestants: int, judges: int, aspects: int) -> dict[str, Any]:
    """Rows straight into the tables, in bulk: a drawn competition with every sheet submitted."""
    from accounts.tables import Person, User
    from competitions.tables import Competition, Registration, Stage
    from core.db import utcnow
    from scoring.tables import JudgeAssignment, ScoreSheet, ScoringScheme, SheetMark

    started = time.perf_counter()
    now = utcnow()
    competition = Competition(
        title="大规模",
        occupation="电工",
        industry="other",
        registration_opens_at=now,
        registration_closes_at=now,
        state="in_progress",
        drawn_at=now,
        created_at=now,
    )
    await competition.save()
    stage = Stage(
        competition=competition.id, position=0, name="实操", kind="practical", weight_percent=Decimal(100)
    )
    await stage.save()
    module = rules.Module(
        id="m",
        aspects=tuple(
            rules.Aspect(id=f"a{i}", kind="measurement", max_mark=Decimal(10), step=Decimal("0.5"))
            for i in range(aspects)
        ),
    )
    competition_rules = rules.CompetitionRules(
        stages=(
            rules.Stage(
                id=str(stage.id),
                full_marks=Decimal(10 * aspects),
                weight_percent=Decimal(100),
                modules=(module,),
            ),
        )
    )
    import msgspec

    await ScoringScheme.insert(
        ScoringScheme(
            competition=competition.id,
            rules=msgspec.json.encode(competition_rules).decode(),
            frozen_at=now,
            created_at=now,
        )
    )
    people = [
        Person(
            name=f"p{i}",
            id_fingerprint=f"fp{i}",
            id_sealed=b"x",
            id_masked="x",
            birth_date=dt.date(1990, 1, 1),
            gender="M",
            mobile_fingerprint=f"m{i}",
            mobile_sealed=b"x",
            mobile_masked="x",
            created_at=now,
        )
        for i in range(contestants)
    ]
    await insert_bulk(Person, people)
    person_ids = [r["id"] for r in await Person.select(Person.id).order_by(Person.id)][-contestants:]
    await insert_bulk(
        Registration,
        [
            Registration(
                competition=competition.id,
                person=pid,
                entry_key=f"{competition.id}:{pid}",
                registration_no=f"C{competition.id:04d}-{i + 1:05d}",
                status="accepted",
                arrival=i + 1,
                station_no=i + 1,
                blind_code=f"B{i:05d}",
                created_at=now,
            )
            for i, pid in enumerate(person_ids)
        ],
    )
    await insert_bulk(
        User,
        [
            User(
                username=f"bigjudge{i}", password_hash="x", role="judge", display_name=f"j{i}", created_at=now
            )
            for i in range(judges)
        ],
    )
    judge_ids = [
        r["id"] for r in await User.select(User.id).where(User.username.like("bigjudge%")).order_by(User.id)
    ]
    await insert_bulk(
        JudgeAssignment,
        [
            JudgeAssignment(
                competition=competition.id,
                judge=j,
                judge_key=f"{competition.id}:{j}",
                judge_no=n + 1,
                created_at=now,
            )
            for n, j in enumerate(judge_ids)
        ],
    )
    # Sheets and marks are generated by the database itself (a row per judge x contestant, x aspect).
    from core.db import engine_name, write_transaction

    stamp = "now()" if engine_name() == "postgres" else "'2026-01-01 00:00:00+00:00'"
    half = "0.5" if engine_name() == "sqlite" else "0.5::numeric"
    async with write_transaction():
        await ScoreSheet.raw(
            "INSERT INTO score_sheet (competition, stage, registration, judge, sheet_key, status, version,"
            " updated_at) SELECT r.competition, {}, r.id, a.judge,"
            " {} || ':' || r.id || ':' || a.judge, 'submitted', 1, " + stamp + " FROM registration r"
            " JOIN judge_assignment a ON a.competition = r.competition WHERE r.competition = {}",
            stage.id,
            str(stage.id),
            competition.id,
        )
        await SheetMark.raw(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})"
            " INSERT INTO sheet_mark (sheet, aspect_id, mark_key, value, updated_at)"
            " SELECT s.id, 'a' || n.i, s.id || ':a' || n.i, (n.i % 20) * "
            + half
            + ", "
            + stamp
            + " FROM score_sheet s CROSS JOIN n WHERE s.stage = {}",
            aspects - 1,
            stage.id,
        )
    return {"competition_id": competition.id, "build": time.perf_counter() - started}


async def insert_bulk(table: Any, rows: list[Any], size: int = 2000) -> None:
    from core.db import write_transaction

    async with write_transaction():
        for start in range(0, len(rows), size):
            await table.insert(*rows[start : start + size])
