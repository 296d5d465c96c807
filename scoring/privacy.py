"""What the scoring domain holds about a person (appeals; published results), for accounts' privacy use cases.

Published results are the public record: they keep the name and employer as published (the publication
is a snapshot, untouched by erasure). An appeal's grounds are the person's own words: erased, the ruling
kept; a pending appeal blocks erasure until it is answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounts.audit import Actor
from accounts.privacy import ErasedPart, PersonalDataSource, Section
from competitions.tables import Registration
from scoring.tables import Appeal, Publication

ERASED_GROUNDS = "（已按本人申请删除）"


async def _competitions(person_id: int) -> list[int]:
    rows = await Registration.select(Registration.competition).where(Registration.person == person_id)
    return sorted({r["competition"] for r in rows})


async def _appeals(person_id: int) -> list[dict]:
    return (
        await Appeal.select(
            Appeal.id,
            Appeal.grounds,
            Appeal.status,
            Appeal.answer,
            Appeal.lodged_at,
            Appeal.competition.title.as_alias("competition"),
        )
        .where(Appeal.registration.person == person_id)
        .order_by(Appeal.id)
    )


async def describe(person_id: int) -> list[Section]:
    appeals = [
        {
            "竞赛": a["competition"],
            "申诉理由": a["grounds"],
            "状态": a["status"],
            "答复": a["answer"],
            "提交时间": a["lodged_at"].isoformat(),
        }
        for a in await _appeals(person_id)
    ]
    competitions = await _competitions(person_id)
    published = (
        await Publication.select(
            Publication.version,
            Publication.published_at,
            Publication.competition.title.as_alias("competition"),
        )
        .where(Publication.competition.is_in(competitions))
        .order_by(Publication.id)
        if competitions
        else []
    )
    results = [
        {"竞赛": p["competition"], "公布版本": p["version"], "公布时间": p["published_at"].isoformat()}
        for p in published
    ]
    return [
        Section(key="appeals", title="成绩申诉", items=appeals),
        Section(key="published_results", title="已公布的成绩（公开记录）", items=results),
    ]


async def blockers(person_id: int) -> list[str]:
    return [
        f"竞赛「{a['competition']}」的成绩申诉尚未答复"
        for a in await _appeals(person_id)
        if a["status"] == "pending"
    ]


async def erase(actor: Actor, person_id: int) -> ErasedPart:
    appeals = await _appeals(person_id)
    if appeals:
        await Appeal.update({Appeal.grounds: ERASED_GROUNDS}).where(
            Appeal.id.is_in([a["id"] for a in appeals])
        )
    competitions = await _competitions(person_id)
    public = bool(competitions) and await Publication.exists().where(
        Publication.competition.is_in(competitions)
    )
    return ErasedPart(
        counts={"appeal_grounds_erased": len(appeals)},
        public_record=public,
        audit_refs=[("appeal", str(a["id"])) for a in appeals],
    )


async def still_needed(person_ids: Sequence[int], kept_since: dt.datetime) -> set[int]:
    """Scoring keeps no ID or mobile number: what it needs of a person, competitions already says."""
    return set()


SOURCE = PersonalDataSource(
    name="scoring", describe=describe, blockers=blockers, erase=erase, still_needed=still_needed
)
