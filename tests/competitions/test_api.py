"""The competitions API over a real database: set-up, lifecycle, registration, review, privacy, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import httpx
import openpyxl
import pytest
from litestar import Litestar

from accounts.tables import AuditLog, Person, User
from competitions import checkin, lifecycle, registration, service
from competitions.rules import EligibilityRules
from competitions.tables import Competition, Registration
from core.db import utcnow
from tests.competitions.support import ORGANIZER, competition_body, make_competition, make_people
from tests.helpers import (
    PASSWORD,
    login,
    make_id_number,
    make_mobile,
    members_consent,
    new_client,
    own_consent,
)


async def audit_rows(action: str) -> list[dict[str, Any]]:
    return await AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)


# --- organizers set up competitions -----------------------------------------------------------------------


async def test_organizer_creates_series_and_competition_public_sees_it_once_open(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    series = await client.post("/api/series/", json={"name": "2026 年亦城职工职业技能竞赛", "year": 2026})
    assert series.status_code == 201, series.text
    body = competition_body(series_id=series.json()["id"], eligibility={"min_age": 18, "max_age": 55})
    created = await client.post("/api/competitions/", json=body)
    assert created.status_code == 201, created.text
    competition = created.json()
    assert competition["state"] == "draft" and competition["series_name"] == "2026 年亦城职工职业技能竞赛"
    assert [s["weight_percent"] for s in competition["stages"]] == ["30.00", "70.00"]
    assert competition["eligibility_text"][0].startswith("年龄 18–55 周岁")
    async with new_client(client._transport.app) as public:  # type: ignore[attr-defined]
        assert (await public.get("/api/competitions/")).json() == []
        hidden = await public.get(f"/api/competitions/{competition['id']}")
        assert hidden.status_code == 404 and hidden.json()["field"] == "competition_id"
        opened = await client.post(
            f"/api/competitions/{competition['id']}/transition", json={"target": "open", "version": 1}
        )
        assert opened.status_code == 200 and opened.json()["state"] == "open"
        listed = (await public.get("/api/competitions/")).json()
        assert [c["id"] for c in listed] == [competition["id"]] and listed[0]["registration_open_now"]
        detail = (await public.get(f"/api/competitions/{competition['id']}")).json()
        assert detail["stages"][1]["kind_name"] == "技能操作" and detail["accepted_count"] == 0
    assert (await audit_rows("competition.create"))[0]["entity_id"] == str(competition["id"])


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"stages": [{"name": "理论", "kind": "theory", "weight_percent": "30"}]},
            "stages",
            "weights_sum_not_100",
        ),
        (
            {
                "stages": [
                    {"name": "理论", "kind": "theory", "weight_percent": "30"},
                    {"name": "实操", "kind": "cooking", "weight_percent": "70"},
                ]
            },
            "stages[1].kind",
            "kind_unknown",
        ),
        ({"stages": []}, "stages", "stages_empty"),
        (
            {
                "stages": [
                    {"name": " ", "kind": "theory", "weight_percent": "30"},
                    {"name": "实操", "kind": "practical", "weight_percent": "70"},
                ]
            },
            "stages[0].name",
            "name_blank",
        ),
        ({"eligibility": {"min_age": 50, "max_age": 20}}, "eligibility.max_age", "age_range_inverted"),
        ({"eligibility": {"max_per_enterprise": 0}}, "eligibility.max_per_enterprise", "not_positive"),
        ({"eligibility": {"min_age": "old"}}, "eligibility.min_age", "validation_error"),
        ({"registration_opens_at": "2026-12-01T09:00:00"}, "registration_opens_at", "validation_error"),
        ({"capacity": 0}, "capacity", "validation_error"),
        ({"title": ""}, "title", "validation_error"),
        ({"industry": "mining"}, "industry", "validation_error"),
        ({"series_id": 424242}, "series_id", "unknown_reference"),
    ],
)
async def test_bad_competition_input_names_the_field(
    client: httpx.AsyncClient, world: dict[str, Any], overrides: dict[str, Any], field: str, code: str
) -> None:
    await login(client, "organizer")
    response = await client.post("/api/competitions/", json=competition_body(**overrides))
    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert await Competition.count() == 0


async def test_every_problem_of_the_stages_and_rules_is_listed(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    stages = [
        {"name": "", "kind": "theory", "weight_percent": "30"},
        {"name": "实操", "kind": "practical", "weight_percent": "60.555"},
    ]
    body = competition_body(stages=stages, eligibility={"least_senior_level": 4, "most_senior_level": 5})
    response = await client.post("/api/competitions/", json=body)
    assert response.status_code == 422
    problems = [(p["field"], p["code"]) for p in response.json()["detail"]["problems"]]
    assert problems == [
        ("stages[0].name", "name_blank"),
        ("stages[1].weight_percent", "weight_too_precise"),
        ("stages", "weights_sum_not_100"),
        ("eligibility.most_senior_level", "level_range_inverted"),
    ]


async def test_inverted_window_is_refused(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    now = utcnow()
    body = competition_body(
        registration_opens_at=now.isoformat(), registration_closes_at=(now - dt.timedelta(days=1)).isoformat()
    )
    response = await client.post("/api/competitions/", json=body)
    assert response.status_code == 422 and response.json()["field"] == "registration_closes_at"


async def test_lifecycle_refuses_a_skipped_step_with_409_and_the_current_state(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    competition_id = await make_competition(state="draft")
    response = await client.post(f"/api/competitions/{competition_id}/transition", json={"target": "closed"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition" and body["detail"]["current"] == "draft"
    assert body["detail"]["allowed"] == ["open"]
    for target in ("open", "closed", "checked_in"):
        step = await client.post(f"/api/competitions/{competition_id}/transition", json={"target": target})
        assert step.status_code == 200, step.text
    not_drawn = await client.post(
        f"/api/competitions/{competition_id}/transition", json={"target": "in_progress"}
    )
    assert not_drawn.status_code == 409 and not_drawn.json()["code"] == "not_drawn"
    stale = await client.post(
        f"/api/competitions/{competition_id}/transition", json={"target": "in_progress", "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    steps = [(r["before"], r["after"]) for r in await audit_rows("competition.transition")]
    assert len(steps) == 3 and '"checked_in"' in steps[-1][1]


async def test_relied_fields_need_reopening_after_registration_opened(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    competition_id = await make_competition()
    url = f"/api/competitions/{competition_id}"
    version = (await client.get(url)).json()["version"]
    rules = {"union_member_required": True}
    refused = await client.patch(url, json={"version": version, "eligibility": rules})
    assert refused.status_code == 409 and refused.json()["code"] == "reopen_required"
    assert refused.json()["detail"] == {"current": "open"}
    no_reason = await client.patch(url, json={"version": version, "eligibility": rules, "reopen": True})
    assert no_reason.status_code == 409 and no_reason.json()["field"] == "reason"
    # Moving the schedule is not a change of terms: no reopening needed.
    schedule = competition_body()["stages"]
    schedule[0] |= {"starts_at": "2026-12-20T09:00:00+08:00", "ends_at": "2026-12-20T10:30:00+08:00"}
    moved = await client.patch(url, json={"version": version, "stages": schedule})
    assert moved.status_code == 200, moved.text
    version = moved.json()["competition"]["version"]
    changed = await client.patch(
        url, json={"version": version, "eligibility": rules, "reopen": True, "reason": "按文件要求限工会会员"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["competition"]["eligibility"]["union_member_required"] is True
    update = (await audit_rows("competition.update"))[-1]
    assert update["reason"] == "按文件要求限工会会员" and "union_member_required" in update["after"]


async def test_reopening_a_closed_competition_rechecks_registrations(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    competition_id = await make_competition()
    young, old = (
        await make_people(1, birth=dt.date(2000, 1, 1)),
        await make_people(1, birth=dt.date(1960, 1, 1)),
    )
    for person in young + old:
        await registration.register_person(ORGANIZER, competition_id, person)
    url = f"/api/competitions/{competition_id}"
    await client.post(f"{url}/transition", json={"target": "closed"})
    version = (await client.get(url)).json()["version"]
    response = await client.patch(
        url, json={"version": version, "eligibility": {"max_age": 45}, "reopen": True, "reason": "年龄上限"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["competition"]["state"] == "open"
    assert [f["registration_no"] for f in body["flagged"]] == [f"C{competition_id:04d}-00002"]
    flagged = await Registration.select().where(Registration.person == old[0]).first()
    assert flagged["review"] == "pending" and "年龄" in flagged["review_reason"]
    assert flagged["status"] == "accepted"  # back to review, never dropped silently


async def test_relied_fields_are_frozen_from_check_in(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    competition_id = await make_competition()
    url = f"/api/competitions/{competition_id}"
    for target in ("closed", "checked_in"):
        await client.post(f"{url}/transition", json={"target": target})
    version = (await client.get(url)).json()["version"]
    stages = [{"name": "实操", "kind": "practical", "weight_percent": "100"}]
    response = await client.patch(
        url, json={"version": version, "stages": stages, "reopen": True, "reason": "x"}
    )
    assert response.status_code == 409 and response.json()["code"] == "relied_fields_frozen"


async def test_capacity_cannot_drop_below_accepted(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    competition_id = await make_competition(capacity=5)
    for person in await make_people(3):
        await registration.register_person(ORGANIZER, competition_id, person)
    url = f"/api/competitions/{competition_id}"
    version = (await client.get(url)).json()["version"]
    response = await client.patch(url, json={"version": version, "capacity": 2})
    assert response.status_code == 422 and response.json()["field"] == "capacity"


# --- registration -----------------------------------------------------------------------------------------


async def test_contestant_registers_once_second_try_returns_the_first(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "contestant")
    first = await client.post(f"/api/competitions/{competition_id}/registrations", json={})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["outcome"] == "accepted" and body["created"] is True
    assert body["registration"]["registration_no"] == f"C{competition_id:04d}-00001"
    assert body["registration"]["person_id"] == world["people"][0]
    again = await client.post(f"/api/competitions/{competition_id}/registrations", json={})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["registration"]["id"] == body["registration"]["id"]
    assert await Registration.count() == 1
    mine = (await client.get("/api/my/registrations")).json()
    assert [r["id"] for r in mine] == [body["registration"]["id"]] and mine[0]["status_name"] == "已报名"
    other = await client.post(
        f"/api/competitions/{competition_id}/registrations", json={"person_id": world["people"][1]}
    )
    assert other.status_code == 403 and other.json()["field"] == "person_id"


async def test_past_capacity_joins_the_waitlist_and_withdrawal_promotes_the_first(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(capacity=1)
    await login(client, "officer")
    url = f"/api/competitions/{competition_id}/registrations"
    union_a_people = [world["people"][0], world["people"][2]]
    accepted = (await client.post(url, json={"person_id": union_a_people[0]})).json()
    waiting = await client.post(url, json={"person_id": union_a_people[1]})
    assert waiting.status_code == 201
    assert (
        waiting.json()["outcome"] == "waitlisted" and waiting.json()["registration"]["waitlist_position"] == 1
    )
    assert "候补第 1 位" in waiting.json()["message"]
    withdrawn = await client.post(
        f"/api/registrations/{accepted['registration']['id']}/withdraw", json={"reason": "工作安排冲突"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    promoted = (await client.get(f"/api/registrations/{waiting.json()['registration']['id']}")).json()
    assert promoted["status"] == "accepted" and promoted["waitlist_position"] is None
    promotion = (await audit_rows("registration.promote"))[0]
    assert (promotion["actor_name"], promotion["reason"]) == ("系统", "候补递补")
    row = await Competition.select(Competition.accepted_count).where(Competition.id == competition_id).first()
    assert row["accepted_count"] == 1


async def test_ineligible_gets_every_reason_and_nothing_is_written(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    rules = EligibilityRules(
        max_age=30,
        least_senior_level=2,
        union_member_required=True,
        front_line_only=True,
        max_per_enterprise=5,
    )
    competition_id = await make_competition(eligibility=rules)
    await login(client, "organizer")
    person = (
        await make_people(1, birth=dt.date(1970, 1, 1), union_member=False, front_line=False, skill_level=4)
    )[0]
    audit_before = await AuditLog.count()
    response = await client.post(
        f"/api/competitions/{competition_id}/registrations", json={"person_id": person}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "not_eligible"
    codes = [r["code"] for r in body["detail"]["reasons"]]
    assert codes == ["age_out_of_range", "skill_level_too_low", "not_union_member", "not_front_line"]
    assert all(r["message"] for r in body["detail"]["reasons"])
    assert await Registration.count() == 0 and await AuditLog.count() == audit_before


async def test_at_most_n_per_enterprise(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    competition_id = await make_competition(eligibility=EligibilityRules(max_per_enterprise=1))
    await login(client, "officer")
    url = f"/api/competitions/{competition_id}/registrations"
    assert (await client.post(url, json={"person_id": world["people"][0]})).status_code == 201
    second = await client.post(url, json={"person_id": world["people"][2]})
    assert second.status_code == 422
    assert [r["code"] for r in second.json()["detail"]["reasons"]] == ["enterprise_limit_reached"]


@pytest.mark.parametrize(
    ("window", "code"),
    [
        ((dt.timedelta(days=1), dt.timedelta(days=5)), "registration_not_started"),
        ((dt.timedelta(days=-5), dt.timedelta(days=-1)), "registration_closed"),
    ],
)
async def test_registration_outside_the_window_is_refused(
    client: httpx.AsyncClient, world: dict[str, Any], window: tuple[dt.timedelta, dt.timedelta], code: str
) -> None:
    now = utcnow()
    competition_id = await make_competition(opens=now + window[0], closes=now + window[1])
    await login(client, "contestant")
    response = await client.post(f"/api/competitions/{competition_id}/registrations", json={})
    assert response.status_code == 409, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, "competition_id")


async def test_closed_draft_or_unknown_competition_is_refused(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "contestant")
    draft = await make_competition(state="draft")
    unknown = await client.post("/api/competitions/424242/registrations", json={})
    assert unknown.status_code == 404 and unknown.json()["field"] == "competition_id"
    assert (await client.post(f"/api/competitions/{draft}/registrations", json={})).status_code == 404
    closed = await make_competition()
    await lifecycle.transition(ORGANIZER, closed, "closed")
    refused = await client.post(f"/api/competitions/{closed}/registrations", json={})
    assert refused.status_code == 409 and refused.json()["code"] == "registration_closed"


async def test_union_officer_registers_only_their_own_members(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    url = f"/api/competitions/{competition_id}/registrations"
    foreign = await client.post(url, json={"person_id": world["people"][1]})
    assert foreign.status_code == 403 and foreign.json()["field"] == "person_id"
    new_person = {
        "name": "李新",
        "id_number": make_id_number(),
        "mobile": make_mobile(),
        "employer_id": world["enterprises"][0],
        "skill_level": 3,
        "front_line": True,
    }
    created = await client.post(url, json={"person": new_person, "members_consent": members_consent()})
    assert created.status_code == 201, created.text
    registration = created.json()["registration"]
    officer = await User.select(User.id).where(User.username == "officer").first()
    assert registration["registered_by"] == officer["id"]
    person = await Person.select(Person.union).where(Person.id == registration["person_id"]).first()
    assert person["union"] == world["unions"][0]
    bad = await client.post(
        url,
        json={
            "person": new_person | {"id_number": "110105199013321234"},
            "members_consent": members_consent(),
        },
    )
    assert bad.status_code == 422 and bad.json()["field"] == "person.id_number"
    listed = (await client.get(url)).json()
    assert listed["total"] == 1 and listed["items"][0]["id_number"].count("*") == 10


async def test_public_sign_up_creates_account_registers_and_logs_in(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(eligibility=EligibilityRules(zone_enterprise_required=True))
    body = {
        "name": "赵一线",
        "id_number": make_id_number(dt.date(1992, 2, 2)),
        "mobile": make_mobile(),
        "employer_id": world["enterprises"][1],
        "skill_level": 4,
        "union_member": True,
        "front_line": True,
        "username": "zhao_yixian",
        "password": "Welder2026",
        "consent": own_consent(),
    }
    response = await client.post(f"/api/competitions/{competition_id}/signup", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == "accepted"
    me = (await client.get("/api/auth/me")).json()
    assert me["role"] == "contestant" and me["username"] == "zhao_yixian"
    mine = (await client.get("/api/my/registrations")).json()
    assert len(mine) == 1 and mine[0]["name"] == "赵一线"
    person = await Person.select(Person.union).where(Person.id == me["person_id"]).first()
    assert person["union"] == world["unions"][1]  # the employer's union
    async with new_client(client._transport.app) as again:  # type: ignore[attr-defined]
        taken = await again.post(
            f"/api/competitions/{competition_id}/signup", json=body | {"username": "x_y_z"}
        )
        assert taken.status_code == 409 and taken.json()["code"] == "account_exists"


@pytest.mark.parametrize(
    ("overrides", "status", "field", "code"),
    [
        ({"id_number": "110105199002301231"}, 422, "id_number", "bad_birth_date"),
        ({"id_number": "12345"}, 422, "id_number", "wrong_length"),
        ({"mobile": "1234"}, 422, "mobile", "bad_mobile"),
        ({"password": "short"}, 422, "password", "weak_password"),
        ({"username": "a"}, 422, "username", "validation_error"),
        ({"username": "organizer"}, 409, "username", "duplicate"),
        ({"employer_id": 424242}, 422, "employer_id", "unknown_reference"),
        ({"skill_level": 9}, 422, "skill_level", "validation_error"),
    ],
)
async def test_bad_sign_up_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    overrides: dict[str, Any],
    status: int,
    field: str,
    code: str,
) -> None:
    competition_id = await make_competition()
    body = {
        "name": "钱不对",
        "id_number": make_id_number(),
        "mobile": make_mobile(),
        "username": "qian_budui",
        "password": "Welder2026",
        "consent": own_consent(),
    } | overrides
    people, users = await Person.count(), await User.count()
    response = await client.post(f"/api/competitions/{competition_id}/signup", json=body)
    assert response.status_code == status, response.text
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert (await Person.count(), await User.count(), await Registration.count()) == (people, users, 0)


async def test_ineligible_sign_up_writes_no_account(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    competition_id = await make_competition(
        eligibility=EligibilityRules(union_member_required=True, min_age=18)
    )
    body = {
        "name": "孙小",
        "id_number": make_id_number(dt.date(2015, 1, 1)),
        "mobile": make_mobile(),
        "username": "sun_xiao",
        "password": "Welder2026",
        "consent": own_consent(),
    }
    people, users = await Person.count(), await User.count()
    response = await client.post(f"/api/competitions/{competition_id}/signup", json=body)
    assert response.status_code == 422
    assert [r["code"] for r in response.json()["detail"]["reasons"]] == [
        "age_out_of_range",
        "not_union_member",
    ]
    assert (await Person.count(), await User.count()) == (people, users)
    assert (await client.get("/api/auth/me")).json() is None


async def test_a_person_registered_by_their_union_can_claim_it_with_name_and_mobile(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    id_number, mobile = make_id_number(), make_mobile()
    async with new_client(client._transport.app) as officer:  # type: ignore[attr-defined]
        await login(officer, "officer")
        person = {"name": "周认领", "id_number": id_number, "mobile": mobile, "union_member": True}
        created = await officer.post(
            f"/api/competitions/{competition_id}/registrations",
            json={"person": person, "members_consent": members_consent()},
        )
        assert created.status_code == 201
    body = {
        "name": "周认领",
        "id_number": id_number,
        "username": "zhou_rl",
        "password": "Welder2026",
        "consent": own_consent(),
    }
    mismatch = await client.post(
        f"/api/competitions/{competition_id}/signup", json=body | {"mobile": make_mobile()}
    )
    assert mismatch.status_code == 409 and mismatch.json()["code"] == "person_mismatch"
    claimed = await client.post(f"/api/competitions/{competition_id}/signup", json=body | {"mobile": mobile})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["created"] is False
    assert claimed.json()["registration"]["id"] == created.json()["registration"]["id"]


async def test_nobody_sees_another_contestants_data(app: Litestar, world: dict[str, Any]) -> None:
    competition_id = await make_competition()
    other = await registration.register_person(ORGANIZER, competition_id, world["people"][1])
    async with new_client(app) as contestant, new_client(app) as public:
        await login(contestant, "contestant")
        response = await contestant.get(f"/api/registrations/{other.registration.id}")
        assert response.status_code == 404
        assert (await contestant.get("/api/my/registrations")).json() == []
        listing = await contestant.get(f"/api/competitions/{competition_id}/registrations")
        assert listing.status_code == 403
        detail = (await public.get(f"/api/competitions/{competition_id}")).text
        assert "测试一" not in detail and other.registration.registration_no not in detail
    async with new_client(app) as officer:
        await login(officer, "officer")  # union A; person 1 is in union B
        assert (await officer.get(f"/api/registrations/{other.registration.id}")).status_code == 404
        assert (await officer.get(f"/api/competitions/{competition_id}/registrations")).json()["total"] == 0


# --- review, exports --------------------------------------------------------------------------------------


async def test_review_approve_and_reject_with_reason(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(capacity=1)
    first = await registration.register_person(ORGANIZER, competition_id, world["people"][0])
    second = await registration.register_person(ORGANIZER, competition_id, world["people"][1])
    await login(client, "organizer")
    url = f"/api/registrations/{first.registration.id}/review"
    no_reason = await client.post(url, json={"decision": "reject"})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    approved = await client.post(
        f"/api/registrations/{second.registration.id}/review", json={"decision": "approve"}
    )
    assert approved.status_code == 200 and approved.json()["review"] == "approved"
    rejected = await client.post(url, json={"decision": "reject", "reason": "工龄证明不全", "version": 1})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["review_reason"]) == ("rejected", "工龄证明不全")
    moved_up = (await client.get(f"/api/registrations/{second.registration.id}")).json()
    assert moved_up["status"] == "accepted"
    again = await client.post(url, json={"decision": "approve"})
    assert again.status_code == 409 and again.json()["code"] == "not_reviewable"
    filtered = (
        await client.get(f"/api/competitions/{competition_id}/registrations", params={"status": "rejected"})
    ).json()
    assert [r["id"] for r in filtered["items"]] == [first.registration.id]
    assert (await audit_rows("registration.reject"))[0]["reason"] == "工龄证明不全"


async def test_bulk_approve(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    competition_id = await make_competition()
    ids = [
        (await registration.register_person(ORGANIZER, competition_id, p)).registration.id
        for p in world["people"]
    ]
    await login(client, "organizer")
    response = await client.post(
        f"/api/competitions/{competition_id}/registrations/review",
        json={"registration_ids": ids, "decision": "approve"},
    )
    assert response.status_code == 200 and {r["review"] for r in response.json()} == {"approved"}
    unknown = await client.post(
        f"/api/competitions/{competition_id}/registrations/review",
        json={"registration_ids": [424242], "decision": "approve"},
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "registration_ids"


async def test_exports_are_masked_unless_full_which_is_audited(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    id_number, mobile = make_id_number(), make_mobile()
    person = (await make_people(1))[0]
    await Person.update({Person.name: "=HYPERLINK(1)"}).where(Person.id == person)
    await registration.register_person(ORGANIZER, competition_id, person)
    async with new_client(client._transport.app) as officer:  # type: ignore[attr-defined]
        await login(officer, "officer")
        created = await officer.post(
            f"/api/competitions/{competition_id}/registrations",
            json={
                "person": {"name": "吴导出", "id_number": id_number, "mobile": mobile},
                "members_consent": members_consent(),
            },
        )
        assert created.status_code == 201
        assert (
            await officer.get(f"/api/competitions/{competition_id}/registrations/export")
        ).status_code == 403
    await login(client, "organizer")
    url = f"/api/competitions/{competition_id}/registrations/export"
    masked = await client.get(url, params={"format": "csv"})
    assert masked.status_code == 200 and masked.content.startswith("\ufeff".encode())
    assert "attachment" in masked.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(masked.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["报名号", "姓名", "性别"] and len(rows) == 3
    assert id_number not in masked.text and mobile not in masked.text
    assert rows[1][1] == "'=HYPERLINK(1)"  # no formula injection
    assert await audit_rows("registration.export_full") == []
    no_purpose = await client.get(url, params={"format": "xlsx", "full": "true"})
    assert no_purpose.status_code == 422 and no_purpose.json()["field"] == "purpose"
    assert await audit_rows("person.unseal") == []
    full = await client.get(url, params={"format": "xlsx", "full": "true", "purpose": "购买赛事保险"})
    sheet = openpyxl.load_workbook(io.BytesIO(full.content), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[2][4] == id_number and values[2][5] == mobile
    audit = await audit_rows("registration.export_full")
    assert len(audit) == 1 and audit[0]["entity_id"] == str(competition_id)
    assert audit[0]["reason"] == "购买赛事保险"
    unsealed = await audit_rows("person.unseal")  # one row per person whose numbers were opened
    assert len(unsealed) == 2 and {r["reason"] for r in unsealed} == {"购买赛事保险"}
    assert id_number not in str(unsealed) and mobile not in str(unsealed)


# --- check-in and the lot draw ----------------------------------------------------------------------------


async def test_check_in_and_draw_then_scoring_locks_the_draw(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    people = await make_people(5)
    ids = [(await registration.register_person(ORGANIZER, competition_id, p)).registration for p in people]
    await login(client, "organizer")
    base = f"/api/competitions/{competition_id}"
    early = await client.post(f"{base}/checkin", json={"registration_id": ids[0].id})
    assert early.status_code == 409 and early.json()["code"] == "checkin_not_open"
    await client.post(f"{base}/transition", json={"target": "closed"})
    unapproved = await client.post(f"{base}/checkin", json={"registration_id": ids[0].id})
    assert unapproved.status_code == 409 and unapproved.json()["code"] == "not_approved"
    await client.post(
        f"{base}/registrations/review", json={"registration_ids": [r.id for r in ids], "decision": "approve"}
    )
    person_ids = await Person.select(Person.id, Person.id_sealed).where(Person.id.is_in(people))
    from core.crypto import unseal

    by_id = {r["id"]: unseal(bytes(r["id_sealed"])) for r in person_ids}
    scanned = await client.post(f"{base}/checkin", json={"code": by_id[people[0]]})
    assert scanned.status_code == 200 and scanned.json()["attendance"] == "present"
    typed = await client.post(f"{base}/checkin", json={"code": ids[1].registration_no.lower()})
    assert typed.status_code == 200 and typed.json()["attendance"] == "present"
    for entered in ids[2:4]:
        await client.post(f"{base}/checkin", json={"registration_id": entered.id})
    absent = await client.post(f"{base}/checkin", json={"registration_id": ids[4].id, "attendance": "absent"})
    assert absent.json()["attendance"] == "absent"
    malformed = await client.post(f"{base}/checkin", json={"code": "1101051990"})
    assert malformed.status_code == 422 and malformed.json()["field"] == "code"
    unknown = await client.post(f"{base}/checkin", json={"code": make_id_number()})
    assert unknown.status_code == 404 and unknown.json()["field"] == "code"
    too_soon = await client.post(f"{base}/draw", json={})
    assert too_soon.status_code == 409 and too_soon.json()["code"] == "not_checked_in"
    await client.post(f"{base}/transition", json={"target": "checked_in"})
    drawn = await client.post(f"{base}/draw", json={})
    assert drawn.status_code == 200, drawn.text
    items = drawn.json()["items"]
    assert sorted(i["station_no"] for i in items) == [1, 2, 3, 4]
    assert len({i["blind_code"] for i in items}) == 4 and all(len(i["blind_code"]) == 7 for i in items)
    assert ids[4].id not in {i["registration_id"] for i in items}
    late = await client.post(f"{base}/checkin", json={"registration_id": ids[4].id})
    assert late.status_code == 409 and late.json()["code"] == "already_drawn"
    redraw = await client.post(f"{base}/draw", json={})
    assert redraw.status_code == 422 and redraw.json()["field"] == "reason"
    assert (await client.post(f"{base}/draw", json={"reason": "工位 3 设备故障"})).status_code == 200
    draws = await audit_rows("competition.draw")
    assert len(draws) == 2 and draws[1]["reason"] == "工位 3 设备故障"
    # The scoring domain's view: blind codes and stations, no names.
    contestants = await service.drawn_contestants(competition_id)
    assert [c.station_no for c in contestants] == [1, 2, 3, 4]
    assert "选手" not in repr(contestants)
    names = await service.unblinded_contestants(competition_id)
    assert set(names) == {c.registration_id for c in contestants}
    stages = await service.competition_stages(competition_id)
    assert [(s.kind, str(s.weight_percent)) for s in stages] == [("theory", "30.00"), ("practical", "70.00")]
    await service.mark_scoring_started(competition_id)
    await service.mark_scoring_started(competition_id)  # idempotent
    assert await service.get_competition_state(competition_id) == "in_progress"
    locked = await client.post(f"{base}/draw", json={"reason": "再抽一次"})
    assert locked.status_code == 409 and locked.json()["code"] == "scoring_started"
    sheet = (await client.get(f"{base}/checkin")).json()
    assert len(sheet["items"]) == 5 and sheet["items"][0]["blind_code"]


async def test_contestant_sees_station_but_not_blind_code(app: Litestar, world: dict[str, Any]) -> None:
    competition_id = await make_competition()
    result = await registration.register_person(ORGANIZER, competition_id, world["people"][0])
    registration_id = result.registration.id
    await lifecycle.transition(ORGANIZER, competition_id, "closed")
    await Registration.update({Registration.review: "approved"}).where(Registration.id == registration_id)
    from competitions.schemas import CheckInIn, DrawIn

    await checkin.check_in(ORGANIZER, competition_id, CheckInIn(registration_id=registration_id))
    await lifecycle.transition(ORGANIZER, competition_id, "checked_in")
    await checkin.draw(ORGANIZER, competition_id, DrawIn())
    async with new_client(app) as contestant:
        await login(contestant, "contestant", PASSWORD)
        mine = (await contestant.get("/api/my/registrations")).json()[0]
        assert mine["station_no"] == 1 and mine["blind_code"] is None


async def test_the_public_list_cache_keeps_nothing_for_series_that_do_not_exist(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    from competitions.shared import public_reads

    public_reads.clear()
    for series_id in range(1000, 1200):
        response = await client.get("/api/competitions", params={"series_id": series_id, "state": "open"})
        assert response.status_code == 200 and response.json() == []
    assert public_reads.sizes() == (0, 0)
    assert (await client.get("/api/competitions")).status_code == 200
    assert public_reads.sizes() == (1, 0)
    assert public_reads.max_entries <= 1024
