"""A contestant's own certificates: their honours and their prizes in published competition results, each
downloadable; nobody else's, and nothing before publication."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts.tables import User
from competitions.tables import Registration
from scoring import live, public_boards
from tests.awards.pipeline_factories import award_on, open_notice_on, person, shortlisted
from tests.helpers import login, new_client, pdf_text
from tests.scoring import factories


@pytest.fixture
async def contestant(app: Any, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "contestant")
        yield client


async def test_my_honours_list_their_certificates(
    organizer: httpx.AsyncClient,
    contestant: httpx.AsyncClient,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = await shortlisted(
        organizer,
        world,
        [person("欧阳振华"), person("李二", 1)],
        {"欧阳振华": 90, "李二": 80},
        total_awards=1,
    )
    pid = built["programme_id"]
    await User.update({User.person: built["people"]["欧阳振华"]}).where(
        User.id == world["users"]["contestant"]
    )
    await open_notice_on(organizer, monkeypatch, pid)
    before = (await contestant.get("/api/my/certificates")).json()
    assert before == {"honours": [], "prizes": []}  # on the notice is not yet awarded
    await award_on(organizer, monkeypatch, pid)
    mine = (await contestant.get("/api/my/certificates")).json()
    assert [(h["award"], h["certificate_no"], h["awarded_on"]) for h in mine["honours"]] == [
        ("亦城工匠", "YC2026-GJ-0001", "2026-10-13")
    ]
    pdf = await contestant.get(mine["honours"][0]["download_url"])
    assert pdf.status_code == 200 and "欧阳振华" in pdf_text(pdf.content)


async def test_my_prizes_after_publication_with_a_certificate_of_their_own(
    app: Any, organizer: httpx.AsyncClient, contestant: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    live.results_cache.clear()
    public_boards.provisional_cache.clear()
    built = await factories.build(world)
    await factories.sign_off(built)
    cid = built.competition_id
    assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
    # Before publication: nothing to show, no certificate.
    assert (await contestant.get("/api/my/certificates")).json()["prizes"] == []
    published = await organizer.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
    assert published.status_code == 201
    board = (await contestant.get(f"/api/public/competitions/{cid}/leaderboard")).json()
    first = next(r for r in board["rows"] if r["prize"] == "一等奖")
    winner = (
        await Registration.select(Registration.person)
        .where((Registration.competition == cid) & (Registration.blind_code == first["blind_code"]))
        .first()
    )
    await User.update({User.person: winner["person"]}).where(User.id == world["users"]["contestant"])
    mine = (await contestant.get("/api/my/certificates")).json()
    assert [(p["competition_id"], p["prize"], p["rank"]) for p in mine["prizes"]] == [
        (cid, "一等奖", first["rank"])
    ]
    pdf = await contestant.get(mine["prizes"][0]["download_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert first["name"] in text and "荣获一等奖" in text and "2026年亦城职工职业技能竞赛（电工）" in text
    # Someone without a prize there gets 404, and other roles are refused.
    no_prize = next(r for r in board["rows"] if r["prize"] is None)
    loser = (
        await Registration.select(Registration.person)
        .where((Registration.competition == cid) & (Registration.blind_code == no_prize["blind_code"]))
        .first()
    )
    await User.update({User.person: loser["person"]}).where(User.id == world["users"]["contestant"])
    assert (await contestant.get("/api/my/certificates")).json()["prizes"] == []
    refused = await contestant.get(f"/api/my/prize-certificates/{cid}/certificate.pdf")
    assert refused.status_code == 404 and refused.json()["code"] == "no_certificate"
    assert (await organizer.get("/api/my/certificates")).status_code == 403
