"""Publication computes the board before its write unit on SQLite (PERF_PLAN.md section 7), and computes it
again inside the unit when anything was written in between: the published board is never an older one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts import audit
from accounts.audit import SYSTEM
from core.db import engine_name, write_transaction
from scoring import publication
from tests.scoring import factories

pytestmark = pytest.mark.skipif(
    engine_name() != "sqlite", reason="on PostgreSQL the computation stays inside the transaction"
)


def _counting_compute(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = publication.compute

    async def counted(competition_id: int) -> Any:
        calls.append(competition_id)
        return await original(competition_id)

    monkeypatch.setattr(publication, "compute", counted)
    return calls


async def _publish(organizer: httpx.AsyncClient, built: factories.Built) -> dict[str, Any]:
    await factories.sign_off(built)
    base = f"/api/competitions/{built.competition_id}/results"
    assert (await organizer.post(f"{base}/unblind")).status_code == 201
    response = await organizer.post(f"{base}/publish", json={"previous_version": 0})
    assert response.status_code == 201, response.text
    return response.json()


async def test_nothing_written_meanwhile_computes_once_outside_the_unit(
    organizer: httpx.AsyncClient, built: factories.Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_compute(monkeypatch)
    assert (await _publish(organizer, built))["version"] == 1
    assert calls == [built.competition_id]


async def test_a_write_after_the_computation_makes_the_unit_compute_again(
    organizer: httpx.AsyncClient, built: factories.Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_compute(monkeypatch)
    original = publication._prepare_outside

    async def then_a_write(competition_id: int) -> Any:
        prepared = await original(competition_id)
        assert prepared[0] is not None  # it did compute outside
        async with write_transaction():  # any audited write between the snapshot and the unit
            await audit.record(SYSTEM, "competition.transition", "competition", competition_id)
        return prepared

    monkeypatch.setattr(publication, "_prepare_outside", then_a_write)
    assert (await _publish(organizer, built))["version"] == 1
    assert calls == [built.competition_id, built.competition_id]
