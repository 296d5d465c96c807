"""Run every benchmark section and print ``name: value`` lines (see bench/__init__.py)."""

from __future__ import annotations

import importlib
import os
import sys

from bench.load import wrk_rps
from bench.servers import platform_database, serve

# Each section module has ``run(ceiling_rps, base_url) -> dict[str, float | int]``; they run in this order
# against one server over one demo database, after the ceiling is measured.
SECTIONS = [
    "bench.health",
    "bench.engine",
    "bench.competitions",
    "bench.scoring",
    "bench.review",
    "bench.nominations",
    "bench.awards",
    "bench.reports",
    "bench.postgres",
]


def emit(name: str, value: float | int) -> None:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {text}", flush=True)


def main() -> None:
    """Every section, or only those named on the command line (``python -m bench competitions review``)."""
    chosen = [f"bench.{name}" for name in sys.argv[1:]] or SECTIONS
    with serve("bench.bare_app:create_app") as bare:
        ceiling = wrk_rps(f"{bare}/health")
    emit("ceiling_rps", round(ceiling, 1))
    with platform_database() as env, serve("app:create_server_app", env) as base_url:
        # Sections prepare their data through the platform's own services, on the server's database.
        os.environ.update(env)
        for name in chosen:
            try:
                section = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            for figure, value in section.run(ceiling, base_url, env).items():
                emit(figure, value)


if __name__ == "__main__":
    sys.exit(main())
