"""The final score is the figure the board shows (issue 10; formerly FINDINGS R1).

Without a declared ``rounding.final`` the final is rounded to the published precision (two decimals half
up), and that one figure ranks, meets the prize floor (``tiers.min_score``) and is compared before the
tie-breaks: a contestant shown 60.00 meets a 60 minimum, two contestants shown 85.67 tie.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from scoring.rules import (
    PUBLISHED_ROUNDING,
    Aspect,
    CompetitionRules,
    Mark,
    Module,
    Round,
    RoundingPolicy,
    RoundingStep,
    RoundsRule,
    Stage,
    SubjectInput,
    SubjectResult,
    TieBreak,
    TierPolicy,
    leaderboard,
    round_decimal,
    validate_rules,
)
from tests.scoring.test_rules_properties import FAST, Case, cases

D = Decimal


def one_aspect_rules(**declared: object) -> CompetitionRules:
    """One stage out of 100 at weight 100, one aspect averaged over the judges: final = the judges' mean."""
    aspect = Aspect(id="a", kind="measurement", max_mark=D(100), step=D("0.01"))
    stage = Stage(
        id="s", full_marks=D(100), weight_percent=D(100), modules=(Module(id="m", aspects=(aspect,)),)
    )
    rules = CompetitionRules(stages=(stage,), **declared)  # type: ignore[arg-type]
    assert validate_rules(rules) == []
    return rules


def marked(marks: dict[str, tuple[str, ...]]) -> list[Mark]:
    return [
        Mark(subject_id=subject, aspect_id="a", judge_id=f"j{j}", value=D(value))
        for subject, values in marks.items()
        for j, value in enumerate(values)
    ]


def by_id(results: tuple[SubjectResult, ...]) -> dict[str, SubjectResult]:
    return {result.subject_id: result for result in results}


def test_a_contestant_shown_60_meets_a_60_minimum() -> None:
    # (60 + 60 + 59.99) / 3 = 59.99666...: shown 60.00, and now 60.00 is what meets the floor.
    rules = one_aspect_rules(tiers=TierPolicy(method="count", counts=(1, 1, 1), min_score=D(60)))
    subjects = [SubjectInput(subject_id=s) for s in ("top", "edge", "below")]
    marks = marked({"top": ("90", "90", "90"), "edge": ("60", "60", "59.99"), "below": ("59.99",) * 3})
    results = by_id(leaderboard(rules, subjects, marks).results)
    assert results["edge"].final_score == D("60.00")
    assert (results["edge"].rank, results["edge"].tier) == (2, 2)
    # 59.99 shown is below 60: no prize, however the count of tier 3 had room.
    assert (results["below"].final_score, results["below"].rank, results["below"].tier) == (
        D("59.99"),
        3,
        None,
    )


def test_two_contestants_shown_equal_share_a_rank_or_the_declared_tie_break_decides() -> None:
    # 85.67 exactly and (85.67 + 85.67 + 85.68) / 3 = 85.6733...: both shown 85.67.
    marks = marked({"exact": ("85.67",) * 3, "above": ("85.67", "85.67", "85.68"), "last": ("70",) * 3})
    subjects = [
        SubjectInput(subject_id="exact", time_used=D(300)),
        SubjectInput(subject_id="above", time_used=D(400)),
        SubjectInput(subject_id="last", time_used=D(100)),
    ]
    shared = by_id(leaderboard(one_aspect_rules(), subjects, marks).results)
    assert shared["exact"].final_score == shared["above"].final_score == D("85.67")
    assert (shared["exact"].rank, shared["above"].rank, shared["last"].rank) == (1, 1, 3)
    # With a declared tie-break the shorter time used wins, although its unrounded mean was the lower.
    broken = by_id(
        leaderboard(one_aspect_rules(tie_breaks=(TieBreak(kind="time_used"),)), subjects, marks).results
    )
    assert (broken["exact"].rank, broken["above"].rank, broken["last"].rank) == (1, 2, 3)


def test_a_declared_final_rounding_is_kept() -> None:
    rules = one_aspect_rules(rounding=RoundingPolicy(final=RoundingStep(decimals=1, mode="down")))
    subjects = [SubjectInput(subject_id=s) for s in ("x", "y")]
    results = by_id(
        leaderboard(rules, subjects, marked({"x": ("60", "60", "59.99"), "y": ("59.91",)})).results
    )
    assert (results["x"].final_score, results["y"].final_score) == (D("59.9"), D("59.9"))
    assert results["x"].rank == results["y"].rank == 1


def test_with_rounds_each_round_score_is_the_published_figure() -> None:
    stages = tuple(
        Stage(
            id=s,
            full_marks=D(100),
            weight_percent=D(50),
            modules=(Module(id=f"m{s}", aspects=(Aspect(id=f"a{s}", kind="measurement", max_mark=D(100)),)),),
        )
        for s in ("r1", "r2")
    )
    cut = Round(id="one", stages=("r1",), cut="top", count=1)
    rules = CompetitionRules(stages=stages, rounds=RoundsRule(rounds=(cut, Round(id="two", stages=("r2",)))))
    assert validate_rules(rules) == []
    marks = [
        Mark(subject_id="x", aspect_id=aspect_id, judge_id=f"j{j}", value=D(v))
        for aspect_id in ("ar1", "ar2")
        for j, v in enumerate(("60", "60", "59.99"))
    ]
    (result,) = leaderboard(rules, [SubjectInput(subject_id="x")], marks).results
    # Each round: 59.99666... x 50 / 100 = 29.99833..., shown 30.00; the total adds the two shown figures.
    assert result.round_scores == {"one": D("30.00"), "two": D("30.00")}
    assert result.final_score == D("60.00")


def shown(result: SubjectResult, case: Case) -> Decimal:
    return round_decimal(result.final_score, case.rules.rounding.final_step)


@st.composite
def near_the_floor(draw: st.DrawFn) -> Case:
    """Subjects whose three judges' marks sit around a floor of 60, so that many exact finals differ in the
    third decimal while their shown figures are equal; room in the tiers for everyone."""
    count = draw(st.integers(2, 8))
    tie_breaks = draw(st.sampled_from([(), (TieBreak(kind="time_used"),)]))
    tiers = TierPolicy(method="count", counts=(1, 2, count), min_score=D(60))
    rules = one_aspect_rules(tie_breaks=tie_breaks, tiers=tiers)
    subjects = [
        SubjectInput(subject_id=f"s{i}", time_used=draw(st.none() | st.integers(100, 102).map(D)))
        for i in range(count)
    ]
    near = st.sampled_from(["59.98", "59.99", "60", "60.01"])
    marks = marked({s.subject_id: tuple(draw(st.lists(near, min_size=3, max_size=3))) for s in subjects})
    return Case(rules=rules, subjects=subjects, marks=marks)


@FAST
@given(case=cases(max_subjects=10) | near_the_floor())
def test_rank_order_never_contradicts_the_shown_figures(case: Case) -> None:
    results = [r for r in leaderboard(case.rules, case.subjects, case.marks).results if r.rank is not None]
    floor = case.rules.tiers.min_score if case.rules.tiers is not None else None
    for a, b in itertools.permutations(results, 2):
        if shown(a, case) > shown(b, case):  # shown higher: ranked no worse, prize no worse
            assert a.rank is not None and b.rank is not None and a.rank <= b.rank
            assert b.tier is None or (a.tier is not None and a.tier <= b.tier)
        if shown(a, case) == shown(b, case) and not case.rules.tie_breaks:
            assert (a.rank, a.tier) == (b.rank, b.tier)  # shown equal, nothing declared to tell them apart
    if floor is not None:
        assert all(shown(r, case) >= floor for r in results if r.tier is not None)
        if sum(case.rules.tiers.counts) >= len(results):  # room for everyone: the floor alone decides
            assert all((r.tier is not None) == (shown(r, case) >= floor) for r in results)
    assert RoundingStep(decimals=2, mode="half_up") == PUBLISHED_ROUNDING
