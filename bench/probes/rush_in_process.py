"""The rush through the whole ASGI app in process (middleware, guards, handler), without a server.

    .venv/bin/python bench/probes/rush_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 60)

Runs on a fresh SQLite file; 2,000 contestants with a session each POST a registration for 300 places.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.probes import fresh_database

PEOPLE = 2_000
PROFILE = None  # the rush alone is profiled, not the setting up of its people and sessions


async def rush(concurrency: int) -> float:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own log line per request

    from accounts.rules import Role
    from app import create_app
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
        if PROFILE is not None:
            PROFILE.enable()
        await asyncio.gather(*(one(t) for t in tokens))
        if PROFILE is not None:
            PROFILE.disable()
        elapsed = time.perf_counter() - start
        print(f"wall {elapsed:.2f} s, this process's CPU {time.process_time() - cpu:.2f} s")
    print("statuses", statuses)
    return PEOPLE / elapsed


def main() -> None:
    concurrency = fresh_database(256)
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        global PROFILE
        PROFILE = cProfile.Profile()
        rate = asyncio.run(rush(concurrency))
        pstats.Stats(PROFILE).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(60)
    else:
        rate = asyncio.run(rush(concurrency))
    print(f"{rate:.0f} registrations/s in process, through the ASGI app")


if __name__ == "__main__":
    main()
