"""The registration rush and the experts' tablets on PostgreSQL, served by two server processes.

``make bench`` measures everything else on its main database (SQLite unless ``YICHENG_BENCH_DATABASE_URL``);
this section makes a PostgreSQL database of its own on ``YICHENG_BENCH_POSTGRES_URL`` (default: the local
server, trust auth), migrates it and serves it with two granian workers, the way production runs. Piccolo
binds its engine once per process, so the set-up and the counts run in a child process of their own:

    python -m bench.postgres BASE_URL CEILING_RPS  ->  prints the figures as JSON

Without a reachable server the section says so on stderr and prints no figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from bench.servers import ROOT, cli, serve, server_env

ADMIN_URL = os.environ.get("YICHENG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SERVER_PROCESSES = 2


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres_database() -> Iterator[dict[str, str]]:
    """A fresh, migrated PostgreSQL database, dropped afterwards; yields the server's environment."""
    name = f"yicheng_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        env = server_env(urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}")))
        cli("migrate", env)
        yield env
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float | int]:
    import asyncpg

    try:
        asyncio.run(_admin("SELECT 1"))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL at {ADMIN_URL} not reachable ({exc}): PostgreSQL figures skipped", file=sys.stderr)
        return {}
    with (
        postgres_database() as pg_env,
        serve("app:create_server_app", pg_env, workers=SERVER_PROCESSES) as url,
    ):
        output = subprocess.run(
            [sys.executable, "-m", "bench.postgres", url, str(ceiling_rps)],
            cwd=ROOT,
            env={**os.environ, **pg_env},
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(output.stdout)


def _measure(base_url: str, ceiling_rps: float) -> dict[str, float | int]:
    from bench.competitions import rush
    from bench.review import run_review

    figures = {
        name.replace("rush_", "rush_pg_", 1): value for name, value in rush(ceiling_rps, base_url).items()
    }
    return figures | run_review(ceiling_rps, base_url, prefix="review_pg")


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1], float(sys.argv[2]))))
