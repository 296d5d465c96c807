"""The open data feed: public, paged by a stable cursor, ETags and 304, a change feed, no personal data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.reports.term_world import load_small_term


@pytest.fixture
async def term(
    client: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> httpx.AsyncClient:
    await load_small_term(monkeypatch)
    return client


async def _walk(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        response = await client.get(path, params={"limit": 4, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["format"] == "yicheng-open-data/1"
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items


async def test_competitions_page_by_cursor_in_a_stable_order(term: httpx.AsyncClient) -> None:
    from scoring.tables import Publication

    items = await _walk(term, "/api/open/v1/competitions")
    ids = [i["id"] for i in items]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert len(ids) == len({p["competition"] for p in await Publication.select(Publication.competition)})
    results = (await term.get(f"/api/open/v1/competitions/{ids[0]}/results")).json()
    assert results["competition"]["id"] == ids[0] and results["results"]
    assert set(results["results"][0]) == {"rank", "prize", "name", "employer", "final_score"}


async def test_etag_and_304(term: httpx.AsyncClient) -> None:
    first = await term.get("/api/open/v1/honours")
    tag = first.headers["etag"]
    again = await term.get("/api/open/v1/honours", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = await term.get("/api/open/v1/honours", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.headers["etag"] == tag


async def test_honour_rolls_page_by_certificate_number(term: httpx.AsyncClient) -> None:
    from awards.tables import Nomination

    programmes = await _walk(term, "/api/open/v1/honours")
    total = 0
    for programme in programmes:
        roll = await _walk(term, f"/api/open/v1/honours/{programme['id']}")
        numbers = [h["certificate_no"] for h in roll]
        assert numbers == sorted(numbers) and len(roll) == programme["honours"]
        total += len(roll)
    assert total == await Nomination.count().where(Nomination.status == "awarded")


async def test_the_change_feed_lists_publications_and_corrections_since_a_time(
    term: httpx.AsyncClient,
) -> None:
    everything = await _walk(term, "/api/open/v1/changes")
    times = [e["at"] for e in everything]
    assert times == sorted(times)
    assert {e["kind"] for e in everything} == {"results", "honours"}
    middle = everything[len(everything) // 2]["at"]
    later = (await term.get("/api/open/v1/changes", params={"since": middle, "limit": 500})).json()["items"]
    assert later == [e for e in everything if e["at"] > middle]
    bad = await term.get("/api/open/v1/changes", params={"cursor": "@@@"})
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_no_personal_data_leaves_the_public_endpoints(term: httpx.AsyncClient) -> None:
    from accounts.tables import Person

    masked = {p["id_masked"][:6] for p in await Person.select(Person.id_masked)}
    mobiles = {p["mobile_masked"][-4:] for p in await Person.select(Person.mobile_masked)}
    for path in ("/api/open/v1/competitions", "/api/open/v1/changes", "/api/open/v1/honours",
                 "/api/public/statistics?start=2021-01-01&end=2025-12-31"):  # fmt: skip
        text = (await term.get(path)).text
        assert "id_" not in text and "mobile" not in text and "birth" not in text
    stats = (await term.get("/api/public/statistics?start=2021-01-01&end=2025-12-31")).json()
    assert all(f["list_of"] is None for f in stats["figures"])
    assert not {f["name"] for f in stats["figures"]} & {
        "entries_by_union",
        "entries_by_enterprise",
        "honours_by_union",
    }
    assert masked and mobiles  # the people exist; none of their numbers is in any body above
    hidden = await term.get("/api/public/statistics/figures/entries_by_union/chart.svg")
    assert hidden.status_code == 404
