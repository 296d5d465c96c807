"""What callers may do: passwords, CSRF and the role guard (rate limits: accounts/ratelimit.py).

Every route declares its audience in ``opt``: :data:`PUBLIC`, or :func:`allow` with the roles that may
call it. One app-wide guard enforces it and fails closed, so a route that declares neither is refused
to everyone (and the route-table test names it).
"""

from __future__ import annotations

from typing import Any

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from core.errors import Forbidden
from settings import Settings

PUBLIC: dict[str, Any] = {"public": True}
# A public read that mints no CSRF cookie: machine and public-data endpoints hammered by clients that
# never write (load balancer, the public leaderboard). Pages keep PUBLIC so a visitor gets the cookie.
PUBLIC_READ: dict[str, Any] = {"public": True, "exclude_from_csrf": True}
# Routes a user with a temporary password may still call (change it, log out), when the session was opened
# with that password (a judge's one-time link at the venue is not held up by it): ``opt={**allow(...),
# **PASSWORD_CHANGE}``. Everything else answers 403 ``password_change_required`` until it is changed.
PASSWORD_CHANGE: dict[str, Any] = {"password_change": True}
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"

_hasher = PasswordHasher()


def allow(*roles: Role) -> dict[str, Any]:
    """The ``opt`` of a route that the given roles may call."""
    return {"roles": frozenset(roles)}


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow: keep it off the event loop.
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


async def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async on purpose: Litestar runs a sync guard in a worker thread, which costs more than the check.
    # Litestar's own OPTIONS handler (one per path) answers only the Allow header; the auth middleware skips
    # OPTIONS, so there is no user to check.
    if handler.opt.get("public") or handler.http_methods == {"OPTIONS"}:
        return
    roles = handler.opt.get("roles")
    user = connection.user
    if not roles or not isinstance(user, CurrentUser) or user.role not in roles:
        raise PermissionDeniedException("role not allowed")
    if user.password_change_due and not handler.opt.get("password_change"):
        raise Forbidden(
            "您正在使用临时密码，请先修改密码后再继续操作", code="password_change_required", field="password"
        )


def actor_of(user: CurrentUser) -> Actor:
    return Actor(user.id, user.display_name, user.role)


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_samesite="lax",
        cookie_secure=settings.secure_cookies,
    )
