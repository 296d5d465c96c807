"""The term dashboard alone, cold and warm, the way ``make bench`` measures it (``bench.reports``).

    .venv/bin/python bench/probes/dashboard_cold.py [RUNS]

Each run loads the term into a fresh SQLite file, starts a server and prints ``dashboard_term_cold_ms`` and
``dashboard_term_ms``; several runs in a row show how much of a difference is noise.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import reports
    from bench.servers import server_env

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for _ in range(runs):
        # The term's database URL is set by reports.run itself; this one is only the server's settings.
        figures = reports.run(0.0, "", server_env("sqlite:///:memory:"))
        print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
