"""Awards: the exact shortlist under quotas and three structural constraints, at 5,000 and 50,000."""

from __future__ import annotations

from bench.pure import shortlist_ms


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    # 1,400 unions nominating 5,000 people for 500 awards; then everything ten times larger.
    five_k = shortlist_ms(5_000, unions=1_400, awards=500)
    fifty_k = shortlist_ms(50_000, unions=14_000, awards=5_000)
    return {"shortlist_5k_ms": round(five_k, 1), "shortlist_growth": round(fifty_k / five_k, 2)}
