"""Fixtures the awards tests share: the standard world's organizer and union officer, logged in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers import login, new_client


@pytest.fixture
async def organizer(app: object, world: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client


@pytest.fixture
async def officer(app: object, world: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as client:
        await login(client, "officer")
        yield client
