"""Signed ranges, the raw-sum final, the least number of marks (absent judges): unit and property tests."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import (
    PUBLISHED_ROUNDING,
    Aspect,
    Combination,
    CompetitionRules,
    Mark,
    Module,
    RoundingPolicy,
    RoundingStep,
    Stage,
    SubjectInput,
    aggregate,
    final_maximum,
    judges_needed,
    leaderboard,
    least_marks,
    round_decimal,
    validate_mark,
    validate_panel,
    validate_rules,
)

D = Decimal
FAST = settings(max_examples=80, deadline=None, database=None)
WIND = Aspect(id="wind", kind="measurement", min_mark=D(-20), max_mark=D(20), step=D("0.1"))


def codes(problems: list) -> set[str]:
    return {p.code for p in problems}


# ------------------------------------------------------------------------------------------ signed range


@pytest.mark.parametrize("value", ["-4.7", "6.3", "-20", "20", "0", "-0.1"])
def test_a_signed_range_takes_marks_on_step_either_side_of_zero(value: str) -> None:
    assert validate_mark(WIND, D(value)) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [("-20.1", "mark_out_of_range"), ("20.1", "mark_out_of_range"), ("-4.75", "mark_off_step")],
)
def test_a_signed_range_refuses_marks_outside_or_off_step(value: str, code: str) -> None:
    problem = validate_mark(WIND, D(value))
    assert problem is not None and problem.code == code
    assert "-20" in problem.message or code == "mark_off_step"


def test_not_a_number_is_refused_on_a_signed_range() -> None:
    for value in ("NaN", "-Infinity"):
        problem = validate_mark(WIND, D(value))
        assert problem is not None and problem.code == "mark_not_finite"


def test_without_a_minimum_a_negative_mark_is_refused_as_before() -> None:
    plain = Aspect(id="a", kind="measurement", max_mark=D(10), step=D("0.5"))
    assert plain.min_mark == 0
    problem = validate_mark(plain, D("-0.5"))
    assert problem is not None and problem.code == "mark_out_of_range" and "0到10" in problem.message


def stage_with(*aspects: Aspect, full: str = "40") -> CompetitionRules:
    module = Module(id="m", aspects=aspects)
    return CompetitionRules(
        stages=(Stage(id="s", full_marks=D(full), weight_percent=D(100), modules=(module,)),)
    )


@pytest.mark.parametrize(
    ("aspect", "code"),
    [
        (Aspect(id="d", kind="deduction", min_mark=D(-5), max_mark=D(10)), "min_mark_invalid"),
        (Aspect(id="j", kind="judgement", min_mark=D(-1), max_mark=D(20)), "min_mark_invalid"),
        (Aspect(id="w", kind="measurement", min_mark=D(20), max_mark=D(20)), "min_mark_invalid"),
        (
            Aspect(id="w", kind="measurement", min_mark=D("-4.25"), max_mark=D(20), step=D("0.5")),
            "step_does_not_divide_min",
        ),
    ],
)
def test_a_minimum_is_checked_with_the_rules(aspect: Aspect, code: str) -> None:
    rules = stage_with(aspect, Aspect(id="x", kind="measurement", max_mark=D(20)))
    assert code in codes(validate_rules(rules))


def test_stored_rubrics_without_the_new_fields_decode_as_before() -> None:
    stored = (
        b'{"stages":[{"id":"1","full_marks":"10","weight_percent":"100","modules":[{"id":"m","aspects":'
        b'[{"id":"a","kind":"measurement","max_mark":"10","step":"0.5"}]}]}]}'
    )
    rules = msgspec.json.decode(stored, type=CompetitionRules)
    aspect = rules.stages[0].modules[0].aspects[0]
    assert (aspect.min_mark, aspect.min_marks, rules.final) == (0, None, "weighted")
    with pytest.raises(msgspec.ValidationError):  # still strict: an unknown field is refused
        msgspec.json.decode(stored.replace(b'"step"', b'"minimum":"1","step"'), type=CompetitionRules)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(stored.replace(b'"stages"', b'"final":"average","stages"'), type=CompetitionRules)


# ------------------------------------------------------------------------------------------------ raw sum


def two_stages(final: str, weights: tuple[str, str] = ("30", "70")) -> CompetitionRules:
    exam = Stage(id="exam", full_marks=D(150), weight_percent=D(weights[0]), kind="imported")
    practical = stage_with(Aspect(id="a", kind="measurement", max_mark=D(40), step=D("0.5"))).stages[0]
    practical = msgspec.structs.replace(practical, weight_percent=D(weights[1]))
    return CompetitionRules(
        stages=(exam, practical), final=final, rounding=RoundingPolicy(final=RoundingStep(decimals=2))
    )


def test_the_raw_sum_adds_stage_scores_and_ignores_weights() -> None:
    rules = two_stages("raw_sum", ("0", "0"))
    assert validate_rules(rules) == [] and final_maximum(rules) == 190
    subject = SubjectInput(subject_id="x", imported={"exam": D("120.5")})
    (result,) = aggregate(
        rules, [subject], [Mark(subject_id="x", aspect_id="a", judge_id="j", value=D("33.5"))]
    )
    assert result.final_score == D("154.0") and result.stage_scores == {"exam": D("120.5"), "s": D("33.5")}


def test_weighted_rules_still_need_weights_summing_to_100() -> None:
    assert "weights_not_100" in codes(validate_rules(two_stages("weighted", ("0", "0"))))
    subject = SubjectInput(subject_id="x", imported={"exam": D(150)})
    mark = Mark(subject_id="x", aspect_id="a", judge_id="j", value=D(20))
    (result,) = aggregate(two_stages("weighted"), [subject], [mark])
    assert result.final_score == D("65.00")  # 150/150 x 30 + 20/40 x 70


def test_a_prize_floor_is_checked_against_what_the_final_is_out_of() -> None:
    rules = two_stages("raw_sum", ("0", "0"))
    assert (
        validate_rules(
            msgspec.structs.replace(rules, tiers=msgspec.structs.replace(rules.tiers, min_score=D(180)))
        )
        == []
    )
    over = msgspec.structs.replace(rules, tiers=msgspec.structs.replace(rules.tiers, min_score=D(191)))
    assert "min_score_out_of_range" in codes(validate_rules(over))


# -------------------------------------------------------------------------------- least marks, absences


def panel_rules(combine: Combination, min_marks: int | None = None) -> CompetitionRules:
    aspect = Aspect(id="a", kind="measurement", max_mark=D(10), combine=combine, min_marks=min_marks)
    return stage_with(aspect, full="10")


def test_least_marks_default_to_what_the_combination_needs() -> None:
    trimmed = panel_rules(Combination(method="trimmed_mean", trim=2)).stages[0].modules[0].aspects[0]
    assert least_marks(trimmed) == 5 and judges_needed(trimmed) == 5
    judgement = Aspect(id="j", kind="judgement", max_mark=D(10))
    assert least_marks(judgement) == 1 and judges_needed(judgement) == 3


def test_declared_least_marks_below_the_combinations_need_are_refused() -> None:
    rules = panel_rules(Combination(method="trimmed_mean", trim=1), min_marks=2)
    assert "min_marks_too_few" in codes(validate_rules(rules))


def test_a_panel_short_of_the_declared_least_marks_is_a_problem() -> None:
    rules = panel_rules(Combination(method="mean"), min_marks=5)
    assert validate_rules(rules) == []
    assert "too_few_for_min_marks" in codes(validate_panel(rules, {"a": 4}))
    assert validate_panel(rules, {"a": 5}) == []


def test_an_aspect_short_of_marks_is_never_computed() -> None:
    rules = panel_rules(Combination(method="trimmed_mean", trim=1))
    marks = [Mark(subject_id="x", aspect_id="a", judge_id=j, value=D(v)) for j, v in (("1", "9"), ("2", "3"))]
    # Two judges present of three expected (one absent, so not expected): a trimmed mean needs three.
    (result,) = aggregate(rules, [SubjectInput(subject_id="x")], marks, expected={("x", "a"): ("1", "2")})
    score = result.aspect_scores["a"]
    assert (score.panel_mark, score.score, score.complete, result.complete) == (None, 0, False, False)


@FAST
@given(
    st.lists(st.integers(-200, 200), min_size=0, max_size=7),
    st.integers(0, 2),
    st.sampled_from(["mean", "median", "trimmed_mean"]),
    st.one_of(st.none(), st.integers(1, 7)),
)
def test_fewer_marks_than_needed_are_never_combined_and_enough_are(
    tenths: list[int], trim: int, method: str, declared: int | None
) -> None:
    combine = Combination(method=method, trim=trim if method == "trimmed_mean" else 0)
    aspect = Aspect(
        id="a",
        kind="measurement",
        min_mark=D(-20),
        max_mark=D(20),
        step=D("0.1"),
        combine=combine,
        min_marks=declared,
    )
    module = Module(id="m", aspects=(aspect,))
    rules = CompetitionRules(stages=(Stage(id="s", full_marks=D(20), modules=(module,)),), final="raw_sum")
    default_need = least_marks(msgspec.structs.replace(aspect, min_marks=None))
    if declared is not None and declared < default_need:
        assert "min_marks_too_few" in codes(validate_rules(rules))
        return
    assert validate_rules(rules) == []
    need = least_marks(aspect)
    values = [D(t) / 10 for t in tenths]
    marks = [Mark(subject_id="x", aspect_id="a", judge_id=str(i), value=v) for i, v in enumerate(values)]
    (result,) = aggregate(rules, [SubjectInput(subject_id="x")], marks)
    score = result.aspect_scores["a"]
    if len(values) < need:
        assert score.panel_mark is None and not score.complete and result.final_score == 0
        return
    assert score.complete and score.panel_mark is not None
    assert min(values) <= score.panel_mark <= max(values)  # a combination of signed marks stays in range
    # A stage is never below zero, even when its marks are negative; the raw sum is the stage score, as
    # published (no final rounding declared: two decimals half up).
    assert result.stage_scores["s"] == max(score.panel_mark, D(0))
    assert result.final_score == round_decimal(result.stage_scores["s"], PUBLISHED_ROUNDING)


@FAST
@given(
    st.lists(st.integers(-300, 300), min_size=1, max_size=6),
    st.integers(0, 40),
    st.sampled_from(["0.1", "0.5", "1"]),
)
def test_a_signed_mark_is_valid_exactly_when_in_range_and_on_step(
    tenths: list[int], k: int, step: str
) -> None:
    step_d = D(step)
    minimum = -step_d * k
    aspect = Aspect(id="a", kind="measurement", min_mark=minimum, max_mark=D(20), step=step_d)
    assert validate_rules(stage_with(aspect, full="20")) == []
    for t in tenths:
        value = D(t) / 10
        valid = minimum <= value <= 20 and value % step_d == 0
        assert (validate_mark(aspect, value) is None) == valid


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 400)), min_size=1, max_size=8),
    st.sampled_from([("0", "0"), ("30", "70"), ("55", "45")]),
)
def test_the_raw_sum_is_the_sum_of_published_stage_scores_and_ranks_by_it(
    pairs: list[tuple[int, int]], weights: tuple[str, str]
) -> None:
    rules = two_stages("raw_sum", weights)
    subjects = [
        SubjectInput(subject_id=f"s{i}", imported={"exam": D(e) / 10}) for i, (e, _) in enumerate(pairs)
    ]
    marks = [
        Mark(subject_id=f"s{i}", aspect_id="a", judge_id="j", value=D(p) / 10)
        for i, (_, p) in enumerate(pairs)
    ]
    board = leaderboard(rules, subjects, marks)
    for result in board.results:
        assert result.final_score == sum(result.stage_scores.values(), D(0))
    finals = [r.final_score for r in board.results]
    assert finals == sorted(finals, reverse=True)
    for result in board.results:  # shared ranks: 1 + how many are strictly better
        assert result.rank == 1 + sum(1 for f in finals if f > result.final_score)
