"""Union officers' nomination spreadsheets through the whole ASGI app in process, without a server.

    .venv/bin/python bench/probes/nominations_in_process.py [CONCURRENCY]   (PROFILE=1: cProfile's top 60)

The set-up is the bench's (bench.nominations): an open programme, 1,400 unions with an officer each, 5,000
nominees in files of 3 or 4 rows; then it checks every nomination is stored. ``ROWS_PER_FILE=500`` sends
the same 5,000 people as ten files of 500 rows instead (the per-row cost rather than the per-request one).
See bench/probes/__init__.py for the database and options.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.probes import run_with_app, timed


def _regrouped(files: list[str], rows_per_file: int) -> list[str]:
    """The bench's files' rows cut into files of ``rows_per_file`` (one header each)."""
    header = files[0].splitlines()[0]
    rows = [line for f in files for line in f.splitlines()[1:] if line]
    cut = range(0, len(rows), rows_per_file)
    return ["\r\n".join([header, *rows[i : i + rows_per_file]]) + "\r\n" for i in cut]


async def upload(app: Any, concurrency: int) -> float:
    import httpx

    from awards.tables import Programme
    from bench.nominations import NOMINEES, _files, _members_consent, _officers, _open_programme, _stored

    programme_id = await _open_programme()
    tokens = await _officers()
    files = _files(random.Random(1400))
    per_file = int(os.environ.get("ROWS_PER_FILE", "0"))
    if per_file:
        files = _regrouped(files, per_file)
        await Programme.update({Programme.default_quota: 1_000}, force=True)  # big files, big quota
    in_flight = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    first_error: list[str] = []
    form = _members_consent()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=600) as client:
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

        elapsed = await timed(one(t, f) for t, f in zip(tokens, files, strict=False))
    stored = await _stored(programme_id)
    print("statuses", statuses, f"nominations stored {stored} of {NOMINEES}", *first_error)
    return NOMINEES / elapsed


if __name__ == "__main__":
    run_with_app(upload, "nomination rows/s", 32)
