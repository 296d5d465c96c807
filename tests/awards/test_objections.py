"""Objections during the public notice: lodged by anyone (contact sealed, rate- and size-limited, anonymous
ones marked), refused with a clear 4xx that changes nothing when bad or late, and resolved by organizers
(upheld: the next nominee who keeps every constraint moves up; dismissed: with a reason) before the award."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog, RateCounter
from awards import notice
from awards.tables import Nomination, Objection, Programme
from tests.awards.pipeline_factories import office, person, set_notice_dates, shortlisted
from tests.helpers import new_client

D = dt.date
GROUNDS = "该同志申报的专利并非本人完成，事迹材料与实际不符。"


@pytest.fixture
async def public(app: Any, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        yield client


@pytest.fixture
async def w(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Two places, front line at least half: 甲一 (office, 95) and 乙一 (front line, 80) are on the list;
    甲二 (office, 90) and 乙二 (front line, 70) wait."""
    built = await shortlisted(
        organizer,
        world,
        [office("甲一"), office("甲二"), person("乙一", 1), person("乙二", 1)],
        {"甲一": 95, "甲二": 90, "乙一": 80, "乙二": 70},
        total_awards=2,
        constraints=[{"attribute": "front_line", "bound": "at_least", "percent": "50"}],
    )
    assert [e["name"] for e in built["report"]["selected"]] == ["甲一", "乙一"]
    monkeypatch.setattr(notice, "today", lambda: D(2026, 9, 30))
    opened = await organizer.post(f"/api/programmes/{built['programme_id']}/notice", json={})
    assert opened.status_code == 200, opened.text
    built["set_today"] = lambda day: monkeypatch.setattr(notice, "today", lambda: day)
    return built


async def reset_rate_limit() -> None:
    """Forget the objection counters (each test may lodge only 5 a minute from its one address)."""
    await RateCounter.delete().where(RateCounter.key.like("objection:%"))


def url(w: dict[str, Any]) -> str:
    return f"/api/public/programmes/{w['programme_id']}/objections"


async def state() -> dict[str, Any]:
    return {
        "objections": await Objection.select().order_by(Objection.id),
        "nominations": await Nomination.select(Nomination.id, Nomination.status, Nomination.version).order_by(
            Nomination.id
        ),
        "audit": await AuditLog.count(),
    }


async def test_anyone_lodges_an_objection_and_the_contact_stays_private(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    target = w["nominations"]["乙一"]
    named = await public.post(
        url(w),
        json={
            "nomination_id": target,
            "grounds": GROUNDS,
            "objector_name": "刘某",
            "objector_organisation": "乙公司工会",
            "contact": "13911112222",
        },
    )
    assert named.status_code == 201, named.text
    receipt = named.json()
    assert receipt["anonymous"] is False and receipt["nominee_name"] == "乙一"
    assert "13911112222" not in named.text and "刘某" not in named.text
    anonymous = await public.post(url(w), json={"nomination_id": target, "grounds": GROUNDS})
    assert anonymous.status_code == 201 and anonymous.json()["anonymous"] is True
    stored = await Objection.select().order_by(Objection.id)
    assert b"13911112222" not in bytes(stored[0]["contact_sealed"])
    assert stored[1]["anonymous"] is True and stored[1]["objector_name"] == ""
    listing = (await organizer.get(f"/api/programmes/{w['programme_id']}/objections")).json()
    assert listing["pending"] == 2
    first = listing["items"][0]
    assert (first["contact"], first["objector_name"], first["anonymous"]) == ("13911112222", "刘某", False)
    assert listing["items"][1]["anonymous"] is True
    audit = (await organizer.get("/api/audit/", params={"action": "objection.lodge"})).json()
    assert audit["total"] == 2
    assert "13911112222" not in str(audit) and "刘某" not in str(audit)


async def test_an_objection_without_grounds_is_422_and_changes_nothing(
    public: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    before = await state()
    target = w["nominations"]["乙一"]
    for grounds in ("", "   ", "不好"):
        response = await public.post(url(w), json={"nomination_id": target, "grounds": grounds})
        await reset_rate_limit()
        assert response.status_code == 422, response.text
        assert (response.json()["code"], response.json()["field"]) == ("grounds_required", "grounds")
        assert "理由" in response.json()["message"]
    await reset_rate_limit()
    missing = await public.post(url(w), json={"nomination_id": target})
    assert missing.status_code == 422 and missing.json()["field"] == "grounds"
    too_long = await public.post(url(w), json={"nomination_id": target, "grounds": "字" * 2001})
    assert too_long.status_code == 422 and too_long.json()["field"] == "grounds"
    not_listed = await public.post(
        url(w), json={"nomination_id": w["nominations"]["甲二"], "grounds": GROUNDS}
    )
    assert not_listed.status_code == 422 and not_listed.json()["code"] == "not_on_notice"
    assert await state() == before


async def test_an_objection_after_the_notice_ended_is_409_and_changes_nothing(
    public: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    before = await state()
    w["set_today"](D(2026, 10, 13))  # the notice ran 30 September - 12 October
    late = await public.post(url(w), json={"nomination_id": w["nominations"]["乙一"], "grounds": GROUNDS})
    assert late.status_code == 409
    assert late.json()["code"] == "notice_closed" and "2026-10-12" in late.json()["message"]
    await set_notice_dates(w["programme_id"], D(2026, 10, 14), D(2026, 10, 20))
    early = await public.post(url(w), json={"nomination_id": w["nominations"]["乙一"], "grounds": GROUNDS})
    assert early.status_code == 409 and "2026-10-14" in early.json()["message"]
    assert await state() == before
    public_view = (await public.get(f"/api/public/programmes/{w['programme_id']}/notice")).json()
    assert public_view["open_now"] is False


async def test_size_rate_and_csrf_limits(app: Any, public: httpx.AsyncClient, w: dict[str, Any]) -> None:
    target = w["nominations"]["乙一"]
    huge = await public.post(
        url(w), json={"nomination_id": target, "grounds": GROUNDS, "contact": "x" * 20_000}
    )
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
    async with new_client(app) as forger:
        forged = await forger.post(
            url(w), json={"nomination_id": target, "grounds": GROUNDS}, headers={"x-csrftoken": "forged"}
        )
        assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    await reset_rate_limit()
    statuses = []
    for _ in range(7):
        response = await public.post(url(w), json={"nomination_id": target, "grounds": GROUNDS})
        statuses.append(response.status_code)
    assert statuses == [201] * 5 + [429] * 2
    assert response.json()["code"] == "rate_limited"
    assert await Objection.count() == 5
    # The log-in limit counts the same address separately.
    assert (
        await public.post("/api/auth/login", json={"username": "organizer", "password": "x"})
    ).status_code == 401


async def test_a_dismissal_needs_a_reason_and_an_objection_is_resolved_once(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    lodged = await public.post(url(w), json={"nomination_id": w["nominations"]["甲一"], "grounds": GROUNDS})
    objection_id = lodged.json()["id"]
    resolve = f"/api/objections/{objection_id}/resolve"
    no_reason = await organizer.post(resolve, json={"decision": "dismissed"})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    dismissed = await organizer.post(
        resolve, json={"decision": "dismissed", "reason": "经核查，专利证书属实"}
    )
    assert dismissed.status_code == 200, dismissed.text
    out = dismissed.json()
    assert out["objection"]["status"] == "dismissed" and out["change"] is None
    assert out["objection"]["resolution"] == "经核查，专利证书属实"
    twice = await organizer.post(resolve, json={"decision": "upheld", "reason": "改判"})
    assert twice.status_code == 409 and twice.json()["code"] == "already_resolved"
    nominee = (
        await Nomination.select(Nomination.status).where(Nomination.id == w["nominations"]["甲一"]).first()
    )
    assert nominee is not None and nominee["status"] == "shortlisted"
    audit = (await organizer.get("/api/audit/", params={"action": "objection.resolve"})).json()["items"]
    assert audit[0]["reason"] == "经核查，专利证书属实"


async def test_an_upheld_objection_removes_the_nominee_and_the_next_who_keeps_the_constraints_moves_up(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid, ids = w["programme_id"], w["nominations"]
    first = await public.post(url(w), json={"nomination_id": ids["乙一"], "grounds": GROUNDS})
    second = await public.post(url(w), json={"nomination_id": ids["乙一"], "grounds": GROUNDS + "（补充）"})
    response = await organizer.post(
        f"/api/objections/{first.json()['id']}/resolve", json={"decision": "upheld", "reason": "经核查属实"}
    )
    assert response.status_code == 200, response.text
    out = response.json()
    # 甲二 (90) has the higher score, but only 乙二 (front line) keeps "front line at least half".
    assert out["change"]["added_names"] == ["乙二"] and out["change"]["removed_name"] == "乙一"
    assert out["change"]["message"].startswith(
        "乙一 撤下，乙二（70 分）递补；递补人选另行公示 2026-09-30 至 "
    )
    assert out["also_resolved"] == [second.json()["id"]]
    statuses = {r["id"]: r["status"] for r in await Nomination.select(Nomination.id, Nomination.status)}
    assert (statuses[ids["乙一"]], statuses[ids["乙二"]], statuses[ids["甲二"]]) == (
        "removed",
        "shortlisted",
        "nominated",
    )
    report = (await organizer.get(f"/api/programmes/{pid}/shortlist")).json()
    assert [(e["name"], e["moved_up"]) for e in report["selected"]] == [("甲一", False), ("乙二", True)]
    assert report["changes"][0]["message"] == out["change"]["message"]
    notice_view = (await public.get(f"/api/public/programmes/{pid}/notice")).json()
    assert [(i["name"], i["moved_up"]) for i in notice_view["items"]] == [("甲一", False), ("乙二", True)]
    # The one who moved up can be objected to in turn.
    again = await public.post(url(w), json={"nomination_id": ids["乙二"], "grounds": GROUNDS})
    assert again.status_code == 201
    listing = (await organizer.get(f"/api/programmes/{pid}/objections")).json()
    assert (listing["pending"], listing["upheld"]) == (1, 2)
    audit = await AuditLog.select().where(AuditLog.action == "shortlist.replace").first()
    assert audit is not None and audit["reason"] == out["change"]["message"]


@pytest.mark.parametrize("with_woman", [True, False])
async def test_when_no_one_can_move_up_alone_the_list_is_recomputed_or_left_short(
    public: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    with_woman: bool,
) -> None:
    people = [person("甲女", female=True), office("乙男", 1), person("丁男", 1)]
    scores = {"甲女": 95, "乙男": 90, "丁男": 70}
    if with_woman:
        people.append(office("丙女", female=True))
        scores["丙女"] = 80
    built = await shortlisted(
        organizer,
        world,
        people,
        scores,
        total_awards=2,
        constraints=[
            {"attribute": "female", "bound": "at_least", "percent": "50"},
            {"attribute": "front_line", "bound": "at_least", "percent": "50"},
        ],
    )
    pid, ids = built["programme_id"], built["nominations"]
    monkeypatch.setattr(notice, "today", lambda: D(2026, 9, 30))
    assert (await organizer.post(f"/api/programmes/{pid}/notice", json={})).status_code == 200
    lodged = await public.post(
        f"/api/public/programmes/{pid}/objections", json={"nomination_id": ids["甲女"], "grounds": GROUNDS}
    )
    response = await organizer.post(
        f"/api/objections/{lodged.json()['id']}/resolve", json={"decision": "upheld", "reason": "属实"}
    )
    assert response.status_code == 200, response.text
    change = response.json()["change"]
    report = (await organizer.get(f"/api/programmes/{pid}/shortlist")).json()
    statuses = {r["id"]: r["status"] for r in await Nomination.select(Nomination.id, Nomination.status)}
    if with_woman:
        # 乙男 alone needs someone both a woman and on the front line: nobody is, so the list is redone.
        assert change["recomputed"] is True and sorted(change["added_names"]) == ["丁男", "丙女"]
        assert "名单已整体重新计算" in change["message"] and "乙男 出列" in change["message"]
        assert sorted(e["name"] for e in report["selected"]) == ["丁男", "丙女"]
        assert statuses[ids["乙男"]] == "nominated" and statuses[ids["丙女"]] == "shortlisted"
    else:
        assert change["added_names"] == [] and "名单暂缺 1 人" in change["message"]
        assert [e["name"] for e in report["selected"]] == ["乙男"]
    assert statuses[ids["甲女"]] == "removed"


async def test_the_award_waits_for_every_objection_and_the_end_of_the_notice(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    lodged = await public.post(url(w), json={"nomination_id": w["nominations"]["甲一"], "grounds": GROUNDS})
    w["set_today"](D(2026, 10, 13))
    pending = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert pending.status_code == 409 and pending.json()["code"] == "objections_pending"
    assert pending.json()["detail"] == {"pending": 1}
    resolved = await organizer.post(
        f"/api/objections/{lodged.json()['id']}/resolve", json={"decision": "dismissed", "reason": "不属实"}
    )
    assert resolved.status_code == 200
    w["set_today"](D(2026, 10, 12))
    early = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert early.status_code == 409 and early.json()["code"] == "notice_not_ended"
    w["set_today"](D(2026, 10, 13))
    awarded = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert awarded.status_code == 200, awarded.text
    late = await organizer.post(
        f"/api/objections/{lodged.json()['id']}/resolve", json={"decision": "upheld", "reason": "x" * 3}
    )
    assert late.status_code == 409


async def upheld_after_the_notice(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> dict[str, Any]:
    """On 13 October, the notice over (it ran 30 September to 12 October), an objection lodged in time
    against 乙一 is upheld: 乙二 moves up."""
    lodged = await public.post(url(w), json={"nomination_id": w["nominations"]["乙一"], "grounds": GROUNDS})
    assert lodged.status_code == 201
    w["set_today"](D(2026, 10, 13))
    response = await organizer.post(
        f"/api/objections/{lodged.json()['id']}/resolve", json={"decision": "upheld", "reason": "经核查属实"}
    )
    assert response.status_code == 200, response.text
    return response.json()["change"]


async def test_a_nominee_moved_up_after_the_notice_gets_a_notice_period_of_their_own(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid, ids = w["programme_id"], w["nominations"]
    change = await upheld_after_the_notice(public, organizer, w)
    # Five working days of their own, from the day they moved up: 13 to 19 October.
    assert (change["notice_starts_on"], change["notice_ends_on"]) == ("2026-10-13", "2026-10-19")
    assert "递补人选另行公示 2026-10-13 至 2026-10-19" in change["message"]
    early = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert early.status_code == 409 and early.json()["code"] == "replacement_notice_not_ended"
    assert "乙二" in early.json()["message"] and early.json()["detail"]["notice_ends_on"] == "2026-10-19"
    assert await Nomination.count().where(Nomination.status == "awarded") == 0
    # The public notice shows the change and the newcomer's own period; objections to them only.
    w["set_today"](D(2026, 10, 14))
    view = (await public.get(f"/api/public/programmes/{pid}/notice")).json()
    by_name = {i["name"]: i for i in view["items"]}
    assert by_name["乙二"]["notice_ends_on"] == "2026-10-19" and by_name["乙二"]["open_now"] is True
    assert by_name["甲一"]["open_now"] is False and view["open_now"] is True
    assert "乙二 递补" in view["changes"][0]["text"] and "乙一" not in view["changes"][0]["text"]
    await reset_rate_limit()
    closed = await public.post(url(w), json={"nomination_id": ids["甲一"], "grounds": GROUNDS})
    assert closed.status_code == 409 and closed.json()["code"] == "notice_closed"
    objected = await public.post(url(w), json={"nomination_id": ids["乙二"], "grounds": GROUNDS})
    assert objected.status_code == 201, objected.text
    dismissed = await organizer.post(
        f"/api/objections/{objected.json()['id']}/resolve", json={"decision": "dismissed", "reason": "不属实"}
    )
    assert dismissed.status_code == 200
    w["set_today"](D(2026, 10, 19))
    assert (await organizer.post(f"/api/programmes/{pid}/award", json={})).status_code == 409
    w["set_today"](D(2026, 10, 20))
    awarded = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert awarded.status_code == 200, awarded.text
    assert sorted(i["name"] for i in awarded.json()["items"]) == ["乙二", "甲一"]


async def test_a_programme_may_declare_a_published_change_notice_instead(
    public: httpx.AsyncClient, organizer: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    pid = w["programme_id"]
    await Programme.update({Programme.replacement_notice: "change_notice"}).where(Programme.id == pid)
    change = await upheld_after_the_notice(public, organizer, w)
    assert change["notice_starts_on"] is None and "名单变更已在公示页公布" in change["message"]
    view = (await public.get(f"/api/public/programmes/{pid}/notice")).json()
    assert view["changes"][0]["text"] == "经异议核查，公示名单调整，乙二 递补为拟表彰人选。"
    at = dt.datetime.fromisoformat(change["at"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert view["changes"][0]["on"] == at.date().isoformat()  # the day in Beijing time
    awarded = await organizer.post(f"/api/programmes/{pid}/award", json={})
    assert awarded.status_code == 200, awarded.text
