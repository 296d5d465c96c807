"""What crosses the wire for results, publication and appeals: msgspec Structs with their constraints.

Scores are Decimals (encoded as strings). Published figures are already rounded with the competition's
declared final rounding; the live board rounds for display the same way and never rounds what it ranks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from core.bounds import Id, SeenVersion
from scoring.standings_schemas import OrganisationAwardRow, TeamRow

Reason = Annotated[str, msgspec.Meta(max_length=2000)]
Grounds = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class StageHead(msgspec.Struct, kw_only=True):
    """``weighted``: False when the rules add raw stage scores (``final: raw_sum``): the weight is unused."""

    id: str  # str(Stage.id), as in the declared rules
    name: str
    weight_percent: Decimal
    full_marks: Decimal
    weighted: bool = True


class RoundHead(msgspec.Struct, kw_only=True):
    """A round (轮次) as the boards show it; a row's ``round_scores`` are keyed by ``id``."""

    id: str
    name: str
    position: int


class ModuleHead(msgspec.Struct, kw_only=True):
    """A module (评分模块) whose score the board shows; a row's ``module_scores`` are keyed by ``id``."""

    id: str
    name: str
    stage_id: str


# --- the live board (organizers; the chief judge by blind code only) ----------------------------------


class LiveRow(msgspec.Struct, kw_only=True):
    """One contestant on the live board; ``name``/``employer``/``registration_id`` only after unblinding
    and only for organizers. ``sheets_*``: a judge's sheet per rubric stage, an imported mark counts one."""

    rank: int | None
    tier: int | None
    prize: str | None
    blind_code: str
    station_no: int | None
    final_score: Decimal
    stage_scores: dict[str, Decimal]
    complete: bool
    marks_in: int
    marks_expected: int
    sheets_in: int
    sheets_expected: int
    disqualified: bool
    registration_id: int | None = None
    name: str | None = None
    employer: str | None = None
    round_scores: dict[str, Decimal] = {}  # the rounds entered; a round left out is 未晋级, not 0
    module_scores: dict[str, Decimal] = {}
    eliminated_after: int | None = None  # the position of the round whose cut this contestant missed


class TieOut(msgspec.Struct, kw_only=True):
    rank: int
    blind_codes: list[str]


class LiveBoard(msgspec.Struct, kw_only=True):
    competition_id: int
    title: str
    view: Literal["organizer", "chief_judge"]
    stages: list[StageHead]
    rows: list[LiveRow]
    complete: bool
    stages_signed_off: list[str]
    all_signed_off: bool
    unblinded_at: dt.datetime | None
    published_version: int | None
    # Organizers, once published: would publishing now change what the public sees?
    changed_since_publication: bool | None
    unresolved_ties: list[TieOut]
    tier_counts: list[int]
    appeal_window_hours: int
    # Organizers, once unblinded, when the rules declare them (scoring.standings).
    teams: list[TeamRow] | None = None
    organisation_awards: list[OrganisationAwardRow] | None = None
    rounds: list[RoundHead] = []
    round_total: str | None = None  # "sum" | "last" when the rules declare rounds
    modules: list[ModuleHead] = []  # every module: organizers and the chief judge see them all


# --- the public boards ------------------------------------------------------------------------------------


class CompetitionHead(msgspec.Struct, kw_only=True):
    id: int
    title: str
    occupation: str
    venue: str


class PublicRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A published result: never an ID number, a mobile, a person or registration id. With rounds, the
    scores of the rounds entered and ``eliminated_after`` (未晋级); the module scores the organizer chose
    to publish (``public_modules``)."""

    rank: int | None
    tier: int | None
    prize: str | None
    name: str
    employer: str
    blind_code: str
    station_no: int | None
    final_score: Decimal
    stage_scores: dict[str, Decimal]
    disqualified: bool
    round_scores: dict[str, Decimal] = {}
    module_scores: dict[str, Decimal] = {}
    eliminated_after: int | None = None


class PublicBoard(msgspec.Struct, kw_only=True):
    """The public leaderboard exactly as published (``Publication.results``); team results and the
    organisation award when the rules declare them (empty in versions published before they existed)."""

    competition: CompetitionHead
    version: int
    published_at: dt.datetime
    stages: list[StageHead]
    rows: list[PublicRow]
    tier_counts: list[int]
    teams: list[TeamRow] = []
    team_tier_counts: list[int] = []
    organisation_awards: list[OrganisationAwardRow] = []
    rounds: list[RoundHead] = []
    round_total: str | None = None
    modules: list[ModuleHead] = []  # the modules the organizer chose to publish


class ProvisionalRow(msgspec.Struct, kw_only=True):
    """Before publication the public sees blind codes only: no station, name or employer."""

    rank: int | None
    blind_code: str
    final_score: Decimal
    marks_in: int
    marks_expected: int
    complete: bool
    disqualified: bool


class ProvisionalBoard(msgspec.Struct, kw_only=True):
    competition: CompetitionHead
    published_version: int | None
    stages: list[StageHead]
    rows: list[ProvisionalRow]
    as_of: dt.datetime


class PublishedCompetition(msgspec.Struct, kw_only=True):
    competition: CompetitionHead
    version: int
    published_at: dt.datetime


# --- unblinding and publication -----------------------------------------------------------------------------


class UnblindOut(msgspec.Struct, kw_only=True):
    competition_id: int
    unblinded_at: dt.datetime
    contestants: int


class PublishIn(msgspec.Struct, kw_only=True):
    """``previous_version``: the latest version the organizer saw (0 before the first publication); a
    concurrent publication makes it stale (409). A republication needs a ``reason``."""

    previous_version: SeenVersion
    reason: Reason = ""
    accept_unresolved_ties: bool = False


class Change(msgspec.Struct, kw_only=True):
    """One figure that differs from the previous version, by blind code (``field``: final_score, rank,
    tier, stage:<id>, disqualified; or ``row`` when a contestant appears or disappears); a team's by its
    name with no blind code (``team_score``, ``team_rank``, ``team_prize``, ``team``)."""

    blind_code: str
    name: str
    field: str
    old: str | None
    new: str | None


class PublicationOut(msgspec.Struct, kw_only=True):
    version: int
    published_at: dt.datetime
    published_by: int
    published_by_name: str
    reason: str
    rows: int
    changes: list[Change]


# --- the supervision and arbitration group, appeals --------------------------------------------------------


class MemberIn(msgspec.Struct, kw_only=True):
    user_id: Id


class MemberOut(msgspec.Struct, kw_only=True):
    user_id: int
    display_name: str
    role: str
    is_chief_judge: bool


class AppealIn(msgspec.Struct, kw_only=True):
    registration_id: Id
    grounds: Grounds
    stage_id: Id | None = None  # None: the result as a whole (the window follows the last stage)


class MarkFix(msgspec.Struct, kw_only=True):
    """A judge's mark on an aspect, as the open document names them (judge number, aspect id)."""

    aspect_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    judge_no: Id
    value: Decimal


class ImportedFix(msgspec.Struct, kw_only=True):
    stage_id: Id
    value: Decimal


class CorrectionIn(msgspec.Struct, kw_only=True):
    """What an upheld appeal changes for the appellant; fields left out stay as they are."""

    marks: list[MarkFix] = []
    imported: list[ImportedFix] = []
    time_used_seconds: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    disqualified: bool | msgspec.UnsetType = msgspec.UNSET
    disqualified_reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class AnswerIn(msgspec.Struct, kw_only=True):
    decision: Literal["upheld", "dismissed"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    correction: CorrectionIn | None = None


class AppealOut(msgspec.Struct, kw_only=True):
    id: int
    competition_id: int
    blind_code: str | None
    station_no: int | None
    stage_id: int | None
    stage_name: str | None
    grounds: str
    lodged_at: dt.datetime
    status: str  # pending | upheld | dismissed
    answer: str
    answered_at: dt.datetime | None
    answered_by_name: str | None
    republished_version: int | None = None
    appellant_name: str | None = None  # organizers only


class StageWindow(msgspec.Struct, kw_only=True):
    stage_id: int
    name: str
    # The first publication, or a later correction that changed this result; None: not published yet.
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    open: bool
    final: bool = False  # the arbitration group has answered an appeal on it: no second appeal


class MyAppeals(msgspec.Struct, kw_only=True):
    """A contestant's own view: their entry, the appeal windows, and their appeals with the answers."""

    competition_id: int
    title: str
    registration_id: int
    window_hours: int
    stages: list[StageWindow]
    appeals: list[AppealOut]


class ArbitrationSeat(msgspec.Struct, kw_only=True):
    competition_id: int
    title: str
    pending: int
