"""The dashboard, the term report and the public statistics in Chromium, phone and desktop sizes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD
from tests.reports.term_world import load_small_term

pytestmark = pytest.mark.browser
TERM = "start=2021-01-01&end=2025-12-31"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


async def _log_in(page: Any) -> None:
    await page.goto("/login")
    await page.fill("input[name=username]", "organizer")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("size", SIZES)
async def test_dashboard_and_term_report(
    page: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    await load_small_term(monkeypatch)
    await page.set_viewport_size(SIZES[size])
    await _log_in(page)
    await page.goto(f"/reports?{TERM}")
    await page.wait_for_selector("body[data-ready='1']")
    competitions = await page.locator(".card[data-figure=competitions] .value").inner_text()
    assert int(competitions) > 0
    assert await page.locator("#figure-entries_by_gender img").count() == 1
    await page.locator("#figure-entries_by_gender a.count").first.click()
    total = await page.locator("#list-total").inner_text()
    first_number = await page.locator("#figure-entries_by_gender tbody tr td.num a").first.inner_text()
    assert total == first_number.replace(",", "")
    await page.goto(f"/reports/term?{TERM}")
    await page.wait_for_selector("body[data-ready='1']")
    assert f"{competitions}场" in await page.locator("#report-text").inner_text()
    assert await page.locator("#charts img").count() >= 5
    assert "term-report.pdf" in (await page.locator("#pdf").get_attribute("href"))


@pytest.mark.parametrize("size", SIZES)
async def test_public_statistics_page(
    page: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    await load_small_term(monkeypatch)
    await page.set_viewport_size(SIZES[size])
    await page.goto(f"/statistics?{TERM}")
    await page.wait_for_selector("body[data-ready='1']")
    assert int(await page.locator(".card[data-figure=competitions] .value").inner_text()) > 0
    assert await page.locator("a.count").count() == 0  # aggregates only: nothing links to people
    assert await page.locator("#figures img").count() >= 5
