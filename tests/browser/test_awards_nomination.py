"""In headless Chromium: a union officer nominates a member with an attachment and uploads a list with an
error; the organizer sets up a programme and confirms eligibility. (The later half carries the nomination on
to the honour roll in its own browser tests.)"""

from __future__ import annotations

from typing import Any

import pytest

from awards.sheets import nomination_csv
from tests.awards.nomination_helpers import create_programme
from tests.browser.ui import confirm
from tests.helpers import PASSWORD, login, make_id_number, make_mobile, members_consent, new_client

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def _log_in(page: Any, username: str, next_path: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"/login?next={next_path}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**{next_path}")


async def test_officer_nominates_with_an_attachment_and_the_organizer_confirms(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, name="2026 年度亦城工匠", default_quota=2)
    person = world["people"][0]

    await _log_in(page, "officer", "/union/nominations")
    await page.wait_for_selector(f'[data-programme="{programme["id"]}"]')
    assert "名额 2 人，已用 0 人，剩余 2 人" in await page.inner_text("#programmes")
    await page.wait_for_selector(f'#person_id option[value="{person}"]', state="attached")
    await page.select_option("#person_id", str(person))
    await page.fill("#deed", "扎根一线十二年，主持工艺改进三项。")
    await page.fill("#patent_count", "2")
    await page.fill("#apprentices_trained", "5")
    await page.fill("#honours", "2024 亦城工匠")
    await page.set_input_files(
        "#attachments", files=[{"name": "事迹材料.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await page.check("#nominate_consent")
    await page.click("#nominate-submit")
    await page.wait_for_selector("#nominate-form .notice.ok")
    assert "已推荐：测试零" in await page.inner_text("#nominate-form .notice")
    row = page.locator("#mine tbody tr", has_text="测试零")
    await row.wait_for()
    assert await row.locator("[data-attachments]").inner_text() == "1"
    assert "符合条件" in await row.inner_text()
    assert "剩余 1 人" in await page.inner_text("#programmes")

    await _log_in(page, "organizer", f"/organizer/programmes/{programme['id']}/eligibility")
    row = page.locator("#nominations tbody tr", has_text="测试零")
    await row.wait_for()
    assert "（待审核）" in await row.inner_text()
    assert "扎根一线十二年" in await row.inner_text()
    await row.locator("[data-attachments]").click()
    await row.locator(".attachment-list a", has_text="事迹材料.pdf").wait_for()
    await row.locator("[data-confirm]").click()
    await page.locator("#nominations tbody tr .review-state", has_text="（已确认）").wait_for()
    assert "0" in await page.locator("#counts .stat", has_text="待审核").inner_text()

    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        listed = (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()["items"]
        assert [(n["name"], n["eligibility_reviewed"], n["attachments"]) for n in listed] == [
            ("测试零", True, 1)
        ]
        assert listed[0]["achievements"]["titles_honours"] == [
            {"title": "亦城工匠", "year": 2024, "level": "other"}
        ]


async def test_organizer_overrides_with_a_reason(page: Any, live_server: str, world: dict[str, Any]) -> None:
    async with new_client(base_url=live_server) as organizer, new_client(base_url=live_server) as officer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, eligibility={"least_senior_level": 1})
        await login(officer, "officer")
        response = await officer.post(
            f"/api/programmes/{programme['id']}/nominations",
            json={"person_id": world["people"][0], "deed": "事迹", "members_consent": members_consent()},
        )
        assert response.json()["nomination"]["eligibility_status"] == "ineligible"
    await _log_in(page, "organizer", f"/organizer/programmes/{programme['id']}/eligibility")
    row = page.locator("#nominations tbody tr", has_text="测试零")
    await row.wait_for()
    assert "职业技能等级须为高级技师（一级）及以上" in await row.inner_text()
    await row.locator("[data-override]").click()
    await row.locator("form.override button[type=submit]").click()
    await row.locator("[data-error-for=reason]", has_text="改判须填写理由").wait_for()
    await row.locator("form.override textarea").fill("获全国技术能手，破格推荐")
    await row.locator("form.override button[type=submit]").click()
    await page.locator("#nominations tbody tr .review-state", has_text="（已改判）").wait_for()
    assert "说明：获全国技术能手，破格推荐" in await page.inner_text("#nominations")


async def test_upload_shows_the_row_errors_then_imports_the_valid_rows(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, default_quota=5)
    content = nomination_csv(
        [
            {"name": "新会员", "id_number": make_id_number(), "mobile": make_mobile(), "deed": "事迹"},
            {"name": "号码错", "id_number": "110105199001011234", "mobile": make_mobile(), "deed": "事迹"},
        ]
    )
    await _log_in(page, "officer", "/union/nominations")
    await page.wait_for_selector(f'[data-programme="{programme["id"]}"]')
    await page.set_input_files(
        "#sheet", files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": content}]
    )
    await page.check("#upload_consent")
    await page.click("#upload-submit")
    await page.wait_for_selector("#upload-errors:not([hidden])")
    errors = await page.inner_text("#upload-errors")
    assert "3" in errors and "身份证号" in errors and "校验位不正确" in errors
    # Next to the file field it names (App.showError), not only at the top of the form.
    assert "未导入任何数据" in await page.inner_text("#upload-form [data-error-for]")
    assert await page.locator("#mine tbody tr", has_text="新会员").count() == 0
    await page.check("#import_valid_only")
    await page.check("#upload_consent")
    await page.click("#upload-submit")
    await page.locator("#upload-form .notice.warn", has_text="新推荐 1 人").wait_for()
    await page.locator("#mine tbody tr", has_text="新会员").wait_for()


async def test_organizer_sets_up_a_programme_and_opens_it(page: Any, world: dict[str, Any]) -> None:
    await _log_in(page, "organizer", "/organizer/programmes")
    await page.wait_for_selector("body[data-ready]")
    await page.fill("#name", "2026 年度爱企业的好职工")
    await page.select_option("#kind", "good_employee")
    await page.fill("#total_awards", "300")
    await page.fill("#default_quota", "3")
    await page.fill("#min_years_employed", "1")
    await page.click("#save")
    await page.locator("#programme-form .notice.ok", has_text="已创建").wait_for()
    row = page.locator("#programmes .programme-card", has_text="爱企业的好职工")
    await row.wait_for()
    assert "草稿" in await row.inner_text()
    assert "一线职工不少于60%" in await row.inner_text()
    await row.locator('[data-transition="open"]').click()
    await confirm(page, expect="工会即可在推荐时间内提交推荐")
    await row.locator('[data-state="open"]').wait_for()
    # A wrong setting is shown next to the form, not a 500.
    await page.click("#new-programme")
    await page.fill("#name", "比例错误")
    await page.locator(".constraint input").first.fill("120")
    await page.click("#save")
    await page.locator(
        "#programme-form .field-error, #programme-form .notice.bad", has_text="比例须在 0–100 之间"
    ).wait_for()
