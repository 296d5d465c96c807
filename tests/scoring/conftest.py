"""Fixtures the results tests share: the factory's competition and its organizer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers import login, new_client
from tests.scoring import factories


@pytest.fixture
async def built(world: dict[str, Any]) -> factories.Built:
    """The factory's competition: drawn, every sheet submitted, nothing signed off, stages ended an hour
    ago."""
    return await factories.build(world)


@pytest.fixture
async def organizer(app: object, built: factories.Built) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client
