"""Admission: one registration inside a write transaction: lock, de-duplicate, check, claim, insert.

Every way in (a contestant, a union officer, an organizer, a self sign-up, a row of an uploaded sheet) ends
here, so the capacity, arrival order and "once per person" rules hold for all of them.

Capacity and arrival order under concurrency
--------------------------------------------
Every write that touches a competition's registrations first updates the competition row inside
``core.db.write_transaction()``: a registration takes its arrival number with ``next_seq = next_seq + 1
... RETURNING``, a withdrawal or a review with a no-op update (:func:`competitions.shared.lock_competition`).
On PostgreSQL that UPDATE holds the row lock until commit; on SQLite the transaction is ``BEGIN IMMEDIATE``.
Either way writers of one competition queue there, for the few milliseconds of one transaction, so
everything read after it (the duplicate check, the per-enterprise count, the waitlist) is exact. The place
itself is claimed by the conditional update ``accepted_count = accepted_count + 1 WHERE capacity IS NULL OR
accepted_count < capacity``; no row back means the registration is waitlisted. ``Registration.entry_key``
(unique ``"<competition>:<person>"``) backs the "once per person" rule: a duplicate that slips through
returns the first registration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.documents import IdentityDocument
from accounts.retention import hold_people
from accounts.schemas import PersonIn
from accounts.service import new_person_row
from accounts.tables import Enterprise, Person
from competitions.rules import (
    STATE_NAMES,
    Ineligibility,
    PersonFacts,
    RegistrationOutcome,
    check_eligibility,
    format_registration_no,
)
from competitions.schemas import RegistrationOut, RegistrationResult
from competitions.shared import (
    ACCEPTED,
    LIVE,
    STATUS_NAMES,
    WAITLISTED,
    S,
    competition_row,
    count_registrations,
    entry_key,
    local_time,
    lock_competition,
    person_fact_row,
    reference_day,
    registrant_rows,
    registration_out_by_id,
    rules_of,
    take_number_and_place,
)
from competitions.tables import Registration
from core.db import Sql, engine_name, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound


class Entry(msgspec.Struct):
    registration_id: int | None
    created: bool
    reasons: list[Ineligibility]
    # What a new registration was written with: its answer is built from these, not read back.
    registration_no: str = ""
    status: str = ""
    arrival: int = 0
    created_at: dt.datetime | None = None


def not_eligible(reasons: Sequence[Ineligibility]) -> Invalid:
    detail = {"reasons": [{"code": str(r.code), "message": r.message} for r in reasons]}
    message = "不符合参赛条件：" + "；".join(r.message for r in reasons)
    return Invalid(message, code="not_eligible", detail=detail)


async def open_for_registration(competition_id: int, now: dt.datetime) -> dict[str, Any]:
    row = await competition_row(competition_id, include_draft=False)
    _refuse_unless_open(row, now)
    return row


async def registrant(
    competition_id: int, person_id: int, now: dt.datetime
) -> tuple[dict[str, Any], dict[str, Any], int | None]:
    """A known person registering: the competition (open now, as :func:`open_for_registration`), the
    person (as :func:`person_row`) and their registration's id if they have one, read in one statement."""
    found = await registrant_rows(competition_id, person_id)
    if found is None or found[0]["state"] == S.DRAFT:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    competition, person, registration_id = found
    _refuse_unless_open(competition, now)
    if person is None:
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    return competition, person, registration_id


def _refuse_unless_open(row: dict[str, Any], now: dt.datetime) -> None:
    if row["state"] != S.OPEN:
        state = STATE_NAMES.get(row["state"], row["state"])
        raise Conflict(
            f"本竞赛当前不在报名期（{state}）",
            code="registration_closed",
            field="competition_id",
            detail={"state": row["state"]},
        )
    if now < row["registration_opens_at"]:
        raise Conflict(
            f"报名尚未开始，开始时间：{local_time(row['registration_opens_at'])}",
            code="registration_not_started",
            field="competition_id",
            detail={"opens_at": row["registration_opens_at"].isoformat()},
        )
    if now >= row["registration_closes_at"]:
        raise Conflict(
            f"报名已于 {local_time(row['registration_closes_at'])} 截止",
            code="registration_closed",
            field="competition_id",
            detail={"closes_at": row["registration_closes_at"].isoformat()},
        )


async def _enterprise_count(competition_id: int, employer_id: int | None) -> int:
    if employer_id is None:
        return 0
    return await count_registrations(
        (Registration.competition == competition_id)
        & (Registration.employer == employer_id)
        & Registration.status.is_in(list(LIVE))
    )


async def why_not_eligible(competition: dict[str, Any], facts: PersonFacts) -> list[Ineligibility]:
    rules = rules_of(competition)
    count = await _enterprise_count(competition["id"], facts.employer_id) if rules.max_per_enterprise else 0
    return check_eligibility(
        rules, facts, reference_date=reference_day(rules, competition), enterprise_count=count
    )


async def person_row(person_id: int, field: str = "person_id") -> dict[str, Any]:
    row = await person_fact_row(person_id)
    if row is None:
        raise NotFound(f"人员不存在：{person_id}", field=field)
    return row


def unsaved_person(
    data: PersonIn,
    employer: dict[str, Any] | None,
    document: IdentityDocument | None = None,
    prefix: str = "",
) -> tuple[Person, PersonFacts]:
    """A person not yet on file (sealed and masked, not saved) and their facts for the eligibility check:
    :func:`enter` saves the row only once the person is found eligible. ``document`` is the input's
    identity document when the caller has read it already; a refusal names its field under ``prefix``."""
    row = new_person_row(data, data.union_id, document, prefix=prefix)
    facts = PersonFacts(
        person_id=0,
        birth_date=row.birth_date,
        skill_level=row.skill_level,
        union_member=row.union_member,
        employer_id=row.employer,
        employer_in_zone=bool(employer and employer["in_zone"]),
        front_line=row.front_line,
        employed_since=row.employed_since,
    )
    return row, facts


_REGISTRATION_ID = Sql("SELECT id FROM registration WHERE entry_key = {}", key_read=True)


async def registration_id_of(competition_id: int, person_id: int) -> int | None:
    rows = await _REGISTRATION_ID.rows(entry_key(competition_id, person_id))
    return rows[0]["id"] if rows else None


# Every registration writes one: the INSERT as SQL compiled once (Piccolo's ``save`` builds it anew from the
# table's 15 columns each time), with the defaults the table declares.
_INSERT_REGISTRATION = Sql("""
INSERT INTO registration (competition, person, entry_key, registration_no, employer, status, arrival,
  review, review_reason, attendance, station_no, blind_code, registered_by, version, created_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, 'pending', '', NULL, NULL, NULL, {}, 1, {})
RETURNING id
""")


def _padded(value: str, width: int) -> str:
    """``f"{value:0{width}d}"`` in PostgreSQL: zero-padded, a wider number grows (``lpad`` alone cuts)."""
    return f"lpad({value}::text, greatest({width}, length({value}::text)), '0')"


# :func:`competitions.rules.format_registration_no` in SQL (a test holds the two equal).
REGISTRATION_NO_PG = f"'C' || {_padded('competition', 4)} || '-' || {_padded('seq', 5)}"
# PostgreSQL: the number, the place, the registration and its audit row in ONE statement, so the competition
# row is locked from this statement to its COMMIT with no client turn in between (milliseconds under a rush,
# and every other registration of the competition waits for the lock). Under READ COMMITTED the ``before``
# CTE's FOR UPDATE waits for a concurrent registration and re-reads the row it committed, so ``free`` is
# computed from the latest count: the capacity stays exact. ``held`` holds the person against the retention
# purge (as :func:`accounts.retention.hold_people` does; the locked row read as the purge left it) and
# takes nothing from an erased one. SQLite has no
# data-modifying CTE; its write unit holds no row lock across round trips anyway.
_CLAIM_PG = Sql(f"""
WITH held AS (SELECT id, erased_at FROM person WHERE id = {{}} FOR KEY SHARE),
before AS (
  SELECT c.id, (c.capacity IS NULL OR c.accepted_count < c.capacity) AS free
  FROM competition c WHERE c.id = {{}} AND c.state = 'open'
    AND EXISTS (SELECT 1 FROM held WHERE erased_at IS NULL)
  FOR UPDATE OF c),
taken AS (
  UPDATE competition AS c
  SET next_seq = c.next_seq + 1,
      accepted_count = c.accepted_count + CASE WHEN before.free THEN 1 ELSE 0 END
  FROM before WHERE c.id = before.id
  RETURNING c.id AS competition, c.next_seq - 1 AS seq, before.free AS accepted),
numbered AS (
  SELECT competition, seq, CASE WHEN accepted THEN {{}}::text ELSE {{}}::text END AS status,
    {REGISTRATION_NO_PG} AS registration_no
  FROM taken),
reg AS (
  INSERT INTO registration (competition, person, entry_key, registration_no, employer, status, arrival,
    review, review_reason, attendance, station_no, blind_code, registered_by, version, created_at)
  SELECT competition, (SELECT id FROM held), {{}}::text, registration_no, {{}}::int, status, seq,
    'pending', '', NULL, NULL, NULL, {{}}::int, 1, {{}}::timestamptz
  FROM numbered
  RETURNING id, person, registration_no, status, arrival),
logged AS (
  INSERT INTO audit_log ({audit.COLUMNS})
  SELECT {{}}::timestamptz, {{}}::int, {{}}::text, {{}}::text, {{}}::text, {{}}::json, {{}}::text,
    json_build_object('registration_no', registration_no, 'person_id', person, 'status', status), id::text
  FROM reg)
SELECT id, registration_no, status, arrival FROM reg
""")


async def _claim_and_insert(
    actor: Actor, competition_id: int, person_id: int, employer_id: int | None, registered_by: int | None
) -> Entry:
    """The arrival number, the place, the registration and its audit row; 409 once registration closed, or
    (PostgreSQL) when the person's numbers have been erased. On PostgreSQL one statement: atomic on its
    own, so it may run outside a transaction (:func:`enter_alone`)."""
    created_at = utcnow()
    if engine_name() == "postgres":
        audit_values = audit.row_values(actor, "registration.create", "registration")
        rows = await _CLAIM_PG.rows(
            person_id,
            competition_id,
            str(RegistrationOutcome.ACCEPTED),
            str(RegistrationOutcome.WAITLISTED),
            entry_key(competition_id, person_id),
            employer_id,
            registered_by,
            created_at,
            *audit_values,
        )
        if not rows:
            await hold_people([person_id])  # 409 if erased; else registration has closed
            raise Conflict("本竞赛已停止报名", code="registration_closed", field="competition_id")
        row = rows[0]
        return Entry(row["id"], True, [], row["registration_no"], row["status"], row["arrival"], created_at)
    seq, accepted = await take_number_and_place(competition_id)
    number = format_registration_no(competition_id, seq)
    status = str(RegistrationOutcome.ACCEPTED if accepted else RegistrationOutcome.WAITLISTED)
    rows = await _INSERT_REGISTRATION.rows(
        competition_id,
        person_id,
        entry_key(competition_id, person_id),
        number,
        employer_id,
        status,
        seq,
        registered_by,
        created_at,
    )
    registration_id = rows[0]["id"]
    after = {"registration_no": number, "person_id": person_id, "status": status}
    await audit.record(actor, "registration.create", "registration", registration_id, after=after)
    return Entry(registration_id, True, [], number, status, seq, created_at)


async def enter(
    actor: Actor,
    competition_id: int,
    facts: PersonFacts,
    *,
    registered_by: int | None,
    new_person: Person | None = None,
    competition: dict[str, Any] | None = None,
    check_duplicate: bool = True,
) -> Entry:
    """One registration inside the caller's write transaction: check, and LAST the arrival number, the place
    and the inserts (:func:`_claim_and_insert`): on PostgreSQL one statement that locks the hot row until
    the COMMIT right after it, not for the whole unit.

    ``competition`` is the row the caller read before the transaction; without it, or when the rules limit
    entries per enterprise (that count must be exact), the row is locked first, as withdrawals and reviews
    lock it. ``new_person`` is a person row not yet saved: it is written only once the person is found
    eligible. ``check_duplicate=False`` leaves "once per person" to the unique ``entry_key`` alone: a
    concurrent duplicate fails its INSERT and the whole unit, its number and place included, rolls back.
    """
    if competition is None or rules_of(competition).max_per_enterprise:
        competition = await lock_competition(competition_id)
        if competition["state"] != S.OPEN:
            raise Conflict("本竞赛已停止报名", code="registration_closed", field="competition_id")
    existing = None
    if check_duplicate and new_person is None:
        existing = await registration_id_of(competition_id, facts.person_id)
    if existing is not None:
        return Entry(existing, False, [])
    if new_person is None and engine_name() == "sqlite":  # on PostgreSQL the claim statement holds them
        # looked up before this transaction: the retention purge may have run since
        await hold_people([facts.person_id])
    reasons = await why_not_eligible(competition, facts)
    if reasons:
        return Entry(None, False, reasons)
    person_id = facts.person_id
    if new_person is not None:
        await new_person.save()
        person_id = new_person.id
        await audit.record(actor, "person.create", "person", person_id, after={"name": new_person.name})
    return await _claim_and_insert(actor, competition_id, person_id, facts.employer_id, registered_by)


async def enter_alone(
    actor: Actor, competition: dict[str, Any], facts: PersonFacts, registered_by: int | None
) -> Entry:
    """:func:`enter` in a transaction of its own; a concurrent duplicate returns the first registration."""
    competition_id = competition["id"]
    try:
        if engine_name() == "postgres" and not rules_of(competition).max_per_enterprise:
            # Nothing else to read or write: the caller has checked eligibility (no count to redo under the
            # lock), and the claim is one statement, atomic on its own: no BEGIN and COMMIT round trips.
            entry = await _claim_and_insert(
                actor, competition_id, facts.person_id, facts.employer_id, registered_by
            )
        else:
            async with write_transaction():
                entry = await enter(
                    actor,
                    competition_id,
                    facts,
                    registered_by=registered_by,
                    competition=competition,
                    check_duplicate=False,  # the caller looked just before; entry_key catches a race
                )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        existing = await registration_id_of(competition_id, facts.person_id)
        if existing is None:
            raise
        entry = Entry(existing, False, [])
    if entry.reasons:
        raise not_eligible(entry.reasons)
    return entry


async def registration_result(registration_id: int, *, created: bool) -> RegistrationResult:
    out = await registration_out_by_id(registration_id, show_blind=False)
    return _result(out, created=created)


def _result(out: RegistrationOut, *, created: bool) -> RegistrationResult:
    if not created:
        state = f"候补第 {out.waitlist_position} 位" if out.status == WAITLISTED else out.status_name
        message = f"您已报名过本竞赛（报名号 {out.registration_no}），当前状态：{state}"
    elif out.status == ACCEPTED:
        message = f"报名成功，报名号 {out.registration_no}"
    else:
        message = (
            f"名额已满，已进入候补，当前候补第 {out.waitlist_position} 位（报名号 {out.registration_no}）"
        )
    return RegistrationResult(outcome=out.status, created=created, message=message, registration=out)


_WAITING_BEFORE = Sql("""
SELECT COUNT(*) AS n FROM registration WHERE competition = {} AND status = 'waitlisted' AND arrival <= {}
""")


async def new_registration_result(
    competition: dict[str, Any], person: dict[str, Any], entry: Entry, registered_by: int | None
) -> RegistrationResult:
    """The answer to a registration just written, built from what the write had (no read-back of the row
    with its joins); only a waitlisted one reads its place in the queue."""
    assert entry.registration_id is not None and entry.created_at is not None
    position = None
    if entry.status == WAITLISTED:
        rows = await _WAITING_BEFORE.rows(competition["id"], entry.arrival)
        position = rows[0]["n"]
    out = RegistrationOut(
        id=entry.registration_id,
        competition_id=competition["id"],
        competition_title=competition["title"],
        competition_state=competition["state"],
        registration_no=entry.registration_no,
        person_id=person["id"],
        name=person["name"],
        id_number=person["id_masked"],
        mobile=person["mobile_masked"],
        employer_id=person["employer"],
        employer_name=person["employer_name"],
        status=entry.status,
        status_name=STATUS_NAMES.get(entry.status, entry.status),
        waitlist_position=position,
        review="pending",
        review_reason="",
        attendance=None,
        station_no=None,
        blind_code=None,
        registered_by=registered_by,
        created_at=entry.created_at,
        version=1,
    )
    return _result(out, created=True)


async def employer_row(employer_id: int | None, field: str = "employer_id") -> dict[str, Any] | None:
    if employer_id is None:
        return None
    row = (
        await Enterprise.select(Enterprise.id, Enterprise.union, Enterprise.in_zone)
        .where(Enterprise.id == employer_id)
        .first()
    )
    if row is None:
        raise Invalid(f"工作单位不存在：{employer_id}", code="unknown_reference", field=field)
    return row
