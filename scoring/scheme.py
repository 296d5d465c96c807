"""The organizer sets the scoring scheme: the rubric (rules as data), the tolerance, the appeal window.

The rules are checked on their own (:func:`scoring.rules.validate_rules`) and against the competition (its
stages, weights and kinds; ids that fit the columns); what the panel already named still lacks is reported
(``panel_problems``), not refused: the first mark is what needs a complete panel. Editing is
version-checked, and refused once the first mark has frozen the scheme (a resend of the same rules and
tolerance is still accepted, e.g. a changed appeal window).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid
from scoring import rules
from scoring.competition_facts import CompetitionStage, competition, competition_stages
from scoring.judges import Judge, my_assignment, panel, panel_problems
from scoring.marks import MARK_DECIMALS, decimals, plain
from scoring.rubric import Scheme, find_scheme, load_scheme, refuse_problems
from scoring.schemas import SchemeIn, SchemeOut
from scoring.tables import ScoringScheme

MAX_ID_LENGTH = 40  # aspect and module ids are stored in Varchar(40)


def scheme_out(scheme: Scheme, problems: Sequence[rules.Problem] = ()) -> SchemeOut:
    return SchemeOut(
        competition_id=scheme.competition_id,
        rules=scheme.rules,
        tolerance=plain(scheme.tolerance),
        appeal_window_hours=scheme.appeal_window_hours,
        version=scheme.version,
        frozen_at=scheme.frozen_at,
        scoring_started_at=scheme.scoring_started_at,
        panel_problems=list(problems),
    )


async def get_scheme(user: CurrentUser, competition_id: int) -> SchemeOut:
    await competition(competition_id)
    if user.role != Role.ORGANIZER:
        await my_assignment(competition_id, user)
    scheme = await load_scheme(competition_id)
    problems = await panel_problems(competition_id, scheme) if user.role == Role.ORGANIZER else []
    return scheme_out(scheme, problems)


# ------------------------------------------------------------------------------------ checking the rules


def _id_problems(stage: rules.Stage, path: str) -> list[rules.Problem]:
    """Module and aspect ids that do not fit their columns; steps finer than a stored mark."""
    problems: list[rules.Problem] = []
    for j, module in enumerate(stage.modules):
        if len(module.id) > MAX_ID_LENGTH or not module.id.isprintable():
            problems.append(
                rules.Problem(
                    code="id_invalid",
                    message="模块编号最多40个字符，且不能含控制字符",
                    path=f"{path}.modules[{j}].id",
                )
            )
        for k, aspect in enumerate(module.aspects):
            where = f"{path}.modules[{j}].aspects[{k}]"
            if len(aspect.id) > MAX_ID_LENGTH or not aspect.id.isprintable():
                problems.append(
                    rules.Problem(
                        code="id_invalid",
                        message="评分项编号最多40个字符，且不能含控制字符",
                        path=f"{where}.id",
                    )
                )
            if aspect.min_mark.is_finite() and decimals(aspect.min_mark) > MARK_DECIMALS:
                problems.append(
                    rules.Problem(
                        code="min_mark_too_precise",
                        message="最低分最多保留3位小数",
                        path=f"{where}.min_mark",
                        aspect_id=aspect.id,
                    )
                )
            if aspect.step is not None and decimals(aspect.step) > MARK_DECIMALS:
                problems.append(
                    rules.Problem(
                        code="step_too_fine",
                        message="步长最多保留3位小数",
                        path=f"{where}.step",
                        aspect_id=aspect.id,
                    )
                )
    return problems


def _stage_problems(
    stage: rules.Stage, own: CompetitionStage, path: str, weighted: bool
) -> list[rules.Problem]:
    """A declared stage against the competition's own: its weight (when weighted), its kind, its ids."""
    problems: list[rules.Problem] = []
    if weighted and stage.weight_percent != own.weight_percent:
        problems.append(
            rules.Problem(
                code="weight_mismatch",
                message=f"阶段“{own.name}”的权重应与竞赛设置一致（{plain(own.weight_percent)}%）",
                path=f"{path}.weight_percent",
            )
        )
    if stage.kind == "imported" and own.kind != "theory":
        problems.append(
            rules.Problem(
                code="imported_not_theory",
                message=f"只有理论知识环节可以导入成绩，“{own.name}”不是",
                path=f"{path}.kind",
            )
        )
    return [*problems, *_id_problems(stage, path)]


def _judge_module_problems(
    competition_rules: rules.CompetitionRules, judges: Sequence[Judge]
) -> list[rules.Problem]:
    """Judges assigned modules the rules no longer have."""
    module_ids = {m.id for s in competition_rules.stages for m in s.modules}
    return [
        rules.Problem(
            code="judge_module_missing",
            message=f"{judge.judge_no}号裁判被分配的模块“{module_id}”不在评分标准中",
            path="stages",
        )
        for judge in judges
        for module_id in sorted((judge.module_ids or frozenset()) - module_ids)
    ]


def _cross_check(
    data: SchemeIn, stages: Sequence[CompetitionStage], judges: Sequence[Judge]
) -> tuple[rules.CompetitionRules, list[rules.Problem]]:
    """Problems between the rules and the competition: its stages, weights, kinds; judges' modules.

    Returns the rules with each unnamed stage given the competition's name for it.
    """
    problems: list[rules.Problem] = []
    by_id = {str(s.id): s for s in stages}
    for i, stage in enumerate(data.rules.stages):
        own = by_id.get(stage.id)
        if own is None:
            problems.append(
                rules.Problem(
                    code="unknown_stage",
                    message=f"阶段编号“{stage.id}”不是本竞赛的环节",
                    path=f"stages[{i}].id",
                )
            )
        else:
            weighted = data.rules.final == "weighted"
            problems.extend(_stage_problems(stage, own, f"stages[{i}]", weighted))
    declared = {s.id for s in data.rules.stages}
    missing = [s for s in stages if str(s.id) not in declared]
    if missing:
        names = "、".join(s.name for s in missing)
        problems.append(
            rules.Problem(code="stage_missing", message=f"评分标准缺少竞赛环节：{names}", path="stages")
        )
    problems.extend(_judge_module_problems(data.rules, judges))
    named = tuple(
        msgspec.structs.replace(s, name=by_id[s.id].name) if not s.name and s.id in by_id else s
        for s in data.rules.stages
    )
    return msgspec.structs.replace(data.rules, stages=named), problems


async def _checked_rules(competition_id: int, data: SchemeIn) -> rules.CompetitionRules:
    """The rules to store, or a 422 naming the first problem (tolerance, rules, competition, panel)."""
    if not (data.tolerance.is_finite() and 0 <= data.tolerance <= 3) or decimals(data.tolerance) > 2:
        raise Invalid("允许误差应在0到3之间，最多两位小数", code="tolerance_invalid", field="tolerance")
    stages = await competition_stages(competition_id)
    judges = await panel(competition_id)
    competition_rules, problems = _cross_check(data, stages, judges)
    problems = [*rules.validate_rules(competition_rules), *problems]
    refuse_problems(problems, "rules.", "invalid_rules")
    # The panel is not checked here: it may be set up before or after the rubric, judge by judge; the
    # answer lists its problems, and the first mark needs it complete (judges.refuse_incomplete_panel).
    return competition_rules


# ---------------------------------------------------------------------------------------- storing them


def _stored(competition_rules: rules.CompetitionRules, tolerance: Decimal, window: int) -> dict[str, object]:
    """What the audit row records of a scheme."""
    return {
        "rules": msgspec.to_builtins(competition_rules),
        "tolerance": str(tolerance),
        "appeal_window_hours": window,
    }


async def _create_scheme(
    actor: Actor, competition_id: int, data: SchemeIn, competition_rules: rules.CompetitionRules
) -> None:
    if data.version:
        raise Conflict(
            "评分标准已被删除或尚未创建，请刷新",
            code="stale_version",
            field="version",
            detail={"current_version": 0},
        )
    row = ScoringScheme(
        competition=competition_id,
        rules=msgspec.json.encode(competition_rules).decode(),
        tolerance=data.tolerance,
        appeal_window_hours=data.appeal_window_hours,
        created_at=utcnow(),
    )
    await row.save()
    await audit.record(
        actor,
        "scheme.create",
        "scoring_scheme",
        row.id,
        after={
            "competition_id": competition_id,
            "rules": msgspec.to_builtins(competition_rules),
            "tolerance": str(data.tolerance),
        },
    )


def _refuse_stale_or_frozen(current: Scheme, data: SchemeIn, encoded: bytes) -> None:
    """A frozen scheme takes only its own rules and tolerance again; any edit needs the version read."""
    same_rules = msgspec.json.encode(current.rules) == encoded
    if current.frozen_at is not None and not (same_rules and current.tolerance == data.tolerance):
        raise Conflict(
            "评分已开始，评分标准已锁定，不能修改",
            code="rubric_frozen",
            field="rules",
            detail={"frozen_at": current.frozen_at.isoformat()},
        )
    if data.version != current.version:
        raise Conflict(
            "评分标准已被他人修改，请刷新后重试",
            code="stale_version",
            field="version",
            detail={"current_version": current.version},
        )


async def _update_scheme(
    actor: Actor, current: Scheme, data: SchemeIn, competition_rules: rules.CompetitionRules
) -> None:
    encoded = msgspec.json.encode(competition_rules)
    _refuse_stale_or_frozen(current, data, encoded)
    updated = await (
        ScoringScheme.update(
            {
                ScoringScheme.rules: encoded.decode(),
                ScoringScheme.tolerance: data.tolerance,
                ScoringScheme.appeal_window_hours: data.appeal_window_hours,
                ScoringScheme.version: ScoringScheme.version + 1,
            }
        )
        .where((ScoringScheme.id == current.id) & (ScoringScheme.version == current.version))
        .returning(ScoringScheme.id)
    )
    if not updated:  # the first mark froze it (and moved the version on) meanwhile
        raise Conflict("评分标准已被他人修改或已锁定，请刷新后重试", code="stale_version", field="version")
    await audit.record(
        actor,
        "scheme.update",
        "scoring_scheme",
        current.id,
        before=_stored(current.rules, current.tolerance, current.appeal_window_hours),
        after=_stored(competition_rules, data.tolerance, data.appeal_window_hours),
    )


async def put_scheme(actor: Actor, competition_id: int, data: SchemeIn) -> SchemeOut:
    """Create or change the scheme (version-checked; 409 once the first mark has frozen it)."""
    await competition(competition_id)
    competition_rules = await _checked_rules(competition_id, data)
    try:
        async with write_transaction():
            current = await find_scheme(competition_id)
            if current is None:
                await _create_scheme(actor, competition_id, data, competition_rules)
            else:
                await _update_scheme(actor, current, data, competition_rules)
    except Exception as exc:
        if is_unique_violation(exc):  # two organizers created it at once
            raise Conflict(
                "评分标准已被他人创建，请刷新后重试", code="stale_version", field="version"
            ) from None
        raise
    scheme = await load_scheme(competition_id)
    return scheme_out(scheme, await panel_problems(competition_id, scheme))


# ------------------------------------------------------------------------------------------ a template


def theory_stage(stage: CompetitionStage) -> rules.Stage:
    """A theory stage as every template declares it: marks imported from the exam, out of 100."""
    return rules.Stage(
        id=str(stage.id),
        name=stage.name,
        kind="imported",
        full_marks=Decimal(100),
        weight_percent=stage.weight_percent,
    )


def scheme_template(stages: Sequence[CompetitionStage]) -> rules.CompetitionRules:
    """A starting point for the organizer: theory imported out of 100; others a small sample rubric."""
    out = []
    for stage in stages:
        if stage.kind == "theory":
            out.append(theory_stage(stage))
            continue
        prefix = f"s{stage.id}"
        module = rules.Module(
            id=f"{prefix}m1",
            name="操作过程",
            aspects=(
                rules.Aspect(
                    id=f"{prefix}a1",
                    name="尺寸精度",
                    kind="measurement",
                    max_mark=Decimal(40),
                    step=Decimal("0.5"),
                ),
                rules.Aspect(id=f"{prefix}a2", name="功能达标", kind="pass_fail", max_mark=Decimal(20)),
                rules.Aspect(
                    id=f"{prefix}a3",
                    name="工艺规范",
                    kind="judgement",
                    max_mark=Decimal(40),
                    combine=rules.Combination(method="trimmed_mean", trim=1),
                ),
                rules.Aspect(
                    id=f"{prefix}d1",
                    name="安全文明生产扣分",
                    kind="deduction",
                    max_mark=Decimal(10),
                    step=Decimal(1),
                ),
            ),
        )
        out.append(
            rules.Stage(
                id=str(stage.id),
                name=stage.name,
                kind="rubric",
                full_marks=Decimal(100),
                weight_percent=stage.weight_percent,
                modules=(module,),
            )
        )
    return rules.CompetitionRules(
        stages=tuple(out),
        rounding=rules.RoundingPolicy(
            panel_mark=rules.RoundingStep(decimals=2), final=rules.RoundingStep(decimals=2)
        ),
        tie_breaks=(rules.TieBreak(kind="time_used"),),
    )


async def get_scheme_template(competition_id: int) -> rules.CompetitionRules:
    await competition(competition_id)
    return scheme_template(await competition_stages(competition_id))
