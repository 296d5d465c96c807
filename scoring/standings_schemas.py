"""What crosses the wire for team results, the organisation award, named teams and skill-level promotion.

Figures are Decimals (encoded as strings), published with the competition's final rounding. Skill levels are
numbers 5 (初级工) .. 1 (高级技师) with their names alongside.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import msgspec

from core.bounds import Id, SeenVersion

TeamName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Reason = Annotated[str, msgspec.Meta(max_length=2000)]


# --- team results and the organisation award (on the boards) ----------------------------------------------


class TeamMemberOut(msgspec.Struct, kw_only=True):
    """A member on a team's row; ``counted``: one of the k whose scores make the team's."""

    blind_code: str
    name: str
    rank: int | None
    final_score: Decimal
    counted: bool
    disqualified: bool


class TeamRow(msgspec.Struct, kw_only=True):
    """A team's published result; ``team_no`` is how the open document names it. ``ranked`` is False when
    too few members are ranked (人数不足): no rank, no prize."""

    team_no: int
    rank: int | None
    tier: int | None
    prize: str | None
    name: str
    union: str | None
    score: Decimal
    ranked: bool
    members: list[TeamMemberOut]


class OrganisationAwardRow(msgspec.Struct, kw_only=True):
    """A union for 优秀组织奖: ``figure`` is its best team rank, or its prize winners or ranked entrants."""

    union_no: int
    union: str
    position: int | None
    figure: int | None
    awarded: bool


# --- named teams (organizers) ----------------------------------------------------------------------------


class TeamIn(msgspec.Struct, kw_only=True):
    """A named team: its name, the union it represents (optional), its members' registrations.
    ``version``: the version read, for an edit (0 for a new team)."""

    name: TeamName
    registration_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=50)]
    union_id: Id | None = None
    version: SeenVersion = 0


class TeamMemberRef(msgspec.Struct, kw_only=True):
    registration_id: int
    registration_no: str
    name: str
    employer: str


class TeamOut(msgspec.Struct, kw_only=True):
    id: int
    competition_id: int
    name: str
    union_id: int | None
    union_name: str | None
    members: list[TeamMemberRef]
    version: int


# --- skill-level promotion ---------------------------------------------------------------------------------


class PromotionRow(msgspec.Struct, kw_only=True):
    """One contestant a band of the promotion rule applies to, as published (levels at publication);
    ``current_level``: the level the person holds now. ``outcome``: promoted | already_held | no_level."""

    registration_id: int
    blind_code: str
    name: str
    employer: str
    rank: int
    prize: str | None
    final_score: Decimal
    band: int
    level_before: int | None
    level_before_name: str
    level_after: int | None
    level_after_name: str
    outcome: str
    current_level: int | None


class ConfirmationOut(msgspec.Struct, kw_only=True):
    publication_version: int
    confirmed_at: dt.datetime
    confirmed_by: int
    confirmed_by_name: str
    promoted: int
    reason: str


class PromotionList(msgspec.Struct, kw_only=True):
    """The promotion list of the latest published version; ``confirmation`` once an organizer confirmed it
    (for ``confirmation.publication_version``; a later version may list other people)."""

    competition_id: int
    publication_version: int
    basis: str
    rows: list[PromotionRow]
    confirmation: ConfirmationOut | None


class ConfirmIn(msgspec.Struct, kw_only=True):
    """``publication_version``: the version whose list the organizer reviewed (409 if a newer one exists)."""

    publication_version: Id
    reason: Reason = ""
