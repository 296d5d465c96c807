"""Published competition results for the domains above scoring: one typed function, no tables, no JSON.

Awards (qualifying prizes, direct nominations, the achievements a nomination is pre-filled with) reads a
competition's results only through :func:`published_results`. What it returns is the latest published
version of each competition (``Publication.results``, scoring's ``PublicBoard``), each public row tied back
to its contestant: a public row carries no internal id, only the competition's blind code, and the
registration holding that blind code names the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from competitions.tables import Competition, Registration
from core.db import SHANGHAI
from scoring.results_schemas import PublicBoard
from scoring.tables import Publication

_CHUNK = 500  # values per IN (...): far under both engines' bound-parameter limits


class PublishedResult(msgspec.Struct, frozen=True, kw_only=True):
    """One contestant's line in the latest published results of a competition."""

    competition_id: int
    competition_title: str
    year: int  # the competition's series year, else the year it was published (Asia/Shanghai)
    person_id: int
    rank: int | None
    tier: int | None  # 1 = first prize ...; None without a prize
    prize: str | None  # the prize as published (一等奖 ...)
    final_score: Decimal  # rounded as the competition declares, exactly as published
    published_version: int
    published_at: dt.datetime


async def published_results(
    competition_ids: Iterable[int] | None = None, *, person_ids: Iterable[int] | None = None
) -> list[PublishedResult]:
    """The latest published results of ``competition_ids`` (None: every competition), for ``person_ids``
    (None: everyone), by competition then in published order. Disqualified contestants are left out: a
    disqualification is published, but it is no result anyone may build on."""
    person_of = await _blind_codes(competition_ids, person_ids)
    if not person_of:
        return []
    latest = await _latest_publications(sorted({competition for competition, _ in person_of}))
    heads = await _competition_heads(sorted(latest))
    out: list[PublishedResult] = []
    for competition_id, publication in sorted(latest.items()):
        board = msgspec.json.decode(_as_bytes(publication["results"]), type=PublicBoard)
        title, year = heads[competition_id]
        for row in board.rows:
            person = person_of.get((competition_id, row.blind_code))
            if person is None or row.disqualified:
                continue
            out.append(
                PublishedResult(
                    competition_id=competition_id,
                    competition_title=title,
                    year=year or publication["published_at"].astimezone(SHANGHAI).year,
                    person_id=person,
                    rank=row.rank,
                    tier=row.tier,
                    prize=row.prize,
                    final_score=row.final_score,
                    published_version=publication["version"],
                    published_at=publication["published_at"],
                )
            )
    return out


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


async def _blind_codes(
    competition_ids: Iterable[int] | None, person_ids: Iterable[int] | None
) -> dict[tuple[int, str], int]:
    """(competition, blind code) -> person, for the registrations the filters select."""
    condition = Registration.blind_code.is_not_null()
    for column, wanted in ((Registration.competition, competition_ids), (Registration.person, person_ids)):
        if wanted is None:
            continue
        ids = sorted(set(wanted))
        if not ids:
            return {}
        condition &= column.is_in(ids)
    rows = await Registration.select(
        Registration.competition, Registration.blind_code, Registration.person
    ).where(condition)
    return {(r["competition"], r["blind_code"]): r["person"] for r in rows}


async def _latest_publications(competition_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Competition -> its newest publication (version, time, results); competitions never published are
    absent. Only the newest version's results are read: a correction keeps every earlier one."""
    newest: dict[int, tuple[int, int]] = {}  # competition -> (version, publication id)
    for chunk in _chunks(competition_ids):
        for row in await Publication.select(
            Publication.id, Publication.competition, Publication.version
        ).where(Publication.competition.is_in(chunk)):
            newest[row["competition"]] = max(
                (row["version"], row["id"]), newest.get(row["competition"], (0, 0))
            )
    latest: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(publication_id for _, publication_id in newest.values())):
        for row in await Publication.select(
            Publication.competition, Publication.version, Publication.published_at, Publication.results
        ).where(Publication.id.is_in(chunk)):
            latest[row["competition"]] = row
    return latest


async def _competition_heads(competition_ids: Sequence[int]) -> dict[int, tuple[str, int | None]]:
    heads: dict[int, tuple[str, int | None]] = {}
    for chunk in _chunks(competition_ids):
        for row in await Competition.select(
            Competition.id, Competition.title, Competition.series.year.as_alias("year")
        ).where(Competition.id.is_in(chunk)):
            heads[row["id"]] = (row["title"], row["year"])
    return heads


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return msgspec.json.encode(value)
