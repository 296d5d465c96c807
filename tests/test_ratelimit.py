"""Rate limits counted in the database: per account and per address, exact under concurrency, in Chinese.

The concurrency test drives a real server (two processes on PostgreSQL) with 50 simultaneous wrong
passwords against an allowance of 10: exactly 10 reach the password check.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from litestar import Litestar

from accounts.ratelimit import (
    JUDGE_LINK_LIMIT,
    JUDGE_LINK_USE_LIMIT,
    OBJECTION_LIMIT,
    SIGNUP_LIMIT,
    RateLimit,
    count_hits,
)
from accounts.tables import RateCounter
from core.errors import TooManyRequests
from tests.conftest import ENGINE
from tests.helpers import PASSWORD, new_client
from tests.servers import running_server


async def _attempt(client: httpx.AsyncClient, username: str, password: str = "wrong-pass1") -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_login_is_limited_per_account(
    app: Litestar, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YICHENG_LOGIN_ATTEMPTS_PER_MINUTE", "3")
    async with new_client(app) as client:
        statuses = [(await _attempt(client, "organizer")).status_code for _ in range(3)]
        refused = await _attempt(client, "Organizer ")  # the same account, however it is typed
        assert statuses == [401, 401, 401]
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "rate_limited"
        assert "秒后再试" in body["message"]
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert body["detail"]["retry_after"] == retry_after
        # The right password is refused too until the window passes: guessing cannot go on.
        assert (await _attempt(client, "organizer", PASSWORD)).status_code == 429
        # Another account from the same address still logs in.
        assert (await _attempt(client, "judge", PASSWORD)).status_code == 200


async def test_login_is_limited_per_address(
    app: Litestar, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "4")
    async with new_client(app) as client:
        statuses = [(await _attempt(client, f"spray{n}")).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


async def test_a_malformed_body_is_still_counted_by_address(
    app: Litestar, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "2")
    async with new_client(app) as client:
        bad = [
            (
                await client.post(
                    "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
                )
            )
            for _ in range(3)
        ]
    assert [r.status_code for r in bad] == [400, 400, 429]


async def test_counters_keep_no_username_or_address(app: Litestar, world: dict[str, Any]) -> None:
    async with new_client(app) as client:
        await _attempt(client, "organizer")
    keys = await RateCounter.select(RateCounter.key).output(as_list=True)
    assert len(keys) == 2
    assert all(key.startswith("login:") for key in keys)
    assert not any("organizer" in key or "127.0.0.1" in key for key in keys)


async def test_a_window_that_ended_counts_from_one(db: None) -> None:
    first = await count_hits(["test:k"], window_ms=300)
    second = await count_hits(["test:k"], window_ms=300)
    assert (first["test:k"][0], second["test:k"][0]) == (1, 2)
    assert first["test:k"][1] == second["test:k"][1]  # the window does not slide
    await asyncio.sleep(0.35)
    third = await count_hits(["test:k"], window_ms=300)
    assert third["test:k"][0] == 1
    assert third["test:k"][1] > first["test:k"][1]


async def test_concurrent_counts_are_exact(db: None) -> None:
    """50 concurrent hits on two keys (on PostgreSQL over the pool's connections): each count 1..50 once."""
    results = await asyncio.gather(*(count_hits(["test:a", "test:b"], 60_000) for _ in range(50)))
    for key in ("test:a", "test:b"):
        assert sorted(result[key][0] for result in results) == list(range(1, 51))


@pytest.mark.slow
async def test_fifty_concurrent_wrong_passwords_let_exactly_ten_through(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """A real server (two processes on PostgreSQL, one on SQLite) and 50 simultaneous attempts."""
    workers = "2" if ENGINE == "postgres" else "1"
    env = {"YICHENG_LOGIN_ATTEMPTS_PER_MINUTE": "10", "YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE": "1000"}
    with running_server(tmp_path / "server.log", "--workers", workers, env=env) as base_url:
        async with new_client(base_url=base_url) as client:
            responses = await asyncio.gather(*(_attempt(client, "organizer") for _ in range(50)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 10 + [429] * 40
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 429)


def _from(address: str) -> Any:
    """What the address rule reads of a connection: its client (after the trusted-proxy rewrite)."""
    return SimpleNamespace(client=SimpleNamespace(host=address))


@pytest.mark.parametrize(
    ("limit", "allowance"),
    [(OBJECTION_LIMIT, 5), (SIGNUP_LIMIT, 7), (JUDGE_LINK_LIMIT, 7), (JUDGE_LINK_USE_LIMIT, 7)],
)
async def test_the_limits_ready_for_the_domain_routes(
    db: None, monkeypatch: pytest.MonkeyPatch, limit: RateLimit, allowance: int
) -> None:
    """Sign-up, objections and judge links adopt these with one line each (FINDINGS.md F1)."""
    monkeypatch.setenv("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "7")
    for _ in range(allowance):
        await limit(_from("198.51.100.9"), None)  # type: ignore[arg-type]
    with pytest.raises(TooManyRequests) as refused:
        await limit(_from("198.51.100.9"), None)  # type: ignore[arg-type]
    assert refused.value.headers and int(refused.value.headers["Retry-After"]) > 0
    await limit(_from("198.51.100.10"), None)  # type: ignore[arg-type]  # another address: its own count


async def test_the_judge_link_and_sign_up_routes_are_limited_per_address(
    app: Litestar, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guessed one-time link, or a sign-up flood, from one address stops at its allowance (in Chinese)."""
    monkeypatch.setenv("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "3")
    async with new_client(app) as client:
        guesses = [(await client.get(f"/judge/login?token=guess{i}")).status_code for i in range(3)]
        refused = await client.get("/judge/login?token=guess4")
        assert guesses == [400, 400, 400]
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert "频繁" in refused.json()["message"]
        # Using a link (the page's POST) has a count of its own, limited the same way.
        uses = [await client.post("/judge/login", data={"token": f"guess{i}"}) for i in range(4)]
        assert [use.status_code for use in uses] == [400, 400, 400, 429]
        signups = [
            (await client.post("/api/competitions/999999/signup", json={})).status_code for _ in range(3)
        ]
        assert 429 not in signups
        assert (await client.post("/api/competitions/999999/signup", json={})).status_code == 429
