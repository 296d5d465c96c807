"""A union officer registers members from a spreadsheet: template, row-by-row answers, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import httpx
import openpyxl

from accounts.tables import Person
from competitions import sheets
from competitions.rules import EligibilityRules
from competitions.tables import Registration
from tests.competitions.support import make_competition
from tests.helpers import login, make_id_number, make_mobile, members_consent

HEADERS = ["姓名", "身份证号", "手机号", "工作单位", "职业技能等级", "工会会员", "一线职工"]
DOCUMENT_HEADERS = ["证件类型", "国籍", "出生日期", "性别"]  # optional: a passport states these


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(HEADERS)] + [",".join(str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def member(name: str = "王会员", **changes: Any) -> list[Any]:
    row = {
        "name": name,
        "id": make_id_number(),
        "mobile": make_mobile(),
        "employer": "甲公司",
        "level": "高级工",
        "member": "是",
        "front": "是",
    } | changes
    return list(row.values())


async def upload(
    client: httpx.AsyncClient, competition_id: int, content: bytes, name: str = "名单.xlsx", **form: Any
) -> httpx.Response:
    return await client.post(
        f"/api/competitions/{competition_id}/registrations/upload",
        files={"file": (name, content, "application/octet-stream")},
        data={"members_consent": "true", "notice_version": members_consent()["notice_version"]}
        | {k: str(v).lower() for k, v in form.items()},
    )


async def test_template_is_served_with_chinese_headers_and_an_example_row(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "officer")
    response = await client.get("/api/registrations/template")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(sheets.XLSX_MEDIA_TYPE)
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert list(rows[0]) == HEADERS + DOCUMENT_HEADERS and rows[1][1] == sheets.EXAMPLE_ID_NUMBER
    as_csv = await client.get("/api/registrations/template", params={"format": "csv"})
    assert as_csv.content.startswith("\ufeff姓名,身份证号".encode())


async def test_officer_uploads_members_and_the_example_row_is_ignored(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition(capacity=2)
    await login(client, "officer")
    template = (await client.get("/api/registrations/template")).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    for row in (member("甲一"), member("甲二"), member("甲三", level=3, member="否")):
        workbook.worksheets[0].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await upload(client, competition_id, buffer.getvalue())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["skipped"] == [] and body["total_rows"] == 4
    assert [(r["row"], r["name"], r["outcome"]) for r in body["imported"]] == [
        (3, "甲一", "accepted"),
        (4, "甲二", "accepted"),
        (5, "甲三", "waitlisted"),
    ]
    assert body["imported"][2]["waitlist_position"] == 1
    people = await Person.select(Person.union, Person.union_member).where(Person.name.like("甲%"))
    assert {p["union"] for p in people} == {world["unions"][0]} and sum(
        p["union_member"] for p in people
    ) == 2
    again = await upload(client, competition_id, xlsx([member("甲一")]))
    assert again.status_code == 200  # a new person (new ID) -> registered; nothing duplicated
    assert await Registration.count() == 4


async def test_every_bad_row_is_listed_and_nothing_is_written(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    good = member("好人")
    rows = [
        good,
        member("", mobile="12345"),
        member("坏号", id="110105199013321234"),
        member("坏单位", employer="不存在公司", level="七级"),
        member("坏是否", member="也许"),
        [good[0], good[1], make_mobile(), "", "", "是", "是"],
    ]
    people = await Person.count()
    response = await upload(client, competition_id, xlsx(rows))
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["code"], body["field"]) == ("upload_invalid", "file")
    found = [(e["row"], e["column"], e["field"], e["code"]) for e in body["detail"]["errors"]]
    assert found == [
        (3, "姓名", "name", "required"),
        (3, "手机号", "mobile", "bad_mobile"),
        (4, "身份证号", "id_number", "bad_check_digit"),
        (5, "工作单位", "employer", "unknown_employer"),
        (5, "职业技能等级", "skill_level", "bad_skill_level"),
        (6, "工会会员", "union_member", "bad_yes_no"),
        (7, "身份证号", "id_number", "duplicate_in_file"),
    ]
    assert body["detail"]["bad_rows"] == 5
    assert await Person.count() == people and await Registration.count() == 0


async def test_import_only_the_good_rows_when_asked(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    competition_id = await make_competition(eligibility=EligibilityRules(front_line_only=True))
    await login(client, "officer")
    rows = [member("好一"), member("坏号", id="123"), member("后勤", front="否"), member("好二")]
    refused = await upload(client, competition_id, xlsx(rows))
    assert refused.status_code == 422
    response = await upload(client, competition_id, xlsx(rows), import_valid_only=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["name"] for r in body["imported"]] == ["好一", "好二"]
    assert [(e["row"], e["code"]) for e in body["skipped"]] == [(3, "wrong_length"), (4, "not_front_line")]
    assert await Person.count().where(Person.name == "后勤") == 0  # the ineligible row wrote nothing


async def test_ineligible_rows_block_the_whole_file(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    competition_id = await make_competition(eligibility=EligibilityRules(max_per_enterprise=1))
    await login(client, "officer")
    people = await Person.count()
    response = await upload(client, competition_id, xlsx([member("一号"), member("二号")]))
    assert response.status_code == 422
    assert [(e["row"], e["code"], e["column"]) for e in response.json()["detail"]["errors"]] == [
        (3, "enterprise_limit_reached", "工作单位")
    ]
    assert await Person.count() == people and await Registration.count() == 0


async def test_passport_holders_are_registered_from_the_sheet_with_what_their_passport_states(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id, other = await make_competition(), await make_competition()
    await login(client, "officer")
    headers = HEADERS + DOCUMENT_HEADERS
    card = member("王卡")  # the document columns left blank: one of the 18-character cards
    passport = [*member("安娜·米勒", id="c01x00t47"), "护照", "deu", "1990年3月7日", "女"]
    same_number = [*member("李同号", id="C01X00T47"), "passport", "AUT", dt.date(1985, 1, 2), "男"]
    response = await upload(client, competition_id, xlsx([card, passport, same_number], headers))
    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()["imported"]] == ["王卡", "安娜·米勒", "李同号"]
    rows = {
        r["name"]: r
        for r in await Person.select(
            Person.name,
            Person.id_kind,
            Person.nationality,
            Person.birth_date,
            Person.gender,
            Person.id_masked,
        ).where(Person.name.is_in(["王卡", "安娜·米勒", "李同号"]))
    }
    assert rows["王卡"]["id_kind"] == "resident_id" and rows["王卡"]["nationality"] == "CHN"
    anna = rows["安娜·米勒"]
    assert (anna["id_kind"], anna["nationality"], anna["birth_date"], anna["gender"]) == (
        "passport",
        "DEU",
        dt.date(1990, 3, 7),
        "F",
    )
    assert anna["id_masked"] == "C******47"
    # Two countries' passports with the same number are two people; the same passport again is the same one.
    assert (rows["李同号"]["nationality"], rows["李同号"]["gender"]) == ("AUT", "M")
    again = await upload(client, other, xlsx([passport], headers))
    assert again.status_code == 200, again.text
    assert await Person.count().where(Person.name == "安娜·米勒") == 1


async def test_a_passport_row_names_the_column_at_fault(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    rows = [
        [*member("甲", id="E1234567"), "护照", "", "1990-03-07", "男"],
        [*member("乙", id="E1234568"), "护照", "USA", "", "女"],
        [*member("丙", id="E1234569"), "护照", "USA", "1990-13-07", "未知"],
        [*member("丁"), "驾驶证", "", "", ""],
        [*member("戊"), "外国人永久居留身份证", "", "", ""],
    ]
    response = await upload(client, competition_id, xlsx(rows, HEADERS + DOCUMENT_HEADERS))
    assert response.status_code == 422, response.text
    found = [(e["row"], e["column"], e["code"]) for e in response.json()["detail"]["errors"]]
    assert found == [
        (2, "国籍", "bad_nationality"),
        (3, "出生日期", "birth_date_required"),
        (4, "出生日期", "bad_date"),
        (4, "性别", "bad_gender"),
        (5, "证件类型", "bad_document_type"),
        (6, "证件类型", "wrong_document"),
    ]
    assert await Registration.count() == 0


async def test_officer_cannot_upload_another_unions_member(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "organizer")
    unseal = f"/api/people/{world['people'][1]}/unseal"
    foreign = (await client.post(unseal, json={"purpose": "测试：构造另一工会会员的行"})).json()
    await login(client, "officer")
    row = [foreign["name"], foreign["id_number"], foreign["mobile"], "乙公司", "", "是", "是"]
    response = await upload(client, competition_id, xlsx([row]))
    assert response.status_code == 422
    assert response.json()["detail"]["errors"][0]["code"] == "other_union"


async def test_csv_in_gbk_and_numbers_stored_as_numbers(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    gbk = await upload(client, competition_id, csv_bytes([member("陈国标")], "gbk"), name="名单.csv")
    assert gbk.status_code == 200, gbk.text
    assert gbk.json()["imported"][0]["name"] == "陈国标"
    as_number = member("数字号", id=110105199005171234.0, mobile=13900000077)
    response = await upload(client, competition_id, xlsx([as_number]))
    assert response.status_code == 422
    assert response.json()["detail"]["errors"][0]["code"] == "id_number_as_number"


async def test_a_file_that_is_not_a_spreadsheet_is_refused(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    for content, code in [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "not_a_spreadsheet"),
        (b"PK\x03\x04" + os.urandom(2000), "not_a_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(100), "xls_not_supported"),
        ("名字,电话\n张三,1\n".encode(), "missing_columns"),
        (b"", "empty_file"),
    ]:
        response = await upload(client, competition_id, content)
        assert response.status_code == 422, (code, response.text)
        assert (response.json()["code"], response.json()["field"]) == (code, "file")
    no_file = await client.post(
        f"/api/competitions/{competition_id}/registrations/upload", data={"import_valid_only": "true"}
    )
    assert no_file.status_code in (400, 422) and no_file.json()["field"] == "file"


async def test_ten_thousand_rows_of_garbage_are_refused_by_count(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    garbage = "\r\n".join(",".join(os.urandom(6).hex() for _ in range(7)) for _ in range(10_000))
    content = (",".join(HEADERS) + "\r\n" + garbage).encode()
    response = await upload(client, competition_id, content, name="garbage.csv")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("too_many_rows", "file")
    assert await Person.count() == 4


async def test_twenty_megabytes_are_refused_with_413_before_reading(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    competition_id = await make_competition()
    await login(client, "officer")
    response = await upload(client, competition_id, b"0" * (20 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


async def test_upload_outside_the_registration_window_is_refused(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    now = dt.datetime.now(dt.UTC)
    competition_id = await make_competition(
        opens=now - dt.timedelta(days=5), closes=now - dt.timedelta(days=1)
    )
    await login(client, "officer")
    response = await upload(client, competition_id, xlsx([member()]))
    assert response.status_code == 409 and response.json()["field"] == "competition_id"
