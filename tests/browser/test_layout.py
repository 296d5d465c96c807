"""Every page on a phone (390×844) and a tablet (1024×768), in headless Chromium: nothing wider than the
screen, every piece of text at WCAG AA contrast, a one-line header on the phone, the favicon, and no console
error on the pages anyone may open without logging in. And the confirm dialog: a one-tap step waits for it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.test_notice_pages import in_notice
from tests.browser.ui import (
    SIZES,
    cancel,
    confirm,
    contrast,
    horizontal_overflow,
    log_in,
    low_contrast,
    sized_page,
)
from tests.competitions.support import make_competition
from tests.helpers import login, new_client
from tests.scoring import factories

pytestmark = pytest.mark.browser


async def published_competition(world: dict[str, Any], live_server: str) -> factories.Built:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    await factories.sign_off(built)
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        cid = built.competition_id
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        assert published.status_code == 201, published.text
    return built


async def settle(page: Any, path: str) -> None:
    """Open ``path`` and let its scripts fill it in (the header's links, the first data)."""
    await page.goto(path)
    if await page.locator("header.bar").count():
        await page.wait_for_selector("header.bar nav a", state="attached")
    await page.wait_for_timeout(600)


async def check_page(page: Any, path: str, size: str) -> list[str]:
    """What is wrong with ``path`` at ``size``: overflow, low contrast, a tall header, no icon."""
    problems = []
    await settle(page, path)
    if (overflow := await horizontal_overflow(page)) > 0:
        problems.append(f"{path}: {overflow}px wider than the screen")
    problems += [
        f"{path}: contrast {c['ratio']} < {c['need']} for “{c['text']}” ({c['cls']})"
        for c in await low_contrast(page)
    ]
    if size == "phone" and await page.locator("header.bar").count():
        height = (await page.locator("header.bar").bounding_box())["height"]
        if height > 60:
            problems.append(f"{path}: header {height}px tall on a phone")
    if not await page.locator("link[rel~=icon][href='/static/favicon.svg']").count():
        problems.append(f"{path}: no favicon link")
    return problems


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_public_pages_fit_read_well_and_log_no_error(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    built = await published_competition(world, live_server)
    open_id = await make_competition(state="open")
    programme = await in_notice(live_server, world)
    paths = [
        "/",
        "/competitions",
        f"/competitions/{open_id}",
        "/results",
        f"/results/{built.competition_id}",
        f"/results/{open_id}",
        "/awards",
        "/login",
        f"/notice/{programme}",
        f"/honours/{programme}",
        f"/bigscreen/{built.competition_id}",
    ]
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        problems = [p for path in paths for p in await check_page(page, path, size)]
        assert problems == []
        assert page.errors == []  # no 401 from asking who is logged in, no 404 for what is not out yet

        # The main call to action on the list, measured from its computed colours.
        await settle(page, "/competitions")
        [button] = [
            c for c in await contrast(page, ".competition-card a.button") if c["text"] == "查看并报名"
        ]
        assert button["ratio"] >= 4.5
    async with httpx.AsyncClient(base_url=live_server) as plain:
        icon = await plain.get("/static/favicon.svg")
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_staff_pages_fit_and_read_well(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    built = await published_competition(world, live_server)
    programme = await in_notice(live_server, world)
    cid = built.competition_id
    organizer = [
        "/organizer/competitions",
        f"/organizer/competitions/{cid}",
        f"/organizer/scoring?competition={cid}",
        f"/organizer/scoring/links?competition={cid}",
        f"/organizer/competitions/{cid}/results",
        f"/organizer/competitions/{cid}/results/print",
        f"/organizer/competitions/{cid}/print/checkin",
        f"/organizer/competitions/{cid}/print/stations",
        "/organizer/programmes",
        f"/organizer/programmes/{programme}/eligibility",
        f"/organizer/programmes/{programme}/shortlist",
        "/organizer/calendar-years",
        "/audit",
    ]
    others = {
        "officer": ["/union/nominations", "/competitions"],
        "contestant": ["/my/registrations", f"/results/{cid}/appeal"],
        "judge": [f"/judge/chief?competition={cid}"],
    }
    problems = []
    for username, paths in {"organizer": organizer, **others}.items():
        async with sized_page(chromium, live_server, SIZES[size]) as page:
            await log_in(page, username)
            for path in paths:
                problems += await check_page(page, path, size)
            problems += [f"{username}: {e}" for e in page.errors if "pageerror" in e]
    assert problems == []


async def test_a_one_tap_step_waits_for_the_confirm_dialog(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    open_id = await make_competition(state="open")
    built = await factories.build(world, competition_id=factories.fresh_competition_id())  # in progress

    async def state_of(competition_id: int) -> str:
        async with new_client(base_url=live_server) as api:
            await login(api, "organizer")
            return (await api.get(f"/api/organizer/competitions/{competition_id}")).json()["competition"][
                "state"
            ]

    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await log_in(page, "organizer", f"/organizer/competitions/{open_id}")
        await page.click("button[data-transition=closed]")
        dialog = page.locator("dialog.confirm-dialog[open]")
        await dialog.wait_for()
        # The action is named and explained; it cannot be confirmed by the same tap's echo.
        assert await dialog.locator("[data-dialog-ok]").inner_text() == "截止报名"
        assert await dialog.locator("[data-dialog-ok]").is_disabled()
        assert await dialog.evaluate("(d) => d.contains(document.activeElement)")
        assert await low_contrast(page, "dialog.confirm-dialog[open] *") == []
        assert await state_of(open_id) == "open"
        await cancel(page)
        assert await state_of(open_id) == "open"
        await page.click("button[data-transition=closed]")
        await confirm(page, expect="选手不能再报名或退出报名")
        await page.wait_for_selector("#message.ok")
        assert await state_of(open_id) == "closed"

        await page.goto(f"/organizer/competitions/{built.competition_id}")
        await page.click("button[data-transition=finished]")
        await cancel(page)
        assert await state_of(built.competition_id) == "in_progress"
        await page.click("button[data-transition=finished]")
        await confirm(page, expect="不能再回到进行中")
        await page.wait_for_selector("#message.ok")
        assert await state_of(built.competition_id) == "finished"
        assert await horizontal_overflow(page) <= 0
