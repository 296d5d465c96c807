"""Published scoring methods of real judged contests, reproduced to the hundredth.

Each example cites the rule document it follows and works the figures out by hand in a comment, so a
reader can check the arithmetic without running anything.
"""

from __future__ import annotations

from decimal import Decimal

from scoring.rules import (
    Aspect,
    Combination,
    CompetitionRules,
    Mark,
    Module,
    RoundingPolicy,
    RoundingStep,
    Stage,
    SubjectInput,
    SubjectResult,
    aggregate,
    validate_panel,
    validate_rules,
)

D = Decimal
TWO = RoundingStep(decimals=2, mode="half_up")


def one_stage(aspects: tuple[Aspect, ...], full_marks: str, rounding: RoundingPolicy) -> CompetitionRules:
    module = Module(id="m", aspects=aspects)
    stage = Stage(id="stage", full_marks=D(full_marks), weight_percent=D(100), modules=(module,))
    return CompetitionRules(stages=(stage,), rounding=rounding)


def score(rules: CompetitionRules, marks: dict[str, list[str]]) -> SubjectResult:
    entered = [
        Mark(subject_id="s", aspect_id=aspect_id, judge_id=f"judge{i}", value=D(value))
        for aspect_id, values in marks.items()
        for i, value in enumerate(values)
    ]
    return aggregate(rules, [SubjectInput(subject_id="s")], entered)[0]


# ---------------------------------------------------------------------------------- (a) diving: middle three


def dive(degree_of_difficulty: str, judges: int) -> CompetitionRules:
    """World Aquatics (FINA) Diving Rules, "Judging" / "Scoring": with 5 judges the highest and the lowest
    award are cancelled, with 7 judges the two highest and the two lowest; the remaining three awards
    (0-10 in half points) are added and the sum is multiplied by the dive's degree of difficulty."""
    trim = (judges - 3) // 2
    aspect = Aspect(
        id="dive",
        kind="measurement",
        max_mark=D(10),
        step=D("0.5"),
        factor=D(degree_of_difficulty),
        combine=Combination(method="trimmed_sum", trim=trim),
    )
    # full marks: 3 awards of at most 10, x the degree of difficulty
    full = D(10) * 3 * D(degree_of_difficulty)
    return one_stage((aspect,), str(full), RoundingPolicy(factored_aspect=TWO))


def test_diving_five_judges_drop_highest_and_lowest() -> None:
    # Awards 7.5, 8.0, 8.0, 8.5, 9.0: cancel 7.5 and 9.0; 8.0 + 8.0 + 8.5 = 24.5; x DD 3.0 = 73.50
    rules = dive("3.0", judges=5)
    assert validate_rules(rules) == []
    assert validate_panel(rules, {"dive": 5}) == []
    result = score(rules, {"dive": ["8.0", "9.0", "7.5", "8.5", "8.0"]})  # in the order the judges showed
    assert result.aspect_scores["dive"].panel_mark == D("24.5")
    assert str(result.aspect_scores["dive"].score) == "73.50"


def test_diving_seven_judges_drop_two_each_end() -> None:
    # Awards 6.5, 7.0, 7.0, 7.5, 7.5, 8.0, 8.0: cancel 6.5 and 7.0 (lowest two), 8.0 and 8.0 (highest two);
    # 7.0 + 7.5 + 7.5 = 22.0; x DD 2.8 = 61.60 (the inward 2 1/2 somersault pike worked example of
    # wikiHow's "How to Calculate Diving Scores", which follows these rules)
    rules = dive("2.8", judges=7)
    assert validate_panel(rules, {"dive": 7}) == []
    result = score(rules, {"dive": ["6.5", "7.0", "7.0", "7.5", "7.5", "8.0", "8.0"]})
    assert result.aspect_scores["dive"].panel_mark == D("22.0")
    assert str(result.aspect_scores["dive"].score) == "61.60"


# ------------------------------------------------------------------ (b) figure skating: program components

# ISU Special Regulations & Technical Rules, Single & Pair Skating and Ice Dance (2018), Rule 353 "Computation
# of results": for each Program Component the highest and the lowest of the judges' marks are deleted and the
# trimmed mean of the rest is rounded to two decimals; it is then multiplied by the component's factor and the
# factored result is rounded to two decimals again; the factored results are added into the Program Component
# Score. (The ISU calculation software rounded the trimmed mean before the rule said so; Skate Canada's
# proposal to the 2008 ISU Congress wrote the step into Rule 353.) Five components, nine judges marking
# 0.25-10 in quarter points, factor 0.80 (Ladies' Short Program).
#
# comp.  marks of the 9 judges                        middle 7   trimmed mean  rounded  x 0.80  rounded
# SS     7.50 7.75 7.75 7.75 8.00 8.00 8.00 8.00 8.00     55.25    7.892857...     7.89  6.3120     6.31
# TR     6.75 7.00 7.25 7.25 7.25 7.75 7.75 7.75 7.75     52.00    7.428571...     7.43  5.9440     5.94
# PE     6.25 6.25 6.25 6.50 6.75 6.75 7.00 7.00 7.25     46.50    6.642857...     6.64  5.3120     5.31
# CO     7.25 7.25 7.25 7.25 7.50 7.75 8.00 8.00 8.00     53.00    7.571428...     7.57  6.0560     6.06
# IN     6.00 6.25 6.50 6.50 6.50 6.75 7.00 7.00 7.00     46.50    6.642857...     6.64  5.3120     5.31
#                                                                                    ISU PCS = 28.93
# Rounding only at the end: (55.25 + 52.00 + 46.50 + 53.00 + 46.50) / 7 x 0.80 = 253.25 / 7 x 0.80
#                           = 28.942857...                                          -> 28.94
# Rounding the trimmed means only: (7.89 + 7.43 + 6.64 + 7.57 + 6.64) x 0.80 = 36.17 x 0.80 = 28.936 -> 28.94

SKATING_MARKS = {
    "SS": ["7.50", "7.75", "7.75", "7.75", "8.00", "8.00", "8.00", "8.00", "8.00"],
    "TR": ["6.75", "7.00", "7.25", "7.25", "7.25", "7.75", "7.75", "7.75", "7.75"],
    "PE": ["6.25", "6.25", "6.25", "6.50", "6.75", "6.75", "7.00", "7.00", "7.25"],
    "CO": ["7.25", "7.25", "7.25", "7.25", "7.50", "7.75", "8.00", "8.00", "8.00"],
    "IN": ["6.00", "6.25", "6.50", "6.50", "6.50", "6.75", "7.00", "7.00", "7.00"],
}


def program_components(rounding: RoundingPolicy) -> CompetitionRules:
    components = tuple(
        Aspect(
            id=component,
            kind="measurement",
            max_mark=D(10),
            step=D("0.25"),
            factor=D("0.80"),
            combine=Combination(method="trimmed_mean", trim=1),
        )
        for component in SKATING_MARKS
    )
    return one_stage(components, "40", rounding)  # 5 components x 10 x 0.80


def test_isu_program_component_score_rounds_twice_per_component() -> None:
    rules = program_components(RoundingPolicy(panel_mark=TWO, factored_aspect=TWO))
    assert validate_panel(rules, dict.fromkeys(SKATING_MARKS, 9)) == []
    result = score(rules, SKATING_MARKS)
    trimmed = {c: str(a.panel_mark) for c, a in result.aspect_scores.items()}
    factored = {c: str(a.score) for c, a in result.aspect_scores.items()}
    assert trimmed == {"SS": "7.89", "TR": "7.43", "PE": "6.64", "CO": "7.57", "IN": "6.64"}
    assert factored == {"SS": "6.31", "TR": "5.94", "PE": "5.31", "CO": "6.06", "IN": "5.31"}
    assert str(result.stage_scores["stage"]) == "28.93"


def test_order_of_rounding_changes_the_hundredth() -> None:
    isu = score(program_components(RoundingPolicy(panel_mark=TWO, factored_aspect=TWO)), SKATING_MARKS)
    at_the_end = score(program_components(RoundingPolicy(stage_total=TWO)), SKATING_MARKS)
    means_only = score(program_components(RoundingPolicy(panel_mark=TWO, stage_total=TWO)), SKATING_MARKS)
    assert str(isu.stage_scores["stage"]) == "28.93"
    assert str(at_the_end.stage_scores["stage"]) == "28.94"
    assert str(means_only.stage_scores["stage"]) == "28.94"
    unrounded = score(program_components(RoundingPolicy()), SKATING_MARKS)
    # exactly 253.25 x 0.80 / 7 = 1013/35 = 28.942857..., published to 28 significant digits
    assert unrounded.stage_scores["stage"] == D(1013) / D(35)


# ------------------------------------------------------------------------- (c) WorldSkills judgement marking

# WorldSkills Standards and Assessment Guide / Competition Information System (CIS): a judgement aspect is
# scored 0, 1, 2 or 3 by each of (at least) three judges; the CIS converts the judges' average score to
# marks in proportion to the aspect's maximum: mark = average / 3 x maximum mark.
#
# Scores 2, 3, 2 on an aspect worth 1.5 marks: average = 7/3 = 2.3333...; 2.3333... / 3 x 1.5 = 7/6
# = 1.16666...; shown to two decimals: 1.17.


def worldskills(rounding: RoundingPolicy) -> CompetitionRules:
    aspect = Aspect(id="finish", kind="judgement", max_mark=D("1.5"))
    return one_stage((aspect,), "1.5", rounding)


def test_worldskills_judgement_aspect() -> None:
    rules = worldskills(RoundingPolicy())
    assert validate_panel(rules, {"finish": 3}) == []
    assert [p.code for p in validate_panel(rules, {"finish": 2})] == ["too_few_judges"]
    result = score(rules, {"finish": ["2", "3", "2"]})
    assert result.aspect_scores["finish"].score == D(7) / D(6)
    rounded = score(worldskills(RoundingPolicy(panel_mark=TWO)), {"finish": ["2", "3", "2"]})
    assert str(rounded.aspect_scores["finish"].score) == "1.17"
