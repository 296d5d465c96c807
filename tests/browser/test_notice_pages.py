"""The public notice and the honour roll in headless Chromium, anonymous, on a phone and a tablet: search by
name or employer, no column off-screen, a 500-name notice scrolling inside its own box, a print view, the
objection's confirmation brought into view and focused, and no console error on the way."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from tests.awards.pipeline_factories import person, set_notice_dates, shortlisted
from tests.browser.test_awards_pipeline import known_calendar
from tests.browser.ui import SIZES, confirm, horizontal_overflow, sized_page
from tests.helpers import login, new_client

pytestmark = pytest.mark.browser

PEOPLE = [person("王建国", 0), person("李秀英", 1, female=True), person("张伟", 0)]
SCORES = {"王建国": 95, "李秀英": 90, "张伟": 85}
OFFICE = {
    "issuing_body": "北京经济技术开发区总工会",
    "objection_office": "开发区总工会纪检组",
    "objection_phone": "010-6788 1234",
    "objection_address": "亦城大厦 5 层 502 室",
}


async def in_notice(
    live_server: str, world: dict[str, Any], people: list[Any] = PEOPLE, scores: dict[str, int] = SCORES
) -> int:
    """A programme whose three nominees are in public notice from today."""
    from core.db import today_shanghai

    today = today_shanghai()
    await known_calendar(today)
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        built = await shortlisted(organizer, world, people, scores, total_awards=3, **OFFICE)
        pid = built["programme_id"]
        opened = await organizer.post(f"/api/programmes/{pid}/notice", json={})
        assert opened.status_code == 200, opened.text
    await set_notice_dates(pid, today, today + dt.timedelta(days=7))
    return pid


async def cells_inside(page: Any, table: str) -> bool:
    """Every visible cell of ``table`` lies within the screen's width."""
    return await page.evaluate(
        """(table) => [...document.querySelectorAll(`${table} tbody tr:not([hidden]) td`)]
             .map((td) => td.getBoundingClientRect())
             .every((box) => box.right <= innerWidth + 0.5 && box.left >= -0.5)""",
        table,
    )


async def search(page: Any, words: str) -> list[str]:
    await page.fill("#search", words)
    return await page.locator("table.roll tbody tr:not([hidden]) td.name").all_inner_texts()


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_the_public_searches_the_notice_and_objects(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    pid = await in_notice(live_server, world)
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await page.goto(f"/notice/{pid}")
        await page.wait_for_selector("body[data-ready] #names tbody tr")
        assert await horizontal_overflow(page) <= 0
        assert await cells_inside(page, "#names")
        assert "共 3 人" in await page.inner_text("#search-count")
        # Who publishes it, and where and how to object, declared by the programme.
        office = await page.inner_text("#how-to-object")
        for text in ("开发区总工会纪检组", "010-6788 1234", "亦城大厦 5 层 502 室", "书面形式"):
            assert text in office, office
        assert await page.get_attribute("#office a[href^='tel:']", "href") == "tel:01067881234"
        assert "北京经济技术开发区总工会" in await page.inner_text("#issuer")
        assert await search(page, "李秀英") == ["李秀英"]
        assert sorted(await search(page, "甲公司")) == ["张伟", "王建国"]  # by employer
        assert await search(page, "没有此人") == []
        assert await page.is_visible("#no-match")
        await search(page, "")

        # The row's 异议 button leads to the form; once sent, the receipt is on screen and has the focus.
        await page.locator("#names tr", has_text="张伟").locator("[data-object]").click()
        assert await page.input_value("#nomination_id") == str(
            await page.locator("#names tr", has_text="张伟")
            .locator("[data-object]")
            .get_attribute("data-object")
        )
        await page.fill("#grounds", "该同志申报的技术革新成果为班组集体完成，请核实。")
        await page.click("#objection-form button[type=submit]")
        await confirm(page, expect="不能撤回")
        receipt = page.locator("#objection-form .notice.ok")
        await receipt.wait_for()
        assert "张伟" in await receipt.inner_text()
        assert await receipt.evaluate("(el) => document.activeElement === el")
        box = await receipt.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SIZES[size]["height"]
        assert page.errors == []


async def test_a_500_name_notice_scrolls_in_its_box_and_prints_whole(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    pid = await in_notice(live_server, world)

    async def five_hundred(route: Any) -> None:
        response = await route.fetch()  # the server's own answer, its list repeated to 500 names
        data = await response.json()
        first = data["items"][0]
        data["items"] = [
            {
                **first,
                "nomination_id": first["nomination_id"],
                "name": f"职工{i:03d}",
                "employer_name": f"第{i % 37}号企业",
            }
            for i in range(500)
        ]
        await route.fulfill(response=response, json=data)

    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await page.route(f"**/api/public/programmes/{pid}/notice", five_hundred)
        await page.goto(f"/notice/{pid}")
        await page.wait_for_selector("body[data-ready] #names tbody tr")
        assert await page.locator("#names tbody tr").count() == 500
        assert await horizontal_overflow(page) <= 0
        box = page.locator(".roll-list")
        height = await box.evaluate("(el) => el.clientHeight")
        assert height <= 0.76 * SIZES["phone"]["height"]
        assert await box.evaluate("(el) => el.scrollHeight > el.clientHeight * 5")  # it scrolls inside
        # The form after the list is near, not 500 rows away.
        form_top = await page.evaluate("() => document.querySelector('#objection').offsetTop")
        list_top = await page.evaluate("() => document.querySelector('.roll-list').offsetTop")
        how = await page.evaluate("() => document.querySelector('#how-to-object').offsetHeight")
        assert form_top - list_top <= height + how + 200
        assert await search(page, "职工123") == ["职工123"]

        # Printed, the whole list in one plain table: no search box, no scroll box, no header bar.
        await page.emulate_media(media="print")
        assert await page.is_hidden(".roll-tools") and await page.is_hidden("header.bar")
        assert await page.is_hidden("#objection")
        assert await box.evaluate("(el) => getComputedStyle(el).overflow") == "visible"
        assert await page.locator("#names tbody tr:visible").count() == 500  # the search does not shorten it
        assert await page.locator("#names thead").is_visible()
        assert page.errors == []


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_the_honour_roll_is_searchable_and_fits(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    pid = await in_notice(live_server, world)
    from core.db import today_shanghai

    today = today_shanghai()
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await page.goto(f"/honours/{pid}")  # not awarded yet: said in words, no 404 asked for
        await page.wait_for_selector("#page-notice:not([hidden])")
        assert "表彰名单尚未公布" in await page.inner_text("#page-notice")
        await set_notice_dates(pid, today - dt.timedelta(days=8), today - dt.timedelta(days=1))
        async with new_client(base_url=live_server) as organizer:
            await login(organizer, "organizer")
            assert (await organizer.post(f"/api/programmes/{pid}/award", json={})).status_code == 200
        await page.goto(f"/honours/{pid}")
        await page.wait_for_selector("body[data-ready] #honours tbody tr")
        assert await horizontal_overflow(page) <= 0
        assert await cells_inside(page, "#honours")
        assert await search(page, "王") == ["王建国"]
        assert sorted(await search(page, "乙公司")) == ["李秀英"]
        assert "北京经济技术开发区总工会" in await page.inner_text("#facts")
        assert today.isoformat() in await page.inner_text("#issuer")
        certificate = await page.locator("#honours tbody tr:not([hidden]) td.cert").inner_text()
        assert certificate.startswith("YC")
        await page.emulate_media(media="print")
        assert await page.is_hidden(".roll-tools")
        assert await page.locator("#honours tbody tr:visible").count() == 3
        assert page.errors == []


async def test_a_replacement_is_published_with_a_notice_period_of_its_own(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    people = [*PEOPLE, person("赵敏", 1, female=True)]
    pid = await in_notice(live_server, world, people, {**SCORES, "赵敏": 80})
    async with new_client(base_url=live_server) as api:
        notice = (await api.get(f"/api/public/programmes/{pid}/notice")).json()
        target = next(i["nomination_id"] for i in notice["items"] if i["name"] == "张伟")
        lodged = await api.post(
            f"/api/public/programmes/{pid}/objections",
            json={"nomination_id": target, "grounds": "该同志的技术成果为班组集体完成，事迹不实。"},
        )
        assert lodged.status_code == 201, lodged.text
        await login(api, "organizer")
        upheld = await api.post(
            f"/api/objections/{lodged.json()['id']}/resolve", json={"decision": "upheld", "reason": "属实"}
        )
        assert upheld.status_code == 200, upheld.text
        ends = upheld.json()["change"]["notice_ends_on"]
        early = await api.post(f"/api/programmes/{pid}/award", json={})
        assert early.status_code == 409
    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await page.goto(f"/notice/{pid}")
        await page.wait_for_selector("body[data-ready] #names tbody tr")
        row = page.locator("#names tr", has_text="赵敏")
        assert f"递补，公示至 {ends}" in await row.inner_text()
        assert "赵敏 递补为拟表彰人选" in await page.inner_text("#changes")
        assert "张伟" not in await page.inner_text("#changes")
        if os.environ.get("YICHENG_SCREENSHOTS"):
            await page.screenshot(path=os.environ["YICHENG_SCREENSHOTS"], full_page=True)
        assert await horizontal_overflow(page) <= 0 and await cells_inside(page, "#names")
        assert page.errors == []
