"""Published competition results for the domains above scoring: typed functions, no tables, no JSON.

- :func:`published_boards` (reports: prize winners, the open data feed and its change feed): the boards as
  the public saw them, the latest version of each competition or every version. The one reader of
  ``Publication``: what follows is built on it.
- :func:`published_results` (awards: qualifying prizes, direct nominations, the achievements a nomination
  is pre-filled with): the latest published version of each competition, each public row tied back to its
  contestant: a public row carries no internal id, only the competition's blind code, and the registration
  holding that blind code names the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from competitions.tables import Competition, Registration
from core.db import SHANGHAI, instant
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
    boards = await published_boards({competition for competition, _ in person_of})
    heads = await _competition_heads([board.competition_id for board in boards])
    out: list[PublishedResult] = []
    for board in boards:
        title, year = heads[board.competition_id]
        for row in board.rows:
            person = person_of.get((board.competition_id, row.blind_code))
            if person is None or row.disqualified:
                continue
            out.append(
                PublishedResult(
                    competition_id=board.competition_id,
                    competition_title=title,
                    year=year or board.published_at.astimezone(SHANGHAI).year,
                    person_id=person,
                    rank=row.rank,
                    tier=row.tier,
                    prize=row.prize,
                    final_score=Decimal(row.final_score),
                    published_version=board.version,
                    published_at=board.published_at,
                )
            )
    return out


class PublishedRow(msgspec.Struct, kw_only=True, frozen=True):
    """A published result as the public saw it (the score as published, exact); unknown fields of the
    stored board are ignored."""

    rank: int | None
    tier: int | None
    prize: str | None
    name: str
    employer: str
    blind_code: str
    final_score: str
    disqualified: bool = False


class _Board(msgspec.Struct, kw_only=True):
    rows: list[PublishedRow]


class PublishedBoard(msgspec.Struct, kw_only=True, frozen=True):
    competition_id: int
    version: int
    published_at: dt.datetime
    rows: list[PublishedRow]


async def published_boards(
    competition_ids: Collection[int] | None = None,
    *,
    every_version: bool = False,
    with_rows: bool = True,
) -> list[PublishedBoard]:
    """Published results of the given competitions (all when None): the latest version of each, or
    ``every_version`` (the change feed); ``with_rows=False`` reads the versions without the boards.
    Ordered by competition, then version."""
    if competition_ids is not None and not competition_ids:
        return []
    where = []
    if competition_ids is not None:
        where.append(f"p.competition IN ({', '.join(str(int(i)) for i in sorted(competition_ids))})")
    if not every_version:
        where.append(
            "p.version = (SELECT MAX(q.version) FROM publication q WHERE q.competition = p.competition)"
        )
    columns = "p.competition AS competition, p.version AS version, p.published_at AS published_at"
    rows = await Publication.raw(
        f"SELECT {columns}{', p.results AS results' if with_rows else ''} FROM publication p "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY p.competition, p.version"
    )
    decoder = msgspec.json.Decoder(_Board)
    out = []
    for r in rows:
        board = decoder.decode(_as_bytes(r["results"])).rows if with_rows else []
        published_at = instant(r["published_at"])
        assert published_at is not None
        out.append(
            PublishedBoard(
                competition_id=r["competition"], version=r["version"], published_at=published_at, rows=board
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
