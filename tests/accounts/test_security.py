"""Every route is guarded: 401 without log-in, 403 for a role it does not allow; CSRF; rate limit."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from accounts.rules import ALL_ROLES
from tests.helpers import PASSWORD, login, new_client

ROLE_USERS = {
    "organizer": "organizer",
    "judge": "judge",
    "union_officer": "officer",
    "expert": "expert",
    "contestant": "contestant",
}


def guarded_endpoints(app: Litestar) -> list[tuple[str, str, frozenset[str]]]:
    """(method, path with dummy parameters, roles) of every non-public API handler."""
    endpoints = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            opt = handler.opt
            if opt.get("public") or handler.http_methods == {"OPTIONS"}:
                continue
            path = re.sub(r"\{[^}:]+:(int)\}", "999999", route.path)
            path = re.sub(r"\{[^}:]+(:[a-z]+)?\}", "x", path)
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                endpoints.append((method, path, frozenset(opt.get("roles") or ())))
    return endpoints


def test_every_route_declares_its_audience(app: Litestar) -> None:
    """A new route without ``PUBLIC`` or ``allow(...)`` fails here (and the guard refuses it anyway)."""
    undeclared = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if route.path.startswith(("/schema", "/static")) or handler.http_methods == {"OPTIONS"}:
                continue
            if not handler.opt.get("public") and not handler.opt.get("roles"):
                undeclared.append(f"{sorted(handler.http_methods)} {route.path}")
    assert undeclared == []


async def test_every_guarded_route_refuses_anonymous_with_401(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    endpoints = guarded_endpoints(app)
    assert len(endpoints) >= 10
    for method, path, _ in endpoints:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "not_authenticated"


async def test_every_guarded_route_refuses_other_roles_with_403(app: Litestar, world: dict[str, Any]) -> None:
    endpoints = guarded_endpoints(app)
    for role, username in ROLE_USERS.items():
        async with new_client(app) as client:
            await login(client, username)
            for method, path, roles in endpoints:
                if role in roles:
                    continue
                response = await client.request(method, path, json={})
                assert response.status_code == 403, (role, method, path, response.text)
                assert response.json()["code"] == "forbidden"


async def test_allowed_roles_get_past_the_guard(app: Litestar, world: dict[str, Any]) -> None:
    """The reverse check: an allowed role is never refused with 401/403 by the guard itself."""
    for role, username in ROLE_USERS.items():
        async with new_client(app) as client:
            await login(client, username)
            for method, path, roles in guarded_endpoints(app):
                if role not in roles or method != "GET":
                    continue
                response = await client.request(method, path)
                assert response.status_code not in (401, 500), (role, path, response.text)


async def test_wrong_password_is_401_and_names_nothing(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    response = await client.post("/api/auth/login", json={"username": "organizer", "password": "wrong-pass1"})
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


async def test_logout_ends_the_session(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    assert (await client.get("/api/auth/me")).status_code == 200
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.get("/api/auth/me")).json() is None


async def test_deactivated_user_loses_the_session(
    client: httpx.AsyncClient, app: Litestar, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    async with new_client(app) as judge:
        await login(judge, "judge")
        user = next(u for u in (await client.get("/api/users/")).json() if u["username"] == "judge")
        response = await client.patch(
            f"/api/users/{user['id']}", json={"version": user["version"], "active": False}
        )
        assert response.status_code == 200
        assert (await judge.get("/api/auth/me")).json() is None


async def test_write_without_csrf_token_is_refused(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    response = await client.post(
        "/api/unions/", json={"name": "丙公司工会", "kind": "enterprise"}, headers={"x-csrftoken": "forged"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    audit = (await client.get("/api/audit/", params={"action": "union.create"})).json()
    assert all(item["after"]["name"] != "丙公司工会" for item in audit["items"])


async def test_login_is_rate_limited(app: Litestar, world: dict[str, Any]) -> None:
    from settings import load_settings

    limit = load_settings().login_attempts_per_minute
    async with new_client(app) as client:
        statuses = []
        for _ in range(limit + 2):
            response = await client.post(
                "/api/auth/login", json={"username": "organizer", "password": "nope-123"}
            )
            statuses.append(response.status_code)
        assert statuses[:limit] == [401] * limit
        assert statuses[-1] == 429
        assert response.json()["code"] == "rate_limited"
        # Even the right password is refused until the window passes.
        right = await client.post("/api/auth/login", json={"username": "organizer", "password": PASSWORD})
        assert right.status_code == 429


async def test_no_endpoint_returns_a_password(app: Litestar, world: dict[str, Any]) -> None:
    async with new_client(app) as client:
        me = await login(client, "organizer")
        bodies = [str(me)]
        for method, path, roles in guarded_endpoints(app):
            if method == "GET" and "organizer" in roles and "999999" not in path:
                bodies.append((await client.get(path)).text)
        created = await client.post(
            "/api/users/",
            json={
                "username": "newjudge",
                "password": "Sup3rSecret",
                "role": "judge",
                "display_name": "新裁判",
            },
        )
        bodies.append(created.text)
    joined = "\n".join(bodies)
    assert "Sup3rSecret" not in joined and PASSWORD not in joined
    assert "password" not in joined and "$argon2" not in joined


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_every_role_has_a_test_user(role: str) -> None:
    assert role in ROLE_USERS
