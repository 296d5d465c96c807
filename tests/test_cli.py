"""The ``yicheng`` command: safe start-up, demo data only when asked, creating an organizer.

Each test runs the real command (``python cli.py ...``) over the test database of this run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from accounts.tables import AuditLog, Person, User
from app import create_server_app
from settings import DEV_SECRET_KEY, SettingsError, load_settings
from tests.conftest import ROOT
from tests.helpers import PASSWORD, login, new_client
from tests.servers import running_server

NEW_PASSWORD = "Wb2026-kaifaqu"


def yicheng(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    environ = {key: value for key, value in environ.items() if value != "<unset>"}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- start-up ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "run"])
def test_no_secret_key_refuses_to_start_naming_the_variable(command: str) -> None:
    result = yicheng(command, env={"YICHENG_SECRET_KEY": "<unset>", "YICHENG_DEBUG": "<unset>"})
    assert result.returncode != 0
    assert "YICHENG_SECRET_KEY" in result.stderr
    assert "serving on" not in result.stdout


def test_the_committed_development_key_is_refused_outside_debug() -> None:
    result = yicheng("serve", env={"YICHENG_SECRET_KEY": DEV_SECRET_KEY})
    assert result.returncode != 0 and "YICHENG_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--workers", "2"], {}),
        (["serve"], {"YICHENG_WORKERS": "3"}),
        (["run", "--workers", "2"], {}),
    ],
)
def test_several_processes_on_sqlite_are_refused(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'never-created.sqlite3'}"
    result = yicheng(*args, env={"YICHENG_DATABASE_URL": database, **env})
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr and "YICHENG_WORKERS" in result.stderr
    assert not (tmp_path / "never-created.sqlite3").exists()  # refused before migrating anything


def test_the_server_factory_refuses_unsafe_settings_too() -> None:
    """Granian or uvicorn started by hand on ``app:create_server_app`` is refused the same way."""
    with pytest.raises(SettingsError, match="YICHENG_SECRET_KEY"):
        create_server_app(load_settings({}))
    with pytest.raises(SettingsError, match="PostgreSQL"):
        create_server_app(load_settings({"YICHENG_DEBUG": "1", "YICHENG_WORKERS": "2"}))


async def test_run_without_demo_loads_no_demo_data(db: None, tmp_path: Path) -> None:
    """``yicheng run`` migrates and serves an empty database as it is: no demo users sharing a password."""
    with running_server(tmp_path / "server.log", command="run") as base_url:
        async with new_client(base_url=base_url) as client:
            response = await client.post(
                "/api/auth/login", json={"username": "organizer", "password": "yicheng2026"}
            )
    assert response.status_code == 401
    assert await Person.count() == 0 and await User.count() == 0


@pytest.mark.slow
async def test_demo_command_loads_the_demo_once(db: None) -> None:
    result = yicheng("demo")
    assert result.returncode == 0, result.stderr
    assert "demo data loaded" in result.stdout
    assert await User.exists().where(User.username == "organizer")
    people = await Person.count()
    again = yicheng("demo")
    assert "left alone" in again.stdout and await Person.count() == people


# --- create-organizer -------------------------------------------------------------------------------------


async def test_create_organizer_from_the_environment(app: Litestar, db: None) -> None:
    result = yicheng(
        "create-organizer",
        "zhanghua",
        "--name",
        "区总工会劳动竞赛部",
        env={"YICHENG_ORGANIZER_PASSWORD": NEW_PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert NEW_PASSWORD not in result.stdout + result.stderr
    async with new_client(app) as client:
        me = await login(client, "zhanghua", NEW_PASSWORD)
        assert (me["role"], me["display_name"]) == ("organizer", "区总工会劳动竞赛部")
        audit = (await client.get("/api/audit/", params={"action": "user.create"})).json()["items"]
    assert [(a["entity_id"], a["actor_name"]) for a in audit] == [(str(me["id"]), "命令行 create-organizer")]
    stored = await User.select(User.password_hash).where(User.username == "zhanghua").first()
    assert stored["password_hash"].startswith("$argon2id$")


async def test_create_organizer_resets_an_organizer_from_stdin(app: Litestar, world: dict[str, Any]) -> None:
    async with new_client(app) as old_session:
        await login(old_session, "organizer")
        result = yicheng(
            "create-organizer",
            "organizer",
            "--name",
            "新组织者",
            stdin=NEW_PASSWORD + "\n",
            env={"YICHENG_ORGANIZER_PASSWORD": "<unset>"},
        )
        assert result.returncode == 0, result.stderr
        assert "reset" in result.stdout
        assert (await old_session.get("/api/auth/me")).json() is None  # every session ended
    async with new_client(app) as client:
        refused = await client.post("/api/auth/login", json={"username": "organizer", "password": PASSWORD})
        assert refused.status_code == 401
        me = await login(client, "organizer", NEW_PASSWORD)
        assert me["display_name"] == "新组织者"
    row = await AuditLog.select().where(AuditLog.action == "user.update").first()
    assert (row["actor_name"], row["reason"]) == ("命令行 create-organizer", "重置密码")


@pytest.mark.parametrize(
    ("username", "password", "says"),
    [
        ("judge", NEW_PASSWORD, "not an organizer"),  # another role: never promoted silently
        ("newbie", "123", "create-organizer refused"),  # too weak
        ("bad name!", NEW_PASSWORD, "create-organizer refused"),
        ("newbie", "", "create-organizer refused"),
    ],
)
async def test_create_organizer_refusals_change_nothing(
    world: dict[str, Any], username: str, password: str, says: str
) -> None:
    users = await User.select(User.username, User.role, User.password_hash, User.version)
    result = yicheng(
        "create-organizer",
        username,
        "--name",
        "某人",
        env={"YICHENG_ORGANIZER_PASSWORD": "<unset>"},
        stdin=password,
    )
    assert result.returncode != 0
    assert says in result.stderr
    assert await User.select(User.username, User.role, User.password_hash, User.version) == users


def test_help_lists_every_command() -> None:
    result = yicheng("--help")
    for command in ("migrate", "demo", "serve", "run", "create-organizer"):
        assert command in result.stdout
