"""In headless Chromium: the judge's tablet is an installable web app whose page opens again with no network
(the service worker), keeps the marks queued before the reload and sends each exactly once when the network
returns; 退出 asks first, says the link is spent, and leaves no one's data on the tablet."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring.tables import SheetMark, Submission
from tests.browser.judge_pages import (
    click_logout,
    link_token,
    mark_sheet,
    network_down,
    network_up,
    open_station,
    scan_link,
    sheet_of,
    wait_text,
)
from tests.helpers import login
from tests.scoring.entry_world import build, set_up_scoring

pytestmark = pytest.mark.browser

PENDING = "Number(document.querySelector('#pending-count').textContent)"
DATA_CACHE = "yc-tablet-data"


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


async def open_tablet(page: Any, client: httpx.AsyncClient, w: dict[str, Any], judge: str) -> str:
    """The judge scans a link; returns its (now spent) token once the page would open offline."""
    token = await link_token(client, w, judge)
    await scan_link(page, token)
    await page.wait_for_selector(".judge-card")
    await page.wait_for_selector("html[data-offline=ready]")
    return token


async def test_the_page_is_installable_and_reopens_offline_with_its_queued_marks(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await open_tablet(page, client, w, "judge3")
    assert await page.evaluate("navigator.serviceWorker.controller.scriptURL.endsWith('/tablet-sw.js')")
    cdp = await page.context.new_cdp_session(page)
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/static/judge.webmanifest")
    errors = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium never offers to install: nothing else.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []

    # Online: station 1 is marked and submitted (the page's cached copies of the list and of this sheet
    # were read before, so they are older than what the server now has).
    await open_station(page, 1)
    await mark_sheet(page, a1="35.5", a2="20", a3="2")
    await page.click("#submit")
    await wait_text(page, "#sheet-status", "已提交")
    await page.click("#back")

    # Offline: station 2 is marked and submitted on the tablet only.
    await network_down(page.context)
    await open_station(page, 2)
    await mark_sheet(page, a1="20", a2="0", a3="3")
    await page.click("#submit")
    await page.wait_for_function(f"{PENDING} >= 4")
    queued = await page.inner_text("#pending-count")

    # Reloaded with no network: the page opens (not the browser's error page) on station 2's sheet.
    await page.reload()
    await page.wait_for_selector("#sheet:not([hidden]) #aspect-a3 button")
    assert await page.inner_text("#net") == "离线"
    assert await page.inner_text("#pending-count") == queued
    assert await page.input_value("#aspect-a1") == "20"
    assert await page.get_attribute("#aspect-a3 [data-value='3']", "aria-pressed") == "true"
    assert "待发送" in await page.inner_text("#sheet-done")
    # Not asserted here: that the server has nothing yet. Chromium's offline emulation (and Playwright's
    # routing) may let one request of a just-reloaded, service-worker-controlled document slip out under
    # load; what the tablet must guarantee is below: once back online every mark is stored exactly once.
    # Station 1 shows what the server answered before the network dropped, not the older cached copies.
    await page.click("#back")
    assert "已提交" in await page.inner_text(".judge-card:has(.judge-station b:text-is('1'))")
    await open_station(page, 1)
    await page.wait_for_function("document.querySelector('#aspect-a1').value === '35.5'")
    await page.click("#back")

    # Back online: the queued marks go, each exactly once.
    await network_up(page.context)
    await page.wait_for_function(f"{PENDING} === 0", timeout=20_000)
    await wait_text(page, "#net", "在线")
    sheet = await sheet_of(w, "judge3", 2)
    assert sheet is not None and sheet["status"] == "submitted"
    marks = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet["id"])
    assert sorted(m["aspect_id"] for m in marks) == ["a1", "a2", "a3", "d1"]
    assert {m["aspect_id"]: float(m["value"]) for m in marks} == {"a1": 20, "a2": 0, "a3": 3, "d1": 0}
    submissions = await Submission.count().where(Submission.sheet == sheet["id"])
    audits = await AuditLog.count().where(
        (AuditLog.entity == "score_sheet") & (AuditLog.entity_id == str(sheet["id"]))
    )
    assert submissions == sheet["version"] == audits  # no write applied twice
    # What the API gives the judge now is the same.
    code = w["contestants"][1]["blind_code"]
    url = f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sheets/{code}"
    served = await page.evaluate("(url) => fetch(url).then((r) => r.json())", url)
    assert served["status"] == "submitted" and served["version"] == sheet["version"]


async def test_logout_asks_first_and_cancel_keeps_the_session(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    token = await open_tablet(page, client, w, "judge3")
    assert await page.evaluate(f"caches.has('{DATA_CACHE}')")
    dialog = page.locator("dialog.confirm-dialog[open]")

    # 1. Asked first; the link is spent and a new one comes from the chief judge or the organizer.
    await click_logout(page)
    said = await dialog.inner_text()
    assert "二维码只能使用一次" in said and "裁判长或组织者" in said
    await dialog.locator("[data-dialog-cancel]").click()
    await dialog.wait_for(state="hidden")
    assert "/judge?competition=" in page.url
    assert await page.evaluate("fetch('/api/auth/me').then((r) => r.status)") == 200

    # 2. Offline with a mark waiting: the dialog says it stays on the tablet; logging out cannot happen.
    await network_down(page.context)
    await open_station(page, 1)
    await page.click("#aspect-a3 button[data-value='2']")
    await page.wait_for_function(f"{PENDING} === 1")
    await click_logout(page)
    assert "尚未发送" in await dialog.inner_text()
    await dialog.locator("[data-dialog-ok]").click()
    await dialog.locator("text=当前离线，无法退出").wait_for()
    await dialog.locator("[data-dialog-ok]").click()
    await network_up(page.context)
    await page.wait_for_function(f"{PENDING} === 0", timeout=20_000)

    # 3. Confirmed: logged out, the tablet keeps no data, and the spent link does not log in again.
    await click_logout(page)
    await dialog.locator("[data-dialog-ok]").click()
    await page.wait_for_url(re.compile(r"/login"))
    assert not await page.evaluate(f"caches.has('{DATA_CACHE}')")
    assert await page.evaluate("fetch('/api/auth/me').then((r) => r.json())") is None  # nobody
    again = await page.goto(f"/judge/login?token={token}")
    assert again is not None and again.status == 400
    assert "登录链接无效" in await page.inner_text("h1")
