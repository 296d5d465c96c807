"""Load generators, always in a process other than the server's: wrk for plain GETs."""

from __future__ import annotations

import re
import shutil
import subprocess

DURATION_S = 8
CONNECTIONS = 64


def wrk_rps(
    url: str,
    *,
    duration_s: int = DURATION_S,
    connections: int = CONNECTIONS,
    headers: dict[str, str] | None = None,
) -> float:
    """Requests per second that wrk sustains against ``url`` (2 threads, ``connections`` connections)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses from {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
