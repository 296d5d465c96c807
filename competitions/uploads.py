"""Registering many from a spreadsheet (XLSX/CSV template): every row checked, nothing half-written.

With any bad row nothing is written and every problem is listed by row and column, unless the uploader
asks to import the valid rows only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from accounts import consent
from accounts.audit import Actor
from accounts.notices import Notice
from accounts.rules import Role
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from accounts.tables import Enterprise, Person
from competitions import sheets
from competitions.admission import Entry, enter, open_for_registration, unsaved_person
from competitions.rules import PersonFacts
from competitions.schemas import RowError, UploadResult, UploadRowResult
from competitions.shared import FACT_COLUMNS, changes_public_reads, person_facts, waitlist_positions
from competitions.tables import Registration
from core import crypto
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid


@changes_public_reads
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
    """Every row validated; with any bad row nothing is written, unless ``import_valid_only``. The uploader
    confirms holding the members' consent (``attestation``); it is recorded for every person created."""
    notice = consent.check_attestation(attestation)
    await open_for_registration(competition_id, now or utcnow())
    enterprises = {
        r["name"]: r
        for r in await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.union, Enterprise.in_zone)
    }
    try:
        # Reading and parsing are CPU work: off the event loop, so no upload delays anyone else.
        header, rows = await asyncio.to_thread(sheets.read_table, content)
        employers = {name: r["id"] for name, r in enterprises.items()}
        parsed, errors = await asyncio.to_thread(sheets.parse_rows, header, rows, employers)
    except sheets.SheetError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from None
    _refuse_if(errors, import_valid_only, len(rows))
    people = await _people_by_identity([p.identity.key for p in parsed])
    by_employer_id = {r["id"]: r for r in enterprises.values()}
    plans = []
    for item in parsed:
        plan = await _upload_plan(viewer, item, people.get(item.identity.key), by_employer_id, errors)
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


async def _people_by_identity(keys: list[str]) -> dict[str, dict[str, Any]]:
    """The people on file by their document's key (the number; a passport's with its nationality)."""
    by_fingerprint = {crypto.fingerprint(k): k for k in keys}
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


@dataclass(frozen=True)
class _Plan:
    """One row to import: a person on file (facts only) or a new one (``new_person``, saved if admitted)."""

    row: int
    name: str
    facts: PersonFacts
    new_person: Person | None


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
    row, facts = unsaved_person(person_in, employer, item.identity)
    return _Plan(row=item.row, name=item.name, facts=facts, new_person=row)


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
    done: list[tuple[_Plan, Entry]] = []
    async with write_transaction():
        for plan in plans:
            entry = await enter(
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
