"""The accounts API over a real database: people, masking, scoping, versions, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.helpers import login, make_credit_code, make_id_number, make_mobile, members_consent, new_client


def person_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "王建国",
        "id_number": make_id_number(),
        "mobile": make_mobile(),
        "union_member": True,
        "members_consent": members_consent(),
    } | overrides


async def test_health_reports_engine_and_migrations(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    assert body["status"] == "ok" and body["migrations_pending"] == 0
    assert body["engine"] in {"sqlite", "postgres"}


async def test_openapi_documents_routes_with_structs(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/people" in schema["paths"]
    assert "PersonIn" in str(schema["components"]["schemas"])


async def test_organizer_sees_full_numbers_with_a_purpose_officer_sees_masked(
    app: Litestar, world: dict[str, Any]
) -> None:
    id_number, mobile = make_id_number(), make_mobile()
    async with new_client(app) as organizer, new_client(app) as officer:
        await login(organizer, "organizer")
        await login(officer, "officer")
        created = await organizer.post(
            "/api/people/", json=person_body(id_number=id_number, mobile=mobile, union_id=world["unions"][0])
        )
        assert created.status_code == 201, created.text
        person = created.json()
        # Every reader gets the masked numbers; the full ones only with a stated purpose, audited.
        assert person["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
        unseal = f"/api/people/{person['id']}/unseal"
        refused = await organizer.post(unseal, json={"purpose": ""})
        assert refused.status_code == 422 and refused.json()["field"] == "purpose"
        full = (await organizer.post(unseal, json={"purpose": "办理赛事意外险"})).json()
        assert (full["id_number"], full["mobile"]) == (id_number, mobile)
        assert (await officer.post(unseal, json={"purpose": "看看"})).status_code == 403
        log = (await organizer.get("/api/audit/", params={"action": "person.unseal"})).json()
        assert log["total"] == 1
        row = log["items"][0]
        assert (row["actor_name"], row["entity_id"], row["reason"]) == (
            "organizer",
            str(person["id"]),
            "办理赛事意外险",
        )
        assert id_number not in str(log) and mobile not in str(log)
        seen = (await officer.get(f"/api/people/{person['id']}")).json()
        assert seen["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
        assert seen["mobile"] == mobile[:3] + "****" + mobile[-4:]
        listed = (await officer.get("/api/people/")).json()
        assert id_number not in str(listed) and mobile not in str(listed)


async def test_officer_registers_only_their_own_union(app: Litestar, world: dict[str, Any]) -> None:
    async with new_client(app) as officer:
        await login(officer, "officer")
        other = await officer.post("/api/people/", json=person_body(union_id=world["unions"][1]))
        assert other.status_code == 403 and other.json()["field"] == "union_id"
        own = await officer.post("/api/people/", json=person_body())
        assert own.status_code == 201 and own.json()["union_id"] == world["unions"][0]
        foreign = world["people"][1]  # a member of the other union
        assert (await officer.get(f"/api/people/{foreign}")).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"id_number": "123"}, "id_number", "wrong_length"),
        ({"mobile": "12345"}, "mobile", "bad_mobile"),
        ({"name": ""}, "name", "validation_error"),
        ({"skill_level": 6}, "skill_level", "validation_error"),
        ({"employer_id": 424242}, "employer_id", "unknown_reference"),
    ],
)
async def test_bad_person_input_names_the_field(
    client: httpx.AsyncClient, world: dict[str, Any], overrides: dict[str, Any], field: str, code: str
) -> None:
    await login(client, "organizer")
    response = await client.post("/api/people/", json=person_body(**overrides))
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    assert set(body) >= {"status", "code", "message"}


async def test_malformed_json_is_400(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    response = await client.post(
        "/api/people/", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


async def test_duplicate_id_number_is_409_and_writes_nothing(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    body = person_body()
    assert (await client.post("/api/people/", json=body)).status_code == 201
    again = await client.post("/api/people/", json=body | {"mobile": make_mobile()})
    assert again.status_code == 409 and again.json()["field"] == "id_number"
    assert (await client.get("/api/people/")).json()["total"] == len(world["people"]) + 1


async def test_stale_version_is_409_never_a_silent_overwrite(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    person_id = world["people"][0]
    first = await client.patch(f"/api/people/{person_id}", json={"version": 1, "skill_level": 2})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = await client.patch(f"/api/people/{person_id}", json={"version": 1, "skill_level": 1})
    assert stale.status_code == 409
    assert stale.json()["detail"] == {"current_version": 2}
    assert (await client.get(f"/api/people/{person_id}")).json()["skill_level"] == 2


async def test_enterprise_credit_code_is_validated(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    good = make_credit_code(77)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    refused = await client.post(
        "/api/enterprises/", json={"name": "丁公司", "credit_code": bad, "industry": "other"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "credit_code"
    accepted = await client.post(
        "/api/enterprises/", json={"name": "丁公司", "credit_code": good, "industry": "other"}
    )
    assert accepted.status_code == 201 and accepted.json()["industry_name"] == "其他"


async def test_audit_log_lists_and_filters(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    await client.patch(f"/api/people/{world['people'][0]}", json={"version": 1, "mobile": "13800001111"})
    page = (await client.get("/api/audit/", params={"entity": "person", "action": "person.update"})).json()
    assert page["total"] == 1
    row = page["items"][0]
    assert row["actor_name"] == "organizer" and row["entity_id"] == str(world["people"][0])
    assert row["after"]["mobile"] == "138****1111"  # the audit log keeps no personal data in clear
