"""In headless Chromium: the organizer closes a round on the results page; the published board, the public
leaderboard on a phone and the big screen show a column per round and 累计, a contestant cut as 未晋级
(never a 0), the chosen module columns; wide tables scroll inside themselves."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.ui import PHONE, TABLET, confirm, horizontal_overflow, log_in, low_contrast, sized_page
from tests.helpers import login, new_client
from tests.scoring import factories
from tests.scoring import rounds_world as rw

pytestmark = pytest.mark.browser

FIRST = ["88.5", "92", "71.25", "80", "64", "79.5"]  # the best three go through: contestants 1, 0, 3
FINAL = {0: "90", 1: "85.5", 3: "93"}


def rules(first: int, final: int) -> dict[str, Any]:
    return {
        "stages": [
            {
                "id": str(first),
                "name": "初赛",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "40",
            },
            {
                "id": str(final),
                "name": "决赛",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "60",
            },
        ],
        "rounding": {"final": {"decimals": 2, "mode": "half_up"}},
        "tiers": {"method": "count", "counts": [1, 1, 1]},
        "rounds": {
            "rounds": [
                {"id": "r1", "name": "初赛", "stages": [str(first)], "cut": "top", "count": 3},
                {"id": "r2", "name": "决赛", "stages": [str(final)]},
            ],
            "total": "sum",
        },
    }


async def test_the_boards_show_each_round_the_total_and_who_was_cut(
    chromium: Any, world: dict[str, Any], results_server: str
) -> None:
    w = await rw.build(
        world,
        contestants=len(FIRST),
        stages=[("初赛", "theory", "40"), ("决赛", "theory", "60")],
        competition_id=factories.fresh_competition_id(),
    )
    cid = w["competition_id"]
    async with new_client(base_url=results_server) as organizer:
        await login(organizer, "organizer")
        await rw.set_rules(organizer, w, rules(*w["stage_ids"]))
        assert (await rw.import_marks(organizer, w, 0, dict(enumerate(FIRST)))).status_code == 200

    async with sized_page(chromium, results_server, TABLET) as page:
        await log_in(page, "organizer", f"/organizer/competitions/{cid}/results")
        await page.wait_for_selector("#rounds-section:not([hidden]) [data-close='r1']")
        await page.click("[data-close='r1']")
        await confirm(page, expect="确定晋级名单", values=("初赛结束",))
        await page.wait_for_selector("#message:has-text('初赛已结束')")
        await page.wait_for_selector(".round[data-round='r1'] ol.start-order li")
        order = await page.locator(".round[data-round='r1'] ol.start-order li").all_inner_texts()
        assert [text.split()[1][: len(w["codes"][0])] for text in order] == [w["codes"][i] for i in (3, 0, 1)]
        assert "未晋级" in await page.inner_text(".round[data-round='r1']")
        assert page.errors == []

    async with new_client(base_url=results_server) as organizer, new_client(base_url=results_server) as judge:
        await login(organizer, "organizer")
        await login(judge, "judge")
        assert (await rw.import_marks(organizer, w, 1, FINAL)).status_code == 200
        await rw.sign_everything(judge, w, [])
        async with new_client(base_url=results_server) as public:
            out = await rw.publish(organizer, public, w)
    cut_row = next(r for r in out["board"]["rows"] if r["blind_code"] == w["codes"][2])
    assert cut_row["eliminated_after"] == 0

    async with sized_page(chromium, results_server, PHONE) as page:
        await page.goto(f"/results/{cid}")
        await page.wait_for_selector("#board th:has-text('累计')")
        head = await page.locator("#board thead th").all_inner_texts()
        assert "初赛" in head and "决赛" in head
        cut = page.locator(f"#board tr[data-code='{w['codes'][2]}']")
        assert "未晋级" in await cut.inner_text()
        winner = await page.locator("#board tbody tr").first.inner_text()
        # 88.5 x 40 % + 90 x 60 % = 35.40 + 54.00 = 89.40 beats 36.80 + 51.30 = 88.10, 32.00 + 55.80 = 87.80
        assert "一等奖" in winner and "35.40" in winner and "54.00" in winner and "89.40" in winner
        assert await horizontal_overflow(page) == 0
        assert await low_contrast(page, "#board *") == []
        assert page.errors == []

    async with sized_page(chromium, results_server, TABLET) as page:
        await page.goto(f"/bigscreen/{cid}")
        await page.wait_for_selector("#board[data-phase='published'] th:has-text('累计')")
        assert "未晋级" in await page.inner_text(f"#board tr[data-code='{w['codes'][2]}']")
        assert page.errors == []
