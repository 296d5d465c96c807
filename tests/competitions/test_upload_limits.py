"""Uploads that would stall the server are refused early, and reading one never delays anyone else:
the caps (bytes per kind, unpacked size, rows with blank ones counted, cell length) and the parse off the
event loop (issue 10)."""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from awards import sheets as award_sheets
from competitions import sheets
from core import spreadsheets
from tests.competitions.support import make_competition
from tests.competitions.test_upload import HEADERS, upload
from tests.helpers import login

STATIC = Path(__file__).resolve().parent.parent.parent / "static"


def _xlsx(rows: list[list[Any]]) -> bytes:
    return spreadsheets.simple_xlsx("名单", HEADERS, rows)


def _with_sheet_xml(rows_xml: str) -> bytes:
    """A real workbook whose first sheet is the given rows, written as a hostile tool would: no dimension."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([]))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start, end = text.index("<sheetData>"), text.index("</sheetData>") + len("</sheetData>")
                data = (text[:start] + f"<sheetData>{rows_xml}</sheetData>" + text[end:]).encode()
            out.writestr(item, data)
    return buffer.getvalue()


def test_a_hundred_thousand_blank_rows_are_refused_at_once() -> None:
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    blank = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t></t></is></c></row>' for n in range(2, 100_002)
    )
    content = _with_sheet_xml(header + blank)
    assert len(content) < 2 * 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(sheets.SheetError) as refused:
        sheets.read_table(content)
    assert refused.value.code == "too_many_rows" and "空行" in refused.value.message
    assert time.perf_counter() - started < 3.0  # a few thousand rows read, not all 100,000 (34 s before)


def test_blank_rows_within_the_allowance_are_skipped() -> None:
    rows = [["张三", "x"], *([[""]] * 500), ["李四", "y"]]
    header, data = sheets.read_table(_xlsx(rows))
    assert header[:2] == HEADERS[:2] and [cells[0] for _, cells in data] == ["张三", "李四"]
    assert data[1][0] == 503  # the row number the officer sees in Excel


def test_a_small_file_that_unpacks_huge_is_refused_before_decompressing() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([["张三"]]))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (200 * 1024 * 1024) + b"</sst>")
    content = buffer.getvalue()
    assert len(content) < 400 * 1024
    started = time.perf_counter()
    with pytest.raises(sheets.SheetError) as refused:
        sheets.read_table(content)
    assert refused.value.code == "file_too_large" and "40 MB" in refused.value.message
    assert time.perf_counter() - started < 2.0  # nothing decompressed


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_cell_longer_than_any_column_takes_is_refused(kind: str) -> None:
    long = "长" * (sheets.MAX_CELL_CHARS + 1)
    content = _xlsx([["张三", long]]) if kind == "xlsx" else spreadsheets.csv_bytes(HEADERS, [["张三", long]])
    with pytest.raises(sheets.SheetError) as refused:
        sheets.read_table(content)
    assert refused.value.code == "cell_too_long" and "第 2 行" in refused.value.message


def test_each_kind_states_its_limits_on_its_page() -> None:
    def stated(text: str) -> tuple[int, int]:
        found = re.search(r"最多 (\d+) 行、(\d+) MB", text)
        assert found, text[:200]
        return int(found[1]), int(found[2])

    mib = 1024 * 1024
    registrations = (STATIC / "js" / "competitions-public.js").read_text(encoding="utf-8")
    assert stated(registrations) == (sheets.MAX_UPLOAD_ROWS, sheets.MAX_UPLOAD_BYTES // mib)
    marks = (STATIC / "js" / "organizer-scoring.js").read_text(encoding="utf-8")
    assert stated(marks) == (sheets.MAX_UPLOAD_ROWS, sheets.MAX_UPLOAD_BYTES // mib)
    nominations = (STATIC / "union-nominations.html").read_text(encoding="utf-8")
    assert stated(nominations) == (award_sheets.MAX_UPLOAD_ROWS, award_sheets.MAX_UPLOAD_BYTES // mib)


def _worst_allowed_file() -> bytes:
    """The most work an allowed registration file can cause: every data row, every blank row allowed,
    every column filled with long text, just under the byte cap."""
    filler = "某" * 120
    rows: list[list[Any]] = [
        [f"{filler}{n}", f"1101051990{n:08d}", f"1{n:010d}", filler, filler, filler, filler]
        for n in range(sheets.MAX_UPLOAD_ROWS)
    ]
    rows += [[""]] * sheets.BLANK_ROWS_ALLOWED
    content = _xlsx(rows)
    assert len(content) <= sheets.MAX_UPLOAD_BYTES
    return content


async def test_health_answers_within_200_ms_while_the_worst_allowed_file_is_parsed(
    client: httpx.AsyncClient, app: Any, world: dict[str, Any]
) -> None:
    content = await asyncio.to_thread(_worst_allowed_file)
    started = time.perf_counter()
    await asyncio.to_thread(sheets.read_table, content)
    assert time.perf_counter() - started > 0.3  # parsing it takes long enough to matter
    competition_id = await make_competition()
    await login(client, "officer")
    done = asyncio.Event()
    latencies: list[float] = []

    async def poll_health() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as other:
            while not done.is_set():
                sent = time.perf_counter()
                assert (await other.get("/health")).status_code == 200
                latencies.append(time.perf_counter() - sent)
                await asyncio.sleep(0.02)

    async def send_upload() -> httpx.Response:
        try:
            return await upload(client, competition_id, content)
        finally:
            done.set()

    poller = asyncio.create_task(poll_health())
    response = await send_upload()
    await poller
    assert response.status_code == 422, response.text  # every row is refused: nothing is written
    assert len(latencies) >= 5, latencies  # /health was asked again and again during the parse
    assert max(latencies) < 0.2, max(latencies)
