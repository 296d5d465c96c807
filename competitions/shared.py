"""What the competitions modules share: the competition row lock, the read models, the public-read cache.

Nothing here is a use case of its own; the use-case modules (setup, lifecycle, registration, signup,
uploads, approval, withdrawal, checkin ...) build on it, and :mod:`competitions.waitlist` on top of it moves
the waitlist.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

import msgspec

from accounts.rules import INDUSTRIES, Role
from accounts.schemas import CurrentUser
from accounts.service import stale
from accounts.tables import Person
from competitions.rules import STATE_NAMES, CompetitionState, EligibilityRules, PersonFacts
from competitions.schemas import CompetitionSummary, RegistrationOut
from competitions.tables import Competition, Registration, Stage
from core.cache import LoadingCache
from core.db import SHANGHAI, Sql, utcnow
from core.errors import Conflict, NotFound

S = CompetitionState
CENT = Decimal("0.01")
ACCEPTED, WAITLISTED, REJECTED, WITHDRAWN = "accepted", "waitlisted", "rejected", "withdrawn"
LIVE = (ACCEPTED, WAITLISTED)
STATUS_NAMES = {ACCEPTED: "已报名", WAITLISTED: "候补", REJECTED: "已驳回", WITHDRAWN: "已退出"}


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- the public reads, cached ---------------------------------------------------------------------------

PUBLIC_TTL_S = 1.0
P = ParamSpec("P")
R = TypeVar("R")


class PublicReads(LoadingCache[tuple[Any, ...]]):
    """Per-process cache of what the public hammers (the competition list and pages), as encoded JSON.

    Every write of the domain drops it in its own process; another process serves the old answer for at
    most :data:`PUBLIC_TTL_S` seconds (the figures are counts and states, never personal data). Bounded
    (:class:`core.cache.LoadingCache`): an id that names nothing raises in its loader and leaves nothing.
    """


public_reads = PublicReads(ttl=PUBLIC_TTL_S, max_entries=512)


def changes_public_reads(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A write the public could see: the process's cached public reads are dropped once it is done."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await function(*args, **kwargs)
        finally:
            public_reads.clear()

    return wrapper


# --- competitions as read ---------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    Competition.id,
    Competition.series,
    Competition.series.name.as_alias("series_name"),
    Competition.title,
    Competition.occupation,
    Competition.industry,
    Competition.venue,
    Competition.registration_opens_at,
    Competition.registration_closes_at,
    Competition.capacity,
    Competition.accepted_count,
    Competition.state,
)

DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    Competition.description,
    Competition.eligibility,
    Competition.drawn_at,
    Competition.version,
)


def open_now(row: dict[str, Any], now: dt.datetime) -> bool:
    return row["state"] == S.OPEN and row["registration_opens_at"] <= now < row["registration_closes_at"]


def summary(row: dict[str, Any], now: dt.datetime) -> CompetitionSummary:
    return CompetitionSummary(
        id=row["id"],
        series_id=row["series"],
        series_name=row["series_name"],
        title=row["title"],
        occupation=row["occupation"],
        industry=row["industry"],
        industry_name=INDUSTRIES.get(row["industry"], row["industry"]),
        venue=row["venue"],
        registration_opens_at=row["registration_opens_at"],
        registration_closes_at=row["registration_closes_at"],
        capacity=row["capacity"],
        accepted_count=row["accepted_count"],
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        registration_open_now=open_now(row, now),
    )


# Every registration reads it: SQL text compiled once (the same columns as DETAIL_COLUMNS); Piccolo would
# build the joined SELECT again on every call, which cost more than the query (PERF_PLAN.md, section 0).
_COMPETITION_COLUMNS = """
  c.id AS id, c.series AS series, s.name AS series_name, c.title AS title, c.occupation AS occupation,
  c.industry AS industry, c.venue AS venue, c.registration_opens_at AS registration_opens_at,
  c.registration_closes_at AS registration_closes_at, c.capacity AS capacity,
  c.accepted_count AS accepted_count, c.state AS state, c.description AS description,
  c.eligibility AS eligibility, c.drawn_at AS drawn_at, c.version AS version"""
_COMPETITION_FROM = "FROM competition c LEFT JOIN series s ON s.id = c.series"
_COMPETITION = Sql(f"SELECT {_COMPETITION_COLUMNS} {_COMPETITION_FROM} WHERE c.id = {{}}", key_read=True)


async def competition_row(competition_id: int, *, include_draft: bool = True) -> dict[str, Any]:
    rows = await _COMPETITION.rows(competition_id)
    if not rows or (rows[0]["state"] == S.DRAFT and not include_draft):
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return rows[0]


def rules_of(row: dict[str, Any]) -> EligibilityRules:
    value = row["eligibility"]
    if isinstance(value, dict):
        return msgspec.convert(value, EligibilityRules)
    return msgspec.json.decode(value or "{}", type=EligibilityRules)


async def count_registrations(condition: Any) -> int:
    return await Registration.count().where(condition)


async def summary_of(competition_id: int) -> CompetitionSummary:
    return summary(await competition_row(competition_id), utcnow())


async def stage_rows(competition_id: int) -> list[dict[str, Any]]:
    return await Stage.select().where(Stage.competition == competition_id).order_by(Stage.position)


# --- the competition row lock -----------------------------------------------------------------------------

LOCK_COLUMNS = (
    Competition.id,
    Competition.state,
    Competition.capacity,
    Competition.accepted_count,
    Competition.eligibility,
    Competition.registration_opens_at,
    Competition.registration_closes_at,
    Competition.drawn_at,
    Competition.version,
)


async def lock_competition(competition_id: int) -> dict[str, Any]:
    """Inside a write transaction: the competition row, locked until commit (see competitions.admission)."""
    rows = await (
        Competition.update({Competition.version: Competition.version})
        .where(Competition.id == competition_id)
        .returning(*LOCK_COLUMNS)
    )
    if not rows:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return rows[0]


# SQLite: the write unit already holds the database's one write lock, so a read then an update costs no
# lock time (the one-statement form is wrong there: its RETURNING re-evaluates the CTE after the update).
_TAKE_SQLITE_READ = Sql("""
SELECT next_seq AS seq, (capacity IS NULL OR accepted_count < capacity) AS accepted
FROM competition WHERE id = {} AND state = 'open'
""")
_TAKE_SQLITE_WRITE = Sql(
    "UPDATE competition SET next_seq = next_seq + 1, accepted_count = accepted_count + {} WHERE id = {}"
)


async def take_number_and_place(competition_id: int) -> tuple[int, bool]:
    """SQLite, inside a write unit, as its LAST statement on the competition row: the arrival number and
    whether a place was free (then it is taken). 409 once registration has closed."""
    rows = await _TAKE_SQLITE_READ.rows(competition_id)
    if not rows:
        raise Conflict("本竞赛已停止报名", code="registration_closed", field="competition_id")
    await _TAKE_SQLITE_WRITE.rows(int(bool(rows[0]["accepted"])), competition_id)
    return rows[0]["seq"], bool(rows[0]["accepted"])


def reference_day(rules: EligibilityRules, competition: dict[str, Any]) -> dt.date:
    return rules.age_reference_date or competition["registration_closes_at"].astimezone(SHANGHAI).date()


# --- what eligibility needs to know of a person -----------------------------------------------------------

FACT_COLUMNS = (
    Person.id,
    Person.name,
    Person.union,
    Person.birth_date,
    Person.skill_level,
    Person.union_member,
    Person.employer,
    Person.employer.in_zone.as_alias("employer_in_zone"),
    Person.front_line,
    Person.employed_since,
)


# What registration reads of a person (FACT_COLUMNS, plus what its answer shows): name -> expression over
# ``person p LEFT JOIN enterprise e``.
_PERSON_FIELDS = {
    "id": "p.id",
    "name": "p.name",
    "union": 'p."union"',
    "birth_date": "p.birth_date",
    "skill_level": "p.skill_level",
    "union_member": "p.union_member",
    "employer": "p.employer",
    "employer_in_zone": "e.in_zone",
    "front_line": "p.front_line",
    "employed_since": "p.employed_since",
    "id_masked": "p.id_masked",
    "mobile_masked": "p.mobile_masked",
    "employer_name": "e.name",
}


def _person_columns(prefix: str = "") -> str:
    return ", ".join(f'{expression} AS "{prefix}{name}"' for name, expression in _PERSON_FIELDS.items())


_PERSON = Sql(
    f"SELECT {_person_columns()} FROM person p LEFT JOIN enterprise e ON e.id = p.employer WHERE p.id = {{}}",
    key_read=True,
)


async def person_fact_row(person_id: int) -> dict[str, Any] | None:
    rows = await _PERSON.rows(person_id)
    return rows[0] if rows else None


def entry_key(competition_id: int, person_id: int) -> str:
    """``Registration.entry_key``: unique, so a person is registered once per competition."""
    return f"{competition_id}:{person_id}"


# A person registering reads the competition, themself and their registration if any: three reads by key in
# ONE statement (a round trip each cost as much as the rest of the request's work on PostgreSQL).
_AS_PERSON = "person:"
_REGISTRANT = Sql(
    f"""
SELECT {_COMPETITION_COLUMNS}, {_person_columns(_AS_PERSON)}, r.id AS registration_id
{_COMPETITION_FROM}
  LEFT JOIN person p ON p.id = {{}} LEFT JOIN enterprise e ON e.id = p.employer
  LEFT JOIN registration r ON r.entry_key = {{}}
WHERE c.id = {{}}
""",
    key_read=True,
)


async def registrant_rows(
    competition_id: int, person_id: int
) -> tuple[dict[str, Any], dict[str, Any] | None, int | None] | None:
    """The competition's row (as :func:`competition_row`), the person's (as :func:`person_fact_row`) and
    the id of the person's registration for it, or None if no such competition."""
    rows = await _REGISTRANT.rows(person_id, entry_key(competition_id, person_id), competition_id)
    if not rows:
        return None
    competition: dict[str, Any] = {}
    person: dict[str, Any] = {}
    for name, value in rows[0].items():
        if name.startswith(_AS_PERSON):
            person[name.removeprefix(_AS_PERSON)] = value
        elif name != "registration_id":
            competition[name] = value
    return competition, person if person["id"] is not None else None, rows[0]["registration_id"]


def person_facts(row: dict[str, Any]) -> PersonFacts:
    return PersonFacts(
        person_id=row["id"],
        birth_date=row["birth_date"],
        skill_level=row["skill_level"],
        union_member=row["union_member"],
        employer_id=row["employer"],
        employer_in_zone=bool(row["employer_in_zone"]),
        front_line=row["front_line"],
        employed_since=row["employed_since"],
    )


# --- registrations as read --------------------------------------------------------------------------------

REG_COLUMNS = (
    Registration.id,
    Registration.competition,
    Registration.competition.title.as_alias("competition_title"),
    Registration.competition.state.as_alias("competition_state"),
    Registration.registration_no,
    Registration.person,
    Registration.person.name.as_alias("name"),
    Registration.person.id_masked.as_alias("id_masked"),
    Registration.person.mobile_masked.as_alias("mobile_masked"),
    Registration.person.union.as_alias("union"),
    Registration.employer,
    Registration.employer.name.as_alias("employer_name"),
    Registration.status,
    Registration.arrival,
    Registration.review,
    Registration.review_reason,
    Registration.attendance,
    Registration.station_no,
    Registration.blind_code,
    Registration.registered_by,
    Registration.created_at,
    Registration.version,
)


def registration_out(row: dict[str, Any], position: int | None, *, show_blind: bool) -> RegistrationOut:
    return RegistrationOut(
        id=row["id"],
        competition_id=row["competition"],
        competition_title=row["competition_title"],
        competition_state=row["competition_state"],
        registration_no=row["registration_no"],
        person_id=row["person"],
        name=row["name"],
        id_number=row["id_masked"],
        mobile=row["mobile_masked"],
        employer_id=row["employer"],
        employer_name=row["employer_name"],
        status=row["status"],
        status_name=STATUS_NAMES.get(row["status"], row["status"]),
        waitlist_position=position if row["status"] == WAITLISTED else None,
        review=row["review"],
        review_reason=row["review_reason"],
        attendance=row["attendance"],
        station_no=row["station_no"],
        blind_code=row["blind_code"] if show_blind else None,
        registered_by=row["registered_by"],
        created_at=row["created_at"],
        version=row["version"],
    )


async def waitlist_position_of(row: dict[str, Any]) -> int | None:
    if row["status"] != WAITLISTED:
        return None
    return await count_registrations(
        (Registration.competition == row["competition"])
        & (Registration.status == WAITLISTED)
        & (Registration.arrival <= row["arrival"])
    )


async def waitlist_positions(competition_id: int) -> dict[int, int]:
    rows = (
        await Registration.select(Registration.id)
        .where((Registration.competition == competition_id) & (Registration.status == WAITLISTED))
        .order_by(Registration.arrival)
    )
    return {r["id"]: index for index, r in enumerate(rows, start=1)}


async def registration_row(registration_id: int) -> dict[str, Any]:
    row = await Registration.select(*REG_COLUMNS).where(Registration.id == registration_id).first()
    if row is None:
        raise NotFound(f"报名记录不存在：{registration_id}", field="registration_id")
    return row


async def registration_out_by_id(registration_id: int, *, show_blind: bool) -> RegistrationOut:
    row = await registration_row(registration_id)
    return registration_out(row, await waitlist_position_of(row), show_blind=show_blind)


def may_see(viewer: CurrentUser, row: dict[str, Any]) -> bool:
    if viewer.role == Role.ORGANIZER:
        return True
    if viewer.role == Role.UNION_OFFICER:
        return row["union"] is not None and row["union"] == viewer.union_id
    return viewer.role == Role.CONTESTANT and viewer.person_id == row["person"]


async def update_registration(row: dict[str, Any], version: int | None, values: dict[Any, Any]) -> None:
    expected = row["version"] if version is None else version
    updated = await (
        Registration.update({**values, Registration.version: expected + 1})
        .where((Registration.id == row["id"]) & (Registration.version == expected))
        .returning(Registration.id)
    )
    if not updated:
        raise stale(row["version"])
