"""A cache in front of the framework for the one read the public hammers: the published leaderboard.

During a final the whole venue and everyone following it reload the board; its bytes sit in
``scoring.live.results_cache`` already (evicted across processes on every publication or correction). A cache
hit needs none of the framework's work — no session, no CSRF cookie, no logging, no routing — so this ASGI
wrapper answers a hit itself and hands everything else, misses included, to the Litestar app, which loads
the board and fills the cache. The Litestar route stays the one documented in the OpenAPI schema.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar

from scoring.live import results_cache

_BOARD = re.compile(r"/api/public/competitions/(\d{1,9})/leaderboard")
_HEADERS = [(b"content-type", b"application/json")]


class PublicBoardFastLane:
    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _BOARD.fullmatch(scope["path"])
            body = results_cache.peek(int(match.group(1)), "leaderboard") if match else None
            if body is not None:
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
