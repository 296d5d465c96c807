"""The rush through the whole ASGI app in process (middleware, guards, handler), without a server.

    .venv/bin/python bench/probes/rush_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile of the load alone)

Runs on a fresh SQLite file; 2,000 contestants with a session each POST a registration for 300 places.
"""

from __future__ import annotations

import asyncio
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
    from settings import load_settings

    app = create_app(load_settings())
    competition_id = await _open_competition()
    people = await make_people(PEOPLE, employer_id=None, union_id=None, seed=1)
    tokens = await make_sessions(people, role=Role.CONTESTANT, prefix="probe")
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]

        async def one(token: str) -> None:
            async with in_flight:
                response = await client.post(
                    f"/api/competitions/{competition_id}/registrations",
                    json={},
                    headers={"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        start, cpu = time.perf_counter(), time.process_time()
        with probes.measured():
            await asyncio.gather(*(one(t) for t in tokens))
        elapsed = time.perf_counter() - start
        print(f"wall {elapsed:.2f} s, this process's CPU {time.process_time() - cpu:.2f} s")
    print("statuses", statuses)
    return PEOPLE / elapsed


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import probes

    probes.run(rush, "registrations/s in process, through the ASGI app", concurrency=256, lines=60)


if __name__ == "__main__":
    main()
