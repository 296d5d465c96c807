"""In headless Chromium, phone-sized: contestants register, organizers review, check in and draw lots."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from competitions import registration
from competitions.rules import BLIND_CODE_ALPHABET, EligibilityRules
from tests.browser.ui import confirm
from tests.competitions.support import ORGANIZER, make_competition
from tests.helpers import PASSWORD, make_id_number, make_mobile

pytestmark = pytest.mark.browser


async def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_function("() => !location.pathname.startsWith('/login')")


async def fill_sign_up(page: Any, *, birth: dt.date, **choices: Any) -> None:
    await page.wait_for_selector("#signup")
    await page.fill("#name", choices.get("name", "韩报名"))
    await page.fill("#id_number", choices.get("id_number") or make_id_number(birth))
    await page.fill("#mobile", make_mobile())
    if choices.get("employer_id"):
        await page.select_option("#employer_id", str(choices["employer_id"]))
    await page.select_option("#skill_level", choices.get("skill_level", "3"))
    if choices.get("union_member", True):
        await page.check("#union_member")
    if choices.get("front_line", True):
        await page.check("#front_line")
    await page.fill("#username", choices.get("username", "han_baoming"))
    await page.fill("#password", "Welder2026")
    if choices.get("consent", True):
        await page.check("#consent_general")
        await page.check("#consent_sensitive")


async def test_a_contestant_signs_up_from_the_phone_and_sees_registered(
    page: Any, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(title="电工技能竞赛")
    await page.goto("/competitions")
    await page.click(f".competition-card[data-id='{competition_id}'] a.button")
    await page.wait_for_url(f"**/competitions/{competition_id}")
    await fill_sign_up(page, birth=dt.date(1991, 4, 4), employer_id=world["enterprises"][0])
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("#result.notice.ok")
    result = await page.inner_text("#result")
    assert "已报名" in result and f"C{competition_id:04d}-00001" in result
    await page.click("text=查看我的报名")
    await page.wait_for_selector(".registration")
    assert "已报名" in await page.inner_text("#list") and "电工技能竞赛" in await page.inner_text("#list")


async def test_a_logged_in_contestant_confirms_their_record_and_registers(
    page: Any, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await log_in(page, "contestant")
    await page.goto(f"/competitions/{competition_id}")
    await page.wait_for_selector("#confirm")
    assert "测试零" in await page.inner_text("#confirm")
    await page.click("#confirm button[type=submit]")
    await page.wait_for_selector("#result.notice.ok")
    assert "已报名" in await page.inner_text("#result")


async def test_an_ineligible_contestant_sees_every_reason(page: Any, world: dict[str, Any]) -> None:
    rules = EligibilityRules(
        max_age=35, least_senior_level=3, union_member_required=True, front_line_only=True
    )
    competition_id = await make_competition(eligibility=rules)
    await page.goto(f"/competitions/{competition_id}")
    await fill_sign_up(page, birth=dt.date(2000, 1, 1), id_number="123456")
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("[data-error-for=id_number]:not(:empty)")
    assert "身份证号码" in await page.inner_text("[data-error-for=id_number]")
    await page.fill("#id_number", make_id_number(dt.date(1970, 3, 3)))
    await page.select_option("#skill_level", "5")
    await page.uncheck("#union_member")
    await page.uncheck("#front_line")
    await page.click("#signup button[type=submit]")
    await page.wait_for_selector("#result.notice.bad")
    reasons = await page.locator("#result li").all_inner_texts()
    assert len(reasons) == 4
    codes = await page.locator("#result li").evaluate_all("items => items.map(i => i.dataset.code)")
    assert codes == ["age_out_of_range", "skill_level_too_low", "not_union_member", "not_front_line"]
    assert "年龄" in reasons[0] and "工会会员" in reasons[2]


async def test_an_organizer_approves_checks_in_and_draws_lots(page: Any, world: dict[str, Any]) -> None:
    competition_id = await make_competition()
    numbers = [
        (await registration.register_person(ORGANIZER, competition_id, person)).registration.registration_no
        for person in world["people"][:3]
    ]
    await log_in(page, "organizer")
    await page.goto(f"/organizer/competitions/{competition_id}")
    await page.wait_for_selector("#registrations tbody tr[data-id]")
    await page.click("#approve-pending")
    await confirm(page, expect="审核通过 3 条报名")
    await page.wait_for_selector("#message.notice.ok")
    assert "已审核通过 3 条报名" in await page.inner_text("#message")
    await page.click("button[data-transition=closed]")
    await confirm(page, expect="选手不能再报名")
    await page.wait_for_selector("#checkin:not([hidden])")
    for number in numbers:
        await page.fill("#code", number)
        await page.click("#checkin-form button[value=present]")
        await page.wait_for_selector(f"#message:has-text('{number}')")
    await page.click("button[data-transition=checked_in]")
    await confirm(page, expect="完成检录")
    await page.wait_for_selector("#draw:not([hidden])")
    await page.click("#draw-form button[type=submit]")
    await confirm(page, expect="为 3 名到场选手抽签")
    await page.wait_for_selector("#stations tbody tr")
    rows = await page.locator("#stations tbody tr").all_inner_texts()
    assert len(rows) == 3
    stations = sorted(int(row.split()[0]) for row in rows)
    assert stations == [1, 2, 3]
    pattern = re.compile(f"[{BLIND_CODE_ALPHABET}]{{3}}-[{BLIND_CODE_ALPHABET}]{{3}}")
    codes = await page.locator("#stations td.code").all_inner_texts()
    assert len(codes) == 3 and all(pattern.fullmatch(c) for c in codes)
    await page.goto(f"/organizer/competitions/{competition_id}/print/stations?codes=1")
    await page.wait_for_selector("#sheet td.code")
    assert sorted(await page.locator("#sheet td.code").all_inner_texts()) == sorted(codes)
