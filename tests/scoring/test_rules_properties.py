"""Properties of the scoring engine over generated competitions (hypothesis).

Each example is a small competition: an optional imported theory stage and a practical stage with a
measurement, a judgement and a deduction aspect whose combination rules, rounding points and modes,
tie-breaks and prize tiers are all drawn, marked by up to five judges with some absent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import (
    Aspect,
    Combination,
    CompetitionRules,
    Leaderboard,
    Mark,
    Module,
    RoundingPolicy,
    RoundingStep,
    Stage,
    SubjectInput,
    SubjectResult,
    TieBreak,
    TierPolicy,
    aggregate,
    leaderboard,
    validate_rules,
)

D = Decimal
JUDGES = ("j1", "j2", "j3", "j4", "j5")
FAST = settings(max_examples=60, deadline=None, database=None)


@dataclass(frozen=True)
class Case:
    rules: CompetitionRules
    subjects: list[SubjectInput]
    marks: list[Mark]


combinations = st.one_of(
    st.just(Combination(method="mean")),
    st.just(Combination(method="median")),
    st.builds(Combination, method=st.sampled_from(["trimmed_mean", "trimmed_sum"]), trim=st.integers(0, 1)),
)
rounding_steps = st.none() | st.builds(
    RoundingStep, decimals=st.integers(0, 2), mode=st.sampled_from(["half_up", "half_even", "down"])
)
tie_break_options = [
    TieBreak(kind="stage", ref="practical"),
    TieBreak(kind="time_used"),
    TieBreak(kind="module", ref="m1"),
]


def practical_stage(measure: Combination, judge: Combination, weight: int) -> Stage:
    # a trimmed sum over the 1..5 marks present has no fixed maximum; declare the stage by its aspects
    aspects = (
        Aspect(
            id="measure", kind="measurement", max_mark=D(5), step=D("0.5"), factor=D("1.5"), combine=measure
        ),
        Aspect(id="judge", kind="judgement", max_mark=D(4), combine=judge),
        Aspect(id="safety", kind="deduction", max_mark=D(2), step=D("0.5")),
    )
    return Stage(
        id="practical",
        full_marks=D("11.5"),  # 5 x 1.5 + 4
        weight_percent=D(weight),
        modules=(Module(id="m1", aspects=aspects[:2]), Module(id="m2", aspects=aspects[2:])),
    )


@st.composite
def competition_rules(draw: st.DrawFn) -> CompetitionRules:
    with_theory = draw(st.booleans())
    weight = draw(st.integers(1, 99)) if with_theory else 100
    stages = [practical_stage(draw(combinations), draw(combinations), weight)]
    if with_theory:
        stages.insert(
            0, Stage(id="theory", kind="imported", full_marks=D(100), weight_percent=D(100 - weight))
        )
    policy = RoundingPolicy(
        panel_mark=draw(rounding_steps),
        factored_aspect=draw(rounding_steps),
        stage_total=draw(rounding_steps),
        final=draw(rounding_steps),
    )
    tie_breaks = draw(
        st.permutations(tie_break_options).flatmap(lambda p: st.integers(0, 3).map(lambda k: p[:k]))
    )
    tiers = draw(
        st.none()
        | st.builds(TierPolicy, method=st.just("count"), counts=st.tuples(*[st.integers(0, 4)] * 3))
        | st.builds(TierPolicy, min_score=st.none() | st.integers(0, 100).map(D))
    )
    rules = CompetitionRules(stages=tuple(stages), rounding=policy, tie_breaks=tuple(tie_breaks), tiers=tiers)
    assert validate_rules(rules) == []
    return rules


VALUES = {
    "measure": [D(n) / 2 for n in range(11)],
    "judge": [D(n) for n in range(4)],
    "safety": [D(n) / 2 for n in range(5)],
}


@st.composite
def cases(draw: st.DrawFn, max_subjects: int = 8) -> Case:
    rules = draw(competition_rules())
    count = draw(st.integers(1, max_subjects))
    subjects, marks = [], []
    for i in range(count):
        subject_id = f"s{i}"
        imported = {"theory": D(draw(st.integers(0, 200))) / 2} if rules.stages[0].id == "theory" else {}
        time_used = draw(st.none() | st.integers(60, 65).map(D))
        disqualified = draw(st.integers(0, 9)) == 0
        subjects.append(
            SubjectInput(
                subject_id=subject_id, imported=imported, time_used=time_used, disqualified=disqualified
            )
        )
        for aspect_id, values in VALUES.items():
            present = draw(st.sets(st.sampled_from(JUDGES), min_size=1))
            for judge in sorted(present):
                value = draw(st.sampled_from(values))
                marks.append(Mark(subject_id=subject_id, aspect_id=aspect_id, judge_id=judge, value=value))
    return Case(rules=rules, subjects=subjects, marks=marks)


def board(case: Case) -> Leaderboard:
    return leaderboard(case.rules, case.subjects, case.marks)


# ---------------------------------------------------------------------------------------------------- order


@FAST
@given(case=cases(), data=st.data())
def test_order_of_judges_never_changes_a_result(case: Case, data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(case.marks))
    relabel = dict(zip(JUDGES, data.draw(st.permutations(JUDGES)), strict=True))
    relabelled = [msgspec.structs.replace(m, judge_id=relabel[m.judge_id]) for m in shuffled]
    expected = msgspec.json.encode(board(case))
    assert msgspec.json.encode(leaderboard(case.rules, case.subjects, relabelled)) == expected
    reordered = list(reversed(case.subjects))
    assert msgspec.json.encode(leaderboard(case.rules, reordered, case.marks)) == expected


# ---------------------------------------------------------------------------------------------------- ranks


def check_standard_ranks(results: list[SubjectResult]) -> None:
    """Ranks are 1..n in the pattern 1, 2, 2, 4: a rank is either the previous one or the position."""
    for position, result in enumerate(results, start=1):
        previous = results[position - 2] if position > 1 else None
        if previous is None:
            assert result.rank == 1
        elif result.rank == previous.rank:
            assert result.final_score == previous.final_score
        else:
            assert result.rank == position
            assert result.final_score <= previous.final_score


@FAST
@given(case=cases(max_subjects=12))
def test_every_ranked_subject_gets_exactly_one_standard_rank(case: Case) -> None:
    results = board(case).results
    assert sorted(r.subject_id for r in results) == sorted(s.subject_id for s in case.subjects)
    ranked = [r for r in results if not r.disqualified]
    assert all(r.rank is None and r.tier is None for r in results if r.disqualified)
    assert all(isinstance(r.rank, int) for r in ranked)
    assert list(results[: len(ranked)]) == ranked  # the disqualified come last
    check_standard_ranks(ranked)
    if not case.rules.tie_breaks:  # without tie-breaks, a shared rank means exactly an equal final score
        finals = {r.rank: r.final_score for r in ranked}
        assert len(finals) == len({r.final_score for r in ranked})


@FAST
@given(case=cases(max_subjects=12))
def test_tiers_never_exceed_their_counts_and_follow_rank(case: Case) -> None:
    result = board(case)
    ranked = [r for r in result.results if not r.disqualified]
    tiers = [r.tier for r in ranked]
    for tier, count in enumerate(result.tier_counts, start=1):
        assert tiers.count(tier) <= count
    worst = 0
    for r in ranked:  # a better rank never gets a worse prize, and after the first "none" come only "none"
        rank_tier = r.tier if r.tier is not None else math.inf
        assert rank_tier >= worst
        worst = rank_tier
    by_rank: dict[int | None, set[int | None]] = {}
    for r in ranked:
        by_rank.setdefault(r.rank, set()).add(r.tier)
    assert all(len(shared) == 1 for shared in by_rank.values())  # tied subjects share a tier
    policy = case.rules.tiers
    if policy is not None and policy.min_score is not None:
        assert all(r.final_score >= policy.min_score for r in ranked if r.tier is not None)


# ---------------------------------------------------------------------------------------------- monotonicity


@FAST
@given(case=cases(), data=st.data())
def test_gaining_marks_never_lowers_rank(case: Case, data: st.DataObject) -> None:
    raisable = [
        i for i, m in enumerate(case.marks) if m.aspect_id != "safety" and m.value < VALUES[m.aspect_id][-1]
    ]
    if not raisable:
        return
    index = data.draw(st.sampled_from(raisable))
    mark = case.marks[index]
    higher = data.draw(st.sampled_from([v for v in VALUES[mark.aspect_id] if v > mark.value]))
    gained = [*case.marks]
    gained[index] = msgspec.structs.replace(mark, value=higher)
    before = {r.subject_id: r for r in board(case).results}[mark.subject_id]
    after = {r.subject_id: r for r in leaderboard(case.rules, case.subjects, gained).results}[mark.subject_id]
    assert after.final_score >= before.final_score
    if before.rank is not None:
        assert after.rank is not None and after.rank <= before.rank


# ---------------------------------------------------------------------------------------------- exactness


def oracle_round(value: Fraction, step: RoundingStep | None) -> Fraction:
    """Rounding of a non-negative exact fraction, written independently of the engine."""
    if step is None:
        return value
    scaled = value * 10**step.decimals
    if step.mode == "half_up":
        digits = math.floor(scaled + Fraction(1, 2))
    elif step.mode == "half_even":
        digits = round(scaled)  # Python rounds a Fraction half to even
    else:
        digits = math.floor(scaled)
    return Fraction(digits, 10**step.decimals)


def oracle_aspect(aspect: Aspect, values: list[Fraction], rounding: RoundingPolicy) -> Fraction:
    values = sorted(values)
    method, trim = aspect.combine.method, aspect.combine.trim
    kept = values[trim : len(values) - trim] if method in ("trimmed_mean", "trimmed_sum") else values
    if not kept:
        return Fraction(0)
    if method == "median":
        middle = len(kept) // 2
        panel = kept[middle] if len(kept) % 2 else (kept[middle - 1] + kept[middle]) / 2
    elif method == "trimmed_sum":
        panel = sum(kept, Fraction(0))
    else:
        panel = sum(kept, Fraction(0)) / len(kept)
    if aspect.kind == "judgement":
        panel = panel / 3 * Fraction(aspect.max_mark)
    panel = oracle_round(panel, rounding.panel_mark)
    factored = oracle_round(panel * Fraction(aspect.factor), rounding.factored_aspect)
    return -factored if aspect.kind == "deduction" else factored


def oracle_final(case: Case, subject: SubjectInput) -> Fraction:
    rounding = case.rules.rounding
    final = Fraction(0)
    for stage in case.rules.stages:
        if stage.kind == "imported":
            total = Fraction(subject.imported.get(stage.id, D(0)))
        else:
            total = Fraction(0)
            for module in stage.modules:
                for aspect in module.aspects:
                    values = [
                        Fraction(m.value)
                        for m in case.marks
                        if m.subject_id == subject.subject_id and m.aspect_id == aspect.id
                    ]
                    total += oracle_aspect(aspect, values, rounding)
        total = oracle_round(max(total, Fraction(0)), rounding.stage_total)
        final += total / Fraction(stage.full_marks) * Fraction(stage.weight_percent)
    return oracle_round(final, rounding.final_step)  # declared, else the published two decimals half up


def walk_decimals(value: object) -> list[object]:
    """Every number in a result, to check none of them is a float."""
    if isinstance(value, msgspec.Struct):
        return [v for field in value.__struct_fields__ for v in walk_decimals(getattr(value, field))]
    if isinstance(value, dict):
        return [v for item in value.values() for v in walk_decimals(item)]
    return [value] if isinstance(value, (Decimal, float)) else []


@FAST
@given(case=cases())
def test_aggregation_is_exact(case: Case) -> None:
    results = aggregate(case.rules, case.subjects, case.marks)
    for subject, result in zip(case.subjects, results, strict=True):
        numbers = walk_decimals(result)
        assert numbers and all(type(n) is Decimal for n in numbers)
        exact = oracle_final(case, subject)
        assert result.final_score == Decimal(exact.numerator) / Decimal(exact.denominator)
