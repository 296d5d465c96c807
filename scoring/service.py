"""Use cases of score entry: rubrics, judges and recusal, log-in links, sheets, tolerance, sign-off,
corrections, disqualification, imported marks, and :func:`load_scoring_inputs` for the results half.

Every write loads, checks with :mod:`scoring.rules`, writes and audits inside one
``core.db.write_transaction()``: a failure anywhere (even the audit row) leaves nothing behind. Live pages
are told after the commit (:func:`scoring.live.marks_changed`).

Ids as the pure engine sees them are strings: a stage is ``str(Stage.id)``, a subject
``str(Registration.id)``, a judge ``str(User.id)``.

Recusal (回避) is the union of two things, checked the same way everywhere (entry, listings, aggregation):
the judge's own employer is the contestant's employer at registration, or a stored :class:`Recusal` row
(declared conflicts, and the employer matches recorded for the organizer to see).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec
import segno

from accounts import audit
from accounts.audit import SYSTEM, Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.sessions import end_sessions_from, start_session
from accounts.tables import User
from competitions import service as competitions_service
from competitions.tables import Competition, Registration
from core.db import SHANGHAI, engine_name, is_unique_violation, today_shanghai, utcnow, write_transaction
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from scoring import rules
from scoring.schemas import (
    ChiefOverview,
    ChiefStage,
    ContestantFactsOut,
    ContestantRow,
    CorrectionIn,
    DisqualifyIn,
    FlagDetail,
    FlagMark,
    FlagOut,
    ImportedMarkOut,
    ImportResult,
    JudgeCompetitionOut,
    JudgeIn,
    JudgeOut,
    JudgeStageProgress,
    LinkOut,
    MarkOut,
    PanelOut,
    RecusalOut,
    SchemeIn,
    SchemeOut,
    SheetIn,
    SheetOut,
    SheetSummary,
    SignoffOut,
    SignOut,
    StageProgress,
    StageView,
    TimeUsedIn,
)
from scoring.tables import (
    ContestantFacts,
    ImportedMark,
    JudgeAssignment,
    JudgeLink,
    Recusal,
    ScoreSheet,
    ScoringScheme,
    SheetMark,
    StageSignoff,
    Submission,
    ToleranceFlag,
)

logger = logging.getLogger("yicheng.scoring")

COUNTED = ("submitted", "signed")  # drafts never count: not in aggregation, not in tolerance
MARK_DECIMALS = 3  # SheetMark.value is Numeric(10, 3)
IMPORTED_DECIMALS = 4  # ImportedMark.value is Numeric(12, 4)
MAX_ID_LENGTH = 40  # aspect and module ids are stored in Varchar(40)
EMPLOYER_REASON = "与选手同一工作单位"


# ------------------------------------------------------------------------------------------- small helpers


def plain(value: Decimal) -> Decimal:
    """A stored Decimal without trailing zeros or exponent: 2.500 -> 2.5, 10.000 -> 10 (both engines)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _json_list(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    return None if value is None else [str(v) for v in value]


def _problem_dicts(problems: Iterable[rules.Problem], prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for p in problems:
        item = msgspec.to_builtins(p)
        if prefix:
            item["path"] = f"{prefix}{p.path}"
        out.append(item)
    return out


def _refuse_problems(problems: Sequence[rules.Problem], prefix: str, code: str) -> None:
    if problems:
        first = problems[0]
        raise Invalid(
            first.message,
            code=code,
            field=f"{prefix}{first.path}",
            detail={"problems": _problem_dicts(problems, prefix)},
        )


async def _notify(competition_id: int) -> None:
    """Tell live pages after a committed change; a failure to notify never fails the write."""
    try:
        from scoring import live
    except ModuleNotFoundError as exc:  # pragma: no cover - live.py is the lead's and may be absent
        if exc.name != "scoring.live":
            raise
        return
    try:
        await live.marks_changed(competition_id)
    except Exception:  # pragma: no cover - defensive
        logger.exception("marks_changed(%s) failed", competition_id)


async def _lock_competition(competition_id: int) -> None:
    """Serialise panel changes of one competition (SQLite's write transaction already does)."""
    if engine_name() == "postgres":
        await Competition.select(Competition.id).where(Competition.id == competition_id).lock_rows()


def _stale(version: int, status: str, marks: Sequence[MarkOut]) -> Conflict:
    return Conflict(
        "评分表已被更新（可能在另一台平板上），请核对最新分数后重新录入",
        code="stale_version",
        field="base_version",
        detail={
            "current_version": version,
            "status": status,
            "marks": [{"aspect_id": m.aspect_id, "value": str(m.value)} for m in marks],
        },
    )


# ------------------------------------------------------------------------------- competitions (read only)


class _Competition(msgspec.Struct, kw_only=True):
    id: int
    title: str
    occupation: str
    state: str


class _CompetitionStage(msgspec.Struct, kw_only=True):
    id: int
    position: int
    name: str
    kind: str
    weight_percent: Decimal


class Contestant(msgspec.Struct, kw_only=True, gc=False):
    registration_id: int
    station_no: int
    blind_code: str
    employer_id: int | None


async def _competition(competition_id: int) -> _Competition:
    row = (
        await Competition.select(Competition.id, Competition.title, Competition.occupation, Competition.state)
        .where(Competition.id == competition_id)
        .first()
    )
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return _Competition(**row)


async def _competition_stages(competition_id: int) -> list[_CompetitionStage]:
    stages = await competitions_service.competition_stages(competition_id)
    return [
        _CompetitionStage(
            id=s.id, position=s.position, name=s.name, kind=s.kind, weight_percent=s.weight_percent
        )
        for s in stages
    ]


async def _drawn(competition_id: int) -> list[Contestant]:
    """The contestants on the floor: accepted and drawn (a station and a blind code), by station."""
    return [
        Contestant(
            registration_id=c.registration_id,
            station_no=c.station_no,
            blind_code=c.blind_code,
            employer_id=c.employer_id,
        )
        for c in await competitions_service.drawn_contestants(competition_id)
        if c.blind_code
    ]


async def _find_contestant(
    competition_id: int, registration_id: int | None, blind_code: str | None, *, field_prefix: str = ""
) -> Contestant:
    if registration_id is None and not blind_code:
        raise Invalid(
            "请指定选手（加密号或报名编号）", code="contestant_required", field=f"{field_prefix}blind_code"
        )
    query = Registration.select(
        Registration.id,
        Registration.station_no,
        Registration.blind_code,
        Registration.employer,
        Registration.status,
    ).where(Registration.competition == competition_id)
    if registration_id is not None:
        field = f"{field_prefix}registration_id"
        query = query.where(Registration.id == registration_id)
    else:
        from competitions.rules import normalize_blind_code

        field = f"{field_prefix}blind_code"
        code = normalize_blind_code(blind_code or "") or (blind_code or "").strip().upper()
        query = query.where(Registration.blind_code == code)
    row = await query.first()
    if row is None or row["station_no"] is None or row["blind_code"] is None or row["status"] != "accepted":
        raise NotFound("本竞赛没有该加密号的参赛选手", code="unknown_contestant", field=field)
    return Contestant(
        registration_id=row["id"],
        station_no=row["station_no"],
        blind_code=row["blind_code"],
        employer_id=row["employer"],
    )


async def _transition_started(competition_id: int) -> None:
    """The first mark moves a checked-in competition to in_progress (inside the caller's transaction)."""
    if await competitions_service.get_competition_state(competition_id) == "checked_in":
        await competitions_service.mark_scoring_started(competition_id, SYSTEM)


# ------------------------------------------------------------------------------------------- the rubric


class Rubric:
    """The decoded rules of one scheme version plus the look-ups entry needs (cached: frozen once used)."""

    def __init__(self, competition_rules: rules.CompetitionRules) -> None:
        self.rules = competition_rules
        self.stages: dict[str, rules.Stage] = {s.id: s for s in competition_rules.stages}
        self.aspects: dict[str, rules.Aspect] = {}
        self.module_of: dict[str, str] = {}
        self.stage_of: dict[str, str] = {}
        self.modules_of_stage: dict[str, tuple[str, ...]] = {}
        for stage in competition_rules.stages:
            self.modules_of_stage[stage.id] = tuple(m.id for m in stage.modules)
            for module in stage.modules:
                for aspect in module.aspects:
                    self.aspects[aspect.id] = aspect
                    self.module_of[aspect.id] = module.id
                    self.stage_of[aspect.id] = stage.id
        self._judge_aspects: dict[tuple[str, frozenset[str] | None], dict[str, rules.Aspect]] = {}

    def judge_aspects(self, stage_id: str, module_ids: frozenset[str] | None) -> dict[str, rules.Aspect]:
        """The aspects of a stage that a judge with these modules (None: all) marks, in rubric order."""
        key = (stage_id, module_ids)
        hit = self._judge_aspects.get(key)
        if hit is None:
            stage = self.stages.get(stage_id)
            hit = {}
            if stage is not None:
                for module in stage.modules:
                    if module_ids is None or module.id in module_ids:
                        hit.update((a.id, a) for a in module.aspects)
            self._judge_aspects[key] = hit
        return hit

    def covers_stage(self, stage_id: str, module_ids: frozenset[str] | None) -> bool:
        return bool(self.judge_aspects(stage_id, module_ids))


# Decoded rubrics by their stored JSON text: a scheme is read on every mark, decoded once per process.
_RUBRICS: dict[str, Rubric] = {}


def _rubric(raw: Any) -> Rubric:
    text = raw if isinstance(raw, str) else msgspec.json.encode(raw).decode()
    hit = _RUBRICS.get(text)
    if hit is None:
        if len(_RUBRICS) > 256:
            _RUBRICS.clear()
        hit = _RUBRICS[text] = Rubric(msgspec.json.decode(text, type=rules.CompetitionRules))
    return hit


class _Scheme(msgspec.Struct, kw_only=True):
    id: int
    competition_id: int
    rubric: Any  # Rubric
    tolerance: Decimal
    appeal_window_hours: int
    frozen_at: dt.datetime | None
    scoring_started_at: dt.datetime | None
    unblinded_at: dt.datetime | None
    version: int

    @property
    def rules(self) -> rules.CompetitionRules:
        return self.rubric.rules


_SCHEME_COLUMNS = (
    ScoringScheme.id,
    ScoringScheme.competition,
    ScoringScheme.rules,
    ScoringScheme.tolerance,
    ScoringScheme.appeal_window_hours,
    ScoringScheme.frozen_at,
    ScoringScheme.scoring_started_at,
    ScoringScheme.unblinded_at,
    ScoringScheme.version,
)


async def _scheme(competition_id: int, *, required: bool = True) -> _Scheme | None:
    row = (
        await ScoringScheme.select(*_SCHEME_COLUMNS)
        .where(ScoringScheme.competition == competition_id)
        .first()
    )
    if row is None:
        if required:
            raise NotFound("本竞赛尚未设置评分标准", code="no_scheme", field="competition_id")
        return None
    return _Scheme(
        id=row["id"],
        competition_id=row["competition"],
        rubric=_rubric(row["rules"]),
        tolerance=row["tolerance"],
        appeal_window_hours=row["appeal_window_hours"],
        frozen_at=row["frozen_at"],
        scoring_started_at=row["scoring_started_at"],
        unblinded_at=row["unblinded_at"],
        version=row["version"],
    )


def _scheme_out(scheme: _Scheme, problems: Sequence[rules.Problem] = ()) -> SchemeOut:
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


# -------------------------------------------------------------------------------------- judges (panel)


class Judge(msgspec.Struct, kw_only=True, gc=False):
    user_id: int
    username: str
    display_name: str
    judge_no: int
    is_chief: bool
    module_ids: frozenset[str] | None
    employer_id: int | None


async def _panel(competition_id: int) -> list[Judge]:
    rows = (
        await JudgeAssignment.select(
            JudgeAssignment.judge.as_alias("user_id"),
            JudgeAssignment.judge.username.as_alias("username"),
            JudgeAssignment.judge.display_name.as_alias("display_name"),
            JudgeAssignment.judge.person.employer.as_alias("employer_id"),
            JudgeAssignment.judge_no,
            JudgeAssignment.is_chief,
            JudgeAssignment.module_ids,
        )
        .where(JudgeAssignment.competition == competition_id)
        .order_by(JudgeAssignment.judge_no)
    )
    return [_judge(r) for r in rows]


def _judge(row: dict[str, Any]) -> Judge:
    modules = _json_list(row["module_ids"])
    return Judge(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        judge_no=row["judge_no"],
        is_chief=bool(row["is_chief"]),
        module_ids=None if modules is None else frozenset(modules),
        employer_id=row["employer_id"],
    )


async def _assignment(competition_id: int, user_id: int) -> Judge | None:
    rows = (
        await JudgeAssignment.select(
            JudgeAssignment.judge.as_alias("user_id"),
            JudgeAssignment.judge.username.as_alias("username"),
            JudgeAssignment.judge.display_name.as_alias("display_name"),
            JudgeAssignment.judge.person.employer.as_alias("employer_id"),
            JudgeAssignment.judge_no,
            JudgeAssignment.is_chief,
            JudgeAssignment.module_ids,
        )
        .where(JudgeAssignment.judge_key == f"{competition_id}:{user_id}")
        .first()
    )
    return None if rows is None else _judge(rows)


async def _my_assignment(competition_id: int, user: CurrentUser) -> Judge:
    judge = await _assignment(competition_id, user.id)
    if judge is None:
        raise Forbidden("您不是本竞赛的裁判", code="not_assigned", field="competition_id")
    return judge


async def _require_chief(competition_id: int, user: CurrentUser) -> Judge:
    judge = await _my_assignment(competition_id, user)
    if not judge.is_chief:
        raise Forbidden("只有裁判长可以执行此操作", code="not_chief", field="competition_id")
    return judge


async def _may_oversee(competition_id: int, user: CurrentUser) -> bool:
    """Organizers and the competition's chief judge; True when the caller is the chief."""
    if user.role == Role.ORGANIZER:
        return False
    await _require_chief(competition_id, user)
    return True


async def _stored_recusals(competition_id: int) -> dict[tuple[int, int], tuple[str, str]]:
    rows = await Recusal.select(Recusal.judge, Recusal.registration, Recusal.kind, Recusal.reason).where(
        Recusal.competition == competition_id
    )
    return {(r["judge"], r["registration"]): (r["kind"], r["reason"]) for r in rows}


def is_recused(
    judge: Judge, contestant: Contestant, stored: Mapping[tuple[int, int], Any] | Iterable[tuple[int, int]]
) -> bool:
    if judge.employer_id is not None and judge.employer_id == contestant.employer_id:
        return True
    return (judge.user_id, contestant.registration_id) in stored


def _panel_sizes(
    rubric: Rubric,
    judges: Sequence[Judge],
    contestants: Sequence[Contestant],
    stored: Mapping[tuple[int, int], Any],
) -> dict[str, int]:
    """The smallest panel any contestant faces on each aspect once recusals are taken out."""
    covering: dict[str, list[Judge]] = {}
    for aspect_id, module_id in rubric.module_of.items():
        covering[aspect_id] = [j for j in judges if j.module_ids is None or module_id in j.module_ids]
    sizes = {aspect_id: len(js) for aspect_id, js in covering.items()}
    for contestant in contestants:
        recused = {j.user_id for j in judges if is_recused(j, contestant, stored)}
        if not recused:
            continue
        for aspect_id, js in covering.items():
            sizes[aspect_id] = min(sizes[aspect_id], sum(1 for j in js if j.user_id not in recused))
    # Imported stages have no aspects, so they are simply absent here.
    return sizes


async def panel_problems(competition_id: int, scheme: _Scheme | None = None) -> list[rules.Problem]:
    scheme = scheme or await _scheme(competition_id, required=False)
    if scheme is None:
        return []
    judges = await _panel(competition_id)
    if not judges:
        return []
    sizes = _panel_sizes(
        scheme.rubric,
        judges,
        await _drawn_or_registered(competition_id),
        await _stored_recusals(competition_id),
    )
    return rules.validate_panel(scheme.rules, sizes)


async def _drawn_or_registered(competition_id: int) -> list[Contestant]:
    """Drawn contestants; before the draw, the accepted registrations (for the employer recusals)."""
    drawn = await _drawn(competition_id)
    if drawn:
        return drawn
    rows = await Registration.select(Registration.id, Registration.employer).where(
        (Registration.competition == competition_id) & (Registration.status == "accepted")
    )
    return [
        Contestant(
            registration_id=r["id"],
            station_no=0,
            blind_code="",
            employer_id=r["employer"],
        )
        for r in rows
    ]


async def refresh_recusals(competition_id: int) -> int:
    """Record the employer recusals (judge's employer == a registration's employer); returns how many new.

    Enforcement does not depend on this (the employer is compared wherever recusal matters); the rows are
    the record the organizer sees. Called when judges are assigned, links printed, or on request.
    """
    judges = [j for j in await _panel(competition_id) if j.employer_id is not None]
    if not judges:
        return 0
    employers = {j.employer_id for j in judges}
    registrations = await Registration.select(Registration.id, Registration.employer).where(
        (Registration.competition == competition_id) & Registration.employer.is_in(list(employers))
    )
    now = utcnow()
    rows = [
        Recusal(
            competition=competition_id,
            judge=j.user_id,
            registration=r["id"],
            recusal_key=f"{j.user_id}:{r['id']}",
            kind="employer",
            reason=EMPLOYER_REASON,
            created_at=now,
        )
        for j in judges
        for r in registrations
        if r["employer"] == j.employer_id
    ]
    if not rows:
        return 0
    inserted = (
        await Recusal.insert(*rows)
        .on_conflict(target=Recusal.recusal_key, action="DO NOTHING")
        .returning(Recusal.id)
    )
    if inserted:
        await audit.record(
            SYSTEM, "recusal.employer", "competition", competition_id, after={"added": len(inserted)}
        )
    return len(inserted)


# ------------------------------------------------------------------------------------- scheme (rubric)


def _cross_check(
    data: SchemeIn, stages: Sequence[_CompetitionStage], judges: Sequence[Judge]
) -> tuple[rules.CompetitionRules, list[rules.Problem]]:
    """Problems between the rules and the competition: its stages, weights, kinds; judges' modules."""
    problems: list[rules.Problem] = []
    by_id = {str(s.id): s for s in stages}
    declared = [s.id for s in data.rules.stages]
    missing = [s for s in stages if str(s.id) not in declared]
    for i, stage in enumerate(data.rules.stages):
        path = f"stages[{i}]"
        own = by_id.get(stage.id)
        if own is None:
            problems.append(
                rules.Problem(
                    code="unknown_stage", message=f"阶段编号“{stage.id}”不是本竞赛的环节", path=f"{path}.id"
                )
            )
            continue
        if stage.weight_percent != own.weight_percent:
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
                if len(aspect.id) > MAX_ID_LENGTH or not aspect.id.isprintable():
                    problems.append(
                        rules.Problem(
                            code="id_invalid",
                            message="评分项编号最多40个字符，且不能含控制字符",
                            path=f"{path}.modules[{j}].aspects[{k}].id",
                        )
                    )
                if aspect.step is not None and _decimals(aspect.step) > MARK_DECIMALS:
                    problems.append(
                        rules.Problem(
                            code="step_too_fine",
                            message="步长最多保留3位小数",
                            path=f"{path}.modules[{j}].aspects[{k}].step",
                            aspect_id=aspect.id,
                        )
                    )
    if missing:
        names = "、".join(s.name for s in missing)
        problems.append(
            rules.Problem(code="stage_missing", message=f"评分标准缺少竞赛环节：{names}", path="stages")
        )
    module_ids = {m.id for s in data.rules.stages for m in s.modules}
    for judge in judges:
        for module_id in sorted((judge.module_ids or frozenset()) - module_ids):
            problems.append(
                rules.Problem(
                    code="judge_module_missing",
                    message=f"{judge.judge_no}号裁判被分配的模块“{module_id}”不在评分标准中",
                    path="stages",
                )
            )
    # Stage names default to the competition's own.
    named = tuple(
        msgspec.structs.replace(s, name=by_id[s.id].name) if not s.name and s.id in by_id else s
        for s in data.rules.stages
    )
    return msgspec.structs.replace(data.rules, stages=named), problems


async def get_scheme(user: CurrentUser, competition_id: int) -> SchemeOut:
    await _competition(competition_id)
    if user.role != Role.ORGANIZER:
        await _my_assignment(competition_id, user)
    scheme = await _scheme(competition_id)
    assert scheme is not None
    problems = await panel_problems(competition_id, scheme) if user.role == Role.ORGANIZER else []
    return _scheme_out(scheme, problems)


async def put_scheme(actor: Actor, competition_id: int, data: SchemeIn) -> SchemeOut:
    await _competition(competition_id)
    if not (data.tolerance.is_finite() and 0 <= data.tolerance <= 3) or _decimals(data.tolerance) > 2:
        raise Invalid("允许误差应在0到3之间，最多两位小数", code="tolerance_invalid", field="tolerance")
    stages = await _competition_stages(competition_id)
    judges = await _panel(competition_id)
    competition_rules, problems = _cross_check(data, stages, judges)
    problems = [*rules.validate_rules(competition_rules), *problems]
    _refuse_problems(problems, "rules.", "invalid_rules")
    if judges:
        sizes = _panel_sizes(
            Rubric(competition_rules),
            judges,
            await _drawn_or_registered(competition_id),
            await _stored_recusals(competition_id),
        )
        _refuse_problems(rules.validate_panel(competition_rules, sizes), "rules.", "invalid_panel")
    encoded = msgspec.json.encode(competition_rules).decode()
    now = utcnow()
    try:
        async with write_transaction():
            current = await _scheme(competition_id, required=False)
            if current is None:
                if data.version:
                    raise Conflict(
                        "评分标准已被删除或尚未创建，请刷新",
                        code="stale_version",
                        field="version",
                        detail={"current_version": 0},
                    )
                row = ScoringScheme(
                    competition=competition_id,
                    rules=encoded,
                    tolerance=data.tolerance,
                    appeal_window_hours=data.appeal_window_hours,
                    created_at=now,
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
            else:
                same_rules = msgspec.json.encode(current.rules) == encoded.encode()
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
                updated = await (
                    ScoringScheme.update(
                        {
                            ScoringScheme.rules: encoded,
                            ScoringScheme.tolerance: data.tolerance,
                            ScoringScheme.appeal_window_hours: data.appeal_window_hours,
                            ScoringScheme.version: ScoringScheme.version + 1,
                        }
                    )
                    .where((ScoringScheme.id == current.id) & (ScoringScheme.version == current.version))
                    .returning(ScoringScheme.id)
                )
                if not updated:  # the first mark froze it (and moved the version on) meanwhile
                    raise Conflict(
                        "评分标准已被他人修改或已锁定，请刷新后重试", code="stale_version", field="version"
                    )
                await audit.record(
                    actor,
                    "scheme.update",
                    "scoring_scheme",
                    current.id,
                    before={
                        "rules": msgspec.to_builtins(current.rules),
                        "tolerance": str(current.tolerance),
                        "appeal_window_hours": current.appeal_window_hours,
                    },
                    after={
                        "rules": msgspec.to_builtins(competition_rules),
                        "tolerance": str(data.tolerance),
                        "appeal_window_hours": data.appeal_window_hours,
                    },
                )
    except Exception as exc:
        if is_unique_violation(exc):  # two organizers created it at once
            raise Conflict(
                "评分标准已被他人创建，请刷新后重试", code="stale_version", field="version"
            ) from None
        raise
    scheme = await _scheme(competition_id)
    assert scheme is not None
    return _scheme_out(scheme, await panel_problems(competition_id, scheme))


def scheme_template(stages: Sequence[_CompetitionStage]) -> rules.CompetitionRules:
    """A starting point for the organizer: theory imported out of 100; others a small sample rubric."""
    out = []
    for stage in stages:
        if stage.kind == "theory":
            out.append(
                rules.Stage(
                    id=str(stage.id),
                    name=stage.name,
                    kind="imported",
                    full_marks=Decimal(100),
                    weight_percent=stage.weight_percent,
                )
            )
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
    await _competition(competition_id)
    return scheme_template(await _competition_stages(competition_id))


# ------------------------------------------------------------------------------------------ panel set-up


async def _judge_outs(competition_id: int) -> list[JudgeOut]:
    judges = await _panel(competition_id)
    stored = await _stored_recusals(competition_id)
    registrations = {
        r["id"]: r
        for r in await Registration.select(
            Registration.id,
            Registration.registration_no,
            Registration.station_no,
            Registration.blind_code,
            Registration.employer,
            Registration.status,
        ).where(Registration.competition == competition_id)
    }
    now = utcnow()
    links = await JudgeLink.select(JudgeLink.judge).where(
        (JudgeLink.competition == competition_id)
        & JudgeLink.revoked_at.is_null()
        & (JudgeLink.expires_at > now)
    )
    active_links: dict[int, int] = defaultdict(int)
    for link in links:
        active_links[link["judge"]] += 1
    out = []
    for judge in judges:
        recusals: dict[int, RecusalOut] = {}
        for (judge_id, registration_id), (kind, reason) in stored.items():
            reg = registrations.get(registration_id)
            if judge_id == judge.user_id and reg is not None:
                recusals[registration_id] = RecusalOut(
                    registration_id=registration_id,
                    registration_no=reg["registration_no"],
                    station_no=reg["station_no"],
                    blind_code=reg["blind_code"],
                    kind=kind,
                    reason=reason,
                )
        if judge.employer_id is not None:
            for reg in registrations.values():
                if (
                    reg["employer"] == judge.employer_id
                    and reg["id"] not in recusals
                    and reg["status"] == "accepted"
                ):
                    recusals[reg["id"]] = RecusalOut(
                        registration_id=reg["id"],
                        registration_no=reg["registration_no"],
                        station_no=reg["station_no"],
                        blind_code=reg["blind_code"],
                        kind="employer",
                        reason=EMPLOYER_REASON,
                    )
        out.append(
            JudgeOut(
                user_id=judge.user_id,
                username=judge.username,
                display_name=judge.display_name,
                judge_no=judge.judge_no,
                is_chief=judge.is_chief,
                module_ids=None if judge.module_ids is None else sorted(judge.module_ids),
                employer_id=judge.employer_id,
                recusals=sorted(recusals.values(), key=lambda r: r.registration_id),
                active_links=active_links.get(judge.user_id, 0),
            )
        )
    return out


async def get_panel(competition_id: int) -> PanelOut:
    await _competition(competition_id)
    return PanelOut(
        competition_id=competition_id,
        judges=await _judge_outs(competition_id),
        problems=await panel_problems(competition_id),
    )


async def assign_judges(actor: Actor, competition_id: int, judges_in: Sequence[JudgeIn]) -> PanelOut:
    """Add judges to the panel (or update the chief flag and modules of judges already on it).

    The resulting panel is checked with :func:`rules.validate_panel` (when the rubric exists): a trimmed rule
    that would drop every mark, or a judgement aspect with fewer than 3 judges, refuses the whole request.
    """
    await _competition(competition_id)
    seen: set[int] = set()
    for i, item in enumerate(judges_in):
        if item.user_id in seen:
            raise Invalid("同一裁判重复出现", code="duplicate", field=f"judges[{i}].user_id")
        seen.add(item.user_id)
    if sum(1 for j in judges_in if j.is_chief) > 1:
        raise Invalid("只能指定一名裁判长", code="one_chief", field="judges")
    users = {
        r["id"]: r
        for r in await User.select(User.id, User.role, User.active).where(User.id.is_in(list(seen)))
    }
    for i, item in enumerate(judges_in):
        user = users.get(item.user_id)
        if user is None or user["role"] != Role.JUDGE or not user["active"]:
            raise Invalid("该用户不是有效的裁判账号", code="not_a_judge", field=f"judges[{i}].user_id")
    scheme = await _scheme(competition_id, required=False)
    for i, item in enumerate(judges_in):
        if item.module_ids is None:
            continue
        if scheme is None:
            raise Invalid(
                "请先设置评分标准，再按模块分配裁判", code="no_scheme", field=f"judges[{i}].module_ids"
            )
        known = {m for mods in scheme.rubric.modules_of_stage.values() for m in mods}
        for k, module_id in enumerate(item.module_ids):
            if module_id not in known:
                raise Invalid(
                    f"评分标准中没有模块“{module_id}”",
                    code="unknown_module",
                    field=f"judges[{i}].module_ids[{k}]",
                )
    now = utcnow()
    async with write_transaction():
        await _lock_competition(competition_id)
        current = {j.user_id: j for j in await _panel(competition_id)}
        next_no = max((j.judge_no for j in current.values()), default=0) + 1
        if any(j.is_chief for j in judges_in):
            chief = next(j.user_id for j in judges_in if j.is_chief)
            for judge in current.values():
                if judge.is_chief and judge.user_id != chief:
                    await JudgeAssignment.update({JudgeAssignment.is_chief: False}).where(
                        JudgeAssignment.judge_key == f"{competition_id}:{judge.user_id}"
                    )
                    await audit.record(
                        actor,
                        "judge.update",
                        "judge_assignment",
                        f"{competition_id}:{judge.user_id}",
                        before={"is_chief": True},
                        after={"is_chief": False},
                    )
        for item in judges_in:
            modules = None if item.module_ids is None else json.dumps(sorted(set(item.module_ids)))
            key = f"{competition_id}:{item.user_id}"
            existing = current.get(item.user_id)
            if existing is None:
                await JudgeAssignment.insert(
                    JudgeAssignment(
                        competition=competition_id,
                        judge=item.user_id,
                        judge_key=key,
                        judge_no=next_no,
                        is_chief=item.is_chief,
                        module_ids=modules,
                        created_at=now,
                    )
                )
                await audit.record(
                    actor,
                    "judge.assign",
                    "judge_assignment",
                    key,
                    after={
                        "user_id": item.user_id,
                        "judge_no": next_no,
                        "is_chief": item.is_chief,
                        "module_ids": item.module_ids,
                    },
                )
                next_no += 1
            else:
                before_modules = None if existing.module_ids is None else sorted(existing.module_ids)
                after_modules = None if item.module_ids is None else sorted(set(item.module_ids))
                if existing.is_chief == item.is_chief and before_modules == after_modules:
                    continue
                await JudgeAssignment.update(
                    {JudgeAssignment.is_chief: item.is_chief, JudgeAssignment.module_ids: modules}
                ).where(JudgeAssignment.judge_key == key)
                await audit.record(
                    actor,
                    "judge.update",
                    "judge_assignment",
                    key,
                    before={"is_chief": existing.is_chief, "module_ids": before_modules},
                    after={"is_chief": item.is_chief, "module_ids": after_modules},
                )
        if scheme is not None:
            problems = await panel_problems(competition_id, scheme)
            _refuse_problems(problems, "", "invalid_panel")
        await refresh_recusals(competition_id)
    await _notify(competition_id)
    return await get_panel(competition_id)


async def remove_judge(actor: Actor, competition_id: int, judge_user_id: int) -> PanelOut:
    """Take a judge off the panel (e.g. absent); refused once they have entered marks."""
    scheme = await _scheme(competition_id, required=False)
    async with write_transaction():
        await _lock_competition(competition_id)
        judge = await _assignment(competition_id, judge_user_id)
        if judge is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        if await ScoreSheet.exists().where(
            (ScoreSheet.competition == competition_id) & (ScoreSheet.judge == judge_user_id)
        ):
            raise Conflict("该裁判已录入评分，不能移出裁判组", code="judge_has_marks", field="judge_id")
        await JudgeAssignment.delete().where(JudgeAssignment.judge_key == f"{competition_id}:{judge_user_id}")
        if scheme is None or scheme.frozen_at is None:  # renumber 1..n while no mark names a number
            for later in await _panel(competition_id):
                if later.judge_no > judge.judge_no:
                    await JudgeAssignment.update({JudgeAssignment.judge_no: later.judge_no - 1}).where(
                        JudgeAssignment.judge_key == f"{competition_id}:{later.user_id}"
                    )
        await _revoke_links(competition_id, judge_user_id)
        await audit.record(
            actor,
            "judge.remove",
            "judge_assignment",
            f"{competition_id}:{judge_user_id}",
            before={"user_id": judge_user_id, "judge_no": judge.judge_no, "is_chief": judge.is_chief},
        )
        if scheme is not None:
            _refuse_problems(await panel_problems(competition_id, scheme), "", "invalid_panel")
    await _notify(competition_id)
    return await get_panel(competition_id)


async def _registration_in(
    competition_id: int, registration_id: int | None, registration_no: str | None
) -> int:
    query = Registration.select(Registration.id).where(Registration.competition == competition_id)
    if registration_id is not None:
        field = "registration_id"
        query = query.where(Registration.id == registration_id)
    elif registration_no:
        field = "registration_no"
        query = query.where(Registration.registration_no == registration_no.strip().upper())
    else:
        raise Invalid("请指定选手的报名编号", code="contestant_required", field="registration_no")
    row = await query.first()
    if row is None:
        raise NotFound("本竞赛没有该报名", code="unknown_registration", field=field)
    return row["id"]


async def _add_recusal(
    actor: Actor, competition_id: int, judge_user_id: int, registration_id: int, reason: str
) -> bool:
    inserted = (
        await Recusal.insert(
            Recusal(
                competition=competition_id,
                judge=judge_user_id,
                registration=registration_id,
                recusal_key=f"{judge_user_id}:{registration_id}",
                kind="declared",
                reason=reason,
                created_at=utcnow(),
            )
        )
        .on_conflict(target=Recusal.recusal_key, action="DO NOTHING")
        .returning(Recusal.id)
    )
    if inserted:
        await audit.record(
            actor,
            "recusal.declare",
            "recusal",
            inserted[0]["id"],
            after={"judge_user_id": judge_user_id, "registration_id": registration_id},
            reason=reason,
        )
        # Marks the judge may already have entered stop counting: tolerance flags follow.
        scheme = await _scheme(competition_id, required=False)
        if scheme is not None:
            for stage_id in scheme.rubric.stages:
                aspects = {
                    a.id
                    for a in scheme.rubric.judge_aspects(stage_id, None).values()
                    if a.kind == "judgement"
                }
                if aspects:
                    await _recompute_flags(int(stage_id), registration_id, aspects, scheme.tolerance)
    return bool(inserted)


async def declare_conflict(
    actor: Actor,
    competition_id: int,
    judge_user_id: int,
    registration_id: int | None,
    registration_no: str | None,
    reason: str,
) -> PanelOut:
    async with write_transaction():
        if await _assignment(competition_id, judge_user_id) is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        reg_id = await _registration_in(competition_id, registration_id, registration_no)
        await _add_recusal(actor, competition_id, judge_user_id, reg_id, reason)
    await _notify(competition_id)
    return await get_panel(competition_id)


async def declare_own_conflict(
    user: CurrentUser, actor: Actor, competition_id: int, blind_code: str, reason: str
) -> None:
    await _my_assignment(competition_id, user)
    contestant = await _find_contestant(competition_id, None, blind_code)
    async with write_transaction():
        await _add_recusal(actor, competition_id, user.id, contestant.registration_id, reason)
    await _notify(competition_id)


async def withdraw_conflict(
    actor: Actor, competition_id: int, judge_user_id: int, registration_id: int
) -> PanelOut:
    async with write_transaction():
        deleted = (
            await Recusal.delete()
            .where(
                (Recusal.recusal_key == f"{judge_user_id}:{registration_id}")
                & (Recusal.competition == competition_id)
                & (Recusal.kind == "declared")
            )
            .returning(Recusal.id)
        )
        if not deleted:
            raise NotFound("没有该裁判对该选手的回避声明", code="no_conflict", field="registration_id")
        await audit.record(
            actor,
            "recusal.withdraw",
            "recusal",
            deleted[0]["id"],
            before={"judge_user_id": judge_user_id, "registration_id": registration_id},
        )
    await _notify(competition_id)
    return await get_panel(competition_id)


async def refresh_recusals_now(actor: Actor, competition_id: int) -> PanelOut:
    await _competition(competition_id)
    async with write_transaction():
        await refresh_recusals(competition_id)
    return await get_panel(competition_id)


# --------------------------------------------------------------------------------------- log-in links


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_of_day_shanghai() -> dt.datetime:
    """23:59:59 today in Asia/Shanghai, as UTC."""
    return dt.datetime.combine(today_shanghai(), dt.time(23, 59, 59), tzinfo=SHANGHAI).astimezone(dt.UTC)


def qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=4, border=2)


async def _revoke_links(competition_id: int, judge_user_id: int, *, unused_only: bool = False) -> int:
    query = JudgeLink.select(JudgeLink.id).where(
        (JudgeLink.competition == competition_id)
        & (JudgeLink.judge == judge_user_id)
        & JudgeLink.revoked_at.is_null()
    )
    if unused_only:
        query = query.where(JudgeLink.used_at.is_null())
    ids = [r["id"] for r in await query]
    if ids:
        await JudgeLink.update({JudgeLink.revoked_at: utcnow()}).where(JudgeLink.id.is_in(ids))
        for link_id in ids:
            await end_sessions_from(f"judge_link:{link_id}")
    return len(ids)


async def create_links(
    actor: Actor, competition_id: int, judge_user_ids: Sequence[int] | None, base_url: str
) -> list[LinkOut]:
    """One-time log-in links (and QR codes) valid until 23:59:59 Beijing time today.

    Only the token's hash is stored, so a link can be shown once: a new one for the same judge revokes
    their earlier unused links.
    """
    competition = await _competition(competition_id)
    panel = await _panel(competition_id)
    if judge_user_ids is not None:
        by_id = {j.user_id: j for j in panel}
        if any(j not in by_id for j in judge_user_ids):
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        panel = [by_id[j] for j in judge_user_ids]
    if not panel:
        raise Invalid("本竞赛还没有裁判", code="no_judges", field="competition_id")
    expires_at = end_of_day_shanghai()
    now = utcnow()
    out = []
    async with write_transaction():
        await refresh_recusals(competition.id)
        for judge in panel:
            await _revoke_links(competition_id, judge.user_id, unused_only=True)
            token = secrets.token_urlsafe(32)
            link = JudgeLink(
                competition=competition_id,
                judge=judge.user_id,
                token_hash=_token_hash(token),
                expires_at=expires_at,
                created_at=now,
            )
            await link.save()
            await audit.record(
                actor,
                "judge_link.create",
                "judge_link",
                link.id,
                after={"judge_user_id": judge.user_id, "expires_at": expires_at.isoformat()},
            )
            url = f"{base_url.rstrip('/')}/judge/login?token={token}"
            out.append(
                LinkOut(
                    link_id=link.id,
                    judge_user_id=judge.user_id,
                    judge_no=judge.judge_no,
                    display_name=judge.display_name,
                    is_chief=judge.is_chief,
                    url=url,
                    expires_at=expires_at,
                    qr_svg=qr_svg(url),
                )
            )
    return out


async def revoke_links(actor: Actor, competition_id: int, judge_user_id: int) -> int:
    async with write_transaction():
        if await _assignment(competition_id, judge_user_id) is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        revoked = await _revoke_links(competition_id, judge_user_id)
        await audit.record(
            actor,
            "judge_link.revoke",
            "judge_assignment",
            f"{competition_id}:{judge_user_id}",
            after={"revoked": revoked},
        )
    return revoked


class LinkLogin(msgspec.Struct, kw_only=True):
    session_token: str
    competition_id: int
    expires_at: dt.datetime


async def consume_link(token: str) -> LinkLogin | None:
    """Use a one-time link: mark it used and open a session until its expiry; None if it cannot be used."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    async with write_transaction():
        link = (
            await JudgeLink.select(
                JudgeLink.id,
                JudgeLink.competition,
                JudgeLink.judge,
                JudgeLink.expires_at,
                JudgeLink.judge.active.as_alias("active"),
                JudgeLink.judge.display_name.as_alias("name"),
            )
            .where(JudgeLink.token_hash == _token_hash(token))
            .first()
        )
        if link is None or not link["active"] or link["expires_at"] <= now:
            return None
        if await _assignment(link["competition"], link["judge"]) is None:
            return None
        used = await (
            JudgeLink.update({JudgeLink.used_at: now})
            .where(
                (JudgeLink.id == link["id"]) & JudgeLink.used_at.is_null() & JudgeLink.revoked_at.is_null()
            )
            .returning(JudgeLink.id)
        )
        if not used:
            return None
        session = await start_session(
            link["judge"], expires_at=link["expires_at"], origin=f"judge_link:{link['id']}"
        )
        await audit.record(
            Actor(link["judge"], link["name"], Role.JUDGE), "judge_link.use", "judge_link", link["id"]
        )
    return LinkLogin(session_token=session, competition_id=link["competition"], expires_at=link["expires_at"])


# ------------------------------------------------------------------------------------- the judge's view


async def my_competitions(user: CurrentUser) -> list[dict[str, Any]]:
    rows = (
        await JudgeAssignment.select(
            JudgeAssignment.competition.as_alias("competition_id"),
            JudgeAssignment.competition.title.as_alias("title"),
            JudgeAssignment.competition.occupation.as_alias("occupation"),
            JudgeAssignment.competition.state.as_alias("state"),
            JudgeAssignment.judge_no,
            JudgeAssignment.is_chief,
        )
        .where(JudgeAssignment.judge == user.id)
        .order_by(JudgeAssignment.competition, ascending=False)
    )
    return [{**r, "is_chief": bool(r["is_chief"])} for r in rows]


async def _signed_off(stage_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(stage_ids)
    if not ids:
        return {}
    rows = await StageSignoff.select(StageSignoff.stage, StageSignoff.chief, StageSignoff.signed_at).where(
        StageSignoff.stage.is_in(ids)
    )
    return {r["stage"]: r for r in rows}


async def judge_competition(user: CurrentUser, competition_id: int) -> JudgeCompetitionOut:
    competition = await _competition(competition_id)
    judge = await _my_assignment(competition_id, user)
    scheme = await _scheme(competition_id, required=False)
    stages_out: list[StageView] = []
    if scheme is not None:
        signed = await _signed_off(int(s.id) for s in scheme.rules.stages)
        for stage in scheme.rules.stages:
            modules = [m for m in stage.modules if judge.module_ids is None or m.id in judge.module_ids]
            if stage.kind == "rubric" and not modules:
                continue
            stages_out.append(
                StageView(
                    id=int(stage.id),
                    name=stage.name,
                    kind=stage.kind,
                    full_marks=stage.full_marks,
                    signed_off=int(stage.id) in signed,
                    modules=modules,
                )
            )
    return JudgeCompetitionOut(
        competition_id=competition.id,
        title=competition.title,
        occupation=competition.occupation,
        state=competition.state,
        judge_no=judge.judge_no,
        is_chief=judge.is_chief,
        tolerance=plain(scheme.tolerance) if scheme else Decimal(1),
        has_scheme=scheme is not None,
        stages=stages_out,
    )


async def judge_sheets(user: CurrentUser, competition_id: int) -> list[ContestantRow]:
    """The contestants this judge marks, by station and blind code, with progress per stage."""
    await _competition(competition_id)
    judge = await _my_assignment(competition_id, user)
    scheme = await _scheme(competition_id, required=False)
    contestants = await _drawn(competition_id)
    stored = await _stored_recusals(competition_id)
    mine = [c for c in contestants if not is_recused(judge, c, stored)]
    if scheme is None:
        return [ContestantRow(station_no=c.station_no, blind_code=c.blind_code, stages=[]) for c in mine]
    stage_aspects = {
        int(s.id): scheme.rubric.judge_aspects(s.id, judge.module_ids)
        for s in scheme.rules.stages
        if s.kind == "rubric"
    }
    stage_aspects = {k: v for k, v in stage_aspects.items() if v}
    sheets = await ScoreSheet.select(
        ScoreSheet.id, ScoreSheet.stage, ScoreSheet.registration, ScoreSheet.status, ScoreSheet.version
    ).where((ScoreSheet.competition == competition_id) & (ScoreSheet.judge == user.id))
    by_key = {(s["stage"], s["registration"]): s for s in sheets}
    counts: dict[int, int] = defaultdict(int)
    if sheets:
        for row in await SheetMark.select(SheetMark.sheet).where(
            SheetMark.sheet.is_in([s["id"] for s in sheets])
        ):
            counts[row["sheet"]] += 1
    flags: dict[tuple[int, int], int] = defaultdict(int)
    if stage_aspects:
        my_aspects = {a for v in stage_aspects.values() for a in v}
        for row in await ToleranceFlag.select(
            ToleranceFlag.stage, ToleranceFlag.registration, ToleranceFlag.aspect_id
        ).where(ToleranceFlag.stage.is_in(list(stage_aspects)) & (ToleranceFlag.status == "open")):
            if row["aspect_id"] in my_aspects:
                flags[(row["stage"], row["registration"])] += 1
    out = []
    for contestant in mine:
        progress = []
        for stage_id, aspects in stage_aspects.items():
            sheet = by_key.get((stage_id, contestant.registration_id))
            progress.append(
                StageProgress(
                    stage_id=stage_id,
                    status=sheet["status"] if sheet else "draft",
                    version=sheet["version"] if sheet else 0,
                    marked=counts.get(sheet["id"], 0) if sheet else 0,
                    total=len(aspects),
                    open_flags=flags.get((stage_id, contestant.registration_id), 0)
                    if sheet and sheet["status"] in COUNTED
                    else 0,
                )
            )
        out.append(
            ContestantRow(station_no=contestant.station_no, blind_code=contestant.blind_code, stages=progress)
        )
    return out


class _EntryContext(msgspec.Struct, kw_only=True):
    competition: _Competition
    scheme: Any  # _Scheme
    judge: Judge
    stage: rules.Stage
    contestant: Contestant
    aspects: dict[str, rules.Aspect]
    signed_off: bool = False


# Everything a tablet's read or write needs to know before it may touch a sheet, in one round trip: the
# competition, my assignment (and my employer), the scheme, the contestant, whether I am recused from them,
# whether the stage is signed off, and the stored answer of this client id if it is a replay.
_ENTRY_SQL = """
SELECT c.id AS competition_id, c.title AS title, c.occupation AS occupation, c.state AS state,
  a.judge AS judge_user_id, a.judge_no AS judge_no, a.is_chief AS is_chief, a.module_ids AS module_ids,
  u.username AS username, u.display_name AS display_name, p.employer AS judge_employer,
  sc.id AS scheme_id, sc.rules AS rules, sc.tolerance AS tolerance,
  sc.appeal_window_hours AS appeal_window_hours,
  sc.frozen_at AS frozen_at, sc.scoring_started_at AS scoring_started_at, sc.unblinded_at AS unblinded_at,
  sc.version AS scheme_version,
  r.id AS registration_id, r.station_no AS station_no, r.blind_code AS blind_code,
  r.employer AS registration_employer, r.status AS registration_status,
  (SELECT COUNT(*) FROM recusal rc
    WHERE rc.recusal_key = CAST(a.judge AS TEXT) || ':' || CAST(r.id AS TEXT)) AS recused,
  (SELECT COUNT(*) FROM stage_signoff so WHERE so.stage = {}) AS signed_off
  __REPLAY_COLUMNS__
FROM competition c
LEFT JOIN judge_assignment a ON a.judge_key = {}
LEFT JOIN app_user u ON u.id = a.judge
LEFT JOIN person p ON p.id = u.person
LEFT JOIN scoring_scheme sc ON sc.competition = c.id
LEFT JOIN registration r ON r.competition = c.id AND __REGISTRATION__
__REPLAY_JOIN__
WHERE c.id = {}
"""


async def _entry_context(
    user: CurrentUser,
    competition_id: int,
    stage_id: int,
    registration_id: int | None,
    blind_code: str | None,
    *,
    client_id: uuid.UUID | None = None,
) -> _EntryContext | SheetOut:
    """The checked context of a judge's sheet, or (given a client id already used) its stored answer."""
    from competitions.rules import normalize_blind_code

    if registration_id is None and not blind_code:
        raise Invalid("请指定选手（加密号或报名编号）", code="contestant_required", field="blind_code")
    args: list[Any] = [stage_id, f"{competition_id}:{user.id}"]
    if registration_id is not None:
        registration_sql, field = "r.id = {}", "registration_id"
        args.append(registration_id)
    else:
        registration_sql, field = "r.blind_code = {}", "blind_code"
        args.append(normalize_blind_code(blind_code or "") or (blind_code or "").strip().upper())
    replay_columns = replay_join = ""
    if client_id is not None:
        replay_columns = ", sub.response AS replay, ss.judge AS replay_judge"
        replay_join = (
            "LEFT JOIN submission sub ON sub.client_id = {} LEFT JOIN score_sheet ss ON ss.id = sub.sheet"
        )
        args.append(client_id)
    args.append(competition_id)
    sql = (
        _ENTRY_SQL.replace("__REPLAY_COLUMNS__", replay_columns)
        .replace("__REGISTRATION__", registration_sql)
        .replace("__REPLAY_JOIN__", replay_join)
    )
    rows = await ScoreSheet.raw(sql, *args)
    if not rows:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    row = rows[0]
    if client_id is not None and row["replay"] is not None:
        if row["replay_judge"] != user.id:
            raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
        return _decode_response(row["replay"])
    if row["judge_no"] is None:
        raise Forbidden("您不是本竞赛的裁判", code="not_assigned", field="competition_id")
    if row["scheme_id"] is None:
        raise NotFound("本竞赛尚未设置评分标准", code="no_scheme", field="competition_id")
    competition = _Competition(
        id=row["competition_id"], title=row["title"], occupation=row["occupation"], state=row["state"]
    )
    scheme = _Scheme(
        id=row["scheme_id"],
        competition_id=competition_id,
        rubric=_rubric(row["rules"]),
        tolerance=row["tolerance"],
        appeal_window_hours=row["appeal_window_hours"],
        frozen_at=row["frozen_at"],
        scoring_started_at=row["scoring_started_at"],
        unblinded_at=row["unblinded_at"],
        version=row["scheme_version"],
    )
    judge = _judge(
        {
            "user_id": row["judge_user_id"],
            "username": row["username"],
            "display_name": row["display_name"],
            "employer_id": row["judge_employer"],
            "judge_no": row["judge_no"],
            "is_chief": row["is_chief"],
            "module_ids": row["module_ids"],
        }
    )
    stage = scheme.rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    if stage.kind != "rubric":
        raise Invalid(
            f"环节“{stage.name}”使用导入成绩，不由裁判录入", code="imported_stage", field="stage_id"
        )
    aspects = scheme.rubric.judge_aspects(stage.id, judge.module_ids)
    if not aspects:
        raise Forbidden("您未被分配该环节的评分模块", code="not_assigned_stage", field="stage_id")
    if (
        row["registration_id"] is None
        or row["station_no"] is None
        or row["blind_code"] is None
        or row["registration_status"] != "accepted"
    ):
        raise NotFound("本竞赛没有该加密号的参赛选手", code="unknown_contestant", field=field)
    contestant = Contestant(
        registration_id=row["registration_id"],
        station_no=row["station_no"],
        blind_code=row["blind_code"],
        employer_id=row["registration_employer"],
    )
    if row["recused"] or is_recused(judge, contestant, ()):
        raise Forbidden("您需回避该选手，不能查看或评分", code="recused", field="blind_code")
    return _EntryContext(
        competition=competition,
        scheme=scheme,
        judge=judge,
        stage=stage,
        contestant=contestant,
        aspects=aspects,
        signed_off=bool(row["signed_off"]),
    )


def _decode_response(raw: Any) -> SheetOut:
    return msgspec.json.decode(
        raw.encode() if isinstance(raw, str) else msgspec.json.encode(raw), type=SheetOut
    )


def _sheet_key(stage_id: int, registration_id: int, judge_user_id: int) -> str:
    return f"{stage_id}:{registration_id}:{judge_user_id}"


async def _sheet_marks(sheet_id: int) -> dict[str, Decimal]:
    rows = await SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(SheetMark.sheet == sheet_id)
    return {r["aspect_id"]: plain(r["value"]) for r in rows}


def _mark_outs(marks: Mapping[str, Decimal], order: Iterable[str]) -> list[MarkOut]:
    ordered = [a for a in order if a in marks] + sorted(a for a in marks if a not in set(order))
    return [MarkOut(aspect_id=a, value=marks[a]) for a in ordered]


async def _sheet_flags(stage_id: int, registration_id: int, aspect_ids: Iterable[str]) -> list[FlagOut]:
    wanted = set(aspect_ids)
    rows = (
        await ToleranceFlag.select(
            ToleranceFlag.id,
            ToleranceFlag.aspect_id,
            ToleranceFlag.spread,
            ToleranceFlag.status,
            ToleranceFlag.reason,
        )
        .where(
            (ToleranceFlag.stage == stage_id)
            & (ToleranceFlag.registration == registration_id)
            & (ToleranceFlag.status != "resolved")
        )
        .order_by(ToleranceFlag.id)
    )
    return [
        FlagOut(
            id=r["id"],
            aspect_id=r["aspect_id"],
            spread=plain(r["spread"]),
            status=r["status"],
            reason=r["reason"],
        )
        for r in rows
        if r["aspect_id"] in wanted
    ]


_SHEET_COLUMNS = (
    ScoreSheet.id,
    ScoreSheet.status,
    ScoreSheet.version,
    ScoreSheet.submitted_at,
    ScoreSheet.signed_at,
)


async def _sheet_out(ctx: _EntryContext, sheet: dict[str, Any] | None, signed_off: bool) -> SheetOut:
    stage_id = int(ctx.stage.id)
    if sheet is None:
        return SheetOut(
            sheet_id=None,
            competition_id=ctx.competition.id,
            stage_id=stage_id,
            station_no=ctx.contestant.station_no,
            blind_code=ctx.contestant.blind_code,
            status="draft",
            version=0,
            marks=[],
            flags=[],
            stage_signed_off=signed_off,
        )
    marks = await _sheet_marks(sheet["id"])
    flags = (
        await _sheet_flags(stage_id, ctx.contestant.registration_id, marks.keys())
        if sheet["status"] in COUNTED
        else []
    )
    return SheetOut(
        sheet_id=sheet["id"],
        competition_id=ctx.competition.id,
        stage_id=stage_id,
        station_no=ctx.contestant.station_no,
        blind_code=ctx.contestant.blind_code,
        status=sheet["status"],
        version=sheet["version"],
        marks=_mark_outs(marks, ctx.aspects),
        flags=flags,
        submitted_at=sheet["submitted_at"],
        signed_at=sheet["signed_at"],
        stage_signed_off=signed_off,
    )


async def get_sheet(user: CurrentUser, competition_id: int, stage_id: int, blind_code: str) -> SheetOut:
    ctx = await _entry_context(user, competition_id, stage_id, None, blind_code)
    assert isinstance(ctx, _EntryContext)
    sheet = (
        await ScoreSheet.select(*_SHEET_COLUMNS)
        .where(ScoreSheet.sheet_key == _sheet_key(stage_id, ctx.contestant.registration_id, user.id))
        .first()
    )
    return await _sheet_out(ctx, sheet, ctx.signed_off)


def _check_marks(data: SheetIn, aspects: Mapping[str, rules.Aspect], rubric: Rubric) -> None:
    def not_markable(i: int, aspect_id: str) -> Invalid:
        known = aspect_id in rubric.aspects
        return Invalid(
            f"评分项“{aspect_id}”" + ("不由您在本环节评分" if known else "不在评分标准中"),
            code="aspect_not_assigned" if known else "unknown_aspect",
            field=f"marks[{i}].aspect_id",
            detail={"aspect_id": aspect_id},
        )

    check_marks(data.marks, aspects, not_markable)


class MarkLike(Protocol):
    aspect_id: str
    value: Decimal


def check_marks(
    marks: Sequence[MarkLike],
    aspects: Mapping[str, rules.Aspect],
    not_markable: Callable[[int, str], Invalid],
) -> None:
    """Refuse a sheet write (422 naming ``marks[i]``) with a mark for an aspect this marker may not mark,
    the same aspect twice, or a value its aspect does not allow. Shared by judges' sheets and experts'
    review sheets; ``not_markable`` words the first refusal for each."""
    seen: set[str] = set()
    for i, mark in enumerate(marks):
        aspect = aspects.get(mark.aspect_id)
        if aspect is None:
            raise not_markable(i, mark.aspect_id)
        if mark.aspect_id in seen:
            raise Invalid(
                f"评分项“{mark.aspect_id}”重复",
                code="duplicate_aspect",
                field=f"marks[{i}].aspect_id",
                detail={"aspect_id": mark.aspect_id},
            )
        seen.add(mark.aspect_id)
        problem = rules.validate_mark(aspect, mark.value)
        if problem is None and _decimals(mark.value) > MARK_DECIMALS:
            problem = rules.Problem(
                code="mark_too_precise",
                message=f"评分项“{aspect.id}”的分数最多保留3位小数",
                path="value",
                aspect_id=aspect.id,
            )
        if problem is not None:
            label = f"（{aspect.name}）" if aspect.name else ""
            raise Invalid(
                problem.message + label,
                code=problem.code,
                field=f"marks[{i}].value",
                detail={"aspect_id": aspect.id, "index": i},
            )


async def _stored_submission(client_id: uuid.UUID, judge_user_id: int) -> SheetOut | None:
    row = (
        await Submission.select(Submission.response, Submission.sheet.judge.as_alias("judge"))
        .where(Submission.client_id == client_id)
        .first()
    )
    if row is None:
        return None
    if row["judge"] != judge_user_id:
        raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
    return _decode_response(row["response"])


async def put_sheet(user: CurrentUser, actor: Actor, data: SheetIn) -> tuple[SheetOut, bool]:
    """Save (draft) or submit marks of one sheet; returns (sheet, replayed).

    Reads and checks that cannot go stale run first, outside the write lock (a replay's stored answer,
    assignment, recusal, the rubric, every mark's validity, the stage sign-off: signing a stage needs every
    sheet signed, and signing bumps the sheet's version). Then one transaction: the versioned update, every
    mark, the audit row, the scheme freeze, the tolerance flags and the stored answer commit together or
    not at all. A concurrent replay is caught by the version check or the unique client id and answered
    from the stored record.
    """
    ctx = await _entry_context(
        user,
        data.competition_id,
        data.stage_id,
        data.registration_id,
        data.blind_code,
        client_id=data.client_id,
    )
    if isinstance(ctx, SheetOut):  # a replay: the first answer, nothing written
        return ctx, True
    if ctx.competition.state == "finished":
        raise Conflict("竞赛已结束，评分已锁定", code="competition_finished", field="competition_id")
    _check_marks(data, ctx.aspects, ctx.scheme.rubric)
    if ctx.signed_off:
        raise Conflict(
            "该环节已由裁判长签字确认，评分已锁定；如需更正请联系裁判长",
            code="stage_signed_off",
            field="stage_id",
        )
    try:
        async with write_transaction():
            out = await _write_sheet(ctx, user, actor, data)
            if out is None:  # lost a race with a replay of itself: the stored answer is committed
                replay = await _stored_submission(data.client_id, user.id)
                assert replay is not None
                return replay, True
    except DomainError:
        raise
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        replay = await _stored_submission(data.client_id, user.id)
        if replay is None:
            raise
        return replay, True
    await _notify(data.competition_id)
    return out, False


async def _write_sheet(ctx: _EntryContext, user: CurrentUser, actor: Actor, data: SheetIn) -> SheetOut | None:
    registration_id = ctx.contestant.registration_id
    key = _sheet_key(data.stage_id, registration_id, user.id)
    now = utcnow()
    sheet = await ScoreSheet.select(*_SHEET_COLUMNS).where(ScoreSheet.sheet_key == key).first()
    if sheet is None:
        await ScoreSheet.insert(
            ScoreSheet(
                competition=data.competition_id,
                stage=data.stage_id,
                registration=registration_id,
                judge=user.id,
                sheet_key=key,
                status="draft",
                version=0,
                updated_at=now,
            )
        ).on_conflict(target=ScoreSheet.sheet_key, action="DO NOTHING")
        sheet = await ScoreSheet.select(*_SHEET_COLUMNS).where(ScoreSheet.sheet_key == key).first()
        assert sheet is not None
    if sheet["status"] == "signed":
        raise Conflict(
            "该评分表已签字确认，评分已锁定；如需更正请联系裁判长", code="sheet_signed", field="base_version"
        )
    old_status = sheet["status"]
    new_status = "submitted" if data.submit or old_status == "submitted" else "draft"
    values: dict[Any, Any] = {
        ScoreSheet.version: ScoreSheet.version + 1,
        ScoreSheet.status: new_status,
        ScoreSheet.updated_at: now,
    }
    if new_status == "submitted" and old_status != "submitted":
        values[ScoreSheet.submitted_at] = now
    updated = await (
        ScoreSheet.update(values)
        .where((ScoreSheet.id == sheet["id"]) & (ScoreSheet.version == data.base_version))
        .returning(ScoreSheet.version, ScoreSheet.status)
    )
    if not updated:
        if await _stored_submission(data.client_id, user.id) is not None:
            return None
        current = await ScoreSheet.select(*_SHEET_COLUMNS).where(ScoreSheet.id == sheet["id"]).first()
        assert current is not None
        if current["status"] == "signed":
            raise Conflict("该评分表已签字确认，评分已锁定", code="sheet_signed", field="base_version")
        marks = await _sheet_marks(sheet["id"])
        raise _stale(current["version"], current["status"], _mark_outs(marks, ctx.aspects))
    existing = await _sheet_marks(sheet["id"])
    changed = {m.aspect_id: m.value for m in data.marks if existing.get(m.aspect_id) != m.value}
    if changed:
        await SheetMark.insert(
            *(
                SheetMark(
                    sheet=sheet["id"],
                    aspect_id=aspect_id,
                    mark_key=f"{sheet['id']}:{aspect_id}",
                    value=value,
                    updated_at=now,
                )
                for aspect_id, value in changed.items()
            )
        ).on_conflict(
            target=SheetMark.mark_key, action="DO UPDATE", values=[SheetMark.value, SheetMark.updated_at]
        )
    after = {**existing, **{a: plain(v) for a, v in changed.items()}}
    if new_status == "submitted":
        missing = [a for a in ctx.aspects if a not in after]
        if missing:
            raise Invalid(
                f"还有{len(missing)}个评分项未评分，不能提交",
                code="sheet_incomplete",
                field="marks",
                detail={"missing": missing},
            )
    if changed or new_status != old_status:
        action = "sheet.submit" if new_status != old_status else "sheet.save"
        await audit.record(
            actor,
            action,
            "score_sheet",
            sheet["id"],
            before={
                "status": old_status,
                "marks": {a: (str(existing[a]) if a in existing else None) for a in changed},
            },
            after={
                "status": new_status,
                "marks": {a: str(plain(v)) for a, v in changed.items()},
                "station_no": ctx.contestant.station_no,
                "stage_id": data.stage_id,
            },
        )
    if changed and ctx.scheme.frozen_at is None:
        await _freeze(ctx.scheme, now)
    if new_status in COUNTED and (changed or new_status != old_status):
        judgement = {
            a
            for a in (ctx.aspects if new_status != old_status else changed)
            if ctx.aspects[a].kind == "judgement"
        }
        if judgement:
            await _recompute_flags(data.stage_id, registration_id, judgement, ctx.scheme.tolerance)
    sheet_out = SheetOut(
        sheet_id=sheet["id"],
        competition_id=data.competition_id,
        stage_id=data.stage_id,
        station_no=ctx.contestant.station_no,
        blind_code=ctx.contestant.blind_code,
        status=new_status,
        version=updated[0]["version"],
        marks=_mark_outs(after, ctx.aspects),
        flags=await _sheet_flags(data.stage_id, registration_id, after.keys())
        if new_status in COUNTED
        else [],
        submitted_at=now
        if new_status == "submitted" and old_status != "submitted"
        else sheet["submitted_at"],
        signed_at=None,
    )
    await Submission.insert(
        Submission(
            client_id=data.client_id,
            sheet=sheet["id"],
            response=msgspec.json.encode(sheet_out).decode(),
            created_at=now,
        )
    )
    return sheet_out


async def _freeze(scheme: _Scheme, now: dt.datetime) -> None:
    """Freeze the scheme the marks were checked against (the first mark); its version moves on, so an
    organizer's edit racing with the first mark fails its version check instead of changing a frozen
    rubric, and a first mark checked against a rubric that changed meanwhile is refused."""
    frozen = await (
        ScoringScheme.update(
            {
                ScoringScheme.frozen_at: now,
                ScoringScheme.scoring_started_at: now,
                ScoringScheme.version: ScoringScheme.version + 1,
            }
        )
        .where(
            (ScoringScheme.id == scheme.id)
            & ScoringScheme.frozen_at.is_null()
            & (ScoringScheme.version == scheme.version)
        )
        .returning(ScoringScheme.id)
    )
    if not frozen:
        current = await _scheme(scheme.competition_id)
        assert current is not None
        if (
            current.frozen_at is None
            or current.rubric is not scheme.rubric
            or current.tolerance != scheme.tolerance
        ):
            raise Conflict(
                "评分标准刚被修改，请刷新页面后重新录入", code="rubric_changed", field="competition_id"
            )
    if frozen:
        await audit.record(
            SYSTEM,
            "scheme.freeze",
            "scoring_scheme",
            scheme.id,
            after={"frozen_at": now.isoformat()},
            reason="首个评分录入，评分标准锁定",
        )
        await _transition_started(scheme.competition_id)


async def _recompute_flags(
    stage_id: int, registration_id: int, aspect_ids: set[str], tolerance: Decimal
) -> None:
    """Open, re-open or resolve the tolerance flags of some judgement aspects of one contestant.

    Counted sheets only (submitted or signed), judges recused from the contestant left out. Writers of
    one contestant's marks take turns here (SQLite's write transaction already serialises them; on
    PostgreSQL an advisory lock per stage and contestant), so two judges submitting at once both see
    each other's marks and no spread slips through unflagged.
    """
    if engine_name() == "postgres":
        await ScoreSheet.raw("SELECT pg_advisory_xact_lock({}, {})", stage_id, registration_id)
    recused = [
        r["judge"] for r in await Recusal.select(Recusal.judge).where(Recusal.registration == registration_id)
    ]
    query = SheetMark.select(SheetMark.aspect_id, SheetMark.value).where(
        (SheetMark.sheet.stage == stage_id)
        & (SheetMark.sheet.registration == registration_id)
        & SheetMark.sheet.status.is_in(list(COUNTED))
        & SheetMark.aspect_id.is_in(sorted(aspect_ids))
    )
    if recused:
        query = query.where(SheetMark.sheet.judge.not_in(recused))
    values: dict[str, list[Decimal]] = defaultdict(list)
    for row in await query:
        values[row["aspect_id"]].append(row["value"])
    flags = {
        r["aspect_id"]: r
        for r in await ToleranceFlag.select(
            ToleranceFlag.id, ToleranceFlag.aspect_id, ToleranceFlag.status, ToleranceFlag.spread
        ).where(
            (ToleranceFlag.stage == stage_id)
            & (ToleranceFlag.registration == registration_id)
            & ToleranceFlag.aspect_id.is_in(sorted(aspect_ids))
        )
    }
    now = utcnow()
    for aspect_id in sorted(aspect_ids):
        marks = values.get(aspect_id, [])
        spread = (max(marks) - min(marks)) if len(marks) >= 2 else Decimal(0)
        flag = flags.get(aspect_id)
        if spread > tolerance:
            if flag is None:
                await ToleranceFlag.insert(
                    ToleranceFlag(
                        stage=stage_id,
                        registration=registration_id,
                        aspect_id=aspect_id,
                        flag_key=f"{stage_id}:{registration_id}:{aspect_id}",
                        status="open",
                        spread=spread,
                        updated_at=now,
                    )
                ).on_conflict(
                    target=ToleranceFlag.flag_key,
                    action="DO UPDATE",
                    values=[ToleranceFlag.status, ToleranceFlag.spread, ToleranceFlag.updated_at],
                )
            else:  # marks changed: whatever was accepted before no longer describes them
                await ToleranceFlag.update(
                    {
                        ToleranceFlag.status: "open",
                        ToleranceFlag.spread: spread,
                        ToleranceFlag.accepted_by: None,
                        ToleranceFlag.reason: "",
                        ToleranceFlag.updated_at: now,
                    }
                ).where(ToleranceFlag.id == flag["id"])
        elif flag is not None and flag["status"] != "resolved":
            await ToleranceFlag.update(
                {
                    ToleranceFlag.status: "resolved",
                    ToleranceFlag.spread: spread,
                    ToleranceFlag.updated_at: now,
                }
            ).where(ToleranceFlag.id == flag["id"])


# ------------------------------------------------------------------------------------------ sign-off


async def _open_flags_of_sheet(sheet: Mapping[str, Any]) -> list[str]:
    marked = {
        r["aspect_id"]
        for r in await SheetMark.select(SheetMark.aspect_id).where(SheetMark.sheet == sheet["id"])
    }
    rows = await ToleranceFlag.select(ToleranceFlag.aspect_id).where(
        (ToleranceFlag.stage == sheet["stage"])
        & (ToleranceFlag.registration == sheet["registration"])
        & (ToleranceFlag.status == "open")
    )
    return sorted(r["aspect_id"] for r in rows if r["aspect_id"] in marked)


async def _sign_one(actor: Actor, sheet: Mapping[str, Any], version: int | None) -> int:
    if sheet["status"] == "signed":
        return sheet["id"]
    if sheet["status"] != "submitted":
        raise Conflict("评分表尚未提交，不能签字", code="sheet_not_submitted", field="sheet_id")
    open_flags = await _open_flags_of_sheet(sheet)
    if open_flags:
        raise Conflict(
            "该评分表有超出允许误差的评分项，请复核或等待裁判长确认后再签字",
            code="open_tolerance_flags",
            field="sheet_id",
            detail={"aspect_ids": open_flags},
        )
    expected = sheet["version"] if version is None else version
    now = utcnow()
    updated = await (
        ScoreSheet.update(
            {
                ScoreSheet.status: "signed",
                ScoreSheet.signed_at: now,
                ScoreSheet.version: ScoreSheet.version + 1,
                ScoreSheet.updated_at: now,
            }
        )
        .where(
            (ScoreSheet.id == sheet["id"])
            & (ScoreSheet.version == expected)
            & (ScoreSheet.status == "submitted")
        )
        .returning(ScoreSheet.id)
    )
    if not updated:
        raise Conflict(
            "评分表已被更新，请刷新后重试",
            code="stale_version",
            field="version",
            detail={"current_version": sheet["version"]},
        )
    await audit.record(
        actor,
        "sheet.sign",
        "score_sheet",
        sheet["id"],
        before={"status": "submitted"},
        after={"status": "signed"},
    )
    return sheet["id"]


_SIGN_COLUMNS = (
    ScoreSheet.id,
    ScoreSheet.competition,
    ScoreSheet.stage,
    ScoreSheet.registration,
    ScoreSheet.judge,
    ScoreSheet.status,
    ScoreSheet.version,
)


async def sign_sheet(user: CurrentUser, actor: Actor, sheet_id: int, version: int | None) -> SignOut:
    async with write_transaction():
        sheet = await ScoreSheet.select(*_SIGN_COLUMNS).where(ScoreSheet.id == sheet_id).first()
        if sheet is None or sheet["judge"] != user.id:
            raise NotFound("评分表不存在", field="sheet_id")
        await _my_assignment(sheet["competition"], user)
        await _sign_one(actor, sheet, version)
    await _notify(sheet["competition"])
    return SignOut(signed=[sheet_id], skipped=[])


async def sign_stage_sheets(user: CurrentUser, actor: Actor, competition_id: int, stage_id: int) -> SignOut:
    """Sign every submitted sheet of mine in a stage; sheets with open tolerance flags are skipped."""
    await _my_assignment(competition_id, user)
    signed: list[int] = []
    skipped: list[int] = []
    async with write_transaction():
        sheets = await ScoreSheet.select(*_SIGN_COLUMNS).where(
            (ScoreSheet.competition == competition_id)
            & (ScoreSheet.stage == stage_id)
            & (ScoreSheet.judge == user.id)
            & (ScoreSheet.status == "submitted")
        )
        for sheet in sheets:
            if await _open_flags_of_sheet(sheet):
                skipped.append(sheet["id"])
                continue
            signed.append(await _sign_one(actor, sheet, None))
    if signed:
        await _notify(competition_id)
    return SignOut(signed=signed, skipped=skipped)


async def _signoff_blockers(
    scheme: _Scheme, stage: rules.Stage, competition_id: int
) -> dict[str, list[dict[str, Any]]]:
    stage_id = int(stage.id)
    contestants = await _drawn(competition_id)
    if stage.kind == "imported":
        have = {
            r["registration"]
            for r in await ImportedMark.select(ImportedMark.registration).where(
                ImportedMark.stage == stage_id
            )
        }
        missing = [
            {"station_no": c.station_no, "blind_code": c.blind_code}
            for c in contestants
            if c.registration_id not in have
        ]
        return {"missing_imported": missing} if missing else {}
    judges = [j for j in await _panel(competition_id) if scheme.rubric.covers_stage(stage.id, j.module_ids)]
    stored = await _stored_recusals(competition_id)
    sheets = {
        (r["registration"], r["judge"]): r["status"]
        for r in await ScoreSheet.select(ScoreSheet.registration, ScoreSheet.judge, ScoreSheet.status).where(
            ScoreSheet.stage == stage_id
        )
    }
    unsigned = []
    for contestant in contestants:
        for judge in judges:
            if is_recused(judge, contestant, stored):
                continue
            status = sheets.get((contestant.registration_id, judge.user_id), "not_started")
            if status != "signed":
                unsigned.append(
                    {
                        "judge_no": judge.judge_no,
                        "station_no": contestant.station_no,
                        "blind_code": contestant.blind_code,
                        "status": status,
                    }
                )
    by_registration = {c.registration_id: c for c in contestants}
    open_flags = []
    for r in await ToleranceFlag.select(
        ToleranceFlag.id, ToleranceFlag.registration, ToleranceFlag.aspect_id, ToleranceFlag.spread
    ).where((ToleranceFlag.stage == stage_id) & (ToleranceFlag.status == "open")):
        contestant = by_registration.get(r["registration"])
        open_flags.append(
            {
                "id": r["id"],
                "aspect_id": r["aspect_id"],
                "spread": str(plain(r["spread"])),
                "station_no": contestant.station_no if contestant else None,
                "blind_code": contestant.blind_code if contestant else None,
            }
        )
    blockers: dict[str, list[dict[str, Any]]] = {}
    if open_flags:
        blockers["open_flags"] = open_flags
    if unsigned:
        blockers["unsigned_sheets"] = unsigned
    if not contestants:
        blockers["no_contestants"] = []
    return blockers


async def signoff_stage(user: CurrentUser, actor: Actor, competition_id: int, stage_id: int) -> SignoffOut:
    """The chief judge signs a stage: refused (409) while tolerance flags are open or sheets unsigned."""
    await _competition(competition_id)
    await _require_chief(competition_id, user)
    scheme = await _scheme(competition_id)
    assert scheme is not None
    stage = scheme.rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    now = utcnow()
    try:
        async with write_transaction():
            if await StageSignoff.exists().where(StageSignoff.stage == stage_id):
                raise Conflict("该环节已签字确认", code="already_signed_off", field="stage_id")
            blockers = await _signoff_blockers(scheme, stage, competition_id)
            if blockers:
                parts = []
                if "open_flags" in blockers:
                    parts.append(f"{len(blockers['open_flags'])}个评分项超出允许误差未处理")
                if "unsigned_sheets" in blockers:
                    parts.append(f"{len(blockers['unsigned_sheets'])}份评分表未签字")
                if "missing_imported" in blockers:
                    parts.append(f"{len(blockers['missing_imported'])}名选手缺少导入成绩")
                if "no_contestants" in blockers:
                    parts.append("没有已抽签的选手")
                raise Conflict(
                    "不能签字确认：" + "，".join(parts),
                    code="signoff_blocked",
                    field="stage_id",
                    detail=blockers,
                )
            await StageSignoff.insert(StageSignoff(stage=stage_id, chief=user.id, signed_at=now))
            await audit.record(
                actor, "stage.signoff", "stage", stage_id, after={"competition_id": competition_id}
            )
    except DomainError:
        raise
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("该环节已签字确认", code="already_signed_off", field="stage_id") from None
        raise
    await _notify(competition_id)
    return SignoffOut(stage_id=stage_id, chief_user_id=user.id, signed_at=now)


async def accept_flag(user: CurrentUser, actor: Actor, flag_id: int, reason: str) -> FlagOut:
    row = (
        await ToleranceFlag.select(
            ToleranceFlag.id,
            ToleranceFlag.aspect_id,
            ToleranceFlag.status,
            ToleranceFlag.spread,
            ToleranceFlag.stage.competition.as_alias("competition_id"),
            ToleranceFlag.registration,
        )
        .where(ToleranceFlag.id == flag_id)
        .first()
    )
    if row is None:
        raise NotFound("没有该误差提示", field="flag_id")
    competition_id = row["competition_id"]
    await _require_chief(competition_id, user)
    async with write_transaction():
        updated = await (
            ToleranceFlag.update(
                {
                    ToleranceFlag.status: "accepted",
                    ToleranceFlag.accepted_by: user.id,
                    ToleranceFlag.reason: reason,
                    ToleranceFlag.updated_at: utcnow(),
                }
            )
            .where((ToleranceFlag.id == flag_id) & (ToleranceFlag.status == "open"))
            .returning(ToleranceFlag.id)
        )
        if not updated:
            raise Conflict("该误差提示已处理", code="flag_not_open", field="flag_id")
        await audit.record(
            actor,
            "flag.accept",
            "tolerance_flag",
            flag_id,
            before={"status": "open", "aspect_id": row["aspect_id"], "spread": str(plain(row["spread"]))},
            after={"status": "accepted"},
            reason=reason,
        )
    await _notify(competition_id)
    return FlagOut(
        id=flag_id, aspect_id=row["aspect_id"], spread=plain(row["spread"]), status="accepted", reason=reason
    )


# -------------------------------------------------------------------------------- the chief's overview


async def chief_overview(user: CurrentUser, competition_id: int) -> ChiefOverview:
    competition = await _competition(competition_id)
    is_chief = await _may_oversee(competition_id, user)
    scheme = await _scheme(competition_id, required=False)
    contestants = await _drawn(competition_id)
    by_registration = {c.registration_id: c for c in contestants}
    judges = await _panel(competition_id)
    judge_no = {j.user_id: j.judge_no for j in judges}
    stored = await _stored_recusals(competition_id)
    stages_out: list[ChiefStage] = []
    flags_out: list[FlagDetail] = []
    if scheme is not None:
        stage_ids = [int(s.id) for s in scheme.rules.stages]
        signed = await _signed_off(stage_ids)
        sheets = await ScoreSheet.select(
            ScoreSheet.stage, ScoreSheet.registration, ScoreSheet.judge, ScoreSheet.status
        ).where(ScoreSheet.competition == competition_id)
        status_of = {(s["stage"], s["registration"], s["judge"]): s["status"] for s in sheets}
        flags = (
            await ToleranceFlag.select(
                ToleranceFlag.id,
                ToleranceFlag.stage,
                ToleranceFlag.registration,
                ToleranceFlag.aspect_id,
                ToleranceFlag.spread,
                ToleranceFlag.status,
                ToleranceFlag.reason,
            )
            .where(ToleranceFlag.stage.is_in(stage_ids) & (ToleranceFlag.status != "resolved"))
            .order_by(ToleranceFlag.id)
        )
        imported = defaultdict(int)
        for r in await ImportedMark.select(ImportedMark.stage).where(ImportedMark.stage.is_in(stage_ids)):
            imported[r["stage"]] += 1
        for stage in scheme.rules.stages:
            sid = int(stage.id)
            progress = []
            for judge in judges:
                if stage.kind != "rubric" or not scheme.rubric.covers_stage(stage.id, judge.module_ids):
                    continue
                counts = {"not_started": 0, "draft": 0, "submitted": 0, "signed": 0}
                expected = 0
                for contestant in contestants:
                    if is_recused(judge, contestant, stored):
                        continue
                    expected += 1
                    counts[
                        status_of.get((sid, contestant.registration_id, judge.user_id), "not_started")
                    ] += 1
                progress.append(
                    JudgeStageProgress(
                        judge_user_id=judge.user_id,
                        judge_no=judge.judge_no,
                        display_name=judge.display_name,
                        is_chief=judge.is_chief,
                        expected=expected,
                        **counts,
                    )
                )
            stages_out.append(
                ChiefStage(
                    stage_id=sid,
                    name=stage.name,
                    kind=stage.kind,
                    signed_off_at=signed[sid]["signed_at"] if sid in signed else None,
                    judges=progress,
                    open_flags=sum(1 for f in flags if f["stage"] == sid and f["status"] == "open"),
                    imported=imported.get(sid, 0),
                    contestants=len(contestants),
                )
            )
        if flags:
            flag_marks: dict[tuple[int, int, str], list[FlagMark]] = defaultdict(list)
            rows = await SheetMark.select(
                SheetMark.sheet.stage.as_alias("stage"),
                SheetMark.sheet.registration.as_alias("registration"),
                SheetMark.sheet.judge.as_alias("judge"),
                SheetMark.aspect_id,
                SheetMark.value,
            ).where(
                (SheetMark.sheet.competition == competition_id)
                & SheetMark.sheet.status.is_in(list(COUNTED))
                & SheetMark.aspect_id.is_in(sorted({f["aspect_id"] for f in flags}))
            )
            for r in rows:
                if (r["judge"], r["registration"]) in stored:
                    continue
                flag_marks[(r["stage"], r["registration"], r["aspect_id"])].append(
                    FlagMark(judge_no=judge_no.get(r["judge"], 0), value=plain(r["value"]))
                )
            for f in flags:
                contestant = by_registration.get(f["registration"])
                if contestant is None:
                    continue
                aspect = scheme.rubric.aspects.get(f["aspect_id"])
                flags_out.append(
                    FlagDetail(
                        id=f["id"],
                        stage_id=f["stage"],
                        station_no=contestant.station_no,
                        blind_code=contestant.blind_code,
                        aspect_id=f["aspect_id"],
                        aspect_name=aspect.name if aspect else "",
                        spread=plain(f["spread"]),
                        status=f["status"],
                        reason=f["reason"],
                        marks=sorted(
                            flag_marks.get((f["stage"], f["registration"], f["aspect_id"]), []),
                            key=lambda m: m.judge_no,
                        ),
                    )
                )
    facts = await _facts(c.registration_id for c in contestants)
    return ChiefOverview(
        competition_id=competition.id,
        title=competition.title,
        state=competition.state,
        is_chief=is_chief,
        stages=stages_out,
        flags=flags_out,
        contestants=[_facts_out(c, facts.get(c.registration_id)) for c in contestants],
    )


async def _facts(registration_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(registration_ids)
    if not ids:
        return {}
    rows = await ContestantFacts.select(
        ContestantFacts.registration,
        ContestantFacts.time_used_seconds,
        ContestantFacts.disqualified,
        ContestantFacts.disqualified_reason,
        ContestantFacts.version,
    ).where(ContestantFacts.registration.is_in(ids))
    return {r["registration"]: r for r in rows}


def _facts_out(contestant: Contestant, row: Mapping[str, Any] | None) -> ContestantFactsOut:
    return ContestantFactsOut(
        station_no=contestant.station_no,
        blind_code=contestant.blind_code,
        disqualified=bool(row and row["disqualified"]),
        reason=row["disqualified_reason"] if row else "",
        time_used_seconds=plain(row["time_used_seconds"])
        if row and row["time_used_seconds"] is not None
        else None,
        version=row["version"] if row else 0,
    )


async def chief_sheets(user: CurrentUser, competition_id: int, blind_code: str | None) -> list[SheetSummary]:
    """Every judge's sheets (by judge number), for the chief judge or an organizer to review and correct."""
    await _competition(competition_id)
    await _may_oversee(competition_id, user)
    contestants = {c.registration_id: c for c in await _drawn(competition_id)}
    judge_no = {j.user_id: j.judge_no for j in await _panel(competition_id)}
    query = ScoreSheet.select(
        ScoreSheet.id,
        ScoreSheet.stage,
        ScoreSheet.registration,
        ScoreSheet.judge,
        ScoreSheet.status,
        ScoreSheet.version,
    ).where(ScoreSheet.competition == competition_id)
    if blind_code:
        contestant = await _find_contestant(competition_id, None, blind_code)
        query = query.where(ScoreSheet.registration == contestant.registration_id)
    sheets = await query.order_by(ScoreSheet.id)
    marks: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if sheets:
        for r in await SheetMark.select(SheetMark.sheet, SheetMark.aspect_id, SheetMark.value).where(
            SheetMark.sheet.is_in([s["id"] for s in sheets])
        ):
            marks[r["sheet"]][r["aspect_id"]] = plain(r["value"])
    out = []
    for s in sheets:
        contestant = contestants.get(s["registration"])
        if contestant is None:
            continue
        out.append(
            SheetSummary(
                sheet_id=s["id"],
                stage_id=s["stage"],
                judge_no=judge_no.get(s["judge"], 0),
                station_no=contestant.station_no,
                blind_code=contestant.blind_code,
                status=s["status"],
                version=s["version"],
                marks=[MarkOut(aspect_id=a, value=v) for a, v in sorted(marks[s["id"]].items())],
            )
        )
    out.sort(key=lambda s: (s.station_no, s.stage_id, s.judge_no))
    return out


# ------------------------------------------------------------------- corrections and contestant facts


async def correct_mark(user: CurrentUser, actor: Actor, data: CorrectionIn) -> SheetSummary:
    """A correction of one mark on a submitted or signed sheet (also after sign-off and publication)."""
    sheet = await ScoreSheet.select(*_SIGN_COLUMNS).where(ScoreSheet.id == data.sheet_id).first()
    if sheet is None:
        raise NotFound("评分表不存在", field="sheet_id")
    competition_id = sheet["competition"]
    if user.role != Role.ORGANIZER:
        await _require_chief(competition_id, user)
    if sheet["status"] not in COUNTED:
        raise Conflict("评分表尚未提交，由裁判本人修改", code="sheet_not_submitted", field="sheet_id")
    scheme = await _scheme(competition_id)
    assert scheme is not None
    judge = await _assignment(competition_id, sheet["judge"])
    modules = judge.module_ids if judge is not None else None
    aspects = scheme.rubric.judge_aspects(str(sheet["stage"]), modules)
    aspect = aspects.get(data.aspect_id)
    if aspect is None:
        raise Invalid(f"评分项“{data.aspect_id}”不在该评分表中", code="unknown_aspect", field="aspect_id")
    problem = rules.validate_mark(aspect, data.value)
    if problem is None and _decimals(data.value) > MARK_DECIMALS:
        problem = rules.Problem(code="mark_too_precise", message="分数最多保留3位小数", path="value")
    if problem is not None:
        raise Invalid(problem.message, code=problem.code, field="value", detail={"aspect_id": aspect.id})
    now = utcnow()
    async with write_transaction():
        current = await ScoreSheet.select(*_SIGN_COLUMNS).where(ScoreSheet.id == data.sheet_id).first()
        assert current is not None
        version = current["version"] if data.base_version is None else data.base_version
        existing = await _sheet_marks(data.sheet_id)
        old = existing.get(data.aspect_id)
        if old is not None and old == data.value:
            raise Invalid("新分数与原分数相同", code="no_change", field="value")
        updated = await (
            ScoreSheet.update({ScoreSheet.version: ScoreSheet.version + 1, ScoreSheet.updated_at: now})
            .where((ScoreSheet.id == data.sheet_id) & (ScoreSheet.version == version))
            .returning(ScoreSheet.version)
        )
        if not updated:
            raise _stale(current["version"], current["status"], _mark_outs(existing, aspects))
        await SheetMark.insert(
            SheetMark(
                sheet=data.sheet_id,
                aspect_id=data.aspect_id,
                mark_key=f"{data.sheet_id}:{data.aspect_id}",
                value=data.value,
                updated_at=now,
            )
        ).on_conflict(
            target=SheetMark.mark_key, action="DO UPDATE", values=[SheetMark.value, SheetMark.updated_at]
        )
        await audit.record(
            actor,
            "mark.correct",
            "score_sheet",
            data.sheet_id,
            before={
                "aspect_id": data.aspect_id,
                "value": None if old is None else str(old),
                "judge_no": judge.judge_no if judge else None,
            },
            after={"aspect_id": data.aspect_id, "value": str(plain(data.value))},
            reason=data.reason,
        )
        if aspect.kind == "judgement":
            await _recompute_flags(sheet["stage"], sheet["registration"], {aspect.id}, scheme.tolerance)
    await _notify(competition_id)
    contestant = next(c for c in await _drawn(competition_id) if c.registration_id == sheet["registration"])
    marks = await _sheet_marks(data.sheet_id)
    return SheetSummary(
        sheet_id=data.sheet_id,
        stage_id=sheet["stage"],
        judge_no=judge.judge_no if judge else 0,
        station_no=contestant.station_no,
        blind_code=contestant.blind_code,
        status=current["status"],
        version=updated[0]["version"],
        marks=[MarkOut(aspect_id=a, value=v) for a, v in sorted(marks.items())],
    )


async def _upsert_facts(
    registration_id: int, values: dict[Any, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    before = (await _facts([registration_id])).get(registration_id)
    if before is None:
        await ContestantFacts.insert(ContestantFacts(registration=registration_id)).on_conflict(
            target=ContestantFacts.registration, action="DO NOTHING"
        )
    await ContestantFacts.update({**values, ContestantFacts.version: ContestantFacts.version + 1}).where(
        ContestantFacts.registration == registration_id
    )
    after = (await _facts([registration_id]))[registration_id]
    return before, after


async def disqualify(
    user: CurrentUser, actor: Actor, competition_id: int, data: DisqualifyIn
) -> ContestantFactsOut:
    """取消资格 by the chief judge: marks stay on record; the contestant gets no rank or prize."""
    await _require_chief(competition_id, user)
    contestant = await _find_contestant(competition_id, data.registration_id, data.blind_code)
    async with write_transaction():
        before, after = await _upsert_facts(
            contestant.registration_id,
            {
                ContestantFacts.disqualified: data.disqualified,
                ContestantFacts.disqualified_reason: data.reason if data.disqualified else "",
            },
        )
        await audit.record(
            actor,
            "contestant.disqualify" if data.disqualified else "contestant.reinstate",
            "registration",
            contestant.registration_id,
            before={
                "disqualified": bool(before and before["disqualified"]),
                "station_no": contestant.station_no,
            },
            after={"disqualified": data.disqualified, "station_no": contestant.station_no},
            reason=data.reason,
        )
    await _notify(competition_id)
    return _facts_out(contestant, after)


async def set_time_used(
    user: CurrentUser, actor: Actor, competition_id: int, data: TimeUsedIn
) -> ContestantFactsOut:
    if user.role != Role.ORGANIZER:
        await _require_chief(competition_id, user)
    seconds = data.seconds
    if seconds is not None and not (
        seconds.is_finite() and 0 <= seconds <= 864000 and _decimals(seconds) <= 1
    ):
        raise Invalid(
            "用时应为0到864000秒之间的数字，最多一位小数", code="time_used_invalid", field="seconds"
        )
    contestant = await _find_contestant(competition_id, data.registration_id, data.blind_code)
    async with write_transaction():
        before, after = await _upsert_facts(
            contestant.registration_id, {ContestantFacts.time_used_seconds: seconds}
        )
        old = before["time_used_seconds"] if before else None
        await audit.record(
            actor,
            "contestant.time_used",
            "registration",
            contestant.registration_id,
            before={"time_used_seconds": None if old is None else str(plain(old))},
            after={"time_used_seconds": None if data.seconds is None else str(data.seconds)},
        )
    await _notify(competition_id)
    return _facts_out(contestant, after)


# ----------------------------------------------------------------------------------- imported marks

_CODE_HEADERS = {"加密号", "密号", "抽签号", "blind_code", "blindcode"}
_NUMBER_HEADERS = {"报名编号", "报名号", "registration_no", "registrationno"}
_VALUE_HEADERS = {"成绩", "分数", "理论成绩", "考试成绩", "得分", "score", "mark"}


def _header_index(header: Sequence[str], names: set[str]) -> int | None:
    for index, text in enumerate(header):
        if text.replace(" ", "").replace("*", "").lower() in names:
            return index
    return None


def _cell_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


async def import_marks(actor: Actor, competition_id: int, stage_id: int, content: bytes) -> ImportResult:
    """One mark per contestant for an imported stage (the theory exam), by blind code or registration number.

    All or nothing: any bad row refuses the file with every row's problem listed (422).
    """
    from competitions.schemas import RowError
    from competitions.sheets import SheetError, read_table

    await _competition(competition_id)
    scheme = await _scheme(competition_id)
    assert scheme is not None
    stage = scheme.rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    if stage.kind != "imported":
        raise Invalid(f"环节“{stage.name}”不使用导入成绩", code="stage_not_imported", field="stage_id")
    try:
        header, rows = read_table(content)
    except SheetError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from None
    code_at = _header_index(header, _CODE_HEADERS)
    number_at = _header_index(header, _NUMBER_HEADERS)
    value_at = _header_index(header, _VALUE_HEADERS)
    if value_at is None or (code_at is None and number_at is None):
        raise Invalid("表格须包含“加密号”或“报名编号”列，以及“成绩”列", code="missing_columns", field="file")
    registrations = await Registration.select(
        Registration.id, Registration.registration_no, Registration.blind_code, Registration.status
    ).where(Registration.competition == competition_id)
    by_code = {r["blind_code"]: r for r in registrations if r["blind_code"] and r["status"] == "accepted"}
    by_number = {r["registration_no"]: r for r in registrations if r["status"] == "accepted"}
    from competitions.rules import normalize_blind_code

    errors: list[RowError] = []
    parsed: dict[int, tuple[int, Decimal]] = {}

    def error(row: int, column: str, field: str, code: str, message: str) -> None:
        errors.append(RowError(row=row, column=column, field=field, code=code, message=message))

    def cell(cells: list[Any], index: int | None) -> Any:
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in rows:
        reg = None
        code_text = str(cell(cells, code_at) or "").strip()
        number_text = str(cell(cells, number_at) or "").strip().upper()
        if code_text:
            reg = by_code.get(normalize_blind_code(code_text) or code_text.upper())
            if reg is None:
                error(
                    number,
                    "加密号",
                    "blind_code",
                    "unknown_contestant",
                    f"加密号“{code_text[:20]}”不是本竞赛的选手",
                )
                continue
        elif number_text:
            reg = by_number.get(number_text)
            if reg is None:
                error(
                    number,
                    "报名编号",
                    "registration_no",
                    "unknown_contestant",
                    f"报名编号“{number_text[:20]}”不是本竞赛的选手",
                )
                continue
        else:
            error(number, "加密号", "blind_code", "required", "缺少加密号或报名编号")
            continue
        value = _cell_decimal(cell(cells, value_at))
        if value is None:
            error(number, "成绩", "value", "not_a_number", "成绩不是有效数字")
            continue
        problem = rules.validate_imported_mark(stage, value)
        if problem is None and _decimals(value) > IMPORTED_DECIMALS:
            problem = rules.Problem(code="mark_too_precise", message="成绩最多保留4位小数", path="value")
        if problem is not None:
            error(number, "成绩", "value", problem.code, problem.message)
            continue
        if reg["id"] in parsed:
            error(
                number,
                "加密号" if code_text else "报名编号",
                "blind_code" if code_text else "registration_no",
                "duplicate_in_file",
                f"与第 {parsed[reg['id']][0]} 行为同一选手",
            )
            continue
        parsed[reg["id"]] = (number, value)
    if errors:
        raise Invalid(
            f"共有{len(errors)}行有误，未导入任何成绩",
            code="rows_invalid",
            field="file",
            detail={"errors": [msgspec.to_builtins(e) for e in errors]},
        )
    if not parsed:
        raise Invalid("表格中没有成绩数据", code="empty_file", field="file")
    now = utcnow()
    number_of = {r["id"]: r["registration_no"] for r in registrations}
    async with write_transaction():
        if await StageSignoff.exists().where(StageSignoff.stage == stage_id):
            raise Conflict(
                "该环节已签字确认，成绩已锁定；如需更正请联系裁判长",
                code="stage_signed_off",
                field="stage_id",
            )
        existing = {
            r["registration"]: plain(r["value"])
            for r in await ImportedMark.select(ImportedMark.registration, ImportedMark.value).where(
                ImportedMark.stage == stage_id
            )
        }
        changed = {reg_id: value for reg_id, (_, value) in parsed.items() if existing.get(reg_id) != value}
        if changed:
            await ImportedMark.insert(
                *(
                    ImportedMark(
                        stage=stage_id,
                        registration=reg_id,
                        mark_key=f"{stage_id}:{reg_id}",
                        value=value,
                        updated_at=now,
                    )
                    for reg_id, value in changed.items()
                )
            ).on_conflict(
                target=ImportedMark.mark_key,
                action="DO UPDATE",
                values=[ImportedMark.value, ImportedMark.updated_at],
            )
            await audit.record(
                actor,
                "imported_mark.import",
                "stage",
                stage_id,
                before={number_of[r]: (str(existing[r]) if r in existing else None) for r in changed},
                after={number_of[r]: str(plain(v)) for r, v in changed.items()},
            )
            if scheme.frozen_at is None:
                await _freeze(scheme, now)
    if changed:
        await _notify(competition_id)
    return ImportResult(stage_id=stage_id, total_rows=len(rows), imported=len(parsed), changed=len(changed))


async def imported_marks(competition_id: int, stage_id: int) -> list[ImportedMarkOut]:
    await _competition(competition_id)
    rows = await ImportedMark.select(
        ImportedMark.registration,
        ImportedMark.value,
        ImportedMark.registration.registration_no.as_alias("registration_no"),
        ImportedMark.registration.station_no.as_alias("station_no"),
        ImportedMark.registration.blind_code.as_alias("blind_code"),
    ).where((ImportedMark.stage == stage_id) & (ImportedMark.registration.competition == competition_id))
    return sorted(
        (
            ImportedMarkOut(
                registration_id=r["registration"],
                registration_no=r["registration_no"],
                station_no=r["station_no"],
                blind_code=r["blind_code"],
                value=plain(r["value"]),
            )
            for r in rows
        ),
        key=lambda m: m.registration_no,
    )


# -------------------------------------------------------------------------- inputs for the results half


class ScoringInputs(msgspec.Struct, kw_only=True):
    """Everything the pure engine needs for one competition, as the results half consumes it.

    - ``rules``: the declared :class:`rules.CompetitionRules`.
    - ``subjects``: one per drawn contestant (``subject_id = str(registration id)``), in station order, with
      imported stage marks, time used and disqualification.
    - ``marks``: submitted and signed sheets only (drafts never count), without marks of judges recused
      from the contestant or on aspects outside their modules.
    - ``expected``: the judges due on each (subject, aspect): the panel for the aspect's module minus
      recusals; every (subject, rubric aspect) pair has an entry.
    - ``blind``: subject id -> (station number, blind code); ``judge_numbers``: str(user id) -> judge number.
    - the rest describe the scheme: version, unblinded time, appeal window, stage sign-offs.
    """

    competition_id: int
    rules: rules.CompetitionRules
    subjects: list[rules.SubjectInput]
    marks: list[rules.Mark]
    expected: dict[tuple[str, str], tuple[str, ...]]
    blind: dict[str, tuple[int, str]]
    judge_numbers: dict[str, int]
    scheme_version: int = 0
    frozen_at: dt.datetime | None = None
    unblinded_at: dt.datetime | None = None
    appeal_window_hours: int = 2
    signed_off_stages: dict[str, dt.datetime] = msgspec.field(default_factory=dict)
    open_flags: int = 0


_FIELD_SEP, _MARK_SEP = "\x1f", "\x1e"  # ASCII unit / record separators (ids are printable)


async def _counted_marks(competition_id: int) -> list[tuple[int, int, str]]:
    """(registration, judge, packed marks) per counted sheet: one row per sheet, not per mark.

    280,000 marks come back as 7,000 rows of ``aspect\x1fvalue\x1e...``: the database concatenates in C,
    which is four to five times faster than a row per mark through the driver. Values are the exact
    decimal text (SQLite prints its stored number, PostgreSQL's ``trim_scale`` drops padding zeros).
    """
    if engine_name() == "sqlite":
        packed = "group_concat(m.aspect_id || char(31) || m.value, char(30))"
    else:
        packed = "string_agg(m.aspect_id || chr(31) || trim_scale(m.value)::text, chr(30))"
    rows = await ScoreSheet.raw(
        "SELECT s.registration AS r, s.judge AS j, "
        + packed
        + " AS marks FROM score_sheet s JOIN sheet_mark m ON m.sheet = s.id"
        " WHERE s.competition = {} AND s.status IN ('submitted', 'signed')"
        " GROUP BY s.id, s.registration, s.judge",
        competition_id,
    )
    return [(row["r"], row["j"], row["marks"]) for row in rows]


async def load_scoring_inputs(competition_id: int) -> ScoringInputs:
    """The engine's inputs for a competition (raises NotFound ``no_scheme`` before a rubric is set).

    A handful of queries whatever the size: scheme, contestants, panel, recusals, marks (one join), imported
    marks, contestant facts, sign-offs, open flags.
    """
    scheme = await _scheme(competition_id)
    assert scheme is not None
    rubric: Rubric = scheme.rubric
    contestants = await _drawn(competition_id)
    judges = await _panel(competition_id)
    stored = await _stored_recusals(competition_id)
    judge_ids = {j.user_id: str(j.user_id) for j in judges}
    # Per aspect: the judges whose modules cover it (the same tuple object shared by every subject).
    covering: dict[str, tuple[str, ...]] = {}
    for aspect_id, module_id in rubric.module_of.items():
        covering[aspect_id] = tuple(
            judge_ids[j.user_id] for j in judges if j.module_ids is None or module_id in j.module_ids
        )
    expected: dict[tuple[str, str], tuple[str, ...]] = {}
    excluded: dict[int, set[str]] = {}  # registration id -> judges recused from it
    for contestant in contestants:
        subject = str(contestant.registration_id)
        recused = {judge_ids[j.user_id] for j in judges if is_recused(j, contestant, stored)}
        if recused:
            excluded[contestant.registration_id] = recused
            for aspect_id, js in covering.items():
                expected[(subject, aspect_id)] = tuple(j for j in js if j not in recused)
        else:
            for aspect_id, js in covering.items():
                expected[(subject, aspect_id)] = js
    allowed = {aspect_id: frozenset(js) for aspect_id, js in covering.items()}
    subjects_known = {c.registration_id for c in contestants}
    marks: list[rules.Mark] = []
    append = marks.append
    for registration_id, judge_user_id, packed in await _counted_marks(competition_id):
        if registration_id not in subjects_known:
            continue
        judge = str(judge_user_id)
        subject = str(registration_id)
        recused = excluded.get(registration_id)
        if recused and judge in recused:
            continue
        for item in packed.split(_MARK_SEP):
            aspect_id, _, value = item.partition(_FIELD_SEP)
            if judge in allowed.get(aspect_id, ()):
                append(
                    rules.Mark(subject_id=subject, aspect_id=aspect_id, judge_id=judge, value=Decimal(value))
                )
    imported_stage_ids = [int(s.id) for s in rubric.rules.stages if s.kind == "imported"]
    imported: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if imported_stage_ids:
        for r in await ImportedMark.select(
            ImportedMark.stage, ImportedMark.registration, ImportedMark.value
        ).where(ImportedMark.stage.is_in(imported_stage_ids)):
            imported[r["registration"]][str(r["stage"])] = r["value"]
    facts = await _facts(subjects_known)
    subjects = []
    for contestant in contestants:
        fact = facts.get(contestant.registration_id)
        subjects.append(
            rules.SubjectInput(
                subject_id=str(contestant.registration_id),
                imported=imported.get(contestant.registration_id, {}),
                time_used=fact["time_used_seconds"] if fact else None,
                disqualified=bool(fact and fact["disqualified"]),
            )
        )
    stage_ids = [int(s.id) for s in rubric.rules.stages]
    signed = await _signed_off(stage_ids)
    open_flags = (
        await ToleranceFlag.count().where(
            ToleranceFlag.stage.is_in(stage_ids) & (ToleranceFlag.status == "open")
        )
        if stage_ids
        else 0
    )
    return ScoringInputs(
        competition_id=competition_id,
        rules=rubric.rules,
        subjects=subjects,
        marks=marks,
        expected=expected,
        blind={str(c.registration_id): (c.station_no, c.blind_code) for c in contestants},
        judge_numbers={str(j.user_id): j.judge_no for j in judges},
        scheme_version=scheme.version,
        frozen_at=scheme.frozen_at,
        unblinded_at=scheme.unblinded_at,
        appeal_window_hours=scheme.appeal_window_hours,
        signed_off_stages={str(k): v["signed_at"] for k, v in signed.items()},
        open_flags=open_flags,
    )


__all__ = [
    "Contestant",
    "Judge",
    "ScoringInputs",
    "is_recused",
    "load_scoring_inputs",
    "plain",
]
