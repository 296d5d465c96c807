"""Helpers the browser tests share: the confirm dialog, the two screen sizes, page measurements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
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
    context = await chromium.new_context(
        base_url=base_url, locale="zh-CN", viewport=size, has_touch=touch
    )
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


# Contrast of every piece of visible text against the background it is drawn on (WCAG 2.x relative
# luminance; translucent backgrounds are blended up the ancestors; 4.5:1, or 3:1 for large text).
CONTRAST_JS = """
(selector) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let color = [255, 255, 255, 1]; for (const layer of layers.reverse()) color = over(layer, color); return color; };
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
    if (el.closest("[disabled], [aria-disabled=true]")) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [a, b] = [lum(fg), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    out.push({ text: el.textContent.trim().slice(0, 30), ratio: Math.round(ratio * 100) / 100,
               need: large ? 3 : 4.5, tag: el.tagName, cls: el.className });
  }
  return out;
}
"""


async def contrast(page: Any, selector: str = "body *") -> list[dict[str, Any]]:
    """Every element under ``selector`` with its own visible text: its contrast ratio and what it needs."""
    return await page.evaluate(CONTRAST_JS, selector)


async def low_contrast(page: Any, selector: str = "body *") -> list[dict[str, Any]]:
    return [item for item in await contrast(page, selector) if item["ratio"] < item["need"]]
