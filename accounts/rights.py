"""A person's rights under the PIPL (arts. 44–47): see and download what the platform holds about them, ask
for a correction or a deletion; organizers answer, audited.

Deletion (:func:`erase_person`) erases or anonymises the person in one transaction: every domain's source
erases its part, then the person row loses its numbers (sealed values emptied, fingerprint replaced), its
facts and, unless the person is in the public record (published results, a public notice, the honour
roll), its name and employer; their accounts are closed. The audit log keeps masked forms only: rows that
name the person have the name replaced by its masked form. That redaction is the one exception to the
log's append-only rule, required by art. 47, and is itself recorded (``person.erase``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from accounts import audit, erasure
from accounts.audit import Actor
from accounts.disclosure import disclose
from accounts.privacy import ErasedPart, PersonalData
from accounts.rules import mask_mobile
from accounts.schemas import CurrentUser, DataRequestIn, DataRequestOut, MyData, RequestAnswerIn
from accounts.service import parse_mobile, parse_name, person_out, person_row, stale
from accounts.tables import AuditLog, Consent, DataRequest, Person, User
from core import crypto
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

SELF_PURPOSE = "本人查阅、下载自己的个人信息（个人信息保护法第四十五条）"


def own_person_id(viewer: CurrentUser) -> int:
    if viewer.person_id is None:
        raise NotFound("当前账号没有关联的个人信息", code="no_person", field="person_id")
    return viewer.person_id


async def my_data(actor: Actor, viewer: CurrentUser, personal: PersonalData, *, full: bool) -> MyData:
    """Everything the platform holds about the viewer. ``full`` (the download) opens the ID and mobile
    numbers, audited as the person's own access; the page shows them masked."""
    person_id = own_person_id(viewer)
    row = await person_row(person_id)
    numbers = None
    if full and row["erased_at"] is None:
        numbers = (await disclose(actor, [row], purpose=SELF_PURPOSE, context="my_data.download"))[person_id]
    sections = [section for source in personal.sources for section in await source.describe(person_id)]
    return MyData(
        generated_at=utcnow(),
        person=person_out(row, numbers),
        accounts=await _accounts(person_id),
        consents=await _consents(person_id),
        requests=await list_requests(person_id=person_id),
        sections=[msgspec.to_builtins(s) for s in sections],
        access_log=await _access_log(person_id),
    )


async def _accounts(person_id: int) -> list[dict[str, Any]]:
    rows = await User.select(User.username, User.role, User.active, User.created_at).where(
        User.person == person_id
    )
    return [{**r, "created_at": r["created_at"].isoformat()} for r in rows]


async def _consents(person_id: int) -> list[dict[str, Any]]:
    rows = (
        await Consent.select(
            Consent.purpose,
            Consent.given_by,
            Consent.given_at,
            Consent.notice.title.as_alias("title"),
            Consent.notice.version.as_alias("version"),
            Consent.notice.text.as_alias("text"),
        )
        .where(Consent.person == person_id)
        .order_by(Consent.id)
    )
    return [{**r, "given_at": r["given_at"].isoformat()} for r in rows]


async def _access_log(person_id: int) -> list[dict[str, Any]]:
    """Who did what to the person's record, and who opened their numbers and why (masked rows only)."""
    rows = (
        await AuditLog.select(AuditLog.at, AuditLog.actor_name, AuditLog.action, AuditLog.reason)
        .where((AuditLog.entity == "person") & (AuditLog.entity_id == str(person_id)))
        .order_by(AuditLog.id, ascending=False)
        .limit(500)
    )
    return [{**r, "at": r["at"].isoformat()} for r in rows]


# --- requests ---------------------------------------------------------------------------------------------

_CORRECTABLE = {"name", "mobile", "skill_level", "union_member", "front_line", "other"}


def _request_out(row: dict[str, Any]) -> DataRequestOut:
    changes = row["changes"]
    return DataRequestOut(
        id=row["id"],
        person_id=row["person"],
        person_name=row.get("person_name", ""),
        kind=row["kind"],
        changes=msgspec.json.decode(changes) if isinstance(changes, str | bytes) else changes or {},
        reason=row["reason"],
        status=row["status"],
        answer=row["answer"],
        answered_at=row["answered_at"],
        created_at=row["created_at"],
        version=row["version"],
    )


async def list_requests(*, person_id: int | None = None, status: str | None = None) -> list[DataRequestOut]:
    condition = DataRequest.id > 0
    if person_id is not None:
        condition &= DataRequest.person == person_id
    if status:
        condition &= DataRequest.status == status
    rows = (
        await DataRequest.select(*DataRequest.all_columns(), DataRequest.person.name.as_alias("person_name"))
        .where(condition)
        .order_by(DataRequest.id, ascending=False)
        .limit(500)
    )
    return [_request_out(r) for r in rows]


def _checked_changes(data: DataRequestIn) -> dict[str, Any]:
    if data.kind == "deletion":
        return {}
    changes = {k: v for k, v in (data.changes or {}).items() if v not in (None, "")}
    unknown = set(changes) - _CORRECTABLE
    if unknown or not changes:
        raise Invalid(
            "请写明要更正的内容（姓名、手机号、技能等级等）", code="changes_required", field="changes"
        )
    if "name" in changes:
        changes["name"] = parse_name(str(changes["name"]), "changes.name")
    if "mobile" in changes:
        parse_mobile(str(changes["mobile"]), "changes.mobile")
    if "skill_level" in changes and changes["skill_level"] not in (1, 2, 3, 4, 5):
        raise Invalid("技能等级应为 1–5", code="bad_skill_level", field="changes.skill_level")
    return changes


async def file_request(actor: Actor, viewer: CurrentUser, data: DataRequestIn) -> DataRequestOut:
    """A correction or a deletion asked by the person themself; one pending request of each kind at a time."""
    person_id = own_person_id(viewer)
    changes = _checked_changes(data)
    async with write_transaction():
        if await DataRequest.exists().where(
            (DataRequest.person == person_id)
            & (DataRequest.kind == data.kind)
            & (DataRequest.status == "pending")
        ):
            raise Conflict("已有一份同类申请正在处理，请等待答复", code="request_pending", field="kind")
        stored, mobile_sealed = _stored_changes(dict(changes))
        row = DataRequest(
            person=person_id,
            requested_by=viewer.id,
            kind=data.kind,
            changes=msgspec.json.encode(stored).decode(),
            proposed_mobile_sealed=mobile_sealed,
            reason=data.reason,
            created_at=utcnow(),
        )
        await row.save()
        after = {"kind": data.kind, "fields": sorted(changes)}
        await audit.record(actor, "data_request.create", "person", person_id, after=after, reason=data.reason)
    return (await list_requests(person_id=person_id))[0]


def _stored_changes(changes: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """A proposed mobile is kept sealed (to apply it) and masked (to show it), never in clear."""
    if "mobile" not in changes:
        return changes, None
    mobile = parse_mobile(str(changes.pop("mobile")))
    return changes | {"mobile": mask_mobile(mobile)}, crypto.seal(mobile)


async def answer_request(
    actor: Actor, request_id: int, data: RequestAnswerIn, personal: PersonalData
) -> DataRequestOut:
    """An organizer completes (applies the correction, or erases) or refuses (with the reason) a request."""
    row = await DataRequest.select().where(DataRequest.id == request_id).first()
    if row is None:
        raise NotFound(f"申请不存在：{request_id}", field="request_id")
    if row["status"] != "pending":
        raise Conflict("该申请已答复", code="already_answered", field="request_id")
    if data.decision == "refuse" and not data.answer.strip():
        raise Invalid("拒绝申请须说明理由", code="reason_required", field="answer")
    erasing = data.decision == "complete" and row["kind"] == "deletion"
    if erasing:
        await erasure.refuse_if_blocked(row["person"], personal)
    parts: list[ErasedPart] = []
    async with write_transaction():
        if erasing:
            parts = await erasure.erase(actor, row["person"], personal, reason=f"删除申请 #{request_id}")
        if data.decision == "complete" and row["kind"] == "correction":
            await _apply_correction(actor, row)
        status = "completed" if data.decision == "complete" else "refused"
        updated = await (
            DataRequest.update(
                {
                    DataRequest.status: status,
                    DataRequest.answer: data.answer.strip(),
                    DataRequest.answered_by: actor.id,
                    DataRequest.answered_at: utcnow(),
                    DataRequest.version: row["version"] + 1,
                }
            )
            .where((DataRequest.id == request_id) & (DataRequest.version == data.version))
            .returning(DataRequest.id)
        )
        if not updated:
            raise stale(row["version"])
        after = {"status": status, "kind": row["kind"], "changes": _decoded(row["changes"])}
        await audit.record(
            actor, "data_request.answer", "person", row["person"], after=after, reason=data.answer.strip()
        )
    await erasure.after_commit(parts)
    return next(r for r in await list_requests(person_id=row["person"]) if r.id == request_id)


def _decoded(value: Any) -> dict[str, Any]:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else dict(value or {})


async def _apply_correction(actor: Actor, row: dict[str, Any]) -> None:
    changes = _decoded(row["changes"])
    values: dict[Any, Any] = {}
    if "name" in changes:
        values[Person.name] = parse_name(changes["name"])
    if row["proposed_mobile_sealed"]:
        mobile = crypto.unseal(bytes(row["proposed_mobile_sealed"]))
        values |= {
            Person.mobile_fingerprint: crypto.fingerprint(mobile),
            Person.mobile_sealed: crypto.seal(mobile),
            Person.mobile_masked: mask_mobile(mobile),
        }
    for field in ("skill_level", "union_member", "front_line"):
        if field in changes:
            values[getattr(Person, field)] = changes[field]
    if values:  # "other" alone: the organizer corrected it by hand and records that in the answer
        await Person.update({**values, Person.version: Person.version + 1}).where(Person.id == row["person"])
    after = changes
    await audit.record(
        actor, "person.update", "person", row["person"], after=after, reason=f"更正申请 #{row['id']}"
    )
