"""Results as files: XLSX and CSV for organizers, and the open results document anyone can recompute.

No database here: the service passes in what it loaded. The open document names contestants by blind code
and judges by judge number only; it carries the declared rules as data, so a short script with nothing
but the standard library can recompute every published score, rank and prize
(``tests/scoring/recompute_reference.py`` is such a script).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec
import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from scoring import rules as engine

OPEN_DOCUMENT_FORMAT = "yicheng-open-results/1"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | None


def _safe_text(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula (``=HYPERLINK(...)`` in a name) is kept as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on Chinese Windows opens it without mangling the names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def xlsx_bytes(
    title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], *, note: str = "", decimals: int = 2
) -> bytes:
    """One sheet: a title line, an optional note, the header, the rows; scores stay numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "成绩"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    first = 2
    if note:
        sheet.append([note])
        first = 3
    sheet.append(list(header))
    for cell in sheet[first]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    number_format = "0." + "0" * decimals if decimals > 0 else "0"
    for row in rows:
        sheet.append([_safe_text(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = number_format
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(36, len(name) * 2 + 4))
    sheet.freeze_panes = sheet.cell(row=first + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class PublishedFigure(msgspec.Struct, kw_only=True):
    blind_code: str
    final_score: Decimal
    rank: int | None
    tier: int | None
    stage_scores: dict[str, Decimal]
    disqualified: bool


def _subjects_part(
    subjects: Sequence[engine.SubjectInput], blind: Mapping[str, tuple[int | None, str]]
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": blind[s.subject_id][1],
                "station_no": blind[s.subject_id][0],
                "imported": s.imported,
                "time_used": s.time_used,
                "disqualified": s.disqualified,
            }
            for s in subjects
        ),
        key=lambda item: item["blind_code"],
    )


def _marks_part(
    marks: Sequence[engine.Mark], code: Callable[[str], str], judge_no: Callable[[str], int]
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": code(m.subject_id),
                "aspect_id": m.aspect_id,
                "judge_no": judge_no(m.judge_id),
                "value": m.value,
            }
            for m in marks
        ),
        key=lambda item: (item["blind_code"], item["aspect_id"], item["judge_no"]),
    )


def _expected_part(
    expected: Mapping[tuple[str, str], Any] | None,
    blind: Mapping[str, tuple[int | None, str]],
    judge_no: Callable[[str], int],
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": blind[subject_id][1],
                "aspect_id": aspect_id,
                "judge_nos": sorted(judge_no(j) for j in judges),
            }
            for (subject_id, aspect_id), judges in (expected or {}).items()
            if subject_id in blind
        ),
        key=lambda item: (item["blind_code"], item["aspect_id"]),
    )


def open_document(
    *,
    competition: Mapping[str, Any],
    version: int,
    published_at: dt.datetime,
    rules: engine.CompetitionRules,
    published_rounding: engine.RoundingStep,
    judge_numbers: Mapping[str, int],
    subjects: Sequence[engine.SubjectInput],
    marks: Sequence[engine.Mark],
    expected: Mapping[tuple[str, str], Any] | None,
    blind: Mapping[str, tuple[int | None, str]],
    published: Sequence[PublishedFigure],
) -> bytes:
    """The open results document (JSON bytes): rules, judge numbers, every mark, the published figures.

    Subject and judge ids of the platform never appear: subjects become blind codes, judges judge numbers.
    """

    def code(subject_id: str) -> str:
        return blind[subject_id][1]

    def judge_no(judge_id: str) -> int:
        try:
            return judge_numbers[judge_id]
        except KeyError:
            raise engine.ScoringError(f"a mark by judge {judge_id!r}, who has no judge number") from None

    document = {
        "format": OPEN_DOCUMENT_FORMAT,
        "competition": {
            "id": competition["id"],
            "title": competition["title"],
            "occupation": competition["occupation"],
        },
        "version": version,
        "published_at": published_at,
        "rules": rules,
        "published_rounding": published_rounding,
        "judges": sorted(set(judge_numbers.values())),
        "subjects": _subjects_part(subjects, blind),
        "marks": _marks_part(marks, code, judge_no),
        "expected": _expected_part(expected, blind, judge_no),
        "published": sorted(published, key=lambda p: p.blind_code),
    }
    return msgspec.json.encode(document)
