"""Tolerance flags, sheet and stage sign-off, corrections, disqualification: the chief judge's work."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring.tables import ScoreSheet, ToleranceFlag
from tests.helpers import login, new_client, use_judge_link
from tests.scoring.entry_world import build, of_employer, set_up_scoring, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


@pytest.fixture
async def judges(app: Any, w: dict[str, Any]) -> Any:
    async with AsyncExitStack() as stack:
        clients = {}
        for name in w["judges"]:
            clients[name] = await stack.enter_async_context(new_client(app))
            await login(clients[name], name)
        yield clients


def marks(a3: str) -> dict[str, str]:
    return {"a1": "30", "a2": "20", "a3": a3, "d1": "0"}


async def submit_all(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any], a3_of: dict[str, str] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every judge submits every contestant they may mark; returns the sheets by (judge, blind code)."""
    sheets = {}
    for name, c in judges.items():
        for row in (await c.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json():
            contestant = next(x for x in w["contestants"] if x["blind_code"] == row["blind_code"])
            a3 = (a3_of or {}).get(f"{name}:{row['blind_code']}", "2")
            version = row["stages"][0]["version"]
            response = await c.put(
                "/api/judge/sheets", json=sheet_body(w, contestant, marks(a3), version=version, submit=True)
            )
            assert response.status_code == 200, response.text
            sheets[(name, row["blind_code"])] = response.json()
    return sheets


async def sign_all(judges: dict[str, httpx.AsyncClient], w: dict[str, Any]) -> None:
    for c in judges.values():
        response = await c.post(
            f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sign"
        )
        assert response.status_code == 200, response.text


def signoff_url(w: dict[str, Any]) -> str:
    return f"/api/chief/competitions/{w['competition_id']}/stages/{w['practical_id']}/signoff"


async def test_a_spread_beyond_tolerance_flags_the_aspect_and_blocks_sign_off_until_re_marked(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any]
) -> None:
    target = of_employer(w, w["enterprise_b"])[0]  # all four judges mark B's contestants
    code = target["blind_code"]
    sheets = await submit_all(judges, w, {f"judge:{code}": "0", f"judge3:{code}": "3"})
    flagged = sheets[("judge3", code)]
    assert [(f["aspect_id"], f["status"], f["spread"]) for f in flagged["flags"]] == [("a3", "open", "3")]
    # The flag is shown to the judges concerned (on their sheets and in their list) and to the chief.
    rows = (await judges["judge4"].get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
    assert next(r for r in rows if r["blind_code"] == code)["stages"][0]["open_flags"] == 1
    overview = (await judges["judge"].get(f"/api/chief/competitions/{w['competition_id']}")).json()
    assert [(f["blind_code"], f["aspect_id"], f["status"]) for f in overview["flags"]] == [
        (code, "a3", "open")
    ]
    assert sorted(m["value"] for m in overview["flags"][0]["marks"]) == ["0", "2", "2", "3"]
    # A flagged sheet cannot be signed; "sign all" skips it.
    refused = await judges["judge3"].post(f"/api/judge/sheets/{flagged['sheet_id']}/sign")
    assert refused.status_code == 409 and refused.json()["code"] == "open_tolerance_flags"
    await sign_all(judges, w)
    blocked = await judges["judge"].post(signoff_url(w))
    assert blocked.status_code == 409 and blocked.json()["code"] == "signoff_blocked"
    detail = blocked.json()["detail"]
    assert [f["aspect_id"] for f in detail["open_flags"]] == ["a3"]
    assert {(s["judge_no"], s["blind_code"]) for s in detail["unsigned_sheets"]} == {
        (n, code) for n in (1, 2, 3, 4)
    }
    # The outlying judges re-mark: within tolerance the flag resolves itself.
    for name, value in [("judge", "1"), ("judge3", "2")]:
        sheet = sheets[(name, code)]
        contestant = next(x for x in w["contestants"] if x["blind_code"] == code)
        response = await judges[name].put(
            "/api/judge/sheets",
            json=sheet_body(w, contestant, {"a3": value}, version=sheet["version"], submit=True),
        )
        assert response.status_code == 200, response.text
    assert (await ToleranceFlag.select(ToleranceFlag.status).first())["status"] == "resolved"
    await sign_all(judges, w)
    signed = await judges["judge"].post(signoff_url(w))
    assert signed.status_code == 200, signed.text
    # After sign-off marks are locked, even a draft of a judge.
    contestant = of_employer(w, w["enterprise_b"])[1]
    locked = await judges["judge3"].put(
        "/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "1"}, version=2)
    )
    assert locked.status_code == 409 and locked.json()["code"] in ("stage_signed_off", "sheet_signed")
    again = await judges["judge"].post(signoff_url(w))
    assert again.status_code == 409 and again.json()["code"] == "already_signed_off"


async def test_the_chief_accepts_a_flag_with_a_reason(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any]
) -> None:
    code = of_employer(w, w["enterprise_b"])[0]["blind_code"]
    await submit_all(judges, w, {f"judge4:{code}": "0"})
    flag = (await judges["judge"].get(f"/api/chief/competitions/{w['competition_id']}")).json()["flags"][0]
    assert (
        await judges["judge3"].post(f"/api/chief/flags/{flag['id']}/accept", json={"reason": "x"})
    ).status_code == 403
    no_reason = await judges["judge"].post(f"/api/chief/flags/{flag['id']}/accept", json={"reason": ""})
    assert no_reason.status_code == 422
    accepted = await judges["judge"].post(
        f"/api/chief/flags/{flag['id']}/accept", json={"reason": "经复核，4号裁判评分依据充分"}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    twice = await judges["judge"].post(f"/api/chief/flags/{flag['id']}/accept", json={"reason": "再次"})
    assert twice.status_code == 409
    row = await AuditLog.select(AuditLog.reason).where(AuditLog.action == "flag.accept").first()
    assert row["reason"] == "经复核，4号裁判评分依据充分"
    await sign_all(judges, w)
    assert (await judges["judge"].post(signoff_url(w))).status_code == 200


async def test_only_the_chief_signs_off(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any], client: httpx.AsyncClient
) -> None:
    refused = await judges["judge3"].post(signoff_url(w))
    assert refused.status_code == 403 and refused.json()["code"] == "not_chief"
    assert (await client.post(signoff_url(w))).status_code == 403  # organizers do not sign for the chief
    assert (await judges["judge3"].get(f"/api/chief/competitions/{w['competition_id']}")).status_code == 403
    assert (await client.get(f"/api/chief/competitions/{w['competition_id']}")).status_code == 200


async def test_corrections_after_sign_off_are_audited_with_old_and_new_value(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any], client: httpx.AsyncClient
) -> None:
    await submit_all(judges, w)
    await sign_all(judges, w)
    assert (await judges["judge"].post(signoff_url(w))).status_code == 200
    sheets = (await judges["judge"].get(f"/api/chief/competitions/{w['competition_id']}/sheets")).json()
    sheet = next(s for s in sheets if s["judge_no"] == 3)
    body = {
        "sheet_id": sheet["sheet_id"],
        "aspect_id": "a1",
        "value": "31.5",
        "reason": "复核测量记录，原录入有误",
    }
    assert (await judges["judge3"].post("/api/scoring/corrections", json=body)).status_code == 403
    no_reason = await judges["judge"].post("/api/scoring/corrections", json=body | {"reason": ""})
    assert no_reason.status_code == 422
    off_step = await judges["judge"].post("/api/scoring/corrections", json=body | {"value": "31.2"})
    assert off_step.status_code == 422 and off_step.json()["code"] == "mark_off_step"
    corrected = await judges["judge"].post("/api/scoring/corrections", json=body)
    assert corrected.status_code == 200, corrected.text
    assert {m["aspect_id"]: m["value"] for m in corrected.json()["marks"]}["a1"] == "31.5"
    by_organizer = await client.post(
        "/api/scoring/corrections", json=body | {"value": "32", "base_version": corrected.json()["version"]}
    )
    assert by_organizer.status_code == 200
    stale = await client.post("/api/scoring/corrections", json=body | {"value": "33", "base_version": 1})
    assert stale.status_code == 409
    rows = (
        await AuditLog.select(AuditLog.before, AuditLog.after, AuditLog.reason, AuditLog.actor_name)
        .where(AuditLog.action == "mark.correct")
        .order_by(AuditLog.id)
    )
    assert [(json.loads(r["before"])["value"], json.loads(r["after"])["value"]) for r in rows] == [
        ("30", "31.5"),
        ("31.5", "32"),
    ]
    assert rows[0]["reason"] == "复核测量记录，原录入有误"
    from scoring.inputs import load_scoring_inputs

    inputs = await load_scoring_inputs(w["competition_id"])
    reg = next(c for c in w["contestants"] if c["blind_code"] == sheet["blind_code"])["registration_id"]
    judge3 = str(w["judges"]["judge3"])
    assert [
        m.value
        for m in inputs.marks
        if m.subject_id == str(reg) and m.judge_id == judge3 and m.aspect_id == "a1"
    ] == [32]


async def test_the_chief_disqualifies_with_a_reason(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any], client: httpx.AsyncClient
) -> None:
    from scoring.inputs import load_scoring_inputs

    contestant = w["contestants"][0]
    url = f"/api/chief/competitions/{w['competition_id']}/disqualifications"
    body = {"blind_code": contestant["blind_code"], "reason": "违反安全操作规程，造成设备损坏"}
    assert (await judges["judge3"].post(url, json=body)).status_code == 403
    assert (await judges["judge"].post(url, json=body | {"reason": ""})).status_code == 422
    response = await judges["judge"].post(url, json=body)
    assert response.status_code == 200, response.text
    assert (
        response.json()["disqualified"] is True and response.json()["station_no"] == contestant["station_no"]
    )
    inputs = await load_scoring_inputs(w["competition_id"])
    subject = next(s for s in inputs.subjects if s.subject_id == str(contestant["registration_id"]))
    assert subject.disqualified is True
    row = await AuditLog.select(AuditLog.reason).where(AuditLog.action == "contestant.disqualify").first()
    assert row["reason"] == body["reason"]
    time_used = await client.put(
        f"/api/chief/competitions/{w['competition_id']}/time-used",
        json={"blind_code": contestant["blind_code"], "seconds": "3540.5"},
    )
    assert time_used.status_code == 200 and time_used.json()["time_used_seconds"] == "3540.5"
    inputs = await load_scoring_inputs(w["competition_id"])
    subject = next(s for s in inputs.subjects if s.subject_id == str(contestant["registration_id"]))
    assert str(subject.time_used) in ("3540.5", "3540.50") and subject.disqualified is True


async def test_a_conflict_after_sign_off_is_refused_and_changes_nothing(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any], client: httpx.AsyncClient
) -> None:
    from scoring.inputs import load_scoring_inputs

    await submit_all(judges, w)
    await sign_all(judges, w)
    assert (await judges["judge"].post(signoff_url(w))).status_code == 200
    target = of_employer(w, w["enterprise_b"])[0]  # every judge marked B's contestants
    before = await load_scoring_inputs(w["competition_id"])
    conflicts = f"/api/competitions/{w['competition_id']}/judges/{w['judges']['judge3']}/conflicts"
    declared = await client.post(
        conflicts, json={"registration_id": target["registration_id"], "reason": "赛后发现为师徒关系"}
    )
    assert declared.status_code == 409, declared.text
    assert declared.json()["code"] == "stage_signed_off" and "签字" in declared.json()["message"]
    own = await judges["judge3"].post(
        f"/api/judge/competitions/{w['competition_id']}/conflicts",
        json={"blind_code": target["blind_code"], "reason": "亲属关系"},
    )
    assert own.status_code == 409
    assert await AuditLog.count().where(AuditLog.action == "recusal.declare") == 0
    assert (await load_scoring_inputs(w["competition_id"])).marks == before.marks


async def test_the_chief_reissues_a_judges_link_at_the_venue_and_the_old_one_dies(
    app: Any, judges: dict[str, httpx.AsyncClient], w: dict[str, Any], client: httpx.AsyncClient
) -> None:
    from tests.browser.judge_pages import link_token, token_of

    printed = await link_token(client, w, "judge3")  # this morning's sheet, lost before it was scanned
    url = f"/api/chief/competitions/{w['competition_id']}/judges/{w['judges']['judge3']}/link"
    refused = await judges["judge4"].post(url)  # a judge who is not the chief
    assert refused.status_code == 403 and refused.json()["code"] == "not_chief"
    missing = await judges["judge"].post(
        f"/api/chief/competitions/{w['competition_id']}/judges/{w['judges']['judge'] + 999}/link"
    )
    assert missing.status_code == 404
    issued = await judges["judge"].post(url)
    assert issued.status_code == 201, issued.text
    assert issued.json()["judge_no"] == 3 and issued.json()["qr_svg"].startswith("<svg")
    async with new_client(app) as tablet:
        assert (await tablet.get(f"/judge/login?token={printed}")).status_code == 400  # the old one is dead
        opened = await use_judge_link(tablet, token_of(issued.json()["url"]))
        assert opened.status_code == 303
        assert (await tablet.get("/api/auth/me")).json()["username"] == "judge3"
    rows = await AuditLog.select(AuditLog.action, AuditLog.actor_name, AuditLog.after).where(
        AuditLog.action == "judge_link.reissue"
    )
    assert len(rows) == 1 and json.loads(rows[0]["after"])["revoked_unused"] == 1
    # An organizer may do the same from the chief's page.
    assert (await client.post(url)).status_code == 201


async def test_accepting_a_flag_leaves_the_unchanged_signed_sheets_signed(
    judges: dict[str, httpx.AsyncClient], w: dict[str, Any]
) -> None:
    code = of_employer(w, w["enterprise_b"])[0]["blind_code"]
    sheets = await submit_all(judges, w, {f"judge4:{code}": "0"})
    await sign_all(judges, w)  # "sign all" skips the flagged contestant's sheets
    flagged = {name: sheets[(name, code)] for name in judges}
    # Each judge looks at the flag and stands by the marks: signed although the flag is open.
    for name, sheet in flagged.items():
        plain_sign = await judges[name].post(f"/api/judge/sheets/{sheet['sheet_id']}/sign")
        assert plain_sign.status_code == 409 and plain_sign.json()["code"] == "open_tolerance_flags"
        kept = await judges[name].post(
            f"/api/judge/sheets/{sheet['sheet_id']}/sign", json={"keep_marks": True}
        )
        assert kept.status_code == 200, kept.text
    blocked = await judges["judge"].post(signoff_url(w))
    assert blocked.status_code == 409 and list(blocked.json()["detail"]) == ["open_flags"]
    before = {
        r["id"]: (r["status"], r["version"])
        for r in await ScoreSheet.select(ScoreSheet.id, ScoreSheet.status, ScoreSheet.version)
    }
    flag = (await judges["judge"].get(f"/api/chief/competitions/{w['competition_id']}")).json()["flags"][0]
    accepted = await judges["judge"].post(
        f"/api/chief/flags/{flag['id']}/accept", json={"reason": "经复核，4号裁判评分依据充分"}
    )
    assert accepted.status_code == 200
    after = {
        r["id"]: (r["status"], r["version"])
        for r in await ScoreSheet.select(ScoreSheet.id, ScoreSheet.status, ScoreSheet.version)
    }
    assert after == before and all(s == "signed" for s, _ in after.values())
    # Nobody signs again: the chief signs the stage off at once.
    assert (await judges["judge"].post(signoff_url(w))).status_code == 200
    audit = await AuditLog.select(AuditLog.after).where(AuditLog.action == "sheet.sign")
    assert sum("kept_flagged" in (row["after"] or "") for row in audit) == len(flagged)
