"""The cache lane answers a cached GET of its path itself and hands everything else to the app."""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.fastlane import CacheLane

CACHED = {7: b'{"board": 7}'}


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = f"app {scope['method']} {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def _client() -> httpx.AsyncClient:
    lane = CacheLane(_app, path=re.compile(r"/boards/(\d{1,9})"), cached=CACHED.get)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=lane), base_url="http://t")


async def test_a_cached_read_is_answered_by_the_lane() -> None:
    async with _client() as client:
        hit = await client.get("/boards/7")
    assert (hit.status_code, hit.content) == (200, CACHED[7])
    assert (hit.headers["content-type"], hit.headers["content-length"]) == (
        "application/json",
        str(len(CACHED[7])),
    )


async def test_misses_other_paths_and_other_methods_go_to_the_app() -> None:
    async with _client() as client:
        assert (await client.get("/boards/8")).text == "app GET /boards/8"  # not cached
        assert (
            await client.get("/boards/7/more")
        ).text == "app GET /boards/7/more"  # the whole path must match
        assert (await client.get("/other")).text == "app GET /other"
        assert (await client.post("/boards/7")).text == "app POST /boards/7"
