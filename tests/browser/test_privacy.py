"""In headless Chromium, phone-sized: the consent on sign-up, and the "my data" page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from accounts.tables import Consent, DataRequest, Person
from tests.browser.test_competitions import fill_sign_up
from tests.competitions.support import make_competition
from tests.helpers import make_id_number

pytestmark = pytest.mark.browser


async def test_sign_up_shows_the_notice_and_needs_both_consents(page: Any, world: dict[str, Any]) -> None:
    competition_id = await make_competition(title="焊工技能竞赛")
    await page.goto(f"/competitions/{competition_id}")
    number = make_id_number(dt.date(1988, 8, 8))
    await fill_sign_up(page, birth=dt.date(1988, 8, 8), id_number=number, name="𠮷田 美", consent=False)
    notice = await page.inner_text("#consent")
    for words in ("收集的信息", "用途", "保存期限", "谁能看到", "敏感个人信息"):
        assert words in notice
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("#signup .notice.bad, [data-error-for='consent']:not(:empty)")
    assert "同意" in await page.inner_text("#signup")
    await page.check("#consent_general")
    await page.click("#signup button[type=submit]")
    await page.locator("[data-error-for='consent.sensitive_id']", has_text="敏感个人信息").wait_for()
    assert await Person.count() == 4  # nothing written
    await page.check("#consent_sensitive")
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("#result.notice.ok")
    person = await Person.select(Person.id, Person.name).where(Person.name == "𠮷田 美").first()
    assert person is not None
    purposes = await Consent.select(Consent.purpose).where(Consent.person == person["id"])
    assert sorted(p["purpose"] for p in purposes) == ["personal_information", "sensitive_id"]


async def test_my_data_page_shows_downloads_and_takes_requests(page: Any, world: dict[str, Any]) -> None:
    competition_id = await make_competition(title="钳工技能竞赛")
    await page.goto(f"/competitions/{competition_id}")
    number = make_id_number(dt.date(1990, 1, 2))
    await fill_sign_up(page, birth=dt.date(1990, 1, 2), id_number=number, name="阿卜杜热合曼·买买提")
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("#result.notice.ok")
    await page.goto("/my/data")
    await page.wait_for_selector("#my-name")
    assert await page.inner_text("#my-name") == "阿卜杜热合曼·买买提"
    text = await page.inner_text("main")
    assert number not in text and number[-4:] in text  # masked on the page
    assert "钳工技能竞赛" in text and "同意记录" in text
    async with page.expect_download() as download_info:
        await page.click("#download-html")
    download = await download_info.value
    content = Path(await download.path()).read_text(encoding="utf-8")  # noqa: ASYNC240 - a small local file
    assert number in content and "阿卜杜热合曼·买买提" in content
    await page.fill("#c-name", "王1")
    await page.click("#correction button[type=submit]")
    await page.locator("[data-error-for='changes.name']", has_text="不能含有").wait_for()
    await page.fill("#c-name", "阿卜杜热合曼·买买提江")
    await page.click("#correction button[type=submit]")
    await page.wait_for_selector("#correction .notice.ok")
    assert "处理中" in await page.inner_text("#requests")
    assert await DataRequest.count() == 1
