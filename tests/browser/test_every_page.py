"""Every page of the route table, opened in Chromium at phone width (390×844) by the role that uses it: the
document is never wider than the phone (wide tables scroll inside themselves). And every page a visitor can
open logs no console error at all (no 401 from asking who is logged in, no 404 for what is not out yet)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar

from tests.browser.test_layout import published_competition, settle
from tests.browser.test_notice_pages import in_notice
from tests.browser.ui import SIZES, horizontal_overflow, log_in, sized_page

pytestmark = pytest.mark.browser

# Which role opens each page (the rest are the organizer's); pages a visitor may open are "visitor".
ROLE_OF = {
    "/": "visitor",
    "/login": "visitor",
    "/awards": "visitor",
    "/competitions": "visitor",
    "/competitions/{competition_id:int}": "visitor",
    "/results": "visitor",
    "/results/{competition_id:int}": "visitor",
    "/notice/{programme_id:int}": "visitor",
    "/honours/{programme_id:int}": "visitor",
    "/bigscreen/{competition_id:int}": "visitor",
    "/statistics": "visitor",
    "/my/data": "contestant",
    "/my/registrations": "contestant",
    "/results/{competition_id:int}/appeal": "contestant",
    "/union/nominations": "officer",
    "/judge": "judge",
    "/judge/chief": "judge",
    "/review": "expert",
    "/account/password": "officer",
}
SKIP = {"/tablet-sw.js"}


def page_paths(app: Litestar) -> list[str]:
    paths = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if str(handler.name).startswith("page:") and route.path not in SKIP:
                paths.append(route.path)
    return sorted(set(paths))


def filled(path: str, competition_id: int, programme_id: int) -> str:
    path = path.replace("{competition_id:int}", str(competition_id))
    path = path.replace("{programme_id:int}", str(programme_id))
    if path in {"/organizer/scoring", "/organizer/scoring/links", "/judge/chief"}:
        path += f"?competition={competition_id}"
    assert not re.search(r"\{", path), path
    return path


async def test_no_page_is_wider_than_a_phone_and_visitors_see_no_console_error(
    app: Litestar, chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    built = await published_competition(world, live_server)
    programme = await in_notice(live_server, world)
    paths = page_paths(app)
    assert len(paths) >= 35  # the whole route table, not a hand-picked few
    by_role: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        by_role.setdefault(ROLE_OF.get(path, "organizer"), []).append(
            (path, filled(path, built.competition_id, programme))
        )
    wide: list[str] = []
    console: list[str] = []
    for role, pages in sorted(by_role.items()):
        async with sized_page(chromium, live_server, SIZES["phone"]) as page:
            if role != "visitor":
                await log_in(page, {"officer": "officer"}.get(role, role))
            for template, url in pages:
                before = len(page.errors)
                await settle(page, url)
                overflow = await horizontal_overflow(page)
                width = await page.evaluate("() => document.documentElement.scrollWidth")
                if overflow > 0 or width > SIZES["phone"]["width"]:
                    wide.append(f"{template} ({role}): {width}px")
                if role == "visitor":
                    console += [f"{template}: {e}" for e in page.errors[before:]]
                else:
                    console += [f"{template} ({role}): {e}" for e in page.errors[before:] if "pageerror" in e]
    assert wide == []
    assert console == []
