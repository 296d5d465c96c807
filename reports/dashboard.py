"""The dashboard of a period: read the grouped counts, let the rules make figures, cache the result.

A computed :class:`Computed` is kept per period in :data:`computed_cache` keyed on the data version, with
the dashboard's JSON bytes ready to send, so a warm dashboard costs the version query and a dict lookup.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass

import msgspec

from awards.schemas import KIND_NAMES
from core.db import utcnow
from core.errors import Invalid, NotFound
from reports import rules, sources
from reports.cache import VersionedCache
from reports.rules import CompetitionFacts, Period, PeriodError, ProgrammeFacts
from reports.schemas import Dashboard, Figure, PublicStatistics
from scoring.published import PublishedBoard, published_boards


@dataclass(frozen=True)
class Computed:
    period: Period
    dashboard: Dashboard
    body: bytes  # the dashboard, encoded
    competitions: list[CompetitionFacts]
    programmes: list[ProgrammeFacts]
    published: list[PublishedBoard]
    silent_unions: list[tuple[int, str]]

    def figure(self, name: str) -> Figure:
        for figure in self.dashboard.figures:
            if figure.name == name:
                return figure
        raise NotFound(f"没有该统计图表：{name}", code="figure_not_found", field="name")


computed_cache: VersionedCache[Computed] = VersionedCache(max_entries=16)


def period_of(start: dt.date | None, end: dt.date | None, year: int | None) -> Period:
    """The period asked for: ``start``..``end``, or a whole ``year``, or else the current year."""
    try:
        if start is not None or end is not None:
            if start is None or end is None:
                raise Invalid(
                    "请同时给出开始和结束日期",
                    code="period_incomplete",
                    field="start" if start is None else "end",
                )
            return Period(start, end)
        return Period.year(year or utcnow().astimezone(sources.SHANGHAI).year)
    except PeriodError as exc:
        raise Invalid(str(exc), code="bad_period", field="end") from None


async def computed(period: Period) -> Computed:
    version = await sources.data_version()
    return await computed_cache.get((period.start, period.end), version, lambda: _compute(period, version))


def _winners(published: list[PublishedBoard]) -> dict[int, dict[str, int]]:
    """Each competition's published prize winners: blind code -> tier (a code names one contestant)."""
    return {
        p.competition_id: {
            row.blind_code: row.tier for row in p.rows if row.tier is not None and not row.disqualified
        }
        for p in published
    }


async def _published_and_entries(
    held: dict[int, dt.date],
) -> tuple[list[PublishedBoard], dict[int, dict[str, int]], list[rules.EntryGroup]]:
    published = await published_boards(held)
    winners = _winners(published)
    return published, winners, await sources.entry_groups(held, winners)


async def _compute(period: Period, version: str) -> Computed:
    competitions = [c for c in await sources.competitions() if c.held_on in period]
    held = {c.id: c.held_on for c in competitions}
    programmes = [p for p in await sources.programmes() if p.day in period]
    # Independent reads run at once: each is its own connection (SQLite) or pool connection (PostgreSQL).
    reads = await asyncio.gather(
        sources.unions(),
        sources.enterprises(),
        _published_and_entries(held),
        sources.nomination_groups([p.id for p in programmes]),
        sources.people_count(held),
        sources.competition_counts(held),
        sources.promotion_counts(period.start, period.end),
    )
    (
        union_names,
        enterprises,
        (published, winners, entry_groups),
        nominations,
        people,
        per_competition,
        promotions,
    ) = reads
    entries = rules.entry_tallies(entry_groups, enterprises)
    took_part = {int(k) for k, t in entries.get("union", {}).items() if k and t.registrations}
    took_part |= {n.union for n in nominations if n.union is not None and n.status != "withdrawn"}
    participation, silent = rules.participation_figure(union_names, took_part)
    honours = rules.honour_figures(programmes, nominations, union_names, KIND_NAMES)
    years = _year_counts(competitions, per_competition, winners, programmes, nominations)
    headline = rules.headline(
        len(competitions),
        entries,
        people,
        sum(r.values[0] for r in honours[0].rows),
        len(union_names),
        len(union_names) - len(silent),
    )
    headline = msgspec.structs.replace(headline, promotions=sum(promotions.values()))
    dashboard = Dashboard(
        start=period.start,
        end=period.end,
        headline=headline,
        figures=[
            *rules.competition_figures(competitions),
            *rules.entry_figures(entries, union_names, enterprises),
            *honours,
            participation,
            rules.promotion_figure(promotions),
            rules.trend_figure(period, years),
        ],
        data_version=version,
        computed_at=utcnow(),
    )
    body = msgspec.json.encode(dashboard)
    return Computed(period, dashboard, body, competitions, programmes, published, silent)


def _year_counts(
    competitions: list[CompetitionFacts],
    per_competition: dict[int, tuple[int, int]],
    winners: dict[int, dict[str, int]],
    programmes: list[ProgrammeFacts],
    nominations: list[rules.NominationGroup],
) -> rules.YearCounts:
    held = {c.id: c.held_on for c in competitions}
    counts = rules.YearCounts(Counter(), Counter(), Counter(), Counter(), Counter())
    for competition in competitions:
        year = competition.held_on.year
        registrations, participants = per_competition.get(competition.id, (0, 0))
        counts.competitions[year] += 1
        counts.registrations[year] += registrations
        counts.participants[year] += participants
    for competition_id, codes in winners.items():
        counts.winners[held[competition_id].year] += len(codes)
    awarded_year = {p.id: p.awarded_on.year for p in programmes if p.awarded_on is not None}
    for group in nominations:
        if group.status == "awarded" and group.programme in awarded_year:
            counts.honours[awarded_year[group.programme]] += group.count
    return counts


PUBLIC_FIGURES = (
    "competitions_by_industry",
    "entries_by_industry",
    "entries_by_gender",
    "entries_by_age_band",
    "honours_by_programme",
    "union_participation",
    "trend_by_year",
)


def public_statistics(computed_: Computed) -> PublicStatistics:
    """Aggregates only: the public figures, without the links to lists of people."""
    figures = [
        msgspec.structs.replace(f, list_of=None, dimension=None)
        for f in computed_.dashboard.figures
        if f.name in PUBLIC_FIGURES
    ]
    return PublicStatistics(
        start=computed_.period.start,
        end=computed_.period.end,
        headline=computed_.dashboard.headline,
        figures=figures,
    )
