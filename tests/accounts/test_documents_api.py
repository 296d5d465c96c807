"""Identity documents through the API: permits and permanent residence cards as what they are, passports."""

from __future__ import annotations

from typing import Any

import httpx
from stdnum.cn import ric

from tests.helpers import login, make_mobile, members_consent


def numbered(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def body(**values: Any) -> dict[str, Any]:
    return {"name": "测试证件", "mobile": make_mobile(), "members_consent": members_consent()} | values


async def test_each_document_is_stored_and_shown_as_what_it_is(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    cases = [
        (numbered("13010219750412123"), {}, "resident_id", "居民身份证"),  # 石家庄长安区, born 1975
        (numbered("81000019920815002"), {}, "hmt_residence_permit", "港澳台居民居住证"),
        (numbered("91184019881102013"), {}, "foreign_permanent_residence", "外国人永久居留身份证"),
    ]
    for number, extra, kind, kind_name in cases:
        created = await client.post("/api/people/", json=body(id_number=number, **extra))
        assert created.status_code == 201, created.text
        person = created.json()
        assert (person["id_type"], person["id_type_name"]) == (kind, kind_name)
    passport = body(
        id_type="passport", id_number="X1234567", nationality="deu", birth_date="1985-05-05", gender="F"
    )
    created = await client.post("/api/people/", json=passport)
    assert created.status_code == 201, created.text
    person = created.json()
    assert (person["id_type_name"], person["nationality"], person["id_number"]) == ("护照", "DEU", "X*****67")
    assert (person["birth_date"], person["gender"]) == ("1985-05-05", "F")
    # The same number under another nationality is another passport; under the same one, a duplicate.
    other = await client.post("/api/people/", json=passport | {"nationality": "FRA", "mobile": make_mobile()})
    assert other.status_code == 201
    again = await client.post("/api/people/", json=passport | {"mobile": make_mobile()})
    assert again.status_code == 409 and again.json()["field"] == "id_number"
    missing = await client.post("/api/people/", json=passport | {"id_number": "Y7654321", "birth_date": None})
    assert (missing.status_code, missing.json()["field"]) == (422, "birth_date")
    wrong = await client.post(
        "/api/people/", json=body(id_type="resident_id", id_number=numbered("82000019920815002"))
    )
    assert (wrong.status_code, wrong.json()["field"], wrong.json()["code"]) == (
        422,
        "id_type",
        "wrong_document",
    )


async def test_an_officer_must_confirm_the_members_consent(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "officer")
    number = numbered("44030619790105123")
    refused = await client.post("/api/people/", json=body(id_number=number, members_consent=None))
    assert (refused.status_code, refused.json()["code"]) == (422, "members_consent_required")
    created = await client.post("/api/people/", json=body(id_number=number))
    assert created.status_code == 201
