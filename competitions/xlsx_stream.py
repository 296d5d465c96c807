"""Reading an XLSX as a stream, for uploads: the first worksheet row by row, never measured first.

openpyxl's ``load_workbook(read_only=True)`` parses a whole worksheet once just to learn its size when the
file states no dimension (any tool may leave it out; 100,000 blank rows then cost seconds of CPU before the
first row). :func:`open_first_sheet` opens the workbook as it does (shared strings, styles for dates) and
hands back a read-only sheet without that scan; :func:`unpacked_size` reads what the zip directory says the
members unpack to, before anything is decompressed (a 200 KB file may hold a 200 MB cell).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._read_only import ReadOnlyWorksheet


class StreamingSheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its size scan: rows are read until the caller's caps stop them."""

    def _get_size(self) -> None:
        return None


def unpacked_size(content: bytes) -> int:
    """The bytes the zip's members claim to unpack to; zipfile refuses a member that unpacks past its stated
    size (its CRC check fails), so the claim holds while openpyxl reads."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(member.file_size for member in archive.infolist())


def open_first_sheet(content: bytes) -> tuple[Any, StreamingSheet]:
    """The workbook (to close) and its first worksheet, as ``load_workbook(read_only=True, data_only=True)``
    reads them, less the size scan."""
    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    for sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return reader.wb, StreamingSheet(reader.wb, sheet.name, rel.target, reader.shared_strings)
    reader.archive.close()
    raise IndexError("no worksheet")
