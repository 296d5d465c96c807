"""What crosses the wire for the public notice (公示): its calendar years, the notice, objections (异议).

Public shapes (:class:`NoticePublic`, :class:`NoticeItem`, :class:`ObjectionReceipt`) carry names,
employers and awards only: never an ID or mobile number, never an objector's contact.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from accounts.schemas import Version
from awards.schemas.fields import Reason
from awards.schemas.shortlist import ChangeOut
from core.bounds import Id

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
    # A replacement's own notice period (objections to them are taken until its end); else None.
    notice_starts_on: dt.date | None = None
    notice_ends_on: dt.date | None = None
    open_now: bool = False  # objections to this person are taken today


class NoticeChange(msgspec.Struct, kw_only=True):
    """A published notice of a change to the list (who moved up, and their own period if any)."""

    on: dt.date
    added_names: list[str]
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    text: str


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
    changes: list[NoticeChange] = msgspec.field(default_factory=list)
    issuing_body: str = ""
    objection_office: str = ""
    objection_phone: str = ""
    objection_address: str = ""


# --- objections ------------------------------------------------------------------------------------------

GROUNDS_MIN = 10
GROUNDS_MAX = 2000


class ObjectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """异议. ``grounds`` are required (checked with a Chinese message in the service); the contact is sealed
    and shown only to organizers. Without a name (or with ``anonymous``) the objection is anonymous."""

    nomination_id: Id
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
