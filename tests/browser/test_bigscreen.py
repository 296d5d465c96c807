"""The venue big screen in headless Chromium: more rows than fit, so it turns its pages by itself and every
row comes round; it says which page, which version and what time; a full-HD screen holds a full page."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.ui import horizontal_overflow, sized_page
from tests.helpers import login, new_client
from tests.scoring import factories

pytestmark = pytest.mark.browser


async def watch_pages(page: Any, seconds: float) -> tuple[set[str], set[str]]:
    """The page numbers shown and every row code seen on screen over ``seconds``."""
    pages: set[str] = set()
    seen: set[str] = set()
    for _ in range(int(seconds / 0.25)):
        state = await page.evaluate(
            """() => ({ page: board.dataset.page,
                        codes: [...board.querySelectorAll('tbody tr:not([hidden])')]
                          .map((tr) => tr.dataset.code) })"""
        )
        pages.add(state["page"])
        seen.update(state["codes"])
        await asyncio.sleep(0.25)
    return pages, seen


async def test_the_big_screen_turns_its_pages_and_shows_every_row(
    chromium: Any, results_server: str, world: dict[str, Any]
) -> None:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    cid = built.competition_id
    async with sized_page(chromium, results_server, {"width": 1280, "height": 560}, touch=False) as screen:
        await screen.goto(f"/bigscreen/{cid}?seconds=1")
        await screen.wait_for_selector("#board[data-phase='provisional'][data-pages]")
        pages = int(await screen.get_attribute("#board", "data-pages"))
        assert pages >= 2
        shown = await screen.locator("#board tbody tr:not([hidden])").count()
        assert 0 < shown < factories.CONTESTANTS
        assert f"共 {factories.CONTESTANTS} 人" in await screen.inner_text("#pager")
        assert "更新于" in await screen.inner_text("#version")
        assert await screen.evaluate(
            "() => /^\\d{2}:\\d{2}:\\d{2}$/.test(document.querySelector('#clock').textContent)"
        )
        # Every visible row is on the screen, not below it.
        last = screen.locator("#board tbody tr:not([hidden])").last
        box = await last.bounding_box()
        assert box["y"] + box["height"] <= 560
        seen_pages, seen_codes = await watch_pages(screen, pages + 1.5)
        assert seen_pages == {str(n) for n in range(1, pages + 1)}
        assert seen_codes == set(built.blind_codes)  # every contestant came round
        assert await horizontal_overflow(screen) <= 0

        # Published: the open screen follows by itself (live events): names, the version and its time.
        await screen.wait_for_selector("#live.on")
        await factories.sign_off(built)
        async with new_client(base_url=results_server) as api:
            await login(api, "organizer")
            assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
            published = await api.post(
                f"/api/competitions/{cid}/results/publish", json={"previous_version": 0}
            )
            assert published.status_code == 201
        await screen.wait_for_selector("#board[data-phase='published'][data-pages]")
        assert "第 1 版" in await screen.inner_text("#phase")
        assert "发布于" in await screen.inner_text("#version")
        _, seen_codes = await watch_pages(
            screen, int(await screen.get_attribute("#board", "data-pages")) + 1.5
        )
        assert seen_codes == set(built.blind_codes)
        assert screen.errors == []


async def test_a_full_hd_screen_holds_a_full_page(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    async with sized_page(chromium, live_server, {"width": 1920, "height": 1080}, touch=False) as screen:
        await screen.goto(f"/bigscreen/{built.competition_id}")
        await screen.wait_for_selector("#board[data-pages]")
        assert await screen.locator("#board tbody tr:not([hidden])").count() == factories.CONTESTANTS
        assert await screen.get_attribute("#board", "data-pages") == "1"
        assert await screen.is_hidden("#pager")
        assert screen.errors == []
