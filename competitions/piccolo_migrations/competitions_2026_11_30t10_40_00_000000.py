from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration (competition, status, arrival) index: a waitlist place is counted in the index"

# Every waitlisted registration answers with its place in the queue, a COUNT over the competition's
# waitlisted rows up to its arrival: with this index it reads only those index entries (PostgreSQL, SQLite
# alike). Piccolo columns declare one-column indexes only, so the SQL is written here.
INDEX = "registration_competition_status_arrival"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="competitions", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON registration (competition, status, arrival)"
        )

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
