"""Erasing a person (PIPL art. 47), in the caller's transaction; see :mod:`accounts.rights` for the rules.

What stays: the person row (other rows point at it) with, when the person is in the public record, the
name and employer as published; gender and the year of birth (the date becomes 1 January of that year),
coarse facts the published statistics were built on. Everything else is erased: the sealed numbers and
their masks, the fingerprint (replaced by ``erased:<id>``, so the same document may be registered anew),
the facts, the union link; their log-in accounts are closed and renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.privacy import ErasedPart, PersonalData, mask_name
from accounts.tables import AuditLog, DataRequest, LoginSession, Person, User
from core.db import utcnow
from core.errors import Conflict, NotFound

ERASED_NAME = "已删除用户"
CLOSED_ACCOUNT = "已注销"


async def refuse_if_blocked(person_id: int, personal: PersonalData) -> None:
    """409 listing every record still in progress; nothing is erased while one is."""
    blockers = [reason for source in personal.sources for reason in await source.blockers(person_id)]
    if blockers:
        raise Conflict(
            "该人员仍有进行中的报名、申诉或推荐，暂不能删除：" + "；".join(blockers),
            code="erasure_blocked",
            field="person_id",
            detail={"blockers": blockers},
        )


async def erase(actor: Actor, person_id: int, personal: PersonalData, *, reason: str) -> list[ErasedPart]:
    """Erase or anonymise the person everywhere, inside the caller's write transaction."""
    row = (
        await Person.select(Person.id, Person.name, Person.birth_date, Person.erased_at)
        .where(Person.id == person_id)
        .first()
    )
    if row is None:
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    parts = [await source.erase(actor, person_id) for source in personal.sources]
    public = any(part.public_record for part in parts)
    await Person.update(_anonymous_values(person_id, row, public=public)).where(Person.id == person_id)
    user_ids = await _close_accounts(person_id)
    await DataRequest.update({DataRequest.changes: "{}", DataRequest.proposed_mobile_sealed: None}).where(
        DataRequest.person == person_id
    )
    refs = [("person", str(person_id))] + [ref for part in parts for ref in part.audit_refs]
    redacted = await _redact_audit(row["name"], refs, user_ids)
    counts: dict[str, int] = {"audit_rows_redacted": redacted, "accounts_closed": len(user_ids)}
    for part in parts:
        counts |= part.counts
    after = {"name": mask_name(row["name"]), "public_record": public, "counts": counts}
    await audit.record(actor, "person.erase", "person", person_id, after=after, reason=reason)
    return parts


async def after_commit(parts: list[ErasedPart]) -> None:
    for part in parts:
        for step in part.after_commit:
            await step()


def _anonymous_values(person_id: int, row: dict[str, Any], *, public: bool) -> dict[Any, Any]:
    values: dict[Any, Any] = {
        Person.id_fingerprint: f"erased:{person_id}",
        Person.id_sealed: b"",
        Person.id_masked: "",
        Person.mobile_fingerprint: "",
        Person.mobile_sealed: b"",
        Person.mobile_masked: "",
        Person.birth_date: dt.date(row["birth_date"].year, 1, 1),
        Person.union: None,
        Person.union_member: False,
        Person.skill_level: None,
        Person.front_line: False,
        Person.enterprise_leader: False,
        Person.employed_since: None,
        Person.erased_at: row["erased_at"] or utcnow(),
        Person.version: Person.version + 1,
    }
    if not public:
        values |= {Person.name: ERASED_NAME, Person.employer: None}
    return values


async def _close_accounts(person_id: int) -> list[int]:
    users = await User.select(User.id).where(User.person == person_id)
    ids = [u["id"] for u in users]
    for user_id in ids:
        await User.update(
            {
                User.username: f"erased-{user_id}",
                User.display_name: CLOSED_ACCOUNT,
                User.password_hash: "!",
                User.active: False,
                User.version: User.version + 1,
            }
        ).where(User.id == user_id)
    if ids:
        await LoginSession.delete().where(LoginSession.user.is_in(ids))
    return ids


async def _redact_audit(name: str, refs: list[tuple[str, str]], user_ids: list[int]) -> int:
    """The person's name becomes its masked form in every audit row about them or written by them."""
    masked = mask_name(name)
    condition = AuditLog.id < 0
    for entity, entity_id in refs:
        condition |= (AuditLog.entity == entity) & (AuditLog.entity_id == entity_id)
    if user_ids:
        condition |= AuditLog.actor_id.is_in(user_ids)
    rows = await AuditLog.select(
        AuditLog.id, AuditLog.actor_id, AuditLog.actor_name, AuditLog.before, AuditLog.after, AuditLog.reason
    ).where(condition)
    changed = 0
    for r in rows:
        values = {
            column: _replace(r[column._meta.name], name, masked)
            for column in (AuditLog.before, AuditLog.after, AuditLog.reason)
        }
        if r["actor_id"] in user_ids:
            values[AuditLog.actor_name] = CLOSED_ACCOUNT
        values = {c: v for c, v in values.items() if v != r[c._meta.name]}
        if values:
            await AuditLog.update(values).where(AuditLog.id == r["id"])
            changed += 1
    return changed


def _replace(value: Any, name: str, masked: str) -> Any:
    if value is None or not name:
        return value
    if isinstance(value, str):
        return value.replace(name, masked)
    return msgspec.json.decode(msgspec.json.encode(value).decode().replace(name, masked))
