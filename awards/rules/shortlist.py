"""compute_shortlist: the plain ranking, what cannot be met, the exact optimum and the report around it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from awards.rules.explain import find_cutoff_ties, find_displacements
from awards.rules.selection import (
    Candidate,
    ConstraintCheck,
    Quotas,
    Setup,
    Shortfall,
    ShortlistResult,
    StructuralConstraint,
    helps,
    prepare,
    validate_inputs,
)
from awards.rules.solver import Solver


def _quota_greedy(setup: Setup, awards: int) -> list[int]:
    """The plain ranking: best first, skipping anyone whose union's quota is full, until ``awards``."""
    taken: dict[int, int] = {}
    chosen: list[int] = []
    for i, c in enumerate(setup.cands):
        if len(chosen) == awards:
            break
        gi = setup.group_index[c.group]
        if taken.get(gi, 0) < setup.caps[gi]:
            taken[gi] = taken.get(gi, 0) + 1
            chosen.append(i)
    return chosen


def _capacity(setup: Setup, keep: Iterable[int]) -> int:
    """How many of the candidates ``keep`` can be chosen at once within the quotas."""
    per_group: dict[int, int] = {}
    for i in keep:
        gi = setup.group_index[setup.cands[i].group]
        per_group[gi] = per_group.get(gi, 0) + 1
    return sum(min(n, setup.caps[gi]) for gi, n in per_group.items())


def _shortfalls_alone(
    setup: Setup, awards: int, constraints: Sequence[StructuralConstraint]
) -> list[Shortfall]:
    """Each rule on its own: N people within the quotas, then each constraint with the quotas."""
    out: list[Shortfall] = []
    everyone = _capacity(setup, range(len(setup.cands)))
    if everyone < awards:
        out.append(
            Shortfall(
                constraint="评选名额",
                needed=awards,
                available=everyone,
                short_by=awards - everyone,
                jointly=False,
                message=(
                    f"评选名额 {awards} 人，但在各单位名额内最多只能选出 {everyone} 人，"
                    f"还差 {awards - everyone} 人"
                ),
            )
        )
    for j, need in zip(setup.active, setup.required, strict=True):
        k = constraints[j]
        can = min(awards, _capacity(setup, (i for i, c in enumerate(setup.cands) if helps(k, c))))
        if can >= need:
            continue
        name = k.label or k.attribute
        if k.bound == "at_least":
            text = f"{k.describe()}：需要 {need} 人，符合条件可入选的只有 {can} 人，还差 {need - can} 人"
        else:
            text = (
                f"{k.describe()}：最多 {k.count(awards)} 人，其余 {need} 人须为非{name}，"
                f"但可入选的非{name}只有 {can} 人，还差 {need - can} 人"
            )
        out.append(
            Shortfall(
                constraint=k.describe(),
                needed=need,
                available=can,
                short_by=need - can,
                jointly=False,
                message=text,
            )
        )
    return out


def compute_shortlist(
    candidates: Sequence[Candidate],
    *,
    awards: int,
    quotas: Quotas = None,
    constraints: Sequence[StructuralConstraint] = (),
) -> ShortlistResult:
    """The shortlist of exactly ``awards`` nominees with the greatest total score under every rule.

    ``quotas`` caps how many may come from one group: a mapping group -> cap (groups it does not name have
    no cap), one cap for every group, or None. ``constraints`` are the structural proportions over the final
    list (see the module docstring for how a percentage becomes a head count). When the rules cannot all be
    met, ``selected`` is empty and ``infeasible`` says which rule fails and by how many people.
    """
    validate_inputs(candidates, awards, quotas, constraints)
    setup = prepare(candidates, awards, quotas, constraints)
    cands = setup.cands
    plain = _quota_greedy(setup, awards)
    infeasible = _shortfalls_alone(setup, awards, constraints)
    chosen: list[int] | None = None
    if not infeasible:
        chosen = _solve(setup, awards, constraints)
        missing = _missing(setup, chosen, constraints)
        if missing:
            infeasible = missing
            chosen = None
    selected = sorted(chosen) if chosen is not None else []
    checks = tuple(
        ConstraintCheck(
            constraint=k.describe(),
            bound=k.bound,
            count=k.count(awards),
            plain=sum(1 for i in plain if k.attribute in cands[i].attributes),
            selected=None
            if chosen is None
            else sum(1 for i in selected if k.attribute in cands[i].attributes),
        )
        for k in constraints
    )
    return ShortlistResult(
        selected=tuple(cands[i].id for i in selected),
        plain=tuple(cands[i].id for i in plain),
        total_score=None if chosen is None else sum((cands[i].score for i in selected), Decimal(0)),
        checks=checks,
        displacements=tuple(find_displacements(setup, plain, selected, awards, constraints))
        if chosen is not None
        else (),
        infeasible=tuple(infeasible),
        cutoff_ties=tuple(find_cutoff_ties(setup, plain, selected, awards, constraints, chosen is not None)),
    )


def _solve(setup: Setup, awards: int, constraints: Sequence[StructuralConstraint]) -> list[int]:
    cands = setup.cands
    if awards == 0:
        return []
    # Score first, then the lower id among equal scores, folded into one integer weight (see the solver).
    scores = [int(c.score * setup.scale) for c in cands]
    behind = [0] * len(cands)  # how many of the same score come after (canonical order is by id among them)
    for i in range(len(cands) - 2, -1, -1):
        if scores[i] == scores[i + 1]:
            behind[i] = behind[i + 1] + 1
    big = awards * (max(behind) + 1) + 1
    weights = [score * big + later for score, later in zip(scores, behind, strict=True)]
    sigs = []
    for c in cands:
        sig = 0
        for bit, j in enumerate(setup.active):
            sig |= int(helps(constraints[j], c)) << bit
        sigs.append(sig)
    groups = [setup.group_index[c.group] for c in cands]
    caps = [min(cap, awards) for cap in setup.caps]
    return Solver(weights, groups, sigs, caps, setup.required, awards, big).solve()


def _missing(setup: Setup, chosen: list[int], constraints: Sequence[StructuralConstraint]) -> list[Shortfall]:
    """Shortfalls of the soft optimum: nonempty only when the rules, each possible alone, clash together.

    The solver minimised the total number of missing people first, so ``total`` is exact; how it splits
    between the rules is that of one closest list.
    """
    gaps = []
    for j, need in zip(setup.active, setup.required, strict=True):
        have = sum(1 for i in chosen if helps(constraints[j], setup.cands[i]))
        if have < need:
            gaps.append((constraints[j], need, have))
    total = sum(need - have for _, need, have in gaps)
    out = []
    for k, need, have in gaps:
        name = k.label or k.attribute
        counted = f"{need} 人" if k.bound == "at_least" else f"{need} 名非{name}"
        out.append(
            Shortfall(
                constraint=k.describe(),
                needed=need,
                available=have,
                short_by=need - have,
                jointly=True,
                message=(
                    f"各项比例无法同时满足，最接近的名单共差 {total} 人；其中{k.describe()}需要 {counted}，"
                    f"只能做到 {have} 人，差 {need - have} 人"
                ),
            )
        )
    return out
