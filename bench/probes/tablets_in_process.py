"""The judges' tablets through the whole ASGI app in process (middleware, guards, handler), no server.

    .venv/bin/python bench/probes/tablets_in_process.py [CONCURRENCY]  (PROFILE=1: profile the load)

Runs on a fresh SQLite file with the set-up of ``bench.tablets`` (50 judges, 10 contestants, ten
measurement aspects): every judge submits a new sheet for every contestant, ``CONCURRENCY`` at once
(default 50, one per tablet). Prints sheets/s, p50 and p99 of the answers, and the marks stored.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAUSES: dict[int, list[float]] = {0: [], 1: [], 2: []}  # the collector's pauses by generation, in seconds


def _time_collections(phase: str, info: dict[str, int], started: list[float] = [0.0]) -> None:  # noqa: B006
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        PAUSES[info["generation"]].append(time.perf_counter() - started[0])


async def tablets(concurrency: int) -> float:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own log line per request

    from app import create_app
    from bench import probes
    from bench.tablets import ASPECTS, _marks_stored, _prepare, new_sheet
    from settings import load_settings

    app = create_app(load_settings())
    competition_id, stage_id, registration_ids, tokens = await _prepare()
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    async with (
        app.lifespan(),  # as a server starts it: the database checked, live updates on, the heap settled
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        csrf = (await client.get("/login")).cookies["csrftoken"]

        async def tablet(token: str) -> None:  # one tablet: its judge's sheets one after another
            headers = {"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"}
            for registration_id in registration_ids:
                body = new_sheet(competition_id, stage_id, registration_id)
                async with in_flight:
                    sent = time.perf_counter()
                    response = await client.put("/api/judge/sheets", json=body, headers=headers)
                    latencies.append(time.perf_counter() - sent)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 400 and statuses[response.status_code] == 1:
                    print("first failure:", response.status_code, response.text[:300])

        start, cpu = time.perf_counter(), time.process_time()
        gc.callbacks.append(_time_collections)
        with probes.measured():
            await asyncio.gather(*(tablet(t) for t in tokens))
        elapsed = time.perf_counter() - start
        gc.callbacks.remove(_time_collections)
        sheets = len(tokens) * len(registration_ids)
        print(f"wall {elapsed:.2f} s, this process's CPU {time.process_time() - cpu:.2f} s")
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    stored = await _marks_stored(competition_id)
    print("statuses", statuses, f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"marks stored {stored} of {sheets * ASPECTS}")
    print(
        "collections (count, longest ms):",
        {g: (len(p), round(max(p, default=0) * 1000, 1)) for g, p in PAUSES.items()},
    )
    return sheets / elapsed


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import probes

    probes.run(tablets, "sheets/s in process, through the ASGI app", concurrency=50, lines=70)


if __name__ == "__main__":
    main()
