"""What the pages need from the API so that they log no error: a visitor's /api/auth/me is 200 null, "not
created yet" reads are 200 null, the industries are data, /favicon.ico answers."""

from __future__ import annotations

from typing import Any

import httpx

from accounts.rules import INDUSTRIES
from tests.competitions.support import make_competition
from tests.helpers import login


async def test_industries_are_served_to_organizers_and_officers_only(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    assert (await client.get("/api/industries")).status_code == 401
    await login(client, "officer")
    body = (await client.get("/api/industries")).json()
    assert body == [{"code": code, "name": name} for code, name in INDUSTRIES.items()]
    await login(client, "judge")
    assert (await client.get("/api/industries")).status_code == 403


async def test_favicon_ico_redirects_to_the_svg(client: httpx.AsyncClient) -> None:
    answer = await client.get("/favicon.ico")
    assert answer.status_code == 301 and answer.headers["location"] == "/static/favicon.svg"
    assert (await client.get("/static/favicon.svg")).status_code == 200
    assert "/favicon.ico" not in (await client.get("/schema/openapi.json")).json()["paths"]


async def test_a_competition_without_a_rubric_reads_as_null(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "organizer")
    answer = await client.get(f"/api/competitions/{competition_id}/scoring")
    assert answer.status_code == 200 and answer.json() is None
    assert (await client.get("/api/competitions/999999/scoring")).status_code == 404


async def test_a_visitor_is_null_not_401(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/auth/me")
    assert answer.status_code == 200 and answer.json() is None
