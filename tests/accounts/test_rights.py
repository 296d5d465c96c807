"""A person's rights (PIPL arts. 44–47) over HTTP: see, download, correct, delete; organizers answer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
from litestar import Litestar

from accounts.audit import SYSTEM
from accounts.erasure import erase
from accounts.privacy import mask_name
from accounts.tables import AuditLog, Consent, Person, User
from app import personal_data
from competitions import registration
from competitions.tables import Registration
from core.db import write_transaction
from scoring.tables import Publication
from tests.competitions.support import ORGANIZER, make_competition
from tests.helpers import login, make_id_number, make_mobile, new_client, own_consent


async def sign_up(client: httpx.AsyncClient, competition_id: int, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "阿卜杜热合曼·买买提",
        "id_number": make_id_number(dt.date(1990, 3, 3)),
        "mobile": make_mobile(),
        "username": "abdu",
        "password": "Welder2026",
        "consent": own_consent(),
    } | changes
    response = await client.post(f"/api/competitions/{competition_id}/signup", json=body)
    assert response.status_code == 201, response.text
    return body


async def test_sign_up_needs_both_consents_and_stores_the_text_consented_to(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    notice = (await client.get("/api/privacy/notices/registration")).json()
    assert "收集的信息" in str(notice["sections"]) and "保存期限" in str(notice["sections"])
    assert "敏感个人信息" in notice["sensitive_consent"] and notice["retention_days"] == 1095
    base = {
        "name": "钱同意",
        "id_number": make_id_number(),
        "mobile": make_mobile(),
        "username": "qian_ty",
        "password": "Welder2026",
    }
    url = f"/api/competitions/{competition_id}/signup"
    people = await Person.count()
    for consent, status, code in [
        (None, 422, "consent_required"),
        (own_consent() | {"sensitive_id": False}, 422, "sensitive_consent_required"),
        (own_consent() | {"notice_version": "2025.0-old"}, 409, "notice_outdated"),
    ]:
        refused = await client.post(url, json=base | {"consent": consent})
        assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert await Person.count() == people
    assert (await client.post(url, json=base | {"consent": own_consent()})).status_code == 201
    person_id = (await client.get("/api/auth/me")).json()["person_id"]
    consents = await Consent.select(
        Consent.purpose,
        Consent.given_by,
        Consent.notice.text.as_alias("text"),
        Consent.notice.version.as_alias("v"),
    ).where(Consent.person == person_id)
    assert sorted(c["purpose"] for c in consents) == ["personal_information", "sensitive_id"]
    assert all(c["v"] == notice["version"] and "敏感个人信息" in c["text"] for c in consents)


async def test_a_person_sees_and_downloads_everything_held_about_them(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    body = await sign_up(client, competition_id)
    mine = (await client.get("/api/my/data")).json()
    assert mine["person"]["name"] == "阿卜杜热合曼·买买提"
    assert mine["person"]["id_number"].count("*") == 10  # the page shows masked numbers
    assert {s["key"] for s in mine["sections"]} >= {"registrations", "appeals", "nominations", "attachments"}
    registrations = next(s for s in mine["sections"] if s["key"] == "registrations")["items"]
    assert len(registrations) == 1 and registrations[0]["报名状态"] == "已报名"
    assert {c["purpose"] for c in mine["consents"]} == {"personal_information", "sensitive_id"}
    download = await client.get("/api/my/data/download", params={"format": "json"})
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    full = json.loads(download.content)
    assert (full["person"]["id_number"], full["person"]["mobile"]) == (body["id_number"], body["mobile"])
    page = await client.get("/api/my/data/download", params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "阿卜杜热合曼·买买提" in page.text and body["id_number"] in page.text and "竞赛报名" in page.text
    unsealed = await AuditLog.select().where(AuditLog.action == "person.unseal")
    assert len(unsealed) == 2 and all("本人" in r["reason"] for r in unsealed)


async def test_correction_is_applied_by_an_organizer_and_audited(
    app: Litestar, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await sign_up(client, competition_id)
    new_mobile = make_mobile()
    bad = await client.post("/api/my/requests", json={"kind": "correction", "changes": {"name": "王1"}})
    assert bad.status_code == 422 and bad.json()["field"] == "changes.name"
    asked = await client.post(
        "/api/my/requests",
        json={
            "kind": "correction",
            "changes": {"name": "阿卜杜热合曼·买买提江", "mobile": new_mobile},
            "reason": "改名",
        },
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["changes"]["mobile"] == new_mobile[:3] + "****" + new_mobile[-4:]
    again = await client.post("/api/my/requests", json={"kind": "correction", "changes": {"other": "x"}})
    assert again.status_code == 409
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        pending = (await organizer.get("/api/privacy/requests", params={"status": "pending"})).json()
        assert [r["id"] for r in pending] == [request["id"]]
        done = await organizer.post(
            f"/api/privacy/requests/{request['id']}/answer",
            json={"decision": "complete", "answer": "已核实户口本", "version": request["version"]},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
    person = (await client.get("/api/my/data")).json()["person"]
    assert person["name"] == "阿卜杜热合曼·买买提江" and person["mobile"].endswith(new_mobile[-4:])
    log = await AuditLog.select(AuditLog.action, AuditLog.after).where(AuditLog.action.like("data_request%"))
    assert [r["action"] for r in log] == ["data_request.create", "data_request.answer"]
    assert new_mobile not in str(log)


async def test_deletion_waits_for_running_records_then_erases_and_keeps_the_public_record(
    app: Litestar, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    body = await sign_up(client, competition_id)
    person_id = (await client.get("/api/auth/me")).json()["person_id"]
    asked = (await client.post("/api/my/requests", json={"kind": "deletion", "reason": "不再参加"})).json()
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        blocked = await organizer.post(
            f"/api/privacy/requests/{asked['id']}/answer", json={"decision": "complete", "version": 1}
        )
        assert blocked.status_code == 409 and blocked.json()["code"] == "erasure_blocked"
        assert "报名" in blocked.json()["detail"]["blockers"][0]
        entry = await Registration.select().where(Registration.person == person_id).first()
        withdrawn = await client.post(f"/api/registrations/{entry['id']}/withdraw", json={})
        assert withdrawn.status_code == 200, withdrawn.text
        done = await organizer.post(
            f"/api/privacy/requests/{asked['id']}/answer", json={"decision": "complete", "version": 1}
        )
        assert done.status_code == 200, done.text
        # The closed account is logged out everywhere; the person row is anonymous.
        assert (await client.get("/api/auth/me")).json() is None
        row = await Person.select().where(Person.id == person_id).first()
        assert row["name"] == "已删除用户" and row["id_masked"] == "" and bytes(row["id_sealed"]) == b""
        assert row["id_fingerprint"] == f"erased:{person_id}" and row["erased_at"] is not None
        assert row["birth_date"] == dt.date(1990, 1, 1)
        user = await User.select().where(User.person == person_id).first()
        assert user["active"] is False and user["username"] == f"erased-{user['id']}"
        # The audit log keeps masked forms only: neither the name nor the numbers remain in it.
        log = str(await AuditLog.select())
        assert body["name"] not in log and body["id_number"] not in log and body["mobile"] not in log
        assert mask_name(body["name"]) in log and mask_name(body["name"]) == "阿" + "*" * 8 + "提"
        # The same person may sign up again: their document is free.
        async with new_client(app) as again:
            await sign_up(again, competition_id, username="abdu2")


async def test_erasure_keeps_the_name_and_employer_of_the_public_record(world: dict[str, Any]) -> None:
    competition_id = await make_competition()
    await registration.register_person(ORGANIZER, competition_id, world["people"][0])
    await Publication.insert(
        Publication(
            competition=competition_id,
            publication_key=f"{competition_id}:1",
            version=1,
            published_by=world["users"]["organizer"],
            published_at=dt.datetime.now(dt.UTC),
            results="{}",
            document="{}",
        )
    )
    async with write_transaction():
        await erase(SYSTEM, world["people"][0], personal_data(), reason="测试")
    row = (
        await Person.select(Person.name, Person.employer, Person.id_masked)
        .where(Person.id == world["people"][0])
        .first()
    )
    assert (row["name"], row["employer"], row["id_masked"]) == ("测试零", world["enterprises"][0], "")
