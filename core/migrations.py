"""Migration state, checked at start-up so the app never runs on a database it does not match."""

from __future__ import annotations

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards


async def pending_migrations() -> list[str]:
    statuses = await CheckMigrationManager(app_name="all").get_migration_statuses()
    return [f"{s.app_name}:{s.migration_id}" for s in statuses if not s.has_ran]


async def migrate() -> None:
    """Apply every pending migration of every app, in dependency order."""
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


class UnmigratedDatabase(RuntimeError):
    def __init__(self, pending: list[str]) -> None:
        super().__init__(
            f"the database has {len(pending)} pending migration(s) ({', '.join(pending[:3])}...); "
            "run `make migrate` (or `yicheng migrate`) first"
        )
        self.pending = pending
