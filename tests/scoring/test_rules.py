"""Unit tests of the scoring engine, table-driven: combinations, aspect kinds, rounding, ranking, prizes,
validation. Pure: no database, no application."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec
import pytest

from scoring.rules import (
    Aspect,
    AspectKind,
    AspectScore,
    Combination,
    CombineMethod,
    CompetitionRules,
    Leaderboard,
    Mark,
    Module,
    RoundingPolicy,
    RoundingStep,
    ScoringError,
    Stage,
    SubjectInput,
    SubjectResult,
    TieBreak,
    TierPolicy,
    aggregate,
    combine,
    leaderboard,
    rank,
    round_decimal,
    tier_counts,
    validate_imported_mark,
    validate_mark,
    validate_panel,
    validate_rules,
)

D = Decimal


def aspect(
    id: str = "a",
    kind: AspectKind = "measurement",
    max_mark: str = "10",
    *,
    step: str | None = None,
    factor: str = "1",
    method: CombineMethod = "mean",
    trim: int = 0,
) -> Aspect:
    return Aspect(
        id=id,
        kind=kind,
        max_mark=D(max_mark),
        step=None if step is None else D(step),
        factor=D(factor),
        combine=Combination(method=method, trim=trim),
    )


def one_stage(*aspects: Aspect, full_marks: str | None = None, **options: object) -> CompetitionRules:
    """A one-stage, one-module competition weighted 100, its full marks the sum of its scored maxima."""
    if full_marks is None:
        scored = [a.max_mark * a.factor for a in aspects if a.kind != "deduction"]
        full_marks = str(sum(scored, D(0)))
    stage = Stage(
        id="practical",
        full_marks=D(full_marks),
        weight_percent=D(100),
        modules=(Module(id="m", aspects=aspects),),
    )
    return CompetitionRules(stages=(stage,), **options)  # type: ignore[arg-type]


def marks_for(subject: str, aspect_id: str, *values: str | int) -> list[Mark]:
    return [
        Mark(subject_id=subject, aspect_id=aspect_id, judge_id=f"j{i}", value=D(str(v)))
        for i, v in enumerate(values)
    ]


def scored(rules: CompetitionRules, marks: Sequence[Mark], *subjects: SubjectInput) -> SubjectResult:
    subjects = subjects or (SubjectInput(subject_id="s"),)
    return aggregate(rules, subjects, marks)[0]


def board_of_finals(
    finals: dict[str, str], *, tiers: TierPolicy | None = None, disqualified: Sequence[str] = (), top: int = 0
) -> Leaderboard:
    """Subjects whose final score is their single mark on a 100-mark aspect."""
    rules = one_stage(aspect(max_mark="100"), tiers=tiers, no_ties_in_top=top)
    subjects = [SubjectInput(subject_id=s, disqualified=s in disqualified) for s in finals]
    marks = [m for s, value in finals.items() for m in marks_for(s, "a", value)]
    return leaderboard(rules, subjects, marks)


def by_id(board: Leaderboard) -> dict[str, SubjectResult]:
    return {r.subject_id: r for r in board.results}


# ---------------------------------------------------------------------------------------- combinations


@pytest.mark.parametrize(
    ("values", "method", "trim", "expected"),
    [
        (["1", "2", "3", "4"], "mean", 0, "2.5"),
        (["8"], "mean", 0, "8"),
        (["7.5", "8.0", "8.0", "8.5", "9.0"], "trimmed_mean", 1, "8.166666666666666666666666667"),
        (["1", "2", "3", "4", "5", "6", "7"], "trimmed_mean", 2, "4"),
        (["9", "1", "5", "5", "5"], "trimmed_mean", 1, "5"),
        (["8", "8", "8", "8", "8"], "trimmed_mean", 1, "8"),  # equal marks: one copy of each end dropped
        (["3", "1", "2"], "median", 0, "2"),
        (["1", "2", "3", "10"], "median", 0, "2.5"),
        (["7.5", "8.0", "8.0", "8.5", "9.0"], "trimmed_sum", 1, "24.5"),
        (["6.5", "7.0", "7.0", "7.5", "7.5", "8.0", "8.0"], "trimmed_sum", 2, "22.0"),
        (["1", "2"], "trimmed_mean", 1, None),  # nothing left
        (["1", "2"], "trimmed_sum", 1, None),
        ([], "mean", 0, None),
        ([], "median", 0, None),
    ],
)
def test_combination(values: list[str], method: CombineMethod, trim: int, expected: str | None) -> None:
    result = combine([D(v) for v in values], Combination(method=method, trim=trim))
    assert result == (None if expected is None else D(expected))


def test_mean_and_median_ignore_trim() -> None:
    values = [D(1), D(2), D(9)]
    assert combine(values, Combination(method="mean", trim=1)) == D(4)
    assert combine(values, Combination(method="median", trim=1)) == D(2)


# ---------------------------------------------------------------------------------------- aspect kinds


@pytest.mark.parametrize(
    ("rubric", "values", "panel", "score"),
    [
        (aspect(step="0.5"), ["1.5", "2.0"], "1.75", "1.75"),
        (aspect(kind="pass_fail", max_mark="2"), ["2"], "2", "2"),
        (aspect(kind="pass_fail", max_mark="2"), ["0"], "0", "0"),
        (aspect(kind="judgement", max_mark="1.5"), ["3", "3", "3"], "1.5", "1.5"),
        # mean / 3 x max: 7/3 / 3 x 3 = 7/3
        (aspect(kind="judgement", max_mark="3"), ["2", "3", "2"], "2.333333333333333333333333333", None),
        # 1 / 3 x 2 = 2/3, then x factor 2 = 4/3 (exact, not 2 x the published 0.666...667)
        (
            aspect(kind="judgement", max_mark="2", factor="2"),
            ["1", "1", "1"],
            "0.6666666666666666666666666667",
            "1.333333333333333333333333333",
        ),
        (aspect(step="0.5", factor="3"), ["2.5"], "2.5", "7.5"),
    ],
)
def test_aspect_kinds(rubric: Aspect, values: list[str], panel: str, score: str | None) -> None:
    result = scored(one_stage(rubric), marks_for("s", "a", *values)).aspect_scores["a"]
    assert result.panel_mark == D(panel)
    assert result.score == (D(panel) * rubric.factor if score is None else D(score))


def test_judgement_to_marks_is_mean_over_3_times_max() -> None:
    # 2, 3, 2 on an aspect worth 3 marks: (7 / 3) / 3 x 3 = 7 / 3
    result = scored(one_stage(aspect(kind="judgement", max_mark="3")), marks_for("s", "a", 2, 3, 2))
    assert result.aspect_scores["a"].score == D(7) / D(3)


@pytest.mark.parametrize(
    ("deducted", "module", "stage"),
    [
        ("0", "8", "8"),
        ("1.5", "6.5", "6.5"),
        ("5", "3", "3"),
        ("10", "-2", "0"),  # the module shows the deduction in full; the stage never goes below 0
    ],
)
def test_deductions_subtract_and_stage_floors_at_zero(deducted: str, module: str, stage: str) -> None:
    rules = one_stage(aspect("work", step="0.5"), aspect("safety", "deduction", "10", step="0.5"))
    marks = [*marks_for("s", "work", 8), *marks_for("s", "safety", deducted)]
    result = scored(rules, marks)
    assert result.aspect_scores["safety"].panel_mark == D(deducted)
    assert result.aspect_scores["safety"].score == -D(deducted)
    assert result.module_scores["m"] == D(module)
    assert result.stage_scores["practical"] == D(stage)


def test_zero_deduction_is_published_as_plain_zero() -> None:
    rules = one_stage(aspect("work"), aspect("safety", "deduction", "5"))
    result = scored(rules, [*marks_for("s", "work", 8), *marks_for("s", "safety", 0)])
    assert str(result.aspect_scores["safety"].score) == "0"


# -------------------------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "decimals", "mode", "expected"),
    [
        ("2.125", 2, "half_up", "2.13"),
        ("2.125", 2, "half_even", "2.12"),
        ("2.135", 2, "half_even", "2.14"),
        ("2.129", 2, "down", "2.12"),
        ("2.1", 2, "half_up", "2.10"),
        ("73.5", 2, "half_up", "73.50"),
        ("-2.125", 2, "half_up", "-2.13"),  # half up rounds the magnitude: away from zero
        ("-2.129", 2, "down", "-2.12"),
        ("0.5", 0, "half_up", "1"),
        ("0.5", 0, "half_even", "0"),
        ("1.5", 0, "half_even", "2"),
    ],
)
def test_round_decimal(value: str, decimals: int, mode: str, expected: str) -> None:
    result = round_decimal(D(value), RoundingStep(decimals=decimals, mode=mode))  # type: ignore[arg-type]
    assert str(result) == expected


TWO = RoundingStep(decimals=2)


@pytest.mark.parametrize(
    ("policy", "panel", "score"),
    [
        # marks 1, 2, 2: panel mark 5/3, factor 1.5 -> 2.5 exactly when nothing rounds the panel mark
        (RoundingPolicy(), "1.666666666666666666666666667", "2.5"),
        (RoundingPolicy(panel_mark=TWO), "1.67", "2.505"),
        (RoundingPolicy(factored_aspect=TWO), "1.666666666666666666666666667", "2.50"),
        (RoundingPolicy(panel_mark=TWO, factored_aspect=TWO), "1.67", "2.51"),
        (
            RoundingPolicy(panel_mark=TWO, factored_aspect=RoundingStep(decimals=2, mode="half_even")),
            "1.67",
            "2.50",
        ),
        (
            RoundingPolicy(panel_mark=TWO, factored_aspect=RoundingStep(decimals=2, mode="down")),
            "1.67",
            "2.50",
        ),
        (RoundingPolicy(panel_mark=RoundingStep(decimals=1, mode="down")), "1.6", "2.40"),
    ],
)
def test_rounding_at_panel_and_factored_aspect(policy: RoundingPolicy, panel: str, score: str) -> None:
    rules = one_stage(aspect(step="1", factor="1.5"), rounding=policy)
    result = scored(rules, marks_for("s", "a", 1, 2, 2)).aspect_scores["a"]
    assert (str(result.panel_mark), result.score) == (panel, D(score))


@pytest.mark.parametrize(
    ("policy", "stage", "final"),
    [
        # two aspects of 10 marks, means 20/3 and 19/3: stage 13, final 13 / 20 x 100 = 65
        (RoundingPolicy(), "13", "65"),
        # the panel marks round to 6.67 and 6.33 first: stage 13.00, final 65.00
        (RoundingPolicy(panel_mark=TWO), "13.00", "65"),
        (RoundingPolicy(panel_mark=RoundingStep(decimals=1)), "13.0", "65"),
        (RoundingPolicy(panel_mark=RoundingStep(decimals=0, mode="down")), "12", "60"),
        (RoundingPolicy(stage_total=RoundingStep(decimals=0)), "13", "65"),
        # stage total 39/3 is exact either way; the final 13/20 x 100 too
        (RoundingPolicy(stage_total=TWO, final=TWO), "13.00", "65.00"),
    ],
)
def test_rounding_at_stage_and_final(policy: RoundingPolicy, stage: str, final: str) -> None:
    rules = one_stage(aspect("a", step="1"), aspect("b", step="1"), rounding=policy)
    result = scored(rules, [*marks_for("s", "a", 6, 7, 7), *marks_for("s", "b", 6, 6, 7)])
    assert str(result.stage_scores["practical"]) == stage
    assert result.final_score == D(final)


def test_declared_final_rounding_publishes_its_decimals() -> None:
    rules = one_stage(aspect(step="1"), rounding=RoundingPolicy(final=TWO))
    assert str(scored(rules, marks_for("s", "a", 6, 7, 7)).final_score) == "66.67"  # 20/3 / 10 x 100


def test_stage_rounding_uses_the_exact_total() -> None:
    # Means of 3 judges: 2, 9, 8 -> 19/3 x 1.25 = 95/12 and 3, 8, 6 -> 17/3 x 0.125 = 17/24; the stage is
    # 95/12 + 17/24 = 207/24 = 8.625 exactly, so half up gives 8.63. Summing 28-digit quotients instead
    # (7.916666...667 + 0.7083333...333) gives 8.624999...9, which would round to 8.62.
    rules = one_stage(
        aspect("a", step="1", factor="1.25"),
        aspect("b", step="1", factor="0.125"),
        rounding=RoundingPolicy(stage_total=TWO),
    )
    result = scored(rules, [*marks_for("s", "a", 2, 9, 8), *marks_for("s", "b", 3, 8, 6)])
    assert result.stage_scores["practical"] == D("8.63")


def test_final_rounding_of_weighted_stages_is_exact() -> None:
    # 1/3 of a stage weighted 50 plus 2/3 of a stage weighted 50 is exactly 50
    rules = CompetitionRules(
        stages=(
            Stage(id="x", kind="imported", full_marks=D(3), weight_percent=D(50)),
            Stage(id="y", kind="imported", full_marks=D(3), weight_percent=D(50)),
        ),
        rounding=RoundingPolicy(final=RoundingStep(decimals=0, mode="down")),
    )
    result = scored(rules, [], SubjectInput(subject_id="s", imported={"x": D(1), "y": D(2)}))
    assert result.final_score == D(50)


# ---------------------------------------------------------------------------------------------- stages


def test_final_normalises_each_stage_by_its_full_marks_then_weights() -> None:
    # practical 45 / 60 x 70 = 52.5, theory 80 / 100 x 30 = 24, final 76.5 out of 100
    practical = Stage(
        id="practical",
        full_marks=D(60),
        weight_percent=D(70),
        modules=(Module(id="m", aspects=(aspect(max_mark="60", step="0.5"),)),),
    )
    theory = Stage(id="theory", kind="imported", full_marks=D(100), weight_percent=D(30))
    rules = CompetitionRules(stages=(theory, practical))
    result = scored(rules, marks_for("s", "a", 45), SubjectInput(subject_id="s", imported={"theory": D(80)}))
    assert result.stage_scores == {"theory": D(80), "practical": D(45)}
    assert result.final_score == D("76.5")
    assert result.complete


def test_imported_stage_missing_mark_counts_zero_and_incomplete() -> None:
    theory = Stage(id="theory", kind="imported", full_marks=D(100), weight_percent=D(100))
    result = scored(CompetitionRules(stages=(theory,)), [])
    assert result.stage_scores == {"theory": D(0)}
    assert not result.complete


def test_imported_stage_is_rounded_at_stage_total() -> None:
    theory = Stage(id="theory", kind="imported", full_marks=D(100), weight_percent=D(100))
    rules = CompetitionRules(stages=(theory,), rounding=RoundingPolicy(stage_total=RoundingStep(decimals=1)))
    result = scored(rules, [], SubjectInput(subject_id="s", imported={"theory": D("88.25")}))
    assert result.stage_scores["theory"] == D("88.3")


# ---------------------------------------------------------------------------------------- completeness


def test_completeness_follows_the_expected_judges() -> None:
    rules = one_stage(aspect("a"), aspect("b"))
    marks = [*marks_for("s", "a", 5, 6), *marks_for("s", "b", 7)]
    expected = {("s", "a"): {"j0", "j1"}, ("s", "b"): {"j0", "j1"}}
    result = aggregate(rules, [SubjectInput(subject_id="s")], marks, expected=expected)[0]
    assert result.aspect_scores["a"].complete
    assert not result.aspect_scores["b"].complete
    assert result.aspect_scores["b"].score == D(7)  # provisional: what is in so far
    assert not result.complete
    recused = {("s", "a"): {"j0", "j1"}, ("s", "b"): {"j0"}}  # j1 recused on b
    assert aggregate(rules, [SubjectInput(subject_id="s")], marks, expected=recused)[0].complete


def test_aspect_without_marks_is_incomplete_and_counts_zero() -> None:
    rules = one_stage(aspect("a"), aspect("b"))
    result = scored(rules, marks_for("s", "a", 5))
    assert result.aspect_scores["b"] == AspectScore(panel_mark=None, score=D(0), marks=0, complete=False)
    assert result.final_score == D(25)
    assert not result.complete


def test_trimmed_aspect_with_too_few_marks_yet_is_incomplete() -> None:
    rules = one_stage(aspect(method="trimmed_mean", trim=1))
    result = scored(rules, marks_for("s", "a", 5, 6))
    assert result.aspect_scores["a"].panel_mark is None
    assert not result.complete


# --------------------------------------------------------------------------------------------- ranking


def test_shared_ranks_skip() -> None:
    board = board_of_finals({"a": "90", "b": "80", "c": "80", "d": "70", "e": "70", "f": "70", "g": "60"})
    assert [(r.subject_id, r.rank) for r in board.results] == [
        ("a", 1),
        ("b", 2),
        ("c", 2),
        ("d", 4),
        ("e", 4),
        ("f", 4),
        ("g", 7),
    ]


def two_stage_rules(*tie_breaks: TieBreak) -> CompetitionRules:
    """Practical (two modules of 50) and theory, each 100 marks and weighted 50."""
    modules = (
        Module(id="m1", aspects=(aspect("a1", max_mark="50"),)),
        Module(id="m2", aspects=(aspect("a2", max_mark="50"),)),
    )
    return CompetitionRules(
        stages=(
            Stage(id="theory", kind="imported", full_marks=D(100), weight_percent=D(50)),
            Stage(id="practical", full_marks=D(100), weight_percent=D(50), modules=modules),
        ),
        tie_breaks=tie_breaks,
    )


# subject: (theory, a1, a2, time used); everyone's final is 40 except "low"
TIE_DATA: dict[str, tuple[int, int, int, int | None]] = {
    "p": (30, 20, 30, 100),  # practical 50
    "q": (40, 20, 20, 90),  # practical 40, faster than r
    "r": (40, 15, 25, 95),  # practical 40
    "s": (40, 25, 15, 95),  # practical 40, same time as r, better module m1
    "t": (40, 20, 20, None),  # practical 40, no time recorded
    "low": (10, 10, 10, 1),
}


def tie_board(*tie_breaks: TieBreak) -> dict[str, int | None]:
    subjects = [
        SubjectInput(subject_id=s, imported={"theory": D(t)}, time_used=None if used is None else D(used))
        for s, (t, _, _, used) in TIE_DATA.items()
    ]
    marks = [
        m
        for s, (_, a1, a2, _) in TIE_DATA.items()
        for m in (*marks_for(s, "a1", a1), *marks_for(s, "a2", a2))
    ]
    return {r.subject_id: r.rank for r in leaderboard(two_stage_rules(*tie_breaks), subjects, marks).results}


@pytest.mark.parametrize(
    ("tie_breaks", "expected"),
    [
        ((), {"p": 1, "q": 1, "r": 1, "s": 1, "t": 1, "low": 6}),
        ((TieBreak(kind="stage", ref="practical"),), {"p": 1, "q": 2, "r": 2, "s": 2, "t": 2, "low": 6}),
        ((TieBreak(kind="stage", ref="theory"),), {"q": 1, "r": 1, "s": 1, "t": 1, "p": 5, "low": 6}),
        (
            (TieBreak(kind="stage", ref="practical"), TieBreak(kind="time_used")),
            {"p": 1, "q": 2, "r": 3, "s": 3, "t": 5, "low": 6},
        ),
        (
            (
                TieBreak(kind="stage", ref="practical"),
                TieBreak(kind="time_used"),
                TieBreak(kind="module", ref="m1"),
            ),
            {"p": 1, "q": 2, "s": 3, "r": 4, "t": 5, "low": 6},
        ),
        ((TieBreak(kind="module", ref="m1"),), {"s": 1, "p": 2, "q": 2, "t": 2, "r": 5, "low": 6}),
    ],
)
def test_tie_break_chains(tie_breaks: tuple[TieBreak, ...], expected: dict[str, int]) -> None:
    assert tie_board(*tie_breaks) == expected


def test_results_are_ordered_by_rank_then_id_with_disqualified_last() -> None:
    board = board_of_finals({"z": "50", "b": "70", "a": "70", "dq": "99", "c": "10"}, disqualified=["dq"])
    assert [(r.subject_id, r.rank) for r in board.results] == [
        ("a", 1),
        ("b", 1),
        ("z", 3),
        ("c", 4),
        ("dq", None),
    ]


def test_disqualified_keeps_scores_but_no_rank_or_prize() -> None:
    tiers = TierPolicy(method="count", counts=(1, 1, 1))
    board = board_of_finals({"dq": "99", "a": "90", "b": "80", "c": "70"}, tiers=tiers, disqualified=["dq"])
    results = by_id(board)
    assert (results["dq"].rank, results["dq"].tier, results["dq"].final_score) == (None, None, D(99))
    assert results["dq"].disqualified
    assert [(results[s].rank, results[s].tier) for s in "abc"] == [(1, 1), (2, 2), (3, 3)]


def test_disqualified_do_not_count_towards_percentages() -> None:
    finals = {f"s{i:02d}": str(100 - i) for i in range(11)}
    board = board_of_finals(finals, tiers=TierPolicy(), disqualified=["s10"])
    assert board.tier_counts == (1, 2, 3)  # 10 ranked, not 11


@pytest.mark.parametrize(
    ("finals", "top", "ties"),
    [
        ({"a": "90", "b": "80", "c": "80", "d": "70"}, 3, [(2, ("b", "c"))]),
        ({"a": "90", "b": "90", "c": "80", "d": "80"}, 3, [(1, ("a", "b")), (3, ("c", "d"))]),
        ({"a": "90", "b": "80", "c": "70", "d": "70"}, 3, [(3, ("c", "d"))]),
        ({"a": "90", "b": "80", "c": "70", "d": "60", "e": "60"}, 3, []),
        ({"a": "90", "b": "80", "c": "80"}, 0, []),  # not requested
        ({"a": "90", "b": "80", "c": "80"}, 1, []),
    ],
)
def test_unresolved_ties_in_the_top(
    finals: dict[str, str], top: int, ties: list[tuple[int, tuple[str, ...]]]
) -> None:
    board = board_of_finals(finals, top=top)
    assert [(t.rank, t.subject_ids) for t in board.unresolved_ties] == ties
    assert by_id(board)["b"].rank == (1 if finals["b"] == finals["a"] else 2)  # still a shared rank


# ---------------------------------------------------------------------------------------------- prizes


@pytest.mark.parametrize(
    ("policy", "ranked", "counts"),
    [
        (TierPolicy(), 15, (1, 3, 4)),
        (TierPolicy(), 10, (1, 2, 3)),
        (TierPolicy(), 9, (0, 1, 2)),
        (TierPolicy(), 0, (0, 0, 0)),
        (TierPolicy(percents=(D("12.5"), D(25))), 16, (2, 4)),
        (TierPolicy(method="count", counts=(1, 2, 3)), 2, (1, 2, 3)),
    ],
)
def test_tier_counts(policy: TierPolicy, ranked: int, counts: tuple[int, ...]) -> None:
    assert tier_counts(policy, ranked) == counts


@pytest.mark.parametrize(
    ("finals", "counts", "expected"),
    [
        # distinct scores fill 1, 2, 3 in rank order
        ("90 80 70 60 50 40 30", (1, 2, 3), [1, 2, 2, 3, 3, 3, None]),
        # a tie straddling the first-prize boundary drops, whole, to second prize
        ("90 80 80 70 60", (2, 2, 2), [1, 2, 2, 3, 3]),
        # the tied pair takes both second-prize places, so the next subject is third
        ("90 80 80 70 60 50", (1, 2, 2), [1, 2, 2, 3, 3, None]),
        # a tie too large for any remaining tier: nobody from there on gets a prize
        ("90 80 80 80 70", (1, 2, 2), [1, None, None, None, None]),
        # a tie at the very top larger than first prize goes to second prize
        ("90 90 90 80", (2, 3, 3), [2, 2, 2, 3]),
        # zero first prizes: best goes to second
        ("90 80 70", (0, 1, 1), [2, 3, None]),
    ],
)
def test_tiers_by_count_with_ties_at_boundaries(
    finals: str, counts: tuple[int, ...], expected: list[int | None]
) -> None:
    scores = {f"s{i}": v for i, v in enumerate(finals.split())}
    board = board_of_finals(scores, tiers=TierPolicy(method="count", counts=counts))
    tiers = [by_id(board)[s].tier for s in scores]
    assert tiers == expected
    for tier, count in enumerate(counts, start=1):
        assert tiers.count(tier) <= count


def test_tiers_by_percentage() -> None:
    scores = {f"s{i:02d}": str(100 - i) for i in range(15)}  # 15 ranked: 1, 3, 4 prizes
    tiers = [r.tier for r in board_of_finals(scores, tiers=TierPolicy()).results]
    assert tiers == [1, 2, 2, 2, 3, 3, 3, 3] + [None] * 7


def test_min_score_withholds_prizes_below_it() -> None:
    scores = {"a": "95", "b": "85", "c": "60", "d": "59.99", "e": "40"}
    policy = TierPolicy(method="count", counts=(1, 1, 3), min_score=D(60))
    tiers = {r.subject_id: r.tier for r in board_of_finals(scores, tiers=policy).results}
    assert tiers == {"a": 1, "b": 2, "c": 3, "d": None, "e": None}


def test_no_tier_policy_gives_no_prizes() -> None:
    board = board_of_finals({"a": "90", "b": "80"}, tiers=None)
    assert [r.tier for r in board.results] == [None, None]
    assert board.tier_counts == ()


# ----------------------------------------------------------------------------------- rubric validation


def valid_rules() -> CompetitionRules:
    practical = Stage(
        id="practical",
        name="实操",
        full_marks=D(70),
        weight_percent=D(70),
        modules=(
            Module(
                id="m1", aspects=(aspect("a1", max_mark="20", step="0.5"), aspect("a2", "pass_fail", "10"))
            ),
            Module(
                id="m2",
                aspects=(
                    aspect("a3", "judgement", "20", factor="2", method="trimmed_mean", trim=1),
                    aspect("a4", "deduction", "5", step="1"),
                ),
            ),
        ),
    )
    theory = Stage(id="theory", name="理论", kind="imported", full_marks=D(100), weight_percent=D(30))
    return CompetitionRules(
        stages=(theory, practical),
        tie_breaks=(TieBreak(kind="stage", ref="practical"), TieBreak(kind="time_used")),
    )


def with_aspect(rules: CompetitionRules, index: int, **changes: object) -> CompetitionRules:
    """Replace one aspect of the practical stage (aspects counted across its modules)."""
    practical = rules.stages[1]
    modules = []
    seen = 0
    for module in practical.modules:
        aspects = list(module.aspects)
        for k in range(len(aspects)):
            if seen == index:
                aspects[k] = msgspec.structs.replace(aspects[k], **changes)
            seen += 1
        modules.append(msgspec.structs.replace(module, aspects=tuple(aspects)))
    stage = msgspec.structs.replace(practical, modules=tuple(modules))
    return msgspec.structs.replace(rules, stages=(rules.stages[0], stage))


def replace_stage(rules: CompetitionRules, index: int, **changes: object) -> CompetitionRules:
    stages = list(rules.stages)
    stages[index] = msgspec.structs.replace(stages[index], **changes)
    return msgspec.structs.replace(rules, stages=tuple(stages))


def test_valid_rules_have_no_problems() -> None:
    assert validate_rules(valid_rules()) == []


P = "stages[1].modules"


@pytest.mark.parametrize(
    ("mutate", "code", "path"),
    [
        (lambda r: with_aspect(r, 0, max_mark=D(25)), "full_marks_mismatch", "stages[1].full_marks"),
        (lambda r: with_aspect(r, 2, factor=D(1)), "full_marks_mismatch", "stages[1].full_marks"),
        (lambda r: with_aspect(r, 0, step=D("0.3")), "step_does_not_divide_max", f"{P}[0].aspects[0].step"),
        (lambda r: with_aspect(r, 0, step=D(0)), "step_not_positive", f"{P}[0].aspects[0].step"),
        (lambda r: with_aspect(r, 1, step=D(1)), "step_not_applicable", f"{P}[0].aspects[1].step"),
        (lambda r: with_aspect(r, 0, max_mark=D(0)), "max_mark_not_positive", f"{P}[0].aspects[0].max_mark"),
        (
            lambda r: with_aspect(r, 0, max_mark=D("NaN")),
            "max_mark_not_positive",
            f"{P}[0].aspects[0].max_mark",
        ),
        (lambda r: with_aspect(r, 0, factor=D(-1)), "factor_not_positive", f"{P}[0].aspects[0].factor"),
        (lambda r: with_aspect(r, 1, id="a1"), "duplicate_id", f"{P}[0].aspects[1].id"),
        (
            lambda r: with_aspect(r, 1, combine=Combination(method="median", trim=1)),
            "trim_not_applicable",
            f"{P}[0].aspects[1].combine.trim",
        ),
        (
            lambda r: with_aspect(r, 2, combine=Combination(method="trimmed_mean", trim=-1)),
            "trim_negative",
            f"{P}[1].aspects[0].combine.trim",
        ),
        (lambda r: replace_stage(r, 0, weight_percent=D(20)), "weights_not_100", "stages"),
        (lambda r: replace_stage(r, 0, id="practical"), "duplicate_id", "stages[1].id"),
        (lambda r: replace_stage(r, 0, full_marks=D(0)), "full_marks_not_positive", "stages[0].full_marks"),
        (
            lambda r: replace_stage(r, 0, modules=(Module(id="x"),)),
            "imported_stage_has_modules",
            "stages[0].modules",
        ),
        (lambda r: replace_stage(r, 1, modules=()), "empty_rubric", "stages[1].modules"),
        (lambda r: msgspec.structs.replace(r, stages=()), "no_stages", "stages"),
        (
            lambda r: msgspec.structs.replace(r, tie_breaks=(TieBreak(kind="module", ref="nope"),)),
            "unknown_tie_break_ref",
            "tie_breaks[0].ref",
        ),
        (
            lambda r: msgspec.structs.replace(r, rounding=RoundingPolicy(final=RoundingStep(decimals=-1))),
            "rounding_decimals_negative",
            "rounding.final.decimals",
        ),
        (
            lambda r: msgspec.structs.replace(
                r, rounding=RoundingPolicy(stage_total=RoundingStep(decimals=80))
            ),
            "rounding_decimals_too_many",
            "rounding.stage_total.decimals",
        ),
        (
            lambda r: msgspec.structs.replace(r, tiers=TierPolicy(percents=(D(50), D(30), D(30)))),
            "tier_percents_invalid",
            "tiers.percents",
        ),
        (
            lambda r: msgspec.structs.replace(r, tiers=TierPolicy(method="count", counts=(1, -1))),
            "tier_count_negative",
            "tiers.counts",
        ),
        (
            lambda r: msgspec.structs.replace(r, tiers=TierPolicy(min_score=D(101))),
            "min_score_out_of_range",
            "tiers.min_score",
        ),
        (
            lambda r: msgspec.structs.replace(r, no_ties_in_top=-1),
            "no_ties_in_top_negative",
            "no_ties_in_top",
        ),
    ],
)
def test_rubric_problems(mutate, code: str, path: str) -> None:  # type: ignore[no-untyped-def]
    problems = validate_rules(mutate(valid_rules()))
    assert (code, path) in [(p.code, p.path) for p in problems]
    assert all(p.message for p in problems)


def test_full_marks_message_names_both_sums() -> None:
    [problem] = validate_rules(with_aspect(valid_rules(), 0, max_mark=D(25)))
    assert "75" in problem.message and "70" in problem.message and "实操" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    rules = with_aspect(with_aspect(valid_rules(), 0, factor=D(0)), 1, step=D(1))
    rules = replace_stage(rules, 0, weight_percent=D(10))
    assert {p.code for p in validate_rules(rules)} == {
        "factor_not_positive",
        "step_not_applicable",
        "weights_not_100",
    }


def test_rules_decode_from_json_and_literals_are_enforced() -> None:
    rules = valid_rules()
    assert msgspec.json.decode(msgspec.json.encode(rules), type=CompetitionRules) == rules
    bad = msgspec.json.encode(rules).replace(b'"pass_fail"', b'"vibes"')
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(bad, type=CompetitionRules)


# ------------------------------------------------------------------------------------ panel validation

PANEL = {"a1": 1, "a2": 1, "a3": 5, "a4": 2}


@pytest.mark.parametrize(
    ("changes", "code", "path"),
    [
        ({"a3": 2}, "too_few_judges", f"{P}[1].aspects[0]"),
        ({"a3": 2}, "trim_drops_all", f"{P}[1].aspects[0].combine.trim"),
        ({"a1": 0}, "no_judges", f"{P}[0].aspects[0]"),
        ({"ghost": 3}, "unknown_aspect", "panel"),
    ],
)
def test_panel_problems(changes: dict[str, int], code: str, path: str) -> None:
    assert validate_panel(valid_rules(), PANEL) == []
    problems = validate_panel(valid_rules(), {**PANEL, **changes})
    assert (code, path) in [(p.code, p.path) for p in problems]


def test_panel_of_three_judges_cannot_trim_two_each() -> None:
    rules = with_aspect(valid_rules(), 2, combine=Combination(method="trimmed_mean", trim=2))
    assert [p.code for p in validate_panel(rules, {**PANEL, "a3": 4})] == ["trim_drops_all"]
    assert validate_panel(rules, {**PANEL, "a3": 5}) == []


def test_trimmed_sum_full_marks_are_checked_with_the_panel() -> None:
    # the middle 3 of 5 marks out of 10 are added: the aspect is worth 30, x factor 2 = 60
    dive = aspect("dive", max_mark="10", step="0.5", factor="2", method="trimmed_sum", trim=1)
    rules = one_stage(dive, full_marks="60")
    assert validate_rules(rules) == []  # cannot be known without the panel
    assert validate_panel(rules, {"dive": 5}) == []
    assert [p.code for p in validate_panel(rules, {"dive": 7})] == ["full_marks_mismatch"]


# ------------------------------------------------------------------------------------- mark validation


@pytest.mark.parametrize(
    ("rubric", "value", "code"),
    [
        (aspect(step="0.5"), "7.5", None),
        (aspect(step="0.5"), "0", None),
        (aspect(step="0.5"), "10", None),
        (aspect(step="0.5"), "7.25", "mark_off_step"),
        (aspect(step="0.5"), "10.5", "mark_out_of_range"),
        (aspect(step="0.5"), "-0.5", "mark_out_of_range"),
        (aspect(), "3.142", None),  # no step: any value in range, in the stored 3 decimals
        (aspect(), "3.14159", "mark_too_precise"),
        (aspect(), "NaN", "mark_not_finite"),
        (aspect(), "Infinity", "mark_not_finite"),
        (aspect(kind="judgement", max_mark="2"), "3", None),
        (aspect(kind="judgement", max_mark="2"), "2.0", None),
        (aspect(kind="judgement", max_mark="2"), "1.5", "judgement_mark_invalid"),
        (aspect(kind="judgement", max_mark="2"), "4", "judgement_mark_invalid"),
        (aspect(kind="pass_fail", max_mark="2"), "2", None),
        (aspect(kind="pass_fail", max_mark="2"), "0", None),
        (aspect(kind="pass_fail", max_mark="2"), "1", "pass_fail_mark_invalid"),
        (aspect(kind="deduction", max_mark="5", step="1"), "3", None),
        (aspect(kind="deduction", max_mark="5", step="1"), "6", "mark_out_of_range"),
        (aspect(kind="deduction", max_mark="5", step="1"), "0.5", "mark_off_step"),
    ],
)
def test_validate_mark(rubric: Aspect, value: str, code: str | None) -> None:
    problem = validate_mark(rubric, D(value))
    if code is None:
        assert problem is None
    else:
        assert problem is not None
        assert (problem.code, problem.aspect_id) == (code, rubric.id)
        assert rubric.id in problem.message


@pytest.mark.parametrize(
    ("value", "ok"), [("0", True), ("100", True), ("88.5", True), ("100.5", False), ("-1", False)]
)
def test_validate_imported_mark(value: str, ok: bool) -> None:
    theory = valid_rules().stages[0]
    assert (validate_imported_mark(theory, D(value)) is None) is ok
    assert validate_imported_mark(valid_rules().stages[1], D(1)) is not None  # not an imported stage


# -------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("marks", "subjects", "message"),
    [
        ([*marks_for("s", "a", 1), *marks_for("s", "a", 2)], ["s"], "two marks from judge"),
        (marks_for("s", "nope", 1), ["s"], "unknown aspect"),
        (marks_for("ghost", "a", 1), ["s"], "unknown subject"),
        ([], ["s", "s"], "listed twice"),
    ],
)
def test_inconsistent_inputs_are_refused(marks: list[Mark], subjects: list[str], message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        aggregate(one_stage(aspect()), [SubjectInput(subject_id=s) for s in subjects], marks)


def test_imported_mark_for_a_rubric_stage_is_refused() -> None:
    with pytest.raises(ScoringError, match="not imported"):
        aggregate(one_stage(aspect()), [SubjectInput(subject_id="s", imported={"practical": D(1)})], [])


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(ScoringError, match="weights_not_100"):
        aggregate(replace_stage(valid_rules(), 0, weight_percent=D(1)), [], [])
    with pytest.raises(ScoringError):
        rank(replace_stage(valid_rules(), 0, weight_percent=D(1)), [])


# ------------------------------------------------------------------------------------------ publishing


def test_leaderboard_is_an_open_json_document() -> None:
    board = board_of_finals({"a": "90.5", "b": "80"}, tiers=TierPolicy(method="count", counts=(1, 1, 0)))
    document = msgspec.json.decode(msgspec.json.encode(board))
    first = document["results"][0]
    # No final rounding declared: the final is the published figure, two decimals.
    assert (first["subject_id"], first["final_score"], first["rank"], first["tier"]) == ("a", "90.50", 1, 1)
    assert msgspec.json.decode(msgspec.json.encode(board), type=Leaderboard) == board
