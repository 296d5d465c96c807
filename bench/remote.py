"""Run a load plan through :mod:`bench.fire` in a process of its own, and read a CSRF token once."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import httpx

from bench.servers import ROOT


def csrf_token(base_url: str) -> str:
    """A valid CSRF token (any page sets one); every simulated client may reuse it with its own session."""
    return httpx.get(f"{base_url}/login", timeout=10).cookies["csrftoken"]


def fire(plan: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as plan_file:
        json.dump(plan, plan_file)
    output = subprocess.run(
        [sys.executable, "-m", "bench.fire", plan_file.name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def tablet_figures(
    prefix: str, outcome: dict, ceiling_rps: float, *, sent: int, stored: int
) -> dict[str, float | int]:
    """Sheets per second (and as a ratio of the ceiling), p50/p99, errors, and marks sent but not stored."""
    count = sum(outcome["statuses"].values())
    rate = count / outcome["elapsed_s"]
    return {
        f"{prefix}_sheets_per_s": round(rate, 1),
        f"{prefix}_ratio": round(rate / ceiling_rps, 4),
        f"{prefix}_p50_ms": round(percentile(outcome["latencies_ms"], 0.5), 1),
        f"{prefix}_p99_ms": round(percentile(outcome["latencies_ms"], 0.99), 1),
        f"{prefix}_errors": sum(n for status, n in outcome["statuses"].items() if status != "200"),
        f"{prefix}_lost": sent - stored,
    }
