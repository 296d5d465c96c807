"""Composition root: ``create_app(settings)`` wires routes, auth, stores, errors, logging and pages.

Each domain exposes ``ROUTES`` (controllers and page handlers) from its ``routes`` module; this file is the
only place that knows them all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Router, get
from litestar.config.compression import CompressionConfig
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from piccolo.engine.postgres import PostgresEngine

from accounts.routes import ROUTES as ACCOUNT_ROUTES
from accounts.schemas import HealthOut
from accounts.security import PUBLIC, PUBLIC_READ, csrf_config, role_guard
from accounts.sessions import secure_cookies_hook, session_auth_middleware
from accounts.store import DatabaseStore
from core.bounds import input_guard
from core.db import engine, engine_name
from core.edge import Edge
from core.errors import exception_handlers
from core.fastlane import PublicBoardFastLane
from core.logs import logging_config
from core.migrations import UnmigratedDatabase, pending_migrations
from core.openapi import document_errors
from core.pages import STATIC_DIR, page
from scoring import live
from settings import Settings, check_can_serve, load_settings

logger = logging.getLogger("yicheng")


def domain_routes() -> list[Any]:
    """Every domain's routes; a domain without routes yet simply contributes nothing."""
    routes: list[Any] = list(ACCOUNT_ROUTES)
    for module in ("competitions.routes", "scoring.routes", "awards.routes"):
        try:
            imported = __import__(module, fromlist=["ROUTES"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        routes.extend(imported.ROUTES)
    return routes


PAGES = [
    page("/", "index.html", "Home page"),
    page("/login", "login.html", "Log-in page"),
    page("/audit", "audit.html", "Audit log page (organizers)"),
]


class _State:
    migrations_pending = 0


@get("/health", opt=PUBLIC_READ, summary="Liveness: database engine and migration state", tags=["system"])
async def health() -> HealthOut:
    pending = _State.migrations_pending
    return HealthOut(
        status="ok" if pending == 0 else "degraded", engine=engine_name(), migrations_pending=pending
    )


async def _on_startup() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(max_size=load_settings().db_pool_size)
    pending = await pending_migrations()
    _State.migrations_pending = len(pending)
    if pending:
        raise UnmigratedDatabase(pending)


async def _on_shutdown() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


def create_app(settings: Settings | None = None, *, extra_routes: Sequence[Any] = ()) -> Litestar:
    settings = settings or load_settings()
    application = Litestar(
        route_handlers=[
            health,
            *PAGES,
            *domain_routes(),
            create_static_files_router(path="/static", directories=[STATIC_DIR], opt=PUBLIC),
            *extra_routes,
        ],
        plugins=[live.channels_plugin(settings)],
        on_startup=[_on_startup],
        on_shutdown=[_on_shutdown],
        # The role guard first: a caller without the role gets 401/403 before any parameter is looked at.
        guards=[role_guard, input_guard],
        after_request=secure_cookies_hook(settings.secure_cookies),
        csrf_config=csrf_config(settings),
        stores={"rate_limit": DatabaseStore("rate_limit")},
        exception_handlers=exception_handlers(),
        middleware=[
            session_auth_middleware(),
            LoggingMiddlewareConfig(
                request_log_fields=("path", "method", "query"),
                response_log_fields=("status_code",),
                # Public reads are what the crowd hammers (and the load balancer logs them): logging each one
                # would cost more than serving it from the cache.
                exclude=["^/health$", "^/static", "^/api/public/"],
            ).middleware,
        ],
        logging_config=logging_config(debug=settings.debug),
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        openapi_config=OpenAPIConfig(
            title="亦城职工技能竞赛与工匠评选平台 API",
            version="1.0.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC),
        ),
        debug=settings.debug,
    )
    document_errors(application)
    methods = {r.path_format: set(r.methods) for r in application.routes if isinstance(r, HTTPRoute)}
    application.asgi_handler = Edge(application.asgi_handler, settings.proxy_networks, methods)
    return application


def create_server_app(settings: Settings | None = None) -> PublicBoardFastLane:
    """What the server runs: the app behind the public board's cache lane (see core/fastlane.py).

    Refuses unsafe settings (the development secret outside debug, several SQLite processes) even when a
    server is started without ``yicheng serve``."""
    settings = settings or load_settings()
    check_can_serve(settings)
    return PublicBoardFastLane(create_app(settings))
