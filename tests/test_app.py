"""The composition root: start-up refuses a database the code does not match (what /health relies on)."""

from __future__ import annotations

import pytest
from piccolo.apps.migrations.tables import Migration

from app import prepare_database
from core.migrations import UnmigratedDatabase
from settings import load_settings


async def test_start_up_refuses_a_database_with_a_pending_migration(db: None) -> None:
    latest = await Migration.select().order_by(Migration.id, ascending=False).first()
    await Migration.delete().where(Migration.id == latest["id"])
    try:
        with pytest.raises(UnmigratedDatabase) as refused:
            await prepare_database(load_settings())
        assert refused.value.pending == [f"{latest['app_name']}:{latest['name']}"]
    finally:
        await Migration.insert(
            Migration(name=latest["name"], app_name=latest["app_name"], ran_on=latest["ran_on"])
        )
    await prepare_database(load_settings())  # migrated again: start-up goes on
