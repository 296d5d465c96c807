"""In headless Chromium: the organizer's shortlist report explains displacements, ties and what cannot be met;
the expert's tablet keeps a score written offline and sends it once the network is back."""

from __future__ import annotations

from typing import Any

import pytest

from awards.tables import ReviewSheet, ReviewSubmission
from tests.awards.pipeline_factories import (
    add_expert,
    add_reviewers,
    office,
    person,
    programme_in_review,
    reviewed,
)
from tests.browser.test_awards_pipeline import log_in
from tests.browser.ui import confirm
from tests.helpers import login, new_client

pytestmark = pytest.mark.browser


async def test_the_report_shows_who_a_constraint_displaced_ties_and_shortfalls(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        displaced = await reviewed(
            organizer,
            world,
            [office("甲一"), office("甲二"), office("甲三"), person("乙一"), person("乙二"), person("乙三")],
            {"甲一": 95, "甲二": 90, "甲三": 85, "乙一": 80, "乙二": 75, "乙三": 75},
            total_awards=4,
            constraints=[{"attribute": "front_line", "bound": "at_least", "percent": "50"}],
        )
        impossible = await reviewed(
            organizer,
            world,
            [person("丙一", female=True), person("丙二"), person("丙三")],
            {"丙一": 70, "丙二": 90, "丙三": 85},
            total_awards=2,
            constraints=[{"attribute": "female", "bound": "at_least", "percent": "100"}],
            name="2026 年爱企业的好职工",
            kind="good_employee",
        )

    await log_in(page, "organizer", f"/organizer/programmes/{displaced['programme_id']}/shortlist")
    await page.click("#compute-button")
    await confirm(page, expect="不能退回专家评审")
    await page.wait_for_selector("#selected tbody tr")
    assert [await r.inner_text() for r in await page.locator("#selected tbody tr td:nth-child(2)").all()] == [
        "甲一",
        "甲二",
        "乙一",
        "乙二",
    ]
    displacement = await page.inner_text("#displacements")
    assert "一线职工不少于50%" in displacement and "乙二（入选）替换了 甲三（出列）" in displacement
    ties = await page.inner_text("#ties")
    assert "乙二" in ties and "乙三" in ties and "75 分" in ties and "未作其他区分" in ties

    await page.goto(f"/organizer/programmes/{impossible['programme_id']}/shortlist")
    await page.click("#compute-button")
    await confirm(page, expect="不能退回专家评审")
    await page.wait_for_selector("#shortfall-list")
    assert "女性不少于100%：需要 2 人，符合条件可入选的只有 1 人，还差 1 人" in await page.inner_text(
        "#shortfall-list"
    )
    assert "无法形成" in await page.inner_text("#report-summary")
    assert await page.is_visible("#compute-button")  # still in expert review: fix the rules or the pool
    # The ways out, each one the solver accepts: fewer places, the rule relaxed, more nominations asked for.
    await page.wait_for_selector("#compute-button:not([disabled])")  # the page has reloaded the report
    ways = await page.inner_text("#ways-out")
    assert "减少为 1 人" in ways and "放宽为“女性不少于50%”" in ways and "补充推荐" in ways
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await page.locator("#ways-out [data-way]", has_text="发送补充推荐请求").click()
    await confirm(page, expect="甲公司工会")
    await page.wait_for_selector("#page-notice.ok:has-text('补充推荐')")
    await page.wait_for_selector("#ways-out:has-text('已发出的请求')")
    await page.locator("#ways-out [data-way]", has_text="放宽该比例").click()
    await confirm(page, expect="记入审计日志", values=("本届女性推荐人选不足，经评审委员会研究放宽",))
    await page.wait_for_selector("#page-notice.ok:has-text('结构比例已放宽')")
    assert "女性不少于50%" in await page.inner_text("#facts")
    await page.click("#compute-button")
    await confirm(page, expect="不能退回专家评审")
    await page.wait_for_selector("#selected tbody tr")
    assert "已形成建议名单" in await page.inner_text("#report-summary")
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        audit = (await organizer.get("/api/audit/", params={"action": "shortlist.relax"})).json()
        assert audit["total"] == 1


async def test_a_score_entered_offline_is_sent_when_the_network_returns(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    built = await programme_in_review(world, [person("张一")], total_awards=1)
    pid = built["programme_id"]
    expert = await add_expert(world, "tablet1")
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        await add_reviewers(organizer, pid, [expert])

    await log_in(page, "tablet1", f"/review?programme={pid}")
    await page.click('.review-card:has-text("张一")')
    await page.wait_for_selector("#aspect-achievement")
    await page.context.set_offline(True)
    for aspect, value in (("achievement", "36"), ("innovation", "25.5"), ("influence", "20")):
        await page.fill(f"#aspect-{aspect}", value)
    await page.click("#submit")
    await page.wait_for_function("() => document.querySelector('#pending-count').textContent === '1'")
    assert await page.inner_text("#net") == "离线"
    assert await page.inner_text("#sheet-status") == "待发送"
    assert await ReviewSheet.count() == 0
    await page.context.set_offline(False)
    await page.wait_for_function(
        "() => document.querySelector('#pending-count').textContent === '0'", timeout=15_000
    )
    await page.wait_for_function("() => document.querySelector('#sheet-status').textContent === '已提交'")
    assert await ReviewSubmission.count() == 1
    sheet = await ReviewSheet.select(ReviewSheet.status, ReviewSheet.version).first()
    assert sheet == {"status": "submitted", "version": 1}
    await page.reload()  # the server's sheet, nothing left in the outbox
    await page.wait_for_selector("#aspect-achievement")
    assert await page.input_value("#aspect-innovation") == "25.5"
    assert await page.inner_text("#sheet-total") == "81.5"
