"""Objections (异议) to the public notice: lodged by anyone while the notice is open (today within its
dates), the contact sealed; resolved by an organizer. Upheld: the nominee is removed and
``awards.rules.next_replacement`` decides who moves up; dismissed: with a reason. The award is refused while
any objection is pending (see :mod:`awards.honours`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from awards import notice
from awards.rows import programme_row
from awards.rules import STATE_NAMES, ProgrammeState, Replacement, next_replacement
from awards.schemas import (
    GROUNDS_MAX,
    GROUNDS_MIN,
    ChangeOut,
    ObjectionIn,
    ObjectionOut,
    ObjectionReceipt,
    ObjectionsOut,
    ResolveIn,
    ResolveOut,
    ShortlistEntry,
)
from awards.shortlist import load_pool, programme_rules, set_status, store_report, stored_report
from awards.shortlist_report import (
    PoolItem,
    candidates_of,
    quotas_for,
    report_order,
    shortlist_entry,
    tie_score,
)
from awards.tables import Nomination, Objection
from core import crypto
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

PUBLIC_ACTOR = Actor(None, "公众", "public")


async def lodge_objection(programme_id: int, data: ObjectionIn) -> ObjectionReceipt:
    """Anyone, during the notice: grounds required (10 to 2000 characters), contact sealed."""
    grounds = data.grounds.strip()
    if len(grounds) < GROUNDS_MIN:
        raise Invalid(
            f"请写明异议的事实和理由（不少于 {GROUNDS_MIN} 个字）", code="grounds_required", field="grounds"
        )
    if len(grounds) > GROUNDS_MAX:  # pragma: no cover - the schema caps the raw text already
        raise Invalid(f"异议内容不能超过 {GROUNDS_MAX} 个字", code="grounds_too_long", field="grounds")
    name = data.objector_name.strip()
    organisation = data.objector_organisation.strip()
    contact = data.contact.strip()
    anonymous = data.anonymous or not (name or organisation)
    now = utcnow()
    async with write_transaction():
        row = await programme_row(programme_id, lock="SHARE")
        if not notice.notice_open(row):
            await _refuse_outside_own_period(row, data.nomination_id)
        nominee = (
            await Nomination.select(Nomination.id, Nomination.person.name.as_alias("name"))
            .where(
                (Nomination.id == data.nomination_id)
                & (Nomination.programme == programme_id)
                & (Nomination.status == "shortlisted")
            )
            .first()
        )
        if nominee is None:
            raise Invalid("该人选不在本次公示名单中", code="not_on_notice", field="nomination_id")
        inserted = await Objection.insert(
            Objection(
                programme=programme_id,
                nomination=data.nomination_id,
                grounds=grounds,
                objector_name="" if anonymous else name,
                objector_organisation="" if anonymous else organisation,
                contact_sealed=crypto.seal(contact) if contact else None,
                anonymous=anonymous,
                status="pending",
                lodged_at=now,
            )
        ).returning(Objection.id)
        objection_id = inserted[0]["id"]
        await audit.record(
            PUBLIC_ACTOR,
            "objection.lodge",
            "objection",
            objection_id,
            after={
                "programme_id": programme_id,
                "nomination_id": data.nomination_id,
                "anonymous": anonymous,
                "organisation": bool(organisation) and not anonymous,
                "contact_given": bool(contact),
                "grounds_chars": len(grounds),
            },
        )
    return ObjectionReceipt(
        id=objection_id,
        programme_id=programme_id,
        nomination_id=data.nomination_id,
        nominee_name=nominee["name"],
        anonymous=anonymous,
        lodged_at=now,
        message="异议已登记，组织者将依规核查处理" + ("（匿名异议）" if anonymous else ""),
    )


async def _refuse_outside_own_period(row: Mapping[str, Any], nomination_id: int) -> None:
    """Past (or before) the notice, objections are still taken to a replacement within its own period."""
    report = await stored_report(row)
    entry = next((e for e in (report.selected if report else []) if e.nomination_id == nomination_id), None)
    if entry is None or not notice.open_for(row, entry.notice_starts_on, entry.notice_ends_on):
        raise notice.notice_closed(row)


_OBJECTION_COLUMNS = (
    Objection.id,
    Objection.programme,
    Objection.nomination,
    Objection.grounds,
    Objection.objector_name,
    Objection.objector_organisation,
    Objection.contact_sealed,
    Objection.anonymous,
    Objection.status,
    Objection.resolution,
    Objection.resolved_by,
    Objection.resolved_at,
    Objection.lodged_at,
    Objection.version,
    Objection.nomination.person.name.as_alias("nominee_name"),
    Objection.nomination.person.employer.name.as_alias("employer_name"),
    Objection.nomination.status.as_alias("nomination_status"),
)


def _objection_out(r: Mapping[str, Any]) -> ObjectionOut:
    sealed = r["contact_sealed"]
    return ObjectionOut(
        id=r["id"],
        programme_id=r["programme"],
        nomination_id=r["nomination"],
        nominee_name=r["nominee_name"],
        employer_name=r["employer_name"],
        nomination_status=r["nomination_status"],
        grounds=r["grounds"],
        objector_name=r["objector_name"],
        objector_organisation=r["objector_organisation"],
        contact=crypto.unseal(bytes(sealed)) if sealed else "",
        anonymous=bool(r["anonymous"]),
        status=r["status"],
        resolution=r["resolution"],
        resolved_by=r["resolved_by"],
        resolved_at=r["resolved_at"],
        lodged_at=r["lodged_at"],
        version=r["version"],
    )


async def list_objections(programme_id: int, status: str | None = None) -> ObjectionsOut:
    await programme_row(programme_id)
    counts = {
        r["status"]: r["count"]
        for r in await Objection.select(Objection.status, Count())
        .where(Objection.programme == programme_id)
        .group_by(Objection.status)
    }
    condition = Objection.programme == programme_id
    if status:
        condition &= Objection.status == status
    rows = await Objection.select(*_OBJECTION_COLUMNS).where(condition).order_by(Objection.id)
    return ObjectionsOut(
        programme_id=programme_id,
        pending=counts.get("pending", 0),
        upheld=counts.get("upheld", 0),
        dismissed=counts.get("dismissed", 0),
        items=[_objection_out(r) for r in rows],
    )


async def _objection(objection_id: int) -> dict[str, Any]:
    row = await Objection.select(*_OBJECTION_COLUMNS).where(Objection.id == objection_id).first()
    if row is None:
        raise NotFound(f"异议不存在：{objection_id}", field="objection_id")
    return row


async def resolve_objection(actor: Actor, objection_id: int, data: ResolveIn) -> ResolveOut:
    """Upheld: the nominee leaves the list and the next nominee who keeps every rule moves up (or the list
    is recomputed when no single one can); dismissed: with a reason. Audited in the same transaction."""
    reason = data.reason.strip()
    if data.decision == "dismissed" and len(reason) < 2:
        raise Invalid("驳回异议须说明理由", code="reason_required", field="reason")
    now = utcnow()
    change: ChangeOut | None = None
    also: list[int] = []
    async with write_transaction():
        row, objection = await _pending_objection(objection_id, data.version)
        updated = await (
            Objection.update(_resolution(data.decision, reason, actor, now, objection["version"]))
            .where((Objection.id == objection_id) & (Objection.version == objection["version"]))
            .returning(Objection.id)
        )
        if not updated:  # pragma: no cover - the programme lock serialises resolutions
            raise Conflict("异议已被他人处理，请刷新后重试", code="stale_version", field="version")
        if data.decision == "upheld":
            also = await _uphold_the_others(actor, objection_id, objection["nomination"], now)
            if objection["nomination_status"] == "shortlisted":
                change = await _remove_and_replace(actor, row, objection_id, objection["nomination"], now)
        await audit.record(
            actor,
            "objection.resolve",
            "objection",
            objection_id,
            before={"status": "pending"},
            after={
                "status": data.decision,
                "nomination_id": objection["nomination"],
                "also_resolved": also,
                "change": None if change is None else change.message,
            },
            reason=reason,
        )
        out = _objection_out(await _objection(objection_id))
    return ResolveOut(objection=out, also_resolved=also, change=change)


async def _pending_objection(objection_id: int, version: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The programme row (locked FOR UPDATE) and the objection re-read under that lock, if it is still
    pending, at ``version`` (when given), and the notice is running."""
    first = await _objection(objection_id)
    row = await programme_row(first["programme"], lock="UPDATE")
    objection = await _objection(objection_id)
    if objection["status"] != "pending":
        raise Conflict(
            "该异议已处理",
            code="already_resolved",
            field="objection_id",
            detail={"status": objection["status"]},
        )
    if version is not None and version != objection["version"]:
        raise Conflict(
            "异议已被他人处理或修改，请刷新后重试",
            code="stale_version",
            field="version",
            detail={"current_version": objection["version"]},
        )
    if row["state"] != ProgrammeState.PUBLIC_NOTICE:
        state = STATE_NAMES.get(row["state"], row["state"])
        raise Conflict(
            f"评选处于「{state}」阶段，不能处理异议", code="programme_locked", field="objection_id"
        )
    return row, objection


def _resolution(status: str, resolution: str, actor: Actor, now: dt.datetime, version: int) -> dict[Any, Any]:
    return {
        Objection.status: status,
        Objection.resolution: resolution,
        Objection.resolved_by: actor.id,
        Objection.resolved_at: now,
        Objection.version: version + 1,
    }


async def _uphold_the_others(
    actor: Actor, objection_id: int, nomination_id: int, now: dt.datetime
) -> list[int]:
    """The other pending objections against the same nominee are upheld with this one; their ids."""
    others = await Objection.select(Objection.id, Objection.version).where(
        (Objection.nomination == nomination_id)
        & (Objection.status == "pending")
        & (Objection.id != objection_id)
    )
    resolution = f"同一人选的异议 #{objection_id} 已成立，一并处理"
    for other in others:
        await Objection.update(_resolution("upheld", resolution, actor, now, other["version"])).where(
            Objection.id == other["id"]
        )
    return [other["id"] for other in others]


async def _remove_and_replace(
    actor: Actor, row: Mapping[str, Any], objection_id: int, removed: int, now: dt.datetime
) -> ChangeOut:
    """Take ``removed`` off the stored list and move up whoever ``next_replacement`` names (or store the
    recomputed list); the statuses, the report with the change, and an audit row."""
    report = await stored_report(row)
    assert report is not None, "a programme in public notice has a stored shortlist"
    current = [e.nomination_id for e in report.selected]
    # Still with the one removed now (next_replacement ignores it), not earlier ones.
    items = await load_pool(row)
    await set_status([removed], "removed")
    rules = programme_rules(row)
    candidates, _, _ = candidates_of(items)
    by_id = {i.nomination_id: i for i in items}
    removed_name = next((e.name for e in report.selected if e.nomination_id == removed), f"#{removed}")
    replacement = next_replacement(
        [i for i in current if i in by_id],
        removed,
        candidates,
        awards=rules.awards,
        quotas=quotas_for(items, rules.cap_of),
        constraints=rules.constraints,
    )
    rest = [i for i in current if i != removed]
    new_list, added, message = _replaced_list(removed_name, replacement, rest, by_id)
    leaving = [i for i in rest if i not in set(new_list)]
    if leaving:
        await set_status(leaving, "nominated")
    if added:
        await set_status(added, "shortlisted")
    own = await _own_period(row) if added else None
    if own is not None:
        message += f"；递补人选另行公示 {own[0].isoformat()} 至 {own[1].isoformat()}，期满后方可表彰"
    elif added:
        message += "；名单变更已在公示页公布"
    change = ChangeOut(
        at=now,
        objection_id=objection_id,
        removed_id=removed,
        removed_name=removed_name,
        added_ids=added,
        added_names=[by_id[i].name for i in added],
        recomputed=replacement.recomputed is not None,
        message=message,
        notice_starts_on=None if own is None else own[0],
        notice_ends_on=None if own is None else own[1],
    )
    moved = {e.nomination_id for e in report.selected if e.moved_up} | set(added)
    entries = {e.nomination_id: e for e in report.selected}
    selected = [
        _entry_after(entries.get(i) or shortlist_entry(by_id[i], "shortlisted"), i in moved, own, i in added)
        for i in report_order(new_list, by_id)
    ]
    await store_report(
        row["id"], msgspec.structs.replace(report, selected=selected, changes=[*report.changes, change])
    )
    await audit.record(
        actor,
        "shortlist.replace",
        "programme",
        row["id"],
        before={"selected": current},
        after={"selected": [e.nomination_id for e in selected], "removed": removed, "added": added},
        reason=message,
    )
    return change


async def _own_period(row: Mapping[str, Any]) -> tuple[dt.date, dt.date] | None:
    """A replacement's own notice period (from the next working day, the programme's length), unless the
    programme declares that a published notice of the change is enough (``change_notice``)."""
    if row["replacement_notice"] == "change_notice":
        return None
    return await notice.notice_dates(row["notice_length"], row["notice_unit"])


def _entry_after(
    entry: ShortlistEntry, moved_up: bool, own: tuple[dt.date, dt.date] | None, added: bool
) -> ShortlistEntry:
    if not (added and own):
        return msgspec.structs.replace(entry, moved_up=moved_up)
    return msgspec.structs.replace(entry, moved_up=moved_up, notice_starts_on=own[0], notice_ends_on=own[1])


def _replaced_list(
    removed_name: str, replacement: Replacement, rest: list[int], by_id: Mapping[int, PoolItem]
) -> tuple[list[int], list[int], str]:
    """(the new list, who came in, the message) after an upheld objection, in the organizer's words."""
    again = replacement.recomputed
    if again is not None and not again.feasible:
        message = (
            f"{removed_name} 撤下；没有一名候选人能递补且同时满足全部名额与结构比例，名单暂缺 1 人："
            + "；".join(s.message for s in again.infeasible)
        )
        return rest, [], message
    new_list = list(replacement.selected)
    added = [i for i in new_list if i not in set(rest)]
    names = "、".join(by_id[i].name for i in added)
    if again is not None:
        left = [i for i in rest if i not in set(new_list)]
        message = (
            f"{removed_name} 撤下后，没有一名候选人能单独递补且满足全部比例与名额，名单已整体重新计算："
            f"{names or '无'} 入选" + (f"，{'、'.join(by_id[i].name for i in left)} 出列" if left else "")
        )
    elif added:
        item = by_id[added[0]]
        message = f"{removed_name} 撤下，{item.name}（{tie_score(item.score or Decimal(0), None)}）递补"
        if replacement.tied_with:
            tied = "、".join(by_id[i].name for i in replacement.tied_with if i in by_id)
            message += f"；与其同分且同样符合条件的还有 {tied}，按编号先后确定，请评审委员会决定"
    else:
        message = f"{removed_name} 撤下，无人可递补"
    return new_list, added, message
