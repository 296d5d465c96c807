"""What crosses the wire for score entry: rubrics, judges, links, sheets, sign-off, corrections.

The rules themselves travel as :class:`scoring.rules.CompetitionRules` (the pure engine's own Struct, so
there is one definition of a rubric); everything else is declared here. Nothing a judge receives names a
contestant or an employer: contestants are known by station number and blind code only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from core.bounds import Id, SeenVersion, SeenWrittenVersion
from scoring import rules

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
AspectId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
ModuleId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
BlindCode = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
SheetStatus = Literal["draft", "submitted", "signed"]


# --- the scheme (rubric and rules) ----------------------------------------------------------------------


class SchemeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The competition's rules. ``version``: omit (or 0) to create; the version read to change it."""

    rules: rules.CompetitionRules
    tolerance: Decimal = Decimal(1)  # judgement marks may differ by at most this (0..3)
    appeal_window_hours: Annotated[int, msgspec.Meta(ge=0, le=720)] = 2
    version: SeenVersion | None = None


class SchemeOut(msgspec.Struct, kw_only=True):
    competition_id: int
    rules: rules.CompetitionRules
    tolerance: Decimal
    appeal_window_hours: int
    version: int
    frozen_at: dt.datetime | None
    scoring_started_at: dt.datetime | None
    # Panel problems that do not block (e.g. a declared conflict left an aspect short of judges).
    panel_problems: list[rules.Problem] = msgspec.field(default_factory=list)


# --- judges, recusal, links -----------------------------------------------------------------------------


class JudgeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: Id
    is_chief: bool = False
    module_ids: Annotated[list[ModuleId], msgspec.Meta(min_length=1, max_length=100)] | None = None


class JudgesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Judges to add to the panel (or, for judges already on it, their chief flag and modules)."""

    judges: Annotated[list[JudgeIn], msgspec.Meta(min_length=1, max_length=60)]


class RecusalOut(msgspec.Struct, kw_only=True):
    registration_id: int
    registration_no: str
    station_no: int | None
    blind_code: str | None
    kind: str  # employer | declared
    reason: str


class JudgeOut(msgspec.Struct, kw_only=True):
    user_id: int
    username: str
    display_name: str
    judge_no: int
    is_chief: bool
    module_ids: list[str] | None
    employer_id: int | None
    recusals: list[RecusalOut]
    active_links: int


class PanelNeed(msgspec.Struct, kw_only=True):
    """An aspect the panel cannot judge yet: ``have`` of the ``need`` judges it needs (the smallest panel
    any contestant faces, recusals out)."""

    aspect_id: str
    aspect_name: str
    module_id: str
    have: int
    need: int


class AbsenceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A judge absent (缺席) for one contestant (registration id or number), or for a whole stage."""

    registration_id: Id | None = None
    registration_no: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    stage_id: Id | None = None
    reason: Reason


class AbsenceOut(msgspec.Struct, kw_only=True):
    """A recorded absence: ``registration_id`` None means every contestant, ``stage_id`` None every stage."""

    id: int
    judge_user_id: int
    judge_no: int
    registration_id: int | None
    blind_code: str | None
    station_no: int | None
    stage_id: int | None
    reason: str


class PanelOut(msgspec.Struct, kw_only=True):
    """``problems``: what the panel cannot judge in the rubric; ``missing``: per aspect, how many judges it
    has of those it needs; ``ready``: nothing missing, scoring may start (the first mark needs it);
    ``absences``: judges recorded absent (缺席) for a contestant or a stage."""

    competition_id: int
    judges: list[JudgeOut]
    problems: list[rules.Problem]
    missing: list[PanelNeed] = msgspec.field(default_factory=list)
    ready: bool = True
    absences: list[AbsenceOut] = msgspec.field(default_factory=list)


class ConflictIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A declared conflict of interest: name the contestant by registration id or number."""

    registration_id: Id | None = None
    registration_no: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    reason: Reason


class OwnConflictIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A judge declares their own conflict from the tablet, by blind code."""

    blind_code: BlindCode
    reason: Reason


class LinkOut(msgspec.Struct, kw_only=True):
    link_id: int
    judge_user_id: int
    judge_no: int
    display_name: str
    is_chief: bool
    url: str
    expires_at: dt.datetime
    qr_svg: str


class RevokeOut(msgspec.Struct, kw_only=True):
    revoked: int


# --- score entry ----------------------------------------------------------------------------------------


class MarkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    aspect_id: AspectId
    value: Decimal


class SheetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One write of a judge's sheet: the marks to set (others are kept), draft or submit.

    ``client_id`` is generated once by the tablet for this write and reused on every retry: a replay
    returns the first answer. ``base_version`` is the sheet version the tablet last saw (0 before the
    first write); a stale one is refused with 409 and the current marks.
    """

    competition_id: Id
    stage_id: Id
    client_id: uuid.UUID
    base_version: SeenVersion
    marks: Annotated[list[MarkIn], msgspec.Meta(max_length=400)] = msgspec.field(default_factory=list)
    submit: bool = False
    registration_id: Id | None = None
    blind_code: BlindCode | None = None


class MarkOut(msgspec.Struct, kw_only=True):
    aspect_id: str
    value: Decimal


class FlagOut(msgspec.Struct, kw_only=True):
    id: int
    aspect_id: str
    spread: Decimal
    status: str  # open | resolved | accepted
    reason: str


class SheetOut(msgspec.Struct, kw_only=True):
    """A judge's sheet for one contestant in one stage; ``sheet_id`` is None before the first write."""

    sheet_id: int | None
    competition_id: int
    stage_id: int
    station_no: int
    blind_code: str
    status: SheetStatus
    version: int
    marks: list[MarkOut]
    flags: list[FlagOut]
    submitted_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    stage_signed_off: bool = False


class StageProgress(msgspec.Struct, kw_only=True, omit_defaults=True):
    stage_id: int
    status: SheetStatus
    version: int
    marked: int
    total: int
    open_flags: int
    start_no: int | None = None  # the starting order of a later round (轮次), once the round before closed


class ContestantRow(msgspec.Struct, kw_only=True):
    """A contestant as a judge sees it: station and blind code, never a name or employer."""

    station_no: int
    blind_code: str
    stages: list[StageProgress]


class StageView(msgspec.Struct, kw_only=True):
    """A stage with only the modules this judge marks."""

    id: int
    name: str
    kind: str
    full_marks: Decimal
    signed_off: bool
    modules: list[rules.Module]


class JudgeCompetitionOut(msgspec.Struct, kw_only=True):
    competition_id: int
    title: str
    occupation: str
    state: str
    judge_no: int
    is_chief: bool
    tolerance: Decimal
    has_scheme: bool
    stages: list[StageView]


class SignOut(msgspec.Struct, kw_only=True):
    signed: list[int]
    skipped: list[int]  # sheets left unsigned because a tolerance flag on them is open


class SignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: SeenWrittenVersion | None = None
    # The judge has looked at the open tolerance flag on this sheet and stands by the marks: the sheet is
    # signed now, and stays signed when the chief judge accepts the flag (nobody signs an unchanged sheet
    # twice). Without it a flagged sheet is refused (409 open_tolerance_flags), as "sign all" skips it.
    keep_marks: bool = False


# --- the chief judge ------------------------------------------------------------------------------------


class JudgeStageProgress(msgspec.Struct, kw_only=True):
    judge_user_id: int
    judge_no: int
    display_name: str
    is_chief: bool
    expected: int
    not_started: int
    draft: int
    submitted: int
    signed: int


class ChiefStage(msgspec.Struct, kw_only=True):
    stage_id: int
    name: str
    kind: str
    signed_off_at: dt.datetime | None
    judges: list[JudgeStageProgress]
    open_flags: int
    imported: int = 0
    contestants: int = 0


class FlagMark(msgspec.Struct, kw_only=True):
    judge_no: int
    value: Decimal


class FlagDetail(msgspec.Struct, kw_only=True):
    id: int
    stage_id: int
    station_no: int
    blind_code: str
    aspect_id: str
    aspect_name: str
    spread: Decimal
    status: str
    reason: str
    marks: list[FlagMark]


class ContestantFactsOut(msgspec.Struct, kw_only=True):
    station_no: int
    blind_code: str
    disqualified: bool
    reason: str
    time_used_seconds: Decimal | None
    version: int


class SheetSummary(msgspec.Struct, kw_only=True):
    sheet_id: int
    stage_id: int
    judge_no: int
    station_no: int
    blind_code: str
    status: str
    version: int
    marks: list[MarkOut]


class ChiefAbsence(msgspec.Struct, kw_only=True):
    """An absence as the chief judge sees it: by judge number and blind code (None: every contestant)."""

    judge_no: int
    blind_code: str | None
    station_no: int | None
    stage_id: int | None
    reason: str


class ChiefOverview(msgspec.Struct, kw_only=True):
    competition_id: int
    title: str
    state: str
    is_chief: bool
    stages: list[ChiefStage]
    flags: list[FlagDetail]
    contestants: list[ContestantFactsOut]
    absences: list[ChiefAbsence] = msgspec.field(default_factory=list)


class AcceptFlagIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class SignoffOut(msgspec.Struct, kw_only=True):
    stage_id: int
    chief_user_id: int
    signed_at: dt.datetime


class ContestantRef(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    registration_id: Id | None = None
    blind_code: BlindCode | None = None


class DisqualifyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """取消资格 (``disqualified: false`` reinstates); a reason is always required."""

    registration_id: Id | None = None
    blind_code: BlindCode | None = None
    reason: Reason
    disqualified: bool = True


class TimeUsedIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Time a contestant used (a tie-break), in seconds; None clears it."""

    registration_id: Id | None = None
    blind_code: BlindCode | None = None
    seconds: Decimal | None = None  # 0..864000 (ten days), one decimal


class CorrectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A correction of one mark on a submitted or signed sheet, by the chief judge or an organizer."""

    sheet_id: Id
    aspect_id: AspectId
    value: Decimal
    reason: Reason
    base_version: SeenWrittenVersion | None = None


class ImportedMarkOut(msgspec.Struct, kw_only=True):
    registration_id: int
    registration_no: str
    station_no: int | None
    blind_code: str | None
    value: Decimal


class ImportResult(msgspec.Struct, kw_only=True):
    stage_id: int
    total_rows: int
    imported: int
    changed: int


class ProblemDetail(msgspec.Struct, kw_only=True):
    """The ``detail`` of a 422 for rules or panel problems."""

    problems: list[dict[str, Any]]
