"""Pure rules of the accounts domain: names, credit codes, mobiles, masking, roles, passwords.

Identity documents have their own module (:mod:`accounts.documents`). The credit code's check digit comes
from python-stdnum (GB 32100); this module adds the reason in Chinese and the masked forms shown to
everyone but organizers.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from accounts.documents import InvalidNumber, mask_document_number


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


_REASONS = {
    InvalidLength: ("wrong_length", "长度应为 18 位"),
    InvalidFormat: ("wrong_format", "格式不正确"),
    InvalidChecksum: ("bad_check_digit", "校验位不正确"),
    InvalidComponent: ("bad_component", "组成部分不正确"),
}


def _reason(exc: ValidationError) -> tuple[str, str]:
    return next((r for cls, r in _REASONS.items() if isinstance(exc, cls)), ("invalid", "无效"))


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
    return mask_document_number(number)


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


# --- names ------------------------------------------------------------------------------------------------

MAX_NAME_LENGTH = 30
MIDDLE_DOT = "\u00b7"  # the 间隔号 of minority and foreign names: 阿卜杜热合曼·买买提
# What people type for it: bullet, katakana and half-width middle dots, hyphenation point, dot operators.
_DOT_LOOKALIKES = dict.fromkeys(map(ord, "\u2022\u30fb\uff65\u2027\u2219\u22c5"), MIDDLE_DOT)
# CJK ideographs: the basic block, extensions A to I (B onwards outside the Basic Multilingual Plane,
# such as 𠮷) and the compatibility ideographs; 〇 too.
_HAN_RANGES = (
    (0x3007, 0x3007),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)


class InvalidName(InvalidNumber):
    """A name refused, with the reason (same shape as a refused number)."""


def is_han(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _HAN_RANGES)


def _is_latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith("LATIN ")


def normalize_name(raw: str) -> str:
    """NFC, look-alike middle dots made the one 间隔号, white space trimmed and folded to single spaces."""
    text = unicodedata.normalize("NFC", raw).translate(_DOT_LOOKALIKES)
    return " ".join(text.split())


def validate_name(raw: str) -> str:
    """A person's name as stored: 1 to 30 characters of Chinese (any extension), Latin letters, spaces
    between words and the middle dot between the parts of a name; anything else refused with a reason."""
    name = normalize_name(raw)
    if not name:
        raise InvalidName("required", "姓名不能为空")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName("too_long", f"姓名不能超过 {MAX_NAME_LENGTH} 个字（现为 {len(name)} 个）")
    for char in name:
        if not (char in (" ", MIDDLE_DOT) or is_han(char) or _is_latin_letter(char)):
            shown = char if char.isprintable() else f"U+{ord(char):04X}"
            raise InvalidName(
                "bad_character", f"姓名中不能含有「{shown}」：只能使用汉字、拉丁字母、空格和间隔号“·”"
            )
    parts = [part.strip() for part in name.split(MIDDLE_DOT)]
    if any(not part for part in parts):
        raise InvalidName("bad_middle_dot", "间隔号“·”只能用在名字的两部分之间，且不能连用")
    return MIDDLE_DOT.join(parts)
