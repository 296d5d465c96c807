"""Nominations by spreadsheet (XLSX or CSV): the template, and a union officer's upload, all in one
transaction.

People are matched by ID number; someone not yet on record is registered with the officer's union, and
someone on record with another union is refused. The quota is counted over the whole file. With any row
error nothing is written (422 listing every error) unless ``import_valid_only``."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

import msgspec

from accounts import audit, consent
from accounts.audit import Actor
from accounts.notices import Notice
from accounts.retention import hold_people
from accounts.rules import INDUSTRIES
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from accounts.service import person_values
from accounts.tables import Enterprise, Person
from awards import sheets
from awards.access import check_window, officer_union
from awards.eligibility import evaluate, facts_by, reference_date
from awards.prizes import qualifying_hits
from awards.quotas import existing_and_used, lock_for_nominating, quota_group, quota_of
from awards.rows import chunks, nomination_key, programme_row, programme_values, to_json
from awards.rules import ACTIVE, WITHDRAWN, NominationQuotaError, check_nomination_quota
from awards.schemas import RowError, UploadedRow, UploadResult
from awards.tables import Nomination
from core import crypto
from core.db import engine_name, insert_rows, is_unique_violation, run_sql, utcnow, write_transaction
from core.errors import Conflict, Invalid

T = TypeVar("T")


def _sheet_problem(exc: sheets.SheetError) -> Invalid:
    return Invalid(exc.message, code=exc.code, field="file")


async def nomination_template(programme_id: int, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the upload template for a programme."""
    row = await programme_row(programme_id)
    stem = f"推荐名单模板-{row['name']}"
    if fmt == "csv":
        return sheets.template_csv(), sheets.CSV_MEDIA_TYPE, f"{stem}.csv"
    content = sheets.template_xlsx(deed_max_chars=row["deed_max_chars"], programme_name=row["name"])
    return content, sheets.XLSX_MEDIA_TYPE, f"{stem}.xlsx"


class _Planned(msgspec.Struct, kw_only=True):
    parsed: sheets.ParsedNomination
    person_id: int | None  # None: a person to create
    facts: dict[str, Any]
    group: str
    status: str = ""
    reasons: list[dict[str, Any]] = msgspec.field(default_factory=list)


async def upload_nominations(
    actor: Actor,
    viewer: CurrentUser,
    programme_id: int,
    content: bytes,
    *,
    import_valid_only: bool = False,
    attestation: AttestationIn | None = None,
) -> UploadResult:
    """A union officer's spreadsheet of nominations, all in one transaction, with the officer's
    confirmation that they hold the members' consent (``attestation``), recorded for every nominee.

    People are matched by ID number; someone not yet on record is registered with the officer's union, and
    someone on record with another union is refused. The quota is counted over the whole file. With any row
    error nothing is written (422 listing every error) unless ``import_valid_only``. Audited as one row per
    upload (the count, the file's SHA-256, the ids written), not one per nomination: a 5,000-row file would
    otherwise write 5,000 audit rows that say less than the one.
    """
    union_id = officer_union(viewer)
    notice = consent.check_attestation(attestation)
    notice_id = await consent.stored_notice_id(notice)  # by its key, before the write unit: cheaper
    file_sha256 = hashlib.sha256(content).hexdigest()
    # No snapshot around these reads: the write unit re-reads under its locks all that the write relies on
    # (the programme and its window, the people held, the quota's nominations), and one transaction per
    # upload instead of two: a small file paid more for the second transaction than for its rows.
    programme = programme_values(await programme_row(programme_id))
    check_window(programme)
    parsed, errors, enterprises = await _read_file(content, programme)
    total_rows = len(parsed) + len({e.row for e in errors})
    if total_rows == 0:
        raise Invalid("文件中没有数据行", code="empty_file", field="file")
    enterprise_by_id = {e["id"]: e for e in enterprises.values()}
    planned = await _plan_rows(programme, union_id, parsed, enterprise_by_id, errors)
    person_ids = [p.person_id for p in planned if p.person_id is not None]
    hits = await qualifying_hits(programme, "eligible", person_ids) if person_ids else {}
    on = reference_date(programme)
    for plan in planned:
        plan.status, plan.reasons = evaluate(
            programme["eligibility"], plan.facts, on, hits.get(plan.person_id or 0, ())
        )
    try:
        return await _write_upload(
            actor,
            viewer,
            programme_id,
            planned,
            errors,
            total_rows,
            file_sha256,
            import_valid_only,
            notice,
            notice_id=notice_id,
        )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(
            "同一人员正由另一份名单同时推荐或登记，请稍后重新上传", code="concurrent_upload", field="file"
        ) from None


async def _read_file(
    content: bytes, programme: dict[str, Any]
) -> tuple[list[sheets.ParsedNomination], list[RowError], dict[str, dict[str, Any]]]:
    """The file's valid rows, its row errors, and the enterprises it names (by name)."""
    try:
        read = partial(
            sheets.read_table,
            content,
            max_rows=sheets.MAX_UPLOAD_ROWS,
            max_unpacked=sheets.MAX_UNPACKED_BYTES,
        )
        header, rows = await _parsing(content, read)
        enterprises = await _enterprises_named(sheets.referenced_employers(header, rows))
        parse = partial(
            sheets.parse_rows,
            header,
            rows,
            enterprises={name: e["id"] for name, e in enterprises.items()},
            deed_max_chars=programme["deed_max_chars"],
        )
        parsed, errors = await _parsing(content, parse)
    except sheets.SheetError as exc:
        raise _sheet_problem(exc) from None
    return parsed, errors, enterprises


# A CSV this small (up to some 40 rows; the officers' usual file is a handful) is read and parsed in under a
# millisecond (about 20 µs a row), less than the hop to a worker thread and back costs under load; anything
# larger, and every XLSX (a zip openpyxl opens), is CPU work that would delay every other request.
SMALL_CSV_BYTES = 4 * 1024
_ZIP_MAGIC = b"PK"


async def _parsing(content: bytes, work: Callable[[], T]) -> T:
    if len(content) <= SMALL_CSV_BYTES and not content.startswith(_ZIP_MAGIC):
        return work()
    return await asyncio.to_thread(work)


async def _enterprises_named(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(names)):
        rows = await Enterprise.select(
            Enterprise.id, Enterprise.name, Enterprise.industry, Enterprise.in_zone
        ).where(Enterprise.name.is_in(list(chunk)))
        found |= {r["name"]: r for r in rows}
    return found


async def _plan_rows(
    programme: dict[str, Any],
    union_id: int,
    parsed: list[sheets.ParsedNomination],
    enterprises: dict[int, dict[str, Any]],
    errors: list[RowError],
) -> list[_Planned]:
    """Match every valid row to a person on record (by ID fingerprint) or plan a new one."""
    fingerprints = {p.row: crypto.fingerprint(p.identity.key) for p in parsed}
    known = await facts_by("id_fingerprint", fingerprints.values())
    planned: list[_Planned] = []
    for p in parsed:
        person = known.get(fingerprints[p.row])
        if person is not None:
            if person["union"] != union_id:
                errors.append(
                    sheets.error(
                        p.row, "id_number", "person_not_in_union", "该人员不属于本单位工会，不能由本单位推荐"
                    )
                )
                continue
            if person["name"] != p.name:
                errors.append(
                    sheets.error(
                        p.row,
                        "name",
                        "name_mismatch",
                        f"姓名与该身份证号在平台登记的姓名（{person['name']}）不一致",
                    )
                )
                continue
            planned.append(
                _Planned(
                    parsed=p,
                    person_id=person["id"],
                    facts=person,
                    group=quota_group(programme, union_id, person["industry"]),
                )
            )
            continue
        if p.mobile is None:
            errors.append(sheets.error(p.row, "mobile", "required", "该人员尚未在平台登记，须填写手机号"))
            continue
        employer = enterprises.get(p.employer_id) if p.employer_id is not None else None
        facts = {
            "id": 0,
            "name": p.name,
            "union": union_id,
            "birth_date": p.identity.birth_date,
            "gender": p.identity.gender,
            "skill_level": p.skill_level,
            "union_member": p.union_member,
            "front_line": p.front_line,
            "enterprise_leader": p.enterprise_leader,
            "employed_since": p.employed_since,
            "employer": p.employer_id,
            "industry": employer["industry"] if employer else None,
            "in_zone": bool(employer["in_zone"]) if employer else False,
        }
        planned.append(
            _Planned(
                parsed=p,
                person_id=None,
                facts=facts,
                group=quota_group(programme, union_id, facts["industry"]),
            )
        )
    return planned


async def _write_upload(
    actor: Actor,
    viewer: CurrentUser,
    programme_id: int,
    planned: list[_Planned],
    errors: list[RowError],
    total_rows: int,
    file_sha256: str,
    import_valid_only: bool,
    notice: Notice,
    *,
    notice_id: int | None,
) -> UploadResult:
    """Inside one transaction, under the quota locks: count the quota over the file, refuse the file on any
    error (unless ``import_valid_only``), register the new people, write the nominations, audit once."""
    union_id = viewer.union_id
    async with write_transaction():
        groups = {p.group for p in planned}
        programme = await lock_for_nominating(programme_id, groups)
        check_window(programme)
        known_ids = [p.person_id for p in planned if p.person_id is not None]
        await hold_people(known_ids, field="file")  # matched before this transaction: see accounts.retention
        existing, used = await existing_and_used(programme, known_ids, groups)
        kept, already = _within_quota(programme, planned, existing, used, errors)
        errors.sort(key=lambda e: (e.row, e.column))
        if errors and not import_valid_only:
            raise _refused(errors, total_rows, valid_rows=len(kept) + len(already))
        new_people = [p for p in kept if p.person_id is None]
        if new_people:
            await _create_people(new_people, union_id)
        ids = await _save_nominations(programme_id, kept, existing, union_id, viewer.id)
        if kept:  # the officer's attestation for every nominee, audited with the upload: one statement
            after = {
                "union_id": union_id,
                "file_sha256": file_sha256,
                "rows": total_rows,
                "created": len(kept),
                "existing": len(already),
                "skipped_rows": sorted({e.row for e in errors}),
                "people_created": [p.person_id for p in new_people],
                "nomination_ids": sorted(ids[p.person_id] for p in kept),  # type: ignore[index]
            }
            await consent.record_attestation(
                actor,
                [p.person_id for p in kept if p.person_id is not None],
                notice,
                notice_id=notice_id,
                audit_also=audit.rows_of(actor, "nomination.upload", "programme", [(programme_id, after)]),
            )
    return UploadResult(
        total_rows=total_rows,
        created=len(kept),
        existing=len(already),
        people_created=len(new_people),
        imported=_imported_rows(kept, already, new_people, ids, existing),
        errors=errors,
        file_sha256=file_sha256,
    )


def _within_quota(
    programme: dict[str, Any],
    planned: list[_Planned],
    existing: dict[int, dict[str, Any]],
    used: dict[str, int],
    errors: list[RowError],
) -> tuple[list[_Planned], list[_Planned]]:
    """(to write, already nominated): rows past their group's quota, counted over the whole file in row
    order, become row errors."""
    kept: list[_Planned] = []
    already: list[_Planned] = []
    for plan in planned:
        current = existing.get(plan.person_id) if plan.person_id is not None else None
        if current is not None and current["status"] != WITHDRAWN:
            already.append(plan)
            continue
        quota = quota_of(programme, plan.group)
        try:
            check_nomination_quota(used.get(plan.group, 0), 1, quota)
        except NominationQuotaError:
            who = (
                "本单位"
                if programme["quota_scope"] == "union"
                else f"{INDUSTRIES.get(plan.group, plan.group)}行业"
            )
            errors.append(
                RowError(
                    row=plan.parsed.row,
                    column="名额",
                    field="quota",
                    code="nomination_quota_exceeded",
                    message=f"超出推荐名额：{who}名额为 {quota} 人，已推荐和此前各行已用满",
                )
            )
            continue
        used[plan.group] = used.get(plan.group, 0) + 1
        kept.append(plan)
    return kept, already


def _refused(errors: list[RowError], total_rows: int, *, valid_rows: int) -> Invalid:
    return Invalid(
        f"名单中有 {len({e.row for e in errors})} 行存在问题，未导入任何数据；请修改后重新上传，"
        "或选择「只导入无误的行」",
        code="upload_has_errors",
        field="file",
        detail={
            "errors": [msgspec.to_builtins(e) for e in errors],
            "total_rows": total_rows,
            "valid_rows": valid_rows,
        },
    )


# What nominating again after a withdrawal rewrites (the rest of the row stays as it was).
_REVIVED_COLUMNS = (
    Nomination.union,
    Nomination.quota_group,
    Nomination.nominated_by,
    Nomination.source,
    Nomination.achievements,
    Nomination.deed,
    Nomination.eligibility_status,
    Nomination.eligibility_reasons,
    Nomination.eligibility_overridden,
    Nomination.eligibility_note,
    Nomination.eligibility_reviewed_by,
    Nomination.eligibility_reviewed_at,
    Nomination.status,
)


async def _save_nominations(
    programme_id: int,
    kept: list[_Planned],
    existing: dict[int, dict[str, Any]],
    union_id: int | None,
    user_id: int,
) -> dict[int, int]:
    """Insert the new nominations in bulk and revive the withdrawn ones; person id -> nomination id."""
    now = utcnow()
    rows = {p.person_id: _nomination_row(programme_id, p, union_id, user_id, now) for p in kept}
    fresh = [row for person_id, row in rows.items() if person_id not in existing]
    inserted = await insert_rows(Nomination, fresh, returning=("id", "person"))
    ids = {r["person"]: r["id"] for r in inserted}
    revived = {existing[p]["id"]: row for p, row in rows.items() if p in existing}
    await _revive(revived)
    return ids | {p: existing[p]["id"] for p in rows if p in existing}


async def _revive(rows: dict[int, dict[str, Any]]) -> None:
    """Withdrawn nominations nominated again (nomination id -> its new row): one UPDATE per chunk."""
    names = [c._meta.name for c in _REVIVED_COLUMNS]
    for chunk in chunks(list(rows.items())):
        args = [value for nomination_id, row in chunk for value in (nomination_id, *(row[n] for n in names))]
        await run_sql(_revive_sql(len(chunk), engine_name()), *args)


@functools.lru_cache(maxsize=32)
def _revive_sql(count: int, engine: str) -> str:
    """``UPDATE ... FROM (VALUES ...)`` for ``count`` rows; PostgreSQL needs the VALUES' types spelled out
    (both engines name the VALUES' columns column1, column2 ...)."""
    columns = (Nomination.id, *_REVIVED_COLUMNS)
    types = ["integer", *(c.column_type for c in _REVIVED_COLUMNS)]  # the key's own type is "SERIAL"
    cast = [f"::{t}" if engine == "postgres" else "" for t in types]
    row = "(" + ", ".join("{}" + t for t in cast) + ")"
    sets = ", ".join(f'"{c._meta.db_column_name}" = v.column{i}' for i, c in enumerate(columns[1:], 2))
    return (
        f"UPDATE nomination SET {sets}, version = nomination.version + 1 "
        f"FROM (VALUES {', '.join([row] * count)}) AS v WHERE nomination.id = v.column1"
    )


def _imported_rows(
    kept: list[_Planned],
    already: list[_Planned],
    new_people: list[_Planned],
    ids: dict[int, int],
    existing: dict[int, dict[str, Any]],
) -> list[UploadedRow]:
    """What the officer is told of each row written or found already nominated, in row order."""
    imported = [
        UploadedRow(
            row=p.parsed.row,
            name=p.parsed.name,
            nomination_id=ids[p.person_id],  # type: ignore[index]
            outcome="created",
            person_created=p in new_people,
            eligibility_status=p.status,
        )
        for p in kept
    ] + [
        UploadedRow(
            row=p.parsed.row,
            name=p.parsed.name,
            nomination_id=existing[p.person_id]["id"],  # type: ignore[index]
            outcome="existing",
            person_created=False,
            eligibility_status=existing[p.person_id]["eligibility_status"],  # type: ignore[index]
        )
        for p in already
    ]
    imported.sort(key=lambda r: r.row)
    return imported


async def _create_people(plans: list[_Planned], union_id: int | None) -> None:
    """Register the new people of an upload in bulk; fills in each plan's person id."""
    now = utcnow()
    rows = [
        {**person_values(_person_in(plan.parsed, union_id), union_id, plan.parsed.identity), **_new(now)}
        for plan in plans
    ]
    inserted = await insert_rows(Person, rows, returning=("id", "id_fingerprint"))
    ids = {r["id_fingerprint"]: r["id"] for r in inserted}
    for plan, row in zip(plans, rows, strict=True):
        plan.person_id = ids[row["id_fingerprint"]]
        plan.facts["id"] = plan.person_id


def _person_in(p: sheets.ParsedNomination, union_id: int | None) -> PersonIn:
    return PersonIn(
        name=p.name,
        id_number=p.identity.number,
        mobile=p.mobile or "",
        employer_id=p.employer_id,
        union_id=union_id,
        union_member=p.union_member,
        skill_level=p.skill_level,
        front_line=p.front_line,
        enterprise_leader=p.enterprise_leader,
        employed_since=p.employed_since,
    )


def _new(now: dt.datetime) -> dict[str, Any]:
    """The columns a new person row starts with that its input does not give."""
    return {"version": 1, "created_at": now, "erased_at": None}


def _nomination_row(
    programme_id: int, plan: _Planned, union_id: int | None, user_id: int, now: dt.datetime
) -> dict[str, Any]:
    """Every column of the nomination row (a mapping: no Piccolo object per row of a big file)."""
    assert plan.person_id is not None
    return {
        "programme": programme_id,
        "person": plan.person_id,
        "union": union_id,
        "quota_group": plan.group,
        "nomination_key": nomination_key(programme_id, plan.person_id),
        "nominated_by": user_id,
        "source": "union",
        "source_competition": None,
        "achievements": to_json(plan.parsed.achievements),
        "deed": plan.parsed.deed,
        "eligibility_status": plan.status,
        "eligibility_reasons": to_json(plan.reasons),
        "eligibility_overridden": False,
        "eligibility_note": "",
        "eligibility_reviewed_by": None,
        "eligibility_reviewed_at": None,
        "status": ACTIVE,
        "review_score": None,
        "certificate_no": None,
        "version": 1,
        "created_at": now,
    }
