"""This branch's migrations upgrade a database that already holds data (SQLite, or PostgreSQL when the run
uses it): the old rows survive, an old rubric and an old publication read as before, the new tables work."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.migration_upgrade import LATER, NEW, ROOT

ENGINE = os.environ.get("YICHENG_TEST_ENGINE", "sqlite")


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(os.environ["YICHENG_TEST_POSTGRES_URL"])
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _run(url: str) -> dict[str, object]:
    env = {**os.environ, "YICHENG_DATABASE_URL": url, "PICCOLO_CONF": "piccolo_conf"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.migration_upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_new_migrations_upgrade_a_database_holding_data() -> None:
    if ENGINE == "postgres":
        name = f"yicheng_upgrade_{secrets.token_hex(4)}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        url = urlunsplit(urlsplit(os.environ["YICHENG_TEST_POSTGRES_URL"])._replace(path=f"/{name}"))
        try:
            result = _run(url)
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = _run(f"sqlite:///{Path(folder) / 'upgrade.sqlite3'}")
    new = {f"{app}:{migration}" for app, migration in [*NEW.items(), *LATER.items()]}
    assert new <= set(result["pending_before"])
    assert result["pending_after"] == []
    assert result["programme"] == ["旧评选", "北京经济技术开发区总工会", ""]
    assert result["skill_level"] == 3 and result["current_levels"] == {"1": 3}
    assert result["store_entry"] is False and result["blob"] == "%PDF-"
    assert result["rules_teams"] is True and result["tiers"] == [1, 1, 1]
    assert result["board_teams"] == []
    # A rubric stored before signed ranges reads as before; the absence table takes rows on old data.
    assert result["old_aspect"] == ["0", None, "weighted"] and result["absences"] == 1
    assert (result["teams"], result["members"], result["confirmations"], result["history"]) == (1, 0, 0, 1)
