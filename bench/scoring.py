"""Scoring: exact aggregation and ranking at 1,000 and 10,000 contestants (7 judges, 40 aspects)."""

from __future__ import annotations

from bench.pure import aggregate_ms


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    one_k = aggregate_ms(1_000)
    ten_k = aggregate_ms(10_000)
    return {"aggregate_1k_ms": round(one_k, 1), "aggregate_growth": round(ten_k / one_k, 2)}
