"""What crosses the wire for the accounts domain: msgspec Structs with their constraints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from accounts.rules import Role
from core.bounds import INT4_MAX, Id, Int4

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Username = Annotated[str, msgspec.Meta(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SkillLevel = Annotated[int, msgspec.Meta(ge=1, le=5)]
Version = Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX - 1)]  # the next write still fits an int4
Industry = Literal[
    "new_generation_it", "biomedicine", "intelligent_manufacturing", "robotics_equipment", "other"
]


class CurrentUser(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    role: str
    display_name: str
    union_id: int | None = None
    person_id: int | None = None
    # A temporary password (set by an organizer) is still in use: until it is changed, the role guard lets
    # this user through only routes marked PASSWORD_CHANGE (change it, log out), never the work itself.
    password_change_due: bool = False


class LoginIn(msgspec.Struct, kw_only=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    password: Password


class UnionIn(msgspec.Struct, kw_only=True):
    name: LongName
    kind: Literal["enterprise", "federation"]
    parent_id: Id | None = None


class UnionOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    parent_id: int | None


class EnterpriseIn(msgspec.Struct, kw_only=True):
    name: LongName
    credit_code: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    industry: Industry
    union_id: Id | None = None
    in_zone: bool = True


class EnterpriseOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    credit_code: str
    industry: str
    industry_name: str
    union_id: int | None
    in_zone: bool
    version: int


IdType = Literal["resident_id", "hmt_residence_permit", "foreign_permanent_residence", "passport"]
IdNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
Purpose = Annotated[str, msgspec.Meta(min_length=2, max_length=200)]


class DocumentFields(msgspec.Struct, kw_only=True):
    """The identity document beside ``id_number``: ``id_type`` None means one of the 18-character cards,
    told apart by the number; a passport also needs the nationality, birth date and gender it states."""

    id_type: IdType | None = None
    nationality: Annotated[str, msgspec.Meta(max_length=3)] | None = None
    birth_date: dt.date | None = None
    gender: Literal["M", "F"] | None = None


class ConsentIn(msgspec.Struct, kw_only=True):
    """A person's own consent to a notice (``GET /api/privacy/notices/{kind}``) as they read it: the
    general consent and, for the ID number (sensitive personal information), the separate one."""

    notice_version: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    personal_information: bool
    sensitive_id: bool


class AttestationIn(msgspec.Struct, kw_only=True):
    """A union officer (or organizer) entering other people's data confirms they hold their consent."""

    notice_version: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    confirmed: bool


class PersonIn(DocumentFields, kw_only=True):
    name: Name
    id_number: IdNumber
    mobile: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    employer_id: Id | None = None
    union_id: Id | None = None
    union_member: bool = False
    skill_level: SkillLevel | None = None
    front_line: bool = False
    enterprise_leader: bool = False
    employed_since: dt.date | None = None
    # Required of whoever enters someone else's data (POST /api/people); unused when the person signs up.
    members_consent: AttestationIn | None = None


class PersonPatch(msgspec.Struct, kw_only=True):
    """A partial update: only the fields sent change; ``version`` must be the one read."""

    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    mobile: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    employer_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    union_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    union_member: bool | msgspec.UnsetType = msgspec.UNSET
    skill_level: SkillLevel | msgspec.UnsetType | None = msgspec.UNSET
    front_line: bool | msgspec.UnsetType = msgspec.UNSET
    enterprise_leader: bool | msgspec.UnsetType = msgspec.UNSET
    employed_since: dt.date | msgspec.UnsetType | None = msgspec.UNSET


class PersonOut(msgspec.Struct, kw_only=True):
    """A person as shown: ``id_number`` and ``mobile`` are masked unless the reader is an organizer."""

    id: int
    name: str
    id_type: str
    id_type_name: str
    nationality: str
    id_number: str
    mobile: str
    birth_date: dt.date
    gender: Literal["M", "F"]
    employer_id: int | None
    employer_name: str | None
    union_id: int | None
    union_member: bool
    skill_level: int | None
    front_line: bool
    enterprise_leader: bool
    employed_since: dt.date | None
    erased: bool
    version: int


class UnsealIn(msgspec.Struct, kw_only=True):
    """Why the full numbers are needed: recorded in the audit log with who and when."""

    purpose: Purpose


class UserIn(msgspec.Struct, kw_only=True):
    username: Username
    password: Password
    role: Role
    display_name: Name
    union_id: Id | None = None
    person_id: Id | None = None


class UserPatch(msgspec.Struct, kw_only=True):
    version: Version
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class UserOut(msgspec.Struct, kw_only=True):
    """Never carries the password or its hash."""

    id: int
    username: str
    role: str
    role_name: str
    display_name: str
    union_id: int | None
    person_id: int | None
    active: bool
    version: int
    # A temporary password not yet changed (named without "password": no answer carries that word).
    change_required: bool = False


class AuditOut(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: str
    before: object | None
    after: object | None
    reason: str


class Page(msgspec.Struct, kw_only=True):
    total: int
    limit: int
    offset: int


class PeoplePage(Page, kw_only=True):
    items: list[PersonOut]


class AuditPage(Page, kw_only=True):
    items: list[AuditOut]


class HealthOut(msgspec.Struct, kw_only=True):
    status: Literal["ok"]
    engine: str
    migrations_pending: int  # always 0: start-up refuses a database with pending migrations


# --- a person's rights (PIPL arts. 44–47) -------------------------------------------------------------------


class DataRequestIn(msgspec.Struct, kw_only=True):
    """A correction (``changes``: name, mobile, skill_level, union_member, front_line, other) or a
    deletion."""

    kind: Literal["correction", "deletion"]
    changes: dict[str, str | Int4 | bool | None] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class DataRequestOut(msgspec.Struct, kw_only=True):
    id: int
    person_id: int
    person_name: str
    kind: str
    changes: dict[str, object]
    reason: str
    status: str  # pending | completed | refused
    answer: str
    answered_at: dt.datetime | None
    created_at: dt.datetime
    version: int


class RequestAnswerIn(msgspec.Struct, kw_only=True):
    decision: Literal["complete", "refuse"]
    answer: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    version: Version


class MyData(msgspec.Struct, kw_only=True):
    """Everything the platform holds about the person asking (the download has the full numbers)."""

    generated_at: dt.datetime
    person: PersonOut
    accounts: list[dict[str, object]]
    consents: list[dict[str, object]]
    requests: list[DataRequestOut]
    sections: list[dict[str, object]]
    access_log: list[dict[str, object]]


class NoticeOut(msgspec.Struct, kw_only=True):
    """A privacy notice as the forms show it; consents echo its ``version``."""

    kind: str
    version: str
    title: str
    sections: list[dict[str, str]]
    sensitive_consent: str
    attestation: str
    retention_days: int


class SkillLevelChangeOut(msgspec.Struct, kw_only=True):
    """One change of a person's skill level; ``source``: promotion (a competition's results) | manual."""

    level_before: int | None
    level_before_name: str
    level_after: int | None
    level_after_name: str
    source: str
    competition_id: int | None
    basis: str
    changed_by_name: str
    changed_at: dt.datetime


class SkillLevelsOut(msgspec.Struct, kw_only=True):
    """A person's skill level now (5 初级工 .. 1 高级技师) and its history, newest first."""

    person_id: int
    skill_level: int | None
    skill_level_name: str
    history: list[SkillLevelChangeOut]


# --- staff accounts: created, imported, deactivated and reset by organizers; own password changes --------

StaffRole = Literal["union_officer", "expert", "judge"]


class MeOut(msgspec.Struct, frozen=True, kw_only=True):
    """Who is logged in, and whether a temporary password must be changed first (what a page may know of
    :class:`CurrentUser`, without the guard's own flags)."""

    id: int
    username: str
    role: str
    display_name: str
    union_id: int | None = None
    person_id: int | None = None
    change_required: bool = False


class StaffIn(msgspec.Struct, kw_only=True):
    """A union officer, expert or judge; the platform makes a temporary password, shown once."""

    username: Username
    role: StaffRole
    display_name: Name
    union_id: Id | None = None


class StaffCreated(msgspec.Struct, kw_only=True):
    """An account and its one-time temporary password (never stored in clear, never shown again)."""

    user: UserOut
    temporary_password: str


class UserStateIn(msgspec.Struct, kw_only=True):
    version: Version
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class PasswordChangeIn(msgspec.Struct, kw_only=True):
    old_password: Password
    new_password: Password


class StaffRowError(msgspec.Struct, kw_only=True):
    row: int
    field: str
    message: str


class StaffImportResult(msgspec.Struct, kw_only=True):
    """All rows or none: ``created`` only when ``errors`` is empty."""

    created: list[StaffCreated]
    errors: list[StaffRowError]


class IndustryOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
