"""Appeals (申诉) and the supervision and arbitration group (监督仲裁组): window, membership, final answers,
upheld corrections audited and republished."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from competitions.tables import Stage
from core.db import utcnow
from scoring.tables import Appeal, ContestantFacts, Publication, ScoreSheet, SheetMark, StageSignoff
from tests.helpers import PASSWORD, login, new_client
from tests.scoring import factories

# The world's contestant user is contestant 0 of the factory.


@pytest.fixture
async def contestant(app: object, built: factories.Built) -> Any:
    async with new_client(app) as client:
        await login(client, "contestant")
        yield client


@pytest.fixture
async def chief(app: object, built: factories.Built, organizer: httpx.AsyncClient) -> Any:
    """The chief judge, named to the arbitration group by the organizer."""
    response = await organizer.post(
        f"/api/competitions/{built.competition_id}/arbitration", json={"user_id": built.chief}
    )
    assert response.status_code == 201, response.text
    assert response.json()[0]["is_chief_judge"] is True
    async with new_client(app) as client:
        await login(client, "judge")
        yield client


async def publish(organizer: httpx.AsyncClient, built: factories.Built) -> dt.datetime:
    """Signed off, unblinded and published (version 1): the appeal window opens now."""
    await factories.sign_off(built)
    cid = built.competition_id
    assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
    response = await organizer.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
    assert response.status_code == 201, response.text
    return dt.datetime.fromisoformat(response.json()["published_at"])


@pytest.fixture
async def published(organizer: httpx.AsyncClient, built: factories.Built) -> dt.datetime:
    return await publish(organizer, built)


async def lodge(client: httpx.AsyncClient, built: factories.Built, **extra: Any) -> httpx.Response:
    body = {
        "registration_id": built.registrations[0],
        "stage_id": built.practical_id,
        "grounds": "2号裁判接线工艺评分有误",
    }
    return await client.post("/api/appeals/", json={**body, **extra})


async def test_arbitration_members_are_staff_named_by_the_organizer(
    organizer: httpx.AsyncClient, built: factories.Built, world: dict[str, Any]
) -> None:
    url = f"/api/competitions/{built.competition_id}/arbitration"
    expert = world["users"]["expert"]
    assert (await organizer.post(url, json={"user_id": expert})).status_code == 201
    refused = await organizer.post(url, json={"user_id": built.contestant_user})
    assert refused.status_code == 422 and refused.json()["code"] == "not_staff"
    assert (await organizer.post(url, json={"user_id": expert})).status_code == 409
    assert [m["user_id"] for m in (await organizer.get(url)).json()] == [expert]
    assert (await organizer.delete(f"{url}/{expert}")).status_code == 204
    assert (await organizer.get(url)).json() == []
    actions = [
        r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.entity == "competition")
    ]
    assert actions.count("arbitration.add") == 1 and actions.count("arbitration.remove") == 1


async def test_contestant_appeals_own_result_within_the_window(
    contestant: httpx.AsyncClient, built: factories.Built, published: dt.datetime
) -> None:
    response = await lodge(contestant, built)
    assert response.status_code == 201, response.text
    appeal = response.json()
    assert appeal["status"] == "pending" and appeal["blind_code"] == built.blind_codes[0]
    assert appeal["appellant_name"] is None
    assert (await lodge(contestant, built)).json()["code"] == "appeal_pending"
    other = await lodge(contestant, built, registration_id=built.registrations[1])
    assert other.status_code == 403 and other.json()["code"] == "not_own_registration"
    mine = (await contestant.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    assert mine["window_hours"] == 2 and [a["id"] for a in mine["appeals"]] == [appeal["id"]]
    practical = next(s for s in mine["stages"] if s["stage_id"] == built.practical_id)
    assert practical["open"] is True
    assert dt.datetime.fromisoformat(practical["opens_at"]) == published
    audit = await AuditLog.select().where(AuditLog.action == "appeal.lodge")
    assert audit[0]["entity_id"] == str(appeal["id"])


async def test_no_appeal_before_the_results_are_published(
    contestant: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    # The stage ended an hour ago and the chief judge has signed off: still nothing published to appeal.
    await factories.sign_off(built)
    before = await lodge(contestant, built)
    assert before.status_code == 409 and before.json()["code"] == "appeal_window_closed"
    assert "尚未发布" in before.json()["message"] and before.json()["detail"]["opens_at"] is None
    mine = (await contestant.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    assert all(not w["open"] and w["opens_at"] is None for w in mine["stages"])
    assert await Appeal.count() == 0
    cid = built.competition_id
    assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
    assert (
        await organizer.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
    ).status_code == 201
    assert (await lodge(contestant, built)).status_code == 201


async def test_a_publication_long_after_sign_off_leaves_the_whole_window(
    contestant: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    # The stages ended and were signed off five hours ago; the results come out only now.
    long_ago = utcnow() - dt.timedelta(hours=5)
    await Stage.update({Stage.ends_at: long_ago}).where(Stage.competition == built.competition_id)
    published = await publish(organizer, built)
    await StageSignoff.update({StageSignoff.signed_at: long_ago}).where(
        StageSignoff.stage.is_in([built.theory_id, built.practical_id])
    )
    mine = (await contestant.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    overall = next(w for w in mine["stages"] if w["stage_id"] == 0)
    assert overall["open"] is True
    assert dt.datetime.fromisoformat(overall["closes_at"]) == published + dt.timedelta(hours=2)
    assert (await lodge(contestant, built)).status_code == 201


async def test_appeal_after_the_window_is_refused(
    contestant: httpx.AsyncClient, built: factories.Built, published: dt.datetime
) -> None:
    # The window runs from the publication: published 2.5 hours ago, a 2-hour window is over.
    await Publication.update({Publication.published_at: published - dt.timedelta(hours=2.5)}).where(
        Publication.competition == built.competition_id
    )
    response = await lodge(contestant, built)
    assert response.status_code == 409
    assert response.json()["code"] == "appeal_window_closed" and "申诉期已过" in response.json()["message"]
    assert response.json()["detail"]["closes_at"] is not None


async def test_the_same_matter_is_not_appealed_again_after_the_answer(
    contestant: httpx.AsyncClient, chief: httpx.AsyncClient, built: factories.Built, published: dt.datetime
) -> None:
    appeal = (await lodge(contestant, built)).json()
    dismissal = {"decision": "dismissed", "reason": "经复核，评分符合评分标准"}
    assert (await chief.post(f"/api/appeals/{appeal['id']}/answer", json=dismissal)).status_code == 200
    again = await lodge(contestant, built, grounds="我仍然认为评分有误，再次申诉")
    assert again.status_code == 409 and again.json()["code"] == "appeal_final"
    assert "最终结论" in again.json()["message"] and again.json()["detail"]["appeal_ids"] == [appeal["id"]]
    assert await Appeal.count() == 1
    mine = (await contestant.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    practical = next(w for w in mine["stages"] if w["stage_id"] == built.practical_id)
    assert practical["final"] is True
    # Another matter (the theory stage) is still open to an appeal within the window.
    theory = await lodge(contestant, built, stage_id=built.theory_id)
    assert theory.status_code == 201, theory.text


async def test_only_members_answer_and_the_answer_is_final(
    app: object,
    contestant: httpx.AsyncClient,
    chief: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    built: factories.Built,
    published: dt.datetime,
) -> None:
    appeal = (await lodge(contestant, built)).json()
    answer = f"/api/appeals/{appeal['id']}/answer"
    dismissal = {"decision": "dismissed", "reason": "经复核，评分符合评分标准"}
    refused = await organizer.post(answer, json=dismissal)  # organizers name the group; they do not sit on it
    assert refused.status_code == 403 and refused.json()["code"] == "not_arbitration_member"
    async with new_client(app) as judge2:
        await login(judge2, "judge2")
        assert (await judge2.post(answer, json=dismissal)).status_code == 403
        assert (await judge2.get(f"/api/competitions/{built.competition_id}/appeals")).status_code == 403
    no_reason = await chief.post(answer, json={"decision": "upheld", "reason": "成立"})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "correction"
    response = await chief.post(answer, json=dismissal)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "dismissed" and response.json()["answered_by_name"] == "judge"
    again = await chief.post(answer, json={**dismissal, "reason": "再次答复"})
    assert again.status_code == 409 and again.json()["code"] == "appeal_answered"
    listed = (await organizer.get(f"/api/competitions/{built.competition_id}/appeals")).json()
    assert listed[0]["status"] == "dismissed" and listed[0]["appellant_name"] == built.names[0]
    assert (await chief.get(f"/api/competitions/{built.competition_id}/appeals")).json()[0][
        "appellant_name"
    ] is None
    mine = (await contestant.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    assert mine["appeals"][0]["answer"] == "经复核，评分符合评分标准"
    seats = (await chief.get("/api/arbitration/mine")).json()
    assert [(s["competition_id"], s["pending"]) for s in seats] == [(built.competition_id, 0)]
    audit = await AuditLog.select().where(AuditLog.action == "appeal.answer")
    assert len(audit) == 1 and audit[0]["reason"] == "经复核，评分符合评分标准"


async def test_upheld_correction_is_audited_and_republished(
    client: httpx.AsyncClient,
    contestant: httpx.AsyncClient,
    chief: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    built: factories.Built,
    published: dt.datetime,
) -> None:
    cid = built.competition_id
    public = f"/api/public/competitions/{cid}/leaderboard"
    before = next(
        r for r in (await client.get(public)).json()["rows"] if r["blind_code"] == built.blind_codes[0]
    )
    appeal = (await lodge(contestant, built)).json()
    old_value = factories.marks_of(0)["a2"][1]
    bad = await chief.post(
        f"/api/appeals/{appeal['id']}/answer",
        json={
            "decision": "upheld",
            "reason": "2号裁判误记",
            "correction": {"marks": [{"aspect_id": "a2", "judge_no": 2, "value": "9.3"}]},
        },
    )
    assert bad.status_code == 422 and bad.json()["field"] == "correction.marks[0].value"
    response = await chief.post(
        f"/api/appeals/{appeal['id']}/answer",
        json={
            "decision": "upheld",
            "reason": "2号裁判误记调试分数",
            "correction": {"marks": [{"aspect_id": "a2", "judge_no": 2, "value": "9"}]},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "upheld" and response.json()["republished_version"] == 2
    stored = await SheetMark.select(SheetMark.value).where(
        (SheetMark.sheet.registration == built.registrations[0])
        & (SheetMark.sheet.judge == built.judges[1])
        & (SheetMark.aspect_id == "a2")
    )
    assert stored[0]["value"] == Decimal(9)
    audit = (await AuditLog.select().where(AuditLog.action == "sheet_mark.correct"))[0]
    assert audit["before"] is not None and audit["after"] is not None
    assert Decimal(json.loads(audit["before"])["value"]) == old_value
    assert Decimal(json.loads(audit["after"])["value"]) == Decimal(9)
    assert audit["reason"].startswith(f"申诉 #{appeal['id']} 成立")
    board = (await client.get(public)).json()
    assert board["version"] == 2
    after = next(r for r in board["rows"] if r["blind_code"] == built.blind_codes[0])
    assert Decimal(after["final_score"]) > Decimal(before["final_score"])
    history = (await organizer.get(f"/api/competitions/{cid}/results/publications")).json()
    assert [h["version"] for h in history] == [2, 1] and history[0]["published_by_name"] == "judge"
    assert any(
        c["blind_code"] == built.blind_codes[0] and c["field"] == "final_score" for c in history[0]["changes"]
    )
    second = await chief.post(
        f"/api/appeals/{appeal['id']}/answer", json={"decision": "dismissed", "reason": "x"}
    )
    assert second.status_code == 409


async def test_upheld_disqualification_and_time_correction(
    contestant: httpx.AsyncClient,
    chief: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    built: factories.Built,
    published: dt.datetime,
) -> None:
    appeal = (await lodge(contestant, built, stage_id=None, grounds="用时记录有误")).json()
    assert appeal["stage_id"] is None
    # The same checks as every other write of time used and marks: finite, in range, in its decimals.
    for bad in [
        {"time_used_seconds": "-1"},
        {"time_used_seconds": "NaN"},
        {"time_used_seconds": "2400.55"},
        {"time_used_seconds": "9999999"},
        {"marks": [{"aspect_id": "a2", "judge_no": 2, "value": "9.0001"}]},
        {"marks": [{"aspect_id": "a2", "judge_no": 2, "value": "-Infinity"}]},
    ]:
        refused = await chief.post(
            f"/api/appeals/{appeal['id']}/answer",
            json={"decision": "upheld", "reason": "计时员记录错误", "correction": bad},
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["field"].startswith("correction."), refused.json()
    response = await chief.post(
        f"/api/appeals/{appeal['id']}/answer",
        json={
            "decision": "upheld",
            "reason": "计时员记录错误",
            "correction": {"time_used_seconds": "2400.5"},
        },
    )
    # The time used only breaks ties: no published figure moved, so no new version (and no 409 either).
    assert response.status_code == 200, response.text
    assert response.json()["republished_version"] is None
    assert await Publication.count().where(Publication.competition == built.competition_id) == 1
    audit = (await AuditLog.select().where(AuditLog.action == "contestant_facts.correct"))[0]
    assert json.loads(audit["after"]) == {"time_used_seconds": "2400.5"}
    assert Decimal(json.loads(audit["before"])["time_used_seconds"]) == Decimal(3000)
    board_time = await ContestantFacts.select(
        ContestantFacts.time_used_seconds, ContestantFacts.version
    ).where(ContestantFacts.registration == built.registrations[0])
    assert board_time[0]["time_used_seconds"] == Decimal("2400.5") and board_time[0]["version"] == 2


async def _windows_of(client: httpx.AsyncClient, built: factories.Built) -> dict[int, bool]:
    """Which of a contestant's appeal windows are open, by stage id (0: the whole result)."""
    mine = (await client.get(f"/api/competitions/{built.competition_id}/appeals/mine")).json()
    return {w["stage_id"]: w["open"] for w in mine["stages"]}


async def test_a_correction_reopens_the_window_for_the_results_it_changed(
    app: object,
    contestant: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    built: factories.Built,
    published: dt.datetime,
) -> None:
    """Published long ago (every window closed), then an organizer corrects contestant 0's practical mark
    and republishes: contestant 0 may appeal the corrected practical stage and the whole result, not the
    theory stage the correction left as it was; a contestant whose result did not change may not."""
    cid = built.competition_id
    await Publication.update({Publication.published_at: published - dt.timedelta(hours=3)}).where(
        Publication.competition == cid
    )
    assert set((await _windows_of(contestant, built)).values()) == {False}
    sheet = await ScoreSheet.select(ScoreSheet.id).where(
        (ScoreSheet.registration == built.registrations[0])
        & (ScoreSheet.judge == built.judges[1])
        & (ScoreSheet.stage == built.practical_id)
    )
    correction = {"sheet_id": sheet[0]["id"], "aspect_id": "a2", "value": "9", "reason": "2号裁判误记"}
    assert (await organizer.post("/api/scoring/corrections", json=correction)).status_code == 200
    republished = await organizer.post(
        f"/api/competitions/{cid}/results/publish", json={"previous_version": 1, "reason": "更正误记分数"}
    )
    assert republished.status_code == 201, republished.text
    corrected_at = dt.datetime.fromisoformat(republished.json()["published_at"])

    mine = (await contestant.get(f"/api/competitions/{cid}/appeals/mine")).json()
    windows = {w["stage_id"]: w for w in mine["stages"]}
    assert windows[built.practical_id]["open"] and windows[0]["open"]
    assert dt.datetime.fromisoformat(windows[0]["opens_at"]) == corrected_at
    assert not windows[built.theory_id]["open"]
    theory = await lodge(contestant, built, stage_id=built.theory_id)
    assert theory.status_code == 409 and theory.json()["code"] == "appeal_window_closed"
    assert "更正后重新发布" in theory.json()["message"]
    assert (await lodge(contestant, built)).status_code == 201

    # A contestant the correction left as they were (the version's change list does not name them).
    changes = (await organizer.get(f"/api/competitions/{cid}/results/publications")).json()[0]["changes"]
    changed = {c["blind_code"] for c in changes}
    assert built.blind_codes[0] in changed
    other = next(i for i, code in enumerate(built.blind_codes) if code not in changed)
    async with new_client(app) as unchanged:
        await login(unchanged, await _contestant_account(built, other))
        assert set((await _windows_of(unchanged, built)).values()) == {False}
        refused = await lodge(unchanged, built, registration_id=built.registrations[other], stage_id=None)
        assert refused.status_code == 409 and refused.json()["code"] == "appeal_window_closed"


async def _contestant_account(built: factories.Built, index: int) -> str:
    """A log-in of their own for contestant ``index``; the username."""
    from accounts import service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import UserIn
    from competitions.tables import Registration

    row = await Registration.select(Registration.person).where(Registration.id == built.registrations[index])
    username = f"contestant{index}"
    user = UserIn(
        username=username,
        password=PASSWORD,
        role=Role.CONTESTANT,
        display_name=built.names[index],
        person_id=row[0]["person"],
    )
    await service.create_user(SYSTEM, user)
    return username


def test_a_rank_moved_by_anothers_correction_reopens_the_whole_result_only() -> None:
    """A pure rule over the published versions: who a correction reopened what for, and when."""
    from scoring.appeals import reopened_at
    from scoring.results_schemas import CompetitionHead, PublicBoard, PublicRow

    def row(code: str, rank: int, practical: str) -> PublicRow:
        final = Decimal(practical) + 50
        return PublicRow(
            rank=rank, tier=None, prize=None, name=code, employer="", blind_code=code, station_no=None,
            final_score=final, stage_scores={"1": Decimal(50), "2": Decimal(practical)}, disqualified=False,
        )  # fmt: skip

    def board(version: int, rows: list[PublicRow]) -> PublicBoard:
        head = CompetitionHead(id=1, title="", occupation="", venue="")
        return PublicBoard(
            competition=head, version=version, published_at=utcnow(), stages=[], rows=rows, tier_counts=[]
        )

    first, second, third = (utcnow() + dt.timedelta(hours=h) for h in (0, 5, 9))
    versions = [
        (first, board(1, [row("A", 1, "40"), row("B", 2, "35"), row("C", 3, "30")])),
        (second, board(2, [row("B", 1, "45"), row("A", 2, "40"), row("C", 3, "30")])),  # B's practical
        (third, board(3, [row("B", 1, "45"), row("A", 2, "40"), row("C", 3, "30.5")])),  # C's, same rank
    ]
    assert reopened_at(versions, "B") == {None: second, 2: second}
    assert reopened_at(versions, "A") == {None: second}  # moved to second place: the result, not a stage
    assert reopened_at(versions, "C") == {None: third, 2: third}
    assert reopened_at(versions[:1], "A") == {}
