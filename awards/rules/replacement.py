"""Replacing a nominee removed from the list (an objection was upheld)."""

from __future__ import annotations

from collections.abc import Sequence

from awards.rules.selection import (
    Candidate,
    Quotas,
    Replacement,
    ShortlistInputError,
    StructuralConstraint,
    ids_text,
    quota_cap,
    sort_key,
    validate_inputs,
    who,
)
from awards.rules.shortlist import compute_shortlist


def next_replacement(
    current: Sequence[int],
    removed: int,
    candidates: Sequence[Candidate],
    *,
    awards: int,
    quotas: Quotas = None,
    constraints: Sequence[StructuralConstraint] = (),
) -> Replacement:
    """The list after ``removed`` is taken off it (an objection was upheld).

    Everyone else keeps their place, and the best remaining nominee (score, then id) whose addition keeps
    every quota and constraint moves up. If nobody can, the whole shortlist is recomputed without ``removed``
    and returned in ``recomputed`` (the service shows it as a new list, not as one move). ``candidates`` may
    still contain ``removed``; it is ignored.
    """
    validate_inputs(candidates, awards, quotas, constraints)
    by_id = {c.id: c for c in candidates}
    if any(i not in by_id for i in current):
        raise ShortlistInputError("名单中有不在候选人之列的编号")
    gone = who(by_id[removed]) if removed in by_id else f"#{removed}"
    pool = [c for c in candidates if c.id != removed]
    rest = [by_id[i] for i in current if i != removed]
    if removed not in current:
        return Replacement(
            selected=tuple(c.id for c in sorted(rest, key=sort_key)),
            removed=removed,
            added=None,
            tied_with=(),
            recomputed=None,
            message=f"{gone} 不在名单中，名单不变",
        )
    # Counts of the remaining list, so each nominee is tested in O(constraints) rather than by recounting.
    per_group: dict[str, int] = {}
    for c in rest:
        per_group[c.group] = per_group.get(c.group, 0) + 1
    have = [sum(1 for c in rest if k.attribute in c.attributes) for k in constraints]
    limits = [k.count(awards) for k in constraints]

    def keeps_rules(c: Candidate) -> bool:
        cap = quota_cap(quotas, c.group)
        if cap is not None and per_group.get(c.group, 0) + 1 > cap:
            return False
        for k, n, limit in zip(constraints, have, limits, strict=True):
            n += k.attribute in c.attributes
            if (k.bound == "at_least" and n < limit) or (k.bound == "at_most" and n > limit):
                return False
        return True

    inside = {c.id for c in rest}
    fits = (
        []
        if len(rest) + 1 != awards
        else [c for c in sorted(pool, key=sort_key) if c.id not in inside and keeps_rules(c)]
    )
    if fits:
        first = fits[0]
        tied = [c for c in fits[1:] if c.score == first.score]
        selected = tuple(c.id for c in sorted([*rest, first], key=sort_key))
        text = f"{gone} 撤下，{who(first)}（{first.score} 分）递补"
        if tied:
            text += f"；与其同分且同样符合条件的还有 {ids_text(tied)}，按编号先后确定"
        return Replacement(
            selected=selected,
            removed=removed,
            added=first.id,
            tied_with=tuple(c.id for c in tied),
            recomputed=None,
            message=text,
        )
    again = compute_shortlist(pool, awards=awards, quotas=quotas, constraints=constraints)
    text = f"{gone} 撤下后，没有一名候选人能单独递补且满足全部比例与名额，名单已整体重新计算"
    if not again.feasible:
        text += "，但仍无法满足全部条件"
    return Replacement(
        selected=again.selected, removed=removed, added=None, tied_with=(), recomputed=again, message=text
    )
