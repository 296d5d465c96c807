"""In headless Chromium: the organizer logs in and reads the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


async def test_organizer_logs_in_and_sees_the_audit_log(page: Any, world: dict[str, Any]) -> None:
    await page.goto("/login")
    await page.fill("#username", "organizer")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/organizer/competitions")
    await page.goto("/audit")
    await page.wait_for_selector("#entries .audit-entry")
    text = await page.inner_text("#entries")
    assert "新建账号" in text and "新建基层工会" in text
    assert "user.create" not in text  # codes only under 查看原始数据
    # On a phone the header is one line; its links fold behind 菜单.
    assert (await page.locator("header.bar").bounding_box())["height"] <= 60
    assert await page.locator("header.bar nav").is_hidden()
    await page.click("header.bar .menu-toggle")
    assert "退出" in await page.inner_text("header nav")


async def test_wrong_password_shows_the_reason(page: Any, world: dict[str, Any]) -> None:
    await page.goto("/login")
    await page.fill("#username", "organizer")
    await page.fill("#password", "wrong-password-1")
    await page.click("button[type=submit]")
    await page.wait_for_selector(".notice.bad")
    assert "用户名或密码错误" in await page.inner_text(".notice.bad")


async def test_audit_page_sends_anonymous_visitors_to_log_in(page: Any, world: dict[str, Any]) -> None:
    await page.goto("/audit")
    await page.wait_for_url("**/login?next=%2Faudit")
