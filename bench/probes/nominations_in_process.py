"""Union officers' nomination spreadsheets through the whole ASGI app in process, without a server.

    .venv/bin/python bench/probes/nominations_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 60)

Runs on a fresh SQLite file (or ``YICHENG_DATABASE_URL`` when set: an empty migrated database). The set-up is
the bench's (bench.nominations): an open programme, 1,400 unions with an officer each, 5,000 nominees in
files of 3 or 4 rows; then it checks every nomination is stored. ``ROWS_PER_FILE=500`` sends the same
5,000 people as ten files of 500 rows instead (the per-row cost rather than the per-request one).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILE = None  # the uploads alone are profiled, not the setting up of the programme and sessions


def _regrouped(files: list[str], rows_per_file: int) -> list[str]:
    """The bench's files' rows cut into files of ``rows_per_file`` (one header each)."""
    header = files[0].splitlines()[0]
    rows = [line for f in files for line in f.splitlines()[1:] if line]
    return [
        "\r\n".join([header, *rows[i : i + rows_per_file]]) + "\r\n"
        for i in range(0, len(rows), rows_per_file)
    ]


async def upload(concurrency: int) -> float:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from app import _on_shutdown, create_app, prepare_database
    from bench.nominations import NOMINEES, _files, _members_consent, _officers, _open_programme, _stored
    from settings import load_settings

    settings = load_settings()
    app = create_app(settings)
    await prepare_database(settings)  # the ASGI transport runs no lifespan: PostgreSQL's pool opened here
    programme_id = await _open_programme()
    tokens = await _officers()
    files = _files(random.Random(1400))
    per_file = int(os.environ.get("ROWS_PER_FILE", "0"))
    if per_file:
        files = _regrouped(files, per_file)
        await _big_quota()
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    first_error: list[str] = []
    form = _members_consent()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=600
    ) as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]

        async def one(token: str, csv: str) -> None:
            async with in_flight:
                response = await client.post(
                    f"/api/programmes/{programme_id}/nominations/upload",
                    files={"file": ("upload.csv", csv.encode(), "text/csv")},
                    data=form,
                    headers={"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}; yc_session={token}"},
                )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code != 200 and not first_error:
                first_error.append(response.text[:300])

        start, cpu = time.perf_counter(), time.process_time()
        if PROFILE is not None:
            PROFILE.enable()
        await asyncio.gather(*(one(t, f) for t, f in zip(tokens, files, strict=False)))
        if PROFILE is not None:
            PROFILE.disable()
        elapsed = time.perf_counter() - start
        print(f"wall {elapsed:.2f} s, CPU {time.process_time() - cpu:.2f} s")
    stored = await _stored(programme_id)
    await _on_shutdown()
    print("statuses", statuses, f"nominations stored {stored} of {NOMINEES}", *first_error)
    return NOMINEES / elapsed


async def _big_quota() -> None:
    """Big files need a big quota: each union may nominate 1,000."""
    from awards.tables import Programme

    await Programme.update({Programme.default_quota: 1_000}, force=True)


def main() -> None:
    if "YICHENG_DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="yicheng-probe-")
        os.environ["YICHENG_DATABASE_URL"] = f"sqlite:///{folder}/probe.sqlite3"
        os.environ["PICCOLO_CONF"] = "piccolo_conf"
        subprocess.run([sys.executable, "cli.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    concurrency = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        global PROFILE
        PROFILE = cProfile.Profile()
        rate = asyncio.run(upload(concurrency))
        pstats.Stats(PROFILE).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(60)
    else:
        rate = asyncio.run(upload(concurrency))
    print(f"{rate:.0f} nomination rows/s in process, through the ASGI app")


if __name__ == "__main__":
    main()
