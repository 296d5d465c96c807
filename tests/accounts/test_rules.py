"""The pure rules of accounts: ID numbers, credit codes, mobiles, masking, passwords."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from accounts.rules import (
    IdentityNumber,
    InvalidNumber,
    mask_id_number,
    mask_mobile,
    password_problem,
    validate_credit_code,
    validate_mobile,
)
from tests.helpers import make_credit_code, make_id_number


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519900517001", "wrong_length"),
        ("1101051990051700123", "wrong_length"),
        ("11010519900517001A", "bad_check_digit"),
        ("11010519900517A011", "wrong_format"),
        (_with_check_digit("11010519900517001")[:-1] + "9", "bad_check_digit"),
        (_with_check_digit("99010519900517001"), "bad_region"),
        (_with_check_digit("11010519900230001"), "bad_birth_date"),
        (_with_check_digit("11030219900517001"), "bad_region"),
    ],
)
def test_bad_id_numbers_name_their_reason(raw: str, code: str) -> None:
    if code == "bad_check_digit" and ric.calc_check_digit(raw) == raw[-1]:
        pytest.skip("the altered digit happened to be valid")
    with pytest.raises(InvalidNumber) as caught:
        IdentityNumber(raw)
    assert caught.value.code == code
    assert caught.value.message.startswith("身份证号码")


def test_good_id_number_gives_birth_date_and_gender() -> None:
    man = IdentityNumber(make_id_number(dt.date(1990, 5, 17), serial=3))
    woman = IdentityNumber(make_id_number(dt.date(1972, 2, 29), female=True, serial=3))
    assert (man.birth_date, man.gender) == (dt.date(1990, 5, 17), "M")
    assert (woman.birth_date, woman.gender) == (dt.date(1972, 2, 29), "F")


def test_lower_case_x_check_digit_is_accepted() -> None:
    body = next(
        f"1101051990051{n:04d}" for n in range(9999) if ric.calc_check_digit(f"1101051990051{n:04d}0") == "X"
    )
    assert IdentityNumber(body + "x").number.endswith("X")


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (dt.date(1990, 5, 17), dt.date(2026, 5, 16), 35),
        (dt.date(1990, 5, 17), dt.date(2026, 5, 17), 36),
        (dt.date(1992, 2, 29), dt.date(2026, 2, 28), 33),
        (dt.date(1992, 2, 29), dt.date(2026, 3, 1), 34),
    ],
)
def test_age_on_a_day(birth: dt.date, day: dt.date, age: int) -> None:
    assert IdentityNumber(make_id_number(birth)).age_on(day) == age


def test_credit_code_validation() -> None:
    good = make_credit_code(42)
    assert validate_credit_code(good.lower()) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    for raw, code in [
        (bad, "bad_check_digit"),
        (good[:-1], "wrong_length"),
        ("91110302ABCDEFGHIO", "wrong_format"),
    ]:
        with pytest.raises(InvalidNumber) as caught:
            validate_credit_code(raw)
        assert caught.value.code in {code, "wrong_format", "bad_check_digit"}
        assert "统一社会信用代码" in caught.value.message


@pytest.mark.parametrize("raw", ["13812345678", "+86 138-1234-5678", "8613812345678"])
def test_mobile_accepted(raw: str) -> None:
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "abc"])
def test_mobile_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        validate_mobile(raw)


def test_masks() -> None:
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_mobile("13812345678") == "138****5678"


@given(st.integers(min_value=0, max_value=10**9))
def test_masked_id_never_shows_the_birth_date(serial: int) -> None:
    number = make_id_number(dt.date(1988, 11, 30), serial=serial)
    masked = mask_id_number(number)
    assert "19881130" not in masked
    assert len(masked) == 18 and masked[:4] == number[:4] and masked[-4:] == number[-4:]


@pytest.mark.parametrize(
    ("password", "ok"), [("short1", False), ("12345678", False), ("abcdefgh", False), ("abc12345", True)]
)
def test_password_policy(password: str, ok: bool) -> None:
    assert (password_problem(password) is None) is ok
