"""Live events over a real server: Server-Sent Events reach organizers when a judge submits, and the public
when results are published. On PostgreSQL the server runs two processes (events cross them through
LISTEN/NOTIFY); on SQLite one (its memory channels backend is per process)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import ENGINE
from tests.helpers import login, new_client
from tests.scoring import factories

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def events_server(request: pytest.FixtureRequest, migrated: None) -> Iterator[str]:
    if ENGINE == "postgres":
        yield request.getfixturevalue("live_server")
    else:
        with factories.one_worker_server() as url:
            yield url


class Events:
    """An SSE stream read line by line: ``await next_event(kind)`` returns that event's data."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next_event(self, kind: str, within_s: float = 10) -> str:
        async def read() -> str:
            current = None
            async for line in self.lines:
                if line.startswith("event: "):
                    current = line.removeprefix("event: ")
                elif line.startswith("data: ") and current == kind:
                    return line.removeprefix("data: ")
            raise AssertionError(f"stream ended before {kind}")

        return await asyncio.wait_for(read(), within_s)


@contextlib.asynccontextmanager
async def events(client: httpx.AsyncClient, path: str) -> AsyncIterator[Events]:
    async with client.stream("GET", path, timeout=httpx.Timeout(30, read=30)) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Events(response)
        await stream.next_event("ready")
        yield stream


async def test_organizer_board_hears_a_judge_submit(events_server: str, world: dict[str, Any]) -> None:
    built = await factories.build(world, marks=False, competition_id=factories.fresh_competition_id())
    cid = built.competition_id
    async with new_client(base_url=events_server) as organizer, new_client(base_url=events_server) as judge:
        await login(organizer, "organizer")
        await login(judge, "judge")
        async with events(organizer, f"/api/competitions/{cid}/results/events") as stream:
            sheet = {
                "competition_id": cid,
                "stage_id": built.practical_id,
                "client_id": str(uuid.uuid4()),
                "base_version": 0,
                "blind_code": built.blind_codes[0],
                "submit": True,
                "marks": [
                    {"aspect_id": "a1", "value": "15"},
                    {"aspect_id": "a2", "value": "8"},
                    {"aspect_id": "j1", "value": "2"},
                    {"aspect_id": "d1", "value": "0.5"},
                ],
            }
            response = await judge.put("/api/judge/sheets", json=sheet)
            assert response.status_code == 200, response.text
            data = await stream.next_event("marks")
            assert f'"competition_id":{cid}' in data
        board = (await organizer.get(f"/api/competitions/{cid}/results/live")).json()
        row = next(r for r in board["rows"] if r["blind_code"] == built.blind_codes[0])
        assert (row["marks_in"], row["sheets_in"]) == (4, 2)
        assert Decimal(row["stage_scores"][str(built.practical_id)]) > 0
    async with new_client(base_url=events_server) as stranger:
        await login(stranger, "judge2")
        assert (await stranger.get(f"/api/competitions/{cid}/results/events")).status_code == 403


async def test_public_stream_hears_the_publication(events_server: str, world: dict[str, Any]) -> None:
    built = await factories.build(world, competition_id=factories.fresh_competition_id())
    await factories.sign_off(built)
    cid = built.competition_id
    async with new_client(base_url=events_server) as public, new_client(base_url=events_server) as organizer:
        await login(organizer, "organizer")
        public.cookies.clear()
        assert (await public.get(f"/api/public/competitions/{cid}/leaderboard")).status_code == 404
        async with events(public, f"/api/public/competitions/{cid}/events") as stream:
            assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
            await stream.next_event("unblinded")
            response = await organizer.post(
                f"/api/competitions/{cid}/results/publish", json={"previous_version": 0}
            )
            assert response.status_code == 201, response.text
            assert '"version":1' in await stream.next_event("published")
        # Whichever process answers, its cache was evicted: the board is there at once.
        for _ in range(4):
            board = await public.get(f"/api/public/competitions/{cid}/leaderboard")
            assert board.status_code == 200 and board.json()["version"] == 1
        assert "set-cookie" not in board.headers
    async with new_client(base_url=events_server) as anyone:
        assert (await anyone.get("/api/public/competitions/999999/events")).status_code == 404
