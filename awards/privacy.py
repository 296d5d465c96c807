"""What the awards domain holds about a person (nominations, evidence, certificates), for accounts' privacy
use cases.

A nomination that reached the public notice or the honour roll is the public record: its name, employer
and deed stay as published. Every other nomination loses its deed and achievements; evidence files are
deleted (rows in the transaction, bytes after it commits). A nomination still in an unfinished programme
blocks erasure (the union withdraws it first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from accounts.audit import Actor, entered_state
from accounts.privacy import ErasedPart, PersonalDataSource, Section
from awards import storage
from awards.rules import STATE_NAMES, ProgrammeState
from awards.tables import Attachment, Nomination, Programme

ENDED = {ProgrammeState.AWARDED, ProgrammeState.ARCHIVED}
NOTICED = {ProgrammeState.PUBLIC_NOTICE, ProgrammeState.AWARDED, ProgrammeState.ARCHIVED}
PUBLISHED_STATUSES = {"shortlisted", "awarded", "removed"}
LIVE_STATUSES = {"nominated", "shortlisted"}


async def _nominations(person_id: int) -> list[dict]:
    return (
        await Nomination.select(
            Nomination.id,
            Nomination.status,
            Nomination.deed,
            Nomination.achievements,
            Nomination.eligibility_status,
            Nomination.certificate_no,
            Nomination.created_at,
            Nomination.programme.id.as_alias("programme_id"),
            Nomination.programme.name.as_alias("programme"),
            Nomination.programme.state.as_alias("state"),
        )
        .where(Nomination.person == person_id)
        .order_by(Nomination.id)
    )


def _public(row: dict) -> bool:
    return row["state"] in NOTICED and row["status"] in PUBLISHED_STATUSES


def _json(value: object) -> object:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) and value else value


async def describe(person_id: int) -> list[Section]:
    nominations = await _nominations(person_id)
    items = [
        {
            "评选": n["programme"],
            "评选阶段": STATE_NAMES.get(n["state"], n["state"]),
            "推荐状态": n["status"],
            "资格审查": n["eligibility_status"],
            "事迹": n["deed"],
            "成果": _json(n["achievements"]),
            "证书编号": n["certificate_no"] or "",
            "推荐时间": n["created_at"].isoformat(),
        }
        for n in nominations
    ]
    ids = [n["id"] for n in nominations]
    files = (
        await Attachment.select(Attachment.filename, Attachment.size, Attachment.created_at)
        .where(Attachment.nomination.is_in(ids))
        .order_by(Attachment.id)
        if ids
        else []
    )
    evidence = [
        {"文件名": f["filename"], "大小（字节）": f["size"], "上传时间": f["created_at"].isoformat()}
        for f in files
    ]
    return [
        Section(key="nominations", title="评选推荐", items=items),
        Section(key="attachments", title="推荐证明材料", items=evidence),
    ]


async def blockers(person_id: int) -> list[str]:
    return [
        f"评选「{n['programme']}」尚在进行，推荐未结束（请所在工会撤回推荐或待评选结束）"
        for n in await _nominations(person_id)
        if n["state"] not in ENDED and n["status"] in LIVE_STATUSES
    ]


async def erase(actor: Actor, person_id: int) -> ErasedPart:
    nominations = await _nominations(person_id)
    private = [n["id"] for n in nominations if not _public(n)]
    if private:
        await Nomination.update(
            {Nomination.deed: "", Nomination.achievements: "{}", Nomination.version: Nomination.version + 1}
        ).where(Nomination.id.is_in(private))
    ids = [n["id"] for n in nominations]
    files = (
        await Attachment.select(Attachment.id, Attachment.sha256).where(Attachment.nomination.is_in(ids))
        if ids
        else []
    )
    if files:
        await Attachment.delete().where(Attachment.id.is_in([f["id"] for f in files]))
    digests = sorted({f["sha256"] for f in files})

    async def remove_unused_files() -> None:
        for sha256 in digests:
            if not await Attachment.exists().where(Attachment.sha256 == sha256):
                await storage.remove(sha256)

    return ErasedPart(
        counts={"nomination_deeds_erased": len(private), "attachments_deleted": len(files)},
        public_record=any(_public(n) for n in nominations),
        audit_refs=[("nomination", str(i)) for i in ids],
        after_commit=[remove_unused_files] if digests else [],
    )


async def still_needed(person_ids: Sequence[int], kept_since: dt.datetime) -> set[int]:
    """People nominated to a programme not ended (awarded or archived), or ended at or after
    ``kept_since``."""
    needed: set[int] = set()
    for start in range(0, len(person_ids), 500):
        rows = await Nomination.select(
            Nomination.person, Nomination.programme, Nomination.programme.state.as_alias("state")
        ).where(Nomination.person.is_in(list(person_ids[start : start + 500])))
        ended = sorted({r["programme"] for r in rows if r["state"] in ENDED})
        ended_at = await entered_state("programme.transition", ended, set(ENDED))
        for r in rows:
            at = ended_at.get(str(r["programme"])) if r["state"] in ENDED else None
            if at is None and r["state"] in ENDED:
                at = await _awarded_on(r["programme"])
            if at is None or at >= kept_since:
                needed.add(r["person"])
    return needed


async def _awarded_on(programme_id: int) -> dt.datetime | None:
    row = await Programme.select(Programme.awarded_on).where(Programme.id == programme_id).first()
    if row is None or row["awarded_on"] is None:
        return None
    return dt.datetime.combine(row["awarded_on"], dt.time(), dt.UTC)


SOURCE = PersonalDataSource(
    name="awards", describe=describe, blockers=blockers, erase=erase, still_needed=still_needed
)
