"""Competitions: eligibility of 10,000 people against one competition's rules."""

from __future__ import annotations

from bench.pure import best_ms, check_people, people


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    facts = people(10_000)
    return {"eligibility_10k_ms": round(best_ms(lambda: check_people(facts)), 2)}
