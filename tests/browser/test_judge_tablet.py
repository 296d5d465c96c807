"""In headless Chromium: a judge opens the tablet page from a one-time link, marks and submits, keeps
marking with the network down (the outbox), and the server ends with every mark exactly once; the chief
judge accepts a tolerance flag and signs the stage off."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from accounts.tables import AuditLog
from scoring.tables import ScoreSheet, SheetMark, StageSignoff, Submission
from tests.browser.judge_pages import link_token, mark_sheet, open_station, scan_link, sheet_of
from tests.browser.ui import confirm
from tests.helpers import PASSWORD, login, new_client
from tests.scoring.entry_world import FULL, build, set_up_scoring, sheet_body

pytestmark = pytest.mark.browser


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


async def test_marking_submitting_and_the_offline_outbox(
    page: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    token = await link_token(client, w, "judge3")
    await scan_link(page, token)
    await page.wait_for_selector(".judge-card")
    cards = await page.inner_text("#contestants")
    assert w["contestants"][0]["blind_code"] in cards and "测试" not in cards and "公司" not in cards
    assert await page.inner_text("#pending-count") == "0"

    # 1. Online: mark station 1 and submit (the blank deduction counts as no deduction).
    await open_station(page, 1)
    await mark_sheet(page, a1="35.5", a2="20", a3="2")
    await page.click("#submit")
    await page.wait_for_function("document.querySelector('#sheet-status').textContent === '已提交'")
    await page.wait_for_function("document.querySelector('#pending-count').textContent === '0'")
    sheet = await sheet_of(w, "judge3", 1)
    assert sheet is not None and sheet["status"] == "submitted"
    marks = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet["id"])
    assert {m["aspect_id"]: float(m["value"]) for m in marks} == {"a1": 35.5, "a2": 20, "a3": 2, "d1": 0}

    # 2. Offline: station 2 is marked and submitted on the tablet only; the counter shows what waits.
    await page.click("#back")
    await page.context.set_offline(True)
    await page.wait_for_function("document.querySelector('#net').textContent === '离线'")
    await open_station(page, 2)
    await mark_sheet(page, a1="20", a2="0", a3="3")
    await page.click("#submit")
    await page.wait_for_function("Number(document.querySelector('#pending-count').textContent) >= 4")
    assert "待发送" in await page.inner_text("#sync")
    assert await page.inner_text("#sheet-status") == "待发送"
    await page.wait_for_timeout(1500)  # a retry or two fail while offline
    assert await sheet_of(w, "judge3", 2) is None

    # 3. Back online, with the first answer lost on the way back (the server wrote it, the tablet never
    # heard): the retry carries the same UUID and the server answers from its record.
    lost = {"count": 0}

    async def lose_first_answer(route: Any) -> None:
        response = await route.fetch()
        if lost["count"] == 0:
            lost["count"] += 1
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await page.route("**/api/judge/sheets", lose_first_answer)
    await page.context.set_offline(False)
    no_pending = "document.querySelector('#pending-count').textContent === '0'"
    await page.wait_for_function(no_pending, timeout=20_000)
    await page.wait_for_function("document.querySelector('#sheet-status').textContent === '已提交'")
    assert lost["count"] == 1
    sheet = await sheet_of(w, "judge3", 2)
    assert sheet is not None and sheet["status"] == "submitted"
    marks = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet["id"])
    assert sorted(m["aspect_id"] for m in marks) == ["a1", "a2", "a3", "d1"]  # each exactly once
    assert {m["aspect_id"]: float(m["value"]) for m in marks} == {"a1": 20, "a2": 0, "a3": 3, "d1": 0}
    submissions = await Submission.count().where(Submission.sheet == sheet["id"])
    audits = await AuditLog.count().where(
        (AuditLog.entity == "score_sheet") & (AuditLog.entity_id == str(sheet["id"]))
    )
    # One stored write per queued entry, each applied once: the replayed one did not write again.
    assert submissions == sheet["version"] == audits
    assert 1 <= submissions <= 4

    # 4. The judge signs the sheet (the page asks first); it is locked on the page.
    await page.click("#sign")
    await page.click("dialog.confirm-dialog[open] [data-dialog-ok]")
    await page.wait_for_function("document.querySelector('#sheet-status').textContent === '已签字'")
    assert (await sheet_of(w, "judge3", 2))["status"] == "signed"
    assert await page.is_disabled("#aspect-a1")


async def test_the_tablet_shows_a_stale_sheet_and_lets_the_judge_redo(
    page: Any, app: Any, client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    token = await link_token(client, w, "judge4")
    await scan_link(page, token)
    await page.wait_for_selector(".judge-card")
    await open_station(page, 1)
    # Meanwhile the same judge's other tablet saves this sheet.
    async with new_client(app) as other:
        await login(other, "judge4")
        response = await other.put("/api/judge/sheets", json=sheet_body(w, w["contestants"][0], {"a1": "11"}))
        assert response.status_code == 200
    await page.click("#aspect-a3 button[data-value='1']")
    await page.wait_for_selector("#sheet-notice:not([hidden])")
    assert "另一台设备" in await page.inner_text("#sheet-notice")
    assert await page.input_value("#aspect-a1") == "11"  # the server's mark, shown
    await page.click("#aspect-a3 button[data-value='1']")  # redo on top of it
    await page.wait_for_function("document.querySelector('#pending-count').textContent === '0'")
    sheet = await sheet_of(w, "judge4", 1)
    marks = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet["id"])
    assert {m["aspect_id"]: float(m["value"]) for m in marks} == {"a1": 11, "a3": 1}


async def test_the_chief_judge_accepts_a_flag_and_signs_the_stage_off(
    page: Any, app: Any, client: httpx.AsyncClient, w: dict[str, Any], live_server: str
) -> None:
    # Every judge submits and signs what they mark; judge4 is far off on station 2's judgement aspect.
    station2 = w["contestants"][1]["blind_code"]
    for name in w["judges"]:
        async with new_client(app) as c:
            await login(c, name)
            rows = (await c.get(f"/api/judge/competitions/{w['competition_id']}/sheets")).json()
            for row in rows:
                contestant = next(x for x in w["contestants"] if x["blind_code"] == row["blind_code"])
                a3 = "0" if (name, row["blind_code"]) == ("judge4", station2) else "3"
                marks = FULL | {"a3": a3}
                body = sheet_body(w, contestant, marks, submit=True)
                response = await c.put("/api/judge/sheets", json=body)
                assert response.status_code == 200, response.text
            await c.post(f"/api/judge/competitions/{w['competition_id']}/stages/{w['practical_id']}/sign")
    await page.goto(f"/login?next=/judge/chief?competition={w['competition_id']}")
    await page.fill("#username", "judge")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/judge/chief\?competition=\d+"))
    await page.wait_for_selector("#flags tbody tr")
    assert station2 in await page.inner_text("#flags")
    practical = f"[data-stage-card='{w['practical_id']}']"
    # Sign-off is refused while the flag is open, and the page says why.
    await page.click(f"{practical} .signoff")
    await confirm(page, expect="所有评分表锁定")
    await page.wait_for_selector("#message.bad")
    assert "超差" in await page.inner_text("#message")
    # Each judge looks at the flagged sheet and keeps the marks: judge4 on the tablet, the others by API.
    tablet_context = await page.context.browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1024, "height": 768}, has_touch=True
    )
    try:
        tablet = await tablet_context.new_page()
        await scan_link(tablet, await link_token(client, w, "judge4"))
        await tablet.wait_for_selector(".judge-card")
        await open_station(tablet, 2)
        await tablet.wait_for_selector("#sign:not([hidden])")
        assert await tablet.inner_text("#sign") == "坚持评分并签字"
        await tablet.click("#sign")
        assert "坚持现有评分" in await tablet.inner_text("dialog.confirm-dialog[open]")
        await tablet.click("dialog.confirm-dialog[open] [data-dialog-ok]")
        await tablet.wait_for_function("document.querySelector('#sheet-status').textContent === '已签字'")
    finally:
        await tablet_context.close()
    for name in ("judge", "judge2", "judge3"):
        async with new_client(app) as c:
            await login(c, name)
            sheet = await sheet_of(w, name, 2)
            kept = await c.post(f"/api/judge/sheets/{sheet['id']}/sign", json={"keep_marks": True})
            assert kept.status_code == 200, kept.text
    await page.fill("#flags form.accept input[name=reason]", "4号裁判依据现场记录，评分有据")
    await page.click("#flags form.accept button")
    await confirm(page, expect="裁判无需重新签字")
    await page.wait_for_selector("#flags .badge.ok")
    # Accepting changed no sheet: nobody signs again, and the chief signs the stage off at once.
    assert all(s["status"] == "signed" for s in await ScoreSheet.select(ScoreSheet.status))
    await page.click("#refresh")
    await page.wait_for_selector(f"{practical} .signoff")
    await page.click(f"{practical} .signoff")
    await confirm(page)
    await page.wait_for_selector(f"{practical} .badge.ok")
    assert "已签字确认" in await page.inner_text(practical)
    assert await StageSignoff.count() == 1
