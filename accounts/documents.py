"""Pure rules of identity documents: which document a number is, whether it is valid, what it tells.

The zone's workers hold one of four documents:

- 居民身份证 (resident ID, GB 11643): 18 characters, a 6-digit address code, the birth date, a 3-digit
  sequence (odd for men) and a check digit (0–9 or X).
- 港澳台居民居住证 (residence permit of Hong Kong, Macao and Taiwan residents): the same layout and check
  digit, with the address code 810000, 820000 or 830000.
- 外国人永久居留身份证 (foreigner's permanent residence ID card, 2023 edition): 18 digits beginning with 9,
  then the issuing province (2 digits), the nationality (3-digit ISO 3166-1 numeric code), the birth date,
  a 2-digit sequence, the gender digit (odd for men) and the same check digit.
- a passport, for a foreign worker without either card: the number, the nationality (ISO 3166-1 alpha-3)
  and the birth date and gender as written in it (a passport number tells neither).

Only the check digit comes from python-stdnum (``stdnum.cn.ric.calc_check_digit``). Its area-code history
is deliberately not used: the address code names where a number was issued, which can be years after the
birth date, and codes are merged and retired all the time, so a real number must never be refused for a
historical code. What is checked of the address is the province (the first two digits), which is stable.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

import msgspec
from stdnum.cn import ric


class InvalidNumber(ValueError):
    """A value that fails its standard; ``code`` is machine-readable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DocumentKind(StrEnum):
    RESIDENT_ID = "resident_id"
    RESIDENCE_PERMIT = "hmt_residence_permit"
    PERMANENT_RESIDENCE = "foreign_permanent_residence"
    PASSPORT = "passport"


DOCUMENT_NAMES = {
    DocumentKind.RESIDENT_ID: "居民身份证",
    DocumentKind.RESIDENCE_PERMIT: "港澳台居民居住证",
    DocumentKind.PERMANENT_RESIDENCE: "外国人永久居留身份证",
    DocumentKind.PASSPORT: "护照",
}

# What a reason's message begins with, per document ("身份证号码校验位不正确").
_NUMBER_NAMES = {
    DocumentKind.RESIDENT_ID: "身份证号码",
    DocumentKind.RESIDENCE_PERMIT: "居住证号码",
    DocumentKind.PERMANENT_RESIDENCE: "永久居留身份证号码",
    DocumentKind.PASSPORT: "护照号码",
}

# GB/T 2260 provinces: the 31 of the mainland, then Taiwan, Hong Kong and Macao.
PROVINCES = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
}
MAINLAND_PROVINCES = frozenset(code for code in PROVINCES if code < "70")
PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}

EARLIEST_BIRTH = dt.date(1900, 1, 1)
_CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
_PASSPORT = re.compile(r"[A-Z0-9]{5,15}")
_NATIONALITY = re.compile(r"[A-Z]{3}")


class IdentityDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A validated identity document and what it tells of its holder."""

    kind: DocumentKind
    number: str
    birth_date: dt.date
    gender: str  # M | F
    # ISO 3166-1: alpha-3 for a passport, the numeric code of a permanent residence card, CHN otherwise.
    nationality: str = "CHN"

    @property
    def key(self) -> str:
        """What is fingerprinted and must be unique: the number, with the nationality for a passport
        (two countries may issue the same passport number; 18-digit numbers never hold a colon)."""
        return f"{self.nationality}:{self.number}" if self.kind == DocumentKind.PASSPORT else self.number

    @property
    def kind_name(self) -> str:
        return DOCUMENT_NAMES[self.kind]

    @property
    def masked(self) -> str:
        return mask_document_number(self.number)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def today_in_china() -> dt.date:
    return dt.datetime.now(_CHINA_TZ).date()


def kind_of_number(number: str) -> DocumentKind:
    """Which 18-character document a number is, from its first digits alone."""
    if number[:6] in PERMIT_REGIONS:
        return DocumentKind.RESIDENCE_PERMIT
    if number.startswith("9"):
        return DocumentKind.PERMANENT_RESIDENCE
    return DocumentKind.RESIDENT_ID


def _compact(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw).upper()


def read_id_number(
    raw: str, *, expected: DocumentKind | None = None, today: dt.date | None = None
) -> IdentityDocument:
    """An 18-character number (resident ID, HK/Macao/Taiwan permit or permanent residence card), or
    :class:`InvalidNumber` with the precise reason, in this order: length, format, check digit (a mistyped
    digit shows there first), birth date, province.

    ``expected`` is the document the person chose; a number of another kind is refused with what it is.
    """
    number = _compact(raw)
    label = _NUMBER_NAMES[expected or DocumentKind.RESIDENT_ID]
    if len(number) != 18:
        raise InvalidNumber("wrong_length", f"{label}长度应为 18 位（现为 {len(number)} 位）")
    if not number[:17].isdigit() or not number[:17].isascii():
        raise InvalidNumber("wrong_format", f"{label}格式不正确：前 17 位应为数字")
    if not (number[17].isdigit() and number[17].isascii()) and number[17] != "X":
        raise InvalidNumber("bad_check_digit", f"{label}校验位不正确：末位应为数字或 X")
    kind = kind_of_number(number)
    label = _NUMBER_NAMES[expected or kind]
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidNumber("bad_check_digit", f"{label}校验位不正确，请逐位核对")
    birth_date = _birth_date(number[6:14], label)
    check_birth_date(birth_date, today=today, label=label)
    _check_province(number, kind, label)
    if expected is not None and kind != expected:
        raise InvalidNumber(
            "wrong_document",
            f"该号码是{DOCUMENT_NAMES[kind]}号码，请将证件类型选为「{DOCUMENT_NAMES[kind]}」",
        )
    return IdentityDocument(
        kind=kind,
        number=number,
        birth_date=birth_date,
        # The 17th digit: the sequence code's last digit (or the card's gender digit), odd for men.
        gender="M" if int(number[16]) % 2 else "F",
        nationality=number[3:6] if kind == DocumentKind.PERMANENT_RESIDENCE else "CHN",
    )


def _check_province(number: str, kind: DocumentKind, label: str) -> None:
    if kind == DocumentKind.PERMANENT_RESIDENCE:
        if number[1:3] not in MAINLAND_PROVINCES:
            raise InvalidNumber("bad_region", f"{label}的受理地省份代码「{number[1:3]}」不存在")
        if number[3:6] == "000":
            raise InvalidNumber("bad_nationality", f"{label}的国籍代码「000」不存在")
    elif kind == DocumentKind.RESIDENT_ID and number[:2] not in PROVINCES:
        raise InvalidNumber("bad_region", f"{label}的省份代码「{number[:2]}」不存在")


def _birth_date(digits: str, label: str) -> dt.date:
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidNumber(
            "bad_birth_date", f"{label}中的出生日期不存在（{digits[:4]}-{digits[4:6]}-{digits[6:8]}）"
        ) from None


def check_birth_date(day: dt.date, *, today: dt.date | None = None, label: str = "出生日期") -> None:
    """A birth date must be a real day between 1900 and today (China's today)."""
    if day > (today or today_in_china()):
        raise InvalidNumber("bad_birth_date", f"{label}中的出生日期 {day.isoformat()} 晚于今天")
    if day < EARLIEST_BIRTH:
        raise InvalidNumber("bad_birth_date", f"{label}中的出生日期 {day.isoformat()} 早于 1900 年")


def read_passport(
    raw: str,
    *,
    nationality: str | None,
    birth_date: dt.date | None,
    gender: str | None,
    today: dt.date | None = None,
) -> IdentityDocument:
    """A passport: the number (5–15 letters and digits), the nationality (ISO 3166-1 alpha-3) and the birth
    date and gender as the passport states them. Each missing or bad part is refused with its own reason."""
    number = _compact(raw)
    if not _PASSPORT.fullmatch(number) or not any(c.isdigit() for c in number):
        raise InvalidNumber("bad_passport", "护照号码应为 5–15 位字母和数字（须含数字）")
    code = (nationality or "").strip().upper()
    if not _NATIONALITY.fullmatch(code):
        raise InvalidNumber(
            "bad_nationality", "请填写国籍：3 位字母的国家代码（ISO 3166-1），如 USA、DEU、KOR"
        )
    if birth_date is None:
        raise InvalidNumber("birth_date_required", "持护照登记须填写出生日期")
    check_birth_date(birth_date, today=today, label="护照")
    if gender not in ("M", "F"):
        raise InvalidNumber("gender_required", "持护照登记须填写性别")
    return IdentityDocument(
        kind=DocumentKind.PASSPORT, number=number, birth_date=birth_date, gender=gender, nationality=code
    )


def read_document(
    kind: DocumentKind | str | None,
    number: str,
    *,
    nationality: str | None = None,
    birth_date: dt.date | None = None,
    gender: str | None = None,
    today: dt.date | None = None,
) -> IdentityDocument:
    """Any of the four documents; ``kind`` None means "one of the 18-character cards, whichever it is"."""
    if kind == DocumentKind.PASSPORT:
        return read_passport(
            number, nationality=nationality, birth_date=birth_date, gender=gender, today=today
        )
    return read_id_number(number, expected=DocumentKind(kind) if kind else None, today=today)


# What a document's type may be written as (a form's select sends the code, a spreadsheet the name).
_KIND_WRITTEN = (
    {name: kind for kind, name in DOCUMENT_NAMES.items()}
    | {kind.value: kind for kind in DocumentKind}
    | {
        "身份证": DocumentKind.RESIDENT_ID,
        "居住证": DocumentKind.RESIDENCE_PERMIT,
        "港澳台居住证": DocumentKind.RESIDENCE_PERMIT,
        "永久居留证": DocumentKind.PERMANENT_RESIDENCE,
        "永久居留身份证": DocumentKind.PERMANENT_RESIDENCE,
        "外国人永久居留证": DocumentKind.PERMANENT_RESIDENCE,
    }
)


def read_document_kind(text: str) -> DocumentKind | None:
    """A document type as written (``护照``, ``居民身份证``, ``passport`` …); blank is None: "one of the
    18-character cards, whichever the number is"."""
    compact = re.sub(r"\s", "", text)
    if not compact:
        return None
    kind = _KIND_WRITTEN.get(compact) or _KIND_WRITTEN.get(compact.lower())
    if kind is None:
        names = "、".join(DOCUMENT_NAMES.values())
        message = f"证件类型「{compact[:20]}」无法识别，应为 {names}（或留空）"
        raise InvalidNumber("bad_document_type", message)
    return kind


# The input a refusal names, when it is not the number itself.
_FIELD_AT_FAULT = {
    "bad_nationality": "nationality",
    "birth_date_required": "birth_date",
    "gender_required": "gender",
    "wrong_document": "id_type",
    "bad_document_type": "id_type",
}


def field_at_fault(code: str, kind: DocumentKind | str | None) -> str:
    """Which input (``id_number``, ``id_type``, ``nationality``, ``birth_date``, ``gender``) a refusal of
    :func:`read_document` is about: a passport's birth date is an input of its own, a card's is in the
    number."""
    if kind == DocumentKind.PASSPORT and code == "bad_birth_date":
        return "birth_date"
    return _FIELD_AT_FAULT.get(code, "id_number")


def mask_document_number(number: str) -> str:
    """``110101199003071234`` -> ``1101**********1234`` (address prefix and last four); a passport number
    keeps its first character and last two: ``E12345678`` -> ``E******78``."""
    if len(number) == 18:
        return number[:4] + "*" * 10 + number[-4:]
    return number[:1] + "*" * (len(number) - 3) + number[-2:]
