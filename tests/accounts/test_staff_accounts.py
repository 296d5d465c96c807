"""Staff accounts: organizers create, deactivate, reactivate and reset union officers, experts and judges
(a temporary password shown once, to be changed at the next log-in); everyone changes their own password."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from tests.conftest import ENGINE, run_over
from tests.helpers import PASSWORD, login, new_client


async def _audit(client: httpx.AsyncClient, action: str) -> list[dict[str, Any]]:
    return (await client.get("/api/audit/", params={"action": action})).json()["items"]


async def test_organizer_creates_a_judge_whose_temporary_password_must_be_changed(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as organizer, new_client(app) as judge:
        await login(organizer, "organizer")
        made = await organizer.post(
            "/api/users/staff", json={"username": "judge_wang", "role": "judge", "display_name": "王裁判"}
        )
        assert made.status_code == 201, made.text
        body = made.json()
        temporary = body["temporary_password"]
        assert body["user"]["change_required"] is True and body["user"]["role_name"] == "裁判"
        assert len(temporary) == 10 and temporary not in str(await _audit(organizer, "user.create"))

        me = await login(judge, "judge_wang", temporary)
        assert me["change_required"] is True
        assert (await judge.get("/api/auth/me")).json()["change_required"] is True
        # The API, not only the pages, holds the work back until the temporary password is changed.
        held = await judge.get("/api/judge/competitions")
        assert held.status_code == 403 and held.json()["code"] == "password_change_required", held.text
        assert "临时密码" in held.json()["message"]
        wrong = await judge.post(
            "/api/auth/password", json={"old_password": "nope12345", "new_password": "brandnew99"}
        )
        assert wrong.status_code == 422 and wrong.json()["field"] == "old_password"
        weak = await judge.post(
            "/api/auth/password", json={"old_password": temporary, "new_password": "short"}
        )
        assert weak.status_code == 422 and weak.json()["field"] == "new_password"
        assert "密码" in weak.json()["message"]
        changed = await judge.post(
            "/api/auth/password", json={"old_password": temporary, "new_password": "brandnew99"}
        )
        assert changed.status_code == 204, changed.text
        assert (await judge.get("/api/auth/me")).json()["change_required"] is False  # session kept
        assert (await judge.get("/api/judge/competitions")).status_code == 200
        rows = await _audit(organizer, "user.change_password")
        assert len(rows) == 1 and rows[0]["actor_name"] == "王裁判"

    async with new_client(app) as again:
        refused = await again.post("/api/auth/login", json={"username": "judge_wang", "password": temporary})
        assert refused.status_code == 401
        await login(again, "judge_wang", "brandnew99")


async def test_a_union_officer_needs_a_union_and_usernames_are_unique(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    no_union = await client.post(
        "/api/users/staff", json={"username": "officer2", "role": "union_officer", "display_name": "李干部"}
    )
    assert no_union.status_code == 422 and no_union.json()["field"] == "union_id"
    taken = await client.post(
        "/api/users/staff", json={"username": "judge", "role": "expert", "display_name": "重名"}
    )
    assert taken.status_code == 409 and taken.json()["field"] == "username"
    organizer_role = await client.post(
        "/api/users/staff", json={"username": "boss2", "role": "organizer", "display_name": "越权"}
    )
    assert organizer_role.status_code == 422
    assert not [u for u in (await client.get("/api/users/")).json() if u["username"] in {"officer2", "boss2"}]


async def test_deactivation_ends_sessions_and_refuses_log_in_until_reactivated(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as organizer, new_client(app) as expert:
        await login(organizer, "organizer")
        await login(expert, "expert")
        assert (await expert.get("/api/auth/me")).json()["username"] == "expert"
        user = next(u for u in (await organizer.get("/api/users/")).json() if u["username"] == "expert")
        off = await organizer.post(
            f"/api/users/{user['id']}/deactivate", json={"version": user["version"], "reason": "调离"}
        )
        assert off.status_code == 200 and off.json()["active"] is False
        assert (await expert.get("/api/auth/me")).json() is None  # the session ended
        refused = await expert.post("/api/auth/login", json={"username": "expert", "password": PASSWORD})
        assert refused.status_code == 401
        stale = await organizer.post(f"/api/users/{user['id']}/reactivate", json={"version": user["version"]})
        assert stale.status_code == 409
        listed = (await organizer.get("/api/users/", params={"active": "false"})).json()
        assert [u["username"] for u in listed] == ["expert"]
        on = await organizer.post(
            f"/api/users/{user['id']}/reactivate", json={"version": off.json()["version"]}
        )
        assert on.status_code == 200 and on.json()["active"] is True
        await login(expert, "expert")
        actions = [r["action"] for r in await _audit(organizer, "user.")]
        assert "user.deactivate" in actions and "user.reactivate" in actions
        me = (await organizer.get("/api/auth/me")).json()
        own = await organizer.post(f"/api/users/{me['id']}/deactivate", json={"version": 1})
        assert own.status_code == 403


async def test_a_reset_gives_a_new_temporary_password_once_and_ends_sessions(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as organizer, new_client(app) as officer:
        await login(organizer, "organizer")
        await login(officer, "officer")
        user = next(u for u in (await organizer.get("/api/users/")).json() if u["username"] == "officer")
        reset = await organizer.post(
            f"/api/users/{user['id']}/reset-password", json={"version": user["version"]}
        )
        assert reset.status_code == 200, reset.text
        temporary = reset.json()["temporary_password"]
        assert (await officer.get("/api/auth/me")).json() is None
        old = await officer.post("/api/auth/login", json={"username": "officer", "password": PASSWORD})
        assert old.status_code == 401
        assert (await login(officer, "officer", temporary))["change_required"] is True
        rows = await _audit(organizer, "user.reset_password")
        assert len(rows) == 1 and temporary not in str(rows)


async def test_only_organizers_manage_accounts_and_visitors_are_null(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as visitor, new_client(app) as officer:
        me = await visitor.get("/api/auth/me")
        assert me.status_code == 200 and me.json() is None
        await login(officer, "officer")
        made = await officer.post(
            "/api/users/staff", json={"username": "x_judge", "role": "judge", "display_name": "某某"}
        )
        assert made.status_code == 403
        anonymous = await visitor.post("/api/auth/password", json={"old_password": "a", "new_password": "b"})
        assert anonymous.status_code == 401


async def test_password_changes_are_rate_limited_per_account(app: Litestar, world: dict[str, Any]) -> None:
    async with new_client(app) as judge:
        await login(judge, "judge")
        codes = [
            (
                await judge.post(
                    "/api/auth/password", json={"old_password": f"guess{i}aa", "new_password": "brandnew99"}
                )
            ).status_code
            for i in range(11)
        ]
        assert codes[:10] == [422] * 10 and codes[10] == 429


async def test_concurrent_resets_of_one_version_let_exactly_one_through(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        user = next(u for u in (await organizer.get("/api/users/")).json() if u["username"] == "judge")
        answers = await asyncio.gather(
            *(
                organizer.post(f"/api/users/{user['id']}/reset-password", json={"version": user["version"]})
                for _ in range(4)
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        assert len(await _audit(organizer, "user.reset_password")) == 1


PREVIOUS = "2026-11-30T03:22:06:197949"  # accounts before must_change_password


def test_users_stored_before_the_migration_keep_their_passwords(scratch_database: str) -> None:
    url = scratch_database
    piccolo = str(Path(sys.executable).with_name("piccolo"))
    insert = (
        "INSERT INTO app_user (username, password_hash, role, display_name, active, version, created_at) "
        "VALUES ('old_judge', 'h', 'judge', '老裁判', true, 3, CURRENT_TIMESTAMP)"
    )
    check = "import asyncio\nfrom accounts import staff\nprint(asyncio.run(staff.list_users('judge', True)))"
    run_over(url, piccolo, "migrations", "forwards", "accounts", PREVIOUS)
    run_over(url, sys.executable, "-c", "import sqlite3, asyncio\n" + _insert_code(url, insert))
    run_over(url, piccolo, "migrations", "forwards", "all")
    output = run_over(url, sys.executable, "-c", check)
    assert "old_judge" in output and "change_required=False" in output and "version=3" in output


def _insert_code(url: str, sql: str) -> str:
    if ENGINE == "postgres":
        return (
            "import asyncpg\n"
            "async def main():\n"
            f"    c = await asyncpg.connect({url!r})\n"
            f"    await c.execute({sql!r})\n"
            "    await c.close()\n"
            "asyncio.run(main())\n"
        )
    path = url.removeprefix("sqlite:///")
    return f"with sqlite3.connect({path!r}) as c:\n    c.execute({sql!r})\n"


def _workbook(rows: list[tuple[str, ...]]) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["用户名", "姓名", "角色", "所属工会"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _upload(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    files = {"file": ("账号.xlsx", content, "application/octet-stream")}
    return await client.post("/api/users/import", files=files)


async def test_import_lists_every_bad_row_and_writes_nothing_then_creates_all(
    app: Litestar, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    template = await client.get("/api/users/import/template")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    before = len((await client.get("/api/users/")).json())
    bad = await _upload(
        client,
        _workbook(
            [
                ("li_officer", "李干部", "基层工会干部", "甲公司工会"),
                ("x", "短名", "裁判", ""),
                ("judge", "重名", "裁判", ""),
                ("zhao_expert", "赵专家", "厨师", ""),
                ("qian_officer", "钱干部", "基层工会干部", "不存在的工会"),
                ("sun_officer", "孙干部", "基层工会干部", ""),
            ]
        ),
    )
    assert bad.status_code == 200, bad.text
    errors = bad.json()["errors"]
    assert bad.json()["created"] == []
    assert [(e["row"], e["field"]) for e in errors] == [
        (3, "username"),
        (4, "username"),
        (5, "role"),
        (6, "union"),
        (7, "union"),
    ]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in errors)
    assert len((await client.get("/api/users/")).json()) == before

    good = await _upload(
        client,
        _workbook(
            [("li_officer", "李干部", "基层工会干部", "甲公司工会"), ("zhou_judge", "周裁判", "裁判", "")]
        ),
    )
    created = good.json()["created"]
    assert [c["user"]["username"] for c in created] == ["li_officer", "zhou_judge"]
    assert created[0]["user"]["union_id"] == world["unions"][0] and created[1]["user"]["union_id"] is None
    assert all(c["user"]["change_required"] for c in created)
    assert len((await client.get("/api/users/")).json()) == before + 2
    rows = (await client.get("/api/audit/", params={"action": "user.create"})).json()["items"]
    assert sum(r["reason"] == "表格导入" for r in rows) == 2
    async with new_client(app) as fresh:
        await login(fresh, "zhou_judge", created[1]["temporary_password"])


async def test_import_refuses_what_is_not_a_spreadsheet(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await login(client, "organizer")
    refused = await _upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel")
    assert refused.status_code == 422 and refused.json()["field"] == "file"
    assert "xlsx" in refused.json()["message"]
