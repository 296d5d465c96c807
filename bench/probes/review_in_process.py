"""Experts' review sheets through the whole ASGI app in process (middleware, guards, handler), no server.

    .venv/bin/python bench/probes/review_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 60)

The set-up is the bench's (bench.review): 50 experts, 10 nominations, every sheet new and submitted; the
probe then checks that every mark is stored. See bench/probes/__init__.py for the database and options.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.probes import run_with_app, timed


async def review(app: Any, concurrency: int) -> float:
    import httpx

    from bench.review import _marks_stored, _programme_in_review, sheet_body
    from bench.tablets import ASPECTS

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
                        json=sheet_body(programme_id, nomination_id),
                        headers={"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"},
                    )
                    latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        elapsed = await timed(tablet(t) for t in tokens)
    latencies.sort()
    sheets = len(tokens) * len(nomination_ids)
    stored = await _marks_stored(programme_id)
    print(f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, statuses {statuses}")
    print(f"marks stored {stored} of {sheets * ASPECTS}")
    return sheets / elapsed


if __name__ == "__main__":
    run_with_app(review, "review sheets/s", 50)
