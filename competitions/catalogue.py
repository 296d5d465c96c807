"""The competitions as people read them: the public list and pages (cached), the organizer's view with counts.

No personal data here: the list and pages show places, states and the rules, never who registered.
"""

from __future__ import annotations

from typing import Any

import msgspec

from competitions.rules import ALLOWED_TRANSITIONS, STAGE_KIND_NAMES, EligibilityRules, skill_level_label
from competitions.schemas import (
    CompetitionAdminOut,
    CompetitionOut,
    CompetitionStats,
    CompetitionSummary,
    SeriesOut,
    StageOut,
)
from competitions.shared import (
    ACCEPTED,
    CENT,
    LIVE,
    REJECTED,
    SUMMARY_COLUMNS,
    WAITLISTED,
    WITHDRAWN,
    S,
    competition_row,
    count_registrations,
    public_reads,
    rules_of,
    stage_rows,
    summary,
)
from competitions.tables import Competition, Registration, Series
from core.db import utcnow

# --- public reads (cached) --------------------------------------------------------------------------------


async def public_competitions_json(*, series_id: int | None, state: str | None) -> bytes:
    async def load() -> bytes:
        items = await list_competitions(include_drafts=False, series_id=series_id, state=state)
        return msgspec.json.encode(items)

    # A series that does not exist lists nothing: that answer is not kept, so ids asked at random leave
    # no entries (a real series with no public competition yet costs one query a request until it has one).
    keep = None if series_id is None else (lambda value: value != b"[]")
    return await public_reads.get_or_load(("list", series_id, state), load, keep)


async def public_competition_json(competition_id: int) -> bytes:
    async def load() -> bytes:
        return msgspec.json.encode(await get_competition(competition_id))

    return await public_reads.get_or_load(("detail", competition_id), load)


# --- series -----------------------------------------------------------------------------------------------


async def list_series() -> list[SeriesOut]:
    rows = await Series.select(Series.id, Series.name, Series.year).order_by(Series.year, ascending=False)
    return [SeriesOut(**r) for r in rows]


# --- reading competitions ---------------------------------------------------------------------------------


async def list_competitions(
    *,
    include_drafts: bool,
    series_id: int | None = None,
    state: str | None = None,
    query: str | None = None,
) -> list[CompetitionSummary]:
    condition = Competition.id > 0
    if not include_drafts:
        condition &= Competition.state != S.DRAFT
    if series_id is not None:
        condition &= Competition.series == series_id
    if state:
        condition &= Competition.state == state
    if query:
        condition &= Competition.title.like(f"%{query}%") | Competition.occupation.like(f"%{query}%")
    rows = (
        await Competition.select(*SUMMARY_COLUMNS)
        .where(condition)
        .order_by(Competition.registration_opens_at, ascending=False)
        .order_by(Competition.id, ascending=False)
    )
    now = utcnow()
    return [summary(r, now) for r in rows]


def _stage_out(row: dict[str, Any]) -> StageOut:
    return StageOut(
        id=row["id"],
        position=row["position"],
        name=row["name"],
        kind=row["kind"],
        kind_name=STAGE_KIND_NAMES.get(row["kind"], row["kind"]),
        weight_percent=row["weight_percent"].quantize(CENT),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )


def describe_rules(rules: EligibilityRules, deadline: str = "报名截止日") -> list[str]:
    """The rules in words, as a reader sees them: on a competition's page, and on an honours programme's
    pages and notice (its ``deadline`` is the nomination's); empty when they ask nothing. Ages and years
    employed are measured on the rules' own day, else on the deadline."""
    lines: list[str] = []
    day = rules.age_reference_date
    on = f"（以 {day.isoformat()} 计）" if day else f"（以{deadline}计）"
    if rules.min_age is not None and rules.max_age is not None:
        lines.append(f"年龄 {rules.min_age}–{rules.max_age} 周岁{on}")
    elif rules.min_age is not None:
        lines.append(f"年龄满 {rules.min_age} 周岁{on}")
    elif rules.max_age is not None:
        lines.append(f"年龄不超过 {rules.max_age} 周岁{on}")
    if rules.least_senior_level is not None:
        lines.append(f"职业技能等级：{skill_level_label(rules.least_senior_level)}及以上")
    if rules.most_senior_level is not None:
        lines.append(f"职业技能等级：{skill_level_label(rules.most_senior_level)}及以下")
    if rules.union_member_required:
        lines.append("须为工会会员")
    if rules.zone_enterprise_required:
        lines.append("须为本区登记注册企业的职工")
    if rules.front_line_only:
        lines.append("仅限一线职工")
    if rules.max_per_enterprise is not None:
        lines.append(f"每家企业限报 {rules.max_per_enterprise} 人")
    if rules.min_years_employed is not None:
        lines.append(f"须在本区连续工作满 {rules.min_years_employed} 年{on}")
    return lines


async def get_competition(competition_id: int, *, include_draft: bool = False) -> CompetitionOut:
    row = await competition_row(competition_id, include_draft=include_draft)
    stages = await stage_rows(competition_id)
    waitlisted = await count_registrations(
        (Registration.competition == competition_id) & (Registration.status == WAITLISTED)
    )
    rules = rules_of(row)
    head = summary(row, utcnow())
    return CompetitionOut(
        **msgspec.structs.asdict(head),
        description=row["description"],
        waitlisted_count=waitlisted,
        allowed_transitions=sorted(ALLOWED_TRANSITIONS.get(row["state"], ())),
        stages=[_stage_out(s) for s in stages],
        eligibility=rules,
        eligibility_text=describe_rules(rules) or ["不限"],
        drawn_at=row["drawn_at"],
        version=row["version"],
    )


async def get_competition_admin(competition_id: int) -> CompetitionAdminOut:
    competition = await get_competition(competition_id, include_draft=True)
    rows = await Registration.select(
        Registration.status, Registration.review, Registration.attendance, Registration.station_no
    ).where(Registration.competition == competition_id)
    counts = {s: 0 for s in (ACCEPTED, WAITLISTED, REJECTED, WITHDRAWN)}
    pending = approved = present = absent = drawn = 0
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        live = r["status"] in LIVE
        pending += live and r["review"] == "pending"
        approved += live and r["review"] == "approved"
        accepted = r["status"] == ACCEPTED
        present += accepted and r["attendance"] == "present"
        absent += accepted and r["attendance"] == "absent"
        drawn += accepted and r["station_no"] is not None
    stats = CompetitionStats(
        accepted=counts[ACCEPTED],
        waitlisted=counts[WAITLISTED],
        rejected=counts[REJECTED],
        withdrawn=counts[WITHDRAWN],
        pending_review=pending,
        approved=approved,
        present=present,
        absent=absent,
        drawn=drawn,
    )
    return CompetitionAdminOut(competition=competition, stats=stats)
