"""Fixtures the results tests share: the factory's competition and its organizer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from scoring import live, public_boards
from tests.helpers import login, new_client
from tests.scoring import factories


@pytest.fixture
async def built(world: dict[str, Any]) -> factories.Built:
    """The factory's competition: drawn, every sheet submitted, nothing signed off, stages ended an hour
    ago. Scoring's in-process caches are emptied first: ids restart in every test, a cached board doesn't."""
    live.results_cache.clear()
    public_boards.provisional_cache.clear()
    return await factories.build(world)


@pytest.fixture
async def organizer(app: object, built: factories.Built) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client
