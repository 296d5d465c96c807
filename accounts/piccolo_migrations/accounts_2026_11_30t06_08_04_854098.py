from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T06:08:04:854098"
VERSION = "1.38.0"
DESCRIPTION = "store_entry dropped: the rate limits count in rate_counter, nothing uses the key-value store"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.drop_table(
        class_name="StoreEntry", tablename="store_entry", schema=None
    )

    return manager
