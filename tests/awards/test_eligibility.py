"""Eligibility review: the rules run on nomination with reasons; organizers confirm or override (audited);
published competition results pre-fill nominations, waive rules, or nominate directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import msgspec
from litestar import Litestar

from tests.awards.nomination_helpers import add_member, create_programme, nomination_body
from tests.helpers import han_digits


async def _nominate(officer: httpx.AsyncClient, pid: int, person: int) -> dict[str, Any]:
    response = await officer.post(f"/api/programmes/{pid}/nominations", json=nomination_body(person))
    assert response.status_code in (200, 201), response.text
    return response.json()["nomination"]


async def publish(
    world: dict[str, Any], title: str, placings: list[tuple[int, int, int | None]], *, versions: int = 1
) -> int:
    """A competition with published results in scoring's own shape (``PublicBoard``: rows by blind code,
    no internal ids): ``placings`` = (person id, rank, tier). Earlier versions publish nobody, so only the
    latest version counts."""
    from competitions.tables import Competition, Registration
    from scoring.results_schemas import CompetitionHead, PublicBoard, PublicRow
    from scoring.rules import TIER_NAMES
    from scoring.tables import Publication

    now = dt.datetime.now(dt.UTC)
    competition = Competition(
        title=title,
        occupation="数控车工",
        industry="intelligent_manufacturing",
        registration_opens_at=now - dt.timedelta(days=60),
        registration_closes_at=now - dt.timedelta(days=30),
        state="finished",
        created_at=now,
    )
    await competition.save()
    rows = []
    for arrival, (person, rank, tier) in enumerate(placings, start=1):
        registration = Registration(
            competition=competition.id,
            person=person,
            entry_key=f"{competition.id}:{person}",
            registration_no=f"C{competition.id:04d}-{arrival:05d}",
            status="accepted",
            arrival=arrival,
            station_no=arrival,
            blind_code=f"B{arrival:03d}",
            created_at=now,
        )
        await registration.save()
        rows.append(
            PublicRow(
                rank=rank,
                tier=tier,
                prize=TIER_NAMES.get(tier) if tier else None,
                name="某",
                employer="某公司",
                blind_code=f"B{arrival:03d}",
                station_no=arrival,
                final_score=Decimal(90 - rank),
                stage_scores={},
                disqualified=False,
            )
        )
    head = CompetitionHead(id=competition.id, title=title, occupation="数控车工", venue="")
    for version in range(1, versions + 1):
        board = PublicBoard(
            competition=head,
            version=version,
            published_at=now,
            stages=[],
            rows=rows if version == versions else [],
            tier_counts=[],
        )
        await Publication(
            competition=competition.id,
            publication_key=f"{competition.id}:{version}",
            version=version,
            published_by=world["users"]["organizer"],
            published_at=now,
            results=msgspec.json.encode(board).decode(),
            document="{}",
        ).save()
    return competition.id


async def test_the_rules_give_reasons_and_the_organizer_confirms(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    programme = await create_programme(
        organizer,
        eligibility={"union_member_required": True, "front_line_only": True, "min_years_employed": 3},
    )
    person = await add_member(
        organizer,
        union_a,
        world["enterprises"][0],
        name="新来的",
        union_member=False,
        front_line=False,
        employed_since=str(dt.date.today() - dt.timedelta(days=400)),
    )
    nomination = await _nominate(officer, programme["id"], person)
    assert nomination["eligibility_status"] == "ineligible"
    codes = [r["code"] for r in nomination["eligibility_reasons"]]
    assert codes == ["not_union_member", "not_front_line", "employment_too_short"]
    assert "连续工作满 3 年" in nomination["eligibility_reasons"][2]["message"]
    response = await organizer.post(
        f"/api/nominations/{nomination['id']}/eligibility", json={"decision": "confirm"}
    )
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["eligibility_status"] == "ineligible" and decided["eligibility_reviewed"] is True
    assert decided["eligibility_overridden"] is False
    audit = (await organizer.get("/api/audit/", params={"action": "nomination.eligibility"})).json()["items"][
        0
    ]
    assert audit["action"] == "nomination.eligibility.confirm"
    assert audit["before"]["reviewed"] is False and audit["after"]["reviewed"] is True


async def test_override_needs_a_reason_and_is_audited_before_and_after(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, eligibility={"least_senior_level": 1})
    nomination = await _nominate(officer, programme["id"], world["people"][0])
    assert nomination["eligibility_status"] == "ineligible"
    path = f"/api/nominations/{nomination['id']}/eligibility"
    missing = await organizer.post(path, json={"decision": "override"})
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    unchanged = (await organizer.get(f"/api/nominations/{nomination['id']}")).json()
    assert unchanged["eligibility_reviewed"] is False
    response = await organizer.post(
        path, json={"decision": "override", "reason": "获全国技术能手称号，破格推荐"}
    )
    assert response.status_code == 200
    overridden = response.json()
    assert overridden["eligibility_status"] == "eligible" and overridden["eligibility_overridden"] is True
    assert overridden["eligibility_note"] == "获全国技术能手称号，破格推荐"
    audit = (await organizer.get("/api/audit/", params={"action": "nomination.eligibility"})).json()["items"][
        0
    ]
    assert audit["action"] == "nomination.eligibility.override"
    assert audit["before"]["eligibility_status"] == "ineligible"
    assert audit["after"]["eligibility_status"] == "eligible" and audit["after"]["overridden"] is True
    assert audit["reason"] == "获全国技术能手称号，破格推荐"
    # Confirming afterwards goes back to what the rules say.
    back = (await organizer.post(path, json={"decision": "confirm"})).json()
    assert back["eligibility_status"] == "ineligible" and back["eligibility_overridden"] is False
    stale = await organizer.post(path, json={"decision": "confirm", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"


async def test_review_list_filters_and_counts_and_bulk_confirm(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    programme = await create_programme(organizer, eligibility={"front_line_only": True}, default_quota=10)
    pid = programme["id"]
    ok = [await add_member(organizer, union_a, name=f"一线{han_digits(i)}") for i in range(3)]
    office = await add_member(organizer, union_a, name="机关", front_line=False)
    for person in [*ok, office]:
        await _nominate(officer, pid, person)
    page = (
        await organizer.get(f"/api/programmes/{pid}/nominations", params={"eligibility": "ineligible"})
    ).json()
    assert [n["name"] for n in page["items"]] == ["机关"]
    assert page["counts"] == {"eligible": 3, "ineligible": 1, "unreviewed": 4, "overridden": 0}
    first = page["items"][0]
    await organizer.post(
        f"/api/nominations/{first['id']}/eligibility", json={"decision": "override", "reason": "实为一线岗位"}
    )
    response = await organizer.post(f"/api/programmes/{pid}/eligibility/confirm", json={"reason": "批量确认"})
    assert response.status_code == 200
    assert response.json() == {
        "confirmed": 3,
        "counts": {"eligible": 4, "ineligible": 0, "unreviewed": 0, "overridden": 1},
    }
    unreviewed = (
        await organizer.get(f"/api/programmes/{pid}/nominations", params={"reviewed": "false"})
    ).json()
    assert unreviewed["total"] == 0
    audit = (
        await organizer.get("/api/audit/", params={"action": "nomination.eligibility.confirm_all"})
    ).json()
    assert audit["total"] == 1 and audit["items"][0]["after"]["confirmed"] == 3
    again = (await organizer.post(f"/api/programmes/{pid}/eligibility/confirm", json={})).json()
    assert again["confirmed"] == 0


async def test_decisions_end_with_the_eligibility_review(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    pid = programme["id"]
    nomination = await _nominate(officer, pid, world["people"][0])
    await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "eligibility_review"})
    await organizer.post(f"/api/programmes/{pid}/eligibility/confirm", json={})
    await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "expert_review"})
    response = await organizer.post(
        f"/api/nominations/{nomination['id']}/eligibility", json={"decision": "override", "reason": "晚了"}
    )
    assert response.status_code == 409 and response.json()["code"] == "eligibility_review_closed"
    assert (
        await officer.post(f"/api/nominations/{nomination['id']}/eligibility", json={})
    ).status_code == 403


async def test_published_results_prefill_the_nomination(
    app: Litestar, organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    person, other = world["people"][0], world["people"][2]
    await publish(world, "2026 年数控车工技能竞赛", [(person, 1, 1), (other, 2, 2)], versions=2)
    results = (await officer.get(f"/api/people/{person}/competition-results")).json()
    assert len(results) == 1
    line = results[0]
    assert (line["title"], line["rank"], line["tier"], line["prize"]) == (
        "2026 年数控车工技能竞赛",
        1,
        1,
        "一等奖",
    )
    assert line["score"] == "89" and line["published_version"] == 2
    assert (await organizer.get(f"/api/people/{other}/competition-results")).json()[0]["prize"] == "二等奖"
    # Someone of another union is not the officer's to read.
    assert (await officer.get(f"/api/people/{world['people'][1]}/competition-results")).status_code == 404
    assert (await officer.get(f"/api/people/{world['people'][2]}/competition-results")).status_code == 200


async def test_a_tier_past_the_third_prize_is_shown_without_a_prize(
    officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    person = world["people"][0]
    await publish(world, "2026 年钳工技能竞赛", [(person, 40, 4)])
    line = (await officer.get(f"/api/people/{person}/competition-results")).json()[0]
    assert (line["rank"], line["tier"], line["prize"]) == (40, None, "")


async def test_a_qualifying_first_prize_makes_a_person_eligible_with_the_reason_recorded(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    person, runner_up = world["people"][0], world["people"][2]
    competition = await publish(world, "电工技能竞赛", [(person, 1, 1), (runner_up, 2, 2)])
    programme = await create_programme(
        organizer,
        eligibility={"least_senior_level": 1},  # 高级技师 only: everyone in the world fails it
        qualifying_results=[{"competition_id": competition, "max_tier": 1, "effect": "eligible"}],
    )
    assert "获一等奖者视为符合资格" in programme["eligibility_text"][-1]
    winner = await _nominate(officer, programme["id"], person)
    assert winner["eligibility_status"] == "eligible"
    assert [r["code"] for r in winner["eligibility_reasons"]] == [
        "skill_level_too_low",
        "qualified_by_result",
    ]
    assert winner["eligibility_reasons"][1]["competition_id"] == competition
    second = await _nominate(officer, programme["id"], runner_up)
    assert second["eligibility_status"] == "ineligible"


async def test_direct_nominations_from_first_prizes_are_idempotent_and_keep_the_link(
    organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    winner, union_pick, runner_up = world["people"][0], world["people"][2], world["people"][1]
    competition = await publish(
        world, "焊工技能竞赛", [(winner, 1, 1), (union_pick, 1, 1), (runner_up, 3, 2)]
    )
    programme = await create_programme(
        organizer,
        quotas={str(union_a): 1},
        qualifying_results=[{"competition_id": competition, "max_tier": 1, "effect": "direct"}],
    )
    pid = programme["id"]
    nominated = await _nominate(officer, pid, union_pick)  # takes union A's only place
    response = await organizer.post(f"/api/programmes/{pid}/direct-nominations")
    assert response.status_code == 200, response.text
    result = response.json()
    assert (
        len(result["created"]) == 1 and result["converted"] == [nominated["id"]] and result["existing"] == []
    )
    direct = (await organizer.get(f"/api/nominations/{result['created'][0]}")).json()
    assert direct["person_id"] == winner and direct["source"] == "direct"
    assert direct["source_competition_id"] == competition
    assert direct["eligibility_status"] == "eligible" and direct["eligibility_reviewed"] is True
    assert direct["achievements"]["competition_results"][0]["prize"] == "一等奖"
    converted = (await organizer.get(f"/api/nominations/{nominated['id']}")).json()
    assert converted["source"] == "direct" and converted["source_competition_id"] == competition
    again = (await organizer.post(f"/api/programmes/{pid}/direct-nominations")).json()
    assert again["created"] == [] and again["converted"] == []
    assert sorted(again["existing"]) == sorted([*result["created"], nominated["id"]])
    # A direct nomination takes no union place: union A may nominate someone again.
    member = await add_member(organizer, union_a, name="工会推荐")
    assert (
        await officer.post(f"/api/programmes/{pid}/nominations", json=nomination_body(member))
    ).status_code == 201
    direct_only = (
        await organizer.get(f"/api/programmes/{pid}/nominations", params={"source": "direct"})
    ).json()
    assert direct_only["total"] == 2


async def test_direct_nominations_need_a_direct_rule(organizer: httpx.AsyncClient) -> None:
    programme = await create_programme(organizer)
    response = await organizer.post(f"/api/programmes/{programme['id']}/direct-nominations")
    assert response.status_code == 422 and response.json()["code"] == "no_direct_rules"
