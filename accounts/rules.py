"""Pure rules of the accounts domain: identity numbers, credit codes, mobiles, masking, roles.

The check digits come from python-stdnum (GB 11643 for the resident ID, GB 32100 for the unified social
credit code); this module adds what stdnum leaves to us: the reason in Chinese, the derived birth date
and gender, and the masked forms shown to everyone but organizers.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


class Role(StrEnum):
    ORGANIZER = "organizer"
    JUDGE = "judge"
    UNION_OFFICER = "union_officer"
    EXPERT = "expert"
    CONTESTANT = "contestant"


ALL_ROLES: tuple[Role, ...] = tuple(Role)

ROLE_NAMES = {
    Role.ORGANIZER: "组织者",
    Role.JUDGE: "裁判",
    Role.UNION_OFFICER: "基层工会干部",
    Role.EXPERT: "评审专家",
    Role.CONTESTANT: "选手",
}

# The zone's four leading industries, and everything else.
INDUSTRIES = {
    "new_generation_it": "新一代信息技术",
    "biomedicine": "生物技术和大健康",
    "intelligent_manufacturing": "高端汽车和新能源智能汽车",
    "robotics_equipment": "机器人和智能制造",
    "other": "其他",
}

UNION_KINDS = {"enterprise": "企业工会", "federation": "园区/楼宇工会联合会"}

SKILL_LEVEL_NAMES = {5: "初级工", 4: "中级工", 3: "高级工", 2: "技师", 1: "高级技师"}


class InvalidNumber(ValueError):
    """A number that fails its standard; ``code`` is machine-readable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_REASONS = {
    InvalidLength: ("wrong_length", "长度应为 18 位"),
    InvalidFormat: ("wrong_format", "格式不正确"),
    InvalidChecksum: ("bad_check_digit", "校验位不正确"),
    InvalidComponent: ("bad_component", "地区码或出生日期不正确"),
}


def _reason(exc: ValidationError) -> tuple[str, str]:
    return next((r for cls, r in _REASONS.items() if isinstance(exc, cls)), ("invalid", "无效"))


class IdentityNumber:
    """A validated resident ID number (居民身份证号码) with what it tells of its holder."""

    __slots__ = ("birth_date", "gender", "number")

    def __init__(self, raw: str) -> None:
        try:
            self.number = ric.validate(raw.strip().upper())
        except (InvalidComponent, KeyError):
            # stdnum raises KeyError for a few region codes its table lists without a county.
            raise _component_error(raw.strip()) from None
        except ValidationError as exc:
            code, why = _reason(exc)
            raise InvalidNumber(code, f"身份证号码{why}") from None
        self.birth_date: dt.date = ric.get_birth_date(self.number)
        # The 17th digit is the sequence code: odd for men, even for women.
        self.gender = "M" if int(self.number[16]) % 2 else "F"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def _component_error(number: str) -> InvalidNumber:
    """stdnum says only "invalid component": tell the birth date from the region code."""
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return InvalidNumber("bad_birth_date", "身份证号码中的出生日期不存在")
    return InvalidNumber("bad_region", "身份证号码的地区码不存在")


def validate_credit_code(raw: str) -> str:
    """The unified social credit code (统一社会信用代码), normalised, or :class:`InvalidNumber`."""
    try:
        return uscc.validate(raw.strip().upper())
    except ValidationError as exc:
        code, why = _reason(exc)
        raise InvalidNumber(code, f"统一社会信用代码{why}") from None


_MOBILE = re.compile(r"1[3-9]\d{9}")


def validate_mobile(raw: str) -> str:
    """A mainland mobile number: 11 digits starting 13..19 (a +86 or 86 prefix is dropped)."""
    number = re.sub(r"[\s-]", "", raw)
    number = number.removeprefix("+86") if number.startswith("+86") else number
    if len(number) == 13 and number.startswith("86"):
        number = number[2:]
    if not _MOBILE.fullmatch(number):
        raise InvalidNumber("bad_mobile", "手机号码应为 11 位、以 13–19 开头")
    return number


def mask_id_number(number: str) -> str:
    """``110101199003071234`` -> ``1101**********1234``: region prefix and last four only."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_mobile(number: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    return number[:3] + "****" + number[-4:]


MIN_PASSWORD_LENGTH = 8


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None: long enough and not all one kind of character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字"
    return None
