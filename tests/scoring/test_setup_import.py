"""A theory stage takes one imported mark per contestant (an exam result) from XLSX or CSV."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import openpyxl
import pytest

from accounts.tables import AuditLog
from scoring.inputs import load_scoring_inputs
from scoring.tables import ImportedMark
from tests.helpers import login, new_client
from tests.scoring.entry_world import build, set_up_scoring


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


def url(w: dict[str, Any], stage: str = "theory_id") -> str:
    return f"/api/competitions/{w['competition_id']}/stages/{w[stage]}/imported-marks"


def csv_file(rows: list[tuple[str, str]], header: str = "加密号,成绩") -> dict[str, Any]:
    text = header + "\n" + "\n".join(f"{a},{b}" for a, b in rows) + "\n"
    return {"data": ("theory.csv", ("\ufeff" + text).encode(), "text/csv")}


async def test_import_by_blind_code_from_csv(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    rows = [(c["blind_code"], str(80 + i) + ".5") for i, c in enumerate(w["contestants"])]
    response = await client.post(url(w), files=csv_file(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"stage_id": w["theory_id"], "total_rows": 4, "imported": 4, "changed": 4}
    inputs = await load_scoring_inputs(w["competition_id"])
    by_subject = {s.subject_id: s.imported for s in inputs.subjects}
    first = w["contestants"][0]
    assert by_subject[str(first["registration_id"])] == {str(w["theory_id"]): 80.5}
    listed = (await client.get(url(w))).json()
    assert len(listed) == 4 and {m["value"] for m in listed} == {"80.5", "81.5", "82.5", "83.5"}
    # Importing again changes only what differs; one audit row per import with old and new values.
    rows[0] = (rows[0][0], "90")
    again = await client.post(url(w), files=csv_file(rows))
    assert again.json()["changed"] == 1
    audits = (
        await AuditLog.select(AuditLog.before, AuditLog.after)
        .where(AuditLog.action == "imported_mark.import")
        .order_by(AuditLog.id)
    )
    assert len(audits) == 2
    assert json.loads(audits[1]["before"]) == {first["registration_no"]: "80.5"}
    assert json.loads(audits[1]["after"]) == {first["registration_no"]: "90"}


async def test_import_by_registration_number_from_xlsx(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["报名编号", "姓名", "理论成绩"])
    for c in w["contestants"]:
        sheet.append([c["registration_no"], "某某", 75.25])
    buffer = io.BytesIO()
    workbook.save(buffer)
    files = {"data": ("theory.xlsx", buffer.getvalue(), "application/octet-stream")}
    response = await client.post(url(w), files=files)
    assert response.status_code == 200, response.text
    assert await ImportedMark.count() == 4


async def test_bad_rows_are_all_listed_and_nothing_is_imported(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    c = w["contestants"]
    rows = [
        (c[0]["blind_code"], "88"),
        ("222-222", "70"),
        (c[1]["blind_code"], "101"),
        (c[2]["blind_code"], "abc"),
        (c[0]["blind_code"], "60"),
        (c[3]["blind_code"], "12.34567"),
    ]
    response = await client.post(url(w), files=csv_file(rows))
    assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert [(e["row"], e["code"]) for e in errors] == [
        (3, "unknown_contestant"),
        (4, "imported_mark_out_of_range"),
        (5, "not_a_number"),
        (6, "duplicate_in_file"),
        (7, "mark_too_precise"),
    ]
    assert await ImportedMark.count() == 0
    wrong_columns = await client.post(url(w), files=csv_file([("x", "1")], header="姓名,分"))
    assert wrong_columns.status_code == 422 and wrong_columns.json()["code"] == "missing_columns"
    rubric_stage = await client.post(url(w, "practical_id"), files=csv_file(rows[:1]))
    assert rubric_stage.status_code == 422 and rubric_stage.json()["code"] == "stage_not_imported"
    garbage = await client.post(
        url(w), files={"data": ("x.xlsx", b"PK\x03\x04garbage", "application/octet-stream")}
    )
    assert garbage.status_code == 422


async def test_only_organizers_import(app: Any, w: dict[str, Any]) -> None:
    async with new_client(app) as judge:
        await login(judge, "judge")
        response = await judge.post(url(w), files=csv_file([(w["contestants"][0]["blind_code"], "50")]))
        assert response.status_code == 403
