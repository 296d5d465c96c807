"""The dashboard of a five-year term: 431 competitions, 100,000 registrations, 5,000 honours.

The term is loaded (``yicheng demo --term``, bulk inserts) into a database of its own and served by a server
of its own, so the figure measures the term alone. ``dashboard_term_cold_ms``: the first dashboard after the
server starts (nothing computed); ``dashboard_term_ms``: the median of warm dashboards (the data version is
checked, the computed figures are reused).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from bench.servers import ROOT, serve

TERM = "start=2021-01-01&end=2025-12-31"
WARM_RUNS = 20


def _timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="yicheng-term-") as folder:
        term_env = {
            **env,
            "YICHENG_DATABASE_URL": os.environ.get(
                "YICHENG_BENCH_TERM_DATABASE_URL", f"sqlite:///{folder}/term.sqlite3"
            ),
        }
        full_env = {**os.environ, **term_env}
        started = time.perf_counter()
        for command in (["migrate"], ["demo", "--term"]):
            subprocess.run(
                [sys.executable, "cli.py", *command], cwd=ROOT, env=full_env, check=True, capture_output=True
            )
        load_s = time.perf_counter() - started
        with (
            serve("app:create_server_app", term_env) as url,
            httpx.Client(base_url=url, timeout=120) as client,
        ):
            client.get("/login")
            client.headers["x-csrftoken"] = client.cookies.get("csrftoken", "")
            client.post(
                "/api/auth/login", json={"username": "organizer", "password": "yicheng2026"}
            ).raise_for_status()
            cold = _timed_get(client, f"/api/reports/dashboard?{TERM}")
            warm = statistics.median(
                _timed_get(client, f"/api/reports/dashboard?{TERM}") for _ in range(WARM_RUNS)
            )
    return {
        "term_load_s": round(load_s, 1),
        "dashboard_term_ms": round(warm, 1),
        "dashboard_term_cold_ms": round(cold, 1),
    }
