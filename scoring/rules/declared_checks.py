"""Validation of the declared team, organisation-award and promotion rules (:func:`declared_problems`).

Kept apart from ``validation`` (which calls it) so that the team and promotion rules read as one piece; it
imports nothing but the records, so ``teams`` and ``promotion`` may use the ranking without a cycle.
"""

from __future__ import annotations

from decimal import Decimal

from scoring.rules.records import (
    CompetitionRules,
    OrganisationAward,
    Problem,
    PromotionBand,
    PromotionRule,
    RoundingStep,
    TeamRules,
    TierPolicy,
    final_maximum,
)

MOST_SENIOR, LEAST_SENIOR = 1, 5  # 一级/高级技师 .. 五级/初级工: a smaller number is more senior
_HUNDRED = Decimal(100)
MAX_DECIMALS = 6  # a rounding step keeps 0..6 decimals: more is no score anyone reads, and costs every sum


def rounding_step_problem(step: RoundingStep | None, path: str) -> Problem | None:
    """The problem with one declared rounding step's decimals (0..6), or None."""
    if step is None or 0 <= step.decimals <= MAX_DECIMALS:
        return None
    if step.decimals < 0:
        return Problem(code="rounding_decimals_negative", message="保留小数位数不能为负数", path=path)
    return Problem(
        code="rounding_decimals_too_many", message=f"保留小数位数最多为{MAX_DECIMALS}位", path=path
    )


def _level_ok(level: int | None) -> bool:
    return level is None or MOST_SENIOR <= level <= LEAST_SENIOR


def _in_range(value: Decimal | None, top: Decimal) -> bool:
    return value is None or (value.is_finite() and 0 <= value <= top)


def tier_policy_problems(policy: TierPolicy | None, path: str, top_score: Decimal) -> list[Problem]:
    """Counts, percentages and the score floor of a prize-tier policy whose scores reach ``top_score``."""
    if policy is None:
        return []
    problems: list[Problem] = []
    if any(count < 0 for count in policy.counts):
        problems.append(
            Problem(code="tier_count_negative", message="获奖名额不能为负数", path=f"{path}.counts")
        )
    percents = policy.percents
    if not all(p.is_finite() and p >= 0 for p in percents) or sum(percents, Decimal(0)) > 100:
        problems.append(
            Problem(
                code="tier_percents_invalid",
                message="各奖项比例不能为负数，且合计不能超过100%",
                path=f"{path}.percents",
            )
        )
    if not _in_range(policy.min_score, top_score):
        problems.append(
            Problem(
                code="min_score_out_of_range",
                message=f"获奖最低分应在0到{top_score}之间",
                path=f"{path}.min_score",
            )
        )
    return problems


def _team_problems(teams: TeamRules, final_top: Decimal) -> list[Problem]:
    problems: list[Problem] = []

    def problem(code: str, message: str, field: str) -> None:
        problems.append(Problem(code=code, message=message, path=f"teams.{field}"))

    if teams.best < 1:
        problem("team_best_invalid", "团体计分人数至少为1人", "best")
    if teams.min_members is not None and not 1 <= teams.min_members <= max(teams.best, 1):
        problem("team_min_members_invalid", "团体排名所需最少人数应在1到计分人数之间", "min_members")
    rounding = rounding_step_problem(teams.rounding, "teams.rounding.decimals")
    problems.extend([rounding] if rounding else [])
    if teams.no_ties_in_top < 0:
        problem("no_ties_in_top_negative", "不允许并列的名次范围不能为负数", "no_ties_in_top")
    # A team's score is out of (the final's top) x k when summed, out of the final's top when averaged.
    top = final_top * max(teams.best, 1) if teams.method == "sum" else final_top
    problems.extend(tier_policy_problems(teams.tiers, "teams.tiers", top))
    return problems


def _organisation_problems(award: OrganisationAward, teams: TeamRules | None) -> list[Problem]:
    problems: list[Problem] = []
    if award.count < 1:
        problems.append(
            Problem(
                code="organisation_count_invalid",
                message="优秀组织奖名额至少为1",
                path="organisation_award.count",
            )
        )
    if award.basis == "team" and (teams is None or teams.grouping != "union"):
        problems.append(
            Problem(
                code="organisation_needs_union_teams",
                message="按团体名次评选优秀组织奖，须设置按基层工会组队的团体成绩",
                path="organisation_award.basis",
            )
        )
    return problems


def _band_problems(band: PromotionBand, path: str, highest: int, final_top: Decimal) -> list[Problem]:
    problems: list[Problem] = []

    def problem(code: str, message: str, field: str) -> None:
        problems.append(Problem(code=code, message=message, path=f"{path}.{field}"))

    if (band.to_level is None) == (band.levels_up is None):
        problem("promotion_target_invalid", "晋升规则须且只能设置“晋升至某等级”或“晋升几级”之一", "to_level")
    if not _level_ok(band.to_level) or not _level_ok(band.unlevelled_to):
        problem("promotion_level_invalid", "职业技能等级应为1（高级技师）至5（初级工）", "to_level")
    elif band.to_level is not None and band.to_level < highest:
        problem("promotion_above_highest", "晋升等级不能高于规则规定的最高等级", "to_level")
    if band.levels_up is not None and band.levels_up < 1:
        problem("promotion_levels_up_invalid", "晋升级数至少为1", "levels_up")
    if band.unlevelled_to is not None and band.levels_up is None:
        problem(
            "promotion_unlevelled_not_applicable",
            "仅“晋升几级”的规则需要设置无等级人员的晋升等级",
            "unlevelled_to",
        )
    if band.first_rank is None and band.last_rank is None and not band.tiers:
        problem("promotion_band_unbounded", "晋升规则须限定名次范围或获奖等次", "first_rank")
    first, last = band.first_rank, band.last_rank
    if (first is not None and first < 1) or (last is not None and last < max(first or 1, 1)):
        problem("promotion_ranks_invalid", "名次范围应从1起，且截止名次不小于起始名次", "last_rank")
    if any(tier < 1 for tier in band.tiers):
        problem("promotion_tiers_invalid", "获奖等次应为1（一等奖）起的正整数", "tiers")
    if not _in_range(band.min_score, final_top):
        problem("min_score_out_of_range", f"晋升所需最低分应在0到{final_top}之间", "min_score")
    return problems


def _promotion_problems(rule: PromotionRule, final_top: Decimal) -> list[Problem]:
    problems: list[Problem] = []
    if not _level_ok(rule.highest):
        problems.append(
            Problem(code="promotion_level_invalid", message="最高晋升等级应为1至5", path="promotion.highest")
        )
    if not rule.bands:
        problems.append(
            Problem(code="promotion_no_bands", message="晋升规则至少需要一条", path="promotion.bands")
        )
    for i, band in enumerate(rule.bands):
        problems.extend(_band_problems(band, f"promotion.bands[{i}]", rule.highest, final_top))
    return problems


def declared_problems(rules: CompetitionRules) -> list[Problem]:
    """Every problem with the declared team rules, organisation award and promotion rule (empty if none)."""
    problems: list[Problem] = []
    # Scores are out of 100 when weighted, of the stages' full marks added up as a raw sum.
    final_top = final_maximum(rules) if all(s.full_marks.is_finite() for s in rules.stages) else _HUNDRED
    if rules.teams is not None:
        problems.extend(_team_problems(rules.teams, final_top))
    if rules.organisation_award is not None:
        problems.extend(_organisation_problems(rules.organisation_award, rules.teams))
    if rules.promotion is not None:
        problems.extend(_promotion_problems(rules.promotion, final_top))
    return problems
