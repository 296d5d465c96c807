"""Composition root: ``create_app(settings)`` wires routes, auth, stores, errors, logging and pages.

Each domain exposes ``ROUTES`` (controllers and page handlers) from its ``routes`` module; this file is the
only place that knows them all, and it hands the core what the core must not import: the server's cache
lane gets the public board's path and scoring's cache (see :func:`with_cache_lane`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from litestar import Litestar, Router, get
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import Redirect
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from piccolo.engine.postgres import PostgresEngine

from accounts.privacy import PersonalData
from accounts.routes import ROUTES as ACCOUNT_ROUTES
from accounts.schemas import HealthOut
from accounts.security import PUBLIC, PUBLIC_READ, csrf_config, role_guard
from accounts.sessions import secure_cookies_hook, session_auth_middleware
from awards.privacy import SOURCE as AWARD_DATA
from awards.routes import ROUTES as AWARD_ROUTES
from competitions.privacy import SOURCE as COMPETITION_DATA
from competitions.routes import ROUTES as COMPETITION_ROUTES
from core import offload
from core.access_log import AccessLog
from core.bounds import input_guard
from core.compression import SmallResponsesAsIs
from core.db import engine, engine_name, wait_for_database
from core.edge import Edge
from core.errors import exception_handlers
from core.fastlane import CacheLane
from core.heap import freeze_startup_heap
from core.logs import logging_config
from core.migrations import UnmigratedDatabase, pending_migrations
from core.openapi import document_errors
from core.pages import STATIC_DIR, page
from reports.routes import ROUTES as REPORT_ROUTES
from scoring import live
from scoring.privacy import SOURCE as SCORING_DATA
from scoring.routes import ROUTES as SCORING_ROUTES
from settings import Settings, check_can_serve, load_settings

logger = logging.getLogger("yicheng")

DOMAIN_ROUTES: list[Any] = [*ACCOUNT_ROUTES, *COMPETITION_ROUTES, *SCORING_ROUTES, *AWARD_ROUTES]


def personal_data() -> PersonalData:
    """What each domain holds about people (PIPL rights, retention), in layer order; handed to the
    accounts routes as the ``personal_data`` dependency and used by ``yicheng purge-expired``. Reports
    has no tables of its own: it reads these domains' rows, so it holds nothing to show or erase."""
    return PersonalData((COMPETITION_DATA, SCORING_DATA, AWARD_DATA))


PAGES = [
    page("/", "index.html", "Home page"),
    page("/login", "login.html", "Log-in page"),
    page("/audit", "audit.html", "Audit log page (organizers)"),
    # Above /static so that it may control /judge and /review (a service worker's scope is its directory).
    page("/tablet-sw.js", "js/tablet-sw.js", "Tablets' service worker", media_type="text/javascript"),
]


@get("/favicon.ico", opt=PUBLIC_READ, include_in_schema=False, status_code=301)
async def favicon() -> Redirect:
    # For clients that ask for it regardless of the pages' <link rel="icon"> (bookmarks, some tab code).
    return Redirect("/static/favicon.svg", status_code=301)


@get("/health", opt=PUBLIC_READ, summary="Liveness: database engine and migration state", tags=["system"])
async def health() -> HealthOut:
    # prepare_database refuses to start on pending migrations: a process that answers has none.
    return HealthOut(status="ok", engine=engine_name(), migrations_pending=0)


async def prepare_database(settings: Settings) -> None:
    """On start-up: the database waited for while it is out of reach, the PostgreSQL pool opened, and a
    database the code does not match refused."""
    db = engine()
    await wait_for_database(settings.db_start_wait_s)
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(max_size=settings.db_pool_size)
    pending = await pending_migrations()
    if pending:
        raise UnmigratedDatabase(pending)


async def _on_shutdown() -> None:
    offload.shutdown()
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


def create_app(settings: Settings | None = None, *, extra_routes: Sequence[Any] = ()) -> Litestar:
    settings = settings or load_settings()
    application = Litestar(
        route_handlers=[
            health,
            favicon,
            *PAGES,
            *DOMAIN_ROUTES,
            *REPORT_ROUTES,
            create_static_files_router(path="/static", directories=[STATIC_DIR], opt=PUBLIC),
            *extra_routes,
        ],
        plugins=[live.channels_plugin(settings)],
        dependencies={"personal_data": Provide(personal_data, use_cache=True, sync_to_thread=False)},
        on_startup=[partial(prepare_database, settings), live.attach, freeze_startup_heap],
        on_shutdown=[live.detach, _on_shutdown],
        # The role guard first: a caller without the role gets 401/403 before any parameter is looked at.
        guards=[role_guard, input_guard],
        after_request=secure_cookies_hook(settings.secure_cookies),
        csrf_config=csrf_config(settings),
        exception_handlers=exception_handlers(),
        middleware=[
            # Outermost, so that a request the session check refuses is logged too. Public reads are what
            # the crowd hammers (and the load balancer logs them): logging each would cost more than
            # serving it from the cache.
            AccessLog(exclude=["^/health$", "^/static", "^/api/public/"]),
            session_auth_middleware(),
        ],
        logging_config=logging_config(debug=settings.debug),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=2048, middleware_class=SmallResponsesAsIs
        ),
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


# The published leaderboard is what the public hammers; its bytes sit in scoring's results cache, which
# publication, correction and unblinding evict in every process.
PUBLIC_BOARD_PATH = re.compile(r"/api/public/competitions/(\d{1,9})/leaderboard")


def _cached_board(competition_id: int) -> bytes | None:
    return live.results_cache.peek(competition_id, "leaderboard")


def with_cache_lane(app: Litestar) -> CacheLane:
    """The app behind the public board's cache lane (core/fastlane.py): a cached board skips the framework."""
    return CacheLane(app, path=PUBLIC_BOARD_PATH, cached=_cached_board)


def create_server_app(settings: Settings | None = None) -> CacheLane:
    """What the server runs: the app behind the cache lane.

    Refuses unsafe settings (the development secret outside debug, several SQLite processes) even when a
    server is started without ``yicheng serve``."""
    settings = settings or load_settings()
    check_can_serve(settings)
    return with_cache_lane(create_app(settings))
