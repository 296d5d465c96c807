"""A panel built judge by judge, the start of scoring as its completeness check, and absent judges (缺席)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring import rules
from scoring.inputs import load_scoring_inputs
from scoring.tables import JudgeAbsence, Recusal, ScoreSheet, ScoringScheme
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, of_employer, practical_rules, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    return built


def judges_url(w: dict[str, Any]) -> str:
    return f"/api/competitions/{w['competition_id']}/judges"


async def put_rules(client: httpx.AsyncClient, w: dict[str, Any], rules: dict[str, Any]) -> None:
    put = await client.put(f"/api/competitions/{w['competition_id']}/scoring", json={"rules": rules})
    assert put.status_code == 200, put.text


def not_of_a(w: dict[str, Any]) -> list[dict[str, Any]]:
    """Contestants no judge is recused from (judge2 shares enterprise A's employer)."""
    recused = {c["blind_code"] for c in of_employer(w, w["enterprise_a"])}
    return [c for c in w["contestants"] if c["blind_code"] not in recused]


async def test_the_technical_judge_first_then_the_component_judges(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await put_rules(client, w, practical_rules(w["theory_id"], w["practical_id"], trim=1))
    judges = w["judges"]
    # The technical judge (the deduction module only) first: taken, with what is missing said per aspect.
    first = await client.post(
        judges_url(w), json={"judges": [{"user_id": judges["judge"], "module_ids": ["m2"]}]}
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["ready"] is False
    assert [(m["aspect_id"], m["have"], m["need"]) for m in body["missing"]] == [
        ("a1", 0, 1),
        ("a2", 0, 1),
        ("a3", 0, 3),
    ]
    # The component judges next, one request each.
    for name in ("judge3", "judge4"):
        step = await client.post(
            judges_url(w), json={"judges": [{"user_id": judges[name], "module_ids": ["m1"]}]}
        )
        assert step.status_code == 200, step.text
    assert [(m["aspect_id"], m["have"]) for m in step.json()["missing"]] == [("a3", 2)]
    last = await client.post(
        judges_url(w), json={"judges": [{"user_id": judges["judge2"], "module_ids": ["m1"]}]}
    )
    # judge2 is recused from enterprise A's contestants: they still face two component judges only.
    assert [(m["aspect_id"], m["have"], m["need"]) for m in last.json()["missing"]] == [("a3", 2, 3)]
    # One judge's modules edited alone: the technical judge takes the components too.
    edited = await client.post(
        judges_url(w), json={"judges": [{"user_id": judges["judge"], "module_ids": ["m1", "m2"]}]}
    )
    assert edited.status_code == 200 and edited.json()["ready"] is True and edited.json()["missing"] == []
    modules = {j["username"]: j["module_ids"] for j in edited.json()["judges"]}
    assert modules == {"judge": ["m1", "m2"], "judge2": ["m1"], "judge3": ["m1"], "judge4": ["m1"]}


async def test_the_first_mark_needs_a_complete_panel(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    await put_rules(client, w, practical_rules(w["theory_id"], w["practical_id"]))
    two = [{"user_id": w["judges"]["judge"], "is_chief": True}, {"user_id": w["judges"]["judge3"]}]
    assert (await client.post(judges_url(w), json={"judges": two})).status_code == 200
    contestant = not_of_a(w)[0]
    async with new_client(app) as judge3:
        await login(judge3, "judge3")
        refused = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10"}))
        assert refused.status_code == 409 and refused.json()["code"] == "panel_incomplete"
        assert [(m["aspect_id"], m["have"], m["need"]) for m in refused.json()["detail"]["missing"]] == [
            ("a3", 2, 3)
        ]
        # A refused request changes nothing: no sheet, the rubric not frozen.
        assert await ScoreSheet.count() == 0
        assert (await ScoringScheme.select(ScoringScheme.frozen_at).first())["frozen_at"] is None
        third = {"judges": [{"user_id": w["judges"]["judge4"]}]}
        assert (await client.post(judges_url(w), json=third)).status_code == 200
        accepted = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10"}))
        assert accepted.status_code == 200, accepted.text
    # Once scoring has started, a change that would leave an aspect unjudgeable is refused.
    removed = await client.delete(f"{judges_url(w)}/{w['judges']['judge4']}")
    assert removed.status_code == 422 and removed.json()["code"] == "invalid_panel"


async def _all_four(client: httpx.AsyncClient, w: dict[str, Any], rules: dict[str, Any]) -> None:
    await put_rules(client, w, rules)
    four = [{"user_id": uid, "is_chief": name == "judge"} for name, uid in w["judges"].items()]
    assert (await client.post(judges_url(w), json={"judges": four})).status_code == 200


async def _submit(
    app: Any, w: dict[str, Any], name: str, contestant: dict[str, Any], marks: dict[str, str]
) -> None:
    async with new_client(app) as judge:
        await login(judge, name)
        done = await judge.put("/api/judge/sheets", json=sheet_body(w, contestant, marks, submit=True))
        assert done.status_code == 200, done.text


async def _scored(w: dict[str, Any], contestant: dict[str, Any]) -> rules.SubjectResult:
    inputs = await load_scoring_inputs(w["competition_id"])
    results = rules.aggregate(inputs.rules, inputs.subjects, inputs.marks, expected=inputs.expected)
    return next(r for r in results if r.subject_id == str(contestant["registration_id"]))


async def test_an_absent_judge_is_recorded_as_absence_and_the_present_judges_count(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    await _all_four(client, w, practical_rules(w["theory_id"], w["practical_id"]))
    contestant = not_of_a(w)[0]
    registration_id = contestant["registration_id"]
    url = f"{judges_url(w)}/{w['judges']['judge4']}/absences"
    recorded = await client.post(url, json={"registration_id": registration_id, "reason": "身体不适未到场"})
    assert recorded.status_code == 200, recorded.text
    absences = recorded.json()["absences"]
    assert [(a["judge_no"], a["blind_code"], a["stage_id"]) for a in absences] == [
        (4, contestant["blind_code"], None)
    ]
    # Its own record and audit action: not a recusal; a second request is the same absence.
    again = await client.post(url, json={"registration_id": registration_id, "reason": "身体不适未到场"})
    assert again.status_code == 200 and len(again.json()["absences"]) == 1
    assert await JudgeAbsence.count() == 1 and await Recusal.count().where(Recusal.kind == "declared") == 0
    assert await AuditLog.count().where(AuditLog.action == "judge.absent") == 1
    # The chief sees it too (by judge number and blind code).
    async with new_client(app) as chief:
        await login(chief, "judge")
        overview = await chief.get(f"/api/chief/competitions/{w['competition_id']}")
        assert [(a["judge_no"], a["blind_code"]) for a in overview.json()["absences"]] == [
            (4, contestant["blind_code"])
        ]
    # The absent judge's own sheet for that contestant is refused: the record says no mark was given.
    async with new_client(app) as absent_judge:
        await login(absent_judge, "judge4")
        refused = await absent_judge.put(
            "/api/judge/sheets", json=sheet_body(w, contestant, FULL, submit=True)
        )
        assert refused.status_code == 409 and refused.json()["code"] == "absent", refused.text
    assert await ScoreSheet.count().where(ScoreSheet.judge == w["judges"]["judge4"]) == 0
    for name, a3 in (("judge", "3"), ("judge2", "2"), ("judge3", "1")):
        await _submit(app, w, name, contestant, {**FULL, "a3": a3})
    live = (await client.get(f"/api/competitions/{w['competition_id']}/results/live")).json()
    row = next(r for r in live["rows"] if r["blind_code"] == contestant["blind_code"])
    # Three judges present: a3 = mean(3, 2, 1) / 3 x 40 = 26.67; 35.5 + 20 + 26.67 - 0 = 82.17.
    assert row["stage_scores"][str(w["practical_id"])] == "82.17"
    assert (row["marks_in"], row["marks_expected"]) == (12, 12)  # the absent judge is not expected
    scored = await _scored(w, contestant)
    assert scored.aspect_scores["a3"].complete and scored.aspect_scores["a3"].marks == 3
    # The absent judge marking afterwards would contradict the record: the absence stays, and a judge with
    # marks cannot be recorded absent.
    other = await client.post(
        f"{judges_url(w)}/{w['judges']['judge3']}/absences",
        json={"registration_id": registration_id, "reason": "误操作"},
    )
    assert other.status_code == 409 and other.json()["code"] == "judge_has_marks"
    withdrawn = await client.delete(f"/api/competitions/{w['competition_id']}/absences/{absences[0]['id']}")
    assert withdrawn.status_code == 200 and withdrawn.json()["absences"] == []
    assert await AuditLog.count().where(AuditLog.action == "judge.absence_withdraw") == 1


async def test_an_aspect_short_of_its_least_marks_is_incomplete_and_blocks_the_signoff(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    rules = practical_rules(w["theory_id"], w["practical_id"])
    rules["stages"][1]["modules"][0]["aspects"][2]["min_marks"] = 3  # three marks on a3 at least
    await _all_four(client, w, rules)
    contestant = not_of_a(w)[0]
    for name in ("judge3", "judge4"):  # two of the four absent for the practical stage
        absent = await client.post(
            f"{judges_url(w)}/{w['judges'][name]}/absences",
            json={
                "registration_id": contestant["registration_id"],
                "stage_id": w["practical_id"],
                "reason": "缺席",
            },
        )
        assert absent.status_code == 200
    for name in ("judge", "judge2"):
        await _submit(app, w, name, contestant, FULL)
    scored = await _scored(w, contestant)
    # Never silently computed: no panel mark, 0 in the provisional score, the contestant incomplete.
    assert scored.aspect_scores["a3"].panel_mark is None and not scored.aspect_scores["a3"].complete
    assert scored.stage_scores[str(w["practical_id"])] == 55.5 and not scored.complete
    async with new_client(app) as chief:
        await login(chief, "judge")
        blocked = await chief.post(
            f"/api/chief/competitions/{w['competition_id']}/stages/{w['practical_id']}/signoff"
        )
        assert blocked.status_code == 409
        short = blocked.json()["detail"]["short_of_marks"]
        assert {(s["blind_code"], s["aspect_id"], s["have"], s["need"]) for s in short} == {
            (contestant["blind_code"], "a3", 2, 3)
        }


async def test_an_absence_is_in_the_open_document_and_the_script_checks_it(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    from tests.scoring import recompute_reference

    await _all_four(client, w, practical_rules(w["theory_id"], w["practical_id"], trim=1))
    absent_for = not_of_a(w)[0]
    recorded = await client.post(
        f"{judges_url(w)}/{w['judges']['judge4']}/absences",
        json={"registration_id": absent_for["registration_id"], "reason": "因病未到场"},
    )
    assert recorded.status_code == 200
    rows = "\n".join(f"{c['blind_code']},{80 + i}" for i, c in enumerate(w["contestants"]))
    theory = await client.post(
        f"/api/competitions/{w['competition_id']}/stages/{w['theory_id']}/imported-marks",
        files={"data": ("theory.csv", ("加密号,成绩\n" + rows + "\n").encode(), "text/csv")},
    )
    assert theory.status_code == 200, theory.text
    recused = {c["blind_code"] for c in of_employer(w, w["enterprise_a"])}
    for number, name in enumerate(("judge", "judge2", "judge3", "judge4")):
        async with new_client(app) as judge:
            await login(judge, name)
            for contestant in w["contestants"]:
                if (name == "judge2" and contestant["blind_code"] in recused) or (
                    name == "judge4" and contestant is absent_for
                ):
                    continue
                marks = {**FULL, "a3": ("2", "3", "2", "3")[number]}  # within the tolerance
                body = sheet_body(w, contestant, marks, submit=True)
                assert (await judge.put("/api/judge/sheets", json=body)).status_code == 200
            url = f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sign"
            assert (await judge.post(url)).status_code == 200
    async with new_client(app) as chief:
        await login(chief, "judge")
        for stage in (w["theory_id"], w["practical_id"]):
            url = f"/api/chief/competitions/{w['competition_id']}/stages/{stage}/signoff"
            signed = await chief.post(url)
            assert signed.status_code == 200, signed.text
    cid = w["competition_id"]
    assert (await client.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
    published = await client.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
    assert published.status_code == 201, published.text
    document = (await client.get(f"/api/public/competitions/{cid}/open-document.json")).json()
    assert document["absences"] == [{"judge_no": 4, "blind_code": absent_for["blind_code"], "stage_id": None}]
    expected = next(
        e
        for e in document["expected"]
        if e["blind_code"] == absent_for["blind_code"] and e["aspect_id"] == "a3"
    )
    assert expected["judge_nos"] == [1, 2, 3]
    assert recompute_reference.check(document) == []
    # A mark by the absent judge would contradict the record: the script says so.
    forged = {**document, "marks": [*document["marks"], {**document["marks"][0], "judge_no": 4}]}
    forged["marks"][-1]["blind_code"] = absent_for["blind_code"]
    assert any("recorded absent" in p for p in recompute_reference.check(forged))


async def test_imported_theory_marks_first_do_not_skip_the_panel_check(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    await put_rules(client, w, practical_rules(w["theory_id"], w["practical_id"]))
    rows = "\n".join(f"{c['blind_code']},{70 + i}" for i, c in enumerate(w["contestants"]))
    theory = await client.post(
        f"/api/competitions/{w['competition_id']}/stages/{w['theory_id']}/imported-marks",
        files={"data": ("theory.csv", ("加密号,成绩\n" + rows + "\n").encode(), "text/csv")},
    )
    assert theory.status_code == 200, theory.text
    assert (await ScoringScheme.select(ScoringScheme.frozen_at).first())["frozen_at"] is not None
    # The rubric is frozen, yet no judge has marked: the panel is still built one judge at a time.
    for name in ("judge", "judge3"):
        added = await client.post(judges_url(w), json={"judges": [{"user_id": w["judges"][name]}]})
        assert added.status_code == 200 and added.json()["ready"] is False
    contestant = not_of_a(w)[0]
    async with new_client(app) as judge3:
        await login(judge3, "judge3")
        refused = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10"}))
        assert refused.status_code == 409 and refused.json()["code"] == "panel_incomplete"
        assert await ScoreSheet.count() == 0
        third = await client.post(judges_url(w), json={"judges": [{"user_id": w["judges"]["judge4"]}]})
        assert third.json()["ready"] is True
        accepted = await judge3.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10"}))
        assert accepted.status_code == 200, accepted.text


async def test_the_same_absence_recorded_twice_at_once_is_one_record(
    client: httpx.AsyncClient, app: Any, w: dict[str, Any]
) -> None:
    import asyncio

    await _all_four(client, w, practical_rules(w["theory_id"], w["practical_id"]))
    contestant = not_of_a(w)[1]
    url = f"{judges_url(w)}/{w['judges']['judge3']}/absences"
    body = {"registration_id": contestant["registration_id"], "stage_id": w["practical_id"], "reason": "缺席"}
    async with new_client(app) as other:
        await login(other, "organizer")
        answers = await asyncio.gather(client.post(url, json=body), other.post(url, json=body))
    assert [a.status_code for a in answers] == [200, 200]
    assert await JudgeAbsence.count() == 1
    assert await AuditLog.count().where(AuditLog.action == "judge.absent") == 1
