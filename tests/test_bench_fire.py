"""The bench's write load generator speaks HTTP/1.1 correctly: bodies by length or in chunks, a connection the
server closes is opened again, multipart uploads a server can parse, every request counted once."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.fire import fire
from bench.remote import csrf_token
from tests.helpers import PASSWORD
from tests.servers import running_server

ANSWERS = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    b"HTTP/1.1 422 Unprocessable\r\nContent-Length: 6\r\nConnection: close\r\n\r\nbad in",
]


def _header(request: bytes, name: bytes) -> bytes:
    head = request.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    return next(line.split(b":", 1)[1].strip() for line in lines if line.lower().startswith(name))


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[bytes], list[int]]]:
    """Answers the n-th request with ANSWERS[n % 3]; records each request and each connection."""
    requests: list[bytes] = []
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(
                next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
            )
            requests.append(head + await reader.readexactly(length))
            answer = ANSWERS[(len(requests) - 1) % 3]
            writer.write(answer)
            await writer.drain()
            if b"close" in answer:
                writer.close()
                return

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"http://127.0.0.1:{port}", requests, connections


async def test_every_request_is_sent_once_and_every_answer_read(
    server: tuple[str, list[bytes], list[int]],
) -> None:
    base_url, requests, connections = server
    plan = {
        "base_url": base_url,
        "csrf": "token",
        "method": "POST",
        "connections": 1,
        "requests": [{"path": f"/api/x/{n}", "token": f"s{n}", "json": {"n": n}} for n in range(6)],
    }
    outcome = await fire(plan)
    assert outcome["statuses"] == {"200": 2, "201": 2, "422": 2}
    assert outcome["first_error"] == ["bad in"]
    assert len(requests) == 6 and len(outcome["latencies_ms"]) == 6
    assert len(connections) == 2  # the server closed after the third answer: one new connection
    assert (
        b'{"n": 0}' in requests[0]
        and b"yc_session=s0" in requests[0]
        and b"x-csrftoken: token" in requests[0]
    )


async def test_an_upload_is_a_multipart_form_with_its_fields(
    server: tuple[str, list[bytes], list[int]],
) -> None:
    base_url, requests, _ = server
    csv = "姓名,单位\n张三,亦城\n"
    plan = {
        "base_url": base_url,
        "csrf": "token",
        "method": "POST",
        "requests": [{"path": "/upload", "token": "s", "csv": csv, "form": {"consent": "true"}}],
    }
    assert (await fire(plan))["statuses"] == {"200": 1}
    head, body = requests[0].split(b"\r\n\r\n", 1)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + _header(head, b"content-type") + b"\r\n\r\n" + body
    )
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["consent"].get_content() == "true"
    assert parts["file"].get_filename() == "upload.csv"
    assert parts["file"].get_payload(decode=True).decode("utf-8") == csv


@pytest.mark.slow
async def test_against_the_real_server_it_counts_what_the_server_answered(
    world: dict[str, Any], tmp_path: Path
) -> None:
    with running_server(tmp_path / "server.log") as base_url:
        logins = [
            {"username": "organizer", "password": PASSWORD},
            {"username": "organizer", "password": "wrong-password"},
            {"username": "nobody", "password": PASSWORD},
        ]
        plan = {
            "base_url": base_url,
            "csrf": csrf_token(base_url),
            "method": "POST",
            "connections": 2,  # a connection is kept alive for a second request
            "requests": [{"path": "/api/auth/login", "token": "none", "json": data} for data in logins],
        }
        outcome = await fire(plan)
    assert outcome["statuses"] == {"200": 1, "401": 2}
    assert outcome["first_error"] and outcome["first_error"][0].startswith("{")  # the JSON error body, whole
    assert len(outcome["latencies_ms"]) == 3 and outcome["elapsed_s"] > 0
