"""Shared set-up for the awards tests: a programme open for nominations, officers, members to nominate.

Used by the nomination, upload, eligibility and attachment tests (and free for the later half's tests to
start from a programme with nominations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.helpers import PASSWORD, login, make_id_number, make_mobile, members_consent, new_client

REVIEW_RUBRIC: dict[str, Any] = {
    "stages": [
        {
            "id": "review",
            "name": "专家评审",
            "full_marks": "100",
            "weight_percent": "100",
            "modules": [
                {
                    "id": "deeds",
                    "name": "事迹与业绩",
                    "aspects": [
                        {"id": "achievement", "kind": "measurement", "max_mark": "40", "name": "工作业绩"},
                        {"id": "innovation", "kind": "measurement", "max_mark": "30", "name": "技术创新"},
                        {"id": "influence", "kind": "measurement", "max_mark": "30", "name": "示范带动"},
                    ],
                }
            ],
        }
    ],
    "tiers": None,
}


def programme_payload(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    payload: dict[str, Any] = {
        "name": "2026 年亦城工匠",
        "year": 2026,
        "kind": "craftsman",
        "nomination_opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "nomination_closes_at": (now + dt.timedelta(days=14)).isoformat(),
        "total_awards": 10,
        "quota_scope": "union",
        "default_quota": 3,
        "eligibility": {"union_member_required": True},
        "constraints": [
            {"attribute": "front_line", "bound": "at_least", "percent": "60"},
            {"attribute": "enterprise_leader", "bound": "at_most", "percent": "10"},
            {"attribute": "female", "bound": "at_least", "percent": "30"},
        ],
        "review_rules": REVIEW_RUBRIC,
        "deed_max_chars": 300,
        "notice_length": 5,
        "notice_unit": "working_days",
    }
    payload.update(overrides)
    return payload


async def create_programme(organizer: httpx.AsyncClient, *, open_it: bool = True, **overrides: Any) -> dict:
    response = await organizer.post("/api/programmes/", json=programme_payload(**overrides))
    assert response.status_code == 201, response.text
    programme = response.json()
    if open_it:
        response = await organizer.post(
            f"/api/programmes/{programme['id']}/transition", json={"target": "open"}
        )
        assert response.status_code == 200, response.text
        programme = response.json()
    return programme


async def add_member(
    organizer: httpx.AsyncClient,
    union_id: int,
    employer_id: int | None = None,
    *,
    name: str = "成员",
    female: bool = False,
    **facts: Any,
) -> int:
    """A person of ``union_id`` (a union member on the front line unless told otherwise); returns the id."""
    payload = {
        "name": name,
        "id_number": make_id_number(dt.date(1986, 4, 2), female=female),
        "mobile": make_mobile(),
        "employer_id": employer_id,
        "union_id": union_id,
        "union_member": True,
        "front_line": True,
        "skill_level": 3,
        "employed_since": "2015-03-01",
        "members_consent": members_consent(),
    }
    payload.update(facts)
    response = await organizer.post("/api/people/", json=payload)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def nomination_body(person_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_id": person_id,
        "deed": "扎根一线，技术过硬，带徒有方。",
        "achievements": {
            "patents": [{"title": "一种快速装夹夹具", "number": "ZL202310000001.1", "kind": "utility_model"}],
            "patent_count": 1,
            "apprentices_trained": 4,
            "titles_honours": [{"title": "亦城工匠", "year": 2024, "level": "district"}],
        },
        "members_consent": members_consent(),
    }
    body.update(overrides)
    return body


@asynccontextmanager
async def second_union_officer(
    app: Any, organizer: httpx.AsyncClient, union_id: int
) -> AsyncIterator[httpx.AsyncClient]:
    """The officer of another union (``officer_b``), created by the organizer and logged in."""
    created = await organizer.post(
        "/api/users/",
        json={
            "username": "officer_b",
            "password": PASSWORD,
            "role": "union_officer",
            "display_name": "乙工会",
            "union_id": union_id,
        },
    )
    assert created.status_code == 201, created.text
    async with new_client(app) as client:
        await login(client, "officer_b")
        yield client
