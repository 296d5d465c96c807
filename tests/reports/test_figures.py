"""Every figure of the dashboard equals a count over the underlying rows (a seeded term, both engines)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reports import rules
from tests.helpers import login
from tests.reports.term_world import counted_by_hand, load_small_term

TERM = "start=2021-01-01&end=2025-12-31"
ENTRY_COLUMNS = {0: "registrations", 1: "participants", 3: "tier1", 4: "tier2", 5: "tier3"}


@pytest.fixture
async def organizer(
    client: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> httpx.AsyncClient:
    await load_small_term(monkeypatch)
    await login(client, "organizer")
    return client


async def test_every_figure_equals_a_count_over_the_rows(organizer: httpx.AsyncClient) -> None:
    response = await organizer.get(f"/api/reports/dashboard?{TERM}")
    assert response.status_code == 200, response.text
    board = response.json()
    expected = await counted_by_hand(rules.Period.term(2021))
    figures = {f["name"]: f for f in board["figures"]}
    for dimension in ("union", "enterprise", "industry", "gender", "age_band"):
        rows = {r["key"]: r["values"] for r in figures[f"entries_by_{dimension}"]["rows"]}
        for column, name in ENTRY_COLUMNS.items():
            assert {k: v[column] for k, v in rows.items() if v[column]} == {
                k: n for k, n in expected["counts"][f"{dimension}:{name}"].items() if n
            }, (dimension, name)
        assert all(v[2] == v[3] + v[4] + v[5] for v in rows.values())
    headline = board["headline"]
    assert headline["competitions"] == expected["competitions"] > 0
    assert headline["people"] == expected["people"] > 0
    assert headline["honours"] == expected["honours"] > 0
    assert headline["unions"] == expected["unions"]
    assert headline["registrations"] == sum(expected["counts"]["gender:registrations"].values())
    winners = sum(sum(expected["counts"][f"gender:tier{t}"].values()) for t in (1, 2, 3))
    assert headline["winners"] == winners > 0
    honours = {r["key"]: r["values"][0] for r in figures["honours_by_union"]["rows"]}
    assert honours == dict(expected["honours_by_union"])
    trend = figures["trend_by_year"]["rows"]
    assert sum(r["values"][0] for r in trend) == expected["competitions"]
    assert sum(r["values"][4] for r in trend) == expected["honours"]
    participation = {r["key"]: r["values"][0] for r in figures["union_participation"]["rows"]}
    assert participation["took_part"] == headline["unions_took_part"]
    assert participation["took_part"] + participation["silent"] == expected["unions"]


async def test_each_number_opens_the_list_it_counts(organizer: httpx.AsyncClient) -> None:
    board = (await organizer.get(f"/api/reports/dashboard?{TERM}")).json()
    figures = {f["name"]: f for f in board["figures"]}
    linked = ("entries_by_gender", "entries_by_age_band", "entries_by_union", "competitions_by_industry",
              "honours_by_programme", "union_participation")  # fmt: skip
    for name in linked:
        column = 0
        figure = figures[name]
        row = next(r for r in figure["rows"] if r["key"] != "took_part")
        query = f"{TERM}&of={figure['list_of']}&dimension={figure['dimension']}&key={row['key']}"
        listed = await organizer.get(f"/api/reports/list?{query}")
        assert listed.status_code == 200, (name, listed.text)
        assert listed.json()["total"] == row["values"][column], name


async def test_downloads_and_the_term_report(organizer: httpx.AsyncClient) -> None:
    xlsx = await organizer.get(f"/api/reports/figures/entries_by_industry/table.xlsx?{TERM}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    svg = await organizer.get(f"/api/reports/figures/trend_by_year/chart.svg?{TERM}")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    report = (await organizer.get(f"/api/reports/term-report?{TERM}")).json()
    headline = report["headline"]
    assert f"{headline['competitions']:,}场" in report["paragraphs"][1]
    pdf = await organizer.get(f"/api/reports/term-report.pdf?{TERM}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    # The CJK font is a CID font: pypdf returns its two-byte codes with a NUL before each ASCII one.
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages).replace("\x00", "")
    assert f"{headline['competitions']:,}" in text
    missing = await organizer.get(f"/api/reports/figures/nothing/chart.svg?{TERM}")
    assert missing.status_code == 404 and missing.json()["field"] == "name"
    bad = await organizer.get("/api/reports/dashboard?start=2025-01-02&end=2025-01-01")
    assert bad.status_code == 422 and bad.json()["field"] == "end"


async def test_a_change_is_seen_at_once(organizer: httpx.AsyncClient) -> None:
    """The cache is keyed on the data version: a withdrawal (written with its audit row, as every service
    writes one) shows on the next read, in any process."""
    from accounts import audit
    from competitions.tables import Registration
    from core.db import write_transaction

    before = (await organizer.get(f"/api/reports/dashboard?{TERM}")).json()["headline"]["registrations"]
    row = await Registration.select(Registration.id).where(Registration.status == "accepted").first()
    async with write_transaction():
        await Registration.update({Registration.status: "withdrawn", Registration.version: 2}).where(
            Registration.id == row["id"]
        )
        await audit.record(audit.SYSTEM, "registration.withdraw", "registration", row["id"])
    after = (await organizer.get(f"/api/reports/dashboard?{TERM}")).json()["headline"]["registrations"]
    assert after == before - 1


async def test_entries_without_published_results_count_no_prizes(organizer: httpx.AsyncClient) -> None:
    """The winners reach the entry query as a JSON parameter: with no board published it is empty, and the
    entries are still counted, each without a prize."""
    from accounts import audit
    from core.db import write_transaction
    from scoring.tables import Publication

    before = (await organizer.get(f"/api/reports/dashboard?{TERM}")).json()["headline"]
    async with write_transaction():
        await Publication.delete(force=True)
        await audit.record(audit.SYSTEM, "demo.unpublish", "system", "test")
    after = (await organizer.get(f"/api/reports/dashboard?{TERM}")).json()
    assert before["winners"] > 0 and after["headline"]["winners"] == 0
    assert after["headline"]["registrations"] == before["registrations"] > 0
    expected = await counted_by_hand(rules.Period.term(2021))
    entries = {f["name"]: f for f in after["figures"]}["entries_by_gender"]["rows"]
    assert {r["key"]: r["values"][0] for r in entries} == dict(expected["counts"]["gender:registrations"])
    assert all(r["values"][2:] == [0, 0, 0, 0] for r in entries)
