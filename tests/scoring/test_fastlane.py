"""The public board's cache lane answers hits itself, falls through on a miss, never serves evicted bytes."""

from __future__ import annotations

from typing import Any

import httpx

from accounts.tables import User
from app import with_cache_lane
from competitions.tables import Competition
from core.db import utcnow, write_transaction
from scoring import live
from scoring.tables import Publication


async def _publish(competition_id: int, version: int, results: str) -> None:
    organizer = await User.select(User.id).where(User.username == "organizer").first()
    async with write_transaction():
        await Publication.insert(
            Publication(
                competition=competition_id,
                publication_key=f"{competition_id}:{version}",
                version=version,
                published_by=organizer["id"],
                published_at=utcnow(),
                results=results,
                document="{}",
            )
        )


async def test_hits_come_from_the_lane_and_evictions_reach_it(app: Any, world: dict[str, Any]) -> None:
    now = utcnow()
    competition = Competition(
        title="快速通道",
        occupation="电工",
        industry="other",
        registration_opens_at=now,
        registration_closes_at=now,
    )
    await competition.save()
    lane = with_cache_lane(app)  # the server's wiring: scoring's cache behind core's lane
    url = f"/api/public/competitions/{competition.id}/leaderboard"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=lane), base_url="http://t") as client:
        assert (await client.get(url)).status_code == 404  # not published: the framework answers
        assert live.results_cache.peek(competition.id, "leaderboard") is None
        await _publish(competition.id, 1, '{"version": 1}')
        await live.results_changed(competition.id, "published", 1)
        first = await client.get(url)  # a miss: Litestar loads and fills the cache
        assert first.json() == {"version": 1}
        assert live.results_cache.peek(competition.id, "leaderboard") == first.content
        hit = await client.get(url)  # a hit: the lane answers with the same bytes
        assert (hit.status_code, hit.content, hit.headers["content-type"]) == (
            200,
            first.content,
            "application/json",
        )
        await _publish(competition.id, 2, '{"version": 2}')
        await live.results_changed(competition.id, "corrected", 2)
        assert (await client.get(url)).json() == {"version": 2}  # evicted: never the stale board
        assert (await client.get("/health")).status_code == 200  # everything else goes to the app
