"""What the judge-tablet browser tests share: a one-time link, a sheet in the database, marking a sheet."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from scoring.tables import ScoreSheet

# Wider than the viewport means the page scrolls sideways: nothing may (tables scroll inside their box).
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


async def link_token(client: httpx.AsyncClient, w: dict[str, Any], judge: str) -> str:
    """A new one-time log-in link for a judge (``client`` is the organizer's), as its token."""
    response = await client.post(f"/api/competitions/{w['competition_id']}/judges/{w['judges'][judge]}/link")
    assert response.status_code == 201, response.text
    return token_of(response.json()["url"])


async def scan_link(page: Any, link: str) -> None:
    """A judge scans a one-time link (its token or its whole URL): its page opens with a button (opening it
    spends nothing), the judge taps the button, and the tablet page opens signed in."""
    await page.goto(link if "/judge/login" in link else f"/judge/login?token={link}")
    await page.click("#use-link")
    await page.wait_for_url(re.compile(r"/judge\?competition=\d+"))


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def sheet_of(w: dict[str, Any], judge: str, station: int) -> dict[str, Any] | None:
    contestant = w["contestants"][station - 1]
    return (
        await ScoreSheet.select(ScoreSheet.id, ScoreSheet.status, ScoreSheet.version)
        .where(
            ScoreSheet.sheet_key
            == f"{w['practical_id']}:{contestant['registration_id']}:{w['judges'][judge]}"
        )
        .first()
    )


async def mark_sheet(page: Any, *, a1: str, a2: str, a3: str) -> None:
    await page.click(f"#aspect-a3 button[data-value='{a3}']")
    await page.click(f"#aspect-a2 button[data-value='{a2}']")
    await page.fill("#aspect-a1", a1)
    await page.press("#aspect-a1", "Tab")  # commits the number (change event)


async def open_station(page: Any, station: int) -> None:
    await page.click(f".judge-card:has(.judge-station b:text-is('{station}'))")
    await page.wait_for_selector("#sheet:not([hidden])")
    await page.wait_for_selector("#aspect-a3 button")


async def wait_text(page: Any, selector: str, text: str) -> None:
    """Until the element's whole text is ``text``."""
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent.trim() === text",
        arg=[selector, text],
    )


async def network_down(context: Any) -> None:
    """The venue's network drops. Offline emulation alone lets a request slip out of a document just
    reloaded (Chromium re-applies it a moment late), so every request is also refused on the way out."""
    await context.route("**/*", lambda route: route.abort("internetdisconnected"))
    await context.set_offline(True)


async def network_up(context: Any) -> None:
    await context.unroute("**/*")
    await context.set_offline(False)


async def click_logout(page: Any) -> None:
    """退出 in the header; on a phone the header's links fold behind 菜单, so open it first."""
    toggle = page.locator("header.bar button.menu-toggle")
    if await toggle.count() and await toggle.is_visible():
        await toggle.click()
    await page.click("header.bar nav a.logout")
