"""The one writer of every spreadsheet the platform hands out (XLSX and CSV): results, templates, exports,
honour rolls, the bureau's workbooks.

Text that people typed (a competition title, a stage name, a person's name, an employer) reaches union
officers' and bureaus' spreadsheets, so no text cell may become a formula (``=HYPERLINK(...)``, CSV/formula
injection). Every text cell goes through here:

- XLSX: a text cell is always stored as text (``data_type = "s"``), never as a formula whatever it starts
  with; one that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) also carries the
  *quote prefix* style, so Excel keeps it text when someone edits the cell, and shows it unchanged.
- CSV has no types: such a cell is prefixed with an apostrophe (the usual defence; Excel hides it).

Numbers (``int``, ``Decimal``, ``float``) stay numbers; dates stay dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"  # Litestar appends "; charset=utf-8" to every text/* type itself
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: object) -> object:
    """A CSV cell: text a spreadsheet would run as a formula gets an apostrophe in front."""
    return "'" + value if isinstance(value, str) and formula_like(value) else value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel on Chinese Windows opens the names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(v) for v in header])
    for row in rows:
        writer.writerow(["" if v is None else csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def put(cell: Any, value: object) -> Any:
    """Set one cell (of a sheet, or a write-only cell): text is text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    return cell


def append(sheet: Worksheet, values: Sequence[Any]) -> int:
    """Append a row to a sheet, every text cell made safe; returns the row's number."""
    sheet.append(list(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        put(sheet.cell(row=row, column=column), value)
    return row


def write_only_row(sheet: Any, values: Sequence[Any]) -> None:
    """Append a row to a write-only sheet (large exports stream), every text cell made safe."""
    sheet.append([put(WriteOnlyCell(sheet), value) for value in values])


def new_book(*, write_only: bool = False) -> openpyxl.Workbook:
    return openpyxl.Workbook(write_only=write_only)


def xlsx_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def simple_xlsx(title: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named ``title``: the header, then the rows (streamed, for large exports)."""
    book = new_book(write_only=True)
    sheet = book.create_sheet(title[:31])
    write_only_row(sheet, header)
    for row in rows:
        write_only_row(sheet, row)
    return xlsx_bytes(book)
