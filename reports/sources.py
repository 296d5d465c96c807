"""What the reports read: counts grouped by the database over other domains' tables, and published results.

Every query here is a read; the big ones are ``GROUP BY`` over registrations (a term holds 100,000) so only
a few thousand grouped rows cross into Python. The competitions of a period travel into SQL as a ``held``
table of literal rows (``VALUES``): each competition's id with the year and month-day it is held, so the
database computes every entrant's age (周岁) on that day. Only integers and dates we formatted ourselves are
written into the SQL text; anything that came from a user is a bound parameter.

:func:`published_results` is the one read of scoring's published results (``scoring.tables.Publication``,
written by ``scoring.results``); it will become a call of scoring's own typed function.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from accounts.tables import AuditLog, Enterprise, GrassrootsUnion
from awards.tables import Nomination, Programme
from competitions.rules import EligibilityRules
from competitions.tables import Competition, Registration
from core.db import SHANGHAI
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
from scoring.tables import Publication

BLIND_CODE = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}$")
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


def held_cte(held: Mapping[int, dt.date]) -> str:
    """``held(competition, year, c0, c1, ...)``: our own ints and dates as literal rows (see module doc)."""
    rows = ", ".join(f"({int(cid)}, {day.year}, {_cutoffs(day)})" for cid, day in sorted(held.items()))
    return f"held(competition, year, {_cutoff_columns()}) AS (VALUES {rows})"


def instant(value: Any) -> dt.datetime | None:
    """A timestamp as the engine returns it from a raw query (a datetime, or ISO text on SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


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
    rows = await Registration.raw(
        f"WITH {held_cte(held)} SELECT r.competition AS competition, "
        f"SUM(CASE WHEN {REGISTERED} THEN 1 ELSE 0 END) AS registrations, "
        f"SUM(CASE WHEN {PRESENT} THEN 1 ELSE 0 END) AS participants "
        "FROM held h CROSS JOIN registration r WHERE r.competition = h.competition GROUP BY r.competition"
    )
    return {r["competition"]: (int(r["registrations"]), int(r["participants"])) for r in rows}


async def people_count(held: Mapping[int, dt.date]) -> int:
    """Distinct people who took part (present) in the period's competitions."""
    if not held:
        return 0
    rows = await Registration.raw(
        f"WITH {held_cte(held)} SELECT COUNT(DISTINCT r.person) AS people "
        f"FROM held h CROSS JOIN registration r WHERE r.competition = h.competition AND {PRESENT}"
    )
    return int(rows[0]["people"])


def won_cte(held: Mapping[int, dt.date], winners: Iterable[tuple[int, str, int]]) -> str | None:
    """``won(competition, code, tier, c0, ...)``: published prize winners with their competition's age-band
    cutoffs (so no join with ``held`` is needed). Codes are checked against the blind-code form before they
    are written into the SQL text. None when there is no winner."""
    rows = ", ".join(
        f"({int(c)}, '{code}', {int(t)}, {_cutoffs(held[c])})"
        for c, code, t in winners
        if c in held and BLIND_CODE.match(code)
    )
    return f"won(competition, code, tier, {_cutoff_columns()}) AS (VALUES {rows})" if rows else None


async def winner_groups(
    held: Mapping[int, dt.date], winners: Sequence[tuple[int, str, int]]
) -> list[WinnerGroup]:
    """Published prize winners grouped by employer, gender, age band and tier (found by blind code)."""
    won = won_cte(held, winners)
    if won is None:
        return []
    band = band_sql("w")
    # Each winner finds its registration through the blind-code index: ``+ 0`` keeps SQLite's planner off the
    # competition index (a few hundred rows per competition), and the cross join keeps ``won`` outermost.
    rows = await Registration.raw(
        f"WITH {won} "
        f"SELECT r.employer AS employer, p.gender AS gender, {band} AS band, w.tier AS tier, COUNT(*) AS n "
        "FROM won w CROSS JOIN registration r CROSS JOIN person p "
        "WHERE r.blind_code = w.code AND r.competition + 0 = w.competition AND p.id = r.person "
        f"GROUP BY r.employer, p.gender, {band}, w.tier"
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


class PublishedRow(msgspec.Struct, kw_only=True, frozen=True):
    """A published result as the public saw it; unknown fields of the stored board are ignored."""

    rank: int | None
    tier: int | None
    prize: str | None
    name: str
    employer: str
    blind_code: str
    final_score: str
    disqualified: bool = False


class _Board(msgspec.Struct, kw_only=True):
    rows: list[PublishedRow]


class PublishedResults(msgspec.Struct, kw_only=True, frozen=True):
    competition_id: int
    version: int
    published_at: dt.datetime
    rows: list[PublishedRow]


async def published_results(
    competition_ids: Collection[int] | None = None,
    *,
    every_version: bool = False,
    with_rows: bool = True,
) -> list[PublishedResults]:
    """Published results of the given competitions (all when None): the latest version of each, or
    ``every_version`` (the change feed); ``with_rows=False`` reads the versions without the boards.
    Ordered by competition, then version."""
    if competition_ids is not None and not competition_ids:
        return []
    where = []
    if competition_ids is not None:
        where.append(f"p.competition IN ({', '.join(str(int(i)) for i in sorted(competition_ids))})")
    if not every_version:
        where.append(
            "p.version = (SELECT MAX(q.version) FROM publication q WHERE q.competition = p.competition)"
        )
    columns = "p.competition AS competition, p.version AS version, p.published_at AS published_at"
    rows = await Publication.raw(
        f"SELECT {columns}{', p.results AS results' if with_rows else ''} FROM publication p "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY p.competition, p.version"
    )
    decoder = msgspec.json.Decoder(_Board)
    out = []
    for r in rows:
        board = decoder.decode(_bytes(r["results"])).rows if with_rows else []
        published_at = instant(r["published_at"])
        assert published_at is not None
        out.append(
            PublishedResults(
                competition_id=r["competition"], version=r["version"], published_at=published_at, rows=board
            )
        )
    return out


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return msgspec.json.encode(value)


# ------------------------------------------------------------------------------------------ data version


async def data_version() -> str:
    """A cheap fingerprint of everything the reports count: the last audit row (every change that matters
    writes one in its own transaction) plus the size and last id of each table read. Equal versions mean
    equal figures; a cached figure is keyed on it, so no process serves figures older than the data."""
    tables = ("registration", "person", "enterprise", "grassroots_union", "competition", "stage",
              "publication", "programme", "nomination")  # fmt: skip
    parts = [
        f"(SELECT COALESCE(MAX(id), 0) FROM {t}) AS {t}_last, (SELECT COUNT(*) FROM {t}) AS {t}_n"
        for t in tables
    ]
    rows = await AuditLog.raw(
        f"SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_log) AS audit, {', '.join(parts)}"
    )
    return "-".join(str(v) for v in rows[0].values())
