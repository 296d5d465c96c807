"""Statements per request, by where they run: copy into tests/core/ and run with ``pytest -s``.

It wraps the engine's one way to the database (``PooledSQLiteEngine._run``) and drives a registration and
two judges' sheets through the in-process API with the suite's fixtures. SQLite only.
"""

from __future__ import annotations

import collections
from typing import Any

import httpx
import pytest

from accounts.sessions import SESSION_COOKIE
from core.db import engine
from core.sqlite_engine import WriteUnit
from tests.competitions.support import make_competition, make_contestants, make_people
from tests.helpers import login, new_client
from tests.scoring.entry_world import FULL, build, set_up_scoring, sheet_body

WRITES = ("INSERT", "UPDATE", "DELETE")


class Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.statements: list[str] = []
        db = engine()
        original = db._run

        async def counted(query: str, args: list[Any]) -> list[dict[str, Any]]:
            current = db.current_transaction.get()
            if isinstance(current, WriteUnit):
                where = "in a unit"
            elif current is not None:
                where = "in a read transaction"
            else:
                where = (
                    "outside (unit of its own)" if query.lstrip().upper().startswith(WRITES) else "outside"
                )
            self.counts[where] += 1
            self.statements.append(f"{where}: {' '.join(query.split())[:110]}")
            return await original(query, args)

        monkeypatch.setattr(db, "_run", counted)

    def report(self, name: str) -> None:
        print(f"\n== {name}: {dict(self.counts)}, {sum(self.counts.values())} statements")
        for statement in self.statements:
            print("   ", statement)
        self.counts.clear()
        self.statements.clear()


async def test_a_registration(app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    competition_id = await make_competition(capacity=100)
    sessions = await make_contestants(await make_people(1))
    async with new_client(app) as contestant:
        contestant.cookies.set(SESSION_COOKIE, sessions[0][1])
        counter = Counter(monkeypatch)
        response = await contestant.post(f"/api/competitions/{competition_id}/registrations", json={})
        assert response.status_code == 201, response.text
        counter.report("a registration")


async def test_judges_sheets(
    app: Any, client: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = await build(world)
    await login(client, "organizer")
    built |= await set_up_scoring(client, built)
    async with new_client(app) as judge:
        await login(judge, "judge3")
        counter = Counter(monkeypatch)
        for n, label in enumerate(["the first sheet (first mark of the competition)", "a later sheet"]):
            body = sheet_body(built, built["contestants"][n], FULL, submit=True)
            response = await judge.put("/api/judge/sheets", json=body)
            assert response.status_code == 200, response.text
            counter.report(label)
