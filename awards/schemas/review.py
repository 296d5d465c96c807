"""What crosses the wire for the expert review: the panel, the expert's tablet, the organizer's progress."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from awards.schemas.nominations import Achievements
from core.bounds import Id, SeenVersion
from scoring.rules import Problem

AspectId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
SheetStatus = Literal["draft", "submitted"]

# --- reviewers ------------------------------------------------------------------------------------------


class ReviewersIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Experts (users of role ``expert``) to add to a programme's panel; numbered in the order given."""

    expert_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=50)]


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

    programme_id: Id
    nomination_id: Id
    client_id: uuid.UUID
    base_version: SeenVersion
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
