"""Registration: contestants, union officers and organizers register people; review, withdrawal, files.

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

from accounts import audit, consent
from accounts.audit import Actor
from accounts.disclosure import OpenNumbers, disclose
from accounts.notices import Notice
from accounts.rules import Role, normalize_name, password_problem
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from accounts.security import hash_password
from accounts.service import new_person_row, parse_document, parse_mobile
from accounts.sessions import start_session
from accounts.tables import Enterprise, Person, User
from competitions import sheets
from competitions.rules import (
    STATE_NAMES,
    Ineligibility,
    PersonFacts,
    RegistrationOutcome,
    check_eligibility,
    decide_registration,
    format_registration_no,
    skill_level_label,
)
from competitions.schemas import (
    BulkReviewIn,
    EnterpriseChoice,
    NewPersonIn,
    RegisterIn,
    RegistrationOut,
    RegistrationResult,
    RegistrationsPage,
    ReviewIn,
    RowError,
    SignUpIn,
    UploadResult,
    UploadRowResult,
    WithdrawIn,
)
from competitions.shared import (
    ACCEPTED,
    FACT_COLUMNS,
    LIVE,
    LOCK_COLUMNS,
    REG_COLUMNS,
    REJECTED,
    STATUS_NAMES,
    WAITLISTED,
    WITHDRAWN,
    S,
    changes_public_reads,
    claim_seat,
    competition_row,
    count_registrations,
    local_time,
    lock_competition,
    may_see,
    person_facts,
    reference_day,
    registration_out,
    registration_out_by_id,
    registration_row,
    release_seat,
    rules_of,
    update_registration,
    waitlist_position_of,
    waitlist_positions,
)
from competitions.tables import Competition, Registration
from core import crypto
from core.db import SHANGHAI, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound

# --- one registration: lock, de-duplicate, check, claim, insert -------------------------------------------


class _Entry(msgspec.Struct):
    registration_id: int | None
    created: bool
    reasons: list[Ineligibility]


class _Undo(Exception):
    """Rolls back a transaction that found the person already registered (no seq number is spent)."""

    def __init__(self, entry: _Entry) -> None:
        self.entry = entry


def _not_eligible(reasons: Sequence[Ineligibility]) -> Invalid:
    detail = {"reasons": [{"code": str(r.code), "message": r.message} for r in reasons]}
    message = "不符合参赛条件：" + "；".join(r.message for r in reasons)
    return Invalid(message, code="not_eligible", detail=detail)


async def _open_for_registration(competition_id: int, now: dt.datetime) -> dict[str, Any]:
    row = await competition_row(competition_id, include_draft=False)
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
    return row


async def _enterprise_count(competition_id: int, employer_id: int | None) -> int:
    if employer_id is None:
        return 0
    return await count_registrations(
        (Registration.competition == competition_id)
        & (Registration.employer == employer_id)
        & Registration.status.is_in(list(LIVE))
    )


async def _reasons(competition: dict[str, Any], facts: PersonFacts) -> list[Ineligibility]:
    rules = rules_of(competition)
    count = await _enterprise_count(competition["id"], facts.employer_id) if rules.max_per_enterprise else 0
    return check_eligibility(
        rules, facts, reference_date=reference_day(rules, competition), enterprise_count=count
    )


async def _person(person_id: int, field: str = "person_id") -> dict[str, Any]:
    row = await Person.select(*FACT_COLUMNS).where(Person.id == person_id).first()
    if row is None:
        raise NotFound(f"人员不存在：{person_id}", field=field)
    return row


def _new_person_facts(row: Person, employer_in_zone: bool) -> PersonFacts:
    return PersonFacts(
        person_id=0,
        birth_date=row.birth_date,
        skill_level=row.skill_level,
        union_member=row.union_member,
        employer_id=row.employer,
        employer_in_zone=employer_in_zone,
        front_line=row.front_line,
        employed_since=row.employed_since,
    )


async def _registration_id(competition_id: int, person_id: int) -> int | None:
    row = (
        await Registration.select(Registration.id)
        .where(Registration.entry_key == f"{competition_id}:{person_id}")
        .first()
    )
    return None if row is None else row["id"]


async def _take_number(competition_id: int) -> dict[str, Any]:
    rows = await (
        Competition.update({Competition.next_seq: Competition.next_seq + 1})
        .where((Competition.id == competition_id) & (Competition.state == S.OPEN))
        .returning(*LOCK_COLUMNS, Competition.next_seq)
    )
    if not rows:
        raise Conflict("本竞赛已停止报名", code="registration_closed", field="competition_id")
    return rows[0]


async def _enter(
    actor: Actor,
    competition_id: int,
    facts: PersonFacts,
    *,
    registered_by: int | None,
    new_person: Person | None = None,
) -> _Entry:
    """One registration inside the caller's write transaction: lock, de-duplicate, check, claim, insert.

    ``new_person`` is a person row not yet saved: it is written only once the person is found eligible.
    """
    locked = await _take_number(competition_id)
    if new_person is None and (existing := await _registration_id(competition_id, facts.person_id)):
        return _Entry(existing, False, [])
    reasons = await _reasons(locked, facts)
    if reasons:
        return _Entry(None, False, reasons)
    person_id = facts.person_id
    if new_person is not None:
        await new_person.save()
        person_id = new_person.id
        await audit.record(actor, "person.create", "person", person_id, after={"name": new_person.name})
    outcome = decide_registration(locked["capacity"], locked["accepted_count"])
    if outcome == RegistrationOutcome.ACCEPTED and not await claim_seat(competition_id):
        outcome = RegistrationOutcome.WAITLISTED
    seq = locked["next_seq"] - 1
    row = Registration(
        competition=competition_id,
        person=person_id,
        entry_key=f"{competition_id}:{person_id}",
        registration_no=format_registration_no(competition_id, seq),
        employer=facts.employer_id,
        status=str(outcome),
        arrival=seq,
        registered_by=registered_by,
    )
    await row.save()
    after = {"registration_no": row.registration_no, "person_id": person_id, "status": row.status}
    await audit.record(actor, "registration.create", "registration", row.id, after=after)
    return _Entry(row.id, True, [])


async def _enter_alone(
    actor: Actor, competition_id: int, facts: PersonFacts, registered_by: int | None
) -> _Entry:
    """:func:`_enter` in a transaction of its own; a concurrent duplicate returns the first registration."""
    try:
        async with write_transaction():
            entry = await _enter(actor, competition_id, facts, registered_by=registered_by)
            if not entry.created:
                raise _Undo(entry)
    except _Undo as undo:
        entry = undo.entry
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        existing = await _registration_id(competition_id, facts.person_id)
        if existing is None:
            raise
        entry = _Entry(existing, False, [])
    if entry.reasons:
        raise _not_eligible(entry.reasons)
    return entry


@changes_public_reads
async def register_person(
    actor: Actor,
    competition_id: int,
    person_id: int,
    *,
    registered_by: int | None = None,
    now: dt.datetime | None = None,
) -> RegistrationResult:
    """Register one known person: accepted, waitlisted, their existing registration, or 422 (every reason)."""
    competition = await _open_for_registration(competition_id, now or utcnow())
    facts = person_facts(await _person(person_id))
    existing = await _registration_id(competition_id, person_id)
    if existing is not None:
        return await _result(existing, created=False)
    reasons = await _reasons(competition, facts)
    if reasons:
        raise _not_eligible(reasons)
    entry = await _enter_alone(actor, competition_id, facts, registered_by)
    assert entry.registration_id is not None
    return await _result(entry.registration_id, created=entry.created)


async def _result(registration_id: int, *, created: bool) -> RegistrationResult:
    out = await registration_out_by_id(registration_id, show_blind=False)
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


# --- who registers whom -----------------------------------------------------------------------------------


async def register(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    data: RegisterIn,
    *,
    now: dt.datetime | None = None,
) -> RegistrationResult:
    """A contestant registers themself; a union officer a member of their union; an organizer anyone."""
    if viewer.role == Role.CONTESTANT:
        if data.person is not None or data.person_id not in (None, viewer.person_id):
            raise Forbidden("选手只能为本人报名", field="person_id")
        if viewer.person_id is None:
            raise Invalid("账号未关联人员信息，请联系工会", code="no_person", field="person_id")
        return await register_person(
            actor, competition_id, viewer.person_id, registered_by=viewer.id, now=now
        )
    if data.person is not None:
        return await _register_new_person(
            actor, viewer, competition_id, data.person, data.members_consent, now or utcnow()
        )
    if data.person_id is None:
        raise Invalid("请选择要报名的人员", code="required", field="person_id")
    person = await _person(data.person_id)
    if viewer.role == Role.UNION_OFFICER and person["union"] != viewer.union_id:
        raise Forbidden("只能为本工会的会员报名", field="person_id")
    return await register_person(actor, competition_id, data.person_id, registered_by=viewer.id, now=now)


async def _employer(employer_id: int | None, field: str = "employer_id") -> dict[str, Any] | None:
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


@changes_public_reads
async def _register_new_person(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    data: NewPersonIn,
    attestation: AttestationIn | None,
    now: dt.datetime,
) -> RegistrationResult:
    competition = await _open_for_registration(competition_id, now)
    identity = parse_document(data, prefix="person.")
    parse_mobile(data.mobile, field="person.mobile")
    notice = consent.check_attestation(attestation)
    existing = (
        await Person.select(Person.id, Person.union)
        .where(Person.id_fingerprint == crypto.fingerprint(identity.key))
        .first()
    )
    if existing is not None:
        if viewer.role == Role.UNION_OFFICER and existing["union"] != viewer.union_id:
            raise Forbidden("该人员已登记在其他工会，只能为本工会的会员报名", field="person.id_number")
        return await register_person(actor, competition_id, existing["id"], registered_by=viewer.id, now=now)
    employer = await _employer(data.employer_id, "person.employer_id")
    union_id = viewer.union_id if viewer.role == Role.UNION_OFFICER else (employer or {}).get("union")
    person_in = PersonIn(**msgspec.structs.asdict(data), union_id=union_id)
    row = new_person_row(person_in, union_id, identity, prefix="person.")
    facts = _new_person_facts(row, bool(employer and employer["in_zone"]))
    reasons = await _reasons(competition, facts)
    if reasons:
        raise _not_eligible(reasons)
    try:
        async with write_transaction():
            entry = await _enter(actor, competition_id, facts, registered_by=viewer.id, new_person=row)
            if entry.reasons:
                raise _not_eligible(entry.reasons)
            await consent.record_attestation(actor, [row.id], notice)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(
                "该身份证号码已登记，请刷新后重试", code="duplicate", field="person.id_number"
            ) from None
        raise
    assert entry.registration_id is not None
    return await _result(entry.registration_id, created=True)


@changes_public_reads
async def sign_up(
    competition_id: int, data: SignUpIn, *, now: dt.datetime | None = None
) -> tuple[RegistrationResult, str]:
    """Someone without an account: person record (or their existing one), contestant user, registration,
    all in one transaction; returns the result and a session token. Ineligible: 422, nothing written."""
    competition = await _open_for_registration(competition_id, now or utcnow())
    if problem := password_problem(data.password):
        raise Invalid(problem, code="weak_password", field="password")
    identity = parse_document(data)
    mobile = parse_mobile(data.mobile)
    notice = consent.check_consent(data.consent)
    employer = await _employer(data.employer_id)
    if await User.exists().where(User.username == data.username):
        raise Conflict("用户名已被使用，请换一个", code="duplicate", field="username")
    existing = await _claimable_person(identity.key, mobile, data.name)
    if existing is not None:
        facts, new_person = person_facts(await _person(existing)), None
    else:
        union_id = (employer or {}).get("union") if data.union_member else None
        person_in = PersonIn(
            name=data.name,
            id_number=identity.number,
            mobile=mobile,
            employer_id=data.employer_id,
            union_id=union_id,
            union_member=data.union_member,
            skill_level=data.skill_level,
            front_line=data.front_line,
        )
        new_person = new_person_row(person_in, union_id, identity)
        facts = _new_person_facts(new_person, bool(employer and employer["in_zone"]))
    reasons = await _reasons(competition, facts)
    if reasons:
        raise _not_eligible(reasons)
    password_hash = await hash_password(data.password)
    try:
        user_id, entry = await _sign_up_write(competition_id, data, password_hash, facts, new_person, notice)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        if await User.exists().where(User.username == data.username):
            raise Conflict("用户名已被使用，请换一个", code="duplicate", field="username") from None
        raise Conflict("该身份证号码已登记，请登录后报名", code="duplicate", field="id_number") from None
    token = await start_session(user_id)
    assert entry.registration_id is not None
    return await _result(entry.registration_id, created=entry.created), token


async def _claimable_person(document_key: str, mobile: str, name: str) -> int | None:
    """An existing person (registered by their union) may be claimed by whoever knows their ID number,
    name and mobile, once; anyone else is told to ask their union."""
    row = (
        await Person.select(Person.id, Person.name, Person.mobile_fingerprint)
        .where(Person.id_fingerprint == crypto.fingerprint(document_key))
        .first()
    )
    if row is None:
        return None
    if await User.exists().where(User.person == row["id"]):
        raise Conflict("该身份证号码已注册账号，请直接登录后报名", code="account_exists", field="id_number")
    if row["mobile_fingerprint"] != crypto.fingerprint(mobile) or row["name"] != normalize_name(name):
        message = "该身份证号码已由所在工会登记，但姓名或手机号与登记信息不符，请联系工会核实"
        raise Conflict(message, code="person_mismatch", field="id_number")
    return row["id"]


async def _sign_up_write(
    competition_id: int,
    data: SignUpIn,
    password_hash: str,
    facts: PersonFacts,
    new_person: Person | None,
    notice: Notice,
) -> tuple[int, _Entry]:
    async with write_transaction():
        if new_person is not None:
            await new_person.save()
            facts = msgspec.structs.replace(facts, person_id=new_person.id)
        user = User(
            username=data.username,
            password_hash=password_hash,
            role=Role.CONTESTANT,
            display_name=normalize_name(data.name),
            person=facts.person_id,
        )
        await user.save()
        actor = Actor(user.id, user.display_name, Role.CONTESTANT)
        if new_person is not None:
            await audit.record(
                actor, "person.create", "person", facts.person_id, after={"name": new_person.name}
            )
        after = {"username": user.username, "role": Role.CONTESTANT, "person_id": facts.person_id}
        await audit.record(actor, "user.create", "user", user.id, after=after, reason="选手自助注册")
        await consent.record_consent(actor, facts.person_id, notice)
        entry = await _enter(actor, competition_id, facts, registered_by=user.id)
        if entry.reasons:
            raise _not_eligible(entry.reasons)
    return user.id, entry


async def enterprise_choices() -> list[EnterpriseChoice]:
    rows = await Enterprise.select(Enterprise.id, Enterprise.name).order_by(Enterprise.name)
    return [EnterpriseChoice(**r) for r in rows]


# --- reading registrations --------------------------------------------------------------------------------


async def get_registration(viewer: CurrentUser, registration_id: int) -> RegistrationOut:
    row = await registration_row(registration_id)
    if not may_see(viewer, row):
        # Whether someone registered is itself personal data: the same answer as a missing one.
        raise NotFound(f"报名记录不存在：{registration_id}", field="registration_id")
    return registration_out(row, await waitlist_position_of(row), show_blind=viewer.role == Role.ORGANIZER)


async def my_registrations(viewer: CurrentUser) -> list[RegistrationOut]:
    if viewer.person_id is None:
        return []
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where(Registration.person == viewer.person_id)
        .order_by(Registration.id, ascending=False)
    )
    return [registration_out(r, await waitlist_position_of(r), show_blind=False) for r in rows]


def _registration_filter(
    viewer: CurrentUser,
    competition_id: int,
    *,
    status: str | None = None,
    review: str | None = None,
    attendance: str | None = None,
    enterprise_id: int | None = None,
    query: str | None = None,
) -> Any:
    condition = Registration.competition == competition_id
    if viewer.role == Role.UNION_OFFICER:
        condition &= Registration.person.union == viewer.union_id
    if status:
        condition &= Registration.status == status
    if review:
        condition &= Registration.review == review
    if attendance == "unmarked":
        condition &= Registration.attendance.is_null()
    elif attendance:
        condition &= Registration.attendance == attendance
    if enterprise_id is not None:
        condition &= Registration.employer == enterprise_id
    if query:
        text = query.strip()
        condition &= Registration.person.name.like(f"%{text}%") | (
            Registration.registration_no == text.upper()
        )
    return condition


async def list_registrations(
    viewer: CurrentUser, competition_id: int, *, limit: int = 50, offset: int = 0, **filters: Any
) -> RegistrationsPage:
    await competition_row(competition_id)
    condition = _registration_filter(viewer, competition_id, **filters)
    total = await count_registrations(condition)
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where(condition)
        .order_by(Registration.arrival)
        .limit(limit)
        .offset(offset)
    )
    positions = await waitlist_positions(competition_id)
    show_blind = viewer.role == Role.ORGANIZER
    items = [registration_out(r, positions.get(r["id"]), show_blind=show_blind) for r in rows]
    return RegistrationsPage(total=total, limit=limit, offset=offset, items=items)


@changes_public_reads
# --- withdrawal and review --------------------------------------------------------------------------------

async def withdraw(
    actor: Actor,
    viewer: CurrentUser,
    registration_id: int,
    data: WithdrawIn,
    *,
    now: dt.datetime | None = None,
) -> RegistrationOut:
    """Withdraw before check-in; a freed place goes to the first on the waitlist while still open."""
    now = now or utcnow()
    row = await registration_row(registration_id)
    if not may_see(viewer, row):
        raise NotFound(f"报名记录不存在：{registration_id}", field="registration_id")
    async with write_transaction():
        competition = await lock_competition(row["competition"])
        row = await registration_row(registration_id)
        if row["status"] not in LIVE:
            raise Conflict(
                f"该报名已{STATUS_NAMES[row['status']]}", code="not_withdrawable", field="registration_id"
            )
        if competition["state"] not in (S.OPEN, S.CLOSED):
            raise Conflict(
                "检录开始后不能在线退出，请联系组织者",
                code="withdrawal_closed",
                field="registration_id",
                detail={"state": competition["state"]},
            )
        await update_registration(row, data.version, {Registration.status: WITHDRAWN})
        await audit.record(
            actor,
            "registration.withdraw",
            "registration",
            registration_id,
            before={"status": row["status"]},
            after={"status": WITHDRAWN},
            reason=data.reason,
        )
        if row["status"] == ACCEPTED:
            await release_seat(row["competition"], now)
    return await get_registration(viewer, registration_id)


_REVIEWABLE_STATES = (S.OPEN, S.CLOSED, S.CHECKED_IN)


async def _review_one(
    actor: Actor, row: dict[str, Any], decision: str, reason: str, version: int | None, now: dt.datetime
) -> bool:
    """Approve or reject one registration (inside the caller's transaction); False if nothing to do."""
    if row["status"] not in LIVE:
        return False
    if decision == "approve":
        if row["review"] == "approved":
            return False
        await update_registration(
            row, version, {Registration.review: "approved", Registration.review_reason: ""}
        )
        await audit.record(
            actor,
            "registration.approve",
            "registration",
            row["id"],
            before={"review": row["review"]},
            after={"review": "approved"},
        )
        return True
    values = {
        Registration.status: REJECTED,
        Registration.review: "rejected",
        Registration.review_reason: reason,
    }
    await update_registration(row, version, values)
    await audit.record(
        actor,
        "registration.reject",
        "registration",
        row["id"],
        before={"status": row["status"], "review": row["review"]},
        after={"status": REJECTED, "review": "rejected"},
        reason=reason,
    )
    if row["status"] == ACCEPTED:
        await release_seat(row["competition"], now)
    return True


def _check_review(data_decision: str, reason: str, competition: dict[str, Any]) -> None:
    if data_decision == "reject" and not reason.strip():
        raise Invalid("驳回报名须填写理由", code="reason_required", field="reason")
    if competition["state"] not in _REVIEWABLE_STATES or competition["drawn_at"] is not None:
        raise Conflict(
            "当前阶段不能审核报名（须在抽签之前）",
            code="review_closed",
            detail={"current": competition["state"]},
        )


@changes_public_reads
async def review(
    actor: Actor, registration_id: int, data: ReviewIn, *, now: dt.datetime | None = None
) -> RegistrationOut:
    now = now or utcnow()
    row = await registration_row(registration_id)
    async with write_transaction():
        competition = await lock_competition(row["competition"])
        _check_review(data.decision, data.reason, competition)
        row = await registration_row(registration_id)
        if row["status"] not in LIVE:
            raise Conflict(
                f"该报名已{STATUS_NAMES[row['status']]}，不能再审核",
                code="not_reviewable",
                field="registration_id",
            )
        await _review_one(actor, row, data.decision, data.reason.strip(), data.version, now)
    return await registration_out_by_id(registration_id, show_blind=True)


@changes_public_reads
async def review_many(
    actor: Actor, competition_id: int, data: BulkReviewIn, *, now: dt.datetime | None = None
) -> list[RegistrationOut]:
    """The same decision for many registrations of one competition; already-final ones are skipped."""
    now = now or utcnow()
    ids = list(dict.fromkeys(data.registration_ids))
    async with write_transaction():
        competition = await lock_competition(competition_id)
        _check_review(data.decision, data.reason, competition)
        rows = await Registration.select(*REG_COLUMNS).where(Registration.id.is_in(ids))
        by_id = {r["id"]: r for r in rows if r["competition"] == competition_id}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFound(f"本竞赛中没有这些报名：{missing[:10]}", field="registration_ids")
        changed = []
        for registration_id in ids:
            if await _review_one(
                actor, by_id[registration_id], data.decision, data.reason.strip(), None, now
            ):
                changed.append(registration_id)
    positions = await waitlist_positions(competition_id)
    rows = await Registration.select(*REG_COLUMNS).where(Registration.id.is_in(changed)) if changed else []
    return [registration_out(r, positions.get(r["id"]), show_blind=True) for r in rows]


@changes_public_reads
# --- spreadsheets: upload and export ----------------------------------------------------------------------

async def upload_registrations(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    content: bytes,
    *,
    import_valid_only: bool,
    attestation: AttestationIn | None = None,
    now: dt.datetime | None = None,
) -> UploadResult:
    """Every row validated; with any bad row nothing is written, unless ``import_valid_only``."""
    notice = consent.check_attestation(attestation)
    await _open_for_registration(competition_id, now or utcnow())
    enterprises = {
        r["name"]: r
        for r in await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.union, Enterprise.in_zone)
    }
    try:
        header, rows = sheets.read_table(content)
        parsed, errors = sheets.parse_rows(header, rows, {name: r["id"] for name, r in enterprises.items()})
    except sheets.SheetError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from None
    _refuse_if(errors, import_valid_only, len(rows))
    people = await _people_by_identity([p.identity.number for p in parsed])
    by_employer_id = {r["id"]: r for r in enterprises.values()}
    plans = []
    for item in parsed:
        plan = await _upload_plan(viewer, item, people.get(item.identity.number), by_employer_id, errors)
        if plan is not None:
            plans.append(plan)
    _refuse_if(errors, import_valid_only, len(rows))
    try:
        imported = await _import(
            actor, viewer, competition_id, plans, errors, import_valid_only, len(rows), notice
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(
                "有人同时登记了相同的人员，请重新上传", code="concurrent_change", field="file"
            ) from None
        raise
    errors.sort(key=lambda e: e.row)
    return UploadResult(total_rows=len(rows), imported=imported, skipped=errors)


def _refuse_if(errors: list[RowError], import_valid_only: bool, total: int) -> None:
    if errors and not import_valid_only:
        errors.sort(key=lambda e: e.row)
        bad_rows = len({e.row for e in errors})
        raise Invalid(
            f"表格中有 {bad_rows} 行存在问题，未导入任何数据；请修改后重新上传，或选择“仅导入无误的行”",
            code="upload_invalid",
            field="file",
            detail={
                "total_rows": total,
                "bad_rows": bad_rows,
                "errors": [msgspec.to_builtins(e) for e in errors],
            },
        )


async def _people_by_identity(numbers: list[str]) -> dict[str, dict[str, Any]]:
    by_fingerprint = {crypto.fingerprint(n): n for n in numbers}
    found: dict[str, dict[str, Any]] = {}
    keys = list(by_fingerprint)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = await Person.select(*FACT_COLUMNS, Person.id_fingerprint).where(
            Person.id_fingerprint.is_in(chunk)
        )
        for r in rows:
            found[by_fingerprint[r["id_fingerprint"]]] = r
    return found


_REASON_COLUMNS = {
    "age_out_of_range": "id_number",
    "skill_level_too_low": "skill_level",
    "skill_level_too_high": "skill_level",
    "not_union_member": "union_member",
    "employer_not_in_zone": "employer",
    "not_front_line": "front_line",
    "enterprise_limit_reached": "employer",
    "employment_too_short": "employer",
}


class _Plan(msgspec.Struct):
    row: int
    name: str
    facts: PersonFacts
    new_person: Any  # Person | None


async def _upload_plan(
    viewer: CurrentUser,
    item: sheets.ParsedRow,
    existing: dict[str, Any] | None,
    enterprises: dict[int, dict[str, Any]],
    errors: list[RowError],
) -> _Plan | None:
    if existing is not None:
        if viewer.role == Role.UNION_OFFICER and existing["union"] != viewer.union_id:
            message = "该人员已登记在其他工会，只能为本工会的会员报名"
            errors.append(
                RowError(
                    row=item.row, column="身份证号", field="id_number", code="other_union", message=message
                )
            )
            return None
        return _Plan(row=item.row, name=existing["name"], facts=person_facts(existing), new_person=None)
    employer = enterprises.get(item.employer_id) if item.employer_id else None
    union_id = viewer.union_id if viewer.role == Role.UNION_OFFICER else (employer or {}).get("union")
    person_in = PersonIn(
        name=item.name,
        id_number=item.identity.number,
        mobile=item.mobile,
        employer_id=item.employer_id,
        union_id=union_id,
        union_member=item.union_member,
        skill_level=item.skill_level,
        front_line=item.front_line,
    )
    row = new_person_row(person_in, union_id)
    return _Plan(
        row=item.row,
        name=item.name,
        facts=_new_person_facts(row, bool(employer and employer["in_zone"])),
        new_person=row,
    )


async def _import(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    plans: list[_Plan],
    errors: list[RowError],
    import_valid_only: bool,
    total: int,
    notice: Notice,
) -> list[UploadRowResult]:
    done: list[tuple[_Plan, _Entry]] = []
    async with write_transaction():
        for plan in plans:
            entry = await _enter(
                actor, competition_id, plan.facts, registered_by=viewer.id, new_person=plan.new_person
            )
            if entry.reasons:
                for reason in entry.reasons:
                    field = _REASON_COLUMNS.get(str(reason.code), "id_number")
                    errors.append(
                        RowError(
                            row=plan.row,
                            column=sheets.HEADER_OF[field],
                            field=field,
                            code=str(reason.code),
                            message=reason.message,
                        )
                    )
                continue
            done.append((plan, entry))
        _refuse_if(errors, import_valid_only, total)
        created = [plan.new_person.id for plan, _ in done if plan.new_person is not None]
        await consent.record_attestation(actor, created, notice)
    positions = await waitlist_positions(competition_id)
    ids = [e.registration_id for _, e in done]
    rows = (
        {
            r["id"]: r
            for r in await Registration.select(
                Registration.id, Registration.registration_no, Registration.status
            ).where(Registration.id.is_in(ids))
        }
        if ids
        else {}
    )
    return [
        UploadRowResult(
            row=plan.row,
            name=plan.name,
            registration_id=entry.registration_id,
            registration_no=rows[entry.registration_id]["registration_no"],
            outcome=rows[entry.registration_id]["status"],
            created=entry.created,
            waitlist_position=positions.get(entry.registration_id),
        )
        for plan, entry in done
        if entry.registration_id is not None
    ]


EXPORT_HEADERS = (
    "报名号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "手机号",
    "工作单位",
    "职业技能等级",
    "工会会员",
    "一线职工",
    "报名状态",
    "候补顺位",
    "审核",
    "审核意见",
    "检录",
    "工位号",
    "报名时间",
)

_REVIEW_NAMES = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}

_ATTENDANCE_NAMES = {"present": "到场", "absent": "缺席"}


async def export_registrations(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    *,
    fmt: str,
    full: bool,
    status: str | None = None,
    purpose: str | None = None,
) -> tuple[bytes, str, str]:
    """The registration list as XLSX or CSV; masked unless ``full`` (organizers, with a purpose: every
    person's unsealing is audited). Returns ``(content, file name, media type)``."""
    competition = await competition_row(competition_id)
    condition = _registration_filter(viewer, competition_id, status=status)
    rows = (
        await Registration.select(
            *REG_COLUMNS,
            Registration.person.gender.as_alias("gender"),
            Registration.person.birth_date.as_alias("birth_date"),
            Registration.person.skill_level.as_alias("skill_level"),
            Registration.person.union_member.as_alias("union_member"),
            Registration.person.front_line.as_alias("front_line"),
            Registration.person.id_sealed.as_alias("id_sealed"),
            Registration.person.mobile_sealed.as_alias("mobile_sealed"),
        )
        .where(condition)
        .order_by(Registration.arrival)
    )
    positions = await waitlist_positions(competition_id)
    opened = {}
    if full:
        async with write_transaction():
            after = {"rows": len(rows), "format": fmt, "status": status}
            opened = await disclose(
                actor, rows, purpose=purpose or "", context="registration.export", person_key="person"
            )
            await audit.record(
                actor,
                "registration.export_full",
                "competition",
                competition_id,
                after=after,
                reason=purpose or "",
            )
    table = [_export_row(r, positions.get(r["id"]), opened.get(r["person"])) for r in rows]
    stamp = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    name = f"报名名单-{competition['title']}-{stamp}{'-完整' if full else ''}.{fmt}"
    if fmt == "xlsx":
        return sheets.write_xlsx(EXPORT_HEADERS, table), name, sheets.XLSX_MEDIA_TYPE
    return sheets.write_csv(EXPORT_HEADERS, table), name, sheets.CSV_MEDIA_TYPE


def _export_row(r: dict[str, Any], position: int | None, opened: OpenNumbers | None) -> list[Any]:
    yes_no = {True: "是", False: "否"}
    return [
        r["registration_no"],
        r["name"],
        {"M": "男", "F": "女"}.get(r["gender"], ""),
        r["birth_date"].isoformat(),
        opened.id_number if opened else r["id_masked"],
        opened.mobile if opened else r["mobile_masked"],
        r["employer_name"] or "",
        skill_level_label(r["skill_level"]) if r["skill_level"] else "",
        yes_no[bool(r["union_member"])],
        yes_no[bool(r["front_line"])],
        STATUS_NAMES.get(r["status"], r["status"]),
        position if r["status"] == WAITLISTED else "",
        _REVIEW_NAMES.get(r["review"], r["review"]),
        r["review_reason"],
        _ATTENDANCE_NAMES.get(r["attendance"] or "", ""),
        r["station_no"] or "",
        local_time(r["created_at"]),
    ]
