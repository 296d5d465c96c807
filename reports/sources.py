"""What the reports read: counts grouped by the database over other domains' tables, and published results.

Every query here is a read; the big ones are ``GROUP BY`` over registrations (a term holds 100,000) so only
a few thousand grouped rows cross into Python. The competitions of a period travel into SQL as a ``held``
table of literal rows (``VALUES``): each competition's id with the year and month-day it is held, so the
database computes every entrant's age (周岁) on that day. Only integers and dates we formatted ourselves are
written into the SQL text; anything that came from a user is a bound parameter.

Published results are not read here: scoring offers them as typed Structs (:mod:`scoring.published`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts.tables import AuditLog, Enterprise, GrassrootsUnion, SkillLevelChange
from awards.tables import Nomination, Programme
from competitions.rules import EligibilityRules
from competitions.tables import Competition, Registration
from core.db import SHANGHAI, engine_name, instant
from reports.rules import (
    AGE_BANDS,
    CompetitionFacts,
    EnterpriseFacts,
    EntryGroup,
    NominationGroup,
    ProgrammeFacts,
    WinnerGroup,
    band_cutoffs,
)

REGISTERED = "r.status <> 'withdrawn'"
PRESENT = "r.attendance = 'present'"
BIRTH = "CAST(p.birth_date AS TEXT)"
BANDS = len(AGE_BANDS) - 1  # the bands with an upper bound, each with a cutoff column


def band_sql(alias: str = "h") -> str:
    """The age band (index in :data:`reports.rules.AGE_BANDS`) of the joined person ``p`` on the day the
    competition of ``alias`` is held, from that row's birth-date cutoffs ``c0``, ``c1`` ..."""
    whens = " ".join(f"WHEN {BIRTH} > {alias}.c{i} THEN {i}" for i in range(BANDS))
    return f"CASE {whens} ELSE {BANDS} END"


def _cutoffs(day: dt.date) -> str:
    return ", ".join(f"'{c}'" for c in band_cutoffs(day))


def _cutoff_columns(alias: str = "") -> str:
    return ", ".join(f"{alias}c{i}" for i in range(BANDS))


def id_list(held: Mapping[int, dt.date]) -> str:
    """The period's competition ids for an ``IN (...)``: our own ints (see module doc)."""
    return ", ".join(str(int(cid)) for cid in sorted(held))


def held_cte(held: Mapping[int, dt.date]) -> str:
    """``held(competition, year, c0, c1, ...)``: our own ints and dates as literal rows (see module doc)."""
    rows = ", ".join(f"({int(cid)}, {day.year}, {_cutoffs(day)})" for cid, day in sorted(held.items()))
    return f"held(competition, year, {_cutoff_columns()}) AS (VALUES {rows})"


def day_of(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    moment = instant(value)
    return None if moment is None else moment.astimezone(SHANGHAI).date()


# ---------------------------------------------------------------------------------------- the zone


async def unions() -> dict[int, str]:
    rows = await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name)
    return {r["id"]: r["name"] for r in rows}


async def enterprises() -> dict[int, EnterpriseFacts]:
    rows = await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.industry, Enterprise.union)
    return {r["id"]: EnterpriseFacts(r["id"], r["name"], r["industry"], r["union"]) for r in rows}


# ------------------------------------------------------------------------------------------ competitions


async def competitions() -> list[CompetitionFacts]:
    """Every competition but drafts, with the day it is held (first stage, else registration close)."""
    rows = await Competition.raw(
        "SELECT c.id, c.title, c.industry, c.occupation, c.eligibility, c.registration_closes_at AS closes, "
        "(SELECT MIN(s.starts_at) FROM stage s WHERE s.competition = c.id) AS first_stage "
        "FROM competition c WHERE c.state <> 'draft' ORDER BY c.id"
    )
    out = []
    for r in rows:
        rules = msgspec.json.decode(r["eligibility"] or "{}", type=EligibilityRules)
        held_on = day_of(r["first_stage"]) or day_of(r["closes"])
        assert held_on is not None
        out.append(
            CompetitionFacts(
                r["id"], r["title"], r["industry"], r["occupation"], rules.least_senior_level, held_on
            )
        )
    return out


async def entry_groups(held: Mapping[int, dt.date]) -> list[EntryGroup]:
    """Registrations and participants grouped by employer, gender and age band."""
    if not held:
        return []
    band = band_sql()
    rows = await Registration.raw(
        f"WITH {held_cte(held)} "
        f"SELECT r.employer AS employer, p.gender AS gender, {band} AS band, "
        f"SUM(CASE WHEN {REGISTERED} THEN 1 ELSE 0 END) AS registrations, "
        f"SUM(CASE WHEN {PRESENT} THEN 1 ELSE 0 END) AS participants "
        "FROM held h CROSS JOIN registration r JOIN person p ON p.id = r.person "
        "WHERE r.competition = h.competition "
        f"GROUP BY r.employer, p.gender, {band}"
    )
    return [
        EntryGroup(
            r["employer"], r["gender"], int(r["band"]), int(r["registrations"]), int(r["participants"])
        )
        for r in rows
    ]


async def competition_counts(held: Mapping[int, dt.date]) -> dict[int, tuple[int, int]]:
    """competition id -> (registrations, participants)."""
    if not held:
        return {}
    # No ``held`` rows here: joined with them, SQLite builds an index over every registration first.
    rows = await Registration.raw(
        "SELECT r.competition AS competition, "
        f"SUM(CASE WHEN {REGISTERED} THEN 1 ELSE 0 END) AS registrations, "
        f"SUM(CASE WHEN {PRESENT} THEN 1 ELSE 0 END) AS participants "
        f"FROM registration r WHERE r.competition IN ({id_list(held)}) GROUP BY r.competition"
    )
    return {r["competition"]: (int(r["registrations"]), int(r["participants"])) for r in rows}


async def people_count(held: Mapping[int, dt.date]) -> int:
    """Distinct people who took part (present) in the period's competitions."""
    if not held:
        return 0
    rows = await Registration.raw(
        "SELECT COUNT(DISTINCT r.person) AS people "
        f"FROM registration r WHERE r.competition IN ({id_list(held)}) AND {PRESENT}"
    )
    return int(rows[0]["people"])


# Each engine's way to read the rows of a JSON array: SQLite's ``json_each``, PostgreSQL's functions; both
# name the element ``value``. The outer one reads the bound parameter, the inner one a group's codes.
JSON_ROWS = {
    "sqlite": ("json_each({})", "json_each(g.codes)"),
    "postgres": ("jsonb_array_elements(CAST({} AS jsonb))", "jsonb_array_elements_text(g.codes)"),
}


def won_cte(held: Mapping[int, dt.date], winners: Iterable[tuple[int, str, int]]) -> tuple[str, str] | None:
    """``won(competition, code, tier, c0, ...)``: published prize winners with their competition's age-band
    cutoffs (so no join with ``held`` is needed), and the JSON parameter the rows are read from. A term has
    tens of thousands of winners: written into the SQL text as ``VALUES`` they took SQLite longer to parse
    than the query took to run. They travel as one bound JSON array of (competition, tier, cutoffs, codes)
    groups, so each winner costs the database only its code. None when there is no winner."""
    codes: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for competition, code, tier in winners:
        if competition in held:
            codes[(int(competition), int(tier))].append(code)
    if not codes:
        return None
    groups = [(c, tier, *band_cutoffs(held[c]), names) for (c, tier), names in codes.items()]
    outer, inner = JSON_ROWS[engine_name()]
    cutoffs = ", ".join(f"value ->> {2 + i} AS c{i}" for i in range(BANDS))
    sql = (
        "groups AS MATERIALIZED (SELECT CAST(value ->> 0 AS INTEGER) AS competition, "
        f"CAST(value ->> 1 AS INTEGER) AS tier, {cutoffs}, value -> {2 + BANDS} AS codes FROM {outer}), "
        f"won AS (SELECT g.competition, c.value AS code, g.tier, {_cutoff_columns('g.')} "
        f"FROM groups g, {inner} c)"
    )
    return sql, msgspec.json.encode(groups).decode()


async def winner_groups(
    held: Mapping[int, dt.date], winners: Sequence[tuple[int, str, int]]
) -> list[WinnerGroup]:
    """Published prize winners grouped by employer, gender, age band and tier (found by blind code)."""
    won = won_cte(held, winners)
    if won is None:
        return []
    cte, elements = won
    band = band_sql("w")
    # Each winner finds its registration through the blind-code index: ``+ 0`` keeps SQLite's planner off the
    # competition index (a few hundred rows per competition), and the cross join keeps ``won`` outermost.
    rows = await Registration.raw(
        f"WITH {cte} "
        f"SELECT r.employer AS employer, p.gender AS gender, {band} AS band, w.tier AS tier, COUNT(*) AS n "
        "FROM won w CROSS JOIN registration r CROSS JOIN person p "
        "WHERE r.blind_code = w.code AND r.competition + 0 = w.competition AND p.id = r.person "
        f"GROUP BY r.employer, p.gender, {band}, w.tier",
        elements,
    )
    return [
        WinnerGroup(r["employer"], r["gender"], int(r["band"]), int(r["tier"]), int(r["n"])) for r in rows
    ]


# ---------------------------------------------------------------------------------------------- honours


async def programmes() -> list[ProgrammeFacts]:
    rows = await Programme.select(
        Programme.id, Programme.name, Programme.year, Programme.kind, Programme.quota_scope,
        Programme.default_quota, Programme.quotas, Programme.awarded_on, Programme.nomination_closes_at,
        Programme.state,
    ).where(Programme.state != "draft")  # fmt: skip
    out = []
    for r in rows:
        quotas = r["quotas"] if isinstance(r["quotas"], dict) else msgspec.json.decode(r["quotas"] or "{}")
        awarded_on = r["awarded_on"] if r["state"] in ("awarded", "archived") else None
        closes = day_of(r["nomination_closes_at"])
        assert closes is not None
        out.append(
            ProgrammeFacts(
                r["id"],
                r["name"],
                r["year"],
                r["kind"],
                r["quota_scope"],
                r["default_quota"],
                {str(k): int(v) for k, v in quotas.items()},
                awarded_on,
                closes,
            )
        )
    return out


async def nomination_groups(programme_ids: Collection[int]) -> list[NominationGroup]:
    if not programme_ids:
        return []
    rows = await Nomination.raw(
        'SELECT n.programme AS programme, n."union" AS union_id, n.quota_group AS quota_group, '
        "n.source AS source, n.status AS status, COUNT(*) AS n FROM nomination n "
        f"WHERE n.programme IN ({', '.join(str(int(i)) for i in sorted(programme_ids))}) "
        'GROUP BY n.programme, n."union", n.quota_group, n.source, n.status'
    )
    return [
        NominationGroup(
            r["programme"], r["union_id"], r["quota_group"], r["source"], r["status"], int(r["n"])
        )
        for r in rows
    ]


# ------------------------------------------------------------------------------------ published results


# ------------------------------------------------------------------------------------ skill-level promotions


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants of a period of Beijing days: from ``start`` 00:00 to the day after ``end``, 00:00."""
    lower = dt.datetime.combine(start, dt.time(), SHANGHAI)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return lower.astimezone(dt.UTC), upper.astimezone(dt.UTC)


async def promotion_counts(start: dt.date, end: dt.date) -> dict[int, int]:
    """Confirmed promotions (a competition's promotion list applied to the person) in the period, by the
    level reached: counted over ``skill_level_change`` rows of source ``promotion``, dated when confirmed."""
    lower, upper = day_bounds(start, end)
    rows = (
        await SkillLevelChange.select(SkillLevelChange.level_after, Count(SkillLevelChange.id, alias="n"))
        .where(
            (SkillLevelChange.source == "promotion")
            & SkillLevelChange.level_after.is_not_null()
            & (SkillLevelChange.changed_at >= lower)
            & (SkillLevelChange.changed_at < upper)
        )
        .group_by(SkillLevelChange.level_after)
    )
    return {int(r["level_after"]): int(r["n"]) for r in rows}


# ------------------------------------------------------------------------------------------ data version


async def data_version() -> str:
    """A cheap fingerprint of everything the reports count: the last audit row (every change that matters
    writes one in its own transaction) plus the size and last id of each table read. Equal versions mean
    equal figures; a cached figure is keyed on it, so no process serves figures older than the data."""
    tables = ("registration", "person", "enterprise", "grassroots_union", "competition", "stage",
              "publication", "programme", "nomination", "skill_level_change")  # fmt: skip
    parts = [
        f"(SELECT COALESCE(MAX(id), 0) FROM {t}) AS {t}_last, (SELECT COUNT(*) FROM {t}) AS {t}_n"
        for t in tables
    ]
    rows = await AuditLog.raw(
        f"SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_log) AS audit, {', '.join(parts)}"
    )
    return "-".join(str(v) for v in rows[0].values())
