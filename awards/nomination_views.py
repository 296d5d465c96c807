"""Reading nominations: one, or a programme's filtered page with its eligibility counts, as the reader may
see them (the ID number masked for every reader: full numbers only through accounts' audited unsealing,
with a purpose; a union officer sees their own union's, an expert the programmes they review)."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from accounts.rules import Role
from accounts.schemas import CurrentUser
from awards.access import officer_union
from awards.rows import from_json, programme_row
from awards.rules import WITHDRAWN
from awards.schemas import Achievements, EligibilityCounts, EligibilityReason, NominationOut, NominationsPage
from awards.tables import Attachment, Nomination, Reviewer
from core.errors import NotFound

NOMINATION_COLUMNS = (
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
    Nomination.person.employer.as_alias("employer_id"),
    Nomination.person.employer.industry.as_alias("industry"),
    Nomination.union.name.as_alias("union_name"),
)


def nomination_out(row: dict[str, Any], *, attachments: int = 0) -> NominationOut:
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
        achievements=from_json(row["achievements"], Achievements) or Achievements(),
        deed=row["deed"],
        eligibility_status=row["eligibility_status"],
        eligibility_reasons=from_json(row["eligibility_reasons"], list[EligibilityReason]) or [],
        eligibility_overridden=bool(row["eligibility_overridden"]),
        eligibility_note=row["eligibility_note"],
        eligibility_reviewed=row["eligibility_reviewed_at"] is not None,
        eligibility_reviewed_at=row["eligibility_reviewed_at"],
        status=row["status"],
        attachments=attachments,
        created_at=row["created_at"],
        version=row["version"],
    )


async def attachment_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = (
        await Attachment.select(Attachment.nomination, Count())
        .where(Attachment.nomination.is_in(ids))
        .group_by(Attachment.nomination)
    )
    return {r["nomination"]: r["count"] for r in rows}


async def _reviews_unrecused(viewer: CurrentUser, programme_id: int, nominee_employer_id: int | None) -> bool:
    """The expert sits on the programme's panel and is not recused from this nominee: a reviewer of the
    nominee's own employer never reads the nomination (name, employer, deeds, birth date), by any route."""
    seat = (
        await Reviewer.select(Reviewer.expert.person.employer.as_alias("employer_id"))
        .where((Reviewer.programme == programme_id) & (Reviewer.expert == viewer.id))
        .first()
    )
    if seat is None:
        return False
    return seat["employer_id"] is None or seat["employer_id"] != nominee_employer_id


async def readable_nomination(viewer: CurrentUser, nomination_id: int) -> dict[str, Any]:
    """The nomination row if ``viewer`` may read it; a missing one and a forbidden one look the same."""
    row = await Nomination.select(*NOMINATION_COLUMNS).where(Nomination.id == nomination_id).first()
    allowed = row is not None and (
        viewer.role == Role.ORGANIZER
        or (
            viewer.role == Role.UNION_OFFICER
            and row["union"] == viewer.union_id
            and viewer.union_id is not None
        )
        or (
            viewer.role == Role.EXPERT
            and await _reviews_unrecused(viewer, row["programme"], row["employer_id"])
        )
    )
    if not allowed or row is None:
        raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
    return row


async def get_nomination(viewer: CurrentUser, nomination_id: int) -> NominationOut:
    row = await readable_nomination(viewer, nomination_id)
    counts = await attachment_counts([nomination_id])
    return nomination_out(row, attachments=counts.get(nomination_id, 0))


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
    await programme_row(programme_id)
    condition = Nomination.programme == programme_id
    if viewer.role == Role.UNION_OFFICER:
        condition &= Nomination.union == officer_union(viewer)
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
        await Nomination.select(*NOMINATION_COLUMNS)
        .where(condition)
        .order_by(Nomination.id)
        .limit(limit)
        .offset(offset)
    )
    counts = await attachment_counts([r["id"] for r in rows])
    return NominationsPage(
        total=total,
        limit=limit,
        offset=offset,
        counts=await eligibility_counts(base),
        items=[nomination_out(r, attachments=counts.get(r["id"], 0)) for r in rows],
    )


async def eligibility_counts(condition: Any) -> EligibilityCounts:
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
