"""The nomination spreadsheet: its template, and reading an upload row by row. No database here.

Reading the file itself (content sniffing: a zip that openpyxl opens is XLSX, text that decodes is CSV;
the row cap; blank rows) is the registration upload's :func:`competitions.sheets.read_table`, shared so that
both uploads accept and refuse the same files. This module maps the nomination columns and validates each
row, returning every problem with the row number the officer sees in Excel (the header is row 1).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
import openpyxl
from stdnum.cn import ric

from awards.schemas import Achievements, Patent, RowError, TitleHonour
from competitions.sheets import (
    DOCUMENT_COLUMNS,
    Column,
    SheetError,
    cell_date,
    cell_document,
    cell_employer,
    cell_mobile,
    cell_name,
    cell_skill_level,
    cell_text,
    is_example_row,
    read_table,
    write_csv,
)
from core import spreadsheets

__all__ = [
    "COLUMNS",
    "CSV_MEDIA_TYPE",
    "EXAMPLE_ID_NUMBER",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_ROWS",
    "XLSX_MEDIA_TYPE",
    "ParsedNomination",
    "SheetError",
    "nomination_csv",
    "parse_rows",
    "read_table",
    "referenced_employers",
    "template_csv",
    "template_xlsx",
]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # stated on the union's page: "最多 10000 行、10 MB"
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # deeds are long text: an XLSX unpacks to several times its size
MAX_UPLOAD_ROWS = 10_000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"  # Litestar appends "; charset=utf-8" to every text/* type itself


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("名字",), "必填"),
    Column(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "身份证", "证件号码", "居住证号码", "永久居留身份证号码"),
        "必填，18 位，请设为文本格式；港澳台居民居住证、外国人永久居留身份证号码也填在此列；"
        "持护照者填护照号码，并填写最后的「证件类型」「国籍」「出生日期」「性别」",
    ),
    Column("mobile", "手机号", False, ("手机号码", "手机", "联系电话"), "平台尚未登记的人员必填"),
    Column("employer", "工作单位", False, ("单位", "所在单位", "企业名称"), "须与平台登记的企业名称一致"),
    Column(
        "skill_level",
        "职业技能等级",
        False,
        ("技能等级", "等级"),
        "1–5 或 初级工/中级工/高级工/技师/高级技师",
    ),
    Column("union_member", "工会会员", False, ("是否工会会员",), "是 / 否，空白视为是"),
    Column("front_line", "一线职工", False, ("是否一线职工",), "是 / 否"),
    Column("enterprise_leader", "企业负责人", False, ("是否企业负责人", "企业领导"), "是 / 否"),
    Column(
        "employed_since",
        "本区入职日期",
        False,
        ("入职日期", "参加工作时间"),
        "如 2015-03-01、2015年3月1日 或 2015年3月（表示 3 月 1 日）",
    ),
    Column("deed", "事迹", True, ("主要事迹", "事迹简介", "先进事迹"), "必填，字数以评选规定为限"),
    Column("patent_count", "专利数", False, ("专利数量",), "整数"),
    Column("patents", "专利及创新成果", False, ("专利名称", "专利", "创新成果"), "多项用分号隔开"),
    Column("apprentices", "带徒人数", False, ("带徒数", "培养徒弟人数"), "整数"),
    Column(
        "honours", "荣誉称号", False, ("荣誉", "所获荣誉"), "多项用分号隔开，可写年份，如 2024 北京市劳动模范"
    ),
    *DOCUMENT_COLUMNS,
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
# Facts taken from the sheet only for people not yet on record; for the others the record wins.
NEW_PERSON_FIELDS = ("mobile", "employer", "skill_level", "union_member", "front_line", "enterprise_leader")

_EXAMPLE_BODY = "11010519880617123"
EXAMPLE_ID_NUMBER = _EXAMPLE_BODY + ric.calc_check_digit(_EXAMPLE_BODY + "0")
EXAMPLE_ROW: dict[str, Any] = {
    "name": "李四（示例，可删除）",
    "id_number": EXAMPLE_ID_NUMBER,
    "mobile": "13900000000",
    "employer": "",
    "skill_level": "技师",
    "union_member": "是",
    "front_line": "是",
    "enterprise_leader": "否",
    "employed_since": "2012-07-01",
    "deed": "扎根生产一线十余年，主持完成数控加工工艺改进 3 项，带出高级工徒弟 5 名。",
    "patent_count": 2,
    "patents": "实用新型：一种快速装夹夹具；发明专利：多轴联动补偿方法",
    "apprentices": 5,
    "honours": "2024 亦城工匠；2023 北京市优秀技能人才",
    "id_type": "",
    "nationality": "",
    "birth_date": "",
    "gender": "",
}

_YES = {"是", "y", "yes", "true", "1", "√", "是的", "会员"}
_NO = {"否", "n", "no", "false", "0", "×", "不是"}
_SPLIT = re.compile(r"[；;\n\r]+")
_YEAR_PREFIX = re.compile(r"^\s*((?:19|20)\d{2})\s*年?\s*[:：、,，.-]?\s*")
_PATENT_NO = re.compile(r"(ZL\s?\d{8,13}\.?[\dXx]?|CN\s?\d{9,10}\.?[\dXx]?)", re.IGNORECASE)
_COUNT = re.compile(r"^(\d{1,5})\s*(人|名|项|个|件)?$")


class ParsedNomination(msgspec.Struct, kw_only=True):
    """A valid row. The person facts matter only when the person is not yet on record."""

    row: int
    name: str
    identity: Any  # accounts.documents.IdentityDocument
    mobile: str | None
    employer_id: int | None
    skill_level: int | None
    union_member: bool
    front_line: bool
    enterprise_leader: bool
    employed_since: dt.date | None
    deed: str
    achievements: Achievements


# --- the template ----------------------------------------------------------------------------------------


def template_xlsx(*, deed_max_chars: int, programme_name: str = "") -> bytes:
    workbook = spreadsheets.new_book()
    sheet = workbook.active
    sheet.title = "推荐名单"
    spreadsheets.append(sheet, [c.header for c in COLUMNS])
    spreadsheets.append(sheet, [EXAMPLE_ROW[c.field] for c in COLUMNS])
    widths = {"id_number": 22, "employer": 26, "deed": 60, "patents": 36, "honours": 36}
    for index, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(column.field, 13)
        if column.field in {"id_number", "mobile"}:
            for cell in sheet[letter]:
                cell.number_format = "@"
    notes = workbook.create_sheet("填写说明")
    spreadsheets.append(notes, ["列", "说明"])
    for column in COLUMNS:
        note = column.note
        if column.field == "deed":
            note = f"必填，不超过 {deed_max_chars} 字"
        spreadsheets.append(notes, [column.header, note])
    # The programme's name is typed text: never a formula (core.spreadsheets).
    spreadsheets.append(
        notes, ["", f"{programme_name}：第一行为表头，请勿修改；示例行可删除（导入时自动忽略）。"]
    )
    spreadsheets.append(
        notes,
        [
            "",
            f"每个文件最多 {MAX_UPLOAD_ROWS} 行；已登记的人员以平台信息为准，只需姓名、身份证号和事迹。",
        ],
    )
    return spreadsheets.xlsx_bytes(workbook)


def template_csv() -> bytes:
    return nomination_csv([EXAMPLE_ROW])


def nomination_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A CSV in the template's columns from dicts keyed by field name (tests, the benchmark, exports)."""
    return write_csv([c.header for c in COLUMNS], ([row.get(c.field, "") for c in COLUMNS] for row in rows))


# --- reading an upload ------------------------------------------------------------------------------------


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Column index of each known field; missing required columns raise :class:`SheetError`."""
    positions: dict[str, int] = {}
    cleaned = [text.replace(" ", "").replace("*", "").replace("＊", "") for text in header]
    for column in COLUMNS:
        names = {column.header, *column.aliases}
        for index, text in enumerate(cleaned):
            if text in names:
                positions[column.field] = index
                break
    missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
    if missing:
        raise SheetError(
            "missing_columns", "缺少必填列：" + "、".join(missing) + "（请使用平台提供的推荐模板）"
        )
    return positions


def referenced_employers(header: Sequence[str], rows: Iterable[tuple[int, list[Any]]]) -> set[str]:
    """The employer names the file mentions, so the service looks up only those."""
    index = map_header(header).get("employer")
    if index is None:
        return set()
    return {text for _, cells in rows if index < len(cells) and (text := cell_text(cells[index]))}


def parse_rows(
    header: Sequence[str],
    rows: Iterable[tuple[int, list[Any]]],
    *,
    enterprises: Mapping[str, int],
    deed_max_chars: int,
) -> tuple[list[ParsedNomination], list[RowError]]:
    """Every row validated on its own; a row with any problem is left out of the parsed rows."""
    positions = map_header(header)
    parsed: list[ParsedNomination] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        row_errors: list[RowError] = []

        def cell(field: str, cells: list[Any] = cells) -> Any:
            index = positions.get(field)
            return cells[index] if index is not None and index < len(cells) else None

        if is_example_row(cell("id_number"), EXAMPLE_ID_NUMBER):
            continue
        result = _parse_row(number, cell, enterprises, deed_max_chars, row_errors)
        # Duplicates are found by the number as written, so a repeat of a row with other errors still shows.
        written = cell_text(cell("id_number")).upper()
        if written:
            first = first_row_of.setdefault(written, number)
            if first != number:
                row_errors.append(
                    error(number, "id_number", "duplicate_in_file", f"与第 {first} 行的身份证号重复")
                )
                result = None
        errors.extend(row_errors)
        if result is not None and not row_errors:
            parsed.append(result)
    return parsed, errors


def _parse_row(
    number: int, cell: Any, enterprises: Mapping[str, int], deed_max: int, errors: list[RowError]
) -> ParsedNomination | None:
    before = len(errors)
    name = cell_name(number, cell("name"), errors, error)
    identity = cell_document(number, cell, errors, error)
    mobile = cell_mobile(number, cell("mobile"), errors, error, required=False)
    employer_id = cell_employer(number, cell("employer"), enterprises, errors, error)
    level = cell_skill_level(number, cell("skill_level"), errors, error)
    union_member = _yes_no(number, "union_member", cell("union_member"), errors, blank=True)
    front_line = _yes_no(number, "front_line", cell("front_line"), errors, blank=False)
    leader = _yes_no(number, "enterprise_leader", cell("enterprise_leader"), errors, blank=False)
    since = cell_date(
        number, "employed_since", cell("employed_since"), errors, error, header=HEADER_OF["employed_since"]
    )
    deed = cell_text(cell("deed"), keep_lines=True)
    if not deed:
        errors.append(error(number, "deed", "required", "事迹不能为空"))
    elif len(deed) > deed_max:
        errors.append(
            error(number, "deed", "deed_too_long", f"事迹不能超过 {deed_max} 字（现为 {len(deed)} 字）")
        )
    patent_count = _count(number, "patent_count", cell("patent_count"), errors)
    apprentices = _count(number, "apprentices", cell("apprentices"), errors)
    patents = [_patent(item) for item in _items(cell("patents"))][:100]
    honours = [_honour(item) for item in _items(cell("honours"))][:50]
    if len(errors) > before or identity is None or name is None:
        return None
    return ParsedNomination(
        row=number,
        name=name,
        identity=identity,
        mobile=mobile,
        employer_id=employer_id,
        skill_level=level,
        union_member=bool(union_member),
        front_line=bool(front_line),
        enterprise_leader=bool(leader),
        employed_since=since,
        deed=deed,
        achievements=Achievements(
            patents=patents,
            patent_count=max(patent_count or 0, len(patents)),
            apprentices_trained=apprentices or 0,
            titles_honours=honours,
        ),
    )


def _yes_no(number: int, field: str, value: Any, errors: list[RowError], *, blank: bool) -> bool | None:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if not text:
        return blank
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors.append(error(number, field, "bad_yes_no", f"{HEADER_OF[field]}应填“是”或“否”"))
    return None


def _count(number: int, field: str, value: Any, errors: list[RowError]) -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = cell_text(value)
    if not text:
        return None
    match = _COUNT.match(text)
    if match is None or int(match.group(1)) > 10_000:
        errors.append(error(number, field, "bad_count", f"{HEADER_OF[field]}应为 0–10000 的整数"))
        return None
    return int(match.group(1))


def _items(value: Any) -> list[str]:
    return [item.strip() for item in _SPLIT.split(cell_text(value, keep_lines=True)) if item.strip()]


def _patent(item: str) -> Patent:
    kind = "other"
    for word, code in (
        ("发明", "invention"),
        ("实用新型", "utility_model"),
        ("外观", "design"),
        ("软件著作权", "software"),
        ("软著", "software"),
        ("革新", "innovation"),
        ("创新成果", "innovation"),
    ):
        if word in item:
            kind = code
            break
    found = _PATENT_NO.search(item)
    return Patent(title=item[:200], number=found.group(1)[:50] if found else "", kind=kind)  # type: ignore[arg-type]


def _honour(item: str) -> TitleHonour:
    year = None
    match = _YEAR_PREFIX.match(item)
    title = item
    if match and len(item) > match.end():
        year, title = int(match.group(1)), item[match.end() :]
    level = "other"
    for words, code in (
        (("全国", "国家", "中华全国"), "national"),
        (("北京市", "省"), "provincial"),
        (("亦城", "亦庄", "经开区", "开发区", "区级"), "district"),
        (("公司", "集团", "企业", "厂"), "enterprise"),
    ):
        if any(word in title for word in words):
            level = code
            break
    return TitleHonour(title=title[:200], year=year, level=level)  # type: ignore[arg-type]


def error(row: int, field: str, code: str, message: str) -> RowError:
    return RowError(row=row, column=HEADER_OF.get(field, field), field=field, code=code, message=message)
