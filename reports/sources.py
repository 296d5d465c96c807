"""What the reports read: counts grouped by the database over other domains' tables, and published results.

Every query here is a read; the big ones are ``GROUP BY`` over registrations (a term holds 100,000) so only
a few thousand grouped rows cross into Python. The competitions of a period travel into SQL as a ``held``
table of literal rows (``VALUES``): each competition's id with the year and month-day it is held, so the
database computes every entrant's age (周岁) on that day. Only integers and dates we formatted ourselves are
written into the SQL text; anything that came from a user is a bound parameter.

Published results are not read here: scoring offers them as typed Structs (:mod:`scoring.published`). Their
prize winners (tens of thousands in a term) come back into SQL as one bound JSON parameter (:func:`won_cte`),
so that one pass over the registrations counts entries and prizes together (:func:`entry_groups`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
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
    TIERS,
    CompetitionFacts,
    EnterpriseFacts,
    EntryGroup,
    NominationGroup,
    ProgrammeFacts,
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


def _cutoff_columns() -> str:
    return ", ".join(f"c{i}" for i in range(BANDS))


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


async def entry_groups(
    held: Mapping[int, dt.date], winners: Mapping[int, Mapping[str, int]]
) -> list[EntryGroup]:
    """Registrations, participants and published prize winners by tier, grouped by employer, gender and age
    band: one pass over the period's registrations, each finding its prize (if any) by its blind code."""
    if not held:
        return []
    band = band_sql()
    won, codes = won_cte(held, winners)
    tiers = ", ".join(f"SUM(CASE WHEN w.tier = {t} THEN 1 ELSE 0 END) AS tier{t}" for t in TIERS)
    rows = await Registration.raw(
        f"WITH {held_cte(held)}, {won} "
        f"SELECT r.employer AS employer, p.gender AS gender, {band} AS band, "
        f"SUM(CASE WHEN {REGISTERED} THEN 1 ELSE 0 END) AS registrations, "
        f"SUM(CASE WHEN {PRESENT} THEN 1 ELSE 0 END) AS participants, {tiers} "
        "FROM held h CROSS JOIN registration r JOIN person p ON p.id = r.person "
        "LEFT JOIN won w ON w.competition = r.competition AND w.code = r.blind_code "
        "WHERE r.competition = h.competition "
        f"GROUP BY r.employer, p.gender, {band}",
        codes,
    )
    return [
        EntryGroup(
            r["employer"], r["gender"], int(r["band"]), int(r["registrations"]), int(r["participants"]),
            tuple([int(r[f"tier{t}"]) for t in TIERS]),
        )
        for r in rows
    ]  # fmt: skip


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


def won_cte(held: Mapping[int, dt.date], winners: Mapping[int, Mapping[str, int]]) -> tuple[str, str]:
    """``won(competition, code, tier)``: the period's published prize winners (competition -> blind code ->
    tier), and the JSON parameter they are read from. A term has tens of thousands of winners: written into
    the SQL text as ``VALUES`` they took SQLite longer to parse than the query took to run. They travel as
    one bound JSON array of (competition, tier, codes) groups, so each winner costs the database only its
    code. Materialized, so that SQLite indexes them for the registrations' look-ups."""
    codes: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for competition, tiers in winners.items():
        if competition in held:
            for code, tier in tiers.items():
                codes[(competition, tier)].append(code)
    outer, inner = JSON_ROWS[engine_name()]
    sql = (
        "groups AS MATERIALIZED (SELECT CAST(value ->> 0 AS INTEGER) AS competition, "
        f"CAST(value ->> 1 AS INTEGER) AS tier, value -> 2 AS codes FROM {outer}), "
        "won AS MATERIALIZED (SELECT g.competition AS competition, c.value AS code, g.tier AS tier "
        f"FROM groups g, {inner} c)"
    )
    return sql, msgspec.json.encode([(c, t, names) for (c, t), names in codes.items()]).decode()


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
