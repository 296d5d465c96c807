"""The audit log in Chinese: every action the code writes has a name on the page; in headless Chromium the
organizer filters by action, person and date and reads a change field by field, never raw JSON by default."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from tests.browser.ui import SIZES, horizontal_overflow, log_in, sized_page
from tests.competitions.support import make_competition
from tests.helpers import login, new_client

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "static" / "js" / "audit-labels.js"
DOMAINS = ("accounts", "competitions", "scoring", "awards", "core")


def _constants(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _assigned(function: ast.AST, name: str) -> set[str]:
    """String constants assigned to ``name`` inside ``function`` (``action = "a" if x else "b"``)."""
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found |= _constants(node.value)
    return found


def _formatted(node: ast.JoinedStr) -> set[str]:
    """``f"nomination.eligibility.{data.decision}"``: the prefix with each value the decision may take.
    The sheet writer's ``f"{kind.audit_action}.…"`` is named by each ``SheetKind`` (:func:`_sheet_kinds`)."""
    from awards.schemas import EligibilityDecisionIn

    if "audit_action" in ast.unparse(node):
        return set()
    prefix = "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))
    assert prefix == "nomination.eligibility.", f"an unknown formatted audit action: {ast.unparse(node)}"
    decisions = typing.get_args(typing.get_type_hints(EligibilityDecisionIn)["decision"])
    return {prefix + decision for decision in decisions}


def _sheet_kinds(tree: ast.AST) -> set[str]:
    """``SheetKind(audit_action="sheet", ...)``: the writer writes ``sheet.save`` and ``sheet.submit``."""
    actions: set[str] = set()
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "SheetKind":
            for keyword in call.keywords:
                if keyword.arg == "audit_action" and isinstance(keyword.value, ast.Constant):
                    actions |= {f"{keyword.value.value}.save", f"{keyword.value.value}.submit"}
    return actions


def actions_in_code() -> set[str]:
    """Every action passed to ``audit.record(actor, action, ...)`` anywhere in the domain packages."""
    actions: set[str] = set()
    for domain in DOMAINS:
        for path in (ROOT / domain).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            actions |= _sheet_kinds(tree)
            functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            for function in functions:
                for call in ast.walk(function):
                    if not (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "record"):
                        continue
                    if len(call.args) < 3:
                        continue
                    action = call.args[1]
                    if isinstance(action, ast.Constant):
                        actions.add(action.value)
                    elif isinstance(action, ast.JoinedStr):
                        actions |= _formatted(action)
                    elif isinstance(action, ast.Name):
                        actions |= _assigned(function, action.id)
                    else:
                        actions |= _constants(action)
    return actions


def labelled_actions() -> set[str]:
    text = LABELS.read_text(encoding="utf-8")
    block = text[text.index("const ACTIONS = {") : text.index("};", text.index("const ACTIONS = {"))]
    return set(re.findall(r'"([a-z_]+(?:\.[a-z_]+)+)":', block))


def test_every_audit_action_in_the_code_has_a_chinese_name() -> None:
    in_code = actions_in_code()
    assert len(in_code) > 60  # the walk found the calls (a broken walk must not pass vacuously)
    assert {"sheet.submit", "review_sheet.save", "nomination.eligibility.override"} <= in_code
    missing = in_code - labelled_actions()
    assert not missing, f"name these actions in static/js/audit-labels.js: {sorted(missing)}"


@pytest.mark.browser
@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_the_organizer_reads_and_filters_the_log_in_chinese(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    competition_id = await make_competition(state="open")
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        moved = await api.post(
            f"/api/competitions/{competition_id}/transition", json={"target": "closed", "reason": ""}
        )
        assert moved.status_code == 200, moved.text
    async with sized_page(chromium, live_server, SIZES[size]) as page:
        await log_in(page, "organizer", "/audit")
        await page.wait_for_selector("body[data-ready] #entries .audit-entry")
        assert await horizontal_overflow(page) <= 0

        # One action chosen by its Chinese name: the state change reads as a before / after table.
        if size == "phone":  # the filters fold away on a phone, entries first
            await page.locator("#filter-box > summary").click()
        await page.select_option("#action", label="变更竞赛状态")
        entry = page.locator(".audit-entry[data-action='competition.transition']").first
        await entry.wait_for()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('.audit-entry')].every("
            "e => e.dataset.action === 'competition.transition')"
        )
        text = await entry.inner_text()
        assert "变更竞赛状态" in text and f"竞赛 #{competition_id}" in text
        row = entry.locator("table.audit-diff tr", has_text="状态")
        assert [c.strip() for c in await row.locator("th, td").all_inner_texts()] == [
            "状态",
            "报名中",
            "报名截止",
        ]
        assert await row.get_attribute("class") == "changed"
        # Never raw codes or JSON by default; they are one tap away.
        visible = await page.inner_text("#entries")
        assert "competition.transition" not in visible and '"state"' not in visible and "{" not in visible
        await entry.locator("details.audit-raw summary").click()
        raw = await entry.locator("details.audit-raw pre").inner_text()
        assert json.loads(raw)["after"] == {"state": "closed"}
        assert await horizontal_overflow(page) <= 0

        # By person: the demo users made no transitions; the organizer did.
        await page.select_option("#actor", str(world["users"]["organizer"]))
        await page.wait_for_function(
            "() => document.querySelector('#summary').textContent.startsWith('共 1 条')"
        )
        await page.select_option("#actor", str(world["users"]["judge"]))
        await page.wait_for_function(
            "() => document.querySelector('#summary').textContent === '没有符合条件的记录'"
        )
        await page.select_option("#actor", "")

        # By date (Beijing days): today has it, yesterday does not.
        today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        await page.fill("#since", today.isoformat())
        await page.fill("#until", today.isoformat())
        await page.click("#filters button[type=submit]")
        # Two state changes today: open (by the set-up) and closed (by the organizer).
        await page.wait_for_function(
            "() => document.querySelector('#summary').textContent.startsWith('共 2 条')"
        )
        yesterday = (today - dt.timedelta(days=1)).isoformat()
        await page.fill("#since", yesterday)
        await page.fill("#until", yesterday)
        await page.click("#filters button[type=submit]")
        await page.wait_for_function(
            "() => document.querySelector('#summary').textContent === '没有符合条件的记录'"
        )

        # By record: every entry about this competition, named in Chinese.
        await page.click("#filters button[type=reset]")
        await page.select_option("#entity", label="竞赛")
        await page.fill("#entity_id", str(competition_id))
        await page.click("#filters button[type=submit]")
        await page.wait_for_function(
            "() => document.querySelector('#summary').textContent.startsWith('共 3 条')"
        )
        names = await page.locator(".audit-action").all_inner_texts()
        assert names == ["变更竞赛状态", "变更竞赛状态", "新建竞赛"]
        assert page.errors == []
