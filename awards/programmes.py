"""Programmes (评选): create and edit one (audited, version-checked, each setting only in the states that
allow it), read them (organizers in full, the public without quotas or names), and the views of a programme
every other use case shows.

Moving a programme along its lifecycle is :mod:`awards.lifecycle`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from accounts.service import stale
from awards.eligibility import recheck_eligibility
from awards.programme_checks import refuse_quota_below_use, validate_programme
from awards.rows import programme_row, programme_values, to_json
from awards.rules import ALLOWED_TRANSITIONS, STATE_NAMES, WITHDRAWN, ProgrammeState, StructuralConstraint
from awards.schemas import (
    ATTRIBUTE_NAMES,
    KIND_NAMES,
    ConstraintIn,
    ConstraintOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    ProgrammePublic,
    QualifyingResult,
)
from awards.tables import Nomination, Programme
from competitions.catalogue import describe_rules
from competitions.rules import EligibilityRules
from core.db import utcnow, write_transaction
from core.errors import Conflict, NotFound
from scoring.rules import TIER_NAMES

# Which programme states each kind of edit is allowed in.
RULE_STATES = frozenset({ProgrammeState.DRAFT, ProgrammeState.OPEN})
REVIEW_RULE_STATES = RULE_STATES | {ProgrammeState.ELIGIBILITY_REVIEW}
TOTAL_STATES = REVIEW_RULE_STATES | {ProgrammeState.EXPERT_REVIEW}
NOTICE_SETTING_STATES = TOTAL_STATES | {ProgrammeState.SHORTLIST}
# The settings that change only in RULE_STATES; the JSON columns among all settings.
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
    lines = describe_rules(rules, "推荐截止日")
    for q in qualifying:
        prize = "、".join(TIER_NAMES[t] for t in range(1, q.max_tier + 1))
        effect = "视为符合资格" if q.effect == "eligible" else "直接推荐"
        lines.append(f"竞赛 #{q.competition_id} 获{prize}者{effect}")
    return lines


def _allowed(state: str) -> list[str]:
    return sorted(ALLOWED_TRANSITIONS.get(state, frozenset()))


def open_now(row: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Whether the programme takes nominations at ``now`` (default: now)."""
    now = now or utcnow()
    return (
        row["state"] == ProgrammeState.OPEN
        and row["nomination_opens_at"] <= now < row["nomination_closes_at"]
    )


def programme_out(row: dict[str, Any], nominations: int) -> ProgrammeOut:
    """A programme as organizers read it, with ``nominations`` active nominations."""
    v = programme_values(row)
    return ProgrammeOut(
        **_public_fields(row, v),
        allowed_transitions=_allowed(row["state"]),
        nomination_open_now=open_now(row),
        quota_scope=row["quota_scope"],
        default_quota=row["default_quota"],
        quotas=v["quotas"],
        eligibility=v["eligibility"],
        constraints=[_constraint_out(c) for c in v["constraints"]],
        review_rules=v["review_rules"],
        qualifying_results=v["qualifying_results"],
        deed_max_chars=row["deed_max_chars"],
        nominations=nominations,
        version=row["version"],
        replacement_notice=row["replacement_notice"],
    )


def _public_fields(row: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    """What organizers and the public both read of a programme: its name, kind and state, the nomination
    period, the award count, who may be nominated, the notice, and who publishes the lists and where
    objections go (on the notice and the honour roll)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "year": row["year"],
        "kind": row["kind"],
        "kind_name": KIND_NAMES.get(row["kind"], row["kind"]),
        "state": row["state"],
        "state_name": STATE_NAMES.get(row["state"], row["state"]),
        "nomination_opens_at": row["nomination_opens_at"],
        "nomination_closes_at": row["nomination_closes_at"],
        "total_awards": row["total_awards"],
        "eligibility_text": eligibility_text(v["eligibility"], v["qualifying_results"]),
        "notice_length": row["notice_length"],
        "notice_unit": row["notice_unit"],
        "notice_starts_on": row["notice_starts_on"],
        "notice_ends_on": row["notice_ends_on"],
        "issuing_body": row["issuing_body"],
        "objection_office": row["objection_office"],
        "objection_phone": row["objection_phone"],
        "objection_address": row["objection_address"],
    }


def _constraint_out(c: ConstraintIn) -> ConstraintOut:
    return ConstraintOut(
        attribute=c.attribute,
        bound=c.bound,
        percent=c.percent,
        label=c.label or ATTRIBUTE_NAMES[c.attribute],
        text=constraint_of(c).describe(),
    )


def programme_public(row: dict[str, Any]) -> ProgrammePublic:
    """What anyone may read of a programme: no quotas by union, no names."""
    v = programme_values(row)
    return ProgrammePublic(
        **_public_fields(row, v), constraints=[constraint_of(c).describe() for c in v["constraints"]]
    )


async def active_count(programme_id: int) -> int:
    """How many nominations the programme has that are not withdrawn."""
    return await Nomination.count().where(
        (Nomination.programme == programme_id) & (Nomination.status != WITHDRAWN)
    )


async def get_programme(programme_id: int) -> ProgrammeOut:
    row = await programme_row(programme_id)
    return programme_out(row, await active_count(programme_id))


async def list_programmes(*, state: str | None = None, year: int | None = None) -> list[ProgrammeOut]:
    query = Programme.select().order_by(Programme.year, ascending=False).order_by(Programme.id)
    condition = Programme.id > 0
    if state:
        condition &= Programme.state == state
    if year:
        condition &= Programme.year == year
    rows = await query.where(condition)
    counts = await _counts_by_programme([r["id"] for r in rows])
    return [programme_out(r, counts.get(r["id"], 0)) for r in rows]


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


def _row_values(values: dict[str, Any]) -> dict[Any, Any]:
    """Column -> stored value for the settings fields."""
    out: dict[Any, Any] = {}
    for name, value in values.items():
        column = getattr(Programme, name)
        out[column] = to_json(value) if name in _JSON_FIELDS and value is not None else value
    return out


async def create_programme(actor: Actor, data: ProgrammeIn) -> ProgrammeOut:
    values = {f: getattr(data, f) for f in data.__struct_fields__}
    await validate_programme(values)
    async with write_transaction():
        row = Programme(**{c._meta.name: v for c, v in _row_values(values).items()}, created_at=utcnow())
        await row.save()
        out = programme_out(await programme_row(row.id), 0)
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
        # FOR UPDATE: nominating transactions share-lock this row, so a quota check below sees them all.
        row = await programme_row(programme_id, lock="UPDATE")
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
            elif name in {"notice_length", "notice_unit", "replacement_notice"}:
                _refuse_edit(name, state, NOTICE_SETTING_STATES)
            elif state == ProgrammeState.ARCHIVED:
                _refuse_edit(name, state, frozenset())
        current = programme_values(row)
        merged = {**{f: current[f] for f in ProgrammeIn.__struct_fields__}, **changes}
        scope_changes = "quota_scope" in changes and changes["quota_scope"] != row["quota_scope"]
        if scope_changes and await active_count(programme_id):
            raise Conflict(
                "已有推荐，不能再改变名额的计算方式（按工会 / 按行业）",
                field="quota_scope",
                code="quota_scope_locked",
            )
        await validate_programme(merged)
        if {"quotas", "default_quota"} & changes.keys():
            await refuse_quota_below_use(programme_id, merged)
        before = programme_out(row, 0)
        updated = await (
            Programme.update({**_row_values(changes), Programme.version: row["version"] + 1})
            .where((Programme.id == programme_id) & (Programme.version == row["version"]))
            .returning(Programme.id)
        )
        if not updated:  # pragma: no cover - the row was read in this transaction
            raise stale(row["version"])
        after_row = await programme_row(programme_id)
        if {"eligibility", "qualifying_results", "nomination_closes_at"} & changes.keys():
            await recheck_eligibility(programme_values(after_row))
        after = programme_out(after_row, await active_count(programme_id))
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
