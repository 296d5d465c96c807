"""In headless Chromium: the judge's sheet shows a running total per module and overall in exact
decimals, says what each judgement level means, and a submitted sheet reads as done; changing it is an
explicit 修改评分."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from scoring.tables import SheetMark
from tests.browser.judge_pages import link_token, scan_link, sheet_of, wait_text
from tests.helpers import login
from tests.scoring.entry_world import build

pytestmark = pytest.mark.browser

LEVEL_TEXTS = ["低于行业标准", "达到行业标准", "达到行业标准，并在某些方面超出", "优秀：全面超出行业标准"]


def exact_rules(theory_id: int, practical_id: int) -> dict[str, Any]:
    """A rubric whose sums floats get wrong: 0.7 x 1.5 + 0.2 is 1.2499999999999998 in binary floats."""
    measured = {"kind": "measurement", "step": "0.1"}
    return {
        "stages": [
            {
                "id": str(theory_id),
                "name": "理论知识",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "30",
            },
            {
                "id": str(practical_id),
                "name": "实际操作",
                "kind": "rubric",
                "full_marks": "100",
                "weight_percent": "70",
                "modules": [
                    {
                        "id": "m1",
                        "name": "功能与工艺",
                        "aspects": [
                            {"id": "a2", "name": "功能达标", "kind": "pass_fail", "max_mark": "20"},
                            {"id": "a3", "name": "工艺规范", "kind": "judgement", "max_mark": "40"},
                        ],
                    },
                    {
                        "id": "m3",
                        "name": "尺寸精度",
                        "aspects": [
                            {"id": "a1", "name": "孔距", "max_mark": "20", "factor": "1.5", **measured},
                            {"id": "a4", "name": "平面度", "max_mark": "10", **measured},
                        ],
                    },
                    {
                        "id": "m2",
                        "name": "安全文明生产",
                        "aspects": [
                            {
                                "id": "d1",
                                "name": "安全扣分",
                                "kind": "deduction",
                                "max_mark": "10",
                                "step": "1",
                            }
                        ],
                    },
                ],
            },
        ],
    }


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    competition = built["competition_id"]
    rules = exact_rules(built["theory_id"], built["practical_id"])
    scheme = await client.put(f"/api/competitions/{competition}/scoring", json={"rules": rules})
    assert scheme.status_code == 200, scheme.text
    judges = [{"user_id": uid, "is_chief": name == "judge"} for name, uid in built["judges"].items()]
    panel = await client.post(f"/api/competitions/{competition}/judges", json={"judges": judges})
    assert panel.status_code == 200, panel.text
    return built


async def open_first_sheet(page: Any, client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    token = await link_token(client, w, "judge3")
    await scan_link(page, token)
    await page.click(".judge-card:has(.judge-station b:text-is('1'))")
    await page.wait_for_selector("#aspect-a3 button")


async def type_mark(page: Any, aspect: str, value: str) -> None:
    await page.fill(f"#aspect-{aspect}", value)
    await page.press(f"#aspect-{aspect}", "Tab")


async def totals(page: Any) -> dict[str, str]:
    return await page.evaluate(
        """() => Object.fromEntries([
            ...[...document.querySelectorAll('[data-module-total]')]
                .map((el) => [el.dataset.moduleTotal, el.textContent]),
            ['sheet', document.querySelector('#sheet-total').textContent],
            ['max', document.querySelector('#sheet-max').textContent],
            ['marked', document.querySelector('#sheet-marked').textContent],
        ])"""
    )


async def test_the_running_total_is_exact_and_the_levels_are_explained(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await open_first_sheet(page, client, w)
    # What levels 0-3 mean: in the legend and on each button.
    assert [t.strip() for t in await page.locator("#levels-list dd").all_inner_texts()] == LEVEL_TEXTS
    assert await page.is_visible("#levels")
    buttons = await page.locator("#aspect-a3 button").all_inner_texts()
    assert [b.split() for b in buttons] == [
        ["0", "低于标准"],
        ["1", "达到标准"],
        ["2", "部分超出"],
        ["3", "优秀"],
    ]
    assert await page.get_attribute("#aspect-a3 [data-value='3']", "title") == "3 分：优秀：全面超出行业标准"

    assert await totals(page) == {
        "m1": "小计 0 / 60",
        "m3": "小计 0 / 40",
        "m2": "小计 0",
        "sheet": "0",
        "max": "100",
        "marked": "0/5",
    }
    await page.click("#aspect-a2 button[data-value='20']")
    await page.click("#aspect-a3 button[data-value='1']")  # 1 / 3 x 40: a third, shown rounded with ≈
    await type_mark(page, "a1", "0.7")  # x 1.5 = 1.05
    await type_mark(page, "a4", "0.2")
    await type_mark(page, "d1", "3")
    assert await totals(page) == {
        "m1": "小计 ≈33.33 / 60",
        "m3": "小计 1.25 / 40",
        "m2": "小计 -3",
        "sheet": "≈31.58",
        "max": "100",
        "marked": "5/5",
    }
    await page.click("#aspect-a3 button[data-value='3']")
    assert (await totals(page))["sheet"] == "58.25"  # 20 + 40 + 1.05 + 0.2 - 3, exactly
    # A number being typed counts at once (before it is committed).
    await page.fill("#aspect-a4", "0.1")
    assert (await totals(page))["m3"] == "小计 1.15 / 40"


async def test_a_submitted_sheet_reads_as_done_and_changing_it_is_explicit(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    await open_first_sheet(page, client, w)
    await page.click("#aspect-a2 button[data-value='20']")
    await page.click("#aspect-a3 button[data-value='2']")
    await type_mark(page, "a1", "15")
    await type_mark(page, "a4", "8")
    await page.click("#submit")  # the blank deduction counts as none
    await wait_text(page, "#sheet-status", "已提交")
    await page.wait_for_selector("#sheet-done:not([hidden])")
    done = await page.inner_text("#sheet-done")
    assert "✓" in done and "已提交" in done
    assert re.search(r"提交时间 .*\d{2}:\d{2}", done)  # Beijing time, as App.when shows it
    assert "重新提交" not in await page.inner_text("#sheet")
    assert await page.is_hidden("#submit")
    assert await page.inner_text("#edit") == "修改评分"
    assert await page.is_disabled("#aspect-a1") and await page.is_disabled("#aspect-a3 [data-value='1']")
    assert await page.is_visible("#sign")
    card = page.locator(".judge-card:has(.judge-station b:text-is('1'))")

    # 修改评分: the sheet opens again, each change is saved, 完成修改 closes it.
    await page.click("#edit")
    assert await page.is_enabled("#aspect-a1")
    assert await page.inner_text("#submit") == "完成修改"
    assert await page.is_hidden("#sign")
    assert "正在修改" in await page.inner_text("#sheet-notice")
    await type_mark(page, "a1", "16.5")
    await page.click("#submit")
    await page.wait_for_selector("#sheet-done:not([hidden])")
    await page.wait_for_function("document.querySelector('#pending-count').textContent === '0'")
    sheet = await sheet_of(w, "judge3", 1)
    assert sheet is not None and sheet["status"] == "submitted"
    marks = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet["id"])
    expected = {"a1": "16.5", "a2": "20", "a3": "2", "a4": "8", "d1": "0"}
    assert {m["aspect_id"]: m["value"] for m in marks} == {a: Decimal(v) for a, v in expected.items()}
    await page.click("#back")
    assert "已提交 ✓" in await card.inner_text()
