"""Fixtures the browser tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ENGINE
from tests.scoring import factories


@pytest.fixture(scope="session")
def results_server(request: pytest.FixtureRequest, migrated: None) -> Iterator[str]:
    """The server for pages that follow live events: two processes on PostgreSQL (events cross them through
    NOTIFY); one on SQLite (its memory channels reach only their own process)."""
    if ENGINE == "postgres":
        yield request.getfixturevalue("live_server")
    else:
        with factories.one_worker_server() as url:
            yield url
