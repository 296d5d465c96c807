"""The bench's tablets section against a real server, with the CPU the client and the server spent.

    .venv/bin/python bench/probes/tablets_raw_client.py

Written when ``bench.fire`` was httpx and spent 2.5 s of CPU on the section's 500 requests, more than the
server (1.0 to 1.7 s): the marks figure measured the client. ``bench.fire`` now speaks raw HTTP/1.1 itself;
this probe still says how the two cores were shared.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _server_cpu_s() -> float:
    """CPU seconds of this process's descendants still running (the server and its workers)."""
    parent, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    mine = {os.getpid()}
    while grown := {p for p, pp in parent.items() if pp in mine and p not in mine}:
        mine |= grown
    return sum(cpu[p] for p in mine - {os.getpid()})


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import tablets
    from bench.servers import platform_database, serve

    with platform_database() as env, serve("app:create_server_app", env) as base_url:
        os.environ.update(env)
        client, server = resource.getrusage(resource.RUSAGE_SELF), _server_cpu_s()
        for name, value in tablets.run_tablets(1.0, base_url).items():
            print(f"{name}: {value}")
        spent = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"CPU s: this process (set-up and client) {spent.ru_utime - client.ru_utime:.2f}, "
            f"server {_server_cpu_s() - server:.2f}"
        )


if __name__ == "__main__":
    main()
