"""Probes behind PERF_PLAN.md: where a request's time goes. Not part of ``make bench``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def set_up() -> int:
    """A probe's database and its concurrency (the first argument, 256 by default).

    The database is a fresh migrated SQLite file, unless ``YICHENG_DATABASE_URL`` names one (an empty
    migrated database); it is chosen before anything imports a table: Piccolo binds its engine on import."""
    if "YICHENG_DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="yicheng-probe-")
        os.environ["YICHENG_DATABASE_URL"] = f"sqlite:///{folder}/probe.sqlite3"
        os.environ["PICCOLO_CONF"] = "piccolo_conf"
        subprocess.run([sys.executable, "cli.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
    return int(sys.argv[1]) if len(sys.argv) > 1 else 256
