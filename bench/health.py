"""``GET /health`` through the whole middleware stack, against the bare app's ceiling."""

from __future__ import annotations

from bench.load import wrk_rps


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    health = wrk_rps(f"{base_url}/health")
    return {"health_rps": round(health, 1), "health_ratio": round(health / ceiling_rps, 3)}
