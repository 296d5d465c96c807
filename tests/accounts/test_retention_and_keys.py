"""Retention (``yicheng purge-expired``) and key rotation (``yicheng rotate-keys``) over a real database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest

from accounts import audit
from accounts.audit import SYSTEM
from accounts.disclosure import disclose
from accounts.documents import read_id_number
from accounts.retention import purge_expired
from accounts.service import person_id_of
from accounts.tables import AuditLog, Person
from app import personal_data
from competitions import registration
from competitions.tables import Competition
from core import crypto
from core.db import write_transaction
from core.resealing import reseal_table
from tests.competitions.support import ORGANIZER, make_competition
from tests.conftest import ROOT

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=2000)  # past the 1,095-day period of everything made now


async def _finish(competition_id: int) -> None:
    async with write_transaction():
        await Competition.update({Competition.state: "finished"}).where(Competition.id == competition_id)
        await audit.record(
            SYSTEM, "competition.transition", "competition", competition_id, after={"state": "finished"}
        )


async def test_purge_erases_only_what_nothing_needs_and_is_safe_to_run_again(world: dict[str, Any]) -> None:
    contestant, finished_one, running_one, never_registered = world["people"]
    finished, running = await make_competition(), await make_competition()
    await registration.register_person(ORGANIZER, finished, finished_one)
    await registration.register_person(ORGANIZER, running, running_one)
    await _finish(finished)
    numbers = {
        r["id"]: crypto.unseal(bytes(r["id_sealed"]))
        for r in await Person.select(Person.id, Person.id_sealed)
    }

    within = await purge_expired(personal_data(), retention_days=1095)  # today: nothing has expired
    assert (within.examined, within.purged) == (0, 0)
    dry = await purge_expired(personal_data(), retention_days=1095, now=LATER, dry_run=True)
    assert (dry.examined, dry.still_needed, dry.purged) == (3, 1, 2)  # the contestant has an account
    assert await Person.count().where(Person.erased_at.is_not_null()) == 0

    report = await purge_expired(personal_data(), retention_days=1095, now=LATER)
    assert (report.examined, report.still_needed, report.purged) == (3, 1, 2)
    rows = {r["id"]: r for r in await Person.select()}
    for erased in (finished_one, never_registered):
        assert bytes(rows[erased]["id_sealed"]) == b"" and bytes(rows[erased]["mobile_sealed"]) == b""
        assert rows[erased]["id_fingerprint"] == f"erased:{erased}" and rows[erased]["id_masked"]
        assert await person_id_of(read_id_number(numbers[erased])) is None
    for kept in (contestant, running_one):
        assert crypto.unseal(bytes(rows[kept]["id_sealed"])) == numbers[kept]
    purged = await AuditLog.select().where(AuditLog.action == "person.purge")
    assert sorted(int(r["entity_id"]) for r in purged) == sorted([finished_one, never_registered])

    again = await purge_expired(personal_data(), retention_days=1095, now=LATER)
    assert (again.examined, again.purged) == (1, 0)


def _cli(*args: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
async def test_purge_expired_command_reports_counts(world: dict[str, Any]) -> None:
    output = _cli("purge-expired", "--dry-run")
    assert "retention: 1095 days" in output and "examined: 0" in output


KEY_1 = "1:" + "first-rotation-secret-0123456789abcdef"
KEY_2 = "2:" + "second-rotation-secret-0123456789abcdef"


def _ring(spec: str) -> crypto.KeyRing:
    return crypto.KeyRing.parse(os.environ["YICHENG_SECRET_KEY"], spec)


async def test_rotation_reseals_in_batches_while_lookups_and_unsealing_keep_working(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await Person.select(Person.id, Person.id_sealed).order_by(Person.id)
    numbers = {r["id"]: crypto.unseal(bytes(r["id_sealed"])) for r in people}
    ring = _ring(KEY_1)
    monkeypatch.setattr(crypto, "key_ring", lambda: ring)  # every process now seals with version 1
    columns = [Person.id_sealed, Person.mobile_sealed]

    halfway = await reseal_table(Person, columns, batch_size=2, max_batches=1)
    assert (halfway.rows, halfway.resealed) == (2, 2) and halfway.by_version == {0: 4}
    versions = {r["id"]: crypto.open_sealed(bytes(r["id_sealed"]))[1] for r in await Person.select()}
    assert sorted(versions.values()) == [0, 0, 1, 1]
    for person_id, number in numbers.items():  # look-ups and unsealing work across both versions
        assert await person_id_of(read_id_number(number)) == person_id
    rows = await Person.select(Person.id, Person.id_sealed, Person.mobile_sealed)
    opened = await disclose(SYSTEM, rows, purpose="测试：轮换密钥期间读取", context="test")
    assert {pid: o.id_number for pid, o in opened.items()} == numbers

    rest = await reseal_table(Person, columns, batch_size=2)
    assert rest.resealed == 2 and rest.by_version == {0: 4, 1: 4}
    again = await reseal_table(Person, columns)
    assert again.resealed == 0  # nothing left to do

    # The next rotation retires version 1 once everything is under version 2.
    ring = _ring(f"{KEY_2},{KEY_1}")
    await reseal_table(Person, columns)
    ring = _ring(KEY_2)
    for r in await Person.select(Person.id, Person.id_sealed):
        assert crypto.open_sealed(bytes(r["id_sealed"])) == (numbers[r["id"]], 2)
    current = (await Person.select(Person.id_sealed).first())["id_sealed"]
    ring = _ring("")  # a server that was never given version 2 cannot open it
    with pytest.raises(crypto.UnknownKey):
        crypto.open_sealed(bytes(current))


def test_key_ring_settings_are_checked() -> None:
    from settings import SettingsError

    for bad in ("x:" + "a" * 40, "1:short", f"{KEY_1},{KEY_1}", "70000:" + "a" * 40):
        with pytest.raises(SettingsError):
            _ring(bad)
    ring = _ring(f"{KEY_2},{KEY_1}")
    assert ring.current == 2 and sorted(ring.keys) == [0, 1, 2]
    sealed = crypto.seal("13800000000", ring)
    assert sealed[:2] == b"YK" and crypto.open_sealed(sealed, ring) == ("13800000000", 2)
    legacy = crypto.seal("13800000000", _ring(""))
    assert crypto.open_sealed(legacy, ring) == ("13800000000", 0)


@pytest.mark.slow
async def test_rotate_keys_command_reseals_everything(world: dict[str, Any]) -> None:
    output = _cli("rotate-keys", YICHENG_SEAL_KEYS=KEY_1)
    assert "current key version: 1" in output and "person: 4 rows, re-sealed 4" in output
    assert "v0: 8" in output
    ring = _ring(KEY_1)
    assert {crypto.open_sealed(bytes(r["id_sealed"]), ring)[1] for r in await Person.select()} == {1}
    assert await AuditLog.count().where(AuditLog.action == "keys.reseal") == 1
