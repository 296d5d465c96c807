"""The public boards, read by the public and the venue screen: no log-in, no personal data beyond what
publication makes public.

The public leaderboard, the open document and the list of published competitions are served as the exact
bytes stored with the publication, from :data:`scoring.live.results_cache`; a publication or correction
evicts them in every process (:func:`scoring.live.results_changed`). The provisional public board (blind
codes only) is recomputed at most once per :data:`PROVISIONAL_TTL_S` per process.
"""

from __future__ import annotations

import msgspec

from core.cache import LoadingCache
from core.db import utcnow
from core.errors import NotFound
from scoring import live
from scoring.results import as_bytes, competition_head, compute, latest_publication
from scoring.results_schemas import CompetitionHead, ProvisionalBoard, ProvisionalRow, PublishedCompetition
from scoring.tables import Publication

PROVISIONAL_TTL_S = 2.0


# The provisional board per competition for a short time: one loader per competition, so a burst of screens
# after a mark costs one computation; bounded, and an unknown id raises in the loader and leaves nothing.
provisional_cache: LoadingCache[int] = LoadingCache(ttl=PROVISIONAL_TTL_S, max_entries=1024)


async def _latest_published(competition_id: int, column: str, cache_name: str, not_published: str) -> bytes:
    """One column of the latest publication, as stored, through the shared cache: one dict lookup on a
    hit, no query, no encoding. "Not published yet" is cached too, until the first publication evicts it;
    an unknown competition is a 404 that is not cached."""

    async def load() -> bytes:
        row = (
            await Publication.select(getattr(Publication, column))
            .where(Publication.competition == competition_id)
            .order_by(Publication.version, ascending=False)
            .first()
        )
        if row is None:
            await competition_head(competition_id)
            return b""
        return as_bytes(row[column])

    body = await live.results_cache.get_or_load(competition_id, cache_name, load)
    if not body:
        raise NotFound(not_published, code="not_published")
    return body


async def public_leaderboard(competition_id: int) -> bytes:
    """The latest published leaderboard, as stored (the fast lane serves the same cached bytes)."""
    return await _latest_published(competition_id, "results", "leaderboard", "该竞赛的成绩尚未发布")


async def open_document(competition_id: int) -> bytes:
    """The open results document of the latest publication, as stored."""
    return await _latest_published(
        competition_id, "document", "open-document", "该竞赛的成绩尚未发布，公开成绩文件在发布后提供"
    )


async def published_competitions() -> bytes:
    """Every competition with published results, newest publication first (latest version each)."""

    async def load() -> bytes:
        rows = await Publication.select(
            Publication.competition.as_alias("competition_id"),
            Publication.competition.title.as_alias("title"),
            Publication.competition.occupation.as_alias("occupation"),
            Publication.competition.venue.as_alias("venue"),
            Publication.version,
            Publication.published_at,
        ).order_by(Publication.version)
        latest: dict[int, PublishedCompetition] = {}
        for row in rows:
            head = CompetitionHead(
                id=row["competition_id"], title=row["title"], occupation=row["occupation"], venue=row["venue"]
            )
            latest[row["competition_id"]] = PublishedCompetition(
                competition=head, version=row["version"], published_at=row["published_at"]
            )
        ordered = sorted(latest.values(), key=lambda p: p.published_at, reverse=True)
        return msgspec.json.encode(ordered)

    return await live.results_cache.get_or_load(live.PUBLISHED_LIST, "published", load)


async def provisional_board(competition_id: int) -> bytes:
    """Blind codes, provisional scores and completeness only: the venue screen before publication."""

    async def load() -> bytes:
        computed = await compute(competition_id)
        latest = await latest_publication(competition_id)
        rows = [
            ProvisionalRow(
                rank=result.rank,
                blind_code=computed.inputs.blind[result.subject_id][1],
                final_score=computed.fmt(result.final_score),
                marks_in=computed.completeness[result.subject_id].marks_in,
                marks_expected=computed.completeness[result.subject_id].marks_expected,
                complete=result.complete,
                disqualified=result.disqualified,
            )
            for result in computed.board.results
        ]
        board = ProvisionalBoard(
            competition=computed.competition,
            published_version=None if latest is None else latest["version"],
            stages=computed.stages,
            rows=rows,
            as_of=utcnow(),
        )
        return msgspec.json.encode(board)

    return await provisional_cache.get_or_load(competition_id, load)
