"""The framework's ceiling: a bare Litestar app returning the same JSON as ``GET /health``."""

from __future__ import annotations

import msgspec
from litestar import Litestar, get


class Health(msgspec.Struct):
    status: str
    engine: str
    migrations_pending: int


@get("/health")
async def health() -> Health:
    return Health(status="ok", engine="sqlite", migrations_pending=0)


def create_app() -> Litestar:
    return Litestar(route_handlers=[health])
