"""What the reports domain sends: figures (a table a chart draws), the dashboard, lists, the open feed."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

ChartKind = Literal["bar", "line", "share", "table"]


class FigureRow(msgspec.Struct, kw_only=True, frozen=True):
    """One line of a figure: what it counts (``key``, a filter value for the list) and its numbers."""

    key: str
    label: str
    values: list[int]


class Figure(msgspec.Struct, kw_only=True, frozen=True):
    """A titled table of counts; ``chart`` says how to draw it, ``list_of`` and ``dimension`` how to reach
    the rows a number counts (``/api/reports/list?of=<list_of>&dimension=<dimension>&key=<row.key>``)."""

    name: str
    title: str
    chart: ChartKind
    columns: list[str]
    rows: list[FigureRow]
    list_of: str | None = None
    dimension: str | None = None
    note: str = ""


class Headline(msgspec.Struct, kw_only=True, frozen=True):
    competitions: int
    registrations: int
    participants: int
    people: int  # distinct people who took part
    winners: int
    honours: int
    unions: int
    unions_took_part: int
    enterprises_took_part: int
    promotions: int = 0  # confirmed skill-level promotions


class Dashboard(msgspec.Struct, kw_only=True, frozen=True):
    start: dt.date
    end: dt.date
    headline: Headline
    figures: list[Figure]
    data_version: str
    computed_at: dt.datetime
    notes: list[str] = []


class PublicStatistics(msgspec.Struct, kw_only=True, frozen=True):
    """Aggregates only: no person, no union or enterprise by name."""

    start: dt.date
    end: dt.date
    headline: Headline
    figures: list[Figure]


class ListPage(msgspec.Struct, kw_only=True, frozen=True):
    """The rows one number counts, a page at a time in a stable order."""

    of: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: int
    page: int
    page_size: int


# --- the open data feed -------------------------------------------------------------------------------------

OPEN_FORMAT = "yicheng-open-data/1"


class OpenPage(msgspec.Struct, kw_only=True, frozen=True):
    """A page of an open collection; ``next`` is the cursor for the next page, None on the last."""

    format: str
    items: list[Any]
    next: str | None


class OpenCompetition(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    title: str
    occupation: str
    industry: str
    held_on: dt.date
    version: int
    published_at: dt.datetime


class OpenResult(msgspec.Struct, kw_only=True, frozen=True):
    rank: int | None
    prize: str | None
    name: str
    employer: str
    final_score: str


class OpenResults(msgspec.Struct, kw_only=True, frozen=True):
    format: str
    competition: OpenCompetition
    results: list[OpenResult]


class OpenProgramme(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    name: str
    year: int
    kind: str
    kind_name: str
    awarded_on: dt.date | None
    honours: int


class OpenHonour(msgspec.Struct, kw_only=True, frozen=True):
    certificate_no: str
    name: str
    employer: str
    award: str


class OpenChange(msgspec.Struct, kw_only=True, frozen=True):
    """Something published: ``results`` of a competition (version 2+ is a correction) or an ``honours``
    roll; ``at`` is when, in UTC."""

    at: dt.datetime
    kind: Literal["results", "honours"]
    id: int
    version: int
    corrected: bool
    url: str
