"""The browser's scoring engine (static/js/rubric-engine.js) against the server's, in headless Chromium.

1. A published competition's open document (trimmed means, a factor, a judgement aspect, a deduction,
   rounding at two points, a tie broken by a stage, a shared rank that drops a prize tier, a recused judge,
   a disqualified contestant): the browser recomputes every published score, rank and prize exactly.
2. Random rules and marks, scored by both engines (scoring.rules in Python, the page's in JavaScript):
   the same final and stage scores, ranks and prizes, to the last digit.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from scoring import rules as r
from scoring.rules.records import aspects_with_paths
from tests.helpers import login, new_client
from tests.scoring import factories

pytestmark = pytest.mark.browser

D = Decimal

RECOMPUTE_OPEN_DOCUMENT = """
async (id) => {
  const doc = await (await fetch(`/api/public/competitions/${id}/open-document.json`)).json();
  const expected = new Map(doc.expected.map((e) => [`${e.blind_code}|${e.aspect_id}`, e.judge_nos]));
  const subjects = doc.subjects.map((s) => ({
    id: s.blind_code, imported: s.imported, time_used: s.time_used, disqualified: s.disqualified,
  }));
  const marks = doc.marks.map((m) => ({
    subject: m.blind_code, aspect: m.aspect_id, judge: m.judge_no, value: m.value,
  }));
  const board = RubricEngine.leaderboard(doc.rules, subjects, marks, expected);
  const step = doc.published_rounding;
  const shown = (v) => RubricEngine.fixed(RubricEngine.round(v, step), step.decimals);
  const mine = new Map(board.results.map((x) => [x.subject_id, x]));
  return doc.published.map((p) => {
    const x = mine.get(p.blind_code);
    const stages = Object.fromEntries(Object.entries(x.stage_scores).map(([k, v]) => [k, shown(v)]));
    return {
      code: p.blind_code,
      published: { final_score: p.final_score, rank: p.rank, tier: p.tier, stage_scores: p.stage_scores },
      browser: { final_score: shown(x.final_score), rank: x.rank, tier: x.tier, stage_scores: stages },
    };
  });
}
"""


async def test_the_browser_recomputes_a_published_open_document(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    await factories.sign_off(built)
    async with new_client(base_url=live_server) as api:
        await login(api, "organizer")
        cid = built.competition_id
        assert (await api.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await api.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        assert published.status_code == 201, published.text
    await page.goto("/competitions")
    await page.add_script_tag(url="/static/js/rubric-engine.js")
    figures = await page.evaluate(RECOMPUTE_OPEN_DOCUMENT, built.competition_id)
    assert len(figures) == factories.CONTESTANTS
    for figure in figures:
        assert figure["browser"] == figure["published"], figure["code"]
    by_code = {f["code"]: f["browser"] for f in figures}
    assert by_code[built.blind_codes[9]]["final_score"] == "85.64"  # the worked example's winner
    assert by_code[built.blind_codes[10]]["rank"] == by_code[built.blind_codes[7]]["rank"] == 3  # twins share
    assert by_code[built.blind_codes[factories.DISQUALIFIED]]["rank"] is None


# --- random rules, both engines ---------------------------------------------------------------------------


def _step(rng: random.Random) -> r.RoundingStep | None:
    if rng.random() < 0.4:
        return None
    return r.RoundingStep(
        decimals=rng.choice([0, 1, 2, 3]), mode=rng.choice(["half_up", "half_even", "down"])
    )


def _aspect(rng: random.Random, ident: str, judges: int) -> r.Aspect:
    kind = rng.choice(["measurement", "measurement", "judgement", "pass_fail", "deduction"])
    method = rng.choice(["mean", "trimmed_mean", "median", "trimmed_sum"])
    trim = rng.choice([1, 2]) if method in ("trimmed_mean", "trimmed_sum") and judges > 4 else 0
    if trim == 0 and method in ("trimmed_mean", "trimmed_sum"):
        trim = 1 if judges > 2 else 0
    step = D(rng.choice(["0.5", "1", "0.25"])) if kind in ("measurement", "deduction") else None
    aspect = r.Aspect(
        id=ident,
        kind=kind,
        max_mark=D(rng.choice([5, 10, 12, 20])),
        step=step,
        factor=D(rng.choice(["1", "1", "2", "0.5", "1.5"])),
        combine=r.Combination(method=method, trim=trim),
    )
    if kind == "measurement" and step is not None and rng.random() < 0.3:  # a signed range
        aspect = msgspec.structs.replace(aspect, min_mark=-step * rng.randint(1, 8))
    if rng.random() < 0.2:  # declared least marks: with a judge absent, some aspects fall short
        aspect = msgspec.structs.replace(
            aspect, min_marks=min(judges, r.least_marks(aspect) + rng.randint(0, 1))
        )
    return aspect


def _stage_full_marks(stage: r.Stage, judges: int) -> Decimal:
    total = D(0)
    for module in stage.modules:
        for aspect in module.aspects:
            if aspect.kind == "deduction":
                continue
            summed = judges - 2 * aspect.combine.trim if aspect.combine.method == "trimmed_sum" else 1
            total += aspect.max_mark * aspect.factor * summed
    return total


def random_rules(rng: random.Random, judges: int) -> r.CompetitionRules:
    stages = []
    weights = rng.choice([(30, 70), (20, 80), (100,), (25, 25, 50)])
    for index, weight in enumerate(weights):
        if index == 0 and len(weights) > 1 and rng.random() < 0.5:
            stages.append(
                r.Stage(id=f"s{index}", kind="imported", full_marks=D(100), weight_percent=D(weight))
            )
            continue
        modules = tuple(
            r.Module(
                id=f"s{index}m{m}",
                aspects=tuple(_aspect(rng, f"s{index}m{m}a{a}", judges) for a in range(rng.randint(1, 3))),
            )
            for m in range(rng.randint(1, 2))
        )
        if all(a.kind == "deduction" for m in modules for a in m.aspects):
            first = modules[0]
            kept = (r.Aspect(id=f"{first.id}x", kind="measurement", max_mark=D(10)), *first.aspects)
            modules = (msgspec.structs.replace(first, aspects=kept), *modules[1:])
        stage = r.Stage(id=f"s{index}", full_marks=D(1), weight_percent=D(weight), modules=modules)
        stages.append(msgspec.structs.replace(stage, full_marks=_stage_full_marks(stage, judges)))
    tie_breaks = rng.sample(
        [r.TieBreak(kind="time_used"), r.TieBreak(kind="stage", ref=stages[-1].id)], k=rng.randint(0, 2)
    )
    tiers = rng.choice(
        [
            r.TierPolicy(),
            r.TierPolicy(method="count", counts=(1, 2, 2)),
            r.TierPolicy(percents=(D(15), D("22.5"), D(30)), min_score=D(rng.randint(0, 60))),
            None,
        ]
    )
    final = rng.choice(["weighted", "raw_sum"])
    if tiers is not None and tiers.min_score is not None and final == "raw_sum":
        top = sum((stage.full_marks for stage in stages), D(0))
        tiers = msgspec.structs.replace(tiers, min_score=min(tiers.min_score, top))
    return r.CompetitionRules(
        final=final,
        stages=tuple(stages),
        rounding=r.RoundingPolicy(
            panel_mark=_step(rng), factored_aspect=_step(rng), stage_total=_step(rng), final=_step(rng)
        ),
        tie_breaks=tuple(tie_breaks),
        tiers=tiers,
        no_ties_in_top=rng.choice([0, 3]),
    )


def _mark(rng: random.Random, aspect: r.Aspect) -> Decimal:
    if aspect.kind == "judgement":
        return D(rng.randint(0, 3))
    if aspect.kind == "pass_fail":
        return rng.choice([D(0), aspect.max_mark])
    step = aspect.step or D(1)
    return step * rng.randint(int(aspect.min_mark / step), int(aspect.max_mark / step))


def random_inputs(
    rng: random.Random, rules: r.CompetitionRules, judges: int
) -> tuple[list[r.SubjectInput], list[r.Mark]]:
    """3 to 14 subjects (some disqualified, some twins of the one before) and their judges' marks."""
    subjects: list[r.SubjectInput] = []
    marks: list[r.Mark] = []
    for s in range(rng.randint(3, 14)):
        sid = f"p{s:02d}"
        imported = {st.id: D(rng.randint(0, 200)) / 2 for st in rules.stages if st.kind == "imported"}
        used = D(rng.choice([300, 300, 420, 600])) if rng.random() < 0.8 else None
        subjects.append(
            r.SubjectInput(
                subject_id=sid, imported=imported, time_used=used, disqualified=rng.random() < 0.08
            )
        )
        twin = s > 0 and rng.random() < 0.25  # a twin of the previous subject: ties to break or share
        for _, aspect in aspects_with_paths(rules):
            absent = rng.randrange(judges) if rng.random() < 0.15 else None  # a judge absent (缺席)
            for j in range(judges):
                if j == absent:
                    continue
                marks.append(
                    r.Mark(subject_id=sid, aspect_id=aspect.id, judge_id=f"j{j}", value=_mark(rng, aspect))
                )
        if twin:
            previous = subjects[-2]
            subjects[-1] = msgspec.structs.replace(
                subjects[-1], imported=previous.imported, time_used=previous.time_used
            )
            theirs = [m for m in marks if m.subject_id == previous.subject_id]
            marks = [m for m in marks if m.subject_id != sid] + [
                msgspec.structs.replace(m, subject_id=sid) for m in theirs
            ]
    return subjects, marks


def case_of(
    rules: r.CompetitionRules, subjects: list[r.SubjectInput], marks: list[r.Mark], board: r.Leaderboard
) -> dict[str, Any]:
    """The inputs as the page's engine takes them, and the server engine's board."""
    return {
        "rules": msgspec.to_builtins(rules),
        "subjects": [
            {
                "id": s.subject_id,
                "imported": {k: str(v) for k, v in s.imported.items()},
                "time_used": None if s.time_used is None else str(s.time_used),
                "disqualified": s.disqualified,
            }
            for s in subjects
        ],
        "marks": [
            {"subject": m.subject_id, "aspect": m.aspect_id, "judge": m.judge_id, "value": str(m.value)}
            for m in marks
        ],
        "expected": [
            {
                "id": x.subject_id,
                "final": str(x.final_score),
                "stages": {k: str(v) for k, v in x.stage_scores.items()},
                "rounds": {k: str(v) for k, v in x.round_scores.items()},
                "eliminated_after": x.eliminated_after,
                "rank": x.rank,
                "tier": x.tier,
            }
            for x in board.results
        ],
        "ties": [list(t.subject_ids) for t in board.unresolved_ties],
    }


def random_case(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    judges = rng.choice([3, 5, 7])
    rules = random_rules(rng, judges)
    assert r.validate_rules(rules) == [], r.validate_rules(rules)
    subjects, marks = random_inputs(rng, rules, judges)
    return case_of(rules, subjects, marks, r.leaderboard(rules, subjects, marks))


SCORE_IN_BROWSER = """
(cases) => cases.map((c) => {
  const board = RubricEngine.leaderboard(c.rules, c.subjects, c.marks);
  const num = (v) => RubricEngine.text(v, 40);
  const all = (scores) => Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, num(v)]));
  return {
    results: board.results.map((x) => ({
      id: x.subject_id, final: num(x.final_score), stages: all(x.stage_scores), rank: x.rank, tier: x.tier,
    })),
    ties: board.unresolved_ties.map((t) => t.subject_ids),
  };
})
"""


def _same_number(a: str, b: str) -> bool:
    return D(a.lstrip("≈")) == D(b) if not a.startswith("≈") else abs(D(a[1:]) - D(b)) < D("1e-30")


async def test_random_rules_score_the_same_in_the_browser_and_on_the_server(page: Any) -> None:
    cases = [random_case(seed) for seed in range(60)]
    await page.goto("/competitions")
    await page.add_script_tag(url="/static/js/rubric-engine.js")
    computed = await page.evaluate(SCORE_IN_BROWSER, cases)
    for seed, (case, mine) in enumerate(zip(cases, computed, strict=True)):
        assert mine["ties"] == case["ties"], seed
        assert [x["id"] for x in mine["results"]] == [x["id"] for x in case["expected"]], seed
        for got, want in zip(mine["results"], case["expected"], strict=True):
            assert (got["rank"], got["tier"]) == (want["rank"], want["tier"]), (seed, want["id"])
            assert _same_number(got["final"], want["final"]), (seed, want["id"], got["final"], want["final"])
            for stage, value in want["stages"].items():
                assert _same_number(got["stages"][stage], value), (seed, want["id"], stage)


# --- rounds, both engines ---------------------------------------------------------------------------------


def random_rounds(rng: random.Random, rules: r.CompetitionRules) -> r.RoundsRule:
    """The stages split, in order, into 2 to (stages) rounds (one when there is one stage), each closed by
    a random cut but the last."""
    ids = [stage.id for stage in rules.stages]
    splits = sorted(rng.sample(range(1, len(ids)), k=rng.randint(min(1, len(ids) - 1), len(ids) - 1)))
    parts = [ids[a:b] for a, b in zip([0, *splits], [*splits, len(ids)], strict=True)]
    top = r.final_maximum(rules)
    rounds = []
    for index, stages in enumerate(parts):
        cut = (
            None
            if index == len(parts) - 1
            else rng.choice(["top", "min_score", "top_per_union", "top_per_enterprise"])
        )
        rounds.append(
            r.Round(
                id=f"r{index}",
                stages=tuple(stages),
                cut=cut,
                count=rng.randint(1, 6) if cut not in (None, "min_score") else None,
                min_score=(top * rng.randint(0, 40) / 100).quantize(D("0.1")) if cut == "min_score" else None,
                ties=rng.choice(["all", "tie_break"]),
            )
        )
    return r.RoundsRule(rounds=tuple(rounds), total=rng.choice(["sum", "last"]))


def play_rounds(
    rules: r.CompetitionRules,
    subjects: list[r.SubjectInput],
    marks: list[r.Mark],
    groups: dict[str, dict[str, str | None]],
) -> tuple[r.Leaderboard, list[list[r.RoundStanding]]]:
    """As the organizer closes each round but the last (scoring.rounds.close_round): its standing with no
    marks of later rounds yet, and whoever does not qualify is cut after it; then the board."""
    assert rules.rounds is not None
    cut: dict[str, int] = {}
    standings = []
    for index in range(len(rules.rounds.rounds) - 1):
        as_of = [msgspec.structs.replace(s, eliminated_after=cut.get(s.subject_id, index)) for s in subjects]
        standing = r.round_standings(rules, r.aggregate(rules, as_of, marks), index, groups)
        cut.update({s.subject_id: index for s in standing if not s.qualified})
        standings.append(standing)
    played = [msgspec.structs.replace(s, eliminated_after=cut.get(s.subject_id)) for s in subjects]
    return r.leaderboard(rules, played, marks), standings


def random_rounds_case(seed: int) -> dict[str, Any]:
    rng = random.Random(1000 + seed)
    judges = rng.choice([3, 5, 7])
    rules = random_rules(rng, judges)
    rules = msgspec.structs.replace(rules, rounds=random_rounds(rng, rules))
    assert r.validate_rules(rules) == [], r.validate_rules(rules)
    subjects, marks = random_inputs(rng, rules, judges)
    groups = {
        s.subject_id: {"union": rng.choice(["u1", "u2", None]), "enterprise": rng.choice(["e1", "e2", None])}
        for s in subjects
    }
    board, standings = play_rounds(rules, subjects, marks, groups)
    return {
        **case_of(rules, subjects, marks, board),
        "groups": groups,
        "standings": [
            [[s.subject_id, str(s.score), s.rank, s.qualified, s.group] for s in standing]
            for standing in standings
        ],
    }


PLAY_ROUNDS_IN_BROWSER = """
(cases) => cases.map((c) => {
  const board = RubricEngine.leaderboardByRounds(c.rules, c.subjects, c.marks, null, c.groups);
  const num = (v) => RubricEngine.text(v, 40);
  const all = (scores) => Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, num(v)]));
  return {
    results: board.results.map((x) => ({
      id: x.subject_id, final: num(x.final_score), stages: all(x.stage_scores), rounds: all(x.round_scores),
      eliminated_after: x.eliminated_after, rank: x.rank, tier: x.tier,
    })),
    ties: board.unresolved_ties.map((t) => t.subject_ids),
    standings: board.standings.map((s) => s.map((x) => [
      x.subject_id, num(x.score), x.rank, x.qualified, x.group,
    ])),
  };
})
"""


async def test_rounds_play_the_same_in_the_browser_and_on_the_server(page: Any) -> None:
    """Random rules split into rounds with every kind of cut and total: each round's standing and cut, then
    every round score, total, rank and prize, the same in both engines."""
    cases = [random_rounds_case(seed) for seed in range(60)]
    assert sum(1 for c in cases if c["standings"]) > 30  # most cases close a round at least
    assert any(x["eliminated_after"] is not None for c in cases for x in c["expected"])
    await page.goto("/competitions")
    await page.add_script_tag(url="/static/js/rubric-engine.js")
    computed = await page.evaluate(PLAY_ROUNDS_IN_BROWSER, cases)
    for seed, (case, mine) in enumerate(zip(cases, computed, strict=True)):
        assert len(mine["standings"]) == len(case["standings"]), seed
        for got_standing, want_standing in zip(mine["standings"], case["standings"], strict=True):
            assert [[x[0], *x[2:]] for x in got_standing] == [[x[0], *x[2:]] for x in want_standing], seed
            for got, want in zip(got_standing, want_standing, strict=True):
                assert _same_number(got[1], want[1]), (seed, got, want)
        assert mine["ties"] == case["ties"], seed
        assert [x["id"] for x in mine["results"]] == [x["id"] for x in case["expected"]], seed
        for got, want in zip(mine["results"], case["expected"], strict=True):
            who = (seed, want["id"])
            assert (got["rank"], got["tier"], got["eliminated_after"]) == (
                want["rank"],
                want["tier"],
                want["eliminated_after"],
            ), who
            assert _same_number(got["final"], want["final"]), (*who, got["final"], want["final"])
            assert got["stages"].keys() == want["stages"].keys(), who  # no stage of a round not entered
            assert got["rounds"].keys() == want["rounds"].keys(), who
            for kind in ("stages", "rounds"):
                for key, value in want[kind].items():
                    assert _same_number(got[kind][key], value), (*who, kind, key)
