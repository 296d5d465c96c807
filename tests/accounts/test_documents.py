"""Identity documents: resident IDs of every province with historical area codes, HK/Macao/Taiwan residence
permits, foreigners' permanent residence cards, passports. Every number is computed here, never copied."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from accounts.documents import (
    MAINLAND_PROVINCES,
    PROVINCES,
    DocumentKind,
    InvalidNumber,
    field_at_fault,
    mask_document_number,
    read_document,
    read_document_kind,
    read_id_number,
    read_passport,
)

TODAY = dt.date(2026, 6, 1)


def numbered(body17: str) -> str:
    """The 17 digits with their GB 11643 check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")


def resident(area: str, birth: dt.date, sequence: int = 123) -> str:
    return numbered(f"{area}{birth:%Y%m%d}{sequence:03d}")


@pytest.mark.parametrize(
    ("area", "birth", "where"),
    [
        # The cases: codes python-stdnum's history refuses for these birth dates.
        ("130102", dt.date(1975, 4, 12), "石家庄长安区"),
        ("410102", dt.date(1980, 9, 30), "郑州中原区"),
        ("440306", dt.date(1979, 1, 5), "深圳宝安区"),
        # Retired and merged codes: 北京崇文区 (merged 2010), 北京宣武区, 重庆 under 四川 before 1997.
        ("110103", dt.date(1968, 3, 1), "北京崇文区"),
        ("110104", dt.date(1972, 12, 31), "北京宣武区"),
        ("512201", dt.date(1985, 7, 7), "四川万县（今重庆）"),
        ("110302", dt.date(1990, 5, 17), "retired code"),
        ("659001", dt.date(2001, 2, 28), "新疆石河子"),
    ],
)
def test_real_numbers_with_historical_area_codes_are_accepted(area: str, birth: dt.date, where: str) -> None:
    document = read_id_number(resident(area, birth), today=TODAY)
    assert document.kind == DocumentKind.RESIDENT_ID, where
    assert document.birth_date == birth
    assert document.nationality == "CHN"


def test_old_number_is_refused_by_stdnum_history_but_not_here() -> None:
    number = resident("440306", dt.date(1979, 1, 5))
    with pytest.raises(Exception):  # noqa: B017 - what python-stdnum's area history says
        ric.validate(number)
    assert read_id_number(number, today=TODAY).number == number


@pytest.mark.parametrize(("prefix", "region"), [("810000", "香港"), ("820000", "澳门"), ("830000", "台湾")])
def test_hong_kong_macao_taiwan_residence_permits(prefix: str, region: str) -> None:
    number = numbered(f"{prefix}19920815002")
    document = read_id_number(number, today=TODAY)
    assert document.kind == DocumentKind.RESIDENCE_PERMIT
    assert document.kind_name == "港澳台居民居住证"
    assert (document.birth_date, document.gender) == (dt.date(1992, 8, 15), "F")
    # Chosen as what it is, accepted; chosen as something else, refused with what it is.
    assert read_document("hmt_residence_permit", number, today=TODAY).kind == DocumentKind.RESIDENCE_PERMIT
    with pytest.raises(InvalidNumber) as caught:
        read_document("resident_id", number, today=TODAY)
    assert caught.value.code == "wrong_document" and "港澳台居民居住证" in caught.value.message


def test_foreigner_permanent_residence_card() -> None:
    # 9, issued in 北京 (11), nationality 840 (USA), born 1988-11-02, sequence 01, gender digit 3 (male).
    number = numbered("911840198811020130"[:17])
    document = read_id_number(number, today=TODAY)
    assert document.kind == DocumentKind.PERMANENT_RESIDENCE
    assert document.kind_name == "外国人永久居留身份证"
    assert (document.birth_date, document.gender, document.nationality) == (dt.date(1988, 11, 2), "M", "840")


def test_passport_with_nationality_birth_date_and_gender() -> None:
    document = read_passport(
        " e1234 5678 ", nationality="usa", birth_date=dt.date(1990, 1, 2), gender="F", today=TODAY
    )
    assert (document.kind, document.number, document.nationality) == (
        DocumentKind.PASSPORT,
        "E12345678",
        "USA",
    )
    assert document.key == "USA:E12345678"
    assert mask_document_number(document.number) == "E******78"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"raw": "AB"}, "bad_passport"),
        ({"raw": "ABCDEFGH"}, "bad_passport"),
        ({"nationality": "US"}, "bad_nationality"),
        ({"nationality": None}, "bad_nationality"),
        ({"birth_date": None}, "birth_date_required"),
        ({"birth_date": dt.date(2027, 1, 1)}, "bad_birth_date"),
        ({"gender": None}, "gender_required"),
    ],
)
def test_passport_refusals_name_their_reason(kwargs: dict, code: str) -> None:
    values = {"raw": "K98765432", "nationality": "KOR", "birth_date": dt.date(1985, 5, 5), "gender": "M"}
    values |= kwargs
    raw = values.pop("raw")
    with pytest.raises(InvalidNumber) as caught:
        read_passport(raw, today=TODAY, **values)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("11010519900517001", "wrong_length", "长度应为 18 位"),
        ("1101051990051700123", "wrong_length", "长度应为 18 位"),
        ("11010519900517A011", "wrong_format", "格式不正确"),
        ("11010519900517001A", "bad_check_digit", "校验位不正确"),
        (numbered("11010519900517001")[:-1] + "9", "bad_check_digit", "校验位不正确"),
        (resident("000105", dt.date(1990, 5, 17)), "bad_region", "省份代码「00」不存在"),
        (resident("830105", dt.date(1990, 5, 17)), "bad_region", "省份代码「83」不存在"),
        (numbered("11010519900230001"), "bad_birth_date", "出生日期不存在"),
        (resident("110105", dt.date(2026, 6, 2)), "bad_birth_date", "晚于今天"),
        (resident("110105", dt.date(1899, 12, 31)), "bad_birth_date", "早于 1900 年"),
        (numbered("90084019881102013"), "bad_region", "受理地省份代码"),
        (numbered("91100019881102013"), "bad_nationality", "国籍代码"),
    ],
)
def test_bad_numbers_name_their_reason(raw: str, code: str, words: str) -> None:
    if code == "bad_check_digit" and raw[-1] == ric.calc_check_digit(raw):
        pytest.skip("the altered digit happened to be valid")
    with pytest.raises(InvalidNumber) as caught:
        read_id_number(raw, today=TODAY)
    assert caught.value.code == code
    assert words in caught.value.message


def test_lower_case_x_and_spaces_are_accepted() -> None:
    body = next(
        f"44030619790105{n:03d}" for n in range(999) if ric.calc_check_digit(f"44030619790105{n:03d}0") == "X"
    )
    assert read_id_number(f"{body[:6]} {body[6:14]} {body[14:]}x", today=TODAY).number == body + "X"


# --- properties -------------------------------------------------------------------------------------------

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@given(
    province=st.sampled_from(sorted(PROVINCES)),
    county=st.integers(0, 9999),
    birth=births,
    sequence=st.integers(0, 999),
)
def test_every_number_with_a_correct_check_digit_is_accepted(
    province: str, county: int, birth: dt.date, sequence: int
) -> None:
    area = f"{province}{county:04d}"
    assume(area not in {"810000", "820000"})  # those are the permits, tested as such
    number = resident(area, birth, sequence)
    document = read_id_number(number, today=TODAY)
    assert document.number == number and document.birth_date == birth
    assert document.gender == ("M" if sequence % 2 else "F")
    assert document.kind == DocumentKind.RESIDENT_ID


@given(
    province=st.sampled_from(sorted(PROVINCES)),
    county=st.integers(0, 9999),
    birth=births,
    sequence=st.integers(0, 999),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_wrong_digit_is_refused(
    province: str, county: int, birth: dt.date, sequence: int, position: int, delta: int
) -> None:
    number = resident(f"{province}{county:04d}", birth, sequence)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidNumber):
        read_id_number(typo, today=TODAY)


@given(
    issued=st.sampled_from(sorted(MAINLAND_PROVINCES)),
    country=st.integers(1, 999),
    birth=births,
    sequence=st.integers(0, 999),
)
def test_every_permanent_residence_card_is_accepted(
    issued: str, country: int, birth: dt.date, sequence: int
) -> None:
    number = numbered(f"9{issued}{country:03d}{birth:%Y%m%d}{sequence:03d}")
    document = read_id_number(number, today=TODAY)
    assert document.kind == DocumentKind.PERMANENT_RESIDENCE
    assert (document.birth_date, document.nationality) == (birth, f"{country:03d}")


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_any_eighteen_characters_are_accepted_or_refused_with_a_reason(raw: str) -> None:
    try:
        document = read_id_number(raw, today=TODAY)
    except InvalidNumber as exc:
        assert exc.code in {
            "wrong_format",
            "bad_check_digit",
            "bad_region",
            "bad_birth_date",
            "bad_nationality",
        }
    else:
        assert ric.calc_check_digit(document.number) == document.number[-1]
        assert document.birth_date <= TODAY


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("", None),
        (" ", None),
        ("护照", DocumentKind.PASSPORT),
        ("passport", DocumentKind.PASSPORT),
        ("PASSPORT", DocumentKind.PASSPORT),
        ("居民身份证", DocumentKind.RESIDENT_ID),
        ("身份证", DocumentKind.RESIDENT_ID),
        ("港澳台 居民居住证", DocumentKind.RESIDENCE_PERMIT),
        ("外国人永久居留身份证", DocumentKind.PERMANENT_RESIDENCE),
        ("foreign_permanent_residence", DocumentKind.PERMANENT_RESIDENCE),
    ],
)
def test_a_document_type_is_read_as_people_write_it(written: str, kind: DocumentKind | None) -> None:
    assert read_document_kind(written) == kind


def test_an_unknown_document_type_is_refused_naming_the_four() -> None:
    with pytest.raises(InvalidNumber) as refused:
        read_document_kind("驾驶证")
    assert refused.value.code == "bad_document_type"
    assert "驾驶证" in refused.value.message and "护照" in refused.value.message


def test_each_refusal_names_the_input_at_fault() -> None:
    assert field_at_fault("bad_nationality", DocumentKind.PASSPORT) == "nationality"
    assert field_at_fault("gender_required", DocumentKind.PASSPORT) == "gender"
    assert field_at_fault("birth_date_required", DocumentKind.PASSPORT) == "birth_date"
    assert field_at_fault("bad_birth_date", DocumentKind.PASSPORT) == "birth_date"
    assert field_at_fault("bad_birth_date", None) == "id_number"  # a card's birth date is in its number
    assert field_at_fault("wrong_document", DocumentKind.RESIDENT_ID) == "id_type"
    assert field_at_fault("bad_check_digit", None) == "id_number"
