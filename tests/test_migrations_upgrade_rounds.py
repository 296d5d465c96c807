"""The rounds migration upgrades a database that holds contestants' facts (SQLite, or PostgreSQL when the
run uses it): old rows keep what they held and read as not cut; closings can be stored and read."""

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

from tests.migration_upgrade import ROOT
from tests.migration_upgrade_rounds import ROUNDS_MIGRATION
from tests.test_migrations_upgrade import ENGINE, _admin


def _run(url: str) -> dict[str, object]:
    env = {**os.environ, "YICHENG_DATABASE_URL": url, "PICCOLO_CONF": "piccolo_conf"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.migration_upgrade_rounds"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_rounds_migration_upgrades_a_database_holding_facts() -> None:
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
    assert f"scoring:{ROUNDS_MIGRATION}" in result["pending_before"]
    assert result["pending_after"] == []
    assert result["time_used"] == "1234.5" and result["disqualified"] is True
    assert result["eliminated_after"] is None
    assert result["closings"] == [["r1", [1]]]
