"""Rounds over HTTP: closing a round (the cut, audited, once), 未晋级 contestants get no later sheets, the
tablet lists the entrants in the starting order, the boards show each round and the total.

World: ``entry_world`` (theory imported 30 %, practical rubric 70 %, four contestants, judges ``judge``
(chief), ``judge2`` (recused from employer A), ``judge3``, ``judge4``), with rounds: the theory exam is
round 1 and qualifies the best two for the practical round 2; the total is the sum of both.
"""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring.tables import ContestantFacts, RoundClose, ScoreSheet
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, practical_rules, sheet_body

THEORY = ["91", "75", "88", "75"]  # by station order: stations 1 and 3 go through


def round_rules(w: dict[str, Any], **cut: Any) -> dict[str, Any]:
    rules = practical_rules(w["theory_id"], w["practical_id"])
    rules["rounds"] = {
        "rounds": [
            {"id": "r1", "name": "初赛", "stages": [str(w["theory_id"])], "cut": "top", "count": 2, **cut},
            {"id": "r2", "name": "决赛", "stages": [str(w["practical_id"])]},
        ]
    }
    return rules


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    cid = built["competition_id"]
    response = await client.put(f"/api/competitions/{cid}/scoring", json={"rules": round_rules(built)})
    assert response.status_code == 200, response.text
    judges = [{"user_id": uid, "is_chief": name == "judge"} for name, uid in built["judges"].items()]
    assert (await client.post(f"/api/competitions/{cid}/judges", json={"judges": judges})).status_code == 200
    rows = "\n".join(f"{c['blind_code']},{m}" for c, m in zip(built["contestants"], THEORY, strict=True))
    response = await client.post(
        f"/api/competitions/{cid}/stages/{built['theory_id']}/imported-marks",
        files={"data": ("t.csv", ("\ufeff加密号,成绩\n" + rows + "\n").encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    return built


@pytest.fixture
async def judge3(app: Any, w: dict[str, Any]) -> Any:
    async with new_client(app) as c:
        await login(c, "judge3")
        yield c


def close_url(w: dict[str, Any], round_id: str = "r1") -> str:
    return f"/api/competitions/{w['competition_id']}/rounds/{round_id}/close"


async def close_and_mark_the_finalists(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    """Round 1 closed (stations 1 and 3 go through), then judge3 marks both finalists' final round."""
    assert (await client.post(close_url(w), json={})).status_code == 200
    for contestant in (w["contestants"][0], w["contestants"][2]):
        assert (
            await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, FULL, submit=True))
        ).status_code == 200


async def test_a_later_round_is_closed_to_sheets_until_the_cut_is_known(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    first = w["contestants"][0]
    response = await judge3.put("/api/judge/sheets", json=sheet_body(w, first, FULL, submit=True))
    assert response.status_code == 409 and response.json()["code"] == "round_not_open"
    rows = (await judge3.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
    assert all(row["stages"] == [] for row in rows)  # the practical lists nobody yet
    assert await ScoreSheet.count() == 0


async def test_closing_the_round_cuts_and_refuses_the_cut_contestants_sheets(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    cid = w["competition_id"]
    closed = await client.post(close_url(w), json={"reason": "初赛结束"})
    assert closed.status_code == 200, closed.text
    standing = closed.json()["rounds"][0]
    assert standing["closed"] is True
    codes = [c["blind_code"] for c in w["contestants"]]
    assert [(s["blind_code"], s["rank"], s["qualified"]) for s in standing["standings"]] == [
        (codes[0], 1, True),
        (codes[2], 2, True),
        (codes[1], 3, False),
        (codes[3], 3, False),
    ]
    # reverse order: the round's winner starts last
    assert [(s["start_no"], s["blind_code"]) for s in standing["start_order"]] == [
        (1, codes[2]),
        (2, codes[0]),
    ]
    cut = w["contestants"][1]
    stage = w["practical_id"]
    read = await judge3.get(f"/api/judge/competitions/{cid}/stages/{stage}/sheets/{cut['blind_code']}")
    assert read.status_code == 409 and read.json()["code"] == "not_qualified"
    assert "未晋级" in read.json()["message"] and read.json()["field"] == "blind_code"
    write = await judge3.put("/api/judge/sheets", json=sheet_body(w, cut, FULL, submit=True))
    assert write.status_code == 409 and write.json()["code"] == "not_qualified"
    assert await ScoreSheet.count() == 0
    ok = await judge3.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][0], FULL, submit=True))
    assert ok.status_code == 200, ok.text
    # the tablet lists the two finalists on the practical, in the starting order
    rows = (await judge3.get(f"/api/judge/competitions/{cid}/sheets")).json()
    listed = {row["blind_code"]: row["stages"] for row in rows}
    assert listed[codes[1]] == [] and listed[codes[3]] == []
    assert listed[codes[2]][0]["start_no"] == 1 and listed[codes[0]][0]["start_no"] == 2
    facts = {r["registration"]: r["eliminated_after"] for r in await ContestantFacts.select()}
    assert facts[cut["registration_id"]] == 0 and facts.get(w["contestants"][0]["registration_id"]) is None
    audit = await AuditLog.select(AuditLog.action, AuditLog.after, AuditLog.reason).where(
        AuditLog.action == "round.close"
    )
    assert len(audit) == 1 and audit[0]["reason"] == "初赛结束"


async def test_a_round_closes_once_in_order_and_only_when_its_marks_are_in(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    last = await client.post(close_url(w, "r2"), json={})
    assert last.status_code == 409 and last.json()["code"] == "last_round"
    unknown = await client.post(close_url(w, "nope"), json={})
    assert unknown.status_code == 404 and unknown.json()["field"] == "round_id"
    assert (await client.post(close_url(w), json={})).status_code == 200
    again = await client.post(close_url(w), json={})
    assert again.status_code == 409 and again.json()["code"] == "round_closed"
    assert await RoundClose.count() == 1


async def test_a_round_with_a_mark_missing_does_not_close(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await build(world)
    await login(client, "organizer")
    cid = built["competition_id"]
    assert (
        await client.put(f"/api/competitions/{cid}/scoring", json={"rules": round_rules(built)})
    ).status_code == 200
    refused = await client.post(close_url(built), json={})
    assert refused.status_code == 409 and refused.json()["code"] == "round_incomplete"
    assert "成绩不完整" in refused.json()["message"]
    assert (
        await RoundClose.count() == 0 and await AuditLog.count().where(AuditLog.action == "round.close") == 0
    )


async def test_two_organizers_closing_at_once_close_it_once(app: Any, w: dict[str, Any]) -> None:
    async with new_client(app) as a, new_client(app) as b:
        await login(a, "organizer")
        await login(b, "organizer")
        answers = await asyncio.gather(a.post(close_url(w), json={}), b.post(close_url(w), json={}))
    assert sorted(r.status_code for r in answers) == [200, 409]
    assert await RoundClose.count() == 1


async def test_judges_read_the_rounds_by_blind_code_and_may_not_close(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    assert (await client.post(close_url(w), json={})).status_code == 200
    seen = (await judge3.get(f"/api/competitions/{w['competition_id']}/rounds")).json()
    assert all(s["registration_id"] is None for s in seen["rounds"][0]["standings"])
    assert (await judge3.post(close_url(w, "r1"), json={})).status_code == 403


async def test_the_live_board_shows_each_round_and_the_total_and_cut_contestants_as_such(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    await close_and_mark_the_finalists(client, w, judge3)
    board = (await client.get(f"/api/competitions/{w['competition_id']}/results/live")).json()
    assert [r["name"] for r in board["rounds"]] == ["初赛", "决赛"] and board["round_total"] == "sum"
    rows = {row["blind_code"]: row for row in board["rows"]}
    cut = rows[w["contestants"][1]["blind_code"]]
    assert cut["eliminated_after"] == 0 and list(cut["round_scores"]) == ["r1"]
    assert cut["round_scores"]["r1"] == "22.50"  # 75 x 30 %
    assert cut["complete"] and (cut["sheets_in"], cut["sheets_expected"]) == (
        1,
        1,
    )  # nothing due after the cut
    overview = (await client.get(f"/api/chief/competitions/{w['competition_id']}")).json()
    counted = {stage["stage_id"]: stage["contestants"] for stage in overview["stages"]}
    assert counted == {w["theory_id"]: 4, w["practical_id"]: 2}
    finalist = rows[w["contestants"][0]["blind_code"]]
    total = sum(float(v) for v in finalist["round_scores"].values())
    assert float(finalist["final_score"]) == pytest.approx(total)
    # finalists rank above everyone cut, whatever the scores
    assert sorted(r["rank"] for r in board["rows"] if r["eliminated_after"] is None) == [1, 2]


async def test_the_best_of_each_enterprise_go_through(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await build(world)
    await login(client, "organizer")
    cid = built["competition_id"]
    rules = round_rules(built, cut="top_per_enterprise", count=1)
    assert (await client.put(f"/api/competitions/{cid}/scoring", json={"rules": rules})).status_code == 200
    rows = "\n".join(f"{c['blind_code']},{m}" for c, m in zip(built["contestants"], THEORY, strict=True))
    response = await client.post(
        f"/api/competitions/{cid}/stages/{built['theory_id']}/imported-marks",
        files={"data": ("t.csv", ("\ufeff加密号,成绩\n" + rows + "\n").encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    closed = await client.post(close_url(built), json={})
    assert closed.status_code == 200, closed.text
    standings = closed.json()["rounds"][0]["standings"]
    best = {}
    for contestant, mark in zip(built["contestants"], THEORY, strict=True):
        employer = contestant["employer_id"]
        if employer not in best or float(mark) > best[employer][1]:
            best[employer] = (contestant["blind_code"], float(mark))
    assert {s["blind_code"] for s in standings if s["qualified"]} == {code for code, _ in best.values()}
    assert all(s["rank"] == 1 for s in standings if s["qualified"])


async def test_the_export_has_a_column_per_round_and_the_cumulative_total(
    client: httpx.AsyncClient, w: dict[str, Any], judge3: httpx.AsyncClient
) -> None:
    await close_and_mark_the_finalists(client, w, judge3)
    response = await client.get(f"/api/competitions/{w['competition_id']}/results/export.csv")
    assert response.status_code == 200, response.text
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = table[0]
    assert header[-4:] == ["初赛", "决赛", "累计", "备注"]
    rows = {row[2]: dict(zip(header, row, strict=True)) for row in table[1:]}
    cut = rows[w["contestants"][1]["blind_code"]]
    assert (cut["初赛"], cut["决赛"]) == ("22.50", "未晋级")  # never a 0 for a round not reached
    finalist = rows[w["contestants"][0]["blind_code"]]
    assert Decimal(finalist["初赛"]) + Decimal(finalist["决赛"]) == Decimal(finalist["累计"])
