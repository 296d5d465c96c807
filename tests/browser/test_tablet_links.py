"""In headless Chromium: at the venue an organizer re-issues a judge's one-time link from a phone (the QR
code large enough to scan from the screen) and the tablet logs in with it; the judge, chief judge and links
pages never scroll sideways on a phone (390 x 844) or a tablet (1024 x 768)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.browser.judge_pages import NO_SIDEWAYS_SCROLL, click_logout, link_token, scan_link
from tests.browser.ui import confirm
from tests.helpers import PASSWORD, login, new_client
from tests.scoring.entry_world import build, set_up_scoring

pytestmark = pytest.mark.browser


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


async def log_in(page: Any, username: str, next_path: str) -> None:
    await page.goto(f"/login?next={quote(next_path)}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(next_path).path)


async def test_an_organizer_reissues_a_judges_link_from_a_phone(
    page: Any, chromium: Any, live_server: str, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    printed = await link_token(client, w, "judge3")  # this morning's sheet, never scanned
    links_page = f"/organizer/scoring/links?competition={w['competition_id']}"
    await log_in(page, "organizer", links_page)  # the page fixture is a phone
    judge3 = page.locator(f"#judges [data-judge='{w['judges']['judge3']}']")
    assert "3 号裁判" in await judge3.inner_text() and "有效二维码 1 个" in await judge3.inner_text()
    assert await page.evaluate(NO_SIDEWAYS_SCROLL)

    await judge3.click()
    qr = page.locator("#issued:not([hidden]) .link-qr svg path")  # the modules drawn, not just their box
    await qr.wait_for()
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 300  # scannable from a phone's screen
    assert await page.evaluate("(y) => y >= 0 && y < window.innerHeight", box["y"])  # scrolled into view
    assert "3 号裁判" in await page.inner_text("#issued-judge")
    url = await page.inner_text("#issued-url")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL)
    assert "有效二维码 1 个" in await judge3.inner_text()  # the new one; the printed one is revoked

    async with new_client(base_url=live_server) as anyone:
        spent = await anyone.get(f"/judge/login?token={printed}")
        assert spent.status_code == 400
    tablet_context = await chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1024, "height": 768}, has_touch=True
    )
    try:
        tablet = await tablet_context.new_page()
        await scan_link(tablet, url)
        await tablet.wait_for_url(re.compile(rf"/judge\?competition={w['competition_id']}$"))
        await tablet.wait_for_selector(".judge-card")
        assert "3 号裁判" in await tablet.inner_text("#comp-meta")
    finally:
        await tablet_context.close()
    await page.click("#issued-done")
    assert await page.is_hidden("#issued")


async def test_a_link_opened_by_a_preview_is_still_there_for_the_tablet(
    page: Any, chromium: Any, live_server: str, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    """The organizer sends the link through a chat app: its preview fetches the URL (and a browser opens it
    without tapping anything); the judge's tablet then opens the same link and is signed in."""
    token = await link_token(client, w, "judge3")
    async with new_client(base_url=live_server) as prefetch:
        assert (await prefetch.get(f"/judge/login?token={token}")).status_code == 200
    preview = await chromium.new_context(base_url=live_server, locale="zh-CN")
    try:
        viewer = await preview.new_page()
        await viewer.goto(f"/judge/login?token={token}")
        assert await viewer.inner_text("h1") == "裁判登录" and await viewer.is_visible("#use-link")
        assert await viewer.evaluate("fetch('/api/auth/me').then((r) => r.json())") is None
    finally:
        await preview.close()

    await page.goto(f"/judge/login?token={token}")  # the judge's phone
    assert "电工技能竞赛" in await page.inner_text("#link-competition")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL)
    await page.click("#use-link")
    await page.wait_for_url(re.compile(rf"/judge\?competition={w['competition_id']}$"))
    await page.wait_for_selector(".judge-card")
    assert "3 号裁判" in await page.inner_text("#comp-meta")
    again = await page.goto(f"/judge/login?token={token}")  # now it is spent
    assert again is not None and again.status == 400


@pytest.mark.parametrize("size", [(390, 844), (1024, 768)], ids=["phone", "tablet"])
async def test_no_page_scrolls_sideways(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any], size: tuple[int, int]
) -> None:
    await page.set_viewport_size({"width": size[0], "height": size[1]})
    competition = w["competition_id"]
    token = await link_token(client, w, "judge")  # the chief judge, on their own tablet
    await scan_link(page, token)
    await page.wait_for_selector(".judge-card")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "judge: contestants"
    await page.click(".judge-card:has(.judge-station b:text-is('1'))")
    await page.wait_for_selector("#aspect-a3 button")
    await page.click("#aspect-a3 button[data-value='2']")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "judge: sheet"
    await click_logout(page)
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "judge: the logout dialog"
    await page.click("dialog.confirm-dialog[open] [data-dialog-cancel]")

    await page.goto(f"/judge/chief?competition={competition}")
    await page.wait_for_selector("#stages .card")
    # The chief judge re-issues a judge's link from here (one button per judge).
    assert await page.locator("#reissue [data-reissue]").count() == 4
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "chief judge"
    await click_logout(page)  # asks here too: the chief judge's link is spent as well
    assert "裁判长或组织者" in await page.inner_text("dialog.confirm-dialog[open]")
    await page.click("dialog.confirm-dialog[open] [data-dialog-cancel]")

    await page.context.clear_cookies()
    await log_in(page, "organizer", f"/organizer/scoring/links?competition={competition}")
    await page.click(f"#judges [data-judge='{w['judges']['judge2']}']")
    await page.wait_for_selector("#issued:not([hidden]) svg")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "links"
    await page.goto(f"/judge/chief?competition={competition}")
    await page.wait_for_selector("#relogin-links:not([hidden])")  # the organizer goes straight to the links
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), "chief judge's page, as the organizer"


async def test_the_chief_judge_reissues_a_judges_link_from_a_phone(
    page: Any, chromium: Any, live_server: str, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    printed = await link_token(client, w, "judge3")  # lost before it was scanned
    chief = await link_token(client, w, "judge")
    await scan_link(page, chief)  # the page fixture is a phone
    await page.wait_for_selector(".judge-card")
    await page.goto(f"/judge/chief?competition={w['competition_id']}")
    button = page.locator(f"#reissue [data-reissue='{w['judges']['judge3']}']")
    await button.click()
    text = await confirm(page, expect="旧二维码立即作废")
    assert "3 号裁判" in text
    qr = page.locator("#reissued:not([hidden]) .link-qr svg path")
    await qr.wait_for()
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 300  # scannable from the phone's screen
    assert await page.evaluate("(y) => y >= 0 && y < window.innerHeight", box["y"])
    assert "3 号裁判" in await page.inner_text("#reissued-judge")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL)
    async with new_client(base_url=live_server) as anyone:
        assert (await anyone.get(f"/judge/login?token={printed}")).status_code == 400
    rows = (await client.get("/api/audit/", params={"action": "judge_link.reissue"})).json()
    assert rows["total"] == 1
