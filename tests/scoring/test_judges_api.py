"""The panel: judge numbers, the chief, module subsets, recusal (employer and declared), log-in links."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accounts.tables import AuditLog, LoginSession
from scoring.tables import JudgeLink, Recusal
from tests.helpers import PASSWORD, login, new_client, use_judge_link
from tests.scoring.entry_world import FULL, build, of_employer, practical_rules, set_up_scoring, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    return built


def judges_url(w: dict[str, Any]) -> str:
    return f"/api/competitions/{w['competition_id']}/judges"


async def extra_judge(username: str) -> int:
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.schemas import UserIn

    user = await accounts_service.create_user(
        SYSTEM, UserIn(username=username, password=PASSWORD, role="judge", display_name=username)
    )
    return user.id


async def test_assigning_numbers_the_judges_and_records_employer_recusals(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    setup = await set_up_scoring(client, w)
    panel = setup["panel"]
    assert [(j["username"], j["judge_no"], j["is_chief"]) for j in panel["judges"]] == [
        ("judge", 1, True),
        ("judge2", 2, False),
        ("judge3", 3, False),
        ("judge4", 4, False),
    ]
    assert panel["problems"] == []
    judge2 = panel["judges"][1]
    assert [(r["kind"], r["blind_code"]) for r in judge2["recusals"]] == sorted(
        (("employer", c["blind_code"]) for c in of_employer(w, w["enterprise_a"])),
        key=lambda item: next(c["registration_id"] for c in w["contestants"] if c["blind_code"] == item[1]),
    )
    assert await Recusal.count().where(Recusal.kind == "employer") == 2
    # Naming another chief moves the flag (one chief per competition), audited.
    moved = await client.post(
        judges_url(w), json={"judges": [{"user_id": w["judges"]["judge3"], "is_chief": True}]}
    )
    assert moved.status_code == 200
    assert [j["username"] for j in moved.json()["judges"] if j["is_chief"]] == ["judge3"]
    assert await AuditLog.count().where(AuditLog.action == "judge.update") == 2


async def test_the_panel_is_checked_when_it_is_set_up(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    put = await client.put(
        f"/api/competitions/{w['competition_id']}/scoring",
        json={"rules": practical_rules(w["theory_id"], w["practical_id"], trim=1)},
    )
    assert put.status_code == 200
    # Two judges cannot mark a judgement aspect, nor leave anything after trimming one at each end: the
    # panel is taken while it is set up, and the answer says what it still lacks.
    two = [{"user_id": w["judges"]["judge"]}, {"user_id": w["judges"]["judge3"]}]
    partial = await client.post(judges_url(w), json={"judges": two})
    assert partial.status_code == 200 and partial.json()["ready"] is False
    codes = {p["code"] for p in partial.json()["problems"]}
    assert {"too_few_judges", "trim_drops_all"} <= codes
    assert {(m["aspect_id"], m["have"], m["need"]) for m in partial.json()["missing"]} == {("a3", 2, 3)}
    # With judge2 recused from A's contestants, four judges leave three for them: enough for trim 1...
    four = [{"user_id": uid} for uid in w["judges"].values()]
    whole = await client.post(judges_url(w), json={"judges": four})
    assert whole.status_code == 200 and whole.json()["ready"] is True and whole.json()["missing"] == []


async def test_a_trim_that_recusal_would_empty_is_reported(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    rules = practical_rules(w["theory_id"], w["practical_id"], trim=1)
    assert (
        await client.put(f"/api/competitions/{w['competition_id']}/scoring", json={"rules": rules})
    ).status_code == 200
    # judge, judge2 (recused from A's contestants), judge3: A's contestants face 2 judges on a3.
    three = [{"user_id": w["judges"][name]} for name in ("judge", "judge2", "judge3")]
    answer = await client.post(judges_url(w), json={"judges": three})
    assert answer.status_code == 200 and answer.json()["ready"] is False
    assert "trim_drops_all" in {p["code"] for p in answer.json()["problems"]}
    assert [(m["aspect_id"], m["have"], m["need"]) for m in answer.json()["missing"]] == [("a3", 2, 3)]


async def test_bad_judge_assignments(
    client: httpx.AsyncClient, w: dict[str, Any], world: dict[str, Any]
) -> None:
    not_a_judge = await client.post(judges_url(w), json={"judges": [{"user_id": world["users"]["expert"]}]})
    assert not_a_judge.status_code == 422 and not_a_judge.json()["field"] == "judges[0].user_id"
    twice = await client.post(
        judges_url(w), json={"judges": [{"user_id": w["judges"]["judge"]}, {"user_id": w["judges"]["judge"]}]}
    )
    assert twice.status_code == 422 and twice.json()["field"] == "judges[1].user_id"
    two_chiefs = await client.post(
        judges_url(w),
        json={
            "judges": [
                {"user_id": w["judges"]["judge"], "is_chief": True},
                {"user_id": w["judges"]["judge3"], "is_chief": True},
            ]
        },
    )
    assert two_chiefs.status_code == 422
    no_scheme = await client.post(
        judges_url(w), json={"judges": [{"user_id": w["judges"]["judge"], "module_ids": ["m1"]}]}
    )
    assert no_scheme.status_code == 422 and no_scheme.json()["field"] == "judges[0].module_ids"
    assert (
        await client.post("/api/competitions/999999/judges", json={"judges": [{"user_id": 1}]})
    ).status_code == 404


async def test_a_judge_may_mark_some_modules_only(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await set_up_scoring(client, w)
    safety = await extra_judge("judge5")
    response = await client.post(judges_url(w), json={"judges": [{"user_id": safety, "module_ids": ["m2"]}]})
    assert response.status_code == 200, response.text
    unknown = await client.post(judges_url(w), json={"judges": [{"user_id": safety, "module_ids": ["m9"]}]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "judges[0].module_ids[0]"
    async with new_client(app) as judge5:
        await login(judge5, "judge5")
        bootstrap = (await judge5.get(f"/api/judge/competitions/{w['competition_id']}")).json()
        rubric = next(s for s in bootstrap["stages"] if s["kind"] == "rubric")
        assert [m["id"] for m in rubric["modules"]] == ["m2"]
        rows = (await judge5.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
        assert rows[0]["stages"][0]["total"] == 1
        contestant = w["contestants"][0]
        refused = await judge5.put("/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10"}))
        assert refused.status_code == 422 and refused.json()["code"] == "aspect_not_assigned"
        ok = await judge5.put("/api/judge/sheets", json=sheet_body(w, contestant, {"d1": "2"}, submit=True))
        assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    # The expected judges follow the modules: judge5 is due on d1 only.
    from scoring.inputs import load_scoring_inputs

    inputs = await load_scoring_inputs(w["competition_id"])
    subject = str(contestant["registration_id"])
    assert str(safety) in inputs.expected[(subject, "d1")]
    assert str(safety) not in inputs.expected[(subject, "a1")]


async def test_declared_conflicts_recuse_the_judge(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await set_up_scoring(client, w)
    target = of_employer(w, w["enterprise_b"])[0]
    declared = await client.post(
        f"{judges_url(w)}/{w['judges']['judge3']}/conflicts",
        json={"registration_no": target["registration_no"], "reason": "选手为裁判的徒弟"},
    )
    assert declared.status_code == 200, declared.text
    judge3 = next(j for j in declared.json()["judges"] if j["username"] == "judge3")
    assert [(r["kind"], r["reason"]) for r in judge3["recusals"]] == [("declared", "选手为裁判的徒弟")]
    missing_reason = await client.post(
        f"{judges_url(w)}/{w['judges']['judge3']}/conflicts",
        json={"registration_id": target["registration_id"]},
    )
    assert missing_reason.status_code == 422
    async with new_client(app) as c:
        await login(c, "judge3")
        rows = (await c.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
        assert target["blind_code"] not in [r["blind_code"] for r in rows]
        assert (await c.put("/api/judge/sheets", json=sheet_body(w, target, FULL))).status_code == 403
        # A judge may also declare a conflict from the tablet, by blind code.
        other = of_employer(w, w["enterprise_b"])[1]
        own = await c.post(
            f"/api/judge/competitions/{w['competition_id']}/conflicts",
            json={"blind_code": other["blind_code"].lower().replace("-", ""), "reason": "亲属关系"},
        )
        assert own.status_code == 204
        rows = (await c.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
        assert other["blind_code"] not in [r["blind_code"] for r in rows]
    withdrawn = await client.delete(
        f"{judges_url(w)}/{w['judges']['judge3']}/conflicts/{target['registration_id']}"
    )
    assert withdrawn.status_code == 200
    assert await AuditLog.count().where(AuditLog.action.is_in(["recusal.declare", "recusal.withdraw"])) == 3


async def test_removing_a_judge(app: Any, client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    await set_up_scoring(client, w)
    extra = await extra_judge("judge5")
    await client.post(judges_url(w), json={"judges": [{"user_id": extra}]})
    removed = await client.delete(f"{judges_url(w)}/{w['judges']['judge2']}")
    assert removed.status_code == 200
    assert [(j["username"], j["judge_no"]) for j in removed.json()["judges"]] == [
        ("judge", 1),
        ("judge3", 2),
        ("judge4", 3),
        ("judge5", 4),
    ]
    async with new_client(app) as c:
        await login(c, "judge3")
        assert (
            await c.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][0], FULL))
        ).status_code == 200
    refused = await client.delete(f"{judges_url(w)}/{w['judges']['judge3']}")
    assert refused.status_code == 409 and refused.json()["code"] == "judge_has_marks"


async def test_a_one_time_link_signs_the_judge_in_once(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    from core.db import SHANGHAI

    await set_up_scoring(client, w)
    created = await client.post(f"{judges_url(w)}/{w['judges']['judge3']}/link")
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["qr_svg"].startswith("<svg") and link["judge_no"] == 3
    expires = dt.datetime.fromisoformat(link["expires_at"]).astimezone(SHANGHAI)
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)
    token = parse_qs(urlsplit(link["url"]).query)["token"][0]
    assert await JudgeLink.count().where(JudgeLink.token_hash == token) == 0  # only the hash is stored
    async with new_client(app) as tablet:
        opened = await use_judge_link(tablet, token)
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == f"/judge?competition={w['competition_id']}"
        me = await tablet.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["username"] == "judge3"
        rows = await tablet.get(f"/api/judge/competitions/{w['competition_id']}/sheets")
        assert rows.status_code == 200
        async with new_client(app) as second:
            reused = await second.get(f"/judge/login?token={token}")
            assert reused.status_code == 400 and "无效" in reused.text
            posted = await second.post("/judge/login", data={"token": token})
            assert posted.status_code == 400 and "无效" in posted.text
            assert (await second.get("/api/auth/me")).json() is None
        session = (
            await LoginSession.select(LoginSession.origin, LoginSession.expires_at)
            .where(LoginSession.origin == f"judge_link:{link['link_id']}")
            .first()
        )
        assert session is not None and session["expires_at"] == dt.datetime.fromisoformat(link["expires_at"])
        # Revoking the link ends the session it opened.
        revoked = await client.post(f"{judges_url(w)}/{w['judges']['judge3']}/link/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
        assert (await tablet.get("/api/auth/me")).json() is None
    assert await AuditLog.count().where(AuditLog.action.like("judge_link.%")) == 3


async def test_reading_a_link_does_not_spend_it(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    """A chat app's preview, a mail scanner or a prefetch GETs (or HEADs) the URL before the judge does:
    they see the page with its button, and the link is still there for the tablet."""
    await set_up_scoring(client, w)
    created = await client.post(f"{judges_url(w)}/{w['judges']['judge3']}/link")
    token = parse_qs(urlsplit(created.json()["url"]).query)["token"][0]
    async with new_client(app) as previewer:
        for _ in range(3):
            seen = await previewer.get("/judge/login", params={"token": token})
            assert seen.status_code == 200 and 'id="use-link"' in seen.text
            assert seen.headers["cache-control"] == "no-store"
            assert seen.headers["referrer-policy"] == "no-referrer"
        assert (await previewer.head(f"/judge/login?token={token}")).status_code == 200
        assert "电工技能竞赛" in seen.text  # the competition the link opens, before it is used
        assert (await previewer.get("/api/auth/me")).json() is None
        # A POST without the page's CSRF field (a cross-site form) is refused and spends nothing either.
        forged = await previewer.post("/judge/login", data={"token": token}, headers={"x-csrftoken": ""})
        assert forged.status_code == 403
    link = await JudgeLink.select(JudgeLink.used_at).where(JudgeLink.id == created.json()["link_id"]).first()
    assert link is not None and link["used_at"] is None
    assert await AuditLog.count().where(AuditLog.action == "judge_link.use") == 0
    assert await LoginSession.count().where(LoginSession.origin.like("judge_link:%")) == 0
    async with new_client(app) as tablet:
        opened = await use_judge_link(tablet, token)
        assert opened.status_code == 303 and opened.headers["location"].startswith("/judge?competition=")
        assert (await tablet.get("/api/auth/me")).json()["username"] == "judge3"
    assert await AuditLog.count().where(AuditLog.action == "judge_link.use") == 1


async def test_expired_revoked_and_unknown_links_are_refused(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await set_up_scoring(client, w)
    links = (await client.post(f"{judges_url(w)}/links")).json()
    assert [link["judge_no"] for link in links] == [1, 2, 3, 4]
    tokens = [parse_qs(urlsplit(link["url"]).query)["token"][0] for link in links]
    await JudgeLink.update({JudgeLink.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
        JudgeLink.id == links[0]["link_id"]
    )
    await client.post(f"{judges_url(w)}/{w['judges']['judge2']}/link/revoke")
    # A new link for judge3 revokes judge3's unused one.
    await client.post(f"{judges_url(w)}/{w['judges']['judge3']}/link")
    async with new_client(app) as tablet:
        for token in [tokens[0], tokens[1], tokens[2], "not-a-token", ""]:
            response = await tablet.get(f"/judge/login?token={token}")
            assert response.status_code == 400, token
            posted = await tablet.post("/judge/login", data={"token": token})
            assert posted.status_code == 400, token
        opened = await use_judge_link(tablet, tokens[3])
        assert opened.status_code == 303
    not_on_panel = await client.post(
        f"{judges_url(w)}/{w['judges']['judge']}/link".replace(str(w["judges"]["judge"]), "999999")
    )
    assert not_on_panel.status_code == 404
