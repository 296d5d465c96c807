"""Experts' review sheets through the whole ASGI app in process (middleware, guards, handler), no server.

    .venv/bin/python bench/probes/review_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 60)

Runs on a fresh SQLite file (or ``YICHENG_DATABASE_URL`` when set: an empty migrated database). The set-up is
the bench's (bench.review): 50 experts, 10 nominations, every sheet new and submitted; the probe then
checks that every mark is stored.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILE = None  # the sheets alone are profiled, not the setting up of the programme and sessions


async def review(concurrency: int) -> float:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("litestar").setLevel(logging.WARNING)  # a log line per response

    from app import _on_shutdown, create_app, prepare_database
    from bench.review import _marks_stored, _programme_in_review
    from bench.tablets import ASPECTS, ten_marks
    from settings import load_settings

    settings = load_settings()
    app = create_app(settings)
    await prepare_database(settings)  # the ASGI transport runs no lifespan: PostgreSQL's pool opened here
    programme_id, nomination_ids, tokens = await _programme_in_review()
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]

        async def tablet(token: str) -> None:
            for nomination_id in nomination_ids:
                async with in_flight:
                    began = time.perf_counter()
                    response = await client.put(
                        "/api/review/sheets",
                        json={
                            "programme_id": programme_id,
                            "nomination_id": nomination_id,
                            "client_id": str(uuid.uuid4()),
                            "base_version": 0,
                            "marks": ten_marks(),
                            "submit": True,
                        },
                        headers={"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"},
                    )
                    latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        start, cpu = time.perf_counter(), time.process_time()
        if PROFILE is not None:
            PROFILE.enable()
        await asyncio.gather(*(tablet(t) for t in tokens))
        if PROFILE is not None:
            PROFILE.disable()
        elapsed = time.perf_counter() - start
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"wall {elapsed:.2f} s, CPU {time.process_time() - cpu:.2f} s, p99 {p99:.0f} ms")
    sheets = len(tokens) * len(nomination_ids)
    stored = await _marks_stored(programme_id)
    await _on_shutdown()
    print("statuses", statuses, f"marks stored {stored} of {sheets * ASPECTS}")
    return sheets / elapsed


def main() -> None:
    if "YICHENG_DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="yicheng-probe-")
        os.environ["YICHENG_DATABASE_URL"] = f"sqlite:///{folder}/probe.sqlite3"
        os.environ["PICCOLO_CONF"] = "piccolo_conf"
        subprocess.run([sys.executable, "cli.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    concurrency = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        global PROFILE
        PROFILE = cProfile.Profile()
        rate = asyncio.run(review(concurrency))
        pstats.Stats(PROFILE).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(60)
    else:
        rate = asyncio.run(review(concurrency))
    print(f"{rate:.0f} review sheets/s in process, through the ASGI app")


if __name__ == "__main__":
    main()
