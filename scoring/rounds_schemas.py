"""Wire shapes of rounds (轮次): the declared rounds, each closing's standing and next starting order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import msgspec


class RoundCloseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """结束本轮: an optional note for the audit log."""

    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class StandingOut(msgspec.Struct, kw_only=True):
    """One entrant's place after a round; ``registration_id`` and ``group`` for organizers only."""

    station_no: int
    blind_code: str
    round_score: Decimal
    score: Decimal
    rank: int
    qualified: bool
    registration_id: int | None = None
    group: str | None = None


class StartOut(msgspec.Struct, kw_only=True):
    """The next round's starting order: ``start_no`` 1 starts first."""

    start_no: int
    station_no: int
    blind_code: str


class RoundOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    position: int
    stage_ids: list[int | str]
    cut: str | None
    count: int | None
    min_score: Decimal | None
    ties: str
    next_order: str
    closed: bool
    closed_at: dt.datetime | None
    standings: list[StandingOut]
    start_order: list[StartOut]  # of the next round, once this one is closed


class RoundsOut(msgspec.Struct, kw_only=True):
    competition_id: int
    total: str  # "sum": 累计 = the sum of the round scores; "last": the last round's score alone
    rounds: list[RoundOut]
