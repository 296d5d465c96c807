"""Expert review: the panel, recusal, and score entry with the judges' guarantees (idempotent, versioned,
validated, audited, locked outside 专家评审)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from awards.tables import Nomination, ReviewMark, ReviewSheet, ReviewSubmission
from tests.awards.pipeline_factories import (
    add_expert,
    add_reviewers,
    marks,
    person,
    programme_in_review,
    submit,
)
from tests.helpers import login, new_client


@pytest.fixture
async def w(world: dict[str, Any]) -> dict[str, Any]:
    built = await programme_in_review(
        world,
        [
            person("张一", 0),  # employer 甲公司
            person("李二", 1),  # employer 乙公司
            person("王三", 1, female=True),
            person("赵四", 0, direct=True),
        ],
        total_awards=2,
    )
    built["e1"] = await add_expert(world, "expert1", employer=0)  # 甲公司: recused from 张一
    built["e2"] = await add_expert(world, "expert2")  # no employer on record
    built["e3"] = await add_expert(world, "expert3")
    return built


@pytest.fixture
async def organizer(app: Any, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client


@pytest.fixture
async def panel(organizer: httpx.AsyncClient, w: dict[str, Any]) -> dict[str, Any]:
    return await add_reviewers(organizer, w["programme_id"], [w["e1"], w["e2"], w["e3"]])


@pytest.fixture
async def expert1(app: Any, panel: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "expert1")
        yield client


async def counts() -> dict[str, int]:
    return {
        "sheets": await ReviewSheet.count(),
        "marks": await ReviewMark.count(),
        "submissions": await ReviewSubmission.count(),
        "audit": await AuditLog.count(),
        "versions": sum(r["version"] for r in await ReviewSheet.select(ReviewSheet.version)),
    }


def body(w: dict[str, Any], name: str, score_marks: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "programme_id": w["programme_id"],
        "nomination_id": w["nominations"][name],
        "client_id": str(uuid.uuid4()),
        "base_version": 0,
        "marks": score_marks,
        "submit": False,
    } | extra


async def test_the_panel_is_numbered_with_recusals_counted(
    organizer: httpx.AsyncClient, w: dict[str, Any], world: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    first = await add_reviewers(organizer, pid, [w["e1"], w["e2"]])
    assert [(r["username"], r["reviewer_no"]) for r in first["reviewers"]] == [("expert1", 1), ("expert2", 2)]
    by_name = {r["username"]: r for r in first["reviewers"]}
    # Three union nominations to review (the direct one is pre-selected); expert1 sits out 甲公司's 张一.
    assert (by_name["expert1"]["recused"], by_name["expert1"]["to_review"]) == (1, 2)
    assert by_name["expert1"]["employer_name"] == "甲公司"
    assert (by_name["expert2"]["recused"], by_name["expert2"]["to_review"]) == (0, 3)
    again = await add_reviewers(organizer, pid, [w["e2"], w["e3"]])  # expert2 kept, expert3 numbered 3
    assert [(r["username"], r["reviewer_no"]) for r in again["reviewers"]] == [
        ("expert1", 1),
        ("expert2", 2),
        ("expert3", 3),
    ]
    refused = await organizer.post(
        f"/api/programmes/{pid}/reviewers", json={"expert_ids": [w["e3"], world["users"]["judge"]]}
    )
    assert refused.status_code == 422
    assert (refused.json()["field"], refused.json()["code"]) == ("expert_ids[1]", "not_an_expert")
    audit = (await organizer.get("/api/audit/", params={"action": "reviewer.add"})).json()
    assert audit["total"] == 2
    removed = await organizer.delete(f"/api/programmes/{pid}/reviewers/{w['e3']}")
    assert removed.status_code == 200 and len(removed.json()["reviewers"]) == 2


async def test_the_expert_sees_names_and_deeds_but_not_recused_nominees_nor_private_data(
    expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    programmes = (await expert1.get("/api/review/programmes")).json()
    assert [(p["programme_id"], p["reviewer_no"], p["to_review"]) for p in programmes] == [(pid, 1, 2)]
    assert [a["id"] for a in programmes[0]["aspects"]] == ["achievement", "innovation", "influence"]
    assert programmes[0]["open_for_review"] is True
    page = await expert1.get(f"/api/review/programmes/{pid}/nominations")
    assert page.status_code == 200
    items = page.json()["items"]
    assert [i["name"] for i in items] == ["李二", "王三"]  # not 张一 (same employer), not 赵四 (direct)
    assert items[0]["employer_name"] == "乙公司" and "扎根一线" in items[0]["deed"]
    assert items[0]["achievements"]["patent_count"] == 2
    assert items[0]["sheet"] == {
        "sheet_id": None,
        "programme_id": pid,
        "nomination_id": w["nominations"]["李二"],
        "status": "draft",
        "version": 0,
        "marks": [],
        "submitted_at": None,
    }
    for forbidden in ("id_number", "mobile", "gender", "birth_date", "id_masked"):
        assert forbidden not in page.text
    recused = await expert1.get(f"/api/review/programmes/{pid}/sheets/{w['nominations']['张一']}")
    assert recused.status_code == 403 and recused.json()["code"] == "recused"


async def test_draft_then_submit_with_the_old_and_new_marks_audited(
    expert1: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    draft = await expert1.put("/api/review/sheets", json=body(w, "李二", marks(30, 20)[:2]))
    assert draft.status_code == 200, draft.text
    assert draft.headers["x-replayed"] == "0"
    out = draft.json()
    assert (out["status"], out["version"]) == ("draft", 1)
    incomplete = await expert1.put(
        "/api/review/sheets", json=body(w, "李二", [], base_version=1, submit=True)
    )
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "sheet_incomplete"
    assert incomplete.json()["detail"]["missing"] == ["influence"]
    done = await expert1.put(
        "/api/review/sheets",
        json=body(
            w, "李二", [{"aspect_id": "achievement", "value": "35.5"}, *marks(0, 0, 25)[2:]], base_version=1
        )
        | {"submit": True},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "submitted" and done.json()["version"] == 2
    assert {m["aspect_id"]: m["value"] for m in done.json()["marks"]} == {
        "achievement": "35.5",
        "innovation": "20",
        "influence": "25",
    }
    audit = (await organizer.get("/api/audit/", params={"entity": "review_sheet"})).json()["items"]
    submitted = next(a for a in audit if a["action"] == "review_sheet.submit")
    assert submitted["before"] == {"status": "draft", "marks": {"achievement": "30", "influence": None}}
    assert submitted["after"]["marks"] == {"achievement": "35.5", "influence": "25"}
    assert submitted["after"]["status"] == "submitted" and submitted["actor_name"] == "专家expert1"
    sheet = await expert1.get(f"/api/review/programmes/{w['programme_id']}/sheets/{w['nominations']['李二']}")
    assert sheet.json() == done.json()


async def test_a_replay_returns_the_first_answer_and_writes_nothing_twice(
    expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    payload = body(w, "李二", marks(30, 20, 20), submit=True)
    first = await expert1.put("/api/review/sheets", json=payload)
    assert first.status_code == 200 and first.headers["x-replayed"] == "0"
    before = await counts()
    again = await expert1.put("/api/review/sheets", json=payload | {"base_version": 1})
    assert again.status_code == 200 and again.headers["x-replayed"] == "1"
    assert again.content == first.content
    assert await counts() == before


async def test_concurrent_replays_write_once(app: Any, w: dict[str, Any], panel: dict[str, Any]) -> None:
    payload = body(w, "王三", marks(40, 30, 30), submit=True)
    async with new_client(app) as a, new_client(app) as b:
        await login(a, "expert2")
        await login(b, "expert2")
        responses = await asyncio.gather(
            *(c.put("/api/review/sheets", json=payload) for c in [a, b, a, b, a, b])
        )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers["x-replayed"] == "0" for r in responses) == 1
    assert await ReviewSubmission.count() == 1 and await ReviewMark.count() == 3
    assert await AuditLog.count().where(AuditLog.entity == "review_sheet") == 1


async def test_two_tablets_racing_end_with_one_winner_and_a_409_with_the_current_marks(
    app: Any, w: dict[str, Any], panel: dict[str, Any]
) -> None:
    async with new_client(app) as a, new_client(app) as b:
        await login(a, "expert3")
        await login(b, "expert3")
        one, two = await asyncio.gather(
            a.put("/api/review/sheets", json=body(w, "张一", marks(10, 10, 10))),
            b.put("/api/review/sheets", json=body(w, "张一", marks(20, 20, 20))),
        )
    assert sorted([one.status_code, two.status_code]) == [200, 409], (one.text, two.text)
    winner, loser = (one, two) if one.status_code == 200 else (two, one)
    error = loser.json()
    assert error["code"] == "stale_version" and error["field"] == "base_version"
    assert error["detail"]["current_version"] == 1
    assert error["detail"]["marks"] == winner.json()["marks"]
    assert await ReviewMark.count() == 3


async def test_bad_marks_get_422_naming_the_aspect_and_change_nothing(
    expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    assert (await expert1.put("/api/review/sheets", json=body(w, "李二", marks(1)))).status_code == 200
    before = await counts()
    cases = [
        ([{"aspect_id": "achievement", "value": "41"}], "marks[0].value", "mark_out_of_range", "achievement"),
        ([{"aspect_id": "innovation", "value": "-1"}], "marks[0].value", "mark_out_of_range", "innovation"),
        (
            [{"aspect_id": "achievement", "value": "1"}, {"aspect_id": "influence", "value": "1.2345"}],
            "marks[1].value",
            "mark_too_precise",
            "influence",
        ),
        ([{"aspect_id": "nope", "value": "1"}], "marks[0].aspect_id", "unknown_aspect", "nope"),
        (
            [{"aspect_id": "achievement", "value": "1"}, {"aspect_id": "achievement", "value": "2"}],
            "marks[1].aspect_id",
            "duplicate_aspect",
            "achievement",
        ),
    ]
    for score_marks, field, code, aspect in cases:
        response = await expert1.put("/api/review/sheets", json=body(w, "李二", score_marks, base_version=1))
        assert response.status_code == 422, (score_marks, response.text)
        error = response.json()
        assert (error["field"], error["code"]) == (field, code), error
        assert error["detail"]["aspect_id"] == aspect and aspect in error["message"]
    not_a_number = await expert1.put(
        "/api/review/sheets", json=body(w, "李二", [{"aspect_id": "achievement", "value": "abc"}])
    )
    assert not_a_number.status_code == 422 and not_a_number.json()["field"] == "marks[0].value"
    unknown_field = await expert1.put("/api/review/sheets", json=body(w, "李二", []) | {"score": 1})
    assert unknown_field.status_code == 422
    assert await counts() == before


async def test_recused_unassigned_and_wrong_role_are_refused(
    app: Any, expert1: httpx.AsyncClient, w: dict[str, Any], world: dict[str, Any]
) -> None:
    await add_expert(world, "outsider")
    before = await counts()
    recused = await expert1.put("/api/review/sheets", json=body(w, "张一", marks(1, 1, 1)))
    assert recused.status_code == 403 and recused.json()["code"] == "recused"
    direct = await expert1.put("/api/review/sheets", json=body(w, "赵四", marks(1, 1, 1)))
    assert direct.status_code == 404 and direct.json()["code"] == "unknown_nomination"
    async with new_client(app) as outsider:
        await login(outsider, "outsider")
        response = await outsider.put("/api/review/sheets", json=body(w, "李二", marks(1, 1, 1)))
        assert response.status_code == 403 and response.json()["code"] == "not_a_reviewer"
        listing = await outsider.get(f"/api/review/programmes/{w['programme_id']}/nominations")
        assert listing.status_code == 403
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        response = await organizer.put("/api/review/sheets", json=body(w, "李二", marks(1, 1, 1)))
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert await counts() == before


async def test_a_client_id_of_another_expert_is_refused(
    app: Any, expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    payload = body(w, "李二", marks(5, 5, 5))
    assert (await expert1.put("/api/review/sheets", json=payload)).status_code == 200
    async with new_client(app) as other:
        await login(other, "expert2")
        response = await other.put("/api/review/sheets", json=payload)
        assert response.status_code == 409 and response.json()["code"] == "client_id_reused"


async def test_marks_are_refused_outside_expert_review(
    app: Any, organizer: httpx.AsyncClient, expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    # Every review done: the shortlist is computed and the review closes.
    pid = w["programme_id"]
    kept = body(w, "王三", marks(30, 20, 20), submit=True)  # expert1's write of 王三, replayed once closed
    answers = {}
    async with new_client(app) as e2, new_client(app) as e3:
        await login(e2, "expert2")
        await login(e3, "expert3")
        for name in ("张一", "李二", "王三"):
            for client in (expert1, e2, e3):
                if client is expert1 and name == "张一":
                    continue
                if client is expert1 and name == "王三":
                    response = await expert1.put("/api/review/sheets", json=kept)
                    answers["kept"] = response.json()
                else:
                    response = await submit(client, pid, w["nominations"][name], marks(30, 20, 20))
                assert response.status_code == 200, response.text
    computed = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert computed.status_code == 200, computed.text
    before = await counts()
    late = await expert1.put("/api/review/sheets", json=body(w, "李二", marks(1, 1, 1), base_version=1))
    assert late.status_code == 409 and late.json()["code"] == "review_closed"
    # A tablet retrying a write that was answered before the close still gets that answer, not a 409.
    replay = await expert1.put("/api/review/sheets", json=kept)
    assert replay.status_code == 200 and replay.headers["x-replayed"] == "1"
    assert replay.json() == answers["kept"]
    elsewhere = body(w, "李二", marks(1, 1, 1), programme_id=pid + 99)
    unknown = await expert1.put("/api/review/sheets", json=elsewhere)
    assert unknown.status_code == 404 and unknown.json()["field"] == "programme_id"
    assert await counts() == before
    listing = (await expert1.get(f"/api/review/programmes/{pid}")).json()
    assert listing["open_for_review"] is False and listing["submitted"] == 2


async def test_the_review_score_is_the_scoring_engines_aggregate_of_the_submitted_sheets(
    app: Any, organizer: httpx.AsyncClient, w: dict[str, Any], panel: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    given = {
        "expert1": {"李二": (30, 20, 20), "王三": (40, 25, 25)},
        "expert2": {"张一": (35, 25, 25), "李二": (31, 20, 20), "王三": (39, 25, 25)},
        "expert3": {"张一": (36, 25, 25), "李二": (32, 20, 21), "王三": (40, 26, 25)},
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for username in given:
            clients[username] = await stack.enter_async_context(new_client(app))
            await login(clients[username], username)
        progress = (await organizer.get(f"/api/programmes/{pid}/review-progress")).json()
        assert (progress["nominations"], progress["direct"], progress["complete"]) == (3, 1, 0)
        for username, sheets in given.items():
            for name, values in sheets.items():
                # Drafts never count: the last expert's 王三 stays a draft until the end.
                final = not (username == "expert3" and name == "王三")
                response = await submit(
                    clients[username], pid, w["nominations"][name], marks(*values), submit=final
                )
                assert response.status_code == 200, response.text
        progress = (await organizer.get(f"/api/programmes/{pid}/review-progress")).json()
        assert (progress["complete"], progress["incomplete"]) == (2, 1)
        assert progress["missing"] == [
            {"nomination_id": w["nominations"]["王三"], "name": "王三", "missing_reviewers": [3]}
        ]
        refused = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
        assert refused.status_code == 409 and refused.json()["code"] == "review_incomplete"
        response = await submit(
            clients["expert3"], pid, w["nominations"]["王三"], marks(40, 26, 25), base_version=1
        )
        assert response.status_code == 200, response.text
    report = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert report.status_code == 200, report.text
    scores = {
        r["id"]: r["review_score"]
        for r in await Nomination.select(Nomination.id, Nomination.review_score).where(
            Nomination.programme == pid
        )
    }
    # Mean of each aspect over the experts who may review the nominee (expert1 sits out 张一).
    assert scores[w["nominations"]["张一"]] == Decimal("85.5")
    assert scores[w["nominations"]["李二"]] == Decimal("71.3333")  # (70 + 71 + 73) / 3, to 4 places
    assert scores[w["nominations"]["王三"]] == Decimal("90")
    assert scores[w["nominations"]["赵四"]] is None  # direct: not reviewed


async def test_the_expert_filters_by_what_is_left_to_do(
    expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    assert (await submit(expert1, pid, w["nominations"]["李二"], marks(30, 20, 20))).status_code == 200
    assert (
        await submit(expert1, pid, w["nominations"]["王三"], marks(30)[:1], submit=False)
    ).status_code == 200

    async def names(status: str) -> list[str]:
        page = await expert1.get(f"/api/review/programmes/{pid}/nominations", params={"status": status})
        assert page.status_code == 200, page.text
        return [i["name"] for i in page.json()["items"]]

    assert await names("submitted") == ["李二"]
    assert await names("draft") == ["王三"]
    assert await names("todo") == ["王三"]  # a draft is still to do
    searched = await expert1.get(f"/api/review/programmes/{pid}/nominations", params={"q": "王"})
    assert [i["name"] for i in searched.json()["items"]] == ["王三"]
    assert searched.json()["items"][0]["sheet"]["marks"] == [{"aspect_id": "achievement", "value": "30"}]
    bad = await expert1.get(f"/api/review/programmes/{pid}/nominations", params={"status": "nope"})
    assert bad.status_code == 400 or bad.json()["code"] == "validation_error"


async def test_a_recused_expert_never_reads_the_nomination_by_any_route(
    app: Any, expert1: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    recused, other = w["nominations"]["张一"], w["nominations"]["李二"]
    for url in (f"/api/nominations/{recused}", f"/api/nominations/{recused}/attachments"):
        response = await expert1.get(url)
        assert response.status_code == 404, url
        assert "张一" not in response.text and "甲公司" not in response.text
    listed = await expert1.get(f"/api/review/programmes/{w['programme_id']}/nominations", params={"q": "张"})
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert (await expert1.get(f"/api/programmes/{w['programme_id']}/nominations")).status_code == 403
    # The same expert reads a nominee of another employer, and an expert of no employer reads 张一.
    mine = await expert1.get(f"/api/nominations/{other}")
    assert mine.status_code == 200 and mine.json()["name"] == "李二"
    assert (await expert1.get(f"/api/nominations/{other}/attachments")).status_code == 200
    async with new_client(app) as expert2:
        await login(expert2, "expert2")
        assert (await expert2.get(f"/api/nominations/{recused}")).json()["name"] == "张一"
