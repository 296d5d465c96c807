"""The PIPL migration on a database that holds data from before: migrate to the previous head, insert people
as the old schema stored them, migrate forward, and read them through the new code.

Runs ``piccolo migrations`` in a subprocess against a database of its own (a temporary SQLite file, or a
fresh PostgreSQL database), since Piccolo binds one engine per process.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from tests.conftest import ENGINE, run_over
from tests.helpers import make_id_number

PREVIOUS = "2026-11-25T15:19:31:133410"  # accounts before identity documents, consents and requests

pytestmark = pytest.mark.slow

CHECK = """
import asyncio
from accounts.documents import read_id_number
from accounts.service import person_id_of, get_person
from accounts.schemas import CurrentUser
from accounts.tables import Consent, DataRequest, PrivacyNotice

async def main():
    viewer = CurrentUser(id=0, username="x", role="organizer", display_name="x")
    person_id = await person_id_of(read_id_number({number!r}))
    person = await get_person(viewer, person_id)
    counts = [await Consent.count(), await DataRequest.count(), await PrivacyNotice.count()]
    print(person.name, person.id_type, person.nationality, person.erased, person.id_number, counts)

asyncio.run(main())
"""


async def _old_row(url: str, number: str) -> None:
    """A person as the previous schema stored it (sealed and fingerprinted by today's crypto, version 0)."""
    from core import crypto

    values = (
        "王老数据",
        crypto.fingerprint(number),
        crypto.seal(number),
        number[:4] + "*" * 10 + number[-4:],
        dt.date(1980, 1, 2),
        "M",
        crypto.fingerprint("13900000001"),
        crypto.seal("13900000001"),
        "139****0001",
        False,
        False,
        False,
        1,
        dt.datetime.now(dt.UTC),
    )
    columns = (
        "name, id_fingerprint, id_sealed, id_masked, birth_date, gender, mobile_fingerprint, mobile_sealed, "
        "mobile_masked, union_member, front_line, enterprise_leader, version, created_at"
    )
    if ENGINE == "postgres":
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
            await connection.execute(f"INSERT INTO person ({columns}) VALUES ({marks})", *values)
        finally:
            await connection.close()
    else:
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            marks = ", ".join("?" for _ in values)
            row = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
            connection.execute(f"INSERT INTO person ({columns}) VALUES ({marks})", row)


async def test_people_stored_before_the_migration_read_as_resident_ids_afterwards(
    scratch_database: str,
) -> None:
    url = scratch_database
    piccolo = str(Path(sys.executable).with_name("piccolo"))
    run_over(url, piccolo, "migrations", "forwards", "accounts", PREVIOUS)
    number = make_id_number(dt.date(1980, 1, 2))
    await _old_row(url, number)
    run_over(url, piccolo, "migrations", "forwards", "all")
    output = run_over(url, sys.executable, "-c", CHECK.format(number=number))
    assert output.split() == [
        "王老数据",
        "resident_id",
        "CHN",
        "False",
        number[:4] + "*" * 10 + number[-4:],
        "[0,",
        "0,",
        "0]",
    ]
