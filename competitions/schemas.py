"""What crosses the wire for the competitions domain: msgspec Structs with their constraints.

Eligibility rules travel as :class:`competitions.rules.EligibilityRules` itself (a msgspec Struct): the
pure rules module is the one definition of what a rule is, and :func:`competitions.rules.validate_rules`
checks the values with Chinese messages. Everything else is declared here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from accounts.schemas import (
    AttestationIn,
    ConsentIn,
    DocumentFields,
    Industry,
    Name,
    Password,
    SkillLevel,
    Username,
    Version,
)
from competitions.rules import EligibilityRules
from core.bounds import Id

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Occupation = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Description = Annotated[str, msgspec.Meta(max_length=5000)]
Venue = Annotated[str, msgspec.Meta(max_length=200)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
StageName = Annotated[str, msgspec.Meta(max_length=50)]  # blank names: rules.validate_stages (Chinese)
StageKindText = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
State = Literal["draft", "open", "closed", "checked_in", "in_progress", "finished"]
Status = Literal["accepted", "waitlisted", "rejected", "withdrawn"]
Review = Literal["pending", "approved", "rejected"]
Attendance = Literal["present", "absent"]


# --- series -------------------------------------------------------------------------------------------


class SeriesIn(msgspec.Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]


class SeriesOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    year: int


# --- competitions -------------------------------------------------------------------------------------


class StageIn(msgspec.Struct, kw_only=True):
    """One stage as entered; kind and weight are checked by ``rules.validate_stages`` (Chinese messages)."""

    name: StageName
    kind: StageKindText
    weight_percent: Decimal
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class CompetitionIn(msgspec.Struct, kw_only=True):
    series_id: Id | None = None
    title: Title
    occupation: Occupation
    industry: Industry
    description: Description = ""
    venue: Venue = ""
    registration_opens_at: AwareDatetime
    registration_closes_at: AwareDatetime
    capacity: Capacity | None = None
    stages: Annotated[list[StageIn], msgspec.Meta(max_length=20)]
    eligibility: EligibilityRules = msgspec.field(default_factory=EligibilityRules)


class CompetitionPatch(msgspec.Struct, kw_only=True):
    """A partial edit: only the fields sent change; ``version`` must be the one read.

    Changing ``stages`` (other than their schedule) or ``eligibility`` once registration has opened needs
    ``reopen: true`` and a ``reason``; a closed registration is then opened again.
    """

    version: Version
    series_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    occupation: Occupation | msgspec.UnsetType = msgspec.UNSET
    industry: Industry | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    venue: Venue | msgspec.UnsetType = msgspec.UNSET
    registration_opens_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    registration_closes_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType | None = msgspec.UNSET
    stages: Annotated[list[StageIn], msgspec.Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    eligibility: EligibilityRules | msgspec.UnsetType = msgspec.UNSET
    reopen: bool = False
    reason: Reason = ""


class TransitionIn(msgspec.Struct, kw_only=True):
    target: State
    version: Version | None = None
    reason: Reason = ""


class StageOut(msgspec.Struct, kw_only=True):
    id: int
    position: int
    name: str
    kind: str
    kind_name: str
    weight_percent: Decimal
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None


class CompetitionSummary(msgspec.Struct, kw_only=True):
    """A competition in a list: no stages, no rules; the counts say how full it is."""

    id: int
    series_id: int | None
    series_name: str | None
    title: str
    occupation: str
    industry: str
    industry_name: str
    venue: str
    registration_opens_at: dt.datetime
    registration_closes_at: dt.datetime
    capacity: int | None
    accepted_count: int
    state: str
    state_name: str
    registration_open_now: bool


class CompetitionOut(msgspec.Struct, kw_only=True):
    id: int
    series_id: int | None
    series_name: str | None
    title: str
    occupation: str
    industry: str
    industry_name: str
    description: str
    venue: str
    registration_opens_at: dt.datetime
    registration_closes_at: dt.datetime
    capacity: int | None
    accepted_count: int
    waitlisted_count: int
    state: str
    state_name: str
    registration_open_now: bool
    allowed_transitions: list[str]
    stages: list[StageOut]
    eligibility: EligibilityRules
    eligibility_text: list[str]
    drawn_at: dt.datetime | None
    version: int


class FlaggedRegistration(msgspec.Struct, kw_only=True):
    registration_id: int
    registration_no: str
    reasons: list[str]


class CompetitionUpdateOut(msgspec.Struct, kw_only=True):
    """An edit's result; ``flagged`` lists registrations the new rules no longer admit (back to review)."""

    competition: CompetitionOut
    flagged: list[FlaggedRegistration]


class CompetitionStats(msgspec.Struct, kw_only=True):
    accepted: int
    waitlisted: int
    rejected: int
    withdrawn: int
    pending_review: int
    approved: int
    present: int
    absent: int
    drawn: int


class CompetitionAdminOut(msgspec.Struct, kw_only=True):
    competition: CompetitionOut
    stats: CompetitionStats


# --- registrations -------------------------------------------------------------------------------------


class NewPersonIn(DocumentFields, kw_only=True):
    """A union officer registering a member not yet on record (the officer's union is implied)."""

    name: Name
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    mobile: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    employer_id: Id | None = None
    union_member: bool = True
    skill_level: SkillLevel | None = None
    front_line: bool = False


class RegisterIn(msgspec.Struct, kw_only=True):
    """A contestant sends ``{}`` (their own record); an officer sends ``person_id`` or a new ``person``."""

    person_id: Id | None = None
    person: NewPersonIn | None = None
    # With a new ``person``: the officer confirms they hold the member's consent (accounts.consent).
    members_consent: AttestationIn | None = None


class SignUpIn(DocumentFields, kw_only=True):
    """The phone form of someone without an account: their person record, a log-in, the registration,
    and their consent to the registration notice (the ID number's separately)."""

    name: Name
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    mobile: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    employer_id: Id | None = None
    skill_level: SkillLevel | None = None
    union_member: bool = False
    front_line: bool = False
    username: Username
    password: Password
    consent: ConsentIn | None = None


class RegistrationOut(msgspec.Struct, kw_only=True):
    """One registration as its reader may see it: ID and mobile masked; ``blind_code`` for organizers."""

    id: int
    competition_id: int
    competition_title: str
    competition_state: str
    registration_no: str
    person_id: int
    name: str
    id_number: str
    mobile: str
    employer_id: int | None
    employer_name: str | None
    status: str
    status_name: str
    waitlist_position: int | None
    review: str
    review_reason: str
    attendance: str | None
    station_no: int | None
    blind_code: str | None
    registered_by: int | None
    created_at: dt.datetime
    version: int


class RegistrationResult(msgspec.Struct, kw_only=True):
    """The immediate answer to a registration: ``created`` is False when the person was already registered."""

    outcome: Literal["accepted", "waitlisted", "rejected", "withdrawn"]
    created: bool
    message: str
    registration: RegistrationOut


class RegistrationsPage(msgspec.Struct, kw_only=True):
    total: int
    limit: int
    offset: int
    items: list[RegistrationOut]


class ReviewIn(msgspec.Struct, kw_only=True):
    decision: Literal["approve", "reject"]
    reason: Reason = ""
    version: Version | None = None


class BulkReviewIn(msgspec.Struct, kw_only=True):
    registration_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=2000)]
    decision: Literal["approve", "reject"]
    reason: Reason = ""


class WithdrawIn(msgspec.Struct, kw_only=True):
    version: Version | None = None
    reason: Reason = ""


class RowError(msgspec.Struct, kw_only=True):
    """One problem in an uploaded spreadsheet: its row as the spreadsheet numbers it (header = 1)."""

    row: int
    column: str
    field: str
    code: str
    message: str


class UploadRowResult(msgspec.Struct, kw_only=True):
    row: int
    name: str
    registration_id: int
    registration_no: str
    outcome: str
    created: bool
    waitlist_position: int | None


class UploadResult(msgspec.Struct, kw_only=True):
    total_rows: int
    imported: list[UploadRowResult]
    skipped: list[RowError]


# --- check-in and lot drawing ---------------------------------------------------------------------------


class CheckInIn(msgspec.Struct, kw_only=True):
    """Scan or type an ID number or a registration number (``code``), or pick a ``registration_id``."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=30)] | None = None
    registration_id: Id | None = None
    attendance: Attendance = "present"


class CheckInSheet(msgspec.Struct, kw_only=True):
    competition: CompetitionSummary
    items: list[RegistrationOut]


class DrawIn(msgspec.Struct, kw_only=True):
    """A first draw needs nothing; drawing again (before scoring begins) needs a reason."""

    reason: Reason = ""


class DrawRow(msgspec.Struct, kw_only=True):
    registration_id: int
    registration_no: str
    name: str
    employer_name: str | None
    station_no: int
    blind_code: str


class DrawOut(msgspec.Struct, kw_only=True):
    competition: CompetitionSummary
    drawn_at: dt.datetime | None
    items: list[DrawRow]


class EnterpriseChoice(msgspec.Struct, kw_only=True):
    id: int
    name: str


# --- for the scoring domain (stable) --------------------------------------------------------------------


class DrawnContestant(msgspec.Struct, frozen=True, kw_only=True):
    """A contestant as judges know them: by station and blind code, never by name."""

    registration_id: int
    person_id: int
    employer_id: int | None
    station_no: int
    blind_code: str


class StageInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    position: int
    name: str
    kind: str
    weight_percent: Decimal
