"""In headless Chromium: the expert's review tablet opens again with no network (the same service worker as
the judge's, scope /review), keeps a score written offline across the reload and sends it exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from awards.tables import ReviewSheet, ReviewSubmission
from tests.awards.pipeline_factories import add_expert, add_reviewers, person, programme_in_review
from tests.browser.judge_pages import network_down, network_up
from tests.browser.test_awards_pipeline import log_in
from tests.helpers import login, new_client

pytestmark = pytest.mark.browser


async def test_the_review_page_reopens_offline_and_sends_the_score_once(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    built = await programme_in_review(world, [person("张一")], total_awards=1)
    pid = built["programme_id"]
    expert = await add_expert(world, "tablet2")
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        await add_reviewers(organizer, pid, [expert])

    await log_in(page, "tablet2", f"/review?programme={pid}")
    await page.wait_for_selector(".review-card")
    await page.wait_for_selector("html[data-offline=ready]")
    assert await page.evaluate("navigator.serviceWorker.controller.scriptURL.endsWith('/tablet-sw.js')")
    await page.click('.review-card:has-text("张一")')
    await page.wait_for_selector("#aspect-achievement")

    await network_down(page.context)
    for aspect, value in (("achievement", "36.1"), ("innovation", "25.2"), ("influence", "20")):
        await page.fill(f"#aspect-{aspect}", value)
    assert await page.inner_text("#sheet-total") == "81.3"  # 36.1 + 25.2 is 61.300000000000004 in floats
    await page.click("#submit")
    await page.wait_for_function("() => document.querySelector('#pending-count').textContent === '1'")

    await page.reload()  # no network: the page opens from the service worker, the score still queued
    await page.wait_for_selector("#sheet:not([hidden]) #aspect-achievement")
    assert await page.inner_text("#net") == "离线"
    assert await page.inner_text("#pending-count") == "1"
    assert await page.input_value("#aspect-innovation") == "25.2"
    assert "待发送" in await page.inner_text("#sheet-done")
    # Whether a request slipped out of the reloaded document under emulation is not the point (see
    # test_tablet_offline.py): the score must be stored exactly once when the network is back.

    await network_up(page.context)
    await page.wait_for_function(
        "() => document.querySelector('#pending-count').textContent === '0'", timeout=20_000
    )
    await page.wait_for_function("() => document.querySelector('#sheet-status').textContent === '已提交'")
    assert await ReviewSubmission.count() == 1
    sheet = await ReviewSheet.select(ReviewSheet.status, ReviewSheet.version).first()
    assert sheet == {"status": "submitted", "version": 1}
    assert await page.is_visible("#edit") and await page.is_disabled("#aspect-achievement")
