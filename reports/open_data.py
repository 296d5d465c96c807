"""The open data feed (``/api/open/v1``): published results and honour rolls for other systems to pull.

Stable and versioned: the path carries the version, every body names its format (``yicheng-open-data/1``),
fields are only ever added. Collections are paginated by an opaque cursor over a stable order (ids,
certificate numbers, publication times), so a page never shifts when something new is published. Each body
is computed once per data version (:mod:`reports.cache`); its ETag is a hash of the bytes, and
``If-None-Match`` gets 304. Public facts only: names and employers as published, never an ID or mobile.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import msgspec

from awards.honours import honour_roll
from awards.schemas import KIND_NAMES
from awards.tables import Programme
from core.errors import Invalid, NotFound
from reports import sources
from reports.cache import VersionedCache
from reports.schemas import (
    OPEN_FORMAT,
    OpenChange,
    OpenCompetition,
    OpenHonour,
    OpenPage,
    OpenProgramme,
    OpenResult,
    OpenResults,
)

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
AWARDED = ("awarded", "archived")
open_cache: VersionedCache[bytes] = VersionedCache(max_entries=256)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type) -> Any:
    if not cursor:
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=kind)
    except (ValueError, msgspec.DecodeError):
        raise Invalid("分页游标无效", code="bad_cursor", field="cursor") from None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"每页条数须在 1 到 {MAX_LIMIT} 之间", code="bad_limit", field="limit")
    return limit


def _page(items: list[Any], limit: int, key: Callable[[Any], Any]) -> bytes:
    """The first ``limit`` of ``items`` (already after the cursor, in order) and the cursor after them."""
    shown = items[:limit]
    following = encode_cursor(key(shown[-1])) if len(items) > limit else None
    return msgspec.json.encode(OpenPage(format=OPEN_FORMAT, items=shown, next=following))


async def cached(key: tuple[Any, ...], compute: Callable[[], Any]) -> bytes:
    return await open_cache.get(key, await sources.data_version(), compute)


# ------------------------------------------------------------------------------------------ competitions


async def _published_heads() -> list[OpenCompetition]:
    facts = {c.id: c for c in await sources.competitions()}
    heads = []
    for board in await sources.published_results(with_rows=False):
        competition = facts.get(board.competition_id)
        if competition is None:
            continue
        heads.append(
            OpenCompetition(
                id=competition.id,
                title=competition.title,
                occupation=competition.occupation,
                industry=competition.industry,
                held_on=competition.held_on,
                version=board.version,
                published_at=board.published_at,
            )
        )
    return heads


async def competitions(cursor: str | None, limit: int) -> bytes:
    after = decode_cursor(cursor, int) or 0
    limit = _limit(limit)

    async def compute() -> bytes:
        heads = [h for h in await _published_heads() if h.id > after]
        return _page(heads, limit, lambda h: h.id)

    return await cached(("competitions", after, limit), compute)


async def results(competition_id: int) -> bytes:
    async def compute() -> bytes:
        heads = [h for h in await _published_heads() if h.id == competition_id]
        boards = await sources.published_results([competition_id])
        if not heads or not boards:
            raise NotFound("该竞赛没有发布的成绩", code="not_published", field="competition_id")
        rows = [
            OpenResult(
                rank=r.rank, prize=r.prize, name=r.name, employer=r.employer, final_score=r.final_score
            )
            for r in boards[0].rows
        ]
        return msgspec.json.encode(OpenResults(format=OPEN_FORMAT, competition=heads[0], results=rows))

    return await cached(("results", competition_id), compute)


# ---------------------------------------------------------------------------------------------- honours


async def _awarded_programmes() -> list[OpenProgramme]:
    rows = await Programme.raw(
        "SELECT g.id, g.name, g.year, g.kind, g.awarded_on, "
        "(SELECT COUNT(*) FROM nomination n WHERE n.programme = g.id AND n.status = 'awarded') AS honours "
        "FROM programme g WHERE g.state IN ('awarded', 'archived') ORDER BY g.id"
    )
    return [
        OpenProgramme(
            id=r["id"],
            name=r["name"],
            year=r["year"],
            kind=r["kind"],
            kind_name=KIND_NAMES.get(r["kind"], r["kind"]),
            awarded_on=sources.day_of(r["awarded_on"]),
            honours=int(r["honours"]),
        )
        for r in rows
    ]


async def programmes(cursor: str | None, limit: int) -> bytes:
    after = decode_cursor(cursor, int) or 0
    limit = _limit(limit)

    async def compute() -> bytes:
        return _page([p for p in await _awarded_programmes() if p.id > after], limit, lambda p: p.id)

    return await cached(("programmes", after, limit), compute)


async def honours(programme_id: int, cursor: str | None, limit: int) -> bytes:
    """One honour roll (awards' own public roll), in certificate-number order."""
    after = decode_cursor(cursor, str) or ""
    limit = _limit(limit)

    async def compute() -> bytes:
        roll = await honour_roll(programme_id)
        items = [
            OpenHonour(
                certificate_no=i.certificate_no, name=i.name, employer=i.employer_name or "", award=i.award
            )
            for i in roll.items
            if i.certificate_no > after
        ]
        return _page(items, limit, lambda h: h.certificate_no)

    return await cached(("honours", programme_id, after, limit), compute)


# ------------------------------------------------------------------------------------------- change feed


async def _changes() -> list[OpenChange]:
    events = [
        OpenChange(
            at=board.published_at,
            kind="results",
            id=board.competition_id,
            version=board.version,
            corrected=board.version > 1,
            url=f"/api/open/v1/competitions/{board.competition_id}/results",
        )
        for board in await sources.published_results(every_version=True, with_rows=False)
    ]
    awarded = await Programme.select(Programme.id, Programme.awarded_on, Programme.version).where(
        Programme.state.is_in(list(AWARDED)) & Programme.awarded_on.is_not_null()
    )
    for row in awarded:
        # An honour roll is published on its award day (a date): dated at the start of that day in Beijing.
        at = dt.datetime.combine(row["awarded_on"], dt.time(), sources.SHANGHAI).astimezone(dt.UTC)
        url = f"/api/open/v1/honours/{row['id']}"
        events.append(OpenChange(at=at, kind="honours", id=row["id"], version=1, corrected=False, url=url))
    events.sort(key=lambda e: (e.at, e.kind, e.id, e.version))
    return events


def _change_key(event: OpenChange) -> list[Any]:
    return [event.at.astimezone(dt.UTC).isoformat(), event.kind, event.id, event.version]


async def changes(since: dt.datetime | None, cursor: str | None, limit: int) -> bytes:
    """What was published or corrected after ``since`` (UTC), oldest first."""
    after = decode_cursor(cursor, list[Any])
    limit = _limit(limit)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)

    async def compute() -> bytes:
        events = [e for e in await _changes() if since is None or e.at > since]
        if after is not None:
            events = [e for e in events if _change_key(e) > after]
        return _page(events, limit, _change_key)

    return await cached(("changes", since, cursor, limit), compute)
