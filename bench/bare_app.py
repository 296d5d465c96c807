"""The framework's ceiling: a bare Litestar app returning the same JSON as ``GET /health`` and, for reads
whose size matters, the same bytes as another endpoint (``YICHENG_BENCH_BODY_FILE``)."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from litestar import Litestar, Response, get


class Health(msgspec.Struct):
    status: str
    engine: str
    migrations_pending: int


@get("/health")
async def health() -> Health:
    return Health(status="ok", engine="sqlite", migrations_pending=0)


def create_app() -> Litestar:
    body_file = os.environ.get("YICHENG_BENCH_BODY_FILE")
    body = Path(body_file).read_bytes() if body_file else b"{}"

    @get("/body")
    async def same_bytes() -> Response[bytes]:
        return Response(content=body, media_type="application/json")

    return Litestar(route_handlers=[health, same_bytes])
