"""Validation: what is wrong with a set of rules, a judging panel, or one mark, as :class:`Problem` lists.

Problems are for people to fix (a Chinese message, a machine code and a path into the rules); the engine
itself refuses rules with problems (:func:`require_valid`) because aggregating them would be meaningless.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext

import msgspec

from scoring.rules.declared_checks import declared_problems, rounding_step_problem, tier_policy_problems
from scoring.rules.exact import PUBLISH
from scoring.rules.records import (
    TRIMMED,
    Aspect,
    CompetitionRules,
    Problem,
    RoundingPolicy,
    RoundingStep,
    ScoringError,
    Stage,
    aspects_with_paths,
    final_maximum,
    least_marks,
)
from scoring.rules.round_checks import round_problems

_SCORED_KINDS = frozenset({"measurement", "pass_fail", "judgement"})
_JUDGEMENT_MARKS = frozenset({Decimal(0), Decimal(1), Decimal(2), Decimal(3)})
_MIN_JUDGEMENT_JUDGES = 3
_KIND_NAMES: Mapping[str, str] = {
    "measurement": "测量",
    "pass_fail": "达标判定",
    "judgement": "评价",
    "deduction": "扣分",
}


def _positive(value: Decimal | None) -> bool:
    return value is not None and value.is_finite() and value > 0


def _label(stage: Stage) -> str:
    return stage.name or stage.id


def _check_ids(rules: CompetitionRules) -> list[Problem]:
    """Stage, module and aspect ids are each unique across the competition (marks name aspects only)."""
    problems: list[Problem] = []
    seen: dict[str, set[str]] = {"阶段": set(), "模块": set(), "评分项": set()}
    paths: list[tuple[str, str, str]] = []
    for i, stage in enumerate(rules.stages):
        paths.append(("阶段", stage.id, f"stages[{i}].id"))
        for j, module in enumerate(stage.modules):
            paths.append(("模块", module.id, f"stages[{i}].modules[{j}].id"))
    paths.extend(("评分项", aspect.id, f"{path}.id") for path, aspect in aspects_with_paths(rules))
    for what, ident, path in paths:
        if ident in seen[what]:
            problems.append(Problem(code="duplicate_id", message=f"{what}编号“{ident}”重复", path=path))
        seen[what].add(ident)
    return problems


def _check_aspect(aspect: Aspect, path: str) -> list[Problem]:
    problems: list[Problem] = []

    def problem(code: str, message: str, field: str) -> None:
        problems.append(Problem(code=code, message=message, path=f"{path}.{field}", aspect_id=aspect.id))

    name = f"评分项“{aspect.id}”"
    if not _positive(aspect.max_mark):
        problem("max_mark_not_positive", f"{name}的满分必须大于0", "max_mark")
    if not _positive(aspect.factor):
        problem("factor_not_positive", f"{name}的系数必须大于0", "factor")
    if aspect.step is not None:
        if aspect.kind in ("judgement", "pass_fail"):
            problem("step_not_applicable", f"{name}为{_KIND_NAMES[aspect.kind]}类，不设步长", "step")
        elif not _positive(aspect.step):
            problem("step_not_positive", f"{name}的步长必须大于0", "step")
        elif _positive(aspect.max_mark) and aspect.max_mark % aspect.step != 0:
            problem(
                "step_does_not_divide_max", f"{name}的步长{aspect.step}不能整除满分{aspect.max_mark}", "step"
            )
        elif aspect.min_mark.is_finite() and aspect.min_mark % aspect.step != 0:
            problem(
                "step_does_not_divide_min",
                f"{name}的步长{aspect.step}不能整除最低分{aspect.min_mark}",
                "step",
            )
    problems.extend(_min_problems(aspect, path))
    method, trim = aspect.combine.method, aspect.combine.trim
    if trim < 0:
        problem("trim_negative", f"{name}去掉的最高、最低分个数不能为负数", "combine.trim")
    elif trim > 0 and method not in TRIMMED:
        problem("trim_not_applicable", f"{name}的合成方式不去掉最高、最低分，去分个数应为0", "combine.trim")
    elif aspect.min_marks is not None and aspect.min_marks < least_marks(
        msgspec.structs.replace(aspect, min_marks=None)
    ):
        need = least_marks(msgspec.structs.replace(aspect, min_marks=None))
        problem("min_marks_too_few", f"{name}的合成方式至少需要{need}个有效评分", "min_marks")
    return problems


def _min_problems(aspect: Aspect, path: str) -> list[Problem]:
    """The least mark: finite, below the maximum; other than 0 only on a measurement (a signed range)."""
    name = f"评分项“{aspect.id}”"
    low = aspect.min_mark
    message = ""
    if not low.is_finite():
        message = f"{name}的最低分不是有效数字"
    elif low != 0 and aspect.kind != "measurement":
        message = f"{name}为{_KIND_NAMES[aspect.kind]}类，最低分只能为0（只有测量类可以设负分）"
    elif aspect.max_mark.is_finite() and low >= aspect.max_mark:
        message = f"{name}的最低分{low}应小于满分{aspect.max_mark}"
    if not message:
        return []
    return [Problem(code="min_mark_invalid", message=message, path=f"{path}.min_mark", aspect_id=aspect.id)]


def _stage_maximum(stage: Stage, judges_per_aspect: Mapping[str, int] | None) -> Decimal | None:
    """Sum of max x factor over scored aspects; None when a trimmed sum needs the unknown panel size."""
    total = Decimal(0)
    for module in stage.modules:
        for aspect in module.aspects:
            if aspect.kind not in _SCORED_KINDS:
                continue
            summed = 1
            if aspect.combine.method == "trimmed_sum":  # a trimmed sum adds up (judges - 2k) marks
                if judges_per_aspect is None:
                    return None
                summed = max(judges_per_aspect.get(aspect.id, 0) - 2 * aspect.combine.trim, 0)
            total += aspect.max_mark * aspect.factor * summed
    return total


def _full_marks_problem(
    stage: Stage, path: str, judges_per_aspect: Mapping[str, int] | None
) -> Problem | None:
    maximum = _stage_maximum(stage, judges_per_aspect)
    if maximum is None or maximum == stage.full_marks:
        return None
    return Problem(
        code="full_marks_mismatch",
        message=f"阶段“{_label(stage)}”各评分项满分乘以系数之和为{maximum}，与阶段满分{stage.full_marks}不一致",
        path=f"{path}.full_marks",
    )


def _check_stage(stage: Stage, path: str) -> list[Problem]:
    problems: list[Problem] = []
    label = _label(stage)
    if not _positive(stage.full_marks):
        problems.append(
            Problem(
                code="full_marks_not_positive",
                message=f"阶段“{label}”的满分必须大于0",
                path=f"{path}.full_marks",
            )
        )
    if not (stage.weight_percent.is_finite() and stage.weight_percent >= 0):
        problems.append(
            Problem(
                code="weight_negative",
                message=f"阶段“{label}”的权重不能为负数",
                path=f"{path}.weight_percent",
            )
        )
    if stage.kind == "imported":
        if stage.modules:
            problems.append(
                Problem(
                    code="imported_stage_has_modules",
                    message=f"阶段“{label}”使用导入成绩，不应设置评分模块",
                    path=f"{path}.modules",
                )
            )
        return problems
    if not any(module.aspects for module in stage.modules):
        problems.append(
            Problem(code="empty_rubric", message=f"阶段“{label}”至少需要一个评分项", path=f"{path}.modules")
        )
    for j, module in enumerate(stage.modules):
        for k, aspect in enumerate(module.aspects):
            problems.extend(_check_aspect(aspect, f"{path}.modules[{j}].aspects[{k}]"))
    if not problems:  # the sum is only meaningful once every maximum and factor is sound
        mismatch = _full_marks_problem(stage, path, None)
        problems.extend([mismatch] if mismatch else [])
    return problems


def _check_stages(rules: CompetitionRules) -> list[Problem]:
    if not rules.stages:
        return [Problem(code="no_stages", message="比赛至少需要一个阶段", path="stages")]
    problems: list[Problem] = []
    for i, stage in enumerate(rules.stages):
        problems.extend(_check_stage(stage, f"stages[{i}]"))
    weights = [stage.weight_percent for stage in rules.stages]
    if rules.final == "raw_sum":  # a raw sum ignores the weights: they need not add up to anything
        return problems
    if all(weight.is_finite() for weight in weights) and sum(weights, Decimal(0)) != 100:
        problems.append(
            Problem(
                code="weights_not_100",
                message=f"各阶段权重之和应为100，当前为{sum(weights, Decimal(0))}",
                path="stages",
            )
        )
    return problems


def _check_rounding(policy: RoundingPolicy) -> list[Problem]:
    problems: list[Problem] = []
    for point in ("panel_mark", "factored_aspect", "stage_total", "final"):
        step: RoundingStep | None = getattr(policy, point)
        problem = rounding_step_problem(step, f"rounding.{point}.decimals")
        problems.extend([problem] if problem else [])
    return problems


def _check_tie_breaks(rules: CompetitionRules) -> list[Problem]:
    known = {
        "stage": {stage.id for stage in rules.stages},
        "module": {module.id for stage in rules.stages for module in stage.modules},
    }
    problems: list[Problem] = []
    for i, rule in enumerate(rules.tie_breaks):
        if rule.kind in known and rule.ref not in known[rule.kind]:
            what = "阶段" if rule.kind == "stage" else "模块"
            problems.append(
                Problem(
                    code="unknown_tie_break_ref",
                    message=f"决胜规则引用的{what}“{rule.ref}”不存在",
                    path=f"tie_breaks[{i}].ref",
                )
            )
    return problems


def _check_tiers(rules: CompetitionRules) -> list[Problem]:
    problems: list[Problem] = []
    if rules.no_ties_in_top < 0:
        problems.append(
            Problem(
                code="no_ties_in_top_negative",
                message="不允许并列的名次范围不能为负数",
                path="no_ties_in_top",
            )
        )
    top = final_maximum(rules) if all(s.full_marks.is_finite() for s in rules.stages) else Decimal(100)
    return [*problems, *tier_policy_problems(rules.tiers, "tiers", top)]


def validate_rules(rules: CompetitionRules) -> list[Problem]:
    """Every problem with the rules themselves (independent of who judges); empty when they are usable.

    Checks: unique stage/module/aspect ids; positive full marks, maxima and factors; steps that divide the
    maximum; stage weights summing to 100; for each rubric stage, max x factor of its measurement, pass/fail
    and judgement aspects summing to the stage's full marks (deductions excluded; a stage with a trimmed
    sum is checked by :func:`validate_panel`, which knows how many marks it adds); rounding, tie-break
    references and tier settings; the declared teams, organisation award and promotion rule
    (:mod:`scoring.rules.declared_checks`). Literal fields (kinds, methods, modes) are enforced by msgspec
    when the rules are decoded (``msgspec.json.decode(data, type=CompetitionRules)``).
    """
    with localcontext(PUBLISH):
        return [
            *_check_ids(rules),
            *_check_stages(rules),
            *_check_rounding(rules.rounding),
            *_check_tie_breaks(rules),
            *_check_tiers(rules),
            *declared_problems(rules),
            *round_problems(rules),
        ]


def validate_panel(rules: CompetitionRules, judges_per_aspect: Mapping[str, int]) -> list[Problem]:
    """Every problem with a judging panel: ``judges_per_aspect`` maps an aspect id to the judges available.

    Pass the smallest panel any subject faces on that aspect once recusals are taken out. An aspect needs
    a judge; a judgement aspect needs at least 3; a trimmed rule must leave at least one mark (more than
    2k judges); a stage with a trimmed sum must reach its full marks with the marks actually added.
    """
    problems: list[Problem] = []
    known = {aspect.id for _, aspect in aspects_with_paths(rules)}
    for aspect_id in sorted(judges_per_aspect.keys() - known):
        problems.append(
            Problem(
                code="unknown_aspect",
                message=f"评分项“{aspect_id}”不在评分标准中",
                path="panel",
                aspect_id=aspect_id,
            )
        )
    for path, aspect in aspects_with_paths(rules):
        problems.extend(_panel_problems(aspect, path, judges_per_aspect.get(aspect.id, 0)))
    with localcontext(PUBLISH):
        for i, stage in enumerate(rules.stages):
            if any(a.combine.method == "trimmed_sum" for m in stage.modules for a in m.aspects):
                mismatch = _full_marks_problem(stage, f"stages[{i}]", judges_per_aspect)
                problems.extend([mismatch] if mismatch else [])
    return problems


def _panel_problems(aspect: Aspect, path: str, judges: int) -> list[Problem]:
    name = f"评分项“{aspect.id}”"
    if judges < 1:
        return [Problem(code="no_judges", message=f"{name}没有可用的裁判", path=path, aspect_id=aspect.id)]
    problems: list[Problem] = []
    if aspect.kind == "judgement" and judges < _MIN_JUDGEMENT_JUDGES:
        problems.append(
            Problem(
                code="too_few_judges",
                message=f"评价类{name}至少需要3名裁判，当前只有{judges}名",
                path=path,
                aspect_id=aspect.id,
            )
        )
    trim = aspect.combine.trim
    need = least_marks(aspect)
    if aspect.min_marks is not None and judges < need:
        problems.append(
            Problem(
                code="too_few_for_min_marks",
                message=f"{name}至少需要{need}名裁判评分，当前只有{judges}名",
                path=f"{path}.min_marks",
                aspect_id=aspect.id,
            )
        )
    if aspect.combine.method in TRIMMED and judges <= 2 * trim:
        problems.append(
            Problem(
                code="trim_drops_all",
                message=f"{name}去掉最高分、最低分各{trim}个后没有剩余分数（可用裁判{judges}名）",
                path=f"{path}.combine.trim",
                aspect_id=aspect.id,
            )
        )
    return problems


# --------------------------------------------------------------------------------------------- one mark
# Every mark written goes through here: judges' sheets, chief's corrections, an upheld appeal's corrections,
# imported marks (file or appeal) and time used. Finite, in range, in the declared (stored) decimals.

MARK_DECIMALS = 3  # a judge's mark: SheetMark.value (and awards' ReviewMark.value) is Numeric(10, 3)
IMPORTED_DECIMALS = 4  # an imported stage mark: ImportedMark.value is Numeric(12, 4)
TIME_USED_MAX = Decimal(864000)  # ten days in seconds: ContestantFacts.time_used_seconds is Numeric(10, 1)
TIME_USED_DECIMALS = 1


def decimal_places(value: Decimal) -> int:
    """How many decimal places a Decimal is written with (2.50 -> 2, 10 -> 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def mark_range(aspect: Aspect) -> tuple[Decimal, Decimal]:
    """The lowest and highest mark a measurement or deduction aspect takes (the one range check)."""
    return aspect.min_mark, aspect.max_mark  # a signed range (wind, gate points) starts below zero


def validate_mark(aspect: Aspect, value: Decimal) -> Problem | None:
    """The problem with one judge's mark on an aspect, or None if the mark is valid."""
    with localcontext(PUBLISH):
        problem = _mark_problem(aspect, value)
    if problem is None and decimal_places(value) > MARK_DECIMALS:
        problem = Problem(
            code="mark_too_precise",
            message=f"评分项“{aspect.id}”的分数最多保留{MARK_DECIMALS}位小数",
            path="value",
            aspect_id=aspect.id,
        )
    return problem


def validate_time_used(seconds: Decimal) -> Problem | None:
    """The problem with a contestant's time used (a tie-break), or None: finite, 0..ten days, one decimal."""
    if (
        seconds.is_finite()
        and 0 <= seconds <= TIME_USED_MAX
        and decimal_places(seconds) <= TIME_USED_DECIMALS
    ):
        return None
    return Problem(
        code="time_used_invalid",
        message=f"用时应为0到{TIME_USED_MAX}秒之间的数字，最多{TIME_USED_DECIMALS}位小数",
        path="seconds",
    )


def _mark_problem(aspect: Aspect, value: Decimal) -> Problem | None:
    name = f"评分项“{aspect.id}”"

    def problem(code: str, message: str) -> Problem:
        return Problem(code=code, message=message, path="value", aspect_id=aspect.id)

    if not value.is_finite():
        return problem("mark_not_finite", f"{name}的分数不是有效数字")
    if aspect.kind == "judgement":
        return (
            None
            if value in _JUDGEMENT_MARKS
            else problem("judgement_mark_invalid", f"{name}只能评0、1、2或3分")
        )
    if aspect.kind == "pass_fail":
        ok = value in (0, aspect.max_mark)
        return None if ok else problem("pass_fail_mark_invalid", f"{name}只能给0分或满分{aspect.max_mark}")
    low, high = mark_range(aspect)
    if not low <= value <= high:
        return problem("mark_out_of_range", f"{name}的分数应在{low}到{high}之间")
    if aspect.step is not None and value % aspect.step != 0:
        return problem("mark_off_step", f"{name}的分数应为{aspect.step}的整数倍")
    return None


def validate_imported_mark(stage: Stage, value: Decimal) -> Problem | None:
    """The problem with an imported stage mark (an exam result), or None if it is within 0..full marks."""
    if stage.kind != "imported":
        return Problem(
            code="stage_not_imported", message=f"阶段“{_label(stage)}”不使用导入成绩", path="value"
        )
    if not (value.is_finite() and 0 <= value <= stage.full_marks):
        return Problem(
            code="imported_mark_out_of_range",
            message=f"阶段“{_label(stage)}”的导入成绩应在0到{stage.full_marks}之间",
            path="value",
        )
    if decimal_places(value) > IMPORTED_DECIMALS:
        return Problem(
            code="mark_too_precise", message=f"成绩最多保留{IMPORTED_DECIMALS}位小数", path="value"
        )
    return None


def require_valid(rules: CompetitionRules) -> None:
    """Refuse (:class:`ScoringError`) rules with problems: the caller should have validated them."""
    problems = validate_rules(rules)
    if problems:
        raise ScoringError("invalid rules: " + "; ".join(f"{p.path}: {p.code}" for p in problems))
