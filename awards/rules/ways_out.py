"""The ways out of a shortlist that cannot be formed: what the organizer may change, each checked with the
solver itself, so nothing is offered that would still fail.

* ``awards``: the nearest numbers of places (fewer or more) with which the list can be formed;
* ``relax``: for each structural constraint, the nearest percentage that makes the list possible with every
  other rule as it is (lowered for *at least*, raised for *at most*): to be changed with a reason;
* ``unions``: ask the nominating unions to nominate more people who meet a constraint that is short, by
  how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import msgspec

from awards.rules.selection import Candidate, Quotas, StructuralConstraint
from awards.rules.shortlist import compute_shortlist

AWARD_STEPS = 5  # how far from the declared number of places to look, each way


class WayOut(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["awards", "relax", "unions"]
    message: str
    awards: int | None = None  # kind awards: the number of places that works
    constraint_index: int | None = None  # kind relax / unions: which constraint
    percent: Decimal | None = None  # kind relax: the percentage that works
    short_by: int | None = None  # kind unions: how many more people who meet the constraint
    groups: tuple[str, ...] = ()  # kind unions: the groups (unions) to ask


def _feasible(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> bool:
    if awards < 1 or awards > len(candidates):
        return False
    return compute_shortlist(candidates, awards=awards, quotas=quotas, constraints=constraints).feasible


def _award_counts(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> list[WayOut]:
    out = []
    for step, word in ((-1, "减少"), (1, "增加")):
        for n in range(awards + step, awards + step * (AWARD_STEPS + 1), step):
            if _feasible(candidates, n, quotas, constraints):
                out.append(
                    WayOut(
                        kind="awards",
                        awards=n,
                        message=f"将表彰名额由 {awards} 人{word}为 {n} 人，即可按现有规则形成名单",
                    )
                )
                break
    return out


def _relaxed(
    candidates: Sequence[Candidate],
    awards: int,
    quotas: Quotas,
    constraints: Sequence[StructuralConstraint],
    index: int,
) -> WayOut | None:
    """The nearest whole percentage for constraint ``index`` that makes the list possible (binary search:
    a lower *at least* or a higher *at most* never makes it harder)."""
    k = constraints[index]
    lowering = k.bound == "at_least"

    def works(percent: int) -> bool:
        changed = [*constraints]
        changed[index] = msgspec.structs.replace(k, percent=Decimal(percent))
        return _feasible(candidates, awards, quotas, changed)

    current = int(k.percent)
    lo, hi = (0, current) if lowering else (current, 100)
    edge = lo if lowering else hi
    if not works(edge):
        return None
    # Find the percentage closest to the declared one that still works.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if works(mid) == lowering:
            lo = mid
        else:
            hi = mid
    best = lo if lowering else hi
    if best == current and k.percent == Decimal(current):
        return None
    changed = msgspec.structs.replace(k, percent=Decimal(best))
    return WayOut(
        kind="relax",
        constraint_index=index,
        percent=Decimal(best),
        message=f"将“{k.describe()}”放宽为“{changed.describe()}”（须说明理由，记入审计日志）",
    )


def ways_out(
    candidates: Sequence[Candidate],
    *,
    awards: int,
    quotas: Quotas = None,
    constraints: Sequence[StructuralConstraint] = (),
) -> list[WayOut]:
    """What would let the list be formed, when ``compute_shortlist`` says it cannot (empty when it can)."""
    if _feasible(candidates, awards, quotas, constraints):
        return []
    out = _award_counts(candidates, awards, quotas, constraints)
    groups = tuple(sorted({c.group for c in candidates if c.group}))
    for index, k in enumerate(constraints):
        relaxed = _relaxed(candidates, awards, quotas, constraints, index)
        if relaxed is None:
            continue
        out.append(relaxed)
        if k.bound == "at_least":
            have = sum(1 for c in candidates if k.attribute in c.attributes)
            short = max(k.count(awards) - have, 0) or 1
            out.append(
                WayOut(
                    kind="unions",
                    constraint_index=index,
                    short_by=short,
                    groups=groups,
                    message=f"请各推荐工会补充推荐符合“{k.label or k.attribute}”条件的人选，至少 {short} 人",
                )
            )
    return out
