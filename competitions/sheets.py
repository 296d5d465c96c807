"""Spreadsheets in and out: the registration template, reading an upload row by row, the exports.

No database here: the service passes in what it knows (the enterprises by name) and gets back parsed
rows and every problem, with the row number the officer sees in Excel (the header is row 1).

Uploads are read defensively: the content decides the format (a zip that openpyxl opens is XLSX, text
that decodes as UTF-8 or GB18030 is CSV), never the file name. A file of endless garbage costs no more
than the caps: the upload's bytes (per kind, stated on the page), an XLSX's unpacked size (checked from
the zip directory before anything is decompressed, so a small file of one huge cell is refused at once),
``max_rows`` data rows and :data:`BLANK_ROWS_ALLOWED` blank ones (100,000 blank rows are refused after a
few thousand, not read to the end), :data:`MAX_CELL_CHARS` per cell. XLSX is read in openpyxl's streaming
read-only mode. Reading is CPU work: callers run :func:`read_table` and the parsing off the event loop
(``asyncio.to_thread``), so an upload never delays anyone else's request.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import msgspec
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from stdnum.cn import ric

from accounts.documents import (
    DocumentKind,
    IdentityDocument,
    field_at_fault,
    read_document_kind,
    read_id_number,
    read_passport,
)
from accounts.rules import SKILL_LEVEL_NAMES, InvalidNumber, validate_mobile, validate_name
from competitions import xlsx_stream
from competitions.rules import skill_level_label
from competitions.schemas import RowError
from core import spreadsheets

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # registrations and imported marks: "每个文件最多 5000 行、5 MB"
MAX_UPLOAD_ROWS = 5000
MAX_UNPACKED_BYTES = 40 * 1024 * 1024  # an XLSX's members once decompressed (5 MB of text unpacks to ~25)
BLANK_ROWS_ALLOWED = 1000  # blank rows count: a sheet formatted far down is read only this far past the data
MAX_CELL_CHARS = 20_000  # the longest text a column takes (a nomination's deed) is 10,000
MAX_COLUMNS = 50
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = spreadsheets.CSV_MEDIA_TYPE


class SheetError(Exception):
    """The file as a whole is refused (not a spreadsheet, wrong columns, too many rows)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Column(msgspec.Struct, frozen=True):
    field: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()
    note: str = ""


# The document beside the number, shared with the nomination sheet: blank for the 18-character cards
# (the number tells which, and the birth date and gender); a passport states them here.
DOCUMENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "id_type",
        "证件类型",
        False,
        ("证件种类",),
        "留空即居民身份证（港澳台居民居住证、外国人永久居留身份证由号码识别）；持护照者填「护照」",
    ),
    Column("nationality", "国籍", False, ("国籍代码",), "持护照者必填：3 位字母国家代码，如 USA、DEU、KOR"),
    Column("birth_date", "出生日期", False, (), "持护照者必填，如 1990-03-07"),
    Column("gender", "性别", False, (), "持护照者必填：男 / 女"),
)

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("名字",), "必填"),
    Column(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "身份证", "证件号码", "居住证号码", "永久居留身份证号码"),
        "必填，18 位，请设为文本格式；港澳台居民居住证、外国人永久居留身份证号码也填在此列；"
        "持护照者填护照号码，并填写后面的「证件类型」「国籍」「出生日期」「性别」",
    ),
    Column("mobile", "手机号", True, ("手机号码", "手机", "联系电话"), "必填，11 位"),
    Column("employer", "工作单位", False, ("单位", "所在单位", "企业名称"), "须与平台登记的企业名称一致"),
    Column(
        "skill_level",
        "职业技能等级",
        False,
        ("技能等级", "等级"),
        "填 1–5 或 初级工/中级工/高级工/技师/高级技师",
    ),
    Column("union_member", "工会会员", False, ("是否工会会员",), "是 / 否"),
    Column("front_line", "一线职工", False, ("是否一线职工",), "是 / 否"),
    *DOCUMENT_COLUMNS,
)
HEADER_OF = {c.field: c.header for c in COLUMNS}

# The template's example row: a valid-looking number that an upload skips, in case it is left in.
_EXAMPLE_BODY = "11010519900307123"
EXAMPLE_ID_NUMBER = _EXAMPLE_BODY + ric.calc_check_digit(_EXAMPLE_BODY + "0")
EXAMPLE_ROW = (
    "张三（示例，可删除）",
    EXAMPLE_ID_NUMBER,
    "13800000000",
    "",
    "高级工",
    "是",
    "是",
    "",
    "",
    "",
    "",
)

_GRADES = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}
SKILL_LEVELS: dict[str, int] = {}
for _level in range(1, 6):
    for _text in (
        str(_level),
        f"{_level}级",
        _GRADES[_level],
        SKILL_LEVEL_NAMES[_level],
        skill_level_label(_level),
    ):
        SKILL_LEVELS[_text] = _level
SKILL_LEVELS |= {label.replace("（", "(").replace("）", ")"): n for label, n in list(SKILL_LEVELS.items())}
_YES = {"是", "y", "yes", "true", "1", "√", "会员", "是的"}
_NO = {"否", "n", "no", "false", "0", "×", "", "不是"}


class ParsedRow(msgspec.Struct, kw_only=True):
    row: int
    name: str
    identity: Any  # accounts.documents.IdentityDocument
    mobile: str
    employer_id: int | None
    skill_level: int | None
    union_member: bool
    front_line: bool


# --- the template ----------------------------------------------------------------------------------------


def template_xlsx() -> bytes:
    workbook = spreadsheets.new_book()
    sheet = workbook.active
    sheet.title = "报名名单"
    spreadsheets.append(sheet, [c.header for c in COLUMNS])
    spreadsheets.append(sheet, list(EXAMPLE_ROW))
    for index, column in enumerate(COLUMNS):
        letter = openpyxl.utils.get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = 24 if column.field in {"id_number", "employer"} else 14
        if column.field in {"id_number", "mobile"}:
            sheet.column_dimensions[letter].number_format = "@"
            for cell in sheet[letter]:
                cell.number_format = "@"
    notes = workbook.create_sheet("填写说明")
    spreadsheets.append(notes, ["列", "说明"])
    for column in COLUMNS:
        spreadsheets.append(notes, [column.header, column.note])
    spreadsheets.append(
        notes, ["", "第一行为表头，请勿修改；示例行可删除（导入时自动忽略）；每个文件最多 5000 行。"]
    )
    return spreadsheets.xlsx_bytes(workbook)


def template_csv() -> bytes:
    return write_csv([c.header for c in COLUMNS], [list(EXAMPLE_ROW)])


# --- reading an upload ------------------------------------------------------------------------------------


def read_table(
    content: bytes, *, max_rows: int = MAX_UPLOAD_ROWS, max_unpacked: int = MAX_UNPACKED_BYTES
) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-blank data rows (with their spreadsheet row numbers) of an XLSX or CSV.

    CPU-bound (run it with ``asyncio.to_thread``); refuses a file past any cap with :class:`SheetError`."""
    if not content.strip():
        raise SheetError("empty_file", "文件为空")
    if content[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(content, max_unpacked)
    elif content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SheetError("xls_not_supported", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    else:
        rows = _csv_rows(content)
    return _collect(rows, max_rows)


def _too_long(cells: Sequence[Any]) -> bool:
    return any(isinstance(c, str) and len(c) > MAX_CELL_CHARS for c in cells)


def _collect(rows: Iterator[list[Any]], max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    header: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    row_limit = max_rows + 1 + BLANK_ROWS_ALLOWED  # blank rows count toward it
    for number, row in enumerate(rows, start=1):
        if number > row_limit:
            raise SheetError(
                "too_many_rows",
                f"文件行数过多：最多 {max_rows} 行数据，连同空行不超过 {row_limit} 行，"
                "请删除多余的空行或分批上传",
            )
        cells = list(row[:MAX_COLUMNS])
        if _too_long(cells):
            raise SheetError(
                "cell_too_long", f"第 {number} 行有单元格超过 {MAX_CELL_CHARS} 字，请精简后再上传"
            )
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [cell_text(c) for c in cells]
            continue
        if len(data) >= max_rows:
            raise SheetError("too_many_rows", f"每个文件最多 {max_rows} 行数据，请分批上传")
        data.append((number, cells))
    if header is None:
        raise SheetError("empty_file", "文件中没有表头和数据")
    return header, data


def _check_unpacked_size(content: bytes, max_unpacked: int) -> None:
    try:
        unpacked = xlsx_stream.unpacked_size(content)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetError("not_a_spreadsheet", "文件不是有效的 Excel（.xlsx）或 CSV 表格") from None
    if unpacked > max_unpacked:
        raise SheetError(
            "file_too_large",
            f"Excel 文件解压后超过 {max_unpacked // (1024 * 1024)} MB，请删除多余内容或另存为 CSV 后上传",
        )


def _xlsx_rows(content: bytes, max_unpacked: int) -> Iterator[list[Any]]:
    # The zip directory's sizes are what the writer claims; zipfile refuses a member that unpacks past its
    # stated size, so the check holds while openpyxl reads.
    _check_unpacked_size(content, max_unpacked)
    try:
        workbook, sheet = xlsx_stream.open_first_sheet(content)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError, TypeError):
        raise SheetError("not_a_spreadsheet", "文件不是有效的 Excel（.xlsx）或 CSV 表格") from None

    def rows() -> Iterator[list[Any]]:
        try:
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                yield list(row)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise SheetError("not_a_spreadsheet", "Excel 文件已损坏，无法读取") from exc
        finally:
            workbook.close()

    return rows()


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    if b"\x00" in content:
        raise SheetError("not_a_spreadsheet", "文件不是有效的 Excel（.xlsx）或 CSV 表格")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly everything; kept for safety
        raise SheetError("not_a_spreadsheet", "CSV 文件编码无法识别，请使用 UTF-8 或 GBK")

    def rows() -> Iterator[list[Any]]:
        try:
            yield from csv.reader(io.StringIO(text, newline=""))
        except csv.Error:
            raise SheetError("not_a_spreadsheet", "CSV 文件格式不正确") from None

    return rows()


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Column index of each known field; missing required columns raise :class:`SheetError`."""
    positions: dict[str, int] = {}
    for column in COLUMNS:
        names = {column.header, *column.aliases}
        for index, text in enumerate(header):
            if text.replace(" ", "").replace("*", "") in names:
                positions[column.field] = index
                break
    missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
    if missing:
        raise SheetError("missing_columns", "缺少必填列：" + "、".join(missing) + "（请使用平台提供的模板）")
    return positions


def parse_rows(
    header: Sequence[str], rows: Iterable[tuple[int, list[Any]]], enterprises: dict[str, int]
) -> tuple[list[ParsedRow], list[RowError]]:
    """Every row validated on its own; a row with any problem is left out of the parsed rows."""
    positions = map_header(header)
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        row_errors: list[RowError] = []
        cell = _cell_reader(cells, positions)
        if is_example_row(cell("id_number"), EXAMPLE_ID_NUMBER):
            continue
        result = _parse_row(number, cell, enterprises, row_errors)
        if result is not None:
            first = first_row_of.setdefault(result.identity.key, number)
            if first != number:
                message = f"与第 {first} 行的身份证号重复"
                row_errors.append(_error(number, "id_number", "duplicate_in_file", message))
        errors.extend(row_errors)
        if result is not None and not row_errors:
            parsed.append(result)
    return parsed, errors


def is_example_row(id_cell: Any, example_id_number: str) -> bool:
    """The template's example row (left in by mistake) is skipped by its ID number, whatever else it says."""
    return cell_text(id_cell).replace(" ", "").upper() == example_id_number


def _cell_reader(cells: list[Any], positions: dict[str, int]) -> Any:
    def cell(field: str) -> Any:
        index = positions.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    return cell


def _parse_row(
    number: int, cell: Any, enterprises: dict[str, int], errors: list[RowError]
) -> ParsedRow | None:
    name = cell_name(number, cell("name"), errors, _error)
    identity = cell_document(number, cell, errors, _error)
    mobile = cell_mobile(number, cell("mobile"), errors, _error, required=True)
    employer_id = cell_employer(number, cell("employer"), enterprises, errors, _error)
    level = cell_skill_level(number, cell("skill_level"), errors, _error)
    union_member = _yes_no(number, "union_member", cell("union_member"), errors)
    front_line = _yes_no(number, "front_line", cell("front_line"), errors)
    if errors or identity is None or mobile is None or name is None:
        return None
    return ParsedRow(
        row=number,
        name=name,
        identity=identity,
        mobile=mobile,
        employer_id=employer_id,
        skill_level=level,
        union_member=bool(union_member),
        front_line=bool(front_line),
    )


ErrorFactory = Callable[[int, str, str, str], RowError]


def cell_name(number: int, value: Any, errors: list[RowError], error: ErrorFactory) -> str | None:
    """The name of a row as stored (accounts.rules.validate_name), or None with the reason."""
    try:
        return validate_name(cell_text(value))
    except InvalidNumber as exc:
        errors.append(error(number, "name", exc.code, exc.message))
        return None


_GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}


def cell_document(
    number: int, cell: Callable[[str], Any], errors: list[RowError], error: ErrorFactory
) -> IdentityDocument | None:
    """The identity document of a row (``cell`` reads a field's cell): the number, whose card it is, and
    for a passport the nationality, birth date and gender it states; or None with every reason appended to
    ``errors`` (via the sheet's ``error``), each naming its column."""
    try:
        kind = read_document_kind(cell_text(cell("id_type")))
    except InvalidNumber as exc:
        errors.append(error(number, "id_type", exc.code, exc.message))
        return None
    before = len(errors)
    text = _number_text(number, cell("id_number"), errors, error)
    passport = _passport_facts(number, cell, errors, error) if kind == DocumentKind.PASSPORT else None
    if text is None or len(errors) > before:
        return None
    try:
        if passport is not None:
            return read_passport(text, **passport)
        return read_id_number(text, expected=kind)
    except InvalidNumber as exc:
        errors.append(error(number, field_at_fault(exc.code, kind), exc.code, exc.message))
        return None


def _number_text(number: int, value: Any, errors: list[RowError], error: ErrorFactory) -> str | None:
    if isinstance(value, float | int) and not isinstance(value, bool):
        message = "身份证号被存成了数字（末位可能已丢失），请将该列设为文本格式后重新填写"
        errors.append(error(number, "id_number", "id_number_as_number", message))
        return None
    text = cell_text(value)
    if not text:
        errors.append(error(number, "id_number", "required", "身份证号不能为空"))
        return None
    return text


_GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}


def _passport_facts(
    number: int, cell: Callable[[str], Any], errors: list[RowError], error: ErrorFactory
) -> dict[str, Any]:
    """What a passport states besides its number; a blank one is refused by ``read_passport`` with its own
    reason, one written wrong here."""
    header = HEADER_OF["birth_date"]
    birth_date = cell_date(number, "birth_date", cell("birth_date"), errors, error, header=header)
    written = cell_text(cell("gender")).upper()
    if written and written not in _GENDERS:
        errors.append(error(number, "gender", "bad_gender", "性别应填“男”或“女”"))
    return {
        "nationality": cell_text(cell("nationality")),
        "birth_date": birth_date,
        "gender": _GENDERS.get(written),
    }


def cell_mobile(
    number: int, value: Any, errors: list[RowError], error: ErrorFactory, *, required: bool
) -> str | None:
    text = cell_text(value)
    if not text:
        if required:
            errors.append(error(number, "mobile", "required", "手机号不能为空"))
        return None
    try:
        return validate_mobile(text)
    except InvalidNumber as exc:
        errors.append(error(number, "mobile", exc.code, exc.message))
        return None


def cell_employer(
    number: int, value: Any, enterprises: Mapping[str, int], errors: list[RowError], error: ErrorFactory
) -> int | None:
    text = cell_text(value)
    if not text:
        return None
    if text not in enterprises:
        message = f"工作单位「{text[:50]}」未在平台登记（须与企业全称一致）"
        errors.append(error(number, "employer", "unknown_employer", message))
        return None
    return enterprises[text]


def cell_skill_level(number: int, value: Any, errors: list[RowError], error: ErrorFactory) -> int | None:
    text = cell_text(value).replace(" ", "")
    if not text or text in {"无", "-", "—"}:
        return None
    if text in SKILL_LEVELS:
        return SKILL_LEVELS[text]
    message = "职业技能等级应为 1–5 或 初级工/中级工/高级工/技师/高级技师"
    errors.append(error(number, "skill_level", "bad_skill_level", message))
    return None


# The forms people type (after NFKC, so full-width digits and ／ are the ordinary ones); a month alone
# means its first day: 2019年6月1日, 2019年6月 | 2019-06-01, 2019/6/1, 2019.6.1, 2019-06, 2019.6 |
# 20190601, 201906.
_DATE_FORMS = (
    re.compile(r"((?:19|20)\d{2})年(\d{1,2})月(?:(\d{1,2})[日号]?)?"),
    re.compile(r"((?:19|20)\d{2})([-/.])(\d{1,2})(?:\2(\d{1,2}))?"),
    re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})?"),
)


_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")


def parse_date_text(text: str) -> dt.date | None:
    """A date as people type it in a spreadsheet (see :data:`_DATE_FORMS`), or None."""
    text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text).strip())  # a date cell saved as text
    compact = re.sub(r"\s+", "", text)
    for form in _DATE_FORMS:
        match = form.fullmatch(compact)
        if match:
            parts = [g for g in match.groups() if g is None or g.isdigit()]
            year, month, day = int(parts[0]), int(parts[1]), int(parts[2] or 1)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def cell_date(
    number: int, field: str, value: Any, errors: list[RowError], error: ErrorFactory, *, header: str
) -> dt.date | None:
    """A date cell (Excel's own dates, or text in the forms people type), or None with the reason naming the
    row and column; blank is None without a reason."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    parsed = parse_date_text(text)
    if parsed is None:
        message = (
            f"第 {number} 行「{header}」的日期「{text[:20]}」无法识别，"
            "请写成 2019-06-01、2019年6月1日、2019/6/1 或 2019年6月（只写年月表示当月 1 日）"
        )
        errors.append(error(number, field, "bad_date", message))
    return parsed


def cell_text(value: Any, *, keep_lines: bool = False) -> str:
    """A cell as text: integral floats lose their ``.0`` (Excel stores 3 as 3.0), dates as ISO; runs of
    white space fold to one space unless ``keep_lines`` (a deed keeps its paragraphs)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    return text if keep_lines else " ".join(text.split())


def _yes_no(number: int, field: str, value: Any, errors: list[RowError]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors.append(_error(number, field, "bad_yes_no", f"{HEADER_OF[field]}应填“是”或“否”"))
    return None


def _error(row: int, field: str, code: str, message: str) -> RowError:
    return RowError(row=row, column=HEADER_OF[field], field=field, code=code, message=message)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- exports ----------------------------------------------------------------------------------------------


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "报名名单") -> bytes:
    return spreadsheets.simple_xlsx(title, headers, rows)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return spreadsheets.csv_bytes(headers, rows)
