"""In headless Chromium: the organizer unblinds and publishes; the public leaderboard and the venue big
screen, open in other browsers, follow live (Server-Sent Events) without reloading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from scoring import rules as r
from scoring.tables import ScoringScheme
from tests.browser.ui import confirm
from tests.helpers import PASSWORD, login, new_client
from tests.scoring import factories

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser(chromium: Any, results_server: str) -> AsyncIterator[Any]:
    """A factory of fresh browser pages (separate contexts: separate cookies) on the results server."""
    contexts = []

    async def new_page(width: int = 1280, height: int = 800) -> Any:
        context = await chromium.new_context(
            base_url=results_server, locale="zh-CN", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        return page

    yield new_page
    for context in contexts:
        await context.close()


async def published_built(world: dict[str, Any]) -> factories.Built:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    await factories.sign_off(built)
    return built


async def test_organizer_publishes_and_the_public_board_updates_live(
    browser: Any, world: dict[str, Any], results_server: str
) -> None:
    built = await published_built(world)
    cid = built.competition_id
    public = await browser(390, 844)
    await public.goto(f"/results/{cid}")
    await public.wait_for_selector("#pending:not([hidden])")
    await public.wait_for_selector("#live.on")  # the event stream is open
    await public.evaluate("window.notReloaded = true")

    organizer = await browser()
    await organizer.goto("/login")
    await organizer.fill("#username", "organizer")
    await organizer.fill("#password", PASSWORD)
    await organizer.click("button[type=submit]")
    await organizer.wait_for_url("**/organizer/**")
    await organizer.goto(f"/organizer/competitions/{cid}/results")
    await organizer.wait_for_selector(f"#board tr[data-code='{built.blind_codes[9]}']")
    assert built.names[9] not in await organizer.inner_text("#board")  # blind until unblinded
    await organizer.click("#unblind")
    await confirm(organizer, expect="此操作不可撤销")
    await organizer.wait_for_selector(f"#board td.name:has-text('{built.names[9]}')")
    await organizer.click("#publish")
    await confirm(organizer, expect="已发布的版本不能撤回")
    await organizer.wait_for_selector("#message:has-text('已发布第 1 版')")

    # The public page, never reloaded, now shows the published board.
    await public.wait_for_selector(f"#board td.name:has-text('{built.names[9]}')")
    assert await public.evaluate("window.notReloaded") is True
    assert await public.is_hidden("#pending")
    text = await public.inner_text("#board")
    assert "一等奖" in text and "85.64" in text
    assert "1 版" in await public.inner_text("#version")

    # A correction, republished with a reason: the public page follows to version 2.
    async with new_client(base_url=results_server) as api:
        await login(api, "organizer")
        same = await api.post(
            f"/api/competitions/{cid}/results/publish", json={"previous_version": 1, "reason": "重新发布"}
        )
        assert same.status_code == 409 and same.json()["code"] == "results_unchanged"
        sheets = await api.get(
            f"/api/chief/competitions/{cid}/sheets", params={"blind_code": built.blind_codes[5]}
        )
        sheet = next(s for s in sheets.json() if s["judge_no"] == 2 and s["stage_id"] == built.practical_id)
        fixed = await api.post(
            "/api/scoring/corrections",
            json={
                "sheet_id": sheet["sheet_id"],
                "aspect_id": "a2",
                "value": "9.5",
                "reason": "复核更正",
                "base_version": sheet["version"],
            },
        )
        assert fixed.status_code == 200, fixed.text
        response = await api.post(
            f"/api/competitions/{cid}/results/publish",
            json={"previous_version": 1, "reason": "复核无误，重新发布"},
        )
        assert response.status_code == 201
    await public.wait_for_selector("#version:has-text('第 2 版')")
    assert await public.evaluate("window.notReloaded") is True
    await organizer.wait_for_selector(".publication[data-version='2']")


async def test_big_screen_shows_blind_codes_before_and_names_after_publication(
    browser: Any, world: dict[str, Any], results_server: str
) -> None:
    built = await published_built(world)
    cid = built.competition_id
    screen = await browser(1920, 1080)
    await screen.goto(f"/bigscreen/{cid}")
    await screen.wait_for_selector("#board[data-phase='provisional']")
    await screen.wait_for_selector("#live.on")
    before = await screen.inner_text("#board")
    assert built.blind_codes[9] in before
    assert not any(name in before for name in built.names)
    async with new_client(base_url=results_server) as api:
        await login(api, "organizer")
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        assert (
            await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        ).status_code == 201
    await screen.wait_for_selector("#board[data-phase='published']")
    after = await screen.inner_text("#board")
    assert built.names[9] in after and "一等奖" in after
    assert built.blind_codes[9] not in after


async def test_contestant_appeals_and_the_arbitration_group_answers(
    browser: Any, world: dict[str, Any], results_server: str
) -> None:
    built = await published_built(world)
    cid = built.competition_id
    contestant = await browser(390, 844)
    await contestant.goto("/login")
    await contestant.fill("#username", "contestant")
    await contestant.fill("#password", PASSWORD)
    await contestant.click("button[type=submit]")
    await contestant.wait_for_load_state("networkidle")
    # Signed off but not yet published: nothing to appeal, and the page says when the window opens.
    await contestant.goto(f"/results/{cid}/appeal")
    await contestant.wait_for_selector("#windows li:has-text('成绩尚未发布')")
    assert await contestant.is_hidden("#lodge")
    async with new_client(base_url=results_server) as api:
        await login(api, "organizer")
        assert (
            await api.post(f"/api/competitions/{cid}/arbitration", json={"user_id": built.chief})
        ).status_code == 201
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        assert published.status_code == 201
    await contestant.reload()
    await contestant.wait_for_selector("#lodge:not([hidden])")
    assert "成绩发布后" in await contestant.inner_text("#contestant")
    await contestant.select_option("#stage", str(built.practical_id))
    await contestant.fill("#grounds", "我认为调试项评分有误")
    await contestant.click("#lodge button[type=submit]")
    await confirm(contestant, expect="不能再次申诉")
    await contestant.wait_for_selector("#mine .appeal:has-text('待答复')")

    chief = await browser()
    await chief.goto("/login")
    await chief.fill("#username", "judge")
    await chief.fill("#password", PASSWORD)
    await chief.click("button[type=submit]")
    await chief.wait_for_load_state("networkidle")
    await chief.goto(f"/results/{cid}/appeal")
    await chief.wait_for_selector("form.answer")
    await chief.fill("form.answer textarea[name=reason]", "经复核，评分符合评分标准")
    await chief.click("form.answer button[type=submit]")
    await confirm(chief, expect="仲裁结论为最终结论")
    await chief.wait_for_selector(".appeal .notice:has-text('仲裁结论')")
    assert await chief.locator("form.answer").count() == 0

    await contestant.reload()
    await contestant.wait_for_selector("#mine .appeal:has-text('经复核，评分符合评分标准')")
    # The answer is final: the practical stage is no longer offered, the other matters still are.
    await contestant.wait_for_selector("#windows li:has-text('已有仲裁结论')")
    offered = await contestant.locator("#stage option").all_inner_texts()
    assert "技能操作" not in offered and "理论知识" in offered


async def _organizer_page(browser: Any) -> Any:
    page = await browser()
    await page.goto("/login")
    await page.fill("#username", "organizer")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/organizer/**")
    return page


async def test_team_results_on_the_boards_and_promotion_confirmed_on_its_page(
    browser: Any, world: dict[str, Any], results_server: str
) -> None:
    """Union teams (best three) and the organisation award on the public board; a named team declared on
    the teams page; the promotion list confirmed on its page (tests/scoring/test_standings_api.py has the
    figures worked out)."""
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    cid = built.competition_id
    organizer = await _organizer_page(browser)
    await organizer.goto(f"/organizer/competitions/{cid}/teams")
    await organizer.wait_for_selector("#members input")
    await organizer.fill("#name", "电工一队")
    await organizer.locator("#members input").nth(0).check()
    await organizer.locator("#members input").nth(1).check()
    await organizer.click("#team-form button[type=submit]")
    await organizer.wait_for_selector("#teams tr[data-team]:has-text('电工一队')")

    declared = msgspec.structs.replace(
        built.rules,
        teams=r.TeamRules(best=3, grouping="union", tiers=r.TierPolicy(method="count", counts=(1, 1))),
        organisation_award=r.OrganisationAward(count=1),
        promotion=r.PromotionRule(bands=(r.PromotionBand(first_rank=1, last_rank=1, to_level=2),)),
    )
    await ScoringScheme.update({ScoringScheme.rules: msgspec.json.encode(declared).decode()}).where(
        ScoringScheme.competition == cid
    )
    await factories.sign_off(built)
    async with new_client(base_url=results_server) as api:
        await login(api, "organizer")
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        assert published.status_code == 201
    public = await browser(390, 844)
    await public.goto(f"/results/{cid}")
    await public.wait_for_selector("#teams tr[data-team]")
    teams = await public.inner_text("#teams")
    assert "乙公司工会" in teams and "239.15" in teams and "231.86" in teams
    assert "乙公司工会" in await public.inner_text("#awards")

    await organizer.goto(f"/organizer/competitions/{cid}/results/promotions")
    await organizer.wait_for_selector(f"#list tr[data-code='{built.blind_codes[9]}']:has-text('技师')")
    await organizer.click("#confirm")
    await organizer.wait_for_selector("#message:has-text('晋升名单已确认')")
    await organizer.wait_for_selector("#export:not([hidden])")
    assert "晋升 1 人" in await organizer.inner_text("#version")


async def test_a_contestant_finds_their_prize_certificate_on_their_page(
    browser: Any, world: dict[str, Any], results_server: str
) -> None:
    from accounts.tables import User
    from competitions.tables import Registration
    from tests.browser.ui import horizontal_overflow

    built = await published_built(world)
    cid = built.competition_id
    async with new_client(base_url=results_server) as api:
        await login(api, "organizer")
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        board = (
            await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        ).json()
        rows = (await api.get(f"/api/public/competitions/{cid}/leaderboard")).json()["rows"]
    assert board["version"] == 1
    first = next(r for r in rows if r["prize"] == "一等奖")
    winner = await Registration.select(Registration.person).where(
        (Registration.competition == cid) & (Registration.blind_code == first["blind_code"])
    )
    await User.update({User.person: winner[0]["person"]}).where(User.id == world["users"]["contestant"])
    page = await browser(390, 844)
    await page.goto("/login?next=/my/registrations")
    await page.fill("#username", "contestant")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#certificates:not([hidden]) .certificate")
    text = await page.inner_text("#certificates")
    assert "荣获一等奖" in text and "2026年亦城职工职业技能竞赛（电工）" in text
    assert await horizontal_overflow(page) <= 0
    href = await page.get_attribute("#certificates .certificate a", "href")
    pdf = await page.request.get(href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
