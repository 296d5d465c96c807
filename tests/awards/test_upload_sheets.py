"""The nomination spreadsheet without a database: headers, cells, the template round trip."""

from __future__ import annotations

import datetime as dt

import pytest

from awards import sheets
from tests.helpers import make_id_number


def parse(lines: list[dict], deed_max: int = 100) -> tuple[list[sheets.ParsedNomination], list]:
    header, rows = sheets.read_table(sheets.nomination_csv(lines))
    return sheets.parse_rows(header, rows, enterprises={"甲公司": 7}, deed_max_chars=deed_max)


def test_the_xlsx_template_reads_back_as_no_rows_its_example_is_skipped() -> None:
    content = sheets.template_xlsx(deed_max_chars=500, programme_name="测试")
    header, rows = sheets.read_table(content)
    assert header[: len(sheets.COLUMNS)] == [c.header for c in sheets.COLUMNS]
    assert not any(header[len(sheets.COLUMNS) :])
    parsed, errors = sheets.parse_rows(header, rows, enterprises={}, deed_max_chars=500)
    assert parsed == [] and errors == []


def test_headers_match_by_alias_ignoring_stars_and_spaces() -> None:
    positions = sheets.map_header(["* 姓 名", "身份证号码", "主要事迹", "带徒数"])
    assert positions == {"name": 0, "id_number": 1, "deed": 2, "apprentices": 3}
    with pytest.raises(sheets.SheetError) as raised:
        sheets.map_header(["姓名", "身份证号"])
    assert raised.value.code == "missing_columns" and "事迹" in raised.value.message


def test_a_gbk_csv_from_chinese_excel_is_read() -> None:
    text = "姓名,身份证号,手机号,事迹\n王五," + make_id_number() + ",13800000001,爱岗敬业\n"
    header, rows = sheets.read_table(text.encode("gb18030"))
    parsed, errors = sheets.parse_rows(header, rows, enterprises={}, deed_max_chars=100)
    assert errors == [] and parsed[0].name == "王五" and parsed[0].deed == "爱岗敬业"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-03-01", dt.date(2015, 3, 1)),
        ("2015/3/1", dt.date(2015, 3, 1)),
        ("2015.03", dt.date(2015, 3, 1)),
        ("2015年3月8日", dt.date(2015, 3, 8)),
        ("", None),
    ],
)
def test_dates_in_the_forms_people_type(value: str, expected: dt.date | None) -> None:
    [row], errors = parse(
        [{"name": "甲", "id_number": make_id_number(), "deed": "事", "employed_since": value}]
    )
    assert errors == [] and row.employed_since == expected


@pytest.mark.parametrize("value", ["2015-13-01", "去年", "2015-02-30"])
def test_impossible_dates_are_row_errors(value: str) -> None:
    parsed, [error] = parse(
        [{"name": "甲", "id_number": make_id_number(), "deed": "事", "employed_since": value}]
    )
    assert parsed == [] and (error.row, error.field, error.code) == (2, "employed_since", "bad_date")


def test_counts_honours_and_patents() -> None:
    [row], errors = parse(
        [
            {
                "name": "甲",
                "id_number": make_id_number(),
                "deed": "事",
                "patent_count": "1项",
                "apprentices": "12人",
                "patents": "发明专利：一种方法 ZL202010012345.6；软著：控制软件；改进夹具",
                "honours": "2023年北京市劳动模范；全国五一劳动奖章\n2021 公司优秀员工",
                "employer": "甲公司",
                "skill_level": "高级技师",
                "front_line": "否",
                "enterprise_leader": "是",
                "union_member": "",
            }
        ]
    )
    assert errors == []
    a = row.achievements
    assert a.apprentices_trained == 12 and a.patent_count == 3  # three named, though "1项" was declared
    assert [(p.kind, p.number) for p in a.patents] == [
        ("invention", "ZL202010012345.6"),
        ("software", ""),
        ("other", ""),
    ]
    assert [(h.year, h.title, h.level) for h in a.titles_honours] == [
        (2023, "北京市劳动模范", "provincial"),
        (None, "全国五一劳动奖章", "national"),
        (2021, "公司优秀员工", "enterprise"),
    ]
    assert (row.employer_id, row.skill_level, row.front_line, row.enterprise_leader) == (7, 1, False, True)
    assert row.union_member is True  # blank: nominated by their union, so a member


def test_a_deed_over_the_limit_and_a_bad_count_are_both_reported() -> None:
    parsed, errors = parse(
        [{"name": "甲", "id_number": make_id_number(), "deed": "长" * 11, "apprentices": "-1"}], 10
    )
    assert parsed == []
    assert {(e.field, e.code) for e in errors} == {("deed", "deed_too_long"), ("apprentices", "bad_count")}
    assert "10 字" in next(e.message for e in errors if e.field == "deed")


def test_formula_looking_text_is_neutralised_in_generated_csv() -> None:
    content = sheets.nomination_csv([{"name": '=HYPERLINK("x")', "deed": "+1"}]).decode("utf-8-sig")
    assert "'=HYPERLINK" in content and ",'+1," in content


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2019年6月", dt.date(2019, 6, 1)),
        ("2019年6月1日", dt.date(2019, 6, 1)),
        ("2019年6月18日", dt.date(2019, 6, 18)),
        ("2019.6", dt.date(2019, 6, 1)),
        ("2019.6.18", dt.date(2019, 6, 18)),
        ("2019/6/1", dt.date(2019, 6, 1)),
        ("2019-06", dt.date(2019, 6, 1)),
        ("2019-06-18", dt.date(2019, 6, 18)),
        ("201906", dt.date(2019, 6, 1)),
        ("20190618", dt.date(2019, 6, 18)),
        ("２０１９年６月", dt.date(2019, 6, 1)),
        (201906, dt.date(2019, 6, 1)),  # typed into a number cell
        (dt.datetime(2019, 6, 18, 0, 0), dt.date(2019, 6, 18)),  # Excel's own date cell
    ],
)
def test_dates_in_the_forms_people_type_a_month_alone_meaning_its_first_day(
    written: object, day: dt.date
) -> None:
    parsed, errors = parse(
        [{"name": "王五", "id_number": make_id_number(), "deed": "事迹", "employed_since": written}]
    )
    assert errors == [] and parsed[0].employed_since == day


@pytest.mark.parametrize("written", ["2019年13月", "2019-2-30", "2019/6-1", "去年六月", "19年6月", "2019"])
def test_a_bad_date_is_named_by_row_and_column(written: str) -> None:
    lines = [
        {"name": "王五", "id_number": make_id_number(), "deed": "事迹"},
        {"name": "赵六", "id_number": make_id_number(), "deed": "事迹", "employed_since": written},
    ]
    parsed, errors = parse(lines)
    assert [p.name for p in parsed] == ["王五"]
    assert [(e.row, e.column, e.field, e.code) for e in errors] == [
        (3, "本区入职日期", "employed_since", "bad_date")
    ]
    assert "第 3 行「本区入职日期」" in errors[0].message and written in errors[0].message


def test_names_in_a_sheet_follow_the_name_rules() -> None:
    lines = [
        {"name": " 阿卜杜热合曼•买买提 ", "id_number": make_id_number(), "deed": "事迹"},
        {"name": "王五2", "id_number": make_id_number(), "deed": "事迹"},
    ]
    parsed, errors = parse(lines)
    assert [p.name for p in parsed] == ["阿卜杜热合曼·买买提"]
    assert [(e.row, e.field, e.code) for e in errors] == [(3, "name", "bad_character")]
