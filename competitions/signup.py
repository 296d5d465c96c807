"""Sign-up: someone without an account registers in one step (person, contestant user, registration).

A person a union already put on file may be claimed by whoever knows their ID number, name and mobile, once.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts import audit, consent
from accounts.audit import Actor
from accounts.notices import Notice
from accounts.rules import Role, normalize_name, password_problem
from accounts.schemas import PersonIn
from accounts.security import hash_password
from accounts.service import parse_document, parse_mobile
from accounts.sessions import start_session
from accounts.tables import Enterprise, Person, User
from competitions.admission import (
    Entry,
    employer_row,
    enter,
    not_eligible,
    open_for_registration,
    person_row,
    registration_result,
    unsaved_person,
    why_not_eligible,
)
from competitions.rules import PersonFacts
from competitions.schemas import EnterpriseChoice, RegistrationResult, SignUpIn
from competitions.shared import changes_public_reads, person_facts
from core import crypto
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid


@changes_public_reads
async def sign_up(
    competition_id: int, data: SignUpIn, *, now: dt.datetime | None = None
) -> tuple[RegistrationResult, str]:
    """Someone without an account: person record (or their existing one), contestant user, registration,
    all in one transaction; returns the result and a session token. Ineligible: 422, nothing written."""
    competition = await open_for_registration(competition_id, now or utcnow())
    if problem := password_problem(data.password):
        raise Invalid(problem, code="weak_password", field="password")
    identity = parse_document(data)
    mobile = parse_mobile(data.mobile)
    notice = consent.check_consent(data.consent)
    employer = await employer_row(data.employer_id)
    if await User.exists().where(User.username == data.username):
        raise Conflict("用户名已被使用，请换一个", code="duplicate", field="username")
    existing = await _claimable_person(identity.key, mobile, data.name)
    if existing is not None:
        facts, new_person = person_facts(await person_row(existing)), None
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
        new_person, facts = unsaved_person(person_in, employer, identity)
    reasons = await why_not_eligible(competition, facts)
    if reasons:
        raise not_eligible(reasons)
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
    return await registration_result(entry.registration_id, created=entry.created), token


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
) -> tuple[int, Entry]:
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
        entry = await enter(actor, competition_id, facts, registered_by=user.id)
        if entry.reasons:
            raise not_eligible(entry.reasons)
    return user.id, entry


async def enterprise_choices() -> list[EnterpriseChoice]:
    rows = await Enterprise.select(Enterprise.id, Enterprise.name).order_by(Enterprise.name)
    return [EnterpriseChoice(**r) for r in rows]
