"""Nominating one person: own union only, within the window and the quota, deed limit, duplicates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.awards.nomination_helpers import (
    add_member,
    create_programme,
    nomination_body,
    second_union_officer,
)
from tests.helpers import login, new_client


async def _count(organizer: httpx.AsyncClient, pid: int) -> int:
    return (await organizer.get(f"/api/programmes/{pid}/nominations")).json()["total"]


async def test_officer_nominates_a_member_with_achievements(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    person = world["people"][0]
    response = await officer.post(
        f"/api/programmes/{programme['id']}/nominations", json=nomination_body(person)
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] is True
    nomination = result["nomination"]
    assert nomination["person_id"] == person and nomination["union_id"] == world["unions"][0]
    assert nomination["union_name"] == "甲公司工会" and nomination["employer_name"] == "甲公司"
    assert nomination["source"] == "union" and nomination["status"] == "nominated"
    assert nomination["eligibility_status"] == "eligible" and nomination["eligibility_reasons"] == []
    assert nomination["eligibility_reviewed"] is False
    assert nomination["achievements"]["patents"][0]["kind"] == "utility_model"
    assert nomination["achievements"]["apprentices_trained"] == 4
    assert "*" in nomination["id_number"]  # masked for the officer
    seen = (await organizer.get(f"/api/nominations/{nomination['id']}")).json()
    assert "*" in seen["id_number"]  # masked for organizers too: full numbers only with a stated purpose
    unseal = f"/api/people/{person}/unseal"
    full = (await organizer.post(unseal, json={"purpose": "核实推荐人选身份"})).json()
    assert "*" not in full["id_number"] and len(full["id_number"]) == 18
    assert full["id_number"][-4:] == seen["id_number"][-4:]
    audit = (await organizer.get("/api/audit/", params={"action": "nomination.create"})).json()["items"][0]
    assert audit["after"]["person_id"] == person and "*" in audit["after"]["id_number"]


async def test_nominating_the_same_person_again_returns_the_first_nomination(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    path = f"/api/programmes/{programme['id']}/nominations"
    first = await officer.post(path, json=nomination_body(world["people"][0]))
    again = await officer.post(path, json=nomination_body(world["people"][0], deed="另一段事迹"))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["nomination"]["id"] == first.json()["nomination"]["id"]
    assert again.json()["nomination"]["deed"] == first.json()["nomination"]["deed"]
    assert await _count(organizer, programme["id"]) == 1


async def test_a_person_of_another_union_is_403_and_nothing_is_written(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    other_union_person = world["people"][1]
    response = await officer.post(
        f"/api/programmes/{programme['id']}/nominations", json=nomination_body(other_union_person)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "person_not_in_union" and response.json()["field"] == "person_id"
    assert await _count(organizer, programme["id"]) == 0
    missing = await officer.post(
        f"/api/programmes/{programme['id']}/nominations", json=nomination_body(999999)
    )
    assert missing.status_code == 404


async def test_a_deed_over_the_limit_is_422_naming_deed(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, deed_max_chars=100)
    path = f"/api/programmes/{programme['id']}/nominations"
    response = await officer.post(path, json=nomination_body(world["people"][0], deed="事" * 101))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "deed" and body["code"] == "deed_too_long"
    assert body["detail"] == {"max_chars": 100, "chars": 101}
    assert "100" in body["message"]
    empty = await officer.post(path, json=nomination_body(world["people"][0], deed="   "))
    assert empty.status_code == 422 and empty.json()["field"] == "deed"
    assert await _count(organizer, programme["id"]) == 0
    exact = await officer.post(path, json=nomination_body(world["people"][0], deed="事" * 100))
    assert exact.status_code == 201


@pytest.mark.parametrize(
    "bad",
    [
        {"apprentices_trained": -1},
        {"patents": [{"title": ""}]},
        {"titles_honours": [{"title": "x", "level": "galactic"}]},
        {"competition_results": [{"title": "x", "rank": 0}]},
    ],
)
async def test_bad_achievements_are_422_naming_the_field(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any], bad: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    response = await officer.post(
        f"/api/programmes/{programme['id']}/nominations",
        json=nomination_body(world["people"][0], achievements=bad),
    )
    assert response.status_code == 422
    assert response.json()["field"].startswith("achievements."), response.json()


async def test_over_quota_is_409_and_a_withdrawal_frees_the_place(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    programme = await create_programme(organizer, default_quota=10, quotas={str(union_a): 1})
    path = f"/api/programmes/{programme['id']}/nominations"
    second_member = await add_member(organizer, union_a, world["enterprises"][0], name="第二人")
    first = await officer.post(path, json=nomination_body(world["people"][0]))
    assert first.status_code == 201
    response = await officer.post(path, json=nomination_body(second_member))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "nomination_quota_exceeded"
    assert body["detail"] == {"quota": 1, "used": 1, "adding": 1}
    assert "名额为 1 人" in body["message"]
    assert await _count(organizer, programme["id"]) == 1
    withdrawn = await officer.post(
        f"/api/nominations/{first.json()['nomination']['id']}/withdraw", json={"reason": "改推他人"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await officer.post(path, json=nomination_body(second_member))).status_code == 201
    # The withdrawn person can come back only when a place is free again.
    assert (await officer.post(path, json=nomination_body(world["people"][0]))).status_code == 409


async def test_a_quota_lowered_below_the_nominations_is_refused_naming_the_union_and_excess(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    programme = await create_programme(organizer, default_quota=10)
    pid = programme["id"]
    path = f"/api/programmes/{pid}/nominations"
    members = [world["people"][0]] + [
        await add_member(organizer, union_a, world["enterprises"][0], name=name)
        for name in ("第二人", "第三人")
    ]
    for person_id in members:
        assert (await officer.post(path, json=nomination_body(person_id))).status_code == 201
    current = (await organizer.get(f"/api/programmes/{pid}")).json()
    refused = await organizer.patch(
        f"/api/programmes/{pid}", json={"version": current["version"], "quotas": {str(union_a): 1}}
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "quota_below_nominations" and body["field"] == "quotas"
    excess = body["detail"]["excess"]
    assert [(e["group"], e["quota"], e["used"], e["excess"]) for e in excess] == [(str(union_a), 1, 3, 2)]
    assert "超出 2 人" in body["message"] and excess[0]["group_name"] in body["message"]
    assert excess[0]["group_name"] != f"工会 #{union_a}"  # the union's own name
    # Nothing changed: the quota, the version, the audit log.
    after = (await organizer.get(f"/api/programmes/{pid}")).json()
    assert after["quotas"] == {} and after["version"] == current["version"]
    lowered_default = await organizer.patch(
        f"/api/programmes/{pid}", json={"version": current["version"], "default_quota": 2}
    )
    assert lowered_default.status_code == 409 and lowered_default.json()["detail"]["excess"][0]["excess"] == 1
    # Exactly the current use is accepted; so is lowering once the union has withdrawn the excess.
    assert (
        await organizer.patch(
            f"/api/programmes/{pid}", json={"version": current["version"], "quotas": {str(union_a): 3}}
        )
    ).status_code == 200
    nominations = (await organizer.get(path)).json()["items"]
    withdrawn = await officer.post(
        f"/api/nominations/{nominations[0]['id']}/withdraw", json={"reason": "名额调整"}
    )
    assert withdrawn.status_code == 200
    version = (await organizer.get(f"/api/programmes/{pid}")).json()["version"]
    lowered = await organizer.patch(
        f"/api/programmes/{pid}", json={"version": version, "quotas": {str(union_a): 2}}
    )
    assert lowered.status_code == 200, lowered.text


async def test_nominating_outside_the_window_is_409(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    now = dt.datetime.now(dt.UTC)
    person = world["people"][0]
    draft = await create_programme(organizer, open_it=False)
    not_yet = await create_programme(
        organizer,
        nomination_opens_at=(now + dt.timedelta(days=1)).isoformat(),
        nomination_closes_at=(now + dt.timedelta(days=9)).isoformat(),
    )
    over = await create_programme(
        organizer,
        nomination_opens_at=(now - dt.timedelta(days=9)).isoformat(),
        nomination_closes_at=(now - dt.timedelta(minutes=1)).isoformat(),
    )
    moved_on = await create_programme(organizer)
    await organizer.post(
        f"/api/programmes/{moved_on['id']}/transition", json={"target": "eligibility_review"}
    )
    for programme, words in [(draft, "草稿"), (not_yet, "开始"), (over, "截止"), (moved_on, "资格审查")]:
        response = await officer.post(
            f"/api/programmes/{programme['id']}/nominations", json=nomination_body(person)
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "nomination_closed"
        assert words in response.json()["message"]
        assert await _count(organizer, programme["id"]) == 0


async def test_only_union_officers_nominate(
    app: Litestar, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    path = f"/api/programmes/{programme['id']}/nominations"
    assert (await organizer.post(path, json=nomination_body(world["people"][0]))).status_code == 403
    async with new_client(app) as expert:
        await login(expert, "expert")
        assert (await expert.post(path, json=nomination_body(world["people"][0]))).status_code == 403
        assert (await expert.get(path)).status_code == 403


async def test_officers_see_only_their_own_unions_nominations(
    app: Litestar, organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a, union_b = world["unions"]
    programme = await create_programme(organizer)
    pid = programme["id"]
    await officer.post(f"/api/programmes/{pid}/nominations", json=nomination_body(world["people"][0]))
    async with second_union_officer(app, organizer, union_b) as officer_b:
        created = await officer_b.post(
            f"/api/programmes/{pid}/nominations", json=nomination_body(world["people"][1])
        )
        assert created.status_code == 201
        mine = (await officer_b.get(f"/api/programmes/{pid}/nominations")).json()
        assert [n["person_id"] for n in mine["items"]] == [world["people"][1]]
        # Someone else's nomination looks like a missing one.
        other = (await officer.get(f"/api/programmes/{pid}/nominations")).json()["items"][0]
        assert (await officer_b.get(f"/api/nominations/{other['id']}")).status_code == 404
        assert (await officer_b.post(f"/api/nominations/{other['id']}/withdraw", json={})).status_code == 404
        # Asking for another union's list still shows only one's own.
        forced = (
            await officer_b.get(f"/api/programmes/{pid}/nominations", params={"union_id": union_a})
        ).json()
        assert [n["union_id"] for n in forced["items"]] == [union_b]
    everyone = (await organizer.get(f"/api/programmes/{pid}/nominations")).json()
    assert everyone["total"] == 2
    only_a = (await organizer.get(f"/api/programmes/{pid}/nominations", params={"union_id": union_a})).json()
    assert [n["union_id"] for n in only_a["items"]] == [union_a]


async def test_officer_edits_the_deed_with_a_version_check(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, deed_max_chars=60)
    created = (
        await officer.post(
            f"/api/programmes/{programme['id']}/nominations", json=nomination_body(world["people"][0])
        )
    ).json()["nomination"]
    path = f"/api/nominations/{created['id']}"
    response = await officer.patch(path, json={"version": created["version"], "deed": "新的事迹"})
    assert response.status_code == 200 and response.json()["deed"] == "新的事迹"
    stale = await officer.patch(path, json={"version": created["version"], "deed": "再改"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    too_long = await officer.patch(path, json={"version": created["version"] + 1, "deed": "长" * 61})
    assert too_long.status_code == 422 and too_long.json()["field"] == "deed"


async def test_industry_quota_counts_across_unions(
    app: Litestar, organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_b = world["unions"][1]
    enterprise_a = world["enterprises"][0]  # 甲公司 is biomedicine
    programme = await create_programme(
        organizer, quota_scope="industry", default_quota=None, quotas={"biomedicine": 1}
    )
    pid = programme["id"]
    ok = await officer.post(f"/api/programmes/{pid}/nominations", json=nomination_body(world["people"][0]))
    assert ok.status_code == 201 and ok.json()["nomination"]["quota_group"] == "biomedicine"
    # A member of union B employed by the biomedicine company counts against the same industry quota.
    crossover = await add_member(organizer, union_b, enterprise_a, name="跨单位")
    async with second_union_officer(app, organizer, union_b) as officer_b:
        refused = await officer_b.post(f"/api/programmes/{pid}/nominations", json=nomination_body(crossover))
        assert refused.status_code == 409 and refused.json()["code"] == "nomination_quota_exceeded"
        # Industry "other" has no quota here.
        other = await officer_b.post(
            f"/api/programmes/{pid}/nominations", json=nomination_body(world["people"][1])
        )
        assert other.status_code == 201
    usage = {u["group"]: u for u in (await organizer.get(f"/api/programmes/{pid}/quota-usage")).json()}
    assert usage["biomedicine"]["used"] == 1 and usage["biomedicine"]["left"] == 0
    assert usage["other"]["quota"] is None and usage["other"]["used"] == 1
