"""The checks a programme's settings must pass beyond what msgspec's types express: the nomination window,
eligibility rules, structural constraints, quotas, the expert rubric and qualifying prizes (422 naming
the field)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from accounts.rules import INDUSTRIES
from accounts.tables import GrassrootsUnion
from awards.rows import chunks, quota_used
from awards.schemas import ATTRIBUTE_NAMES, ConstraintIn, QualifyingResult
from competitions.rules import EligibilityRules
from competitions.rules import validate_rules as validate_eligibility_rules
from competitions.tables import Competition
from core.errors import Conflict, Invalid
from scoring.rules import CompetitionRules
from scoring.rules import validate_rules as validate_review_rules


async def validate_programme(values: dict[str, Any]) -> None:
    """Every rule about a programme's settings that msgspec's types cannot express; raises Invalid."""
    if values["nomination_closes_at"] <= values["nomination_opens_at"]:
        raise Invalid("推荐截止时间须晚于开始时间", field="nomination_closes_at", code="window_inverted")
    rules: EligibilityRules = values["eligibility"]
    problems = validate_eligibility_rules(rules)
    if problems:
        first = problems[0]
        raise Invalid(
            first.message,
            field=f"eligibility.{first.field}",
            code=first.code,
            detail={"problems": [msgspec.to_builtins(p) for p in problems]},
        )
    if rules.max_per_enterprise is not None:
        raise Invalid(
            "评选不按企业限报，请用推荐名额（每个工会或行业）代替",
            field="eligibility.max_per_enterprise",
            code="not_for_programmes",
        )
    _validate_constraints(values["constraints"])
    await _validate_quotas(values["quota_scope"], values["quotas"])
    review_rules = values["review_rules"]
    if review_rules is not None:
        _validate_rubric(review_rules)
    await _validate_qualifying(values["qualifying_results"])


def _validate_constraints(constraints: Sequence[ConstraintIn]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, c in enumerate(constraints):
        field = f"constraints[{index}]"
        if not (Decimal(0) <= c.percent <= Decimal(100)) or not c.percent.is_finite():
            raise Invalid("比例须在 0–100 之间", field=f"{field}.percent", code="percent_out_of_range")
        if (c.attribute, c.bound) in seen:
            raise Invalid(
                f"与第 {seen[(c.attribute, c.bound)] + 1} 条结构比例重复",
                field=f"{field}.attribute",
                code="duplicate_constraint",
            )
        seen[(c.attribute, c.bound)] = index
    by_attribute: dict[str, dict[str, Decimal]] = {}
    for c in constraints:
        by_attribute.setdefault(c.attribute, {})[c.bound] = c.percent
    for index, c in enumerate(constraints):
        bounds = by_attribute[c.attribute]
        if c.bound == "at_most" and "at_least" in bounds and bounds["at_least"] > c.percent:
            raise Invalid(
                f"{ATTRIBUTE_NAMES[c.attribute]}的最高比例不能低于最低比例",
                field=f"constraints[{index}].percent",
                code="constraint_range_inverted",
            )


async def _validate_quotas(scope: str, quotas: dict[str, int]) -> None:
    if scope == "industry":
        unknown = sorted(k for k in quotas if k not in INDUSTRIES)
        if unknown:
            raise Invalid(
                f"行业不存在：{'、'.join(unknown[:5])}（可选：{'、'.join(INDUSTRIES)}）",
                field="quotas",
                code="unknown_industry",
            )
        return
    bad = sorted(k for k in quotas if not k.isdigit())
    if bad:
        raise Invalid(f"名额须按工会编号填写：{'、'.join(bad[:5])}", field="quotas", code="bad_quota_key")
    ids = [int(k) for k in quotas]
    found: set[int] = set()
    for chunk in chunks(ids):
        rows = await GrassrootsUnion.select(GrassrootsUnion.id).where(GrassrootsUnion.id.is_in(list(chunk)))
        found |= {r["id"] for r in rows}
    missing = sorted(set(ids) - found)
    if missing:
        raise Invalid(
            f"工会不存在：{'、'.join(map(str, missing[:5]))}", field="quotas", code="unknown_reference"
        )


def _validate_rubric(rules: CompetitionRules) -> None:
    """The expert rubric: scoring's own checks, and one rubric stage weighing 100 (a nominee is one subject
    marked once by each expert)."""
    if len(rules.stages) != 1 or rules.stages[0].weight_percent != Decimal(100):
        raise Invalid(
            "专家评审标准须为一个阶段、权重 100", field="review_rules.stages", code="review_rules_one_stage"
        )
    if rules.stages[0].kind != "rubric":
        raise Invalid(
            "专家评审标准须为评分表（rubric）", field="review_rules.stages[0].kind", code="not_rubric"
        )
    problems = validate_review_rules(rules)
    if problems:
        first = problems[0]
        raise Invalid(
            first.message,
            field=f"review_rules.{first.path}" if first.path else "review_rules",
            code=first.code,
            detail={"problems": [msgspec.to_builtins(p) for p in problems]},
        )


async def _validate_qualifying(qualifying: Sequence[QualifyingResult]) -> None:
    ids = [q.competition_id for q in qualifying]
    duplicates = [cid for cid, n in Counter(ids).items() if n > 1]
    if duplicates:
        raise Invalid(
            f"竞赛 #{duplicates[0]} 重复列出", field="qualifying_results", code="duplicate_competition"
        )
    if not ids:
        return
    found = {r["id"] for r in await Competition.select(Competition.id).where(Competition.id.is_in(ids))}
    for index, q in enumerate(qualifying):
        if q.competition_id not in found:
            raise Invalid(
                f"竞赛不存在：{q.competition_id}",
                field=f"qualifying_results[{index}].competition_id",
                code="unknown_reference",
            )


async def refuse_quota_below_use(programme_id: int, merged: dict[str, Any]) -> None:
    """Inside the edit's transaction (the programme row held FOR UPDATE, so no nomination lands meanwhile):
    409 when a quota would fall below what a union (or industry) has already nominated, naming each group
    and its excess, so the organizer can raise the quota again or ask the union to withdraw that many."""
    over = []
    for group, used in (await quota_used(programme_id)).items():
        quota = merged["quotas"].get(group, merged["default_quota"])
        if quota is not None and used > quota:
            over.append({"group": group, "quota": quota, "used": used, "excess": used - quota})
    if not over:
        return
    industry = merged["quota_scope"] == "industry"
    names: dict[int, str] = {}
    for chunk in chunks(sorted(int(o["group"]) for o in over if o["group"].isdigit())):
        found = await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name).where(
            GrassrootsUnion.id.is_in(list(chunk))
        )
        names |= {r["id"]: r["name"] for r in found}
    for o in over:
        group = o["group"]
        o["group_name"] = (
            INDUSTRIES.get(group, group)
            if industry
            else names.get(int(group), f"工会 #{group}")
            if group.isdigit()
            else "未指定工会"
        )
    parts = "；".join(f"{o['group_name']}已推荐 {o['used']} 人，超出 {o['excess']} 人" for o in over[:5])
    raise Conflict(
        f"新名额低于现有推荐人数：{parts}。请先由相关工会撤回多出的推荐，或调高名额",
        field="quotas",
        code="quota_below_nominations",
        detail={"excess": over},
    )
