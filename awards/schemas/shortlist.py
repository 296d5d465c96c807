"""What crosses the wire for the shortlist (建议名单): the request and the report the organizer reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import msgspec

from accounts.schemas import Version
from awards.schemas.fields import Reason

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
    # A replacement's own notice period (programme replacement_notice = own_period); None for everyone else.
    notice_starts_on: dt.date | None = None
    notice_ends_on: dt.date | None = None


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
    # The notice the newcomers get before the award: their own period, or (None) the change notice alone.
    notice_starts_on: dt.date | None = None
    notice_ends_on: dt.date | None = None


class WayOutOut(msgspec.Struct, kw_only=True):
    """A way out of a shortlist that cannot be formed (awards.rules.ways_out), checked with the solver."""

    kind: str  # awards | relax | unions
    message: str
    awards: int | None = None
    constraint_index: int | None = None
    percent: Decimal | None = None
    short_by: int | None = None
    groups: list[str] = msgspec.field(default_factory=list)
    group_names: list[str] = msgspec.field(default_factory=list)


class UnionRequestOut(msgspec.Struct, kw_only=True):
    """A request to the nominating unions to nominate more (sent when the shortlist cannot be formed)."""

    at: dt.datetime
    groups: list[str]
    group_names: list[str]
    message: str


class RelaxIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Relax one structural constraint to ``percent`` (before the shortlist), with a reason: audited."""

    constraint_index: Annotated[int, msgspec.Meta(ge=0, le=19)]
    percent: Decimal  # 0–100, checked by the service (msgspec bounds no Decimal)
    reason: Annotated[str, msgspec.Meta(max_length=500)]
    version: Version | None = None


GroupKey = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^(?:[0-9]{1,9}|[a-z_]{1,40})$")]


class UnionRequestIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Ask the unions concerned (quota groups) to nominate more people."""

    groups: Annotated[list[GroupKey], msgspec.Meta(min_length=1, max_length=200)]
    message: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]


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
    ways_out: list[WayOutOut] = msgspec.field(default_factory=list)  # when not feasible
    requests: list[UnionRequestOut] = msgspec.field(default_factory=list)  # asked of the unions
