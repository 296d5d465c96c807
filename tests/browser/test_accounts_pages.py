"""账号管理 and 修改密码 in headless Chromium on a phone (390×844) and a tablet (1024×768); an error
shown next to its field on the sign-up form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.tables import User
from tests.browser.test_competitions import fill_sign_up
from tests.browser.ui import SIZES, confirm, horizontal_overflow, log_in, low_contrast, sized_page
from tests.competitions.support import make_competition

pytestmark = pytest.mark.browser


async def _log_in_with(page: Any, username: str, password: str) -> None:
    await page.goto("/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_function("() => !location.pathname.startsWith('/login')")


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_an_organizer_opens_a_judge_account_who_must_change_the_temporary_password(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await log_in(page, "organizer", "/organizer/accounts")
        await page.wait_for_selector("#users tbody tr[data-user='judge']")
        await page.select_option("#role", "judge")
        await page.fill("#display_name", "王裁判")
        await page.fill("#username", "wang_judge")
        await page.click("#create button[type=submit]")
        await page.wait_for_selector("#issued .temporary-password")
        temporary = (await page.inner_text("#issued .temporary-password")).strip()
        assert len(temporary) == 10
        await page.wait_for_selector("#users tbody tr[data-user='wang_judge']")
        assert "待改临时密码" in await page.inner_text("#users tbody tr[data-user='wang_judge']")
        assert await horizontal_overflow(page) <= 0
        assert await low_contrast(page) == []

        # A duplicate username is named next to its field, not only at the top of the form.
        await page.fill("#display_name", "重名")
        await page.fill("#username", "judge")
        await page.click("#create button[type=submit]")
        await page.wait_for_selector("[data-error-for='username']:not(:empty)")
        assert "已存在" in await page.inner_text("[data-error-for='username']")
        assert await page.get_attribute("#username", "aria-invalid") == "true"
        assert page.errors == [] or all("409" in e for e in page.errors)

        # Deactivating asks first and says what happens.
        await page.click("#users tbody tr[data-user='expert'] button[data-act=deactivate]")
        await confirm(page, expect="已登录的设备全部退出", values=("调离",))
        await page.wait_for_selector("#users tbody tr[data-user='expert'] button[data-act=reactivate]")
        assert (await User.select(User.active).where(User.username == "expert").first())["active"] is False

    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await _log_in_with(page, "wang_judge", temporary)
        await page.wait_for_url("**/account/password**")
        await page.wait_for_selector("#must-change:not([hidden])")
        await page.fill("#old_password", "not-it-123")
        await page.fill("#new_password", "Referee2026")
        await page.fill("#repeat", "Referee2026")
        await page.click("#password-form button[type=submit]")
        await page.wait_for_selector("[data-error-for='old_password']:not(:empty)")
        assert "原密码不正确" in await page.inner_text("[data-error-for='old_password']")
        await page.fill("#old_password", temporary)
        await page.click("#password-form button[type=submit]")
        await page.wait_for_selector("#done:not([hidden])")
        await page.click("#done a")
        await page.wait_for_url("**/judge**")
        assert await horizontal_overflow(page) <= 0
    row = await User.select(User.must_change_password).where(User.username == "wang_judge").first()
    assert row["must_change_password"] is False


async def test_everyone_reaches_the_password_page_from_the_header_on_a_phone(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await log_in(page, "officer", "/competitions")
        await page.wait_for_selector("header.bar nav a", state="attached")
        await page.click("header.bar button.menu-toggle")
        await page.click("header.bar nav a[href='/account/password']")
        await page.wait_for_url("**/account/password")
        assert await page.locator("#must-change").is_hidden()
        await page.fill("#old_password", "secret123")
        await page.fill("#new_password", "short")
        await page.fill("#repeat", "short")
        await page.click("#password-form button[type=submit]")
        await page.wait_for_selector("[data-error-for='new_password']:not(:empty)")
        assert "至少 8 位" in await page.inner_text("[data-error-for='new_password']")
        assert await horizontal_overflow(page) <= 0
        assert await low_contrast(page) == []


async def test_a_sign_up_error_sits_next_to_its_field_in_chinese(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(title="焊工技能竞赛")
    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await page.goto(f"/competitions/{competition_id}")
        await fill_sign_up(page, birth=dt.date(1990, 5, 5), username="wu_signup")
        await page.fill("#name", "")  # the page leaves an empty field out: the server says what is missing
        await page.click("#signup button[type=submit]")
        slot = page.locator("[data-error-for='name']")
        await slot.wait_for()
        await page.wait_for_function("() => document.querySelector(\"[data-error-for='name']\").textContent")
        text = await slot.inner_text()
        assert "姓名" in text and "Object" not in text and "`" not in text, text
        assert await page.get_attribute("#name", "aria-invalid") == "true"
        # The field is on screen (scrolled to), not only a message at the top of a long form.
        box = await page.locator("#name").bounding_box()
        assert box is not None and 0 <= box["y"] <= SIZES["phone"]["height"]
        assert await page.locator("#signup > .notice.bad:not([hidden])").count() == 0
        assert [e for e in page.errors if "422" not in e] == []


async def test_an_organizer_imports_accounts_from_a_workbook_on_a_tablet(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    from tests.accounts.test_staff_accounts import _workbook

    bad = _workbook([("li_officer", "李干部", "基层工会干部", "甲公司工会"), ("zz", "短", "厨师", "")])
    good = _workbook(
        [("li_officer", "李干部", "基层工会干部", "甲公司工会"), ("zhou_expert", "周专家", "评审专家", "")]
    )
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    async with sized_page(chromium, live_server, SIZES["tablet"]) as page:
        await log_in(page, "organizer", "/organizer/accounts")
        await page.wait_for_selector("#users tbody tr[data-user='judge']")
        await page.set_input_files("#file", {"name": "账号.xlsx", "mimeType": mime, "buffer": bad})
        await page.click("#import button[type=submit]")
        await page.wait_for_selector("#import-errors table")
        text = await page.inner_text("#import-errors")
        assert "未导入任何账号" in text and "用户名" in text and "角色" in text
        assert await User.count().where(User.username == "li_officer") == 0
        await page.set_input_files("#file", {"name": "账号.xlsx", "mimeType": mime, "buffer": good})
        await page.click("#import button[type=submit]")
        await page.wait_for_selector("#issued .temporary-password")
        assert await page.locator("#issued .temporary-password").count() == 2
        await page.wait_for_selector("#users tbody tr[data-user='zhou_expert']")
        assert await horizontal_overflow(page) <= 0
