"""The organizer sets the scoring rules: validation with field paths, versions, freezing, the template."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.helpers import login, new_client
from tests.scoring.entry_world import build, practical_rules, set_up_scoring


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    return built


def url(w: dict[str, Any]) -> str:
    return f"/api/competitions/{w['competition_id']}/scoring"


async def test_put_and_get_the_scheme(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    assert (await client.get(url(w))).json() is None  # none yet: 200 null, no 404 in the console
    created = await client.put(url(w), json={"rules": practical_rules(w["theory_id"], w["practical_id"])})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["version"] == 1 and body["frozen_at"] is None and body["tolerance"] == "1"
    assert body["rules"]["stages"][1]["modules"][0]["aspects"][0]["step"] == "0.5"
    assert (await client.get(url(w))).json() == body
    # An update needs the version read; a stale one gets 409 with the current version.
    rules = practical_rules(w["theory_id"], w["practical_id"])
    rules["stages"][1]["modules"][0]["aspects"][0]["step"] = "1"
    stale = await client.put(url(w), json={"rules": rules, "version": 7})
    assert stale.status_code == 409 and stale.json()["detail"]["current_version"] == 1
    updated = await client.put(url(w), json={"rules": rules, "version": 1, "tolerance": "0.5"})
    assert (
        updated.status_code == 200 and updated.json()["version"] == 2 and updated.json()["tolerance"] == "0.5"
    )
    # Creating twice is a stale write too.
    again = await client.put(url(w), json={"rules": rules})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda r: r["stages"][1].update(full_marks="90"), "rules.stages[1].full_marks", "invalid_rules"),
        (
            lambda r: r["stages"][1]["modules"][0]["aspects"][0].update(step="0.7"),
            "rules.stages[1].modules[0].aspects[0].step",
            "invalid_rules",
        ),
        (
            lambda r: r["stages"][1].update(weight_percent="60"),
            "rules.stages[1].weight_percent",
            "invalid_rules",
        ),
        (lambda r: r["stages"].pop(0), "rules.stages", "invalid_rules"),
        (
            lambda r: r["stages"][1].update(kind="imported", modules=[]),
            "rules.stages[1].kind",
            "invalid_rules",
        ),
        (lambda r: r["stages"][0].update(id="999999"), "rules.stages[0].id", "invalid_rules"),
        (
            lambda r: r["stages"][1]["modules"][1]["aspects"][0].update(id="a1"),
            "rules.stages[1].modules[1].aspects[0].id",
            "invalid_rules",
        ),
    ],
)
async def test_a_bad_rubric_is_refused_with_a_field_path(
    client: httpx.AsyncClient, w: dict[str, Any], change: Any, field: str, code: str
) -> None:
    rules = practical_rules(w["theory_id"], w["practical_id"])
    change(rules)
    response = await client.put(url(w), json={"rules": rules})
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == code
    assert field in [error["field"], *(p["path"] for p in error["detail"]["problems"])], error
    assert (await client.get(url(w))).json() is None  # none yet: 200 null, no 404 in the console


async def test_a_malformed_rubric_is_a_422_naming_the_field(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    rules = practical_rules(w["theory_id"], w["practical_id"])
    rules["stages"][1]["modules"][0]["aspects"][2]["kind"] = "vibes"
    response = await client.put(url(w), json={"rules": rules})
    assert response.status_code == 422
    assert response.json()["field"] == "rules.stages[1].modules[0].aspects[2].kind"
    bad_tolerance = await client.put(
        url(w), json={"rules": practical_rules(w["theory_id"], w["practical_id"]), "tolerance": "5"}
    )
    assert bad_tolerance.status_code == 422 and bad_tolerance.json()["field"] == "tolerance"


async def test_the_template_is_a_valid_starting_point(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    template = await client.get(f"{url(w)}/template")
    assert template.status_code == 200
    response = await client.put(url(w), json={"rules": template.json()})
    assert response.status_code == 200, response.text


async def test_judges_read_the_rubric_of_their_competition_only(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await set_up_scoring(client, w)
    async with new_client(app) as judge:
        await login(judge, "judge3")
        response = await judge.get(url(w))
        assert response.status_code == 200
        assert response.json()["rules"]["stages"][1]["modules"][0]["id"] == "m1"
        assert (await judge.put(url(w), json={"rules": {}})).status_code == 403


async def test_a_frozen_rubric_still_takes_an_unchanged_resend(
    app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    from tests.scoring.entry_world import FULL, sheet_body

    setup = await set_up_scoring(client, w)
    async with new_client(app) as judge:
        await login(judge, "judge3")
        assert (
            await judge.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][0], FULL))
        ).status_code == 200
    scheme = (await client.get(url(w))).json()
    assert scheme["frozen_at"] is not None
    same = await client.put(
        url(w),
        json={"rules": setup["scheme"]["rules"], "version": scheme["version"], "appeal_window_hours": 4},
    )
    assert same.status_code == 200 and same.json()["appeal_window_hours"] == 4
    changed = copy.deepcopy(setup["scheme"]["rules"])
    changed["rounding"]["final"]["decimals"] = 1
    refused = await client.put(url(w), json={"rules": changed, "version": same.json()["version"]})
    assert refused.status_code == 409 and refused.json()["code"] == "rubric_frozen"
