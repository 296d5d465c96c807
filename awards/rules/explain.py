"""How a shortlist is explained: the ties at the cut-off and whom each rule brought in or pushed out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Literal

from awards.rules.selection import CutoffTie, Displacement, Setup, StructuralConstraint, helps, ids_text


class _Counts:
    """Group and attribute counts of a selection, to test one swap at a time."""

    def __init__(
        self, setup: Setup, chosen: Iterable[int], awards: int, constraints: Sequence[StructuralConstraint]
    ) -> None:
        self.setup, self.constraints = setup, constraints
        self.limits = [k.count(awards) for k in constraints]
        self.per_group: dict[str, int] = {}
        self.per_rule = [0] * len(constraints)
        for i in chosen:
            self.move(i, +1)

    def move(self, i: int, sign: int) -> None:
        c = self.setup.cands[i]
        self.per_group[c.group] = self.per_group.get(c.group, 0) + sign
        for j, k in enumerate(self.constraints):
            if k.attribute in c.attributes:
                self.per_rule[j] += sign

    def swap_ok(self, out: int, into: int) -> bool:
        """Whether replacing ``out`` by ``into`` keeps the quota of ``into``'s union and every constraint."""
        a, b = self.setup.cands[out], self.setup.cands[into]
        if a.group != b.group:
            cap = self.setup.caps[self.setup.group_index[b.group]]
            if self.per_group.get(b.group, 0) + 1 > cap:
                return False
        for j, k in enumerate(self.constraints):
            n = self.per_rule[j] - (k.attribute in a.attributes) + (k.attribute in b.attributes)
            if (k.bound == "at_least" and n < self.limits[j]) or (
                k.bound == "at_most" and n > self.limits[j]
            ):
                return False
        return True


def _score_buckets(setup: Setup) -> dict[Decimal, list[int]]:
    buckets: dict[Decimal, list[int]] = {}
    for i, c in enumerate(setup.cands):
        buckets.setdefault(c.score, []).append(i)
    return buckets


def find_cutoff_ties(
    setup: Setup,
    plain: list[int],
    selected: list[int],
    awards: int,
    constraints: Sequence[StructuralConstraint],
    feasible: bool,
) -> list[CutoffTie]:
    """Every score level where someone was left out although a same-score nominee is in and either could
    hold the place (a single swap keeps every rule), plus everyone level with the last one in.

    A swap depends only on the two unions and on which constraint attributes each one has, so one selected
    nominee per attribute pattern (or, when the left-out one's union is full, those of that union) decides.
    """
    out: list[CutoffTie] = []
    rankings: list[tuple[Literal["final", "plain"], list[int], Sequence[StructuralConstraint]]] = [
        ("plain", plain, ())
    ]
    if feasible:
        rankings.insert(0, ("final", selected, constraints))
    buckets = _score_buckets(setup)
    cands = setup.cands
    for label, chosen, rules in rankings:
        if not chosen:
            continue
        inside = set(chosen)
        counts = _Counts(setup, chosen, awards, rules)
        last = cands[max(chosen)].score
        for score, bucket in buckets.items():
            ins = [i for i in bucket if i in inside]
            if not ins or len(ins) == len(bucket):
                continue
            patterns: dict[tuple[bool, ...], int] = {}
            same_union: dict[str, list[int]] = {}
            for v in ins:
                patterns.setdefault(tuple(k.attribute in cands[v].attributes for k in rules), v)
                same_union.setdefault(cands[v].group, []).append(v)

            outs = [
                u
                for u in bucket
                if u not in inside and (score == last or _could_swap(setup, counts, u, patterns, same_union))
            ]
            if not outs:
                continue
            where = "建议名单" if label == "final" else "按分数排名（仅受单位名额限制）"
            out.append(
                CutoffTie(
                    ranking=label,
                    score=score,
                    selected=tuple(cands[i].id for i in ins),
                    left_out=tuple(cands[i].id for i in outs),
                    message=(
                        f"{where}中 {ids_text(cands[i] for i in ins)} 与 "
                        f"{ids_text(cands[i] for i in outs)} 同为 {score} 分，"
                        "按编号先后确定入选，未作其他区分"
                    ),
                )
            )
    return out


def _could_swap(
    setup: Setup,
    counts: _Counts,
    u: int,
    patterns: dict[tuple[bool, ...], int],
    same_union: dict[str, list[int]],
) -> bool:
    """Whether left-out ``u`` could replace some selected nominee of its score without breaking a rule."""
    group = setup.cands[u].group
    full = counts.per_group.get(group, 0) >= setup.caps[setup.group_index[group]]
    partners = same_union.get(group, []) if full else patterns.values()
    return any(counts.swap_ok(v, u) for v in partners)


def find_displacements(
    setup: Setup,
    plain: list[int],
    selected: list[int],
    awards: int,
    constraints: Sequence[StructuralConstraint],
) -> list[Displacement]:
    """Who each rule brought in and pushed out: quotas against the bare top-N, then each structural
    constraint against the plain ranking (a constraint is named if the plain ranking breaks it, or if it is
    exactly at its limit in the shortlist); changes no single constraint explains are listed together."""
    cands = setup.cands
    out: list[Displacement] = []

    def entry(name: str, into: Sequence[int], away: Sequence[int]) -> Displacement:
        came_in = ids_text(cands[i] for i in into) or "无"
        went_out = ids_text(cands[i] for i in away) or "无"
        text = f"{name}：{came_in}（入选）替换了 {went_out}（出列）"
        return Displacement(
            constraint=name,
            brought_in=tuple(cands[i].id for i in into),
            pushed_out=tuple(cands[i].id for i in away),
            message=text,
        )

    bare = list(range(min(awards, len(cands))))
    if set(bare) != set(plain):
        into = sorted(set(plain) - set(bare))
        away = sorted(set(bare) - set(plain))
        out.append(entry("各单位名额上限", into, away))
    came = sorted(set(selected) - set(plain))
    went = sorted(set(plain) - set(selected))
    explained_in: set[int] = set()
    explained_out: set[int] = set()
    for k in constraints:
        limit = k.count(awards)
        in_plain = sum(1 for i in plain if k.attribute in cands[i].attributes)
        in_final = sum(1 for i in selected if k.attribute in cands[i].attributes)
        broken = in_plain < limit if k.bound == "at_least" else in_plain > limit
        if not (broken or (in_final == limit and came)):
            continue
        into = [i for i in came if helps(k, cands[i])]
        away = [i for i in went if not helps(k, cands[i])]
        if into or away:
            out.append(entry(k.describe(), into, away))
            explained_in.update(into)
            explained_out.update(away)
    rest_in = [i for i in came if i not in explained_in]
    rest_out = [i for i in went if i not in explained_out]
    if rest_in or rest_out:
        out.append(entry("多项比例共同调整", rest_in, rest_out))
    return out
