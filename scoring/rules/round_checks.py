"""Validation of declared rounds and public module columns (:func:`round_problems`).

Kept apart from ``rounds`` (which needs the ranking, and so aggregation and validation): this module imports
the records only, so ``validation`` can call it without a cycle.
"""

from __future__ import annotations

from decimal import Decimal

from scoring.rules.records import CompetitionRules, Problem, Round

_CUT_NAMES = {
    "top": "前N名",
    "min_score": "分数线",
    "top_per_union": "各工会前N名",
    "top_per_enterprise": "各企业前N名",
}


def _cut_problems(declared: Round, path: str, last: bool) -> list[Problem]:
    label = declared.name or declared.id
    if last:
        if declared.cut is not None:
            message = f"最后一轮“{label}”不设晋级规则"
            return [Problem(code="last_round_cut", message=message, path=f"{path}.cut")]
        return []
    if declared.cut is None:
        return [Problem(code="round_cut_missing", message=f"第“{label}”轮须声明晋级规则", path=f"{path}.cut")]
    if declared.cut == "min_score":
        if declared.min_score is None or not declared.min_score.is_finite() or declared.min_score < 0:
            return [
                Problem(
                    code="round_min_score_invalid",
                    message=f"“{label}”的晋级分数线须为不小于0的数",
                    path=f"{path}.min_score",
                )
            ]
        return []
    if declared.count is None or declared.count < 1:
        return [
            Problem(
                code="round_count_invalid",
                message=f"“{label}”按{_CUT_NAMES[declared.cut]}晋级，晋级人数须至少为1",
                path=f"{path}.count",
            )
        ]
    return []


def _coverage_problems(rules: CompetitionRules) -> list[Problem]:
    """Every stage in exactly one round; round ids unique."""
    assert rules.rounds is not None
    problems: list[Problem] = []
    known = {stage.id for stage in rules.stages}
    seen_stages: set[str] = set()
    seen_ids: set[str] = set()
    for i, declared in enumerate(rules.rounds.rounds):
        path = f"rounds.rounds[{i}]"
        if declared.id in seen_ids:
            message = f"轮次编号“{declared.id}”重复"
            problems.append(Problem(code="duplicate_id", message=message, path=f"{path}.id"))
        seen_ids.add(declared.id)
        if not declared.stages:
            message = "每一轮至少包含一个阶段"
            problems.append(Problem(code="round_empty", message=message, path=f"{path}.stages"))
        for stage_id in declared.stages:
            if stage_id not in known:
                message = f"轮次引用的阶段“{stage_id}”不存在"
                problems.append(Problem(code="round_unknown_stage", message=message, path=f"{path}.stages"))
            elif stage_id in seen_stages:
                message = f"阶段“{stage_id}”属于不止一轮"
                problems.append(Problem(code="round_stage_twice", message=message, path=f"{path}.stages"))
            seen_stages.add(stage_id)
    missing = [stage.id for stage in rules.stages if stage.id not in seen_stages]
    if missing:
        message = f"阶段“{'、'.join(missing)}”不属于任何一轮"
        problems.append(Problem(code="stage_without_round", message=message, path="rounds.rounds"))
    return problems


def _round_weights(rules: CompetitionRules) -> list[Problem]:
    """With ``total = "last"`` every round is scaled to 100 by its stages' weights, which must not be 0."""
    assert rules.rounds is not None
    weights = {stage.id: stage.weight_percent for stage in rules.stages}
    problems: list[Problem] = []
    for i, declared in enumerate(rules.rounds.rounds):
        total = sum((weights.get(s, Decimal(0)) for s in declared.stages), Decimal(0))
        if not (total.is_finite() and total > 0):
            label = declared.name or declared.id
            problems.append(
                Problem(
                    code="round_weight_zero",
                    message=f"只计最后一轮时，每一轮各阶段权重之和须大于0，“{label}”为{total}",
                    path=f"rounds.rounds[{i}].stages",
                )
            )
    return problems


def round_problems(rules: CompetitionRules) -> list[Problem]:
    """Problems with ``rules.rounds`` and ``rules.public_modules``; empty when there are none."""
    modules = {module.id for stage in rules.stages for module in stage.modules}
    problems = [
        Problem(code="unknown_public_module", message=f"公开显示的模块“{ref}”不存在", path="public_modules")
        for ref in rules.public_modules
        if ref not in modules
    ]
    if rules.rounds is None:
        return problems
    if not rules.rounds.rounds:
        return [*problems, Problem(code="no_rounds", message="声明轮次时至少需要一轮", path="rounds.rounds")]
    problems.extend(_coverage_problems(rules))
    last = len(rules.rounds.rounds) - 1
    for i, declared in enumerate(rules.rounds.rounds):
        problems.extend(_cut_problems(declared, f"rounds.rounds[{i}]", i == last))
    if rules.rounds.total == "last" and rules.final != "raw_sum":  # a raw sum scales nothing
        problems.extend(_round_weights(rules))
    return problems
