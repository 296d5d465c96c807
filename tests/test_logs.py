"""Logs never hold ID numbers, mobile numbers or link tokens, query strings and tracebacks included."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from core.logs import MASK, RedactPersonalData, redact
from tests.conftest import ENGINE
from tests.helpers import login, make_id_number, make_mobile, new_client
from tests.servers import running_server


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("HTTP Request: path=/judge/login, method=GET, query=token=Zk3_q-9aB", "Zk3_q-9aB"),
        ("query={'token': 'Zk3_q-9aB', 'competition': '4'}", "Zk3_q-9aB"),
        ("query=q=13912345678&limit=50", "13912345678"),
        ("mobile +86 139-1234 ... +8613912345678", "13912345678"),
        ("query=q=11010519900517123X", "11010519900517123X"),
        ("id 110105900517123 (old, 15 digits)", "110105900517123"),
        ('{"password": "hunter2-long", "username": "a"}', "hunter2-long"),
        ("query=id_number=110105199005171234&x=1", "110105199005171234"),
        ("contact_phone=021-12345678", "021-12345678"),
    ],
)
def test_redact(line: str, secret: str) -> None:
    redacted = redact(line)
    assert secret not in redacted
    assert MASK in redacted


@pytest.mark.parametrize(
    "line",
    [
        "HTTP Request: path=/api/people/15, method=PATCH, query=",
        "HTTP Response: status_code=422",
        "query=offset=2147483648&limit=50",  # a 10-digit number is no ID or mobile
        "competition 20261125 published",
    ],
)
def test_redact_leaves_ordinary_lines_alone(line: str) -> None:
    assert redact(line) == line


def test_the_filter_redacts_arguments_and_tracebacks() -> None:
    try:
        raise ValueError("身份证号 110105199005171234 无效")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "on %s", ("13912345678",), sys.exc_info())
    assert RedactPersonalData().filter(record)
    assert record.getMessage() == f"on {MASK}"
    assert "110105199005171234" not in (record.exc_text or "")
    assert "ValueError" in (record.exc_text or "")


@pytest.mark.slow
async def test_a_server_run_logs_no_personal_data(world: dict[str, Any], tmp_path: Path) -> None:
    """Requests carrying an ID number, a mobile and a link token in their query strings; the log of the
    run (the real server's whole output) shows the requests, never the values."""
    id_number, mobile, token = make_id_number(), make_mobile(), "tok_Zk3q9aBxx77"
    log = tmp_path / "server.log"
    workers = "2" if ENGINE == "postgres" else "1"
    with running_server(log, "--workers", workers) as base_url:
        async with new_client(base_url=base_url) as client:
            await client.get("/judge/login", params={"token": token})
            await login(client, "organizer")
            await client.get("/api/people/", params={"q": mobile})
            await client.get("/api/people/", params={"q": id_number})
            await client.get(f"/api/people/?q={id_number[:6]}&mobile={mobile}")
            await client.get("/api/audit/", params={"entity_id": id_number})
    text = log.read_text(errors="replace")
    assert "path=/judge/login" in text and "path=/api/people" in text  # the requests were logged
    assert "query=" in text  # with their query strings, redacted
    for secret in (id_number, mobile, token):
        assert secret not in text, secret


async def test_one_access_line_per_request_with_its_status(
    world: dict[str, Any], client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request is logged once, as its answer starts (path, method, query, status), a refused one too;
    the crowd's public reads and the health check are not logged."""
    await login(client, "organizer")
    caplog.set_level(logging.INFO, logger="yicheng.http")
    caplog.clear()
    await client.get("/login", params={"next": "/judge"})
    await client.get("/api/people/999999")  # refused by the handler: logged with its status
    await client.get("/health")
    await client.get("/api/public/competitions")
    await client.post("/api/auth/logout", headers={"x-csrftoken": "forged"})  # CSRF refuses it: 403
    client.cookies.set("yc_session", "no-such-session")
    await client.get("/api/people/1")  # the session check refuses it: 401
    lines = [r.getMessage() for r in caplog.records if r.name == "yicheng.http"]
    assert lines == [
        "HTTP: path=/login, method=GET, query=next=%2Fjudge, status_code=200",
        "HTTP: path=/api/people/999999, method=GET, query=, status_code=404",
        "HTTP: path=/api/auth/logout, method=POST, query=, status_code=403",
        "HTTP: path=/api/people/1, method=GET, query=, status_code=401",
    ]
