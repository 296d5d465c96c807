"""One writer for every spreadsheet handed out (core/spreadsheets.py): no typed text becomes a formula."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from competitions.tables import Competition, Stage
from core import spreadsheets
from tests.helpers import login, new_client
from tests.scoring import factories

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '=HYPERLINK("http://example.com","点此")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", HOSTILE])
def test_formula_like_text_stays_text_in_xlsx_and_csv(text: str) -> None:
    book = spreadsheets.new_book()
    spreadsheets.append(book.active, [text, 3, "普通"])
    cell = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(book))).active["A1"]
    # (XML reads a carriage return back as a line feed)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text.replace("\r", "\n"), "s", True)
    streamed = spreadsheets.simple_xlsx("表", ["列"], [[text]])
    xml = zipfile.ZipFile(io.BytesIO(streamed)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and 't="inlineStr"' in xml
    assert openpyxl.load_workbook(io.BytesIO(streamed)).active["A2"].quotePrefix
    rows = list(csv.reader(io.StringIO(spreadsheets.csv_bytes(["列"], [[text, 3]]).decode("utf-8-sig"))))
    assert rows[1] == ["'" + text, "3"]


def test_plain_text_and_numbers_are_left_alone() -> None:
    book = spreadsheets.new_book()
    spreadsheets.append(book.active, ["张三", 1, None])
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(book))).active
    assert [(c.value, c.quotePrefix) for c in sheet[1]][:2] == [("张三", False), (1, False)]


def test_no_module_writes_a_spreadsheet_but_the_one_writer() -> None:
    writers = re.compile(r"openpyxl\.Workbook\(|\bWorkbook\(|csv\.writer\(|\.save\(\s*(buffer|out)\b")
    found = [
        str(path.relative_to(ROOT))
        for folder in ("accounts", "competitions", "scoring", "awards", "reports", "core")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "spreadsheets.py" and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


async def test_a_hostile_title_and_stage_name_stay_text_in_the_results_export(
    app: object, world: dict[str, Any]
) -> None:
    built = await factories.build(world)
    await Competition.update({Competition.title: HOSTILE}).where(Competition.id == built.competition_id)
    await Stage.update({Stage.name: "=1+2"}).where(Stage.competition == built.competition_id)
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        response = await organizer.get(f"/api/competitions/{built.competition_id}/results/export.xlsx")
        assert response.status_code == 200, response.text
        xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml  # no formula anywhere in the sheet
        cells = [c for row in openpyxl.load_workbook(io.BytesIO(response.content)).active for c in row]
        hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
        assert {c.value for c in hostile} >= {HOSTILE}
        assert all(c.data_type == "s" and c.quotePrefix for c in hostile)
        text = (
            await organizer.get(f"/api/competitions/{built.competition_id}/results/export.csv")
        ).content.decode("utf-8-sig")
        assert "\n=" not in text and ",=" not in text


def test_the_nomination_template_keeps_a_hostile_programme_name_as_text() -> None:
    from awards import sheets

    content = sheets.template_xlsx(deed_max_chars=500, programme_name=HOSTILE)
    notes = openpyxl.load_workbook(io.BytesIO(content))["填写说明"]
    cells = [c for row in notes for c in row if isinstance(c.value, str) and HOSTILE in c.value]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert "<f>" not in "".join(
        zipfile.ZipFile(io.BytesIO(content)).read(name).decode()
        for name in zipfile.ZipFile(io.BytesIO(content)).namelist()
        if name.startswith("xl/worksheets/")
    )
