"""The rush through the whole ASGI app in process (middleware, guards, handler), without a server.

    .venv/bin/python bench/probes/rush_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile of the load alone)

Runs on a fresh SQLite file (or on ``YICHENG_DATABASE_URL``, an empty migrated database); 2,000
contestants with a session each POST a registration for 300 places.
``CLIENT=bare`` sends the requests as bare ASGI messages instead of through httpx, so that the process's CPU
is the server's alone (httpx's client side is about 40 % of it otherwise).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 2_000


async def rush(concurrency: int) -> float:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own log line per request

    from accounts.rules import Role
    from app import create_app
    from bench import probes
    from bench.competitions import _open_competition
    from bench.crowd import make_people, make_sessions
    from core.db import engine, engine_name
    from settings import load_settings

    app = create_app(load_settings())
    if engine_name() == "postgres":  # what the app's start-up does (no lifespan here)
        await engine().start_connection_pool()
    competition_id = await _open_competition()
    people = await make_people(PEOPLE, employer_id=None, union_id=None, seed=1)
    tokens = await make_sessions(people, role=Role.CONTESTANT, prefix="probe")
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]

        path = f"/api/competitions/{competition_id}/registrations"
        bare = os.environ.get("CLIENT") == "bare"

        async def one(token: str) -> None:
            headers = {"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"}
            async with in_flight:
                if bare:
                    status = await bare_post(app, path, headers)
                else:
                    status = (await client.post(path, json={}, headers=headers)).status_code
                statuses[status] = statuses.get(status, 0) + 1

        start, cpu = time.perf_counter(), time.process_time()
        with probes.measured():
            await asyncio.gather(*(one(t) for t in tokens))
        elapsed = time.perf_counter() - start
        print(f"wall {elapsed:.2f} s, this process's CPU {time.process_time() - cpu:.2f} s")
    print("statuses", statuses)
    return PEOPLE / elapsed


async def bare_post(app: object, path: str, headers: dict[str, str]) -> int:
    """POST ``{}`` as JSON straight to the ASGI app, with the headers httpx would send; the status back."""
    body = b"{}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("t", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"t"),
            (b"accept", b"*/*"),
            (b"accept-encoding", b"gzip, deflate"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.encode(), v.encode()) for k, v in headers.items()),
        ],
    }
    sent = False
    status = 0

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the app answers
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[operator]
    return status


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import probes

    probes.run(rush, "registrations/s in process, through the ASGI app", concurrency=256, lines=60)


if __name__ == "__main__":
    main()
