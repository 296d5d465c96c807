"""Names of every shape survive the registration export (CSV and XLSX) and the public notice."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import openpyxl

from accounts import service
from accounts.audit import SYSTEM
from accounts.schemas import AttestationIn, CurrentUser, PersonIn
from competitions import registration
from tests.competitions.support import ORGANIZER, make_competition
from tests.helpers import login, make_id_number, make_mobile, members_consent

NAMES = ["𠮷田 美", "阿卜杜热合曼·买买提", "José Müller"]


async def test_export_keeps_names_outside_the_basic_plane_and_with_the_middle_dot(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    root = CurrentUser(id=0, username="system", role="organizer", display_name="系统")
    for name in NAMES:
        person = await service.create_person(
            SYSTEM,
            root,
            PersonIn(
                name=f" {name.replace('·', '•')} ",  # trimmed, and the bullet typed for the dot becomes ·
                id_number=make_id_number(),
                mobile=make_mobile(),
                union_member=True,
                members_consent=AttestationIn(**members_consent()),
            ),
        )
        assert person.name == name
        await registration.register_person(ORGANIZER, competition_id, person.id)
    await login(client, "organizer")
    url = f"/api/competitions/{competition_id}/registrations/export"
    as_csv = await client.get(url, params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == NAMES
    as_xlsx = await client.get(url, params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    assert [r[1] for r in list(sheet.iter_rows(values_only=True))[1:]] == NAMES
