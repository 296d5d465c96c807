"""A submission is all or nothing: a failure midway (here the audit insert) leaves no trace of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts import audit
from accounts.tables import AuditLog
from scoring import tolerance
from scoring.tables import ScoreSheet, ScoringScheme, SheetMark, Submission, ToleranceFlag
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, set_up_scoring, sheet_body


@pytest.fixture
async def w(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    return built


async def snapshot() -> dict[str, Any]:
    return {
        "sheets": await ScoreSheet.select(ScoreSheet.id, ScoreSheet.status, ScoreSheet.version).order_by(
            ScoreSheet.id
        ),
        "marks": await SheetMark.select(SheetMark.aspect_id, SheetMark.value).order_by(SheetMark.id),
        "submissions": await Submission.count(),
        "audit": await AuditLog.count(),
        "flags": await ToleranceFlag.count(),
        "frozen": (await ScoringScheme.select(ScoringScheme.frozen_at).first())["frozen_at"],
    }


@pytest.mark.parametrize("fail_on", ["sheet.save", "sheet.submit", "scheme.freeze"])
async def test_a_failure_midway_leaves_nothing(
    app: Any, w: dict[str, Any], monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    original = audit.record

    async def failing(actor: Any, action: str, *args: Any, **kwargs: Any) -> None:
        if action == fail_on:
            raise RuntimeError("the server died here")
        await original(actor, action, *args, **kwargs)

    contestant = w["contestants"][0]
    async with new_client(app) as judge:
        await login(judge, "judge3")
        if fail_on == "sheet.submit":  # a draft first, so the failing write changes existing marks
            first = await judge.put(
                "/api/judge/sheets", json=sheet_body(w, contestant, {"a1": "10", "a3": "1"})
            )
            assert first.status_code == 200
        before = await snapshot()
        version = 1 if fail_on == "sheet.submit" else 0
        body = sheet_body(w, contestant, FULL, version=version, submit=fail_on != "sheet.save")
        monkeypatch.setattr(audit, "record", failing)
        failed = await judge.put("/api/judge/sheets", json=body)
        assert failed.status_code == 500
        assert await snapshot() == before
        # The tablet retries with the same client id once the server is back: written once, as new.
        monkeypatch.setattr(audit, "record", original)
        retried = await judge.put("/api/judge/sheets", json=body)
        assert retried.status_code == 200 and retried.headers["x-replayed"] == "0"
        assert retried.json()["status"] == ("draft" if fail_on == "sheet.save" else "submitted")
        assert await Submission.count() == before["submissions"] + 1


async def test_a_failure_in_the_tolerance_step_rolls_back_the_marks(
    app: Any, w: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tolerance, "recompute_flags", broken)
    async with new_client(app) as judge:
        await login(judge, "judge3")
        before = await snapshot()
        response = await judge.put(
            "/api/judge/sheets", json=sheet_body(w, w["contestants"][0], FULL, submit=True)
        )
        assert response.status_code == 500
        assert await snapshot() == before
