"""Piccolo's configuration: the engine chosen from the settings, and the registry of domain apps.

Piccolo looks this module up through the ``PICCOLO_CONF`` environment variable (default: ``piccolo_conf``),
so the engine is fixed per process when it is first imported: tests and tools set
``YICHENG_DATABASE_URL`` before anything imports a table.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from core.postgres_engine import PooledPostgresEngine
from core.sqlite_engine import PooledSQLiteEngine
from settings import Settings, load_settings

# The order is the order of dependency: accounts <- competitions <- scoring <- awards.
DOMAIN_APPS = [
    "accounts.piccolo_app",
    "competitions.piccolo_app",
    "scoring.piccolo_app",
    "awards.piccolo_app",
]


def build_engine(settings: Settings) -> Engine:
    if settings.engine == "postgres":
        return PooledPostgresEngine(
            config={"dsn": settings.database_url},
            pool_size=settings.db_pool_size,
            extensions=(),
            log_queries=False,
        )
    # timeout: how long a connection waits for another process's lock (sqlite3's busy timeout), in seconds.
    return PooledSQLiteEngine(
        settings.sqlite_path, readers=settings.sqlite_readers, timeout=30, check_same_thread=False
    )


DB = build_engine(load_settings())
APP_REGISTRY = AppRegistry(apps=DOMAIN_APPS)
