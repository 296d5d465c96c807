"""Award programmes: set-up, validation, editing with versions, the lifecycle, public reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.awards.nomination_helpers import (
    REVIEW_RUBRIC,
    add_member,
    create_programme,
    nomination_body,
    programme_payload,
)
from tests.helpers import login, new_client


async def test_organizer_creates_a_programme_with_rules_constraints_and_rubric(
    organizer: httpx.AsyncClient,
) -> None:
    programme = await create_programme(organizer, open_it=False)
    assert programme["state"] == "draft" and programme["state_name"] == "草稿"
    assert programme["kind_name"] == "亦城工匠"
    assert programme["allowed_transitions"] == ["open"]
    assert [c["text"] for c in programme["constraints"]] == [
        "一线职工不少于60%",
        "企业负责人不超过10%",
        "女性不少于30%",
    ]
    assert programme["eligibility_text"] == ["须为工会会员"]
    assert programme["review_rules"]["stages"][0]["weight_percent"] == "100"
    assert programme["notice_length"] == 5 and programme["notice_unit"] == "working_days"
    again = await organizer.get(f"/api/programmes/{programme['id']}")
    assert again.json() == programme
    audit = (await organizer.get("/api/audit/", params={"action": "programme.create"})).json()
    assert audit["items"][0]["entity_id"] == str(programme["id"])


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"constraints": [{"attribute": "front_line", "bound": "at_least", "percent": "120"}]},
            "constraints[0].percent",
            "percent_out_of_range",
        ),
        (
            {"constraints": [{"attribute": "front_line", "bound": "at_least", "percent": "-1"}]},
            "constraints[0].percent",
            "percent_out_of_range",
        ),
        (
            {"constraints": [{"attribute": "tall", "bound": "at_least", "percent": "10"}]},
            "constraints[0].attribute",
            "validation_error",
        ),
        (
            {
                "constraints": [
                    {"attribute": "female", "bound": "at_least", "percent": "30"},
                    {"attribute": "female", "bound": "at_least", "percent": "20"},
                ]
            },
            "constraints[1].attribute",
            "duplicate_constraint",
        ),
        (
            {
                "constraints": [
                    {"attribute": "female", "bound": "at_least", "percent": "30"},
                    {"attribute": "female", "bound": "at_most", "percent": "20"},
                ]
            },
            "constraints[1].percent",
            "constraint_range_inverted",
        ),
        ({"name": "   "}, "name", "validation_error"),  # a certificate would read 在“”评选活动中
        ({"nomination_closes_at": "2020-01-01T00:00:00+08:00"}, "nomination_closes_at", "window_inverted"),
        ({"eligibility": {"min_age": 50, "max_age": 30}}, "eligibility.max_age", "age_range_inverted"),
        ({"eligibility": {"max_per_enterprise": 2}}, "eligibility.max_per_enterprise", "not_for_programmes"),
        ({"eligibility": {"min_years_employed": 0}}, "eligibility.min_years_employed", "not_positive"),
        ({"quotas": {"999999": 2}}, "quotas", "unknown_reference"),
        ({"quota_scope": "industry", "quotas": {"shipbuilding": 2}}, "quotas", "unknown_industry"),
        (
            {"qualifying_results": [{"competition_id": 424242, "max_tier": 1, "effect": "eligible"}]},
            "qualifying_results[0].competition_id",
            "unknown_reference",
        ),
        (
            {
                "review_rules": {
                    **REVIEW_RUBRIC,
                    "stages": [
                        {**REVIEW_RUBRIC["stages"][0], "weight_percent": "60"},
                        {**REVIEW_RUBRIC["stages"][0], "id": "second", "weight_percent": "40"},
                    ],
                }
            },
            "review_rules.stages",
            "review_rules_one_stage",
        ),
        (
            {
                "review_rules": {
                    **REVIEW_RUBRIC,
                    "stages": [{**REVIEW_RUBRIC["stages"][0], "full_marks": "90"}],
                }
            },
            "review_rules.stages[0]",
            None,
        ),
        ({"notice_length": 0}, "notice_length", "validation_error"),
        ({"notice_unit": "weeks"}, "notice_unit", "validation_error"),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    organizer: httpx.AsyncClient, overrides: dict[str, Any], field: str, code: str | None
) -> None:
    response = await organizer.post("/api/programmes/", json=programme_payload(**overrides))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"].startswith(field), body
    if code:
        assert body["code"] == code, body
    assert (await organizer.get("/api/programmes/")).json() == []


async def test_quotas_per_union_and_per_industry(organizer: httpx.AsyncClient, world: dict[str, Any]) -> None:
    union_a, union_b = world["unions"]
    by_union = await create_programme(organizer, quotas={str(union_a): 5, str(union_b): 1})
    assert by_union["quotas"] == {str(union_a): 5, str(union_b): 1}
    by_industry = await create_programme(
        organizer,
        name="爱企业的好职工",
        kind="good_employee",
        quota_scope="industry",
        default_quota=None,
        quotas={"biomedicine": 40, "other": 10},
    )
    assert by_industry["quota_scope"] == "industry"
    usage = (await organizer.get(f"/api/programmes/{by_industry['id']}/quota-usage")).json()
    assert [(u["group"], u["group_name"], u["quota"], u["used"]) for u in usage] == [
        ("biomedicine", "生物技术和大健康", 40, 0),
        ("other", "其他", 10, 0),
    ]


async def test_lifecycle_runs_forward_only_and_a_wrong_step_is_409_with_the_current_state(
    organizer: httpx.AsyncClient,
) -> None:
    """The first half of the lifecycle (the later states are the later half's, with their own checks)."""
    programme = await create_programme(organizer, open_it=False)
    pid = programme["id"]
    response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "expert_review"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["detail"] == {"current": "draft", "target": "expert_review", "allowed": ["open"]}
    assert "草稿" in body["message"]
    for target in ["open", "eligibility_review", "expert_review"]:
        response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": target})
        assert response.status_code == 200, (target, response.text)
        assert response.json()["state"] == target
    for wrong in ["open", "draft", "awarded", "archived", "expert_review"]:
        response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": wrong})
        assert response.status_code == 409, wrong
        assert response.json()["detail"]["current"] == "expert_review"
        assert response.json()["detail"]["allowed"] == ["shortlist"]
    bad = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "finished"})
    assert bad.status_code == 422 and bad.json()["field"] == "target"
    assert (await organizer.get(f"/api/programmes/{pid}")).json()["state"] == "expert_review"
    audit = (await organizer.get("/api/audit/", params={"action": "programme.transition"})).json()
    assert [(a["before"]["state"], a["after"]["state"]) for a in reversed(audit["items"])] == [
        ("draft", "open"),
        ("open", "eligibility_review"),
        ("eligibility_review", "expert_review"),
    ]
    missing = await organizer.post("/api/programmes/999999/transition", json={"target": "open"})
    assert missing.status_code == 404


async def test_transition_with_a_stale_version_is_409(organizer: httpx.AsyncClient) -> None:
    programme = await create_programme(organizer, open_it=False)
    response = await organizer.post(
        f"/api/programmes/{programme['id']}/transition",
        json={"target": "open", "version": programme["version"] + 5},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


async def test_expert_review_needs_every_nomination_reviewed_and_a_rubric(
    app: Litestar, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, review_rules=None)
    pid = programme["id"]
    async with new_client(app) as officer:
        await login(officer, "officer")
        response = await officer.post(
            f"/api/programmes/{pid}/nominations", json=nomination_body(world["people"][0])
        )
        assert response.status_code == 201, response.text
    await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "eligibility_review"})
    response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "expert_review"})
    assert response.status_code == 409
    assert response.json()["code"] == "eligibility_unreviewed"
    assert response.json()["detail"]["unreviewed"] == 1
    confirmed = await organizer.post(f"/api/programmes/{pid}/eligibility/confirm", json={})
    assert confirmed.json()["confirmed"] == 1
    response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "expert_review"})
    assert response.status_code == 409
    assert response.json()["code"] == "review_rules_missing"
    current = (await organizer.get(f"/api/programmes/{pid}")).json()
    response = await organizer.patch(
        f"/api/programmes/{pid}", json={"version": current["version"], "review_rules": REVIEW_RUBRIC}
    )
    assert response.status_code == 200, response.text
    response = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "expert_review"})
    assert response.status_code == 200


async def test_patch_checks_the_version_and_is_audited(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    pid = programme["id"]
    stale = await organizer.patch(
        f"/api/programmes/{pid}", json={"version": programme["version"] - 1, "default_quota": 5}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.json()["detail"] == {"current_version": programme["version"]}
    response = await organizer.patch(
        f"/api/programmes/{pid}",
        json={
            "version": programme["version"],
            "default_quota": 5,
            "quotas": {str(world["unions"][1]): 2},
            "reason": "名额调整",
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["default_quota"] == 5 and updated["version"] == programme["version"] + 1
    audit = (await organizer.get("/api/audit/", params={"action": "programme.update"})).json()["items"][0]
    assert audit["before"] == {"default_quota": 3, "quotas": {}}
    assert audit["after"] == {"default_quota": 5, "quotas": {str(world["unions"][1]): 2}}
    assert audit["reason"] == "名额调整"


async def test_rules_and_quotas_are_locked_after_nominations_close(organizer: httpx.AsyncClient) -> None:
    programme = await create_programme(organizer)
    pid = programme["id"]
    moved = (
        await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "eligibility_review"})
    ).json()
    for change in (
        {"eligibility": {"front_line_only": True}},
        {"constraints": []},
        {"quotas": {}},
        {"default_quota": 9},
    ):
        response = await organizer.patch(
            f"/api/programmes/{pid}", json={"version": moved["version"], **change}
        )
        assert response.status_code == 409, change
        assert response.json()["code"] == "programme_locked"
    # The notice length and the name may still change.
    response = await organizer.patch(
        f"/api/programmes/{pid}",
        json={"version": moved["version"], "notice_length": 7, "notice_unit": "calendar_days"},
    )
    assert response.status_code == 200
    assert response.json()["notice_unit"] == "calendar_days"


async def test_changing_the_rules_while_open_rechecks_undecided_nominations(
    app: Litestar, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    programme = await create_programme(organizer)
    pid = programme["id"]
    office_worker = await add_member(
        organizer, union_a, world["enterprises"][0], name="坐办公室", front_line=False
    )
    async with new_client(app) as officer:
        await login(officer, "officer")
        created = await officer.post(
            f"/api/programmes/{pid}/nominations", json=nomination_body(office_worker)
        )
        assert created.json()["nomination"]["eligibility_status"] == "eligible"
    response = await organizer.patch(
        f"/api/programmes/{pid}",
        json={
            "version": programme["version"],
            "eligibility": {"union_member_required": True, "front_line_only": True},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["eligibility_text"] == ["须为工会会员", "仅限一线职工"]
    nomination = (await organizer.get(f"/api/nominations/{created.json()['nomination']['id']}")).json()
    assert nomination["eligibility_status"] == "ineligible"
    assert [r["code"] for r in nomination["eligibility_reasons"]] == ["not_front_line"]


async def test_public_reads_show_no_drafts_and_no_quotas(
    client: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    draft = await create_programme(organizer, open_it=False, name="草稿评选")
    opened = await create_programme(organizer, quotas={str(world["unions"][0]): 4})
    listed = (await client.get("/api/public/programmes/")).json()
    assert [p["id"] for p in listed] == [opened["id"]]
    assert "quotas" not in listed[0] and "review_rules" not in listed[0]
    assert listed[0]["constraints"] == ["一线职工不少于60%", "企业负责人不超过10%", "女性不少于30%"]
    assert (await client.get(f"/api/public/programmes/{draft['id']}")).status_code == 404
    assert (await client.get(f"/api/public/programmes/{opened['id']}")).json()["name"] == "2026 年亦城工匠"
    assert "set-cookie" not in (await client.get("/api/public/programmes/")).headers


async def test_union_officer_sees_the_programme_and_their_quota(
    app: Litestar, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    union_a = world["unions"][0]
    await create_programme(organizer, open_it=False, name="草稿不显示")
    programme = await create_programme(organizer, quotas={str(union_a): 2})
    async with new_client(app) as officer:
        await login(officer, "officer")
        await officer.post(
            f"/api/programmes/{programme['id']}/nominations", json=nomination_body(world["people"][0])
        )
        mine = (await officer.get("/api/union/programmes")).json()
        assert len(mine) == 1
        assert mine[0]["programme"]["id"] == programme["id"]
        assert mine[0]["nomination_open_now"] is True
        assert mine[0]["quota"] == {
            "programme_id": programme["id"],
            "group": str(union_a),
            "group_name": "甲公司工会",
            "quota": 2,
            "used": 1,
            "left": 1,
        }
        assert (await officer.post("/api/programmes/", json=programme_payload())).status_code == 403


def test_a_programmes_rules_in_words_measure_at_the_nomination_deadline() -> None:
    """The same words as a competition's page, measured at the programme's own deadline or declared day."""
    from awards.programmes import eligibility_text
    from competitions.rules import EligibilityRules

    rules = EligibilityRules(min_age=18, max_age=55, min_years_employed=2, front_line_only=True)
    assert eligibility_text(rules) == [
        "年龄 18–55 周岁（以推荐截止日计）",
        "仅限一线职工",
        "须在本区连续工作满 2 年（以推荐截止日计）",
    ]
    dated = EligibilityRules(min_age=18, age_reference_date=dt.date(2026, 6, 30))
    assert eligibility_text(dated) == ["年龄满 18 周岁（以 2026-06-30 计）"]
    assert eligibility_text(EligibilityRules()) == []
