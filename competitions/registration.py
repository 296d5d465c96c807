"""Who registers whom: a contestant themself, a union officer a member of their union, an organizer anyone.

A person not yet on file is created with the registration, in the same transaction, and only when found
eligible. Every way in ends in :mod:`competitions.admission`.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts import consent
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from accounts.service import parse_document, parse_mobile
from accounts.tables import Person
from competitions.admission import (
    employer_row,
    enter,
    enter_alone,
    new_registration_result,
    not_eligible,
    open_for_registration,
    person_row,
    registrant,
    registration_result,
    unsaved_person,
    why_not_eligible,
)
from competitions.schemas import NewPersonIn, RegisterIn, RegistrationResult
from competitions.shared import changes_public_reads, person_facts
from core import crypto
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Forbidden, Invalid


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
    competition, person, existing = await registrant(competition_id, person_id, now or utcnow())
    facts = person_facts(person)
    if existing is not None:
        return await registration_result(existing, created=False)
    reasons = await why_not_eligible(competition, facts)
    if reasons:
        raise not_eligible(reasons)
    entry = await enter_alone(actor, competition, facts, registered_by)
    assert entry.registration_id is not None
    if entry.created:
        return await new_registration_result(competition, person, entry, registered_by)
    return await registration_result(entry.registration_id, created=False)


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
    person = await person_row(data.person_id)
    if viewer.role == Role.UNION_OFFICER and person["union"] != viewer.union_id:
        raise Forbidden("只能为本工会的会员报名", field="person_id")
    return await register_person(actor, competition_id, data.person_id, registered_by=viewer.id, now=now)


@changes_public_reads
async def _register_new_person(
    actor: Actor,
    viewer: CurrentUser,
    competition_id: int,
    data: NewPersonIn,
    attestation: AttestationIn | None,
    now: dt.datetime,
) -> RegistrationResult:
    competition = await open_for_registration(competition_id, now)
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
    employer = await employer_row(data.employer_id, "person.employer_id")
    union_id = viewer.union_id if viewer.role == Role.UNION_OFFICER else (employer or {}).get("union")
    person_in = PersonIn(**msgspec.structs.asdict(data), union_id=union_id)
    row, facts = unsaved_person(person_in, employer, identity, prefix="person.")
    reasons = await why_not_eligible(competition, facts)
    if reasons:
        raise not_eligible(reasons)
    try:
        async with write_transaction():
            entry = await enter(actor, competition_id, facts, registered_by=viewer.id, new_person=row)
            if entry.reasons:
                raise not_eligible(entry.reasons)
            await consent.record_attestation(actor, [row.id], notice)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(
                "该身份证号码已登记，请刷新后重试", code="duplicate", field="person.id_number"
            ) from None
        raise
    assert entry.registration_id is not None
    return await registration_result(entry.registration_id, created=True)
