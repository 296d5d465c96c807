"""Score entry from tablets: drafts, submission, idempotent replay, versions, validation, recusal, locks."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring.tables import ScoreSheet, ScoringScheme, SheetMark, Submission
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, of_employer, set_up_scoring, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


@pytest.fixture
async def judge3(app: Any, w: dict[str, Any]) -> Any:
    async with new_client(app) as c:
        await login(c, "judge3")
        yield c


async def counts() -> dict[str, int]:
    return {
        "sheets": await ScoreSheet.count(),
        "marks": await SheetMark.count(),
        "submissions": await Submission.count(),
        "audit": await AuditLog.count(),
        "versions": sum(r["version"] for r in await ScoreSheet.select(ScoreSheet.version)),
    }


async def test_the_judge_lists_contestants_by_station_and_blind_code_only(
    judge3: httpx.AsyncClient, w: dict[str, Any], world: dict[str, Any]
) -> None:
    response = await judge3.get(f"/api/judge/competitions/{w['competition_id']}/sheets")
    assert response.status_code == 200
    rows = response.json()
    assert [r["station_no"] for r in rows] == [1, 2, 3, 4]
    assert [r["blind_code"] for r in rows] == [c["blind_code"] for c in w["contestants"]]
    assert rows[0]["stages"] == [
        {
            "stage_id": w["practical_id"],
            "status": "draft",
            "version": 0,
            "marked": 0,
            "total": 4,
            "open_flags": 0,
        }
    ]
    text = response.text
    for secret in ["测试零", "测试一", "甲公司", "乙公司", "registration", "C000", "employer", "person"]:
        assert secret not in text
    bootstrap = await judge3.get(f"/api/judge/competitions/{w['competition_id']}")
    assert bootstrap.status_code == 200
    body = bootstrap.json()
    assert body["judge_no"] == 3 and body["is_chief"] is False
    assert [s["kind"] for s in body["stages"]] == ["imported", "rubric"]
    assert "测试" not in bootstrap.text and "公司" not in bootstrap.text


async def test_draft_then_submit(judge3: httpx.AsyncClient, w: dict[str, Any]) -> None:
    contestant = w["contestants"][0]
    draft = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "30", "a3": "2"}))
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert (body["status"], body["version"]) == ("draft", 1)
    assert body["marks"] == [{"aspect_id": "a1", "value": "30"}, {"aspect_id": "a3", "value": "2"}]
    # The sheet as the tablet reads it back.
    read = await judge3.get(
        f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sheets/{contestant['blind_code']}"
    )
    assert read.json()["version"] == 1 and read.json()["marks"] == body["marks"]
    # Submitting without every aspect is refused and names what is missing.
    early = await judge3.put(
        "/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "30.5"}, version=1, submit=True)
    )
    assert early.status_code == 422
    assert early.json()["code"] == "sheet_incomplete" and early.json()["detail"]["missing"] == ["a2", "d1"]
    done = await judge3.put(
        "/api/judge/sheets",
        json=sheet_body(w, contestant, {"a1": "30.5", "a2": "20", "d1": "1"}, version=1, submit=True),
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["version"]) == ("submitted", 2)
    assert {m["aspect_id"]: m["value"] for m in done.json()["marks"]} == {
        "a1": "30.5",
        "a2": "20",
        "a3": "2",
        "d1": "1",
    }
    rows = (await judge3.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
    assert rows[0]["stages"][0] | {} == {
        "stage_id": w["practical_id"],
        "status": "submitted",
        "version": 2,
        "marked": 4,
        "total": 4,
        "open_flags": 0,
    }
    # One audit row per write, with old and new values of the marks it changed.
    audit = (
        await AuditLog.select(AuditLog.action, AuditLog.before, AuditLog.after)
        .where(AuditLog.entity == "score_sheet")
        .order_by(AuditLog.id)
    )
    assert [a["action"] for a in audit] == ["sheet.save", "sheet.submit"]
    import json

    assert json.loads(audit[1]["before"])["marks"] == {"a1": "30", "a2": None, "d1": None}
    assert json.loads(audit[1]["after"])["marks"] == {"a1": "30.5", "a2": "20", "d1": "1"}


async def test_the_first_mark_freezes_the_rubric_and_starts_the_competition(
    client: httpx.AsyncClient, judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    from competitions.tables import Competition

    assert (await ScoringScheme.select(ScoringScheme.frozen_at).first())["frozen_at"] is None
    response = await judge3.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][0], {"a1": "10"}))
    assert response.status_code == 200
    scheme = await ScoringScheme.select(ScoringScheme.frozen_at, ScoringScheme.scoring_started_at).first()
    assert scheme["frozen_at"] is not None and scheme["scoring_started_at"] is not None
    state = await Competition.select(Competition.state).where(Competition.id == w["competition_id"]).first()
    assert state["state"] == "in_progress"
    # Changing the frozen rubric is refused.
    current = (await client.get(f"/api/competitions/{w['competition_id']}/scoring")).json()
    changed = current["rules"]
    changed["stages"][1]["modules"][0]["aspects"][0]["step"] = "1"
    refused = await client.put(
        f"/api/competitions/{w['competition_id']}/scoring",
        json={"rules": changed, "version": current["version"]},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "rubric_frozen"


async def test_a_replay_returns_the_first_answer_and_writes_nothing_twice(
    judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    body = sheet_body(w, w["contestants"][0], FULL, submit=True)
    first = await judge3.put("/api/judge/sheets", json=body)
    assert first.status_code == 200 and first.headers["x-replayed"] == "0"
    before = await counts()
    again = await judge3.put("/api/judge/sheets", json=body)
    assert again.status_code == 200 and again.headers["x-replayed"] == "1"
    assert again.content == first.content
    assert await counts() == before
    # A replay is recognised by its id alone, even if the tablet rebuilt the body with a newer version.
    rebuilt = await judge3.put("/api/judge/sheets", json=body | {"base_version": 1})
    assert rebuilt.content == first.content and await counts() == before


async def test_concurrent_replays_write_once(app: Any, w: dict[str, Any]) -> None:
    body = sheet_body(w, w["contestants"][1], FULL, submit=True)
    async with new_client(app) as a, new_client(app) as b:
        await login(a, "judge3")
        await login(b, "judge3")
        responses = await asyncio.gather(*(c.put("/api/judge/sheets", json=body) for c in [a, b, a, b, a, b]))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers["x-replayed"] == "0" for r in responses) == 1
    assert await Submission.count() == 1 and await SheetMark.count() == 4
    assert (await ScoreSheet.select(ScoreSheet.version).first())["version"] == 1
    assert await AuditLog.count().where(AuditLog.entity == "score_sheet") == 1


async def test_a_stale_version_gets_409_with_the_current_marks(
    judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    contestant = w["contestants"][0]
    assert (
        await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "12"}))
    ).status_code == 200
    before = await counts()
    stale = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "13"}, version=0))
    assert stale.status_code == 409
    error = stale.json()
    assert error["code"] == "stale_version" and error["field"] == "base_version"
    assert error["detail"]["current_version"] == 1
    assert error["detail"]["marks"] == [{"aspect_id": "a1", "value": "12"}]
    assert await counts() == before


async def test_two_tablets_of_one_judge_racing_end_with_one_winner_and_no_lost_mark(
    app: Any, w: dict[str, Any]
) -> None:
    contestant = w["contestants"][2]
    async with new_client(app) as tablet_a, new_client(app) as tablet_b:
        await login(tablet_a, "judge3")
        await login(tablet_b, "judge3")
        a, b = await asyncio.gather(
            tablet_a.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "20", "a3": "1"})),
            tablet_b.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "25", "a2": "0"})),
        )
        assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
        winner, loser = (a, b) if a.status_code == 200 else (b, a)
        # The loser is shown exactly what the winner saved, then redoes its marks on top of them.
        assert loser.json()["detail"]["marks"] == winner.json()["marks"]
        loser_client = tablet_b if loser is b else tablet_a
        loser_marks = {"a1": "25", "a2": "0"} if loser is b else {"a1": "20", "a3": "1"}
        redo = await loser_client.put(
            "/api/judge/sheets", json=sheet_body(w, contestant, loser_marks, version=1)
        )
        assert redo.status_code == 200
    marks = {m["aspect_id"]: m["value"] for m in redo.json()["marks"]}
    assert len(marks) == 3  # the winner's third aspect kept, the loser's two on top
    assert await SheetMark.count() == 3


async def test_bad_marks_get_422_naming_the_mark_and_the_aspect(
    judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    contestant = w["contestants"][0]
    assert (
        await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "1"}))
    ).status_code == 200
    before = await counts()
    cases = [
        ({"a1": "10", "zz": "1"}, "marks[1].aspect_id", "unknown_aspect", "zz"),
        ({"a1": "40.5"}, "marks[0].value", "mark_out_of_range", "a1"),
        ({"a1": "-1"}, "marks[0].value", "mark_out_of_range", "a1"),
        ({"a2": "20", "a1": "10.25"}, "marks[1].value", "mark_off_step", "a1"),
        ({"a3": "1.5"}, "marks[0].value", "judgement_mark_invalid", "a3"),
        ({"a3": "4"}, "marks[0].value", "judgement_mark_invalid", "a3"),
        ({"a2": "10"}, "marks[0].value", "pass_fail_mark_invalid", "a2"),
        ({"d1": "11"}, "marks[0].value", "mark_out_of_range", "d1"),
    ]
    for marks, field, code, aspect in cases:
        response = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, marks, version=1))
        assert response.status_code == 422, (marks, response.text)
        error = response.json()
        assert (error["field"], error["code"]) == (field, code), (marks, error)
        assert error["detail"]["aspect_id"] == aspect
        assert aspect in error["message"]
    not_a_number = await judge3.put(
        "/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "abc"}, version=1)
    )
    assert not_a_number.status_code == 422 and not_a_number.json()["field"] == "marks[0].value"
    assert await counts() == before


async def test_recused_and_unassigned_judges_get_403(
    app: Any, w: dict[str, Any], world: dict[str, Any]
) -> None:
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.schemas import UserIn
    from tests.helpers import PASSWORD

    same_employer = of_employer(w, w["enterprise_a"])[0]
    other = of_employer(w, w["enterprise_b"])[0]
    async with new_client(app) as judge2:
        await login(judge2, "judge2")
        listed = (await judge2.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
        assert sorted(r["blind_code"] for r in listed) == sorted(
            c["blind_code"] for c in of_employer(w, w["enterprise_b"])
        )
        refused = await judge2.put("/api/judge/sheets", json=sheet_body(w, same_employer, FULL))
        assert refused.status_code == 403 and refused.json()["code"] == "recused"
        read = await judge2.get(
            f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sheets/{same_employer['blind_code']}"
        )
        assert read.status_code == 403
        assert (await judge2.put("/api/judge/sheets", json=sheet_body(w, other, FULL))).status_code == 200
    await accounts_service.create_user(
        SYSTEM, UserIn(username="judge9", password=PASSWORD, role="judge", display_name="裁判9")
    )
    async with new_client(app) as outsider:
        await login(outsider, "judge9")
        for response in [
            await outsider.put("/api/judge/sheets", json=sheet_body(w, other, FULL)),
            await outsider.get(f"/api/judge/competitions/{w['competition_id']}/sheets"),
            await outsider.get(f"/api/competitions/{w['competition_id']}/scoring"),
        ]:
            assert response.status_code == 403 and response.json()["code"] == "not_assigned"
        assert (await outsider.get("/api/judge/competitions")).json() == []


async def test_unknown_contestant_stage_and_imported_stage(
    judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    body = sheet_body(w, w["contestants"][0], FULL)
    assert (await judge3.put("/api/judge/sheets", json=body | {"blind_code": "222-222"})).status_code == 404
    assert (await judge3.put("/api/judge/sheets", json=body | {"stage_id": 999999})).status_code == 404
    imported = await judge3.put("/api/judge/sheets", json=body | {"stage_id": w["theory_id"]})
    assert imported.status_code == 422 and imported.json()["code"] == "imported_stage"
    assert await ScoreSheet.count() == 0


async def test_after_signing_marks_are_locked(judge3: httpx.AsyncClient, w: dict[str, Any]) -> None:
    contestant = w["contestants"][1]
    submitted = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, FULL, submit=True))
    sheet_id = submitted.json()["sheet_id"]
    signed = await judge3.post(f"/api/judge/sheets/{sheet_id}/sign", json={"version": 1})
    assert signed.status_code == 200 and signed.json()["signed"] == [sheet_id]
    before = await counts()
    locked = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "1"}, version=2))
    assert locked.status_code == 409 and locked.json()["code"] == "sheet_signed"
    stale_too = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "1"}, version=1))
    assert stale_too.status_code == 409 and stale_too.json()["code"] == "sheet_signed"
    assert await counts() == before


async def test_a_draft_cannot_be_signed_and_only_my_sheets(
    app: Any, judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    draft = await judge3.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][1], {"a1": "3"}))
    sheet_id = draft.json()["sheet_id"]
    refused = await judge3.post(f"/api/judge/sheets/{sheet_id}/sign")
    assert refused.status_code == 409 and refused.json()["code"] == "sheet_not_submitted"
    async with new_client(app) as judge4:
        await login(judge4, "judge4")
        assert (await judge4.post(f"/api/judge/sheets/{sheet_id}/sign")).status_code == 404


async def test_a_body_with_unknown_fields_or_bad_uuid_is_422(
    judge3: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    body = sheet_body(w, w["contestants"][0], FULL)
    assert (await judge3.put("/api/judge/sheets", json=body | {"client_id": "nope"})).status_code == 422
    assert (await judge3.put("/api/judge/sheets", json=body | {"base_version": -1})).status_code == 422
    assert (await judge3.put("/api/judge/sheets", json=body | {"judge_id": 1})).status_code == 422
    same_uuid_other_judge = str(uuid.uuid4())
    ok = await judge3.put("/api/judge/sheets", json=body | {"client_id": same_uuid_other_judge})
    assert ok.status_code == 200
