"""Helpers the browser tests share: the confirm dialog, the two screen sizes, page measurements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
SIZES = {"phone": PHONE, "tablet": TABLET}


async def confirm(page: Any, *, expect: str | None = None, values: tuple[str, ...] = ()) -> str:
    """Answer the page's confirm dialog (App.confirm): type ``values`` into its fields, press the action.

    Returns the dialog's text; ``expect`` must be part of it (the dialog says what will happen).
    """
    dialog = page.locator("dialog.confirm-dialog[open]")
    await dialog.wait_for()
    text = await dialog.inner_text()
    if expect is not None:
        assert expect in text, text
    for index, value in enumerate(values):
        await dialog.locator("[data-field]").nth(index).fill(value)
    await dialog.locator("[data-dialog-ok]").click()
    await dialog.wait_for(state="detached")
    return text


async def cancel(page: Any) -> None:
    dialog = page.locator("dialog.confirm-dialog[open]")
    await dialog.wait_for()
    await dialog.locator("[data-dialog-cancel]").click()
    await dialog.wait_for(state="detached")


async def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0 when nothing sticks out)."""
    return await page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


@asynccontextmanager
async def sized_page(
    chromium: Any, base_url: str, size: dict[str, int], *, touch: bool = True
) -> AsyncIterator[Any]:
    """A fresh browser page of the given size (own cookies) that records console errors in ``.errors``."""
    context = await chromium.new_context(base_url=base_url, locale="zh-CN", viewport=size, has_touch=touch)
    context.set_default_timeout(20_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", _collect(errors))
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.errors = errors
    try:
        yield page
    finally:
        await context.close()


def _collect(errors: list[str]) -> Callable[[Any], None]:
    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    return on_console


# Contrast of every piece of visible text against its background (see contrast.js).
CONTRAST_JS = (Path(__file__).with_name("contrast.js")).read_text(encoding="utf-8")


async def contrast(page: Any, selector: str = "body *") -> list[dict[str, Any]]:
    """Every element under ``selector`` with its own visible text: its contrast ratio and what it needs."""
    return await page.evaluate(CONTRAST_JS, selector)


async def low_contrast(page: Any, selector: str = "body *") -> list[dict[str, Any]]:
    return [item for item in await contrast(page, selector) if item["ratio"] < item["need"]]


async def log_in(page: Any, username: str, next_path: str = "") -> None:
    """Log in through the page's own form (and land on ``next_path`` when given)."""
    from tests.helpers import PASSWORD

    await page.goto(f"/login?next={next_path}" if next_path else "/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_function("() => !location.pathname.startsWith('/login')")
