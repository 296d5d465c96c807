"""Retention: sealed ID and mobile numbers are erased once no competition or programme needs them any more.

A person's numbers expire when ``retention_days`` (``YICHENG_RETENTION_DAYS``) have passed since the last
competition or programme they took part in finished, and no domain still needs them
(:class:`accounts.privacy.PersonalDataSource.still_needed`). People with an active log-in account keep
their numbers (they manage their data themselves, and may delete it). People entered but never registered
or nominated expire counting from when they were entered.

Expiry empties the sealed values and replaces the fingerprint with ``erased:<id>`` (the number can no
longer be matched), keeps the masked forms, the name and the rest of the record, and writes one audit row
per person. Safe to run daily: already-erased people are skipped, and each batch is its own short
transaction in which, on PostgreSQL, the candidates' rows are locked first (``FOR UPDATE``), so a
registration or nomination being written for one of them waits, and is seen by the check that follows.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from piccolo.engine.postgres import PostgresEngine

from accounts import audit
from accounts.audit import SYSTEM, Actor
from accounts.privacy import PersonalData
from accounts.tables import Person, User
from core.db import engine, utcnow, write_transaction

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
