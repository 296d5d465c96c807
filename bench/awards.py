"""Awards: the exact shortlist under quotas and three structural constraints, at 5,000 and 50,000; and the
made-up nominations the shortlist wrapper (``awards.shortlist_report.plan_shortlist``) is driven with."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from awards.rules import StructuralConstraint
from awards.shortlist_report import Plan, PoolItem, plan_shortlist, quotas_for
from bench.pure import shortlist_ms


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    # 1,400 unions nominating 5,000 people for 500 awards; then everything ten times larger.
    five_k = shortlist_ms(5_000, unions=1_400, awards=500)
    fifty_k = shortlist_ms(50_000, unions=14_000, awards=5_000)
    return {"shortlist_5k_ms": round(five_k, 1), "shortlist_growth": round(fifty_k / five_k, 2)}


def synthetic_pool(n: int, *, seed: int = 2026, unions: int | None = None, direct: int = 0) -> list[PoolItem]:
    """``n`` made-up reviewed nominations from ``unions`` unions (default n/20), for benchmarks and property
    tests: scores 60-100 with 2 decimals (so ties happen), about 65% front line, 8% enterprise heads, 35%
    women, 55% industrial workers."""
    rng = random.Random(seed)
    groups = unions or max(1, n // 20)
    items = []
    for i in range(1, n + 1):
        attributes = set()
        leader = rng.random() < 0.08
        if leader:
            attributes.add("enterprise_leader")
        elif rng.random() < 0.7:
            attributes.add("front_line")
        if rng.random() < 0.35:
            attributes.add("female")
        if not leader and rng.random() < 0.6:
            attributes.add("industrial_worker")
        group = str(rng.randrange(groups) + 1)
        items.append(
            PoolItem(
                nomination_id=i,
                name=f"候选人{i}",
                employer_name=f"企业{group}",
                group=group,
                group_name=f"工会{group}",
                attributes=frozenset(attributes),
                score=Decimal(rng.randrange(6000, 10001)) / 100,
                source="direct" if i <= direct else "union",
            )
        )
    return items


SHORTLIST_CONSTRAINTS = (
    StructuralConstraint(attribute="front_line", bound="at_least", percent=Decimal(60), label="一线职工"),
    StructuralConstraint(
        attribute="enterprise_leader", bound="at_most", percent=Decimal(10), label="企业负责人"
    ),
    StructuralConstraint(attribute="female", bound="at_least", percent=Decimal(30), label="女性"),
)


def bench_case(
    n: int, *, awards: int | None = None, seed: int = 2026
) -> tuple[list[PoolItem], dict[str, Any]]:
    """Inputs to time :func:`plan_shortlist` on (build them outside the timing):
    ``n`` synthetic nominations (:func:`synthetic_pool`), three structural constraints
    (:data:`SHORTLIST_CONSTRAINTS`), a quota of 3 per union, and ``awards`` places (default n / 10).

        items, rules = bench_case(5000)
        plan_shortlist(items, **rules)
    """
    items = synthetic_pool(n, seed=seed)
    places = awards if awards is not None else max(1, n // 10)
    rules = {
        "awards": places,
        "quotas": quotas_for(items, lambda _: 3),
        "constraints": SHORTLIST_CONSTRAINTS,
    }
    return items, rules


def bench_shortlist(n: int, *, awards: int | None = None, seed: int = 2026) -> Plan:
    """:func:`plan_shortlist` on :func:`bench_case` (building the inputs included)."""
    items, rules = bench_case(n, awards=awards, seed=seed)
    return plan_shortlist(items, **rules)
