"""Results over HTTP: live board, unblinding, publication and history, the public boards and their cache,
exports, concurrency of publishing."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import openpyxl

from accounts.tables import AuditLog
from scoring import live
from scoring.tables import Publication
from tests.helpers import login, new_client
from tests.scoring import factories


def base(built: factories.Built) -> str:
    return f"/api/competitions/{built.competition_id}/results"


async def unblind_and_publish(organizer: httpx.AsyncClient, built: factories.Built) -> dict[str, Any]:
    await factories.sign_off(built)
    assert (await organizer.post(f"{base(built)}/unblind")).status_code == 201
    response = await organizer.post(f"{base(built)}/publish", json={"previous_version": 0})
    assert response.status_code == 201, response.text
    return response.json()


async def publish_settled(organizer: httpx.AsyncClient, built: factories.Built) -> None:
    """Unblind and publish, then wait until this process has also received its own broadcast evictions
    (on PostgreSQL they come back through NOTIFY a moment later), so the cache is stable afterwards."""
    async with live.subscribe(live.CACHE_CHANNEL) as evictions:
        await unblind_and_publish(organizer, built)

        async def two_of_ours() -> None:
            seen = 0
            async for payload in evictions:
                seen += msgspec.json.decode(payload)["competition_id"] == built.competition_id
                if seen == 2:  # unblinding and publication
                    return

        await asyncio.wait_for(two_of_ours(), timeout=10)
    await asyncio.sleep(0.05)  # the cache's own listener has the same message queued: let it run


async def correct_mark(
    organizer: httpx.AsyncClient,
    built: factories.Built,
    index: int,
    judge_no: int,
    aspect_id: str,
    value: str,
) -> None:
    """A correction through the score-entry half's route (allowed after sign-off and publication)."""
    sheets = await organizer.get(
        f"/api/chief/competitions/{built.competition_id}/sheets",
        params={"blind_code": built.blind_codes[index]},
    )
    assert sheets.status_code == 200, sheets.text
    sheet = next(
        s for s in sheets.json() if s["judge_no"] == judge_no and s["stage_id"] == built.practical_id
    )
    response = await organizer.post(
        "/api/scoring/corrections",
        json={
            "sheet_id": sheet["sheet_id"],
            "aspect_id": aspect_id,
            "value": value,
            "reason": "复核更正",
            "base_version": sheet["version"],
        },
    )
    assert response.status_code == 200, response.text


# ------------------------------------------------------------------------------------------ the live board


async def test_live_board_by_blind_code_with_completeness(
    organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    board = (await organizer.get(f"{base(built)}/live")).json()
    rows = {row["blind_code"]: row for row in board["rows"]}
    code = built.blind_codes
    assert [(rows[code[i]]["rank"], rows[code[i]]["final_score"]) for i in (9, 8, 7, 10, 5, 4, 6)] == [
        (1, "85.64"),
        (2, "81.78"),
        (3, "79.64"),
        (3, "79.64"),
        (5, "73.87"),
        (6, "70.44"),
        (7, "70.44"),
    ]
    assert [rows[code[i]]["prize"] for i in (9, 8, 7, 10, 5, 4)] == [
        "一等奖",
        "二等奖",
        "三等奖",
        "三等奖",
        "三等奖",
        None,
    ]
    assert rows[code[11]]["disqualified"] and rows[code[11]]["rank"] is None
    # 4 aspects x 5 judges + the theory mark; the recused judge is not expected on contestant 3.
    assert (rows[code[0]]["marks_in"], rows[code[0]]["marks_expected"]) == (20, 20)
    assert (rows[code[3]]["marks_expected"], rows[code[3]]["sheets_expected"]) == (16, 5)
    assert all(row["name"] is None and row["registration_id"] is None for row in board["rows"])
    assert board["unblinded_at"] is None and not board["all_signed_off"]
    assert board["tier_counts"] == [1, 2, 3]


async def test_completeness_counts_sheets_as_they_come_in(app: object, world: dict[str, Any]) -> None:
    built = await factories.build(world, marks=False)
    await factories.submit_sheet(built, 0, built.judges[0], {"a1": Decimal(15), "a2": Decimal(8)})
    async with new_client(app) as client:
        await login(client, "organizer")
        board = (await client.get(f"{base(built)}/live")).json()
    row = next(r for r in board["rows"] if r["blind_code"] == built.blind_codes[0])
    assert (row["marks_in"], row["marks_expected"], row["sheets_in"], row["sheets_expected"]) == (2, 20, 2, 6)
    assert row["complete"] is False and board["complete"] is False


async def test_chief_judge_sees_blind_codes_only_and_other_judges_are_refused(
    app: object, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    await factories.sign_off(built)
    assert (await organizer.post(f"{base(built)}/unblind")).status_code == 201
    async with new_client(app) as chief:
        await login(chief, "judge")
        board = (await chief.get(f"{base(built)}/live")).json()
        assert board["view"] == "chief_judge"
        assert all(row["name"] is None and row["employer"] is None for row in board["rows"])
    async with new_client(app) as judge:
        await login(judge, "judge2")
        response = await judge.get(f"{base(built)}/live")
        assert response.status_code == 403 and response.json()["code"] == "not_chief_judge"
        assert (await judge.get(f"{base(built)}/events")).status_code == 403


# --------------------------------------------------------------------------------------------- unblinding


async def test_unblinding_is_refused_until_every_stage_is_signed_off(
    organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    response = await organizer.post(f"{base(built)}/unblind")
    assert response.status_code == 409
    assert response.json()["code"] == "not_signed_off"
    assert set(response.json()["detail"]["stages"]) == {"理论知识", "技能操作"}
    await factories.sign_off(built)
    response = await organizer.post(f"{base(built)}/unblind")
    assert response.status_code == 201 and response.json()["contestants"] == 12
    assert (await organizer.post(f"{base(built)}/unblind")).json()["code"] == "already_unblinded"
    board = (await organizer.get(f"{base(built)}/live")).json()
    by_code = {row["blind_code"]: row for row in board["rows"]}
    assert by_code[built.blind_codes[2]]["name"] == built.names[2]
    assert by_code[built.blind_codes[2]]["employer"] in ("甲公司", "乙公司")
    audit = await AuditLog.select().where(AuditLog.action == "results.unblind")
    assert len(audit) == 1 and audit[0]["entity_id"] == str(built.competition_id)


async def test_publishing_needs_unblinding(organizer: httpx.AsyncClient, built: factories.Built) -> None:
    response = await organizer.post(f"{base(built)}/publish", json={"previous_version": 0})
    assert response.status_code == 409 and response.json()["code"] == "not_unblinded"


# -------------------------------------------------------------------------------------------- publication


async def test_public_board_before_and_after_publication(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built, world: dict[str, Any]
) -> None:
    public = f"/api/public/competitions/{built.competition_id}/leaderboard"
    response = await client.get(public)
    assert response.status_code == 404 and response.json()["code"] == "not_published"
    unknown = await client.get("/api/public/competitions/999999/leaderboard")
    assert unknown.status_code == 404 and unknown.json()["code"] == "competition_not_found"
    assert "csrftoken" not in response.headers.get("set-cookie", "")
    published = await unblind_and_publish(organizer, built)
    assert published["version"] == 1 and published["changes"] == []
    response = await client.get(public)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    board = response.json()
    assert board["version"] == 1
    first = board["rows"][0]
    assert (first["rank"], first["prize"], first["name"], first["final_score"]) == (
        1,
        "一等奖",
        built.names[9],
        "85.64",
    )
    assert first["stage_scores"] == {str(built.theory_id): "87.00", str(built.practical_id): "51.03"}
    assert set(first) == {
        "rank", "tier", "prize", "name", "employer", "blind_code", "station_no", "final_score",
        "stage_scores", "disqualified",
    }  # fmt: skip
    # No ID number, mobile or internal id anywhere in what the public gets.
    text = (
        response.text
        + (await client.get(f"/api/public/competitions/{built.competition_id}/open-document.json")).text
    )
    people = await _people_secrets(world, built)
    assert not any(secret in text for secret in people)
    assert "registration_id" not in text and "person" not in text and "user_id" not in text
    listing = (await client.get("/api/public/results")).json()
    assert [item["competition"]["id"] for item in listing] == [built.competition_id]


async def _people_secrets(world: dict[str, Any], built: factories.Built) -> list[str]:
    """Every contestant's ID number and mobile, unmasked (as the organizer sees them)."""
    from accounts import service as accounts_service
    from accounts.rules import Role
    from accounts.schemas import CurrentUser
    from competitions.tables import Registration

    root = CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")
    rows = await Registration.select(Registration.person).where(
        Registration.competition == built.competition_id
    )
    secrets = []
    for row in rows:
        person = await accounts_service.get_person(root, row["person"])
        secrets += [person.id_number, person.mobile, person.id_number[-6:]]
    assert all(len(s) >= 6 for s in secrets)
    return secrets


async def test_correction_republishes_a_new_version_and_keeps_history(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    await unblind_and_publish(organizer, built)
    public = f"/api/public/competitions/{built.competition_id}/leaderboard"
    assert (await client.get(public)).json()["version"] == 1
    # The chief judge corrects judge 2's a2 mark of contestant 5 (after sign-off and publication).
    await correct_mark(organizer, built, 5, 2, "a2", "9.5")
    board = (await organizer.get(f"{base(built)}/live")).json()
    assert board["published_version"] == 1 and board["changed_since_publication"] is True
    no_reason = await organizer.post(f"{base(built)}/publish", json={"previous_version": 1})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    stale = await organizer.post(f"{base(built)}/publish", json={"previous_version": 0, "reason": "更正"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.json()["detail"] == {"current_version": 1}
    response = await organizer.post(
        f"{base(built)}/publish", json={"previous_version": 1, "reason": "复核更正2号裁判调试评分"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2
    changes = {(c["blind_code"], c["field"]) for c in response.json()["changes"]}
    assert (built.blind_codes[5], "final_score") in changes
    assert (built.blind_codes[5], f"stage:{built.practical_id}") in changes
    # The public sees version 2 at once (the publication evicted the cache), organizers see both.
    assert (await client.get(public)).json()["version"] == 2
    history = (await organizer.get(f"{base(built)}/publications")).json()
    assert [h["version"] for h in history] == [2, 1]
    assert (
        history[0]["reason"] == "复核更正2号裁判调试评分" and history[0]["published_by_name"] == "organizer"
    )
    old = (await organizer.get(f"{base(built)}/publications/1")).json()
    new = (await organizer.get(f"{base(built)}/publications/2")).json()
    score = {
        v: next(r for r in b["rows"] if r["blind_code"] == built.blind_codes[5])
        for v, b in ((1, old), (2, new))
    }
    assert score[1]["final_score"] != score[2]["final_score"]
    assert (await organizer.get(f"{base(built)}/publications/3")).status_code == 404
    board = (await organizer.get(f"{base(built)}/live")).json()
    assert board["published_version"] == 2 and board["changed_since_publication"] is False
    actions = [r["reason"] for r in await AuditLog.select().where(AuditLog.action == "results.publish")]
    assert actions == ["", "复核更正2号裁判调试评分"]


async def test_concurrent_double_publish_gets_one_201_and_one_409(
    app: object, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    await factories.sign_off(built)
    await organizer.post(f"{base(built)}/unblind")
    async with new_client(app) as other:
        await login(other, "organizer")
        responses = await asyncio.gather(
            organizer.post(f"{base(built)}/publish", json={"previous_version": 0}),
            other.post(f"{base(built)}/publish", json={"previous_version": 0}),
        )
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert next(r for r in responses if r.status_code == 409).json()["code"] == "stale_version"
    assert await Publication.count().where(Publication.competition == built.competition_id) == 1


# ---------------------------------------------------------------------------------------------- the cache


async def test_public_board_is_served_from_the_cache_until_evicted(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    await publish_settled(organizer, built)
    public = f"/api/public/competitions/{built.competition_id}/leaderboard"
    first = await client.get(public)
    # Behind the cache's back: the stored publication disappears; a hit does not query, so nothing changes.
    await Publication.delete().where(Publication.competition == built.competition_id)
    again = await client.get(public)
    assert again.status_code == 200 and again.content == first.content
    await live.results_changed(built.competition_id, "corrected", 2)  # what any publication does
    gone = await client.get(public)
    assert gone.status_code == 404


async def test_a_cache_hit_runs_no_query(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built, monkeypatch: Any
) -> None:
    await publish_settled(organizer, built)
    public = f"/api/public/competitions/{built.competition_id}/leaderboard"
    assert (await client.get(public)).status_code == 200
    from core.db import engine

    queries: list[str] = []
    db = engine()
    original = type(db).run_querystring

    async def counting(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        queries.append(str(querystring))
        return await original(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(type(db), "run_querystring", counting)
    for _ in range(5):
        assert (await client.get(public)).status_code == 200
    assert queries == []


async def test_republication_evicts_and_the_public_list_follows(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    before = (await client.get("/api/public/results")).json()
    assert before == []
    await unblind_and_publish(organizer, built)
    listing = (await client.get("/api/public/results")).json()
    assert listing[0]["version"] == 1
    await correct_mark(organizer, built, 5, 2, "a2", "9.5")
    await organizer.post(f"{base(built)}/publish", json={"previous_version": 1, "reason": "重新发布"})
    assert (await client.get("/api/public/results")).json()[0]["version"] == 2


async def test_a_republication_without_change_is_refused(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    await unblind_and_publish(organizer, built)
    same = await organizer.post(f"{base(built)}/publish", json={"previous_version": 1, "reason": "重新发布"})
    assert same.status_code == 409 and same.json()["code"] == "results_unchanged"
    assert "结果未变化" in same.json()["message"]
    assert await Publication.count().where(Publication.competition == built.competition_id) == 1
    assert await AuditLog.count().where(AuditLog.action == "results.publish") == 1
    # After a correction that moves a published figure, the next version goes out; then again none.
    await correct_mark(organizer, built, 5, 2, "a2", "9.5")
    changed = await organizer.post(f"{base(built)}/publish", json={"previous_version": 1, "reason": "更正"})
    assert changed.status_code == 201 and changed.json()["version"] == 2
    again = await organizer.post(f"{base(built)}/publish", json={"previous_version": 2, "reason": "再发"})
    assert again.status_code == 409 and again.json()["detail"] == {"current_version": 2}
    assert (await client.get(f"/api/public/competitions/{built.competition_id}/leaderboard")).json()[
        "version"
    ] == 2


# -------------------------------------------------------------------------------------- provisional board


async def test_provisional_board_shows_blind_codes_only(
    client: httpx.AsyncClient, built: factories.Built
) -> None:
    response = await client.get(f"/api/public/competitions/{built.competition_id}/provisional")
    assert response.status_code == 200
    board = response.json()
    assert board["published_version"] is None
    row = board["rows"][0]
    assert set(row) == {
        "rank",
        "blind_code",
        "final_score",
        "marks_in",
        "marks_expected",
        "complete",
        "disqualified",
    }
    assert row["blind_code"] == built.blind_codes[9]
    assert not any(name in response.text for name in built.names)
    assert (await client.get("/api/public/competitions/999999/provisional")).status_code == 404


# ------------------------------------------------------------------------------------------------ exports


async def test_exports_open_in_a_spreadsheet_and_csv_has_a_bom(
    organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    blind = await organizer.get(f"{base(built)}/export.csv")
    assert blind.status_code == 200 and blind.content.startswith(b"\xef\xbb\xbf")
    assert built.names[9] not in blind.content.decode("utf-8-sig")  # not unblinded yet
    await unblind_and_publish(organizer, built)
    response = await organizer.get(f"{base(built)}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "名次")
    first = rows[header_at + 1]
    assert first[0] == 1 and first[1] == "一等奖" and first[4] == built.names[9]
    assert Decimal(str(first[-2])) == Decimal("85.64")
    response = await organizer.get(f"{base(built)}/export.csv", params={"version": 1})
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["名次", "奖项", "加密号", "工位号", "姓名", "工作单位"]
    assert table[1][4] == built.names[9] and table[1][-2] == "85.64"
    disqualified = next(row for row in table if row[2] == built.blind_codes[11])
    assert disqualified[0] == "" and disqualified[-1] == "取消资格"
    assert (await organizer.get(f"{base(built)}/export.csv", params={"version": 5})).status_code == 404
