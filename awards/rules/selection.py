"""What a shortlist is made of and what it reports: the candidates, the structural constraints, the shapes
of a result, whether a list keeps every rule, and the inputs put in the canonical order the solver uses."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import msgspec

Bound = Literal["at_least", "at_most"]
Quotas = Mapping[str, int] | int | None


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A nominee still in the running (the caller leaves out anyone whose objection was upheld)."""

    id: int
    score: Decimal
    group: str  # nominating union or industry: what the quotas count
    attributes: frozenset[str] = frozenset()  # the boolean facts that are true, e.g. {"front_line", "female"}
    name: str = ""  # only for messages


class StructuralConstraint(msgspec.Struct, frozen=True, kw_only=True):
    """``attribute`` must be true for at least / at most ``percent`` % of the final list."""

    attribute: str
    bound: Bound
    percent: Decimal
    label: str = ""  # how the pages name the attribute, e.g. "一线职工"; defaults to the attribute

    def count(self, awards: int) -> int:
        """The head count in a list of ``awards``: ceil for at_least, floor for at_most (the strict side)."""
        exact = Fraction(self.percent) * awards / 100
        return math.ceil(exact) if self.bound == "at_least" else math.floor(exact)

    def describe(self) -> str:
        word = "不少于" if self.bound == "at_least" else "不超过"
        return f"{self.label or self.attribute}{word}{_percent_text(self.percent)}%"


class ConstraintCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One constraint's head count, and how many the plain ranking and the shortlist have."""

    constraint: str
    bound: Bound
    count: int  # the minimum (at_least) or maximum (at_most) number of people
    plain: int
    selected: int | None  # None when no shortlist could be formed


class Displacement(msgspec.Struct, frozen=True, kw_only=True):
    """Whom one rule brought into the list and whom it pushed out, against the ranking before the rule."""

    constraint: str
    brought_in: tuple[int, ...]
    pushed_out: tuple[int, ...]
    message: str


class Shortfall(msgspec.Struct, frozen=True, kw_only=True):
    """A requirement that no selection can meet, and by how many people it is missed."""

    constraint: str
    needed: int
    available: int
    short_by: int
    jointly: bool  # True: each rule alone could be met, but not together with the others
    message: str


class CutoffTie(msgspec.Struct, frozen=True, kw_only=True):
    """Nominees with one score, some in and some out, where the id (not the score) decided who is in."""

    ranking: Literal["final", "plain"]
    score: Decimal
    selected: tuple[int, ...]
    left_out: tuple[int, ...]
    message: str


class ShortlistResult(msgspec.Struct, frozen=True, kw_only=True):
    selected: tuple[int, ...]  # score order; empty when the rules cannot all be met
    plain: tuple[int, ...]  # the top by score within the union quotas only
    total_score: Decimal | None
    checks: tuple[ConstraintCheck, ...]
    displacements: tuple[Displacement, ...]
    infeasible: tuple[Shortfall, ...]
    cutoff_ties: tuple[CutoffTie, ...]

    @property
    def feasible(self) -> bool:
        return not self.infeasible


class Replacement(msgspec.Struct, frozen=True, kw_only=True):
    """The list after a nominee is removed (an objection was upheld)."""

    selected: tuple[int, ...]
    removed: int
    added: int | None  # the one who moved up; None if nobody could, or the whole list was recomputed
    tied_with: tuple[int, ...]  # others with the added one's score who could equally have moved up
    recomputed: ShortlistResult | None  # set when no single nominee kept every rule and the list was redone
    message: str


class ShortlistInputError(ValueError):
    """Inputs the shortlist cannot be computed from (duplicate ids, bad percentages, NaN scores ...)."""


def _percent_text(percent: Decimal) -> str:
    return format(Decimal(percent).normalize(), "f")


def who(c: Candidate) -> str:
    return c.name or f"#{c.id}"


def ids_text(cands: Iterable[Candidate], shown: int = 10) -> str:
    """Names for a message: the first ``shown``, then how many more (the ids are all in the data)."""
    everyone = list(cands)
    text = "、".join(who(c) for c in everyone[:shown])
    return text + (f" 等 {len(everyone)} 人" if len(everyone) > shown else "")


def sort_key(c: Candidate) -> tuple[Decimal, int]:
    return (-c.score, c.id)


def quota_cap(quotas: Quotas, group: str) -> int | None:
    if quotas is None:
        return None
    if isinstance(quotas, int):
        return quotas
    return quotas.get(group)  # a union the mapping does not name has no cap


def helps(constraint: StructuralConstraint, c: Candidate) -> bool:
    """Whether ``c`` counts towards meeting the constraint (has it for at_least, lacks it for at_most)."""
    has = constraint.attribute in c.attributes
    return has if constraint.bound == "at_least" else not has


def satisfies(
    selected: Iterable[Candidate],
    *,
    awards: int,
    quotas: Quotas = None,
    constraints: Sequence[StructuralConstraint] = (),
) -> bool:
    """Whether ``selected`` is a list of exactly ``awards`` people within every quota and constraint."""
    chosen = list(selected)
    if len(chosen) != awards or len({c.id for c in chosen}) != awards:
        return False
    per_group: dict[str, int] = {}
    for c in chosen:
        per_group[c.group] = per_group.get(c.group, 0) + 1
    for group, n in per_group.items():
        cap = quota_cap(quotas, group)
        if cap is not None and n > cap:
            return False
    for k in constraints:
        have = sum(1 for c in chosen if k.attribute in c.attributes)
        limit = k.count(awards)
        if (k.bound == "at_least" and have < limit) or (k.bound == "at_most" and have > limit):
            return False
    return True


class Setup(msgspec.Struct):
    """The inputs in canonical order, with group indices, caps and the head counts each constraint needs."""

    cands: list[Candidate]  # canonical order
    caps: list[int]  # per group index; len(cands) + 1 stands for "no cap"
    group_index: dict[str, int]
    active: list[int]  # indices into constraints that still need something (required > 0)
    required: list[int]  # per active constraint: people needed with the indicator
    scale: int


def validate_inputs(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> None:
    """Raise :class:`ShortlistInputError` for inputs no shortlist can be computed from."""
    if awards < 0:
        raise ShortlistInputError("评选名额不能为负数")
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ShortlistInputError("候选人编号重复")
    for c in candidates:
        if not c.score.is_finite():
            raise ShortlistInputError(f"候选人 {who(c)} 的得分无效")
    for k in constraints:
        if not 0 <= k.percent <= 100:
            raise ShortlistInputError(f"结构比例须在 0 到 100 之间：{k.describe()}")
    if isinstance(quotas, int) and quotas < 0:
        raise ShortlistInputError("单位名额不能为负数")
    if isinstance(quotas, Mapping) and any(v < 0 for v in quotas.values()):
        raise ShortlistInputError("单位名额不能为负数")


def prepare(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> Setup:
    """The :class:`Setup` of the inputs (validated first with :func:`validate_inputs`)."""
    cands = sorted(candidates, key=sort_key)
    decimals = max((max(0, -int(c.score.as_tuple().exponent)) for c in cands), default=0)
    scale = 10**decimals
    group_index: dict[str, int] = {}
    for c in cands:
        group_index.setdefault(c.group, len(group_index))
    caps = [len(cands) + 1] * len(group_index)
    for name, gi in group_index.items():
        q = quota_cap(quotas, name)
        if q is not None:
            caps[gi] = q
    active: list[int] = []
    required: list[int] = []
    for j, k in enumerate(constraints):
        need = k.count(awards) if k.bound == "at_least" else awards - k.count(awards)
        if need > 0:
            active.append(j)
            required.append(need)
    return Setup(
        cands=cands, caps=caps, group_index=group_index, active=active, required=required, scale=scale
    )
