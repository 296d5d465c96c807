"""Use cases of the first half of the awards pipeline: programmes, nominations (one by one and by
spreadsheet), attachments, the competition-results feed, direct nominations and eligibility review.

Each use case loads, calls the pure rules (``awards.rules``, ``competitions.rules``, ``scoring.rules``),
then writes and audits inside one ``core.db.write_transaction()``.

The nomination quota holds under concurrency: every nominating transaction first takes the programme row
(``FOR SHARE`` on PostgreSQL, so many unions nominate at once while a transition or a quota edit, which
update that row, wait for them), then one lock per quota group (a transaction-scoped advisory lock on
PostgreSQL), and only then counts. On SQLite ``BEGIN IMMEDIATE`` already serialises every writer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit, consent
from accounts.audit import Actor
from accounts.notices import Notice
from accounts.rules import INDUSTRIES, Role
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from accounts.service import new_person_row, stale
from accounts.tables import Enterprise, GrassrootsUnion, Person
from awards import sheets, storage
from awards.rules import (
    ALLOWED_TRANSITIONS,
    STATE_NAMES,
    NominationQuotaError,
    ProgrammeState,
    StructuralConstraint,
    check_nomination_quota,
    transition_error,
)
from awards.schemas import (
    ATTRIBUTE_NAMES,
    KIND_NAMES,
    Achievements,
    AttachmentOut,
    BulkConfirmIn,
    BulkConfirmOut,
    CompetitionResultItem,
    ConstraintIn,
    ConstraintOut,
    DirectNominationsOut,
    EligibilityCounts,
    EligibilityDecisionIn,
    EligibilityReason,
    NominationIn,
    NominationOut,
    NominationPatch,
    NominationsPage,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    ProgrammePublic,
    PublishedResult,
    QualifyingResult,
    QuotaOut,
    RowError,
    TransitionIn,
    UnionProgrammeOut,
    UploadedRow,
    UploadResult,
    WithdrawIn,
)
from awards.tables import Attachment, Nomination, Programme, Reviewer
from competitions.rules import (
    EligibilityRules,
    PersonFacts,
    check_eligibility,
    skill_level_label,
)
from competitions.rules import validate_rules as validate_eligibility_rules
from competitions.tables import Competition, Registration
from core import crypto
from core.db import SHANGHAI, engine, engine_name, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from scoring.rules import TIER_NAMES, CompetitionRules
from scoring.rules import validate_rules as validate_review_rules
from scoring.tables import Publication

ACTIVE = "nominated"
WITHDRAWN = "withdrawn"
# Nominations still in the running for the review (the later states are the second half's).
LIVE_STATUSES = ("nominated", "shortlisted", "awarded")
_CHUNK = 500  # rows per INSERT / values per IN (...): far under both engines' bound-parameter limits

# Which programme states each kind of edit is allowed in.
RULE_STATES = frozenset({ProgrammeState.DRAFT, ProgrammeState.OPEN})
REVIEW_RULE_STATES = RULE_STATES | {ProgrammeState.ELIGIBILITY_REVIEW}
TOTAL_STATES = REVIEW_RULE_STATES | {ProgrammeState.EXPERT_REVIEW}
NOTICE_STATES = TOTAL_STATES | {ProgrammeState.SHORTLIST}
ELIGIBILITY_REVIEW_STATES = frozenset({ProgrammeState.OPEN, ProgrammeState.ELIGIBILITY_REVIEW})
_RULE_FIELDS = (
    "year",
    "kind",
    "nomination_opens_at",
    "nomination_closes_at",
    "quota_scope",
    "default_quota",
    "quotas",
    "eligibility",
    "constraints",
    "qualifying_results",
    "deed_max_chars",
)
_JSON_FIELDS = ("quotas", "eligibility", "constraints", "review_rules", "qualifying_results")

# The extra checks a transition runs inside its transaction, registered by the later half of the pipeline
# (e.g. computing the notice dates on entering the public notice): ``await check(actor, programme_row)``
# may raise a DomainError to refuse, or write (but must not bump ``programme.version``).
TransitionCheck = Callable[[Actor, dict[str, Any]], Awaitable[None]]
TRANSITION_CHECKS: dict[str, list[TransitionCheck]] = {}


def on_transition(target: str) -> Callable[[TransitionCheck], TransitionCheck]:
    """Register ``check`` to run when a programme enters ``target`` (see :data:`TRANSITION_CHECKS`)."""

    def register(check: TransitionCheck) -> TransitionCheck:
        checks = TRANSITION_CHECKS.setdefault(str(target), [])
        if check not in checks:
            checks.append(check)
        return check

    return register


# --- small helpers ----------------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _decode(value: Any, kind: Any) -> Any:
    if value is None or value in ("null", b"null"):
        return None
    if isinstance(value, str | bytes):
        return msgspec.json.decode(value, type=kind)
    return msgspec.convert(value, kind)


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _flip(status: str) -> str:
    return "ineligible" if status == "eligible" else "eligible"


def _nomination_key(programme_id: int, person_id: int) -> str:
    return f"{programme_id}:{person_id}"


@asynccontextmanager
async def _read_snapshot() -> AsyncIterator[None]:
    """Several reads on one connection: on SQLite one aiosqlite connection (a thread) instead of one per
    query, in a deferred transaction that takes no write lock; on PostgreSQL one pooled connection."""
    async with engine().transaction():
        yield


# --- programmes -------------------------------------------------------------------------------------------


async def _programme_row(programme_id: int) -> dict[str, Any]:
    row = await Programme.select().where(Programme.id == programme_id).first()
    if row is None:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    return row


def _programme_values(row: dict[str, Any]) -> dict[str, Any]:
    """The row's JSON columns decoded into their Structs."""
    return {
        **row,
        "quotas": _decode(row["quotas"], dict[str, int]) or {},
        "eligibility": _decode(row["eligibility"], EligibilityRules) or EligibilityRules(),
        "constraints": _decode(row["constraints"], list[ConstraintIn]) or [],
        "review_rules": _decode(row["review_rules"], CompetitionRules),
        "qualifying_results": _decode(row["qualifying_results"], list[QualifyingResult]) or [],
    }


def constraint_of(constraint: ConstraintIn) -> StructuralConstraint:
    """The pure rules' form of a programme constraint (for awards.rules.compute_shortlist)."""
    return StructuralConstraint(
        attribute=constraint.attribute,
        bound=constraint.bound,
        percent=constraint.percent,
        label=constraint.label or ATTRIBUTE_NAMES.get(constraint.attribute, constraint.attribute),
    )


def eligibility_text(rules: EligibilityRules, qualifying: Sequence[QualifyingResult] = ()) -> list[str]:
    """The rules in words, for the programme pages and the public notice."""
    lines: list[str] = []
    if rules.min_age is not None and rules.max_age is not None:
        lines.append(f"年龄 {rules.min_age}–{rules.max_age} 周岁")
    elif rules.min_age is not None:
        lines.append(f"年满 {rules.min_age} 周岁")
    elif rules.max_age is not None:
        lines.append(f"年龄不超过 {rules.max_age} 周岁")
    if rules.least_senior_level is not None:
        lines.append(f"职业技能等级{skill_level_label(rules.least_senior_level)}及以上")
    if rules.most_senior_level is not None:
        lines.append(f"职业技能等级{skill_level_label(rules.most_senior_level)}及以下")
    if rules.min_years_employed is not None:
        lines.append(f"在本区连续工作满 {rules.min_years_employed} 年")
    if rules.union_member_required:
        lines.append("须为工会会员")
    if rules.zone_enterprise_required:
        lines.append("须为本区登记注册企业职工")
    if rules.front_line_only:
        lines.append("限一线职工")
    if rules.age_reference_date is not None:
        lines.append(f"年龄与工作年限计算至 {rules.age_reference_date.isoformat()}")
    for q in qualifying:
        prize = "、".join(TIER_NAMES[t] for t in range(1, q.max_tier + 1))
        effect = "视为符合资格" if q.effect == "eligible" else "直接推荐"
        lines.append(f"竞赛 #{q.competition_id} 获{prize}者{effect}")
    return lines


def _allowed(state: str) -> list[str]:
    return sorted(ALLOWED_TRANSITIONS.get(state, frozenset()))


def _open_now(row: dict[str, Any], now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        row["state"] == ProgrammeState.OPEN
        and row["nomination_opens_at"] <= now < row["nomination_closes_at"]
    )


def _programme_out(row: dict[str, Any], nominations: int) -> ProgrammeOut:
    v = _programme_values(row)
    return ProgrammeOut(
        id=row["id"],
        name=row["name"],
        year=row["year"],
        kind=row["kind"],
        kind_name=KIND_NAMES.get(row["kind"], row["kind"]),
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        allowed_transitions=_allowed(row["state"]),
        nomination_opens_at=row["nomination_opens_at"],
        nomination_closes_at=row["nomination_closes_at"],
        nomination_open_now=_open_now(row),
        total_awards=row["total_awards"],
        quota_scope=row["quota_scope"],
        default_quota=row["default_quota"],
        quotas=v["quotas"],
        eligibility=v["eligibility"],
        eligibility_text=eligibility_text(v["eligibility"], v["qualifying_results"]),
        constraints=[_constraint_out(c) for c in v["constraints"]],
        review_rules=v["review_rules"],
        qualifying_results=v["qualifying_results"],
        deed_max_chars=row["deed_max_chars"],
        notice_length=row["notice_length"],
        notice_unit=row["notice_unit"],
        notice_starts_on=row["notice_starts_on"],
        notice_ends_on=row["notice_ends_on"],
        nominations=nominations,
        version=row["version"],
    )


def _constraint_out(c: ConstraintIn) -> ConstraintOut:
    return ConstraintOut(
        attribute=c.attribute,
        bound=c.bound,
        percent=c.percent,
        label=c.label or ATTRIBUTE_NAMES[c.attribute],
        text=constraint_of(c).describe(),
    )


def programme_public(row: dict[str, Any]) -> ProgrammePublic:
    v = _programme_values(row)
    return ProgrammePublic(
        id=row["id"],
        name=row["name"],
        year=row["year"],
        kind=row["kind"],
        kind_name=KIND_NAMES.get(row["kind"], row["kind"]),
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        nomination_opens_at=row["nomination_opens_at"],
        nomination_closes_at=row["nomination_closes_at"],
        total_awards=row["total_awards"],
        eligibility_text=eligibility_text(v["eligibility"], v["qualifying_results"]),
        constraints=[constraint_of(c).describe() for c in v["constraints"]],
        notice_length=row["notice_length"],
        notice_unit=row["notice_unit"],
        notice_starts_on=row["notice_starts_on"],
        notice_ends_on=row["notice_ends_on"],
    )


async def _active_count(programme_id: int) -> int:
    return await Nomination.count().where(
        (Nomination.programme == programme_id) & (Nomination.status != WITHDRAWN)
    )


async def get_programme(programme_id: int) -> ProgrammeOut:
    row = await _programme_row(programme_id)
    return _programme_out(row, await _active_count(programme_id))


async def list_programmes(*, state: str | None = None, year: int | None = None) -> list[ProgrammeOut]:
    query = Programme.select().order_by(Programme.year, ascending=False).order_by(Programme.id)
    condition = Programme.id > 0
    if state:
        condition &= Programme.state == state
    if year:
        condition &= Programme.year == year
    rows = await query.where(condition)
    counts = await _counts_by_programme([r["id"] for r in rows])
    return [_programme_out(r, counts.get(r["id"], 0)) for r in rows]


async def _counts_by_programme(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = (
        await Nomination.select(Nomination.programme, Count())
        .where(Nomination.programme.is_in(ids) & (Nomination.status != WITHDRAWN))
        .group_by(Nomination.programme)
    )
    return {r["programme"]: r["count"] for r in rows}


async def list_public_programmes() -> list[ProgrammePublic]:
    rows = (
        await Programme.select()
        .where(Programme.state != ProgrammeState.DRAFT)
        .order_by(Programme.year, ascending=False)
        .order_by(Programme.id)
    )
    return [programme_public(r) for r in rows]


async def get_public_programme(programme_id: int) -> ProgrammePublic:
    row = await Programme.select().where(Programme.id == programme_id).first()
    if row is None or row["state"] == ProgrammeState.DRAFT:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    return programme_public(row)


async def _validate_programme(values: dict[str, Any]) -> None:
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
    for chunk in _chunks(ids):
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


def _row_values(values: dict[str, Any]) -> dict[Any, Any]:
    """Column -> stored value for the settings fields."""
    out: dict[Any, Any] = {}
    for name, value in values.items():
        column = getattr(Programme, name)
        out[column] = _json(value) if name in _JSON_FIELDS and value is not None else value
    return out


async def create_programme(actor: Actor, data: ProgrammeIn) -> ProgrammeOut:
    values = {f: getattr(data, f) for f in data.__struct_fields__}
    await _validate_programme(values)
    async with write_transaction():
        row = Programme(**{c._meta.name: v for c, v in _row_values(values).items()}, created_at=utcnow())
        await row.save()
        out = _programme_out(await _programme_row(row.id), 0)
        await audit.record(actor, "programme.create", "programme", row.id, after=_audit_programme(out))
    return out


def _audit_programme(out: ProgrammeOut, fields: Iterable[str] | None = None) -> dict[str, Any]:
    data = msgspec.to_builtins(out)
    keep = (
        set(fields)
        if fields is not None
        else {"name", "year", "kind", "state", "total_awards", "quota_scope", "default_quota"}
    )
    return {k: data[k] for k in keep if k in data}


def _refuse_edit(field: str, state: str, allowed: frozenset[ProgrammeState]) -> None:
    if state not in allowed:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(state, state)}」阶段，不能再修改此项",
            field=field,
            code="programme_locked",
            detail={"state": state},
        )


async def update_programme(actor: Actor, programme_id: int, patch: ProgrammePatch) -> ProgrammeOut:
    changes = {
        name: value
        for name in patch.__struct_fields__
        if name not in {"version", "reason"} and (value := getattr(patch, name)) is not msgspec.UNSET
    }
    async with write_transaction():
        row = await _programme_row(programme_id)
        if row["version"] != patch.version:
            raise stale(row["version"])
        state = row["state"]
        for name in changes:
            if name in _RULE_FIELDS:
                _refuse_edit(name, state, RULE_STATES)
            elif name == "review_rules":
                _refuse_edit(name, state, REVIEW_RULE_STATES)
            elif name == "total_awards":
                _refuse_edit(name, state, TOTAL_STATES)
            elif name in {"notice_length", "notice_unit"}:
                _refuse_edit(name, state, NOTICE_STATES)
            elif state == ProgrammeState.ARCHIVED:
                _refuse_edit(name, state, frozenset())
        current = _programme_values(row)
        merged = {**{f: current[f] for f in ProgrammeIn.__struct_fields__}, **changes}
        scope_changes = "quota_scope" in changes and changes["quota_scope"] != row["quota_scope"]
        if scope_changes and await _active_count(programme_id):
            raise Conflict(
                "已有推荐，不能再改变名额的计算方式（按工会 / 按行业）",
                field="quota_scope",
                code="quota_scope_locked",
            )
        await _validate_programme(merged)
        before = _programme_out(row, 0)
        updated = await (
            Programme.update({**_row_values(changes), Programme.version: row["version"] + 1})
            .where((Programme.id == programme_id) & (Programme.version == row["version"]))
            .returning(Programme.id)
        )
        if not updated:  # pragma: no cover - the row was read in this transaction
            raise stale(row["version"])
        after_row = await _programme_row(programme_id)
        if {"eligibility", "qualifying_results", "nomination_closes_at"} & changes.keys():
            await _recheck_eligibility(_programme_values(after_row))
        after = _programme_out(after_row, await _active_count(programme_id))
        await audit.record(
            actor,
            "programme.update",
            "programme",
            programme_id,
            before=_audit_programme(before, changes),
            after=_audit_programme(after, changes),
            reason=patch.reason,
        )
    return after


async def transition_programme(actor: Actor, programme_id: int, data: TransitionIn) -> ProgrammeOut:
    async with write_transaction():
        query = Programme.select().where(Programme.id == programme_id)
        if engine_name() == "postgres":
            query = query.lock_rows("UPDATE")
        row = await query.first()
        if row is None:
            raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
        if data.version is not None and data.version != row["version"]:
            raise stale(row["version"])
        error = transition_error(row["state"], data.target)
        if error is not None:
            raise Conflict(
                error.message,
                code=error.code,
                field="target",
                detail={"current": row["state"], "target": data.target, "allowed": list(error.allowed)},
            )
        await _transition_preconditions(row, data.target)
        for check in TRANSITION_CHECKS.get(data.target, []):
            await check(actor, row)
        updated = await (
            Programme.update({Programme.state: data.target, Programme.version: row["version"] + 1})
            .where((Programme.id == programme_id) & (Programme.version == row["version"]))
            .returning(Programme.id)
        )
        if not updated:
            raise stale(row["version"])
        await audit.record(
            actor,
            "programme.transition",
            "programme",
            programme_id,
            before={"state": row["state"]},
            after={"state": data.target},
            reason=data.reason,
        )
        after = await _programme_row(programme_id)
        return _programme_out(after, await _active_count(programme_id))


async def _transition_preconditions(row: dict[str, Any], target: str) -> None:
    if target == ProgrammeState.EXPERT_REVIEW:
        unreviewed = await Nomination.count().where(
            (Nomination.programme == row["id"])
            & (Nomination.status == ACTIVE)
            & Nomination.eligibility_reviewed_at.is_null()
        )
        if unreviewed:
            raise Conflict(
                f"还有 {unreviewed} 份推荐未完成资格审查，请先确认或改判",
                code="eligibility_unreviewed",
                field="target",
                detail={"current": row["state"], "unreviewed": unreviewed},
            )
        if row["review_rules"] is None:
            raise Conflict(
                "尚未设置专家评审标准", code="review_rules_missing", field="review_rules", detail={}
            )


# --- quota groups ---------------------------------------------------------------------------------------


def quota_group(programme: dict[str, Any], union_id: int | None, industry: str | None) -> str:
    """What the programme's quota counts a nomination under: the nominating union, or the industry."""
    if programme["quota_scope"] == "industry":
        return industry or "other"
    return str(union_id) if union_id is not None else ""


def quota_of(programme: dict[str, Any], group: str) -> int | None:
    quotas = (
        programme["quotas"] if isinstance(programme["quotas"], dict) else _decode(programme["quotas"], dict)
    )
    return quotas.get(group, programme["default_quota"])


def _group_name(programme: dict[str, Any], group: str, union_names: dict[int, str]) -> str:
    if programme["quota_scope"] == "industry":
        return INDUSTRIES.get(group, group)
    return union_names.get(int(group), f"工会 #{group}") if group.isdigit() else "未指定工会"


async def _lock_for_nominating(
    programme_id: int, groups: Iterable[str], *, exclusive: bool = False
) -> dict[str, Any]:
    """Inside a write transaction: the programme row (shared, or ``exclusive`` to wait for every nominating
    transaction and keep new ones out) and each quota group (exclusive).

    Locks are always taken programme first, then groups in sorted order, so two uploads never deadlock.
    """
    query = Programme.select().where(Programme.id == programme_id)
    postgres = engine_name() == "postgres"
    if postgres:
        query = query.lock_rows("UPDATE" if exclusive else "SHARE")
    row = await query.first()
    if row is None:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    if postgres:
        for group in sorted(set(groups)):
            await Programme.raw("SELECT pg_advisory_xact_lock({})", _advisory_key(programme_id, group))
    return _programme_values(row)


def _advisory_key(programme_id: int, group: str) -> int:
    digest = hashlib.blake2b(f"awards.quota:{programme_id}:{group}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def _existing_and_used(
    programme: dict[str, Any], person_ids: Sequence[int], groups: Iterable[str]
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """Inside the nominating transaction: the programme's nominations of ``person_ids`` (by person) and the
    places used in each capped group. One query in the common case (a file of fewer than 500 rows): the
    rows of a capped group number at most its quota, so fetching them costs less than a second query."""
    programme_id = programme["id"]
    capped = sorted(g for g in set(groups) if quota_of(programme, g) is not None)
    counted = (Nomination.source == "union") & (Nomination.status != WITHDRAWN)
    keys = [_nomination_key(programme_id, pid) for pid in person_ids]
    columns = (
        Nomination.id,
        Nomination.person,
        Nomination.status,
        Nomination.eligibility_status,
        Nomination.quota_group,
        Nomination.source,
        Nomination.version,
    )
    found: dict[int, dict[str, Any]] = {}
    for index, chunk in enumerate(list(_chunks(keys)) or [[]]):
        conditions = [Nomination.nomination_key.is_in(list(chunk))] if chunk else []
        if index == 0 and capped:
            conditions.append(Nomination.quota_group.is_in(capped) & counted)
        if not conditions:
            continue
        where = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
        for row in await Nomination.select(*columns).where((Nomination.programme == programme_id) & where):
            found[row["id"]] = row
    wanted = set(person_ids)
    existing = {r["person"]: r for r in found.values() if r["person"] in wanted}
    used = dict.fromkeys(capped, 0)
    for row in found.values():
        if row["quota_group"] in used and row["source"] == "union" and row["status"] != WITHDRAWN:
            used[row["quota_group"]] += 1
    return existing, used


async def quota_usage(programme_id: int) -> list[QuotaOut]:
    """Every group with a quota or a nomination: its quota, used and left (organizers)."""
    programme = _programme_values(await _programme_row(programme_id))
    rows = (
        await Nomination.select(Nomination.quota_group, Count())
        .where(
            (Nomination.programme == programme_id)
            & (Nomination.source == "union")
            & (Nomination.status != WITHDRAWN)
        )
        .group_by(Nomination.quota_group)
    )
    used = {r["quota_group"]: r["count"] for r in rows}
    groups = sorted(
        set(used) | set(programme["quotas"]), key=lambda g: (not g.isdigit(), int(g) if g.isdigit() else 0, g)
    )
    names = (
        await _union_names([int(g) for g in groups if g.isdigit()])
        if programme["quota_scope"] == "union"
        else {}
    )
    return [_quota_out(programme, g, used.get(g, 0), names) for g in groups]


def _quota_out(programme: dict[str, Any], group: str, used: int, names: dict[int, str]) -> QuotaOut:
    quota = quota_of(programme, group)
    return QuotaOut(
        programme_id=programme["id"],
        group=group,
        group_name=_group_name(programme, group, names),
        quota=quota,
        used=used,
        left=None if quota is None else max(quota - used, 0),
    )


async def _union_names(ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name).where(
            GrassrootsUnion.id.is_in(list(chunk))
        )
        names |= {r["id"]: r["name"] for r in rows}
    return names


def _officer_union(viewer: CurrentUser) -> int:
    if viewer.role != Role.UNION_OFFICER or viewer.union_id is None:
        raise Forbidden("只有基层工会干部可以推荐本单位会员", code="not_union_officer")
    return viewer.union_id


async def union_programmes(viewer: CurrentUser) -> list[UnionProgrammeOut]:
    """The programmes a union officer may nominate to (or has nominated to), with their union's quota."""
    union_id = _officer_union(viewer)
    rows = (
        await Programme.select()
        .where(Programme.state.not_in([ProgrammeState.DRAFT, ProgrammeState.ARCHIVED]))
        .order_by(Programme.year, ascending=False)
        .order_by(Programme.id)
    )
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    counted = (
        await Nomination.select(Nomination.programme, Count())
        .where(
            Nomination.programme.is_in(ids)
            & (Nomination.union == union_id)
            & (Nomination.source == "union")
            & (Nomination.status != WITHDRAWN)
        )
        .group_by(Nomination.programme)
    )
    mine = {r["programme"]: r["count"] for r in counted}
    names = await _union_names([union_id])
    out = []
    for row in rows:
        programme = _programme_values(row)
        quota = None
        if row["quota_scope"] == "union":
            quota = _quota_out(programme, str(union_id), mine.get(row["id"], 0), names)
        out.append(
            UnionProgrammeOut(
                programme=programme_public(row),
                deed_max_chars=row["deed_max_chars"],
                nomination_open_now=_open_now(row),
                quota_scope=row["quota_scope"],
                quota=quota,
                nominated=mine.get(row["id"], 0),
            )
        )
    return out


# --- eligibility ------------------------------------------------------------------------------------------

_FACT_COLUMNS = (
    Person.id,
    Person.name,
    Person.union,
    Person.birth_date,
    Person.gender,
    Person.id_masked,
    Person.skill_level,
    Person.union_member,
    Person.front_line,
    Person.enterprise_leader,
    Person.employed_since,
    Person.employer,
    Person.employer.name.as_alias("employer_name"),
    Person.employer.industry.as_alias("industry"),
    Person.employer.in_zone.as_alias("in_zone"),
)


async def _facts_of(person_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    facts: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        for row in await Person.select(*_FACT_COLUMNS).where(Person.id.is_in(list(chunk))):
            facts[row["id"]] = row
    return facts


def reference_date(programme: dict[str, Any]) -> dt.date:
    """The day ages and years employed are measured on: the rules' own date, else the closing day."""
    rules: EligibilityRules = programme["eligibility"]
    return rules.age_reference_date or programme["nomination_closes_at"].astimezone(SHANGHAI).date()


def evaluate(
    rules: EligibilityRules,
    person: dict[str, Any],
    on: dt.date,
    qualifying: Sequence[PublishedResult] = (),
) -> tuple[str, list[dict[str, Any]]]:
    """The rules' verdict on one person and the reasons (the failing rules, then any waiver)."""
    facts = PersonFacts(
        person_id=person["id"],
        birth_date=person["birth_date"],
        skill_level=person["skill_level"],
        union_member=bool(person["union_member"]),
        employer_id=person["employer"],
        employer_in_zone=bool(person.get("in_zone")),
        front_line=bool(person["front_line"]),
        employed_since=person["employed_since"],
    )
    failing = check_eligibility(rules, facts, reference_date=on, enterprise_count=0)
    reasons: list[dict[str, Any]] = [{"code": str(r.code), "message": r.message} for r in failing]
    if not failing:
        return "eligible", reasons
    if qualifying:
        hit = min(qualifying, key=lambda r: (r.tier or 9, -(r.year or 0)))
        reasons.append(
            {
                "code": "qualified_by_result",
                "message": f"获{hit.title}{hit.prize}，按评选规定视为符合资格",
                "competition_id": hit.competition_id,
            }
        )
        return "eligible", reasons
    return "ineligible", reasons


async def _recheck_eligibility(programme: dict[str, Any]) -> int:
    """After the rules changed: re-run them for union nominations no organizer has decided yet."""
    rows = await Nomination.select(
        Nomination.id, Nomination.person, Nomination.eligibility_status, Nomination.eligibility_reasons
    ).where(
        (Nomination.programme == programme["id"])
        & (Nomination.source == "union")
        & (Nomination.status == ACTIVE)
        & Nomination.eligibility_reviewed_at.is_null()
        & (Nomination.eligibility_overridden == False)  # noqa: E712
    )
    if not rows:
        return 0
    facts = await _facts_of(r["person"] for r in rows)
    hits = await qualifying_hits(programme, "eligible", [r["person"] for r in rows])
    on = reference_date(programme)
    changed = 0
    for row in rows:
        status, reasons = evaluate(
            programme["eligibility"], facts[row["person"]], on, hits.get(row["person"], ())
        )
        encoded = _json(reasons)
        if status != row["eligibility_status"] or _decode(row["eligibility_reasons"], list) != reasons:
            await Nomination.update(
                {Nomination.eligibility_status: status, Nomination.eligibility_reasons: encoded}
            ).where(Nomination.id == row["id"])
            changed += 1
    return changed


# --- published competition results (read from the scoring domain) ---------------------------------------


def _result_rows(results: Any) -> list[dict[str, Any]]:
    """Publication.results is a JSON list of public rows; tolerate an object wrapping the list."""
    value = _decode(results, Any) if isinstance(results, str | bytes) else results
    if isinstance(value, dict):
        value = next((value[k] for k in ("results", "rows", "items") if isinstance(value.get(k), list)), [])
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


_PRIZE_TIERS = {name: tier for tier, name in TIER_NAMES.items()}


def _tier_of(row: dict[str, Any]) -> int | None:
    tier = row.get("tier")
    if isinstance(tier, int) and not isinstance(tier, bool) and tier in TIER_NAMES:
        return tier
    prize = row.get("prize") or row.get("tier_name")
    return _PRIZE_TIERS.get(prize) if isinstance(prize, str) else None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def published_results(
    *, competition_ids: Sequence[int] | None = None, person_ids: Sequence[int] | None = None
) -> dict[int, list[PublishedResult]]:
    """Person id -> their lines in the latest published results (scoring's Publication, newest version).

    ``Publication.results`` is scoring's ``PublicBoard`` (``{"competition", "version", "rows": [...]}``);
    a public row carries no internal id, so it is tied to its registration (and so to the person) by the
    competition's blind code; ``person_id``, ``registration_id`` or ``registration_no`` are used instead
    when a row carries one (older publications, imports).
    """
    condition = Registration.id > 0
    if person_ids is not None:
        if not person_ids:
            return {}
        condition &= Registration.person.is_in(sorted(set(person_ids)))
    if competition_ids is not None:
        if not competition_ids:
            return {}
        condition &= Registration.competition.is_in(sorted(set(competition_ids)))
    registrations = await Registration.select(
        Registration.id,
        Registration.registration_no,
        Registration.blind_code,
        Registration.person,
        Registration.competition,
    ).where(condition)
    if not registrations:
        return {}
    wanted = sorted({r["competition"] for r in registrations})
    by_id = {r["id"]: r["person"] for r in registrations}
    by_no = {r["registration_no"]: r["person"] for r in registrations}
    by_code = {(r["competition"], r["blind_code"]): r["person"] for r in registrations if r["blind_code"]}
    people = set(by_id.values())
    latest: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        rows = (
            await Publication.select(
                Publication.competition, Publication.version, Publication.results, Publication.published_at
            )
            .where(Publication.competition.is_in(list(chunk)))
            .order_by(Publication.version, ascending=False)
        )
        for row in rows:
            latest.setdefault(row["competition"], row)
    if not latest:
        return {}
    competitions = {
        r["id"]: r
        for r in await Competition.select(
            Competition.id, Competition.title, Competition.series.year.as_alias("year")
        ).where(Competition.id.is_in(sorted(latest)))
    }
    out: dict[int, list[PublishedResult]] = {}
    for competition_id, publication in sorted(latest.items()):
        info = competitions.get(competition_id, {})
        year = info.get("year") or publication["published_at"].astimezone(SHANGHAI).year
        for row in _result_rows(publication["results"]):
            person = _int(row.get("person_id"))
            if person is None and isinstance(row.get("blind_code"), str):
                person = by_code.get((competition_id, row["blind_code"]))
            if person is None and _int(row.get("registration_id")) is not None:
                person = by_id.get(row["registration_id"])
            if person is None and isinstance(row.get("registration_no"), str):
                person = by_no.get(row["registration_no"])
            if person is None or person not in people or row.get("disqualified") is True:
                continue
            tier = _tier_of(row)
            out.setdefault(person, []).append(
                PublishedResult(
                    competition_id=competition_id,
                    title=info.get("title") or f"竞赛 #{competition_id}",
                    year=year,
                    rank=_int(row.get("rank")),
                    tier=tier,
                    prize=TIER_NAMES.get(tier, "") if tier else "",
                    score=_decimal(row.get("final_score", row.get("score"))),
                    published_version=publication["version"],
                )
            )
    return out


async def qualifying_hits(
    programme: dict[str, Any], effect: str, person_ids: Sequence[int] | None = None
) -> dict[int, list[PublishedResult]]:
    """Person id -> their prizes that the programme declares qualifying with ``effect``."""
    declared = {q.competition_id: q for q in programme["qualifying_results"] if q.effect == effect}
    if not declared:
        return {}
    results = await published_results(competition_ids=sorted(declared), person_ids=person_ids)
    hits: dict[int, list[PublishedResult]] = {}
    for person, lines in results.items():
        for line in lines:
            rule = declared.get(line.competition_id)
            if rule is not None and line.tier is not None and line.tier <= rule.max_tier:
                hits.setdefault(person, []).append(line)
    return hits


async def competition_results_for(viewer: CurrentUser, person_id: int) -> list[PublishedResult]:
    """A person's published results, to pre-fill a nomination (organizers; the officer of their union)."""
    row = await Person.select(Person.id, Person.union).where(Person.id == person_id).first()
    if row is None or (viewer.role != Role.ORGANIZER and row["union"] != viewer.union_id):
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    return (await published_results(person_ids=[person_id])).get(person_id, [])


def _result_items(lines: Sequence[PublishedResult]) -> list[CompetitionResultItem]:
    return [
        CompetitionResultItem(
            competition_id=r.competition_id,
            title=r.title[:200],
            rank=r.rank,
            prize=r.prize,
            tier=r.tier,
            score=r.score,
            year=r.year if r.year and 1950 <= r.year <= 2100 else None,
        )
        for r in lines
    ]


# --- nominations: reading ---------------------------------------------------------------------------------

_NOMINATION_COLUMNS = (
    Nomination.id,
    Nomination.programme,
    Nomination.person,
    Nomination.union,
    Nomination.quota_group,
    Nomination.source,
    Nomination.source_competition,
    Nomination.achievements,
    Nomination.deed,
    Nomination.eligibility_status,
    Nomination.eligibility_reasons,
    Nomination.eligibility_overridden,
    Nomination.eligibility_note,
    Nomination.eligibility_reviewed_at,
    Nomination.status,
    Nomination.created_at,
    Nomination.version,
    Nomination.person.name.as_alias("name"),
    Nomination.person.id_masked.as_alias("id_masked"),
    Nomination.person.gender.as_alias("gender"),
    Nomination.person.birth_date.as_alias("birth_date"),
    Nomination.person.skill_level.as_alias("skill_level"),
    Nomination.person.front_line.as_alias("front_line"),
    Nomination.person.enterprise_leader.as_alias("enterprise_leader"),
    Nomination.person.union_member.as_alias("union_member"),
    Nomination.person.employed_since.as_alias("employed_since"),
    Nomination.person.employer.name.as_alias("employer_name"),
    Nomination.person.employer.industry.as_alias("industry"),
    Nomination.union.name.as_alias("union_name"),
)


def _nomination_out(row: dict[str, Any], *, attachments: int = 0) -> NominationOut:
    """ID masked for every reader: full numbers only through accounts' audited unsealing (with a purpose)."""
    return NominationOut(
        id=row["id"],
        programme_id=row["programme"],
        person_id=row["person"],
        name=row["name"],
        id_number=row["id_masked"],
        gender=row["gender"],
        birth_date=row["birth_date"],
        employer_name=row["employer_name"],
        industry=row["industry"],
        union_id=row["union"],
        union_name=row["union_name"],
        quota_group=row["quota_group"],
        skill_level=row["skill_level"],
        front_line=bool(row["front_line"]),
        enterprise_leader=bool(row["enterprise_leader"]),
        union_member=bool(row["union_member"]),
        employed_since=row["employed_since"],
        source=row["source"],
        source_competition_id=row["source_competition"],
        achievements=_decode(row["achievements"], Achievements) or Achievements(),
        deed=row["deed"],
        eligibility_status=row["eligibility_status"],
        eligibility_reasons=_decode(row["eligibility_reasons"], list[EligibilityReason]) or [],
        eligibility_overridden=bool(row["eligibility_overridden"]),
        eligibility_note=row["eligibility_note"],
        eligibility_reviewed=row["eligibility_reviewed_at"] is not None,
        eligibility_reviewed_at=row["eligibility_reviewed_at"],
        status=row["status"],
        attachments=attachments,
        created_at=row["created_at"],
        version=row["version"],
    )


async def _attachment_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = (
        await Attachment.select(Attachment.nomination, Count())
        .where(Attachment.nomination.is_in(ids))
        .group_by(Attachment.nomination)
    )
    return {r["nomination"]: r["count"] for r in rows}


async def _is_reviewer(viewer: CurrentUser, programme_id: int) -> bool:
    return await Reviewer.exists().where(
        (Reviewer.programme == programme_id) & (Reviewer.expert == viewer.id)
    )


async def _readable_nomination(viewer: CurrentUser, nomination_id: int) -> dict[str, Any]:
    """The nomination row if ``viewer`` may read it; a missing one and a forbidden one look the same."""
    row = await Nomination.select(*_NOMINATION_COLUMNS).where(Nomination.id == nomination_id).first()
    allowed = row is not None and (
        viewer.role == Role.ORGANIZER
        or (
            viewer.role == Role.UNION_OFFICER
            and row["union"] == viewer.union_id
            and viewer.union_id is not None
        )
        or (viewer.role == Role.EXPERT and await _is_reviewer(viewer, row["programme"]))
    )
    if not allowed or row is None:
        raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
    return row


async def get_nomination(viewer: CurrentUser, nomination_id: int) -> NominationOut:
    row = await _readable_nomination(viewer, nomination_id)
    counts = await _attachment_counts([nomination_id])
    return _nomination_out(row, attachments=counts.get(nomination_id, 0))


async def list_nominations(
    viewer: CurrentUser,
    programme_id: int,
    *,
    union_id: int | None = None,
    eligibility: str | None = None,
    reviewed: bool | None = None,
    overridden: bool | None = None,
    source: str | None = None,
    status: str | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> NominationsPage:
    """A programme's nominations, filtered; a union officer sees only their own union's."""
    await _programme_row(programme_id)
    condition = Nomination.programme == programme_id
    if viewer.role == Role.UNION_OFFICER:
        condition &= Nomination.union == _officer_union(viewer)
    elif union_id is not None:
        condition &= Nomination.union == union_id
    condition &= (Nomination.status == status) if status else (Nomination.status != WITHDRAWN)
    if source:
        condition &= Nomination.source == source
    if query:
        condition &= Nomination.person.name.like(f"%{query}%")
    base = condition
    if eligibility:
        condition &= Nomination.eligibility_status == eligibility
    if reviewed is not None:
        condition &= (
            Nomination.eligibility_reviewed_at.is_not_null()
            if reviewed
            else Nomination.eligibility_reviewed_at.is_null()
        )
    if overridden is not None:
        condition &= Nomination.eligibility_overridden == overridden
    total = await Nomination.count().where(condition)
    rows = (
        await Nomination.select(*_NOMINATION_COLUMNS)
        .where(condition)
        .order_by(Nomination.id)
        .limit(limit)
        .offset(offset)
    )
    counts = await _attachment_counts([r["id"] for r in rows])
    return NominationsPage(
        total=total,
        limit=limit,
        offset=offset,
        counts=await _eligibility_counts(base),
        items=[_nomination_out(r, attachments=counts.get(r["id"], 0)) for r in rows],
    )


async def _eligibility_counts(condition: Any) -> EligibilityCounts:
    rows = (
        await Nomination.select(Nomination.eligibility_status, Count())
        .where(condition)
        .group_by(Nomination.eligibility_status)
    )
    by_status = {r["eligibility_status"]: r["count"] for r in rows}
    return EligibilityCounts(
        eligible=by_status.get("eligible", 0),
        ineligible=by_status.get("ineligible", 0),
        unreviewed=await Nomination.count().where(condition & Nomination.eligibility_reviewed_at.is_null()),
        overridden=await Nomination.count().where(condition & (Nomination.eligibility_overridden == True)),  # noqa: E712
    )


# --- nominations: one by one ------------------------------------------------------------------------------


def _check_window(programme: dict[str, Any], now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    state = programme["state"]
    opens, closes = programme["nomination_opens_at"], programme["nomination_closes_at"]
    detail = {"state": state, "opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    if state != ProgrammeState.OPEN:
        message = f"评选处于「{STATE_NAMES.get(state, state)}」阶段，不接受推荐"
    elif now < opens:
        message = f"推荐将于 {_local(opens)} 开始"
    elif now >= closes:
        message = f"推荐已于 {_local(closes)} 截止"
    else:
        return
    raise Conflict(message, code="nomination_closed", field="programme_id", detail=detail)


def _check_deed(deed: str, limit: int, *, required: bool = True) -> str:
    text = deed.strip()
    if required and not text:
        raise Invalid("事迹不能为空", field="deed", code="required")
    if len(text) > limit:
        raise Invalid(
            f"事迹不能超过 {limit} 字（现为 {len(text)} 字）",
            field="deed",
            code="deed_too_long",
            detail={"max_chars": limit, "chars": len(text)},
        )
    return text


def _quota_conflict(exc: NominationQuotaError, field: str = "person_id") -> Conflict:
    return Conflict(
        exc.message,
        code=exc.code,
        field=field,
        detail={"quota": exc.quota, "used": exc.already, "adding": exc.adding},
    )


async def nominate(
    actor: Actor, viewer: CurrentUser, programme_id: int, data: NominationIn
) -> tuple[bool, NominationOut]:
    """A union officer nominates one member of their union. Returns (created, nomination); nominating
    someone already nominated returns that nomination unchanged (created False)."""
    union_id = _officer_union(viewer)
    notice = consent.check_attestation(data.members_consent)
    async with _read_snapshot():
        programme = _programme_values(await _programme_row(programme_id))
        _check_window(programme)
        facts = (await _facts_of([data.person_id])).get(data.person_id)
        if facts is None:
            raise NotFound(f"人员不存在：{data.person_id}", field="person_id")
        if facts["union"] != union_id:
            raise Forbidden("只能推荐本单位工会的会员", field="person_id", code="person_not_in_union")
        deed = _check_deed(data.deed, programme["deed_max_chars"])
        hits = await qualifying_hits(programme, "eligible", [data.person_id])
    status, reasons = evaluate(
        programme["eligibility"], facts, reference_date(programme), hits.get(data.person_id, ())
    )
    group = quota_group(programme, union_id, facts["industry"])
    key = _nomination_key(programme_id, data.person_id)
    values = {
        Nomination.union: union_id,
        Nomination.quota_group: group,
        Nomination.nominated_by: viewer.id,
        Nomination.source: "union",
        Nomination.source_competition: None,
        Nomination.achievements: _json(data.achievements),
        Nomination.deed: deed,
        Nomination.eligibility_status: status,
        Nomination.eligibility_reasons: _json(reasons),
        Nomination.eligibility_overridden: False,
        Nomination.eligibility_note: "",
        Nomination.eligibility_reviewed_by: None,
        Nomination.eligibility_reviewed_at: None,
        Nomination.status: ACTIVE,
    }
    existing_id: int | None = None
    try:
        async with write_transaction():
            programme = await _lock_for_nominating(programme_id, [group])
            _check_window(programme)
            found, used = await _existing_and_used(programme, [data.person_id], [group])
            existing = found.get(data.person_id)
            if existing is not None and existing["status"] != WITHDRAWN:
                existing_id = existing["id"]
            else:
                try:
                    check_nomination_quota(used.get(group, 0), 1, quota_of(programme, group))
                except NominationQuotaError as exc:
                    raise _quota_conflict(exc) from None
                if existing is not None:  # withdrawn earlier: nominated again
                    nomination_id = existing["id"]
                    await Nomination.update({**values, Nomination.version: existing["version"] + 1}).where(
                        Nomination.id == nomination_id
                    )
                else:
                    inserted = await Nomination.insert(
                        Nomination(
                            **{c._meta.name: v for c, v in values.items()},
                            programme=programme_id,
                            person=data.person_id,
                            nomination_key=key,
                            created_at=utcnow(),
                        )
                    ).returning(Nomination.id)
                    nomination_id = inserted[0]["id"]
                await audit.record(
                    actor,
                    "nomination.create",
                    "nomination",
                    nomination_id,
                    after={
                        "programme_id": programme_id,
                        "person_id": data.person_id,
                        "name": facts["name"],
                        "id_number": facts["id_masked"],
                        "union_id": union_id,
                        "eligibility_status": status,
                    },
                )
                await consent.record_attestation(actor, [data.person_id], notice)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # Two requests for the same person at once: the other one won; answer with its nomination.
        row = await Nomination.select(Nomination.id).where(Nomination.nomination_key == key).first()
        if row is None:  # pragma: no cover - the unique key that failed must be there
            raise
        existing_id = row["id"]
    if existing_id is not None:
        return False, await get_nomination(viewer, existing_id)
    return True, await get_nomination(viewer, nomination_id)


async def _writable_nomination(
    viewer: CurrentUser, nomination_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The nomination and its programme, if ``viewer`` may change it now (officers only in the window)."""
    row = await Nomination.select().where(Nomination.id == nomination_id).first()
    if row is None or (viewer.role == Role.UNION_OFFICER and row["union"] != viewer.union_id):
        raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
    programme = _programme_values(await _programme_row(row["programme"]))
    if viewer.role == Role.UNION_OFFICER:
        _check_window(programme)
    elif programme["state"] not in ELIGIBILITY_REVIEW_STATES:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，推荐不能再修改",
            code="nomination_locked",
            detail={"state": programme["state"]},
        )
    return row, programme


async def update_nomination(
    actor: Actor, viewer: CurrentUser, nomination_id: int, patch: NominationPatch
) -> NominationOut:
    row, programme = await _writable_nomination(viewer, nomination_id)
    values: dict[Any, Any] = {}
    changed: dict[str, Any] = {}
    if patch.deed is not msgspec.UNSET:
        values[Nomination.deed] = _check_deed(patch.deed, programme["deed_max_chars"])
        changed["deed_chars"] = len(values[Nomination.deed])
    if patch.achievements is not msgspec.UNSET:
        values[Nomination.achievements] = _json(patch.achievements)
        changed["achievements"] = msgspec.to_builtins(patch.achievements)
    async with write_transaction():
        updated = await (
            Nomination.update({**values, Nomination.version: patch.version + 1})
            .where(
                (Nomination.id == nomination_id)
                & (Nomination.version == patch.version)
                & (Nomination.status == ACTIVE)
            )
            .returning(Nomination.id)
        )
        if not updated:
            current = (
                await Nomination.select(Nomination.version, Nomination.status)
                .where(Nomination.id == nomination_id)
                .first()
            )
            if current and current["status"] != ACTIVE:
                raise Conflict("该推荐已撤回或进入后续环节，不能修改", code="nomination_not_active")
            raise stale(current["version"] if current else patch.version)
        before = {"deed_chars": len(row["deed"])} if "deed_chars" in changed else {}
        if "achievements" in changed:
            before["achievements"] = _decode(row["achievements"], Any)
        await audit.record(
            actor, "nomination.update", "nomination", nomination_id, before=before, after=changed
        )
    return await get_nomination(viewer, nomination_id)


async def withdraw_nomination(
    actor: Actor, viewer: CurrentUser, nomination_id: int, data: WithdrawIn
) -> NominationOut:
    row, _ = await _writable_nomination(viewer, nomination_id)
    if row["status"] != ACTIVE:
        raise Conflict("该推荐已撤回或进入后续环节", code="nomination_not_active")
    if data.version is not None and data.version != row["version"]:
        raise stale(row["version"])
    async with write_transaction():
        updated = await (
            Nomination.update({Nomination.status: WITHDRAWN, Nomination.version: row["version"] + 1})
            .where((Nomination.id == nomination_id) & (Nomination.version == row["version"]))
            .returning(Nomination.id)
        )
        if not updated:
            raise stale(row["version"] + 1)
        await audit.record(
            actor,
            "nomination.withdraw",
            "nomination",
            nomination_id,
            before={"status": row["status"]},
            after={"status": WITHDRAWN},
            reason=data.reason,
        )
    return await get_nomination(viewer, nomination_id)


# --- nominations: a spreadsheet ---------------------------------------------------------------------------


def _sheet_problem(exc: sheets.SheetError) -> Invalid:
    return Invalid(exc.message, code=exc.code, field="file")


async def nomination_template(programme_id: int, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the upload template for a programme."""
    row = await _programme_row(programme_id)
    stem = f"推荐名单模板-{row['name']}"
    if fmt == "csv":
        return sheets.template_csv(), sheets.CSV_MEDIA_TYPE, f"{stem}.csv"
    content = sheets.template_xlsx(deed_max_chars=row["deed_max_chars"], programme_name=row["name"])
    return content, sheets.XLSX_MEDIA_TYPE, f"{stem}.xlsx"


class _Planned(msgspec.Struct, kw_only=True):
    parsed: sheets.ParsedNomination
    person_id: int | None  # None: a person to create
    facts: dict[str, Any]
    group: str
    status: str = ""
    reasons: list[dict[str, Any]] = msgspec.field(default_factory=list)


async def upload_nominations(
    actor: Actor,
    viewer: CurrentUser,
    programme_id: int,
    content: bytes,
    *,
    import_valid_only: bool = False,
    attestation: AttestationIn | None = None,
) -> UploadResult:
    """A union officer's spreadsheet of nominations, all in one transaction.

    People are matched by ID number; someone not yet on record is registered with the officer's union, and
    someone on record with another union is refused. The quota is counted over the whole file. With any row
    error nothing is written (422 listing every error) unless ``import_valid_only``. Audited as one row per
    upload (the count, the file's SHA-256, the ids written), not one per nomination: a 5,000-row file would
    otherwise write 5,000 audit rows that say less than the one.
    """
    union_id = _officer_union(viewer)
    notice = consent.check_attestation(attestation)
    file_sha256 = hashlib.sha256(content).hexdigest()
    async with _read_snapshot():
        programme = _programme_values(await _programme_row(programme_id))
        _check_window(programme)
        try:
            header, rows = sheets.read_table(content, max_rows=sheets.MAX_UPLOAD_ROWS)
            names = sheets.referenced_employers(header, rows)
            enterprises = await _enterprises_named(names)
            parsed, errors = sheets.parse_rows(
                header,
                rows,
                enterprises={name: e["id"] for name, e in enterprises.items()},
                deed_max_chars=programme["deed_max_chars"],
            )
        except sheets.SheetError as exc:
            raise _sheet_problem(exc) from None
        total_rows = len(parsed) + len({e.row for e in errors})
        if total_rows == 0:
            raise Invalid("文件中没有数据行", code="empty_file", field="file")
        enterprise_by_id = {e["id"]: e for e in enterprises.values()}
        planned = await _plan_rows(programme, union_id, parsed, enterprise_by_id, errors)
        person_ids = [p.person_id for p in planned if p.person_id is not None]
        hits = await qualifying_hits(programme, "eligible", person_ids) if person_ids else {}
    on = reference_date(programme)
    for plan in planned:
        plan.status, plan.reasons = evaluate(
            programme["eligibility"], plan.facts, on, hits.get(plan.person_id or 0, ())
        )
    try:
        return await _write_upload(
            actor, viewer, programme_id, planned, errors, total_rows, file_sha256, import_valid_only, notice
        )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(
            "同一人员正由另一份名单同时推荐或登记，请稍后重新上传", code="concurrent_upload", field="file"
        ) from None


async def _enterprises_named(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(names)):
        rows = await Enterprise.select(
            Enterprise.id, Enterprise.name, Enterprise.industry, Enterprise.in_zone
        ).where(Enterprise.name.is_in(list(chunk)))
        found |= {r["name"]: r for r in rows}
    return found


async def _plan_rows(
    programme: dict[str, Any],
    union_id: int,
    parsed: list[sheets.ParsedNomination],
    enterprises: dict[int, dict[str, Any]],
    errors: list[RowError],
) -> list[_Planned]:
    """Match every valid row to a person on record (by ID fingerprint) or plan a new one."""
    fingerprints = {p.row: crypto.fingerprint(p.identity.key) for p in parsed}
    known: dict[str, dict[str, Any]] = {}
    values = sorted(set(fingerprints.values()))
    for chunk in _chunks(values):
        rows = await Person.select(*_FACT_COLUMNS, Person.id_fingerprint).where(
            Person.id_fingerprint.is_in(list(chunk))
        )
        known |= {r["id_fingerprint"]: r for r in rows}
    planned: list[_Planned] = []
    for p in parsed:
        person = known.get(fingerprints[p.row])
        if person is not None:
            if person["union"] != union_id:
                errors.append(
                    sheets.error(
                        p.row, "id_number", "person_not_in_union", "该人员不属于本单位工会，不能由本单位推荐"
                    )
                )
                continue
            if person["name"] != p.name:
                errors.append(
                    sheets.error(
                        p.row,
                        "name",
                        "name_mismatch",
                        f"姓名与该身份证号在平台登记的姓名（{person['name']}）不一致",
                    )
                )
                continue
            planned.append(
                _Planned(
                    parsed=p,
                    person_id=person["id"],
                    facts=person,
                    group=quota_group(programme, union_id, person["industry"]),
                )
            )
            continue
        if p.mobile is None:
            errors.append(sheets.error(p.row, "mobile", "required", "该人员尚未在平台登记，须填写手机号"))
            continue
        employer = enterprises.get(p.employer_id) if p.employer_id is not None else None
        facts = {
            "id": 0,
            "name": p.name,
            "union": union_id,
            "birth_date": p.identity.birth_date,
            "gender": p.identity.gender,
            "skill_level": p.skill_level,
            "union_member": p.union_member,
            "front_line": p.front_line,
            "enterprise_leader": p.enterprise_leader,
            "employed_since": p.employed_since,
            "employer": p.employer_id,
            "industry": employer["industry"] if employer else None,
            "in_zone": bool(employer["in_zone"]) if employer else False,
        }
        planned.append(
            _Planned(
                parsed=p,
                person_id=None,
                facts=facts,
                group=quota_group(programme, union_id, facts["industry"]),
            )
        )
    return planned


async def _write_upload(
    actor: Actor,
    viewer: CurrentUser,
    programme_id: int,
    planned: list[_Planned],
    errors: list[RowError],
    total_rows: int,
    file_sha256: str,
    import_valid_only: bool,
    notice: Notice,
) -> UploadResult:
    union_id = viewer.union_id
    async with write_transaction():
        programme = await _lock_for_nominating(programme_id, {p.group for p in planned})
        _check_window(programme)
        known_ids = [p.person_id for p in planned if p.person_id is not None]
        existing, used = await _existing_and_used(programme, known_ids, {p.group for p in planned})
        kept: list[_Planned] = []
        already: list[_Planned] = []
        for plan in planned:
            current = existing.get(plan.person_id) if plan.person_id is not None else None
            if current is not None and current["status"] != WITHDRAWN:
                already.append(plan)
                continue
            quota = quota_of(programme, plan.group)
            try:
                check_nomination_quota(used.get(plan.group, 0), 1, quota)
            except NominationQuotaError:
                who = (
                    "本单位"
                    if programme["quota_scope"] == "union"
                    else f"{INDUSTRIES.get(plan.group, plan.group)}行业"
                )
                errors.append(
                    RowError(
                        row=plan.parsed.row,
                        column="名额",
                        field="quota",
                        code="nomination_quota_exceeded",
                        message=f"超出推荐名额：{who}名额为 {quota} 人，已推荐和此前各行已用满",
                    )
                )
                continue
            used[plan.group] = used.get(plan.group, 0) + 1
            kept.append(plan)
        errors.sort(key=lambda e: (e.row, e.column))
        if errors and not import_valid_only:
            raise Invalid(
                f"名单中有 {len({e.row for e in errors})} 行存在问题，未导入任何数据；请修改后重新上传，"
                "或选择「只导入无误的行」",
                code="upload_has_errors",
                field="file",
                detail={
                    "errors": [msgspec.to_builtins(e) for e in errors],
                    "total_rows": total_rows,
                    "valid_rows": len(kept) + len(already),
                },
            )
        new_people = [p for p in kept if p.person_id is None]
        if new_people:
            await _create_people(new_people, union_id)
        now = utcnow()
        revived = [p for p in kept if p.person_id in existing]
        fresh = [p for p in kept if p.person_id not in existing]
        ids: dict[int, int] = {}
        for chunk in _chunks(fresh):
            inserted = await Nomination.insert(
                *(_nomination_row(programme_id, p, union_id, viewer.id, now) for p in chunk)
            ).returning(Nomination.id, Nomination.person)
            ids |= {r["person"]: r["id"] for r in inserted}
        for plan in revived:
            row = _nomination_row(programme_id, plan, union_id, viewer.id, now)
            await Nomination.update(
                {
                    column: getattr(row, column._meta.name)
                    for column in (
                        Nomination.union,
                        Nomination.quota_group,
                        Nomination.nominated_by,
                        Nomination.source,
                        Nomination.achievements,
                        Nomination.deed,
                        Nomination.eligibility_status,
                        Nomination.eligibility_reasons,
                        Nomination.eligibility_overridden,
                        Nomination.eligibility_note,
                        Nomination.eligibility_reviewed_by,
                        Nomination.eligibility_reviewed_at,
                        Nomination.status,
                    )
                }
                | {Nomination.version: Nomination.version + 1}
            ).where(Nomination.id == existing[plan.person_id]["id"])
            ids[plan.person_id] = existing[plan.person_id]["id"]  # type: ignore[index]
        imported = [
            UploadedRow(
                row=p.parsed.row,
                name=p.parsed.name,
                nomination_id=ids[p.person_id],  # type: ignore[index]
                outcome="created",
                person_created=p in new_people,
                eligibility_status=p.status,
            )
            for p in kept
        ] + [
            UploadedRow(
                row=p.parsed.row,
                name=p.parsed.name,
                nomination_id=existing[p.person_id]["id"],  # type: ignore[index]
                outcome="existing",
                person_created=False,
                eligibility_status=existing[p.person_id]["eligibility_status"],  # type: ignore[index]
            )
            for p in already
        ]
        imported.sort(key=lambda r: r.row)
        await consent.record_attestation(
            actor, [p.person_id for p in kept if p.person_id is not None], notice
        )
        if kept:
            await audit.record(
                actor,
                "nomination.upload",
                "programme",
                programme_id,
                after={
                    "union_id": union_id,
                    "file_sha256": file_sha256,
                    "rows": total_rows,
                    "created": len(kept),
                    "existing": len(already),
                    "skipped_rows": sorted({e.row for e in errors}),
                    "people_created": [p.person_id for p in new_people],
                    "nomination_ids": sorted(ids[p.person_id] for p in kept),  # type: ignore[index]
                },
            )
    return UploadResult(
        total_rows=total_rows,
        created=len(kept),
        existing=len(already),
        people_created=len(new_people),
        imported=imported,
        errors=errors,
        file_sha256=file_sha256,
    )


async def _create_people(plans: list[_Planned], union_id: int | None) -> None:
    """Register the new people of an upload in bulk; fills in each plan's person id."""
    rows = []
    for plan in plans:
        p = plan.parsed
        rows.append(
            new_person_row(
                PersonIn(
                    name=p.name,
                    id_number=p.identity.number,
                    mobile=p.mobile or "",
                    employer_id=p.employer_id,
                    union_id=union_id,
                    union_member=p.union_member,
                    skill_level=p.skill_level,
                    front_line=p.front_line,
                    enterprise_leader=p.enterprise_leader,
                    employed_since=p.employed_since,
                ),
                union_id,
            )
        )
    now = utcnow()
    for row in rows:
        row.created_at = now
    ids: dict[str, int] = {}
    for chunk in _chunks(rows):
        inserted = await Person.insert(*chunk).returning(Person.id, Person.id_fingerprint)
        ids |= {r["id_fingerprint"]: r["id"] for r in inserted}
    for plan, row in zip(plans, rows, strict=True):
        plan.person_id = ids[row.id_fingerprint]
        plan.facts["id"] = plan.person_id


def _nomination_row(
    programme_id: int, plan: _Planned, union_id: int | None, user_id: int, now: dt.datetime
) -> Nomination:
    assert plan.person_id is not None
    return Nomination(
        programme=programme_id,
        person=plan.person_id,
        union=union_id,
        quota_group=plan.group,
        nomination_key=_nomination_key(programme_id, plan.person_id),
        nominated_by=user_id,
        source="union",
        source_competition=None,
        achievements=_json(plan.parsed.achievements),
        deed=plan.parsed.deed,
        eligibility_status=plan.status,
        eligibility_reasons=_json(plan.reasons),
        eligibility_overridden=False,
        eligibility_note="",
        eligibility_reviewed_by=None,
        eligibility_reviewed_at=None,
        status=ACTIVE,
        created_at=now,
    )


# --- direct nominations (直接推荐) from competition results ------------------------------------------------


async def create_direct_nominations(actor: Actor, programme_id: int) -> DirectNominationsOut:
    """Nominate everyone whose published prize the programme declares ``direct``; idempotent.

    A direct nomination takes no union's quota place and its eligibility counts as confirmed; the link to
    the competition is kept in ``source_competition``. A person a union had already nominated becomes a
    direct nomination (their union gets its place back).
    """
    programme = _programme_values(await _programme_row(programme_id))
    if programme["state"] not in ELIGIBILITY_REVIEW_STATES:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，不能再直接推荐",
            code="programme_locked",
            detail={"state": programme["state"]},
        )
    if not any(q.effect == "direct" for q in programme["qualifying_results"]):
        raise Invalid("评选未设置直接推荐的竞赛", field="qualifying_results", code="no_direct_rules")
    hits = await qualifying_hits(programme, "direct")
    facts = await _facts_of(hits)
    created: list[int] = []
    converted: list[int] = []
    unchanged: list[int] = []
    now = utcnow()
    async with write_transaction():
        # Exclusive: a second run at the same moment, or a union nominating one of these people, waits.
        locked = await _lock_for_nominating(programme_id, (), exclusive=True)
        if locked["state"] not in ELIGIBILITY_REVIEW_STATES:
            raise Conflict(
                f"评选处于「{STATE_NAMES.get(locked['state'], locked['state'])}」阶段，不能再直接推荐",
                code="programme_locked",
                detail={"state": locked["state"]},
            )
        for person_id in sorted(hits):
            person = facts.get(person_id)
            if person is None:
                continue
            lines = sorted(hits[person_id], key=lambda r: (r.tier or 9, r.competition_id))
            best = lines[0]
            reason = {
                "code": "direct_nomination",
                "message": f"获{best.title}{best.prize}，按评选规定直接推荐",
                "competition_id": best.competition_id,
            }
            key = _nomination_key(programme_id, person_id)
            current = await Nomination.select().where(Nomination.nomination_key == key).first()
            values = {
                Nomination.source: "direct",
                Nomination.source_competition: best.competition_id,
                Nomination.eligibility_status: "eligible",
                Nomination.eligibility_reasons: _json([reason]),
                Nomination.eligibility_overridden: False,
                Nomination.eligibility_note: reason["message"],
                Nomination.eligibility_reviewed_by: actor.id,
                Nomination.eligibility_reviewed_at: now,
                Nomination.status: ACTIVE,
            }
            if current is None:
                inserted = await Nomination.insert(
                    Nomination(
                        **{c._meta.name: v for c, v in values.items()},
                        programme=programme_id,
                        person=person_id,
                        union=person["union"],
                        quota_group=quota_group(programme, person["union"], person["industry"]),
                        nomination_key=key,
                        nominated_by=actor.id,
                        achievements=_json(Achievements(competition_results=_result_items(lines))),
                        deed="",
                        created_at=now,
                    )
                ).returning(Nomination.id)
                created.append(inserted[0]["id"])
            elif current["source"] == "direct" and current["status"] == ACTIVE:
                unchanged.append(current["id"])
            else:
                await Nomination.update({**values, Nomination.version: current["version"] + 1}).where(
                    Nomination.id == current["id"]
                )
                converted.append(current["id"])
        if created or converted:
            await audit.record(
                actor,
                "nomination.direct",
                "programme",
                programme_id,
                after={"created": created, "converted": converted},
            )
    return DirectNominationsOut(created=created, converted=converted, existing=unchanged)


# --- eligibility review -----------------------------------------------------------------------------------


def _eligibility_state(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "eligibility_status": row["eligibility_status"],
        "overridden": bool(row["eligibility_overridden"]),
        "note": row["eligibility_note"],
        "reviewed": row["eligibility_reviewed_at"] is not None,
    }


async def decide_eligibility(
    actor: Actor, viewer: CurrentUser, nomination_id: int, data: EligibilityDecisionIn
) -> NominationOut:
    """An organizer confirms the rules' verdict, or overrides it (with a reason); audited before/after."""
    reason = data.reason.strip()
    if data.decision == "override" and len(reason) < 2:
        raise Invalid("改判须填写理由", field="reason", code="reason_required")
    async with write_transaction():
        row = await Nomination.select().where(Nomination.id == nomination_id).first()
        if row is None:
            raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
        if data.version is not None and data.version != row["version"]:
            raise stale(row["version"])
        programme = await _programme_row(row["programme"])
        if programme["state"] not in ELIGIBILITY_REVIEW_STATES:
            raise Conflict(
                f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，资格审查已结束",
                code="eligibility_review_closed",
                detail={"state": programme["state"]},
            )
        if row["status"] != ACTIVE:
            raise Conflict("该推荐已撤回或进入后续环节", code="nomination_not_active")
        automatic = (
            _flip(row["eligibility_status"]) if row["eligibility_overridden"] else row["eligibility_status"]
        )
        status = automatic if data.decision == "confirm" else _flip(automatic)
        await Nomination.update(
            {
                Nomination.eligibility_status: status,
                Nomination.eligibility_overridden: data.decision == "override",
                Nomination.eligibility_note: reason,
                Nomination.eligibility_reviewed_by: actor.id,
                Nomination.eligibility_reviewed_at: utcnow(),
                Nomination.version: row["version"] + 1,
            }
        ).where(Nomination.id == nomination_id)
        after = await Nomination.select().where(Nomination.id == nomination_id).first()
        await audit.record(
            actor,
            f"nomination.eligibility.{data.decision}",
            "nomination",
            nomination_id,
            before=_eligibility_state(row),
            after=_eligibility_state(after),
            reason=reason,
        )
    return await get_nomination(viewer, nomination_id)


async def confirm_eligibility(actor: Actor, programme_id: int, data: BulkConfirmIn) -> BulkConfirmOut:
    """Confirm the rules' verdict for many nominations at once (those not yet reviewed); one audit row."""
    async with write_transaction():
        programme = await _programme_row(programme_id)
        if programme["state"] not in ELIGIBILITY_REVIEW_STATES:
            raise Conflict(
                f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，资格审查已结束",
                code="eligibility_review_closed",
                detail={"state": programme["state"]},
            )
        condition = (
            (Nomination.programme == programme_id)
            & (Nomination.status == ACTIVE)
            & Nomination.eligibility_reviewed_at.is_null()
        )
        ids: list[int] = []
        values = {
            Nomination.eligibility_reviewed_by: actor.id,
            Nomination.eligibility_reviewed_at: utcnow(),
            Nomination.eligibility_note: data.reason.strip(),
            Nomination.version: Nomination.version + 1,
        }
        if data.nomination_ids is None:
            ids = [r["id"] for r in await Nomination.update(values).where(condition).returning(Nomination.id)]
        else:
            for chunk in _chunks(sorted(set(data.nomination_ids))):
                done = (
                    await Nomination.update(values)
                    .where(condition & Nomination.id.is_in(list(chunk)))
                    .returning(Nomination.id)
                )
                ids += [r["id"] for r in done]
        if ids:
            await audit.record(
                actor,
                "nomination.eligibility.confirm_all",
                "programme",
                programme_id,
                after={"confirmed": len(ids), "nomination_ids": sorted(ids)},
                reason=data.reason,
            )
        counts = await _eligibility_counts(
            (Nomination.programme == programme_id) & (Nomination.status != WITHDRAWN)
        )
    return BulkConfirmOut(confirmed=len(ids), counts=counts)


# --- attachments ------------------------------------------------------------------------------------------


def _attachment_out(row: dict[str, Any]) -> AttachmentOut:
    return AttachmentOut(
        id=row["id"],
        nomination_id=row["nomination"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        created_at=row["created_at"],
    )


async def list_attachments(viewer: CurrentUser, nomination_id: int) -> list[AttachmentOut]:
    await _readable_nomination(viewer, nomination_id)
    rows = await Attachment.select().where(Attachment.nomination == nomination_id).order_by(Attachment.id)
    return [_attachment_out(r) for r in rows]


async def add_attachment(
    actor: Actor, viewer: CurrentUser, nomination_id: int, filename: str | None, content: bytes
) -> tuple[bool, AttachmentOut]:
    """Attach a PDF or image (type checked by content); the same file twice returns the first."""
    row, _ = await _writable_nomination(viewer, nomination_id)
    name = storage.clean_filename(filename)
    media = storage.check_content(name, content)
    sha256 = storage.digest(content)
    key = f"{nomination_id}/{sha256}"
    existing = await Attachment.select().where(Attachment.storage_key == key).first()
    if existing is not None:
        return False, _attachment_out(existing)
    count = await Attachment.count().where(Attachment.nomination == nomination_id)
    if count >= storage.MAX_ATTACHMENTS_PER_NOMINATION:
        raise Conflict(
            f"每份推荐最多 {storage.MAX_ATTACHMENTS_PER_NOMINATION} 个附件",
            code="too_many_attachments",
            field="file",
        )
    # The bytes go to disk first: a transaction that then fails leaves an unreferenced, content-addressed
    # file (harmless, and reused if the same file comes again), never a row without its bytes.
    await storage.store(content)
    try:
        async with write_transaction():
            inserted = await Attachment.insert(
                Attachment(
                    nomination=nomination_id,
                    filename=name,
                    content_type=media,
                    size=len(content),
                    sha256=sha256,
                    storage_key=key,
                    uploaded_by=viewer.id,
                    created_at=utcnow(),
                )
            ).returning(Attachment.id)
            attachment_id = inserted[0]["id"]
            await audit.record(
                actor,
                "attachment.create",
                "nomination",
                row["id"],
                after={
                    "attachment_id": attachment_id,
                    "filename": name,
                    "size": len(content),
                    "sha256": sha256,
                },
            )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        attachment_id = (await Attachment.select(Attachment.id).where(Attachment.storage_key == key).first())[
            "id"
        ]
        return False, _attachment_out(await Attachment.select().where(Attachment.id == attachment_id).first())
    return True, _attachment_out(await Attachment.select().where(Attachment.id == attachment_id).first())


async def open_attachment(viewer: CurrentUser, attachment_id: int) -> tuple[Path, AttachmentOut]:
    """The file on disk and its record: for organizers, the nominating union's officers, assigned experts."""
    row = await Attachment.select().where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id")
    try:
        await _readable_nomination(viewer, row["nomination"])
    except NotFound:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id") from None
    path = storage.path_of(row["sha256"])
    if not path.is_file():
        raise DomainError("附件文件缺失，请联系管理员", code="attachment_missing", status=410)
    return path, _attachment_out(row)


async def delete_attachment(actor: Actor, viewer: CurrentUser, attachment_id: int) -> None:
    row = await Attachment.select().where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id")
    try:
        await _writable_nomination(viewer, row["nomination"])
    except NotFound:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id") from None
    async with write_transaction():
        await Attachment.delete().where(Attachment.id == attachment_id)
        await audit.record(
            actor,
            "attachment.delete",
            "nomination",
            row["nomination"],
            before={"attachment_id": attachment_id, "filename": row["filename"], "sha256": row["sha256"]},
        )
        still_used = await Attachment.exists().where(Attachment.sha256 == row["sha256"])
    if not still_used:
        await storage.remove(row["sha256"])


# --- for the second half of the pipeline (expert review, shortlist) ---------------------------------------

INDUSTRIAL = frozenset(
    {"new_generation_it", "biomedicine", "intelligent_manufacturing", "robotics_equipment"}
)


def candidate_attributes(person: dict[str, Any]) -> frozenset[str]:
    """The facts a structural constraint counts, from a person row (``_FACT_COLUMNS``).

    ``industrial_worker`` (产业工人): not an enterprise leader, on the front line or holding a skill level,
    employed in one of the zone's industrial sectors (every industry but "other", which is services).
    """
    attributes = set()
    if person.get("front_line"):
        attributes.add("front_line")
    if person.get("enterprise_leader"):
        attributes.add("enterprise_leader")
    if person.get("gender") == "F":
        attributes.add("female")
    if person.get("union_member"):
        attributes.add("union_member")
    if (
        not person.get("enterprise_leader")
        and (person.get("front_line") or person.get("skill_level") is not None)
        and person.get("industry") in INDUSTRIAL
    ):
        attributes.add("industrial_worker")
    return frozenset(attributes)


class PoolEntry(msgspec.Struct, frozen=True, kw_only=True):
    nomination_id: int
    person_id: int
    name: str
    group: str
    attributes: frozenset[str]
    source: str
    source_competition_id: int | None


async def eligible_pool(programme_id: int) -> list[PoolEntry]:
    """The nominations that go on to expert review: active and (confirmed) eligible, with what the
    shortlist rules need (quota group, constraint attributes)."""
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.person,
            Nomination.quota_group,
            Nomination.source,
            Nomination.source_competition,
        )
        .where(
            (Nomination.programme == programme_id)
            & Nomination.status.is_in(list(LIVE_STATUSES))
            & (Nomination.eligibility_status == "eligible")
        )
        .order_by(Nomination.id)
    )
    facts = await _facts_of(r["person"] for r in rows)
    return [
        PoolEntry(
            nomination_id=r["id"],
            person_id=r["person"],
            name=facts[r["person"]]["name"],
            group=r["quota_group"],
            attributes=candidate_attributes(facts[r["person"]]),
            source=r["source"],
            source_competition_id=r["source_competition"],
        )
        for r in rows
    ]


# The later stages (shortlist, notice, award) register their transition hooks when imported; import them
# here, last, so that every caller of transition_programme (routes, CLI, demo, bench) runs the same hooks.
from awards import honours as _honours, notice as _notice  # noqa: E402, F401, I001
