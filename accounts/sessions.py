"""Log-in sessions kept in the database, and the middleware that turns a session cookie into a user.

Litestar's server-side session backend writes the session back on every response; a judge submitting
marks or the public reading the leaderboard would then cost a write each. This middleware (Litestar's own
authentication extension point) only reads: one indexed query per authenticated request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware

from accounts.schemas import CurrentUser
from accounts.tables import LoginSession
from core.db import Sql, utcnow

SESSION_COOKIE = "yc_session"
SESSION_LIFETIME = dt.timedelta(hours=12)  # one working day on the floor


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: str) -> str:
    """What the table keeps of a session token (to end every session of a user but the current one)."""
    return _hash(token)


async def start_session(
    user_id: int, *, expires_at: dt.datetime | None = None, origin: str = "password"
) -> str:
    """Open a session for a user; returns the token for the cookie (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    await LoginSession.insert(
        LoginSession(
            token_hash=_hash(token),
            user=user_id,
            origin=origin,
            expires_at=expires_at or utcnow() + SESSION_LIFETIME,
        )
    )
    return token


async def end_session(token: str) -> None:
    await LoginSession.delete().where(LoginSession.token_hash == _hash(token))


async def end_sessions_from(origin: str) -> None:
    """Revoke every session opened through one origin (e.g. a judge's one-time link)."""
    await LoginSession.delete().where(LoginSession.origin == origin)


async def end_sessions_of(user_id: int) -> None:
    """Log a user out everywhere (a password reset from the command line)."""
    await LoginSession.delete().where(LoginSession.user == user_id)


# Every authenticated request runs this: SQL text compiled once, a read by the unique token hash (Piccolo
# would build the joined SELECT again on every call, about as costly as the query itself).
_USER_OF_TOKEN = Sql(
    """
SELECT u.id AS id, u.username AS username, u.role AS role, u.display_name AS display_name,
  u."union" AS union_id, u.person AS person_id,
  u.must_change_password AND s.origin = 'password' AS password_change_due
FROM login_session s JOIN app_user u ON u.id = s."user"
WHERE s.token_hash = {} AND s.expires_at > {} AND u.active = {}
""",
    key_read=True,
)


async def user_of_token(token: str) -> CurrentUser | None:
    rows = await _USER_OF_TOKEN.rows(_hash(token), utcnow(), True)
    if not rows:
        return None
    row = rows[0]
    return CurrentUser(**{**row, "password_change_due": bool(row["password_change_due"])})


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        user = await user_of_token(token) if token else None
        if user is None:
            raise NotAuthorizedException("not logged in")
        return AuthenticationResult(user=user, auth=token)


def session_cookie(token: str, *, max_age: int = int(SESSION_LIFETIME.total_seconds())) -> Cookie:
    # HttpOnly: page scripts never need the token; SameSite=Lax plus the CSRF header guard writes.
    return Cookie(key=SESSION_COOKIE, value=token, max_age=max_age, httponly=True, samesite="lax", path="/")


def secure_cookies_hook(secure: bool) -> Callable[[Response[Any]], Awaitable[Response[Any]]] | None:
    """An ``after_request`` hook marking every cookie a handler sets ``Secure`` (the public origin is
    https), so the session cookie set by log-in, sign-up or a judge's link never travels in clear."""
    if not secure:
        return None

    async def mark_secure(response: Response[Any]) -> Response[Any]:
        for cookie in response.cookies:
            cookie.secure = True
        return response

    return mark_secure


def session_auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(
        SessionAuthMiddleware,
        exclude=["^/schema", "^/static", "^/favicon"],
        exclude_from_auth_key="public",
    )
