"""Retention: sealed ID and mobile numbers are erased once no competition or programme needs them any more.

A person's numbers expire when ``retention_days`` (``YICHENG_RETENTION_DAYS``) have passed since the last
competition or programme they took part in finished, and no domain still needs them
(:class:`accounts.privacy.PersonalDataSource.still_needed`). People with an active log-in account keep
their numbers (they manage their data themselves, and may delete it). People entered but never registered
or nominated expire counting from when they were entered.

Expiry empties the sealed values and replaces the fingerprint with ``erased:<id>`` (the number can no
longer be matched), keeps the masked forms, the name and the rest of the record, and writes one audit row
per person. Safe to run daily: already-erased people are skipped, and each batch is its own short
transaction.

The purge against a registration or nomination being written for the same person
-------------------------------------------------------------------------------
A registration looks the person up (by document or id) before its write transaction, so it may find
someone the purge is about to erase. Both sides therefore meet on the person's row, inside their write
transactions: the purge takes its batch ``FOR UPDATE`` before asking who is still needed, and every write
that attaches a record to a person first calls :func:`hold_people`, which takes the row ``FOR KEY SHARE``
and reads ``erased_at``. On PostgreSQL whichever comes second waits: a purge that waited sees the new
registration and keeps the person; a registration that waited reads the purge's ``erased_at`` and is
refused (409 ``person_erased``: nothing written, and a retry by document registers the person afresh).
On SQLite write transactions run one at a time, so the same read is exact without a lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec
from piccolo.engine.postgres import PostgresEngine

from accounts import audit
from accounts.audit import SYSTEM, Actor
from accounts.privacy import PersonalData
from accounts.tables import Person, User
from core.db import engine, run_sql, utcnow, write_transaction
from core.errors import Conflict

BATCH = 500


class PurgeReport(msgspec.Struct, kw_only=True):
    retention_days: int
    kept_since: dt.datetime
    examined: int = 0  # people entered before the cut-off, numbers still held, no active account
    still_needed: int = 0  # of those, needed by a competition or programme within the period
    purged: int = 0  # numbers erased


async def _candidates(after_id: int, kept_since: dt.datetime) -> list[int]:
    with_account = User.select(User.person).where((User.active == True) & User.person.is_not_null())  # noqa: E712
    rows = (
        await Person.select(Person.id)
        .where(
            (Person.id > after_id)
            & Person.erased_at.is_null()
            & (Person.created_at < kept_since)
            & Person.id.not_in(with_account)
        )
        .order_by(Person.id)
        .limit(BATCH)
    )
    return [r["id"] for r in rows]


async def purge_expired(
    personal: PersonalData,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
) -> PurgeReport:
    kept_since = (now or utcnow()) - dt.timedelta(days=retention_days)
    report = PurgeReport(retention_days=retention_days, kept_since=kept_since)
    last_id = 0
    while batch := await _candidates(last_id, kept_since):
        last_id = batch[-1]
        async with write_transaction():
            if isinstance(engine(), PostgresEngine):
                await Person.select(Person.id).where(Person.id.is_in(batch)).lock_rows("UPDATE")
            needed: set[int] = set()
            for source in personal.sources:
                needed |= await source.still_needed(batch, kept_since)
            expired = [pid for pid in batch if pid not in needed]
            report.examined += len(batch)
            report.still_needed += len(batch) - len(expired)
            report.purged += len(expired)
            if not dry_run and expired:
                await _erase_numbers(actor, expired, retention_days)
    return report


async def _erase_numbers(actor: Actor, person_ids: list[int], retention_days: int) -> None:
    now = utcnow()
    for person_id in person_ids:
        await Person.update(
            {
                Person.id_fingerprint: f"erased:{person_id}",
                Person.id_sealed: b"",
                Person.mobile_fingerprint: "",
                Person.mobile_sealed: b"",
                Person.erased_at: now,
            }
        ).where((Person.id == person_id) & Person.erased_at.is_null())
    after = {"erased": ["id_number", "mobile"], "retention_days": retention_days}
    await audit.record_many(
        actor, "person.purge", "person", ((pid, after) for pid in person_ids), reason="保存期限届满"
    )


def _held_sql(count: int, lock: str) -> str:
    """The hold's SELECT for ``count`` ids (``run_sql`` compiles each size once; a registration holds one)."""
    marks = ", ".join(["{}"] * count)
    return f"SELECT id, erased_at FROM person WHERE id IN ({marks}){lock}"


async def hold_people(person_ids: Iterable[int], *, field: str = "person_id") -> None:
    """Inside a write transaction about to attach records to these people: hold their rows against the
    purge (``FOR KEY SHARE`` on PostgreSQL) and refuse, 409, if any has had their numbers erased."""
    ids = sorted(set(person_ids))
    erased: list[int] = []
    lock = " FOR KEY SHARE" if isinstance(engine(), PostgresEngine) else ""
    for start in range(0, len(ids), BATCH):
        # Every row is locked and read by its id alone: a row that waited for the purge is read as the
        # purge left it (a WHERE on erased_at would skip rows that did not match before the wait). SQL
        # text, not a Piccolo query: every registration runs this inside its write unit.
        batch = ids[start : start + BATCH]
        rows = await run_sql(_held_sql(len(batch), lock), *batch)
        erased += [r["id"] for r in rows if r["erased_at"] is not None]
    if erased:
        raise Conflict(
            "该人员的证件号码和手机号已按保存期限删除（或应本人要求删除），不能再关联新的记录；"
            "请重新填写其证件信息后提交",
            code="person_erased",
            field=field,
            detail={"person_ids": erased},
        )
