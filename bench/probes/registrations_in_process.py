"""2,000 registrations through ``register_person`` in process, without HTTP: what the write path costs.

    .venv/bin/python bench/probes/registrations_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 45)

Runs on a fresh SQLite file (or ``YICHENG_DATABASE_URL`` when set, which must be an empty migrated database).
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


async def register_everyone(concurrency: int) -> float:
    from accounts.audit import SYSTEM
    from bench.competitions import _open_competition
    from bench.crowd import make_people
    from competitions.registration import register_person

    competition_id = await _open_competition()
    people = await make_people(PEOPLE, employer_id=None, union_id=None, seed=1)
    in_flight = asyncio.Semaphore(concurrency)

    async def one(person_id: int) -> None:
        async with in_flight:
            await register_person(SYSTEM, competition_id, person_id)

    start = time.perf_counter()
    await asyncio.gather(*(one(p) for p in people))
    return PEOPLE / (time.perf_counter() - start)


def main() -> None:
    concurrency = fresh_database(256)
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        rate = profile.runcall(asyncio.run, register_everyone(concurrency))
        pstats.Stats(profile).sort_stats("cumtime").print_stats(45)
    else:
        rate = asyncio.run(register_everyone(concurrency))
    print(f"{rate:.0f} registrations/s in process")


if __name__ == "__main__":
    main()
