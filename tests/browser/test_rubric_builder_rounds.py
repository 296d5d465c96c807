"""The rubric builder's rounds, public module columns, teams, organisation award and promotion forms in
headless Chromium: an organizer sets up a two-round competition with a team rule and a promotion rule through
the forms alone (no JSON) and the API holds exactly those rules; the worked example plays the rounds (the cut
after 初赛, then 累计, ranks and prizes) as scoring.rules does; problems are named at the field, the server's
included; rules stored with rounds, teams and promotion load into the forms and come back unchanged but for
the one edit; nothing overflows on a phone."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from scoring import rules as r
from tests.browser.test_rubric_builder import example_inputs, type_example, vocational_builder
from tests.browser.test_rubric_engine import play_rounds
from tests.browser.ui import horizontal_overflow, low_contrast
from tests.helpers import login, new_client

pytestmark = pytest.mark.browser


async def fill(page: Any, path: str, value: str) -> None:
    await page.fill(f"[data-path='{path}']", value)


async def choose(page: Any, path: str, value: str) -> None:
    await page.select_option(f"[data-path='{path}']", value)


async def error_at(page: Any, path: str) -> str:
    return await page.inner_text(f"[data-error-path='{path}']")


async def saved_rules(live_server: str, competition_id: int) -> dict[str, Any]:
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        return (await api.get(f"/api/competitions/{competition_id}/scoring")).json()


async def save(page: Any) -> None:
    await page.click("#save-scheme")
    await page.wait_for_selector("#message.ok")


@pytest.mark.parametrize("size", ["phone", "tablet"])
async def test_an_organizer_sets_up_two_rounds_a_team_rule_and_promotion_through_the_forms(
    chromium: Any, live_server: str, world: dict[str, Any], size: str
) -> None:
    async with vocational_builder(chromium, live_server, size) as (page, competition_id):
        theory, practical = await page.locator(".rb-stage").evaluate_all(
            "els => els.map(e => e.dataset.stage)"
        )

        # Rounds: 初赛 (the theory stage) cuts to the best 2, 决赛 (the practical stage) has no cut.
        await page.check("[data-toggle-declared=rounds]")
        assert await page.input_value("[data-path='rounds.rounds.0.name']") == "初赛"
        assert await page.input_value("[data-path='rounds.rounds.1.name']") == "决赛"
        assert "晋级人数须至少为1" in await error_at(page, "rounds.rounds.0.count")  # N still to fill in
        await fill(page, "rounds.rounds.0.count", "2")
        await page.locator("[data-error-path='rounds.rounds.0.count']:text-is('')").wait_for()
        await choose(page, "rounds.rounds.0.ties", "tie_break")
        await choose(page, "rounds.rounds.0.next_order", "draw")
        assert "重新抽签" in await page.inner_text(".rb-rounds")
        # A stage moved out of its round leaves it uncovered: named at once.
        await page.uncheck(f"[data-round-stage='1'][value='{practical}']")
        assert "不属于任何一轮" in await error_at(page, "rounds.rounds")
        await page.check(f"[data-round-stage='1'][value='{practical}']")
        focused = "() => [document.activeElement.dataset.roundStage, document.activeElement.value]"
        assert await page.evaluate(focused) == ["1", practical]  # the form is drawn again, the focus stays
        await type_example(page)  # three contestants: one is cut after 初赛
        assert "每轮结束时按晋级规则确定下一轮选手" in await page.inner_text("#rb-rounds-note")

        # The first practical module's scores on the public board.
        module = await page.locator("[data-public-module]").first.get_attribute("data-public-module")
        await page.check(f"[data-public-module='{module}']")

        # Teams by grassroots union, the best 3 averaged to 2 places, one prize of each tier.
        await page.check("[data-toggle-declared=teams]")
        await choose(page, "teams.grouping", "union")
        await fill(page, "teams.best", "3")
        await fill(page, "teams.min_members", "9")
        assert "1到计分人数之间" in await error_at(page, "teams.min_members")
        await fill(page, "teams.min_members", "2")
        await choose(page, "teams.method", "mean")
        await choose(page, "teams.rounding.decimals", "2")
        await choose(page, "teams.tiers.method", "count")
        for tier in range(3):
            await fill(page, f"teams.tiers.counts.{tier}", "1")
        await page.check("[data-toggle-team-top]")
        await page.check("[data-toggle-declared=organisation_award]")
        await fill(page, "organisation_award.count", "2")
        await choose(page, "organisation_award.basis", "team")

        # Promotion: the winner to 技师; ranks 2-5 with at least 60 one level up (none held: 中级工).
        await page.check("[data-toggle-declared=promotion]")
        await fill(page, "promotion.basis", "人社厅发〔2026〕12号")
        await choose(page, "promotion.bands.0.to_level", "2")
        await page.click("[data-act=band-add]")
        assert "须限定名次范围或获奖等次" in await error_at(page, "promotion.bands.1.first_rank")
        await fill(page, "promotion.bands.1.first_rank", "2")
        await fill(page, "promotion.bands.1.last_rank", "5")
        await fill(page, "promotion.bands.1.min_score", "60")
        await page.check("[data-band-tier='1'][value='1']")
        await page.check("[data-band-tier='1'][value='2']")
        await choose(page, "promotion.bands.1.target", "levels_up")
        await fill(page, "promotion.bands.1.levels_up", "1")
        await choose(page, "promotion.bands.1.unlevelled_to", "4")
        assert await page.is_hidden("#rb-problems")
        assert await horizontal_overflow(page) <= 0
        sections = ".rb-rounds *, .rb-public *, .rb-teams *, .rb-promotion *, #rb-rounds-note, #rb-results *"
        assert await low_contrast(page, sections) == []
        for code in ("top_per_union", "reverse_rank", "levels_up", "prize_winners"):
            assert code not in await page.inner_text("main")  # Chinese on the page, never the engine's codes

        shown = await example_board(page)
        summary = await page.inner_text("#rb-summary")  # the same rules in words
        assert "初赛（理论知识）：总排名前 2 名晋级，先按决胜规则比较，重新抽签" in summary
        assert "按基层工会组队，取每队最好的 3 名队员成绩平均" in summary
        assert "第 2 至 5 名、一等奖或二等奖、成绩不低于 60 分：晋升 1 级（无等级者晋升为中级工" in summary
        await save(page)
        rules = (await saved_rules(live_server, competition_id))["rules"]
        assert await horizontal_overflow(page) <= 0
        assert not [e for e in page.errors if "404" not in e], page.errors

    assert rules["rounds"] == {
        "total": "sum",
        "rounds": [
            {
                "id": "r1",
                "name": "初赛",
                "stages": [theory],
                "cut": "top",
                "count": 2,
                "min_score": None,
                "ties": "tie_break",
                "next_order": "draw",
            },
            {
                "id": "r2",
                "name": "决赛",
                "stages": [practical],
                "cut": None,
                "count": None,
                "min_score": None,
                "ties": "all",
                "next_order": "reverse_rank",
            },
        ],
    }
    assert rules["public_modules"] == [module]
    assert rules["teams"] == {
        "best": 3,
        "grouping": "union",
        "method": "mean",
        "min_members": 2,
        "rounding": {"decimals": 2, "mode": "half_up"},
        "tiers": {"method": "count", "counts": [1, 1, 1], "percents": ["10", "20", "30"], "min_score": None},
        "no_ties_in_top": 3,
    }
    assert rules["organisation_award"] == {"count": 2, "basis": "team"}
    band = {"tiers": [], "min_score": None, "levels_up": None, "unlevelled_to": None}
    assert rules["promotion"] == {
        "highest": 1,
        "basis": "人社厅发〔2026〕12号",
        "bands": [
            {**band, "first_rank": 1, "last_rank": 1, "to_level": 2},
            {
                "first_rank": 2,
                "last_rank": 5,
                "tiers": [1, 2],
                "min_score": "60",
                "to_level": None,
                "levels_up": 1,
                "unlevelled_to": 4,
            },
        ],
    }

    # The worked example played the rounds as the server does: C cut after 初赛, A and B through to 决赛.
    board, _ = play_rounds(
        msgspec.convert(rules, type=r.CompetitionRules, strict=False), *example_inputs(theory), groups={}
    )
    assert [x.eliminated_after for x in board.results] == [None, None, 0]
    assert list(shown) == [x.subject_id for x in board.results]  # in board order
    step = r.RoundingStep(decimals=2)
    for result in board.results:
        assert shown[result.subject_id] == {
            "rounds": [
                str(r.round_decimal(result.round_scores[x], step)) if x in result.round_scores else "未晋级"
                for x in ("r1", "r2")
            ],
            "final": str(r.round_decimal(result.final_score, step)),
            "rank": str(result.rank),
            "tier": {1: "一等奖", 2: "二等奖", 3: "三等奖"}.get(result.tier or 0, ""),
            "cut": result.eliminated_after is not None,
        }, result.subject_id


async def example_board(page: Any) -> dict[str, dict[str, Any]]:
    """The worked example's rows: round scores, total, rank, prize, and whether a cut is shown."""
    rows = {}
    for row in await page.locator("#rb-results tbody tr").all():
        rows[await row.get_attribute("data-subject")] = {
            "rounds": await row.locator("[data-round-score]").all_inner_texts(),
            "final": await row.locator("[data-final]").inner_text(),
            "rank": await row.locator("[data-rank]").inner_text(),
            "tier": await row.locator("[data-tier]").inner_text(),
            "cut": await row.locator("[data-cut]").count() == 1,
        }
    return rows


DECLARED = {
    "rounds": {
        "total": "last",
        "rounds": [
            {
                "id": "heat",
                "name": "预赛",
                "stages": [],  # the theory stage, filled in below
                "cut": "min_score",
                "count": None,
                "min_score": "55.5",
                "ties": "all",
                "next_order": "reverse_rank",
            },
            {
                "id": "final",
                "name": "决赛",
                "stages": [],
                "cut": None,
                "count": None,
                "min_score": None,
                "ties": "all",
                "next_order": "reverse_rank",
            },
        ],
    },
    "teams": {
        "best": 2,
        "grouping": "enterprise",
        "method": "sum",
        "min_members": None,
        "rounding": None,
        "tiers": None,
        "no_ties_in_top": 0,
    },
    "organisation_award": {"count": 3, "basis": "entrants"},
    "promotion": {
        "highest": 2,
        "basis": "",
        "bands": [
            {
                "first_rank": None,
                "last_rank": None,
                "tiers": [1],
                "min_score": "80",
                "to_level": None,
                "levels_up": 2,
                "unlevelled_to": None,
            }
        ],
    },
}


async def test_stored_rounds_teams_and_promotion_load_into_the_forms_and_save_back_unchanged(
    chromium: Any, live_server: str, world: dict[str, Any]
) -> None:
    async with vocational_builder(chromium, live_server, "tablet") as (page, competition_id):
        await save(page)
        # The rules as a script would declare them through the API.
        scheme = await saved_rules(live_server, competition_id)
        declared = copy.deepcopy(DECLARED)
        stages = [stage["id"] for stage in scheme["rules"]["stages"]]
        declared["rounds"]["rounds"][0]["stages"] = stages[:1]
        declared["rounds"]["rounds"][1]["stages"] = stages[1:]
        module = scheme["rules"]["stages"][1]["modules"][0]["id"]
        stored = {**scheme["rules"], **declared, "public_modules": [module]}
        async with new_client(base_url=live_server) as api:
            await login(api, "organizer")
            answer = await api.put(
                f"/api/competitions/{competition_id}/scoring",
                json={
                    "rules": stored,
                    "tolerance": "1",
                    "appeal_window_hours": 2,
                    "version": scheme["version"],
                },
            )
            assert answer.status_code == 200, answer.text
            stored = answer.json()["rules"]

        await page.reload()
        await page.wait_for_selector("body[data-ready] .rubric-builder .rb-rounds")
        assert await page.is_checked("[data-toggle-declared=rounds]")
        assert await page.input_value("[data-path='rounds.total']") == "last"
        assert await page.input_value("[data-path='rounds.rounds.0.cut']") == "min_score"
        assert await page.input_value("[data-path='rounds.rounds.0.min_score']") == "55.5"
        assert await page.input_value("[data-path='teams.grouping']") == "enterprise"
        assert await page.input_value("[data-path='teams.tiers.method']") == "none"
        assert await page.input_value("[data-path='organisation_award.basis']") == "entrants"
        assert await page.input_value("[data-path='promotion.bands.0.target']") == "levels_up"
        assert await page.is_checked("[data-band-tier='0'][value='1']")
        assert await page.is_checked(f"[data-public-module='{module}']")
        assert await page.is_hidden("#rb-problems")

        await fill(page, "rounds.rounds.0.name", "初赛")
        await save(page)
        again = (await saved_rules(live_server, competition_id))["rules"]
        stored["rounds"]["rounds"][0]["name"] = "初赛"
        assert again == stored

        # What only the server can tell (a figure it cannot read as an integer) is shown at the field too.
        await fill(page, "teams.best", "2.5")
        await page.click("#save-scheme")
        await page.wait_for_selector("#message.bad")
        assert "未保存" in await page.inner_text("#message")
        assert await error_at(page, "teams.best")
        assert await page.get_attribute("[data-path='teams.best']", "aria-invalid") == "true"
        assert (await saved_rules(live_server, competition_id))["rules"] == stored  # nothing changed


# --- the builder's checks against the server's ----------------------------------------------------------

BASE: dict[str, Any] = {
    "stages": [
        {"id": "s1", "kind": "imported", "full_marks": "100", "weight_percent": "30"},
        {
            "id": "s2",
            "full_marks": "100",
            "weight_percent": "70",
            "modules": [{"id": "m1", "aspects": [{"id": "a1", "kind": "measurement", "max_mark": "100"}]}],
        },
    ],
}
ROUND = {"id": "r1", "stages": ["s1"], "cut": "top", "count": 5}
LAST = {"id": "r2", "stages": ["s2"]}
TEAMS = {"best": 3, "grouping": "union"}
BAND = {"first_rank": 1, "last_rank": 3, "to_level": 2}

# Each case: declared parts that the server refuses, one or more ways.
INVALID: list[dict[str, Any]] = [
    {"rounds": {"rounds": []}},
    {"rounds": {"rounds": [ROUND, {**LAST, "cut": "top", "count": 2}]}},
    {"rounds": {"rounds": [{**ROUND, "cut": None}, LAST]}},
    {"rounds": {"rounds": [{**ROUND, "count": 0}, {**LAST, "id": "r1"}]}},
    {
        "rounds": {
            "rounds": [{**ROUND, "cut": "min_score", "min_score": "-1"}, {**LAST, "stages": ["s1", "x"]}]
        }
    },
    {"rounds": {"rounds": [{**ROUND, "cut": "top_per_union", "count": None}, {**LAST, "stages": []}]}},
    {"rounds": {"rounds": [ROUND, LAST], "total": "last"}, "weights": ("0", "100")},
    {"public_modules": ["m1", "m9"]},
    {"teams": {**TEAMS, "best": 0, "min_members": 2}},
    {"teams": {**TEAMS, "min_members": 4, "rounding": {"decimals": 7}, "no_ties_in_top": -1}},
    {"teams": {**TEAMS, "tiers": {"percents": ["50", "60"], "counts": [-1], "min_score": "301"}}},
    {"teams": {**TEAMS, "method": "mean", "tiers": {"min_score": "101"}}},
    {"teams": {**TEAMS, "grouping": "named"}, "organisation_award": {"count": 0}},
    {"organisation_award": {"count": 2, "basis": "team"}},
    {"promotion": {"bands": [], "highest": 0}},
    {"promotion": {"highest": 2, "bands": [{**BAND, "to_level": 1}, {**BAND, "levels_up": 1}]}},
    {"promotion": {"bands": [{**BAND, "to_level": 6, "unlevelled_to": 3}, {"tiers": [0], "levels_up": 0}]}},
    {
        "promotion": {
            "bands": [{**BAND, "first_rank": 4}, {"first_rank": 0, "to_level": 3, "min_score": "100.5"}]
        }
    },
    {"promotion": {"bands": [{"to_level": 3}, {"last_rank": 2, "levels_up": 1, "unlevelled_to": 0}]}},
]
DECLARED_PARTS = ("rounds", "public_modules", "teams", "organisation_award", "promotion")

CHECK_IN_BROWSER = """
(cases) => cases.map((rules) => RubricBuilderRounds.problems(rules).map((p) => [p.code, p.path, p.message]))
"""


def invalid_rules(case: dict[str, Any]) -> dict[str, Any]:
    rules = copy.deepcopy(BASE)
    for stage, weight in zip(rules["stages"], case.get("weights", ("30", "70")), strict=True):
        stage["weight_percent"] = weight
    parts = {key: value for key, value in case.items() if key != "weights"}
    # As the builder sends them: every field, defaults filled in (the server encodes them so).
    full = msgspec.to_builtins(msgspec.convert({**rules, **parts}, type=r.CompetitionRules, strict=False))
    return {key: full[key] for key in ("stages", "final", *DECLARED_PARTS)}


async def test_the_builder_names_what_the_server_refuses_at_the_same_place(page: Any) -> None:
    """The builder's own checks of the declared parts: the server's codes, paths and Chinese messages."""
    cases = [invalid_rules(case) for case in INVALID]
    expected = [
        sorted(
            (p.code, p.path, p.message)
            for p in r.validate_rules(msgspec.convert(rules, type=r.CompetitionRules, strict=False))
            if p.path.startswith(DECLARED_PARTS)
        )
        for rules in cases
    ]
    assert all(expected)  # every case is refused
    await page.goto("/competitions")
    for script in ("rubric-engine", "rubric-text", "rubric-builder-rounds"):
        await page.add_script_tag(url=f"/static/js/{script}.js")
    found = await page.evaluate(CHECK_IN_BROWSER, cases)
    for case, want, got in zip(INVALID, expected, found, strict=True):
        assert sorted(tuple(p) for p in got) == want, case
    assert len({code for problems in expected for code, _, _ in problems}) >= 30  # every check, nearly
