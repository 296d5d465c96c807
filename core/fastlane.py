"""A cache lane in front of the framework, for the one kind of read the public hammers.

During a final the whole venue and everyone following it reload the same few bytes (the published
leaderboard). A cache hit needs none of the framework's work — no session, no CSRF cookie, no logging, no
routing — so this ASGI wrapper answers a hit itself and hands everything else, misses included, to the app,
which loads the bytes and fills its cache. The app's route stays the one documented in the OpenAPI schema.

The lane knows no domain: the composition root hands it the path it answers and ``cached(id)``, which
returns the exact bytes to serve for the id in the path, or None (then the app answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from litestar.types import ASGIApp, Receive, Scope, Send

CachedBytes = Callable[[int], bytes | None]
_HEADERS = [(b"content-type", b"application/json")]


class CacheLane:
    """``GET`` of a path matching ``path`` (its first group a numeric id) is answered from ``cached``."""

    def __init__(self, app: ASGIApp, *, path: re.Pattern[str], cached: CachedBytes) -> None:
        self.app = app
        self.path = path
        self.cached = cached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = self.path.fullmatch(scope["path"])
            body = self.cached(int(match.group(1))) if match else None
            if body is not None:
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
