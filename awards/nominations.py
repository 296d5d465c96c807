"""Nominations one by one (推荐): a union officer nominates a member of their union within the window and the
quota, edits the deed or achievements, or withdraws the nomination (which frees the place). Each write is
audited in its transaction; nominating someone already nominated returns that nomination."""

from __future__ import annotations

from typing import Any

import msgspec

from accounts import audit, consent
from accounts.audit import Actor
from accounts.notices import Notice
from accounts.retention import hold_people
from accounts.schemas import CurrentUser
from accounts.service import stale
from awards.access import check_window, officer_union, writable_nomination
from awards.eligibility import evaluate, facts_of, reference_date
from awards.nomination_views import get_nomination
from awards.prizes import qualifying_hits
from awards.quotas import existing_and_used, lock_for_nominating, quota_group, quota_of
from awards.rows import from_json, nomination_key, programme_row, programme_values, to_json
from awards.rules import ACTIVE, WITHDRAWN, NominationQuotaError, check_nomination_quota
from awards.schemas import NominationIn, NominationOut, NominationPatch, PublishedResult, WithdrawIn
from awards.tables import Nomination
from core.db import is_unique_violation, read_snapshot, utcnow, write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound


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
    union_id = officer_union(viewer)
    notice = consent.check_attestation(data.members_consent)
    programme, facts, hits = await _read_nominee(programme_id, union_id, data.person_id)
    deed = _check_deed(data.deed, programme["deed_max_chars"])
    status, reasons = evaluate(
        programme["eligibility"], facts, reference_date(programme), hits.get(data.person_id, ())
    )
    group = quota_group(programme, union_id, facts["industry"])
    values = {
        Nomination.union: union_id,
        Nomination.quota_group: group,
        Nomination.nominated_by: viewer.id,
        Nomination.source: "union",
        Nomination.source_competition: None,
        Nomination.achievements: to_json(data.achievements),
        Nomination.deed: deed,
        Nomination.eligibility_status: status,
        Nomination.eligibility_reasons: to_json(reasons),
        Nomination.eligibility_overridden: False,
        Nomination.eligibility_note: "",
        Nomination.eligibility_reviewed_by: None,
        Nomination.eligibility_reviewed_at: None,
        Nomination.status: ACTIVE,
    }
    audited = {
        "programme_id": programme_id,
        "person_id": data.person_id,
        "name": facts["name"],
        "id_number": facts["id_masked"],
        "union_id": union_id,
        "eligibility_status": status,
    }
    key = nomination_key(programme_id, data.person_id)
    try:
        created, nomination_id = await _write_nomination(
            actor, programme_id, data.person_id, values, audited, notice
        )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # Two requests for the same person at once: the other one won; answer with its nomination.
        row = await Nomination.select(Nomination.id).where(Nomination.nomination_key == key).first()
        if row is None:  # pragma: no cover - the unique key that failed must be there
            raise
        created, nomination_id = False, row["id"]
    return created, await get_nomination(viewer, nomination_id)


async def _read_nominee(
    programme_id: int, union_id: int, person_id: int
) -> tuple[dict[str, Any], dict[str, Any], dict[int, list[PublishedResult]]]:
    """The programme (open now), the nominee's facts (a member of the officer's union) and their
    qualifying prizes, read on one connection."""
    async with read_snapshot():
        programme = programme_values(await programme_row(programme_id))
        check_window(programme)
        facts = (await facts_of([person_id])).get(person_id)
        if facts is None:
            raise NotFound(f"人员不存在：{person_id}", field="person_id")
        if facts["union"] != union_id:
            raise Forbidden("只能推荐本单位工会的会员", field="person_id", code="person_not_in_union")
        hits = await qualifying_hits(programme, "eligible", [person_id])
    return programme, facts, hits


async def _write_nomination(
    actor: Actor,
    programme_id: int,
    person_id: int,
    values: dict[Any, Any],
    audited: dict[str, Any],
    notice: Notice,
) -> tuple[bool, int]:
    """Under the quota locks: (False, the nomination) if the person is nominated already, else the quota
    is checked and the nomination written (or a withdrawn one revived) and audited, with the officer's
    confirmation of the member's consent: (True, its id)."""
    group = values[Nomination.quota_group]
    async with write_transaction():
        programme = await lock_for_nominating(programme_id, [group])
        check_window(programme)
        await hold_people([person_id])  # read before this transaction: the retention purge may have run
        found, used = await existing_and_used(programme, [person_id], [group])
        existing = found.get(person_id)
        if existing is not None and existing["status"] != WITHDRAWN:
            return False, existing["id"]
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
                    person=person_id,
                    nomination_key=nomination_key(programme_id, person_id),
                    created_at=utcnow(),
                )
            ).returning(Nomination.id)
            nomination_id = inserted[0]["id"]
        await audit.record(actor, "nomination.create", "nomination", nomination_id, after=audited)
        await consent.record_attestation(actor, [person_id], notice)
    return True, nomination_id


async def update_nomination(
    actor: Actor, viewer: CurrentUser, nomination_id: int, patch: NominationPatch
) -> NominationOut:
    row, programme = await writable_nomination(viewer, nomination_id)
    values: dict[Any, Any] = {}
    changed: dict[str, Any] = {}
    if patch.deed is not msgspec.UNSET:
        values[Nomination.deed] = _check_deed(patch.deed, programme["deed_max_chars"])
        changed["deed_chars"] = len(values[Nomination.deed])
    if patch.achievements is not msgspec.UNSET:
        values[Nomination.achievements] = to_json(patch.achievements)
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
            before["achievements"] = from_json(row["achievements"], Any)
        await audit.record(
            actor, "nomination.update", "nomination", nomination_id, before=before, after=changed
        )
    return await get_nomination(viewer, nomination_id)


async def withdraw_nomination(
    actor: Actor, viewer: CurrentUser, nomination_id: int, data: WithdrawIn
) -> NominationOut:
    row, _ = await writable_nomination(viewer, nomination_id)
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
