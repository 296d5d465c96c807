"""What crosses the wire for the second half of the awards pipeline: expert review, the shortlist and its
report, the public notice and its calendar, objections, the award, the honour roll.

Public shapes (``*Public``, :class:`NoticeItem`, :class:`HonourItem`, :class:`ObjectionReceipt`) carry names,
employers and awards only: never an ID or mobile number, never an objector's contact.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from accounts.schemas import Version
from awards.schemas import Achievements
from scoring.rules import Problem

Reason = Annotated[str, msgspec.Meta(max_length=500)]
AspectId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
SheetStatus = Literal["draft", "submitted"]

# --- reviewers ------------------------------------------------------------------------------------------


class ReviewersIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Experts (users of role ``expert``) to add to a programme's panel; numbered in the order given."""

    expert_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=50)]


class ReviewerOut(msgspec.Struct, kw_only=True):
    user_id: int
    username: str
    display_name: str
    reviewer_no: int
    employer_name: str | None
    recused: int  # nominations of the reviewer's own employer: never shown to them, never counted
    to_review: int
    submitted: int
    drafts: int


class PanelOut(msgspec.Struct, kw_only=True):
    programme_id: int
    reviewers: list[ReviewerOut]
    panel_problems: list[Problem]  # e.g. a judgement aspect needs at least 3 reviewers


# --- the expert's tablet ----------------------------------------------------------------------------------


class ReviewMarkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    aspect_id: AspectId
    value: Decimal


class ReviewSheetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One write of an expert's sheet for one nomination: the marks to set (others are kept), draft or
    submit. ``client_id`` is made once by the tablet for this write and reused on every retry (a replay
    returns the first answer); ``base_version`` is the version last seen (0 before the first write)."""

    programme_id: int
    nomination_id: int
    client_id: uuid.UUID
    base_version: Annotated[int, msgspec.Meta(ge=0)]
    marks: Annotated[list[ReviewMarkIn], msgspec.Meta(max_length=400)] = msgspec.field(default_factory=list)
    submit: bool = False


class ReviewMarkOut(msgspec.Struct, kw_only=True):
    aspect_id: str
    value: Decimal


class ReviewSheetOut(msgspec.Struct, kw_only=True):
    """``sheet_id`` None and ``version`` 0 before the first write."""

    sheet_id: int | None
    programme_id: int
    nomination_id: int
    status: SheetStatus
    version: int
    marks: list[ReviewMarkOut]
    submitted_at: dt.datetime | None = None


class ReviewAspectOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    kind: str
    max_mark: Decimal
    step: Decimal | None
    module_id: str
    module_name: str


class ReviewProgrammeOut(msgspec.Struct, kw_only=True):
    """A programme as its expert sees it: the rubric and their own progress."""

    programme_id: int
    name: str
    year: int
    kind_name: str
    state: str
    state_name: str
    open_for_review: bool
    reviewer_no: int
    aspects: list[ReviewAspectOut]
    to_review: int
    submitted: int
    drafts: int


class ReviewNominationOut(msgspec.Struct, kw_only=True):
    """What an expert reads of a nomination: the name, employer, achievements and deed; no ID, no mobile."""

    nomination_id: int
    name: str
    employer_name: str | None
    union_name: str | None
    achievements: Achievements
    deed: str
    attachments: int
    sheet: ReviewSheetOut


class ReviewNominationsPage(msgspec.Struct, kw_only=True):
    total: int
    limit: int
    offset: int
    items: list[ReviewNominationOut]


class MissingReview(msgspec.Struct, kw_only=True):
    nomination_id: int
    name: str
    missing_reviewers: list[int]  # reviewer numbers that have not submitted


class ReviewProgressOut(msgspec.Struct, kw_only=True):
    """The organizer's view of the review: per reviewer counts and the nominations still incomplete."""

    programme_id: int
    state: str
    nominations: int  # to be reviewed (eligible union nominations)
    direct: int  # direct nominations: pre-selected, not reviewed
    complete: int
    incomplete: int
    unreviewable: int  # every reviewer is recused
    reviewers: list[ReviewerOut]
    missing: list[MissingReview]  # the first 100 incomplete


# --- the shortlist ------------------------------------------------------------------------------------------


class ShortlistIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Compute the shortlist and move the programme to 建议名单. ``allow_incomplete`` computes although some
    sheets are missing (nominations without any submitted sheet are then left out), with a ``reason``."""

    version: Version | None = None
    allow_incomplete: bool = False
    reason: Reason = ""


class ShortlistEntry(msgspec.Struct, kw_only=True):
    nomination_id: int
    name: str
    employer_name: str | None
    group: str
    group_name: str
    score: Decimal | None  # the aggregated review score; None for a direct nomination not reviewed
    source: str  # union | direct
    attributes: list[str]
    status: str  # shortlisted | removed | awarded
    moved_up: bool = False  # came in as a replacement after an upheld objection
    certificate_no: str | None = None


class CheckOut(msgspec.Struct, kw_only=True):
    constraint: str
    bound: str
    count: int
    plain: int
    selected: int | None


class DisplacementOut(msgspec.Struct, kw_only=True):
    constraint: str
    brought_in: list[str]  # names
    pushed_out: list[str]
    brought_in_ids: list[int]
    pushed_out_ids: list[int]
    message: str


class ShortfallOut(msgspec.Struct, kw_only=True):
    constraint: str
    needed: int
    available: int
    short_by: int
    jointly: bool
    message: str


class TieOut(msgspec.Struct, kw_only=True):
    ranking: str  # final | plain
    score: str
    selected: list[str]
    left_out: list[str]
    selected_ids: list[int]
    left_out_ids: list[int]
    message: str


class ChangeOut(msgspec.Struct, kw_only=True):
    """A change to the list after it was computed: an upheld objection and who moved up."""

    at: dt.datetime
    objection_id: int
    removed_id: int
    removed_name: str
    added_ids: list[int]
    added_names: list[str]
    recomputed: bool
    message: str


class ShortlistReport(msgspec.Struct, kw_only=True):
    """The computed shortlist with everything the organizer's page explains: who was selected, how each
    structural constraint changed the plain ranking, what cannot be met, ties at the cut-off."""

    programme_id: int
    state: str
    computed_at: dt.datetime | None
    feasible: bool
    awards: int
    candidates: int
    selected: list[ShortlistEntry]
    plain: list[int]
    total_score: Decimal | None
    checks: list[CheckOut]
    displacements: list[DisplacementOut]
    shortfalls: list[ShortfallOut]
    cutoff_ties: list[TieOut]
    changes: list[ChangeOut]
    notes: list[str]
    unscored: list[str]  # names of nominations left out for want of a review score (first 50)
    unscored_count: int = 0


# --- calendar years and the public notice ------------------------------------------------------------------

DateList = Annotated[list[dt.date], msgspec.Meta(max_length=120)]


class CalendarYearIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A year's official schedule (国务院办公厅关于节假日安排的通知): the days off and the make-up working
    days (调休上班). ``version`` is required to change a year already entered."""

    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    holidays: DateList
    makeup_workdays: DateList = msgspec.field(default_factory=list)
    source: Annotated[str, msgspec.Meta(max_length=200)] = ""
    version: Version | None = None


class CalendarYearOut(msgspec.Struct, kw_only=True):
    year: int
    holidays: list[dt.date]
    makeup_workdays: list[dt.date]
    source: str
    entered_by: int | None
    version: int
    created_at: dt.datetime


class CalendarStatusOut(msgspec.Struct, kw_only=True):
    library_years: list[int]  # first and last year the calendar library knows
    entered: list[CalendarYearOut]


class NoticeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None
    reason: Reason = ""


class NoticeItem(msgspec.Struct, kw_only=True):
    nomination_id: int
    name: str
    employer_name: str | None
    award: str
    moved_up: bool = False


class NoticePublic(msgspec.Struct, kw_only=True):
    """公示: who is proposed, for which award, and when objections may be lodged. Nothing private."""

    programme_id: int
    name: str
    year: int
    kind_name: str
    state: str
    state_name: str
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    notice_length: int
    notice_unit: str
    open_now: bool
    today: dt.date
    grounds_max_chars: int
    items: list[NoticeItem]


# --- objections ------------------------------------------------------------------------------------------

GROUNDS_MIN = 10
GROUNDS_MAX = 2000


class ObjectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """异议. ``grounds`` are required (checked with a Chinese message in the service); the contact is sealed
    and shown only to organizers. Without a name (or with ``anonymous``) the objection is anonymous."""

    nomination_id: int
    grounds: Annotated[str, msgspec.Meta(max_length=GROUNDS_MAX)] = ""
    objector_name: Annotated[str, msgspec.Meta(max_length=50)] = ""
    objector_organisation: Annotated[str, msgspec.Meta(max_length=100)] = ""
    contact: Annotated[str, msgspec.Meta(max_length=100)] = ""
    anonymous: bool = False


class ObjectionReceipt(msgspec.Struct, kw_only=True):
    """What the objector is told: the objection is recorded (nothing of the contact comes back)."""

    id: int
    programme_id: int
    nomination_id: int
    nominee_name: str
    anonymous: bool
    lodged_at: dt.datetime
    message: str


class ObjectionOut(msgspec.Struct, kw_only=True):
    """An objection as organizers see it, the objector's contact unsealed."""

    id: int
    programme_id: int
    nomination_id: int
    nominee_name: str
    employer_name: str | None
    nomination_status: str
    grounds: str
    objector_name: str
    objector_organisation: str
    contact: str
    anonymous: bool
    status: str  # pending | upheld | dismissed
    resolution: str
    resolved_by: int | None
    resolved_at: dt.datetime | None
    lodged_at: dt.datetime
    version: int


class ObjectionsOut(msgspec.Struct, kw_only=True):
    programme_id: int
    pending: int
    upheld: int
    dismissed: int
    items: list[ObjectionOut]


class ResolveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``upheld``: the nominee is removed and the next eligible nominee who keeps every rule moves up;
    ``dismissed``: the reason is required."""

    decision: Literal["upheld", "dismissed"]
    reason: Reason = ""
    version: Version | None = None


class ResolveOut(msgspec.Struct, kw_only=True):
    objection: ObjectionOut
    also_resolved: list[int]  # other pending objections against the same nominee, settled with it
    change: ChangeOut | None


# --- award and honour roll ---------------------------------------------------------------------------------


class AwardIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None
    reason: Reason = ""


class HonourItem(msgspec.Struct, kw_only=True):
    certificate_no: str
    name: str
    employer_name: str | None
    award: str


class HonourRoll(msgspec.Struct, kw_only=True):
    """The public honour roll: name, employer and award of each awardee; nothing private."""

    programme_id: int
    name: str
    year: int
    kind_name: str
    awarded_on: dt.date | None
    items: list[HonourItem]
