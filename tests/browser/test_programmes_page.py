"""The organizer's programmes page in headless Chromium, on a phone and on a tablet: quotas by union name and
by industry, competition results by title and the expert rubric as forms (no codes, no JSON); a one-tap step
of the lifecycle waits for the confirm dialog; nothing is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.ui import SIZES, cancel, confirm, horizontal_overflow, log_in, sized_page
from tests.competitions.support import make_competition
from tests.helpers import login, new_client

pytestmark = pytest.mark.browser


async def saved_programme(live_server: str, name: str) -> dict[str, Any]:
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        listed = (await api.get("/api/programmes/")).json()
    return next(p for p in listed if p["name"] == name)


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_the_organizer_sets_quotas_results_and_the_rubric_by_name(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    competition_id = await make_competition(state="open", title="2026 年焊工竞赛")
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await log_in(page, "organizer", "/organizer/programmes")
        await page.wait_for_selector("body[data-ready]")
        assert await horizontal_overflow(page) <= 0
        await page.fill("#name", "2026 年度亦城工匠")
        await page.fill("#default_quota", "2")

        # A union is found by its name; a name that is no union's is refused next to the row.
        await page.click("#add-quota")
        await page.fill("#quota-table tr[data-row] .union-name", "没有这个工会")
        await page.fill("#quota-table tr[data-row] .quota-input", "5")
        await page.click("#save")
        assert "没有名为“没有这个工会”的基层工会" in await page.inner_text("#quota-table")
        await page.fill("#quota-table tr[data-row] .union-name", "乙公司工会")

        # A competition by its title: first or second prize nominates directly.
        await page.click("#add-qualifying")
        row = page.locator(".qualifying-row").first
        await row.locator("[data-q=competition_id]").select_option(label="2026 年焊工竞赛")
        await row.locator("[data-q=max_tier]").select_option(label="二等奖及以上")
        await row.locator("[data-q=effect]").select_option(label="直接推荐（不占工会名额）")

        # The expert rubric as a form: rename an aspect and move marks between two aspects.
        builder = page.locator("#review-builder")
        await builder.locator("[data-path='stages.0.modules.0.aspects.0.name']").fill("工作业绩与贡献")
        await builder.locator("[data-path='stages.0.modules.0.aspects.0.max_mark']").fill("50")
        assert "110" in await builder.locator("[data-error-path='stages.0.full_marks']").inner_text()
        await builder.locator("[data-path='stages.0.modules.0.aspects.1.max_mark']").fill("20")
        assert await builder.locator("[data-error-path='stages.0.full_marks']").inner_text() == ""
        assert "各专家分数取平均" in await builder.locator("#rb-summary").inner_text()
        assert await horizontal_overflow(page) <= 0

        await page.click("#save")
        await page.locator("#programme-form .notice.ok", has_text="已创建").wait_for()
        programme = await saved_programme(live_server, "2026 年度亦城工匠")
        assert programme["quotas"] == {str(world["unions"][1]): 5}
        assert programme["default_quota"] == 2
        assert programme["qualifying_results"] == [
            {"competition_id": competition_id, "max_tier": 2, "effect": "direct"}
        ]
        aspects = programme["review_rules"]["stages"][0]["modules"][0]["aspects"]
        assert [(a["name"], a["max_mark"]) for a in aspects] == [
            ("工作业绩与贡献", "50"),
            ("技术创新", "20"),
            ("示范带动", "30"),
        ]

        # The card says it in words, and the next step needs the dialog's second tap.
        card = page.locator(".programme-card", has_text="2026 年度亦城工匠")
        text = await card.inner_text()
        assert "按推荐工会，每个工会 2 人，1 个单独设置" in text
        assert "2026 年焊工竞赛二等奖及以上：直接推荐" in text
        await card.locator('[data-transition="open"]').click()
        await cancel(page)
        assert await card.locator('[data-state="draft"]').count() == 1
        await card.locator('[data-transition="open"]').click()
        await confirm(page, expect="评选不能退回上一阶段")
        await card.locator('[data-state="open"]').wait_for()
        assert await horizontal_overflow(page) <= 0
        assert page.errors == []


async def test_industry_quotas_are_a_table_of_industries(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await log_in(page, "organizer", "/organizer/programmes")
        await page.wait_for_selector("body[data-ready]")
        await page.fill("#name", "2026 年度爱企业的好职工")
        await page.select_option("#quota_scope", "industry")
        rows = page.locator("#quota-table tr[data-industry]")
        assert await rows.count() == 5
        await page.fill("#quota-table tr[data-industry='biomedicine'] .quota-input", "40")
        assert "生物技术和大健康" in await page.inner_text("#quota-table")
        await page.uncheck("#use_rubric")
        await page.click("#save")
        await page.locator("#programme-form .notice.ok", has_text="已创建").wait_for()
        programme = await saved_programme(live_server, "2026 年度爱企业的好职工")
        assert programme["quota_scope"] == "industry"
        assert programme["quotas"] == {"biomedicine": 40}
        assert programme["review_rules"] is None
        assert await horizontal_overflow(page) <= 0


async def test_a_quota_below_the_nominations_is_refused_and_objection_contacts_are_saved(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    from tests.awards.nomination_helpers import add_member, create_programme, nomination_body

    async with new_client(base_url=live_server) as api, new_client(base_url=live_server) as officer:
        await login(api, "organizer")
        await login(officer, "officer")
        programme = await create_programme(api, name="2026 年度亦城好职工", default_quota=10)
        path = f"/api/programmes/{programme['id']}/nominations"
        second = await add_member(api, world["unions"][0], world["enterprises"][0], name="第二人")
        for person_id in (world["people"][0], second):
            assert (await officer.post(path, json=nomination_body(person_id))).status_code == 201
    async with sized_page(chromium, live_server, SIZES["phone"]) as page:
        await log_in(page, "organizer", "/organizer/programmes")
        await page.wait_for_selector("body[data-ready]")
        await page.locator(".programme-card", has_text="2026 年度亦城好职工").locator("[data-edit]").click()
        await page.fill("#default_quota", "1")
        await page.fill("#objection_office", "开发区总工会纪检组")
        await page.fill("#objection_phone", "010-6788 1234")
        await page.select_option("#replacement_notice", "change_notice")
        await page.click("#save")
        error = page.locator("[data-error-for=quotas]", has_text="超出")
        await error.wait_for()
        text = await error.inner_text()
        assert "甲公司工会已推荐 2 人，超出 1 人" in text and "撤回" in text, text
        assert await horizontal_overflow(page) <= 0
        # Raised back to what is used, it saves, with where objections go.
        await page.fill("#default_quota", "2")
        await page.click("#save")
        await page.locator("#programme-form .notice.ok", has_text="已保存修改").wait_for()
        saved = await saved_programme(live_server, "2026 年度亦城好职工")
        assert saved["default_quota"] == 2 and saved["objection_office"] == "开发区总工会纪检组"
        assert saved["objection_phone"] == "010-6788 1234" and saved["replacement_notice"] == "change_notice"
        assert page.errors == [] or all("409" in e for e in page.errors)
