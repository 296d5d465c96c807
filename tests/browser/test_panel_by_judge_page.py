"""The organizer's scoring page in headless Chromium: a panel built judge by judge with what is still missing
shown per aspect, one judge's modules edited alone, an absence (缺席) recorded; and the rubric builder's new
fields (最低分/允许负分, 最少有效评分数, 总分方式) saved as the API holds them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.ui import SIZES, confirm, horizontal_overflow, log_in, sized_page
from tests.competitions.support import make_competition
from tests.helpers import PASSWORD, login, new_client
from tests.scoring.entry_world import practical_rules

pytestmark = pytest.mark.browser


async def judge_account(username: str) -> int:
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.schemas import UserIn

    user = await accounts_service.create_user(
        SYSTEM, UserIn(username=username, password=PASSWORD, role="judge", display_name=f"裁判{username[-1]}")
    )
    return user.id


async def stage_ids(competition_id: int) -> tuple[int, int]:
    from competitions.tables import Stage

    rows = await Stage.select(Stage.id).where(Stage.competition == competition_id).order_by(Stage.position)
    return rows[0]["id"], rows[1]["id"]


async def open_page(page: Any, competition_id: int) -> None:
    await log_in(page, "organizer", f"/organizer/scoring?competition={competition_id}")
    await page.wait_for_selector("body[data-ready] .rubric-builder .rb-stage")


async def add_judge(page: Any, user_id: int, modules: tuple[str, ...]) -> None:
    for selector in ("#judge-choices", "#module-choices"):
        checked = page.locator(f"{selector} input:checked")
        while await checked.count():
            await checked.first.uncheck()
    await page.check(f"#judge-choices input[value='{user_id}']")
    for module in modules:
        await page.check(f"#module-choices input[value='{module}']")
    await page.click("#add-judges button[type=submit]")
    await page.locator("#message.ok", has_text="裁判组已更新").wait_for()


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_the_panel_is_built_judge_by_judge_on_the_page(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    competition_id = await make_competition(state="open")
    theory_id, practical_id = await stage_ids(competition_id)
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        put = await api.put(
            f"/api/competitions/{competition_id}/scoring",
            json={"rules": practical_rules(theory_id, practical_id, trim=1)},
        )
        assert put.status_code == 200, put.text
    two, three = await judge_account("judge2"), await judge_account("judge3")
    one = world["users"]["judge"]
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await open_page(page, competition_id)
        # The technical judge first (safety deductions only): accepted, and the page says what is missing.
        await add_judge(page, one, ("m2",))
        missing = page.locator("#panel-missing")
        await missing.wait_for()
        assert "评分项“工艺规范”：已有 0 名裁判，需要 3 名" in await missing.inner_text()
        assert "尚未齐备" in await page.inner_text("#panel-state")
        # The component judges next, one at a time.
        await add_judge(page, two, ("m1",))
        await add_judge(page, three, ("m1",))
        await page.locator("#panel-missing", has_text="已有 2 名裁判，需要 3 名").wait_for()
        # One judge's modules edited alone: the technical judge takes the components too.
        await page.click(f"#judges button.modules[data-judge='{one}']")
        await page.locator("#module-edit").wait_for()
        await page.check("#module-edit-choices input[value='m1']")
        await page.click("#module-edit button[type=submit]")
        await page.locator("#panel-state", has_text="已齐备").wait_for()
        assert await page.is_hidden("#panel-missing")
        # An absence, recorded as such (not as a conflict): judge 2 for the whole practical stage.
        await page.select_option("#absence-judge", str(two))
        await page.select_option("#absence-stage", str(practical_id))
        await page.fill("#absence-reason", "因病未到场")
        await page.click("#absence button[type=submit]")
        await page.locator("#message.ok", has_text="缺席已登记").wait_for()
        row = page.locator("#absences tbody tr")
        await row.wait_for()
        assert "全部选手" in await row.inner_text() and "技能操作" in await row.inner_text()
        assert await horizontal_overflow(page) <= 0
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        panel = (await api.get(f"/api/competitions/{competition_id}/judges")).json()
    assert panel["ready"] is True
    assert {j["user_id"]: j["module_ids"] for j in panel["judges"]} == {
        one: ["m1", "m2"],
        two: ["m1"],
        three: ["m1"],
    }
    assert [(a["judge_user_id"], a["stage_id"], a["registration_id"]) for a in panel["absences"]] == [
        (two, practical_id, None)
    ]
    assert all(not j["recusals"] for j in panel["judges"])  # an absence is no recusal


async def test_the_builder_takes_a_signed_range_least_marks_and_a_raw_sum(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(state="open")
    async with sized_page(chromium, live_server, SIZES["tablet"]) as page:
        await open_page(page, competition_id)
        await page.click("[data-template=vocational]")
        await confirm(page, expect="替换")
        await page.wait_for_selector("#rb-results tbody tr")
        first = "stages.1.modules.0.aspects.0"
        assert "允许负分" in await page.inner_text(f"label[for='rb-{first}.min_mark']")
        await page.fill(f"[data-path='{first}.min_mark']", "-20")
        await page.fill(f"[data-path='{first}.min_marks']", "4")
        await page.select_option("[data-path='final']", "raw_sum")
        options = await page.locator("[data-path='final'] option").all_inner_texts()
        assert options == ["按权重折算为百分制", "各阶段原始分相加"]
        assert "各阶段原始分相加" in await page.inner_text("#rb-summary")
        assert "最少有效评分数" in await page.inner_text("#rb-summary")
        assert await page.is_hidden("#rb-problems")
        await page.click("#save-scheme")
        await page.locator("#message.ok", has_text="已保存").wait_for()
        # A bad minimum is named at its field before anything is sent.
        await page.fill(f"[data-path='{first}.min_mark']", "-20.25")
        slot = page.locator(f"[data-error-path='{first}.step']")
        await slot.wait_for()
        assert "不能整除最低分" in await slot.inner_text()
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        saved = (await api.get(f"/api/competitions/{competition_id}/scoring")).json()
    aspect = saved["rules"]["stages"][1]["modules"][0]["aspects"][0]
    assert (saved["rules"]["final"], aspect["min_mark"], aspect["min_marks"]) == ("raw_sum", "-20", 4)
