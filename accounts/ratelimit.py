"""Rate limits counted in the database, so that every server process shares one count.

A :class:`RateLimit` names its rules: what a request is counted by (the account it tries, the client
address) and how many a minute each allows. One request is one statement,
``INSERT ... ON CONFLICT (key) DO UPDATE SET hits = hits + 1 ... RETURNING``, over all its keys at once (in
sorted key order, so that concurrent requests lock the rows in the same order): two processes can never
both read "9 of 10" and let an eleventh through. A refused request gets 429 in the one error shape with
``Retry-After``.

A limit is a guard (``guards=[LOGIN_LIMIT]``): it runs after the role guard, and may read the JSON body
(Litestar keeps it for the handler). The OpenAPI document then lists 429 for the route (core/openapi.py).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.handlers.base import BaseRouteHandler

from accounts.tables import RateCounter
from core.db import run_sql, write_transaction
from core.errors import TooManyRequests
from settings import Settings, load_settings

KeyFunction = Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[str | None]]


@dataclass(frozen=True)
class Rule:
    """Count requests by ``key`` (None: this rule does not apply), at most ``per_minute`` a window: a
    number, or a setting read when the request is counted."""

    name: str
    key: KeyFunction
    per_minute: int | Callable[[Settings], int]

    def allowance(self, settings: Settings) -> int:
        return self.per_minute if isinstance(self.per_minute, int) else self.per_minute(settings)


async def by_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The client address: the peer, or the X-Forwarded-For hop a trusted proxy vouches for (core.edge)."""
    return connection.client.host if connection.client else "unknown"


def by_json_field(field: str) -> KeyFunction:
    """A string field of the JSON body (e.g. the username a log-in tries), case-folded."""

    async def key(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
        if not isinstance(connection, Request):
            return None
        try:
            body = await connection.json()
        except Exception:  # a malformed body is the handler's to refuse; count by the other rules
            return None
        value = body.get(field) if isinstance(body, dict) else None
        return value.strip().casefold() if isinstance(value, str) and value.strip() else None

    return key


def _stored_key(limit: str, rule: str, value: str) -> str:
    # Hashed: the table must not become a log of who tried which account from where.
    return f"{limit}:{rule}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


async def count_hits(keys: list[str], window_ms: int) -> dict[str, tuple[int, int]]:
    """Count one hit on each key; returns ``{key: (hits in the current window, window end in ms)}``."""
    now = int(time.time() * 1000)
    keys = sorted(set(keys))
    rows = ", ".join("({}, 1, {})" for _ in keys)
    sql = (
        f"INSERT INTO rate_counter (key, hits, window_ends) VALUES {rows} "
        "ON CONFLICT (key) DO UPDATE SET "
        "hits = CASE WHEN rate_counter.window_ends <= {} THEN 1 ELSE rate_counter.hits + 1 END, "
        "window_ends = CASE WHEN rate_counter.window_ends <= {} "
        "THEN excluded.window_ends ELSE rate_counter.window_ends END "
        "RETURNING key, hits, window_ends"
    )
    args: list[Any] = [value for key in keys for value in (key, now + window_ms)]
    async with write_transaction():
        returned = await run_sql(sql, *args, now, now)
        if random.random() < 0.01:  # now and then, forget windows long gone
            await RateCounter.delete().where(RateCounter.window_ends < now - 3_600_000)
    return {row["key"]: (row["hits"], row["window_ends"]) for row in returned}


class RateLimit:
    """A named limit over one or more rules; every rule's count must stay within its allowance.

    The limit itself is the Litestar guard: ``guards=[LOGIN_LIMIT]``."""

    answers_429 = True  # read by core.openapi: the route documents its 429

    def __init__(self, name: str, *rules: Rule, window_seconds: int = 60) -> None:
        self.name = name
        self.rules = rules
        self.window_ms = window_seconds * 1000

    async def hit(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        """Count this request; raise :class:`TooManyRequests` when any rule is over its allowance."""
        settings = load_settings()
        allowances: dict[str, int] = {}
        for rule in self.rules:
            value = await rule.key(connection)
            if value is not None:
                allowances[_stored_key(self.name, rule.name, value)] = rule.allowance(settings)
        if not allowances:
            return
        counts = await count_hits(list(allowances), self.window_ms)
        now = int(time.time() * 1000)
        over = [ends for key, (hits, ends) in counts.items() if hits > allowances[key]]
        if over:
            raise TooManyRequests(retry_after=-(-(max(over) - now) // 1000))

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        await self.hit(connection)


def _login_allowance(settings: Settings) -> int:
    return settings.login_attempts_per_minute


def _address_allowance(settings: Settings) -> int:
    return settings.address_attempts_per_minute


PER_ADDRESS = Rule("address", by_address, _address_allowance)
OBJECTIONS_PER_MINUTE = 5  # a public notice is read by thousands; an objection is written by a few

LOGIN_LIMIT = RateLimit("login", Rule("account", by_json_field("username"), _login_allowance), PER_ADDRESS)
"""Password log-in: per account tried (guessing one password) and per address (spraying many)."""
SIGNUP_LIMIT = RateLimit("signup", PER_ADDRESS)
"""Public sign-up (competitions): per address."""
OBJECTION_LIMIT = RateLimit("objection", Rule("address", by_address, OBJECTIONS_PER_MINUTE))
"""Objections lodged during a public notice (awards): 5 a minute per address, as awards allows today."""
JUDGE_LINK_LIMIT = RateLimit("judge_link", PER_ADDRESS)
"""A judge's one-time log-in link read (``GET /judge/login?token=``): per address, against token guessing."""
JUDGE_LINK_USE_LIMIT = RateLimit("judge_link_use", PER_ADDRESS)
"""Using it (the page's POST): counted apart, so the tablets of a venue behind one address may each read
and use a link within the same allowance as when one GET did both."""


async def by_user(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The logged-in user (guards run after authentication), for limits on what one account may try."""
    user = connection.scope.get("user")
    return str(getattr(user, "id", "")) or None


PASSWORD_LIMIT = RateLimit("password", Rule("user", by_user, 10), PER_ADDRESS)
"""Changing one's own password needs the old one: 10 tries a minute per account, against guessing it."""
STAFF_IMPORT_LIMIT = RateLimit("staff_import", Rule("user", by_user, 5))
"""Importing accounts hashes a password per row (Argon2 is slow on purpose): 5 files a minute."""
