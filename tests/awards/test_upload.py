"""Nominating by spreadsheet: the template, row-by-row errors, all-or-nothing, quota over the whole file."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import httpx
import openpyxl
import pytest
from litestar import Litestar

from accounts.tables import Consent, Person
from awards.sheets import COLUMNS, EXAMPLE_ID_NUMBER, nomination_csv
from awards.tables import Nomination
from awards.uploads import _parsing
from tests.awards.nomination_helpers import create_programme
from tests.helpers import han_digits, login, make_id_number, make_mobile, new_client, upload_consent

HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
async def organizer(app: Litestar, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client


@pytest.fixture
async def officer(app: Litestar, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "officer")
        yield client


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(**values: Any) -> list[Any]:
    return [values.get(c.field, "") for c in COLUMNS]


async def upload(
    officer: httpx.AsyncClient, pid: int, content: bytes, name: str = "名单.xlsx", valid_only: bool = False
) -> httpx.Response:
    return await officer.post(
        f"/api/programmes/{pid}/nominations/upload",
        files={"file": (name, content, "application/octet-stream")},
        data={"import_valid_only": "true" if valid_only else "false"} | upload_consent(),
    )


async def _consent_audit(organizer: httpx.AsyncClient) -> int:
    return (await organizer.get("/api/audit/", params={"action": "person.consent"})).json()["total"]


async def _people(organizer: httpx.AsyncClient) -> int:
    return (await organizer.get("/api/people/")).json()["total"]


async def _member_id_number(organizer: httpx.AsyncClient, person_id: int) -> tuple[str, str]:
    unseal = f"/api/people/{person_id}/unseal"
    person = (await organizer.post(unseal, json={"purpose": "测试：按身份证号推荐"})).json()
    return person["name"], person["id_number"]


async def test_templates_in_xlsx_and_csv(officer: httpx.AsyncClient, organizer: httpx.AsyncClient) -> None:
    programme = await create_programme(organizer, deed_max_chars=800)
    response = await officer.get(f"/api/programmes/{programme['id']}/nominations/template")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert {"姓名", "身份证号", "手机号", "事迹", "专利数", "带徒人数", "荣誉称号"} <= set(HEADERS)
    notes = "\n".join(str(c.value) for r in workbook.worksheets[1].iter_rows() for c in r)
    assert "不超过 800 字" in notes
    csv = await organizer.get(
        f"/api/programmes/{programme['id']}/nominations/template", params={"format": "csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)


async def test_upload_matches_members_registers_new_people_and_audits_once(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, default_quota=10)
    name, id_number = await _member_id_number(organizer, world["people"][0])
    new_id = make_id_number(dt.date(1979, 11, 3), female=True)
    content = xlsx(
        [
            row(name="张三（示例，可删除）", id_number=EXAMPLE_ID_NUMBER, deed="示例"),
            row(
                name=name,
                id_number=id_number,
                deed="事迹一",
                patent_count=3,
                apprentices="6人",
                honours="2024 亦城工匠；2022年 北京市五一劳动奖章",
            ),
            row(
                name="王新",
                id_number=new_id,
                mobile=make_mobile(),
                employer="甲公司",
                skill_level="技师",
                union_member="是",
                front_line="是",
                employed_since=dt.date(2010, 5, 1),
                deed="事迹二\n第二段",
                patents="发明专利：一种检测方法 ZL202210123456.7；实用新型：夹具",
            ),
        ]
    )
    people_before = await _people(organizer)
    last_consent = await Consent.select(Consent.id).order_by(Consent.id, ascending=False).first()
    consent_audit_before = await _consent_audit(organizer)
    response = await upload(officer, programme["id"], content)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["total_rows"] == 2 and result["created"] == 2 and result["existing"] == 0
    assert result["people_created"] == 1 and result["errors"] == []
    assert [(r["row"], r["outcome"], r["person_created"]) for r in result["imported"]] == [
        (3, "created", False),
        (4, "created", True),
    ]
    assert await _people(organizer) == people_before + 1
    listed = (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()["items"]
    by_name = {n["name"]: n for n in listed}
    assert by_name[name]["achievements"]["patent_count"] == 3
    assert by_name[name]["achievements"]["apprentices_trained"] == 6
    assert [(h["year"], h["title"], h["level"]) for h in by_name[name]["achievements"]["titles_honours"]] == [
        (2024, "亦城工匠", "district"),
        (2022, "北京市五一劳动奖章", "provincial"),
    ]
    new = by_name["王新"]
    assert (
        new["id_number"] == new_id[:4] + "*" * 10 + new_id[-4:]
        and new["gender"] == "F"
        and new["union_id"] == world["unions"][0]
    )
    assert new["employer_name"] == "甲公司" and new["skill_level"] == 2 and new["deed"] == "事迹二\n第二段"
    patents = new["achievements"]["patents"]
    assert [(p["kind"], p["number"]) for p in patents] == [
        ("invention", "ZL202210123456.7"),
        ("utility_model", ""),
    ]
    audit = (
        await organizer.get("/api/audit/", params={"entity": "programme", "action": "nomination"})
    ).json()
    assert [a["action"] for a in audit["items"]] == ["nomination.upload"]
    after = audit["items"][0]["after"]
    assert after["created"] == 2 and after["file_sha256"] == result["file_sha256"]
    assert sorted(after["nomination_ids"]) == sorted(n["id"] for n in listed)
    assert (await organizer.get("/api/audit/", params={"action": "nomination.create"})).json()["total"] == 0
    # The officer's attestation is recorded for every nominee, to the member-entry notice, and audited.
    nominees = [n["person_id"] for n in listed]
    consents = await Consent.select(
        Consent.person, Consent.purpose, Consent.notice.kind.as_alias("kind")
    ).where(Consent.id > (last_consent["id"] if last_consent else 0))
    assert sorted((c["person"], c["purpose"], c["kind"]) for c in consents) == sorted(
        (p, "attested_by_officer", "member_entry") for p in nominees
    )
    assert await _consent_audit(organizer) == consent_audit_before + len(nominees)
    again = (await upload(officer, programme["id"], content)).json()
    assert again["created"] == 0 and again["existing"] == 2


async def test_every_row_error_is_reported_and_nothing_is_written(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, default_quota=50, deed_max_chars=50)
    name, id_number = await _member_id_number(organizer, world["people"][0])
    other_name, other_id = await _member_id_number(organizer, world["people"][1])  # union B
    good_new = make_id_number()
    content = xlsx(
        [
            row(name="好人", id_number=good_new, mobile=make_mobile(), deed="好"),  # 2: fine
            row(name="坏号", id_number="110105199001011234", mobile=make_mobile(), deed="事迹"),  # 3
            row(name="数字", id_number=110105199001011234, mobile=make_mobile(), deed="事迹"),  # 4
            row(name=name, id_number=id_number, deed=""),  # 5: no deed
            row(name=name + "X", id_number=make_id_number(), mobile=make_mobile(), deed="长" * 51),  # 6
            row(
                name="外单位", id_number=make_id_number(), mobile=make_mobile(), employer="丙公司", deed="事"
            ),  # 7
            row(name=other_name, id_number=other_id, deed="事迹"),  # 8: union B
            row(name="改名", id_number=id_number, deed="事迹"),  # 9: name mismatch and duplicate
            row(name="无手机", id_number=make_id_number(), deed="事迹"),  # 10
            row(
                name="是否", id_number=make_id_number(), mobile=make_mobile(), front_line="也许", deed="事"
            ),  # 11
            row(
                name="计数", id_number=make_id_number(), mobile=make_mobile(), apprentices="很多", deed="事"
            ),  # 12
            row(
                name="日期",
                id_number=make_id_number(),
                mobile=make_mobile(),
                employed_since="去年",
                deed="事",
            ),
        ]
    )
    people_before = await _people(organizer)
    response = await upload(officer, programme["id"], content)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "upload_has_errors" and body["field"] == "file"
    errors = {(e["row"], e["field"], e["code"]) for e in body["detail"]["errors"]}
    assert errors == {
        (3, "id_number", "bad_check_digit"),
        (4, "id_number", "id_number_as_number"),
        (5, "deed", "required"),
        (6, "deed", "deed_too_long"),
        (7, "employer", "unknown_employer"),
        (8, "id_number", "person_not_in_union"),
        (9, "id_number", "duplicate_in_file"),
        (10, "mobile", "required"),
        (11, "front_line", "bad_yes_no"),
        (12, "apprentices", "bad_count"),
        (13, "employed_since", "bad_date"),
    }
    assert all(e["column"] for e in body["detail"]["errors"])
    assert body["detail"]["total_rows"] == 12
    assert (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()["total"] == 0
    assert await _people(organizer) == people_before
    assert (await organizer.get("/api/audit/", params={"action": "nomination.upload"})).json()["total"] == 0

    partial = await upload(officer, programme["id"], content, valid_only=True)
    assert partial.status_code == 200, partial.text
    result = partial.json()
    assert [r["row"] for r in result["imported"]] == [2]
    assert len(result["errors"]) == 11


async def test_a_passport_holder_is_nominated_and_registered_from_the_sheet(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    passport = {"id_number": "X98765432", "id_type": "护照", "nationality": "KOR", "gender": "男"}
    lines = [
        row(
            name="金民哲",
            mobile=make_mobile(),
            employer="甲公司",
            deed="事迹",
            birth_date="1988/6/1",
            **passport,
        ),
        row(
            name="朴无国",
            mobile=make_mobile(),
            deed="事迹",
            **passport | {"id_number": "X98765433", "nationality": "", "birth_date": "1988"},
        ),
    ]
    refused = await upload(officer, programme["id"], xlsx(lines))
    assert refused.status_code == 422
    assert [(e["row"], e["column"], e["code"]) for e in refused.json()["detail"]["errors"]] == [
        (3, "出生日期", "bad_date"),
    ]
    response = await upload(officer, programme["id"], xlsx(lines[:1]))
    assert response.status_code == 200, response.text
    assert [(r["name"], r["person_created"]) for r in response.json()["imported"]] == [("金民哲", True)]
    person = await Person.select().where(Person.name == "金民哲").first()
    assert (person["id_kind"], person["nationality"], person["gender"]) == ("passport", "KOR", "M")
    assert person["birth_date"] == dt.date(1988, 6, 1) and person["id_masked"] == "X******32"
    assert person["union"] == world["unions"][0]


async def test_name_that_does_not_match_the_record_is_an_error(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    _, id_number = await _member_id_number(organizer, world["people"][0])
    response = await upload(
        officer, programme["id"], xlsx([row(name="别人", id_number=id_number, deed="事迹")])
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]["errors"]
    assert error["code"] == "name_mismatch" and error["column"] == "姓名" and "测试零" in error["message"]


async def test_quota_is_counted_across_the_whole_file(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer, default_quota=3)
    pid = programme["id"]
    name, id_number = await _member_id_number(organizer, world["people"][0])
    await upload(officer, pid, xlsx([row(name=name, id_number=id_number, deed="已推荐")]))
    rows = [
        row(name=f"新人{han_digits(i)}", id_number=make_id_number(), mobile=make_mobile(), deed="事迹")
        for i in range(3)
    ]
    response = await upload(officer, pid, xlsx(rows))
    assert response.status_code == 422
    [error] = response.json()["detail"]["errors"]
    assert (error["row"], error["field"], error["code"]) == (4, "quota", "nomination_quota_exceeded")
    assert "名额为 3 人" in error["message"]
    assert (await organizer.get(f"/api/programmes/{pid}/nominations")).json()["total"] == 1
    partial = (await upload(officer, pid, xlsx(rows), valid_only=True)).json()
    assert partial["created"] == 2 and [e["row"] for e in partial["errors"]] == [4]
    assert (await organizer.get(f"/api/programmes/{pid}/nominations")).json()["total"] == 3


async def test_eligibility_is_computed_for_every_row(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(
        organizer, eligibility={"union_member_required": True, "min_years_employed": 5}
    )
    content = nomination_csv(
        [
            {
                "name": "老员工",
                "id_number": make_id_number(),
                "mobile": make_mobile(),
                "union_member": "是",
                "employed_since": "2010-01-01",
                "deed": "事迹",
            },
            {
                "name": "新员工",
                "id_number": make_id_number(),
                "mobile": make_mobile(),
                "union_member": "否",
                "employed_since": "2024-06-01",
                "deed": "事迹",
            },
        ]
    )
    result = (await upload(officer, programme["id"], content, name="名单.csv")).json()
    assert [r["eligibility_status"] for r in result["imported"]] == ["eligible", "ineligible"]
    listed = (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()["items"]
    reasons = {n["name"]: [r["code"] for r in n["eligibility_reasons"]] for n in listed}
    assert reasons == {"老员工": [], "新员工": ["not_union_member", "employment_too_short"]}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.7\n1 0 obj\n%%EOF\n", "missing_columns"),  # decodes as text, so it is a CSV without headers
        (b"PK\x03\x04garbage-that-is-no-zip", "not_a_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "xls_not_supported"),
        (b"", "empty_file"),
        ("姓名,手机号\n张三,13800000000\n".encode(), "missing_columns"),
        (",".join(HEADERS).encode() + b"\n", "empty_file"),
        (b"\x00\x01\x02binary", "not_a_spreadsheet"),
    ],
)
async def test_files_that_are_not_the_template_are_refused(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, content: bytes, code: str
) -> None:
    programme = await create_programme(organizer)
    response = await upload(officer, programme["id"], content, name="名单.xlsx")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code and response.json()["field"] == "file"


async def test_row_cap_and_size_limit(officer: httpx.AsyncClient, organizer: httpx.AsyncClient) -> None:
    programme = await create_programme(organizer)
    line = "某,110105199003071237,13800000000,,,,,,,事,,,,\n"
    too_many = (",".join(HEADERS) + "\n" + line * 10_001).encode()
    response = await upload(officer, programme["id"], too_many, name="x.csv")
    assert response.status_code == 422 and response.json()["code"] == "too_many_rows"
    assert "10000" in response.json()["message"]
    huge = b"x" * (21 * 1024 * 1024)
    response = await upload(officer, programme["id"], huge, name="x.csv")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


async def test_upload_outside_the_window_is_409(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient
) -> None:
    programme = await create_programme(organizer, open_it=False)
    content = nomination_csv(
        [{"name": "某", "id_number": make_id_number(), "mobile": make_mobile(), "deed": "事"}]
    )
    response = await upload(officer, programme["id"], content, name="x.csv")
    assert response.status_code == 409 and response.json()["code"] == "nomination_closed"


async def test_withdrawn_nominations_come_back_with_the_new_file(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """Withdrawn people in a new file get their old nomination back (same id, next version, the new deed),
    alongside a fresh one, in the one upload; one still nominated is reported as such and left untouched."""
    programme = await create_programme(organizer, default_quota=10)
    pid = programme["id"]
    members = [await _member_id_number(organizer, p) for p in world["people"][0:4:2]]  # the officer's union
    newcomer = (make_id_number(), make_mobile())

    def lines(deed: str) -> list[list[Any]]:
        on_record = [row(name=n, id_number=i, deed=f"{deed}{k}") for k, (n, i) in enumerate(members)]
        return [*on_record, row(name="新人甲", id_number=newcomer[0], mobile=newcomer[1], deed=f"{deed}2")]

    first = await upload(officer, pid, xlsx(lines("初次")))
    assert first.status_code == 200, first.text
    ids = [r["nomination_id"] for r in first.json()["imported"]]
    for nomination_id in (ids[0], ids[2]):
        withdrawn = await officer.post(f"/api/nominations/{nomination_id}/withdraw", json={"reason": "重报"})
        assert withdrawn.status_code == 200, withdrawn.text
    fresh = row(name="新人乙", id_number=make_id_number(), mobile=make_mobile(), deed="新人事迹")
    again = await upload(officer, pid, xlsx([*lines("重报"), fresh]))
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["created"], body["existing"], body["people_created"]) == (3, 1, 1)
    outcomes = [(r["nomination_id"], r["outcome"]) for r in body["imported"]]
    assert outcomes[:3] == [(ids[0], "created"), (ids[1], "existing"), (ids[2], "created")]
    assert outcomes[3][0] not in ids
    columns = (Nomination.id, Nomination.status, Nomination.deed, Nomination.version)
    rows = {r["id"]: r for r in await Nomination.select(*columns).where(Nomination.programme == pid)}
    assert len(rows) == 4
    assert [(rows[i]["status"], rows[i]["deed"]) for i in ids] == [
        ("nominated", "重报0"),
        ("nominated", "初次1"),
        ("nominated", "重报2"),
    ]
    # Withdrawing bumped the version once, nominating again once more; the untouched one is still at 1.
    assert [rows[i]["version"] for i in ids] == [3, 1, 3]


@pytest.mark.parametrize(
    ("content", "on_loop"),
    [
        (b"name,id\r\n" + b"x" * 4_000, True),  # a handful of rows: parsed where it stands
        (b"name,id\r\n" + b"x" * 5_000, False),  # past the bound: a worker thread, the loop stays free
        (b"PK\x03\x04" + b"x" * 100, False),  # any XLSX: openpyxl is slow to open even a small one
    ],
)
async def test_only_a_small_csv_is_parsed_on_the_event_loop(content: bytes, on_loop: bool) -> None:
    def where() -> bool:
        return threading.current_thread() is threading.main_thread()

    assert await _parsing(content, where) is on_loop
