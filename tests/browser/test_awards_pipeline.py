"""In headless Chromium: a nomination carried to the honour roll. The union nominates and the organizer
confirms eligibility (over the API: the first half's own browser tests drive those pages); then, in the
pages, the organizer appoints an expert, the expert scores on a tablet, the organizer computes the
shortlist and opens the notice, the public lodges an objection, the organizer dismisses it and awards, and
the public honour roll shows the name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.awards.nomination_helpers import create_programme, nomination_body
from tests.awards.pipeline_factories import set_notice_dates
from tests.browser.ui import confirm
from tests.helpers import PASSWORD, login, new_client

pytestmark = pytest.mark.browser


async def log_in(page: Any, username: str, next_path: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"/login?next={next_path}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**{next_path}")


async def known_calendar(today: dt.date) -> None:
    """The live server counts the notice on the real calendar: make sure the next few weeks are known even
    when this runs in a year the installed chinese-calendar has no data for."""
    from accounts.audit import SYSTEM
    from awards import calendar, calendar_years
    from awards.schemas import CalendarYearIn

    first, last = calendar.library_years()
    for year in {today.year, (today + dt.timedelta(days=60)).year}:
        if not first <= year <= last:
            await calendar_years.put_calendar_year(
                SYSTEM, CalendarYearIn(year=year, holidays=[dt.date(year, 1, 1)])
            )


async def test_a_nomination_goes_through_review_notice_and_objection_to_the_honour_roll(
    page: Any, chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    from core.db import today_shanghai

    today = today_shanghai()
    await known_calendar(today)
    async with new_client(base_url=live_server) as organizer, new_client(base_url=live_server) as officer:
        await login(organizer, "organizer")
        await login(officer, "officer")
        programme = await create_programme(
            organizer, name="2026 年度亦城工匠", total_awards=1, default_quota=2, constraints=[]
        )
        pid = programme["id"]
        for person in (
            world["people"][0],
            world["people"][2],
        ):  # 测试零 and 测试二, both of the officer's union
            response = await officer.post(f"/api/programmes/{pid}/nominations", json=nomination_body(person))
            assert response.status_code == 201, response.text
        for step in ("eligibility_review", None, "expert_review"):
            if step is None:
                confirmed = await organizer.post(f"/api/programmes/{pid}/eligibility/confirm", json={})
                assert confirmed.status_code == 200 and confirmed.json()["confirmed"] == 2, confirmed.text
                continue
            moved = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": step})
            assert moved.status_code == 200, moved.text

    # The organizer appoints the expert.
    shortlist_page = f"/organizer/programmes/{pid}/shortlist"
    await log_in(page, "organizer", shortlist_page)
    await page.wait_for_selector("#expert option", state="attached")
    await page.select_option("#expert", label="expert（expert）")
    await page.click("#add-reviewer button[type=submit]")
    await page.locator("#panel tbody tr", has_text="expert").wait_for()

    # The expert scores both nominations on a tablet.
    tablet_context = await chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1024, "height": 768}, has_touch=True
    )
    tablet = await tablet_context.new_page()
    await log_in(tablet, "expert", "/review")
    await tablet.click(f'a[href="/review?programme={pid}"]')
    for name, values in (("测试零", ("38", "27", "28")), ("测试二", ("30", "20", "21"))):
        await tablet.click(f'.review-card:has-text("{name}")')
        await tablet.wait_for_selector("#aspect-achievement")
        assert "扎根一线" in await tablet.inner_text("#sheet-deed")
        for aspect, value in zip(("achievement", "innovation", "influence"), values, strict=True):
            await tablet.fill(f"#aspect-{aspect}", value)
        assert await tablet.inner_text("#sheet-total") == str(sum(int(v) for v in values))
        await tablet.click("#submit")
        await tablet.wait_for_function(
            "() => document.querySelector('#sheet-status').textContent === '已提交'"
        )
        assert await tablet.inner_text("#pending-count") == "0"
        await tablet.click("#back")
    assert await tablet.locator(".review-card .badge.ok").count() == 2
    await tablet_context.close()

    # The organizer computes the shortlist: the higher score takes the one place.
    await page.reload()
    await page.wait_for_selector("#compute-button")
    await page.click("#compute-button")
    await confirm(page, expect="不能退回专家评审")
    await page.wait_for_selector("#selected tbody tr")
    assert "测试零" in await page.inner_text("#selected") and "测试二" not in await page.inner_text(
        "#selected"
    )
    assert "93" in await page.inner_text("#selected")
    await page.wait_for_selector("#open-notice:not([hidden])")
    await page.click("#open-notice")
    await confirm(page, expect="公示期")
    await page.wait_for_selector("#notice-link:not([hidden])")
    await set_notice_dates(pid, today, today + dt.timedelta(days=7))  # open today, whatever the weekday

    # The public reads the notice and lodges an objection.
    public_context = await chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    public = await public_context.new_page()
    await public.goto(f"/notice/{pid}")
    await public.wait_for_selector("#names tbody tr")
    assert "测试零" in await public.inner_text("#names") and "甲公司" in await public.inner_text("#names")
    await public.click("#objection-form button[type=submit]")  # no grounds: refused, shown next to the field
    await public.wait_for_function(
        "() => document.querySelector('[data-error-for=grounds]').textContent !== ''"
    )
    await public.fill("#grounds", "该同志申报的技术革新成果为班组集体完成，请核实。")
    await public.fill("#contact", "13800001111")
    await public.click("#objection-form button[type=submit]")
    await confirm(public, expect="不能撤回")
    await public.wait_for_selector("#objection-form .notice.ok")
    assert "异议已登记" in await public.inner_text("#objection-form .notice")

    # The organizer dismisses it with a reason and, once the notice has ended, awards.
    await page.reload()
    card = page.locator(".objection", has_text="班组集体完成")
    await card.wait_for()
    assert "13800001111" in await card.inner_text()
    await card.locator("[name=reason]").fill("经核查，该成果由本人主持完成，异议不成立")
    await card.locator("button[value=dismissed]").click()
    await confirm(page, expect="驳回异议")
    await page.locator(".objection .badge.ok", has_text="已驳回").wait_for()
    assert "异议不成立" in await page.inner_text("#objections")
    await set_notice_dates(pid, today - dt.timedelta(days=8), today - dt.timedelta(days=1))
    await page.reload()
    await page.wait_for_selector("#award:not([hidden])")
    await page.click("#award")
    await confirm(page, expect="名单不能再更改")
    await page.wait_for_selector("#honours-link:not([hidden])")

    # The honour roll shows the name, employer and award, and nothing private.
    await public.goto(f"/honours/{pid}")
    await public.wait_for_selector("#honours tbody tr")
    roll = await public.inner_text("#honours")
    assert "测试零" in roll and "甲公司" in roll and "亦城工匠" in roll and "YC2026-GJ-0001" in roll
    assert "测试二" not in roll
    await public_context.close()
