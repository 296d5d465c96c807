"""Pure rules of the awards domain: programme lifecycle, nomination quotas and the computed shortlist.

Nothing here touches the database, the clock or the web framework: the service loads the facts, calls these
functions and stores what they decide.

The shortlist (建议名单) is computed, not hand-picked. Among all selections of exactly ``awards`` nominees
that respect every union's quota (名额) and every structural constraint (结构比例), it is one with the
greatest total score; see :func:`compute_shortlist` for the rules and section 4 for why it is exact.

Conventions spelled out once:

* A percentage becomes a head count over the final list of ``awards`` people: *at least p%* needs
  ``ceil(p * awards / 100)`` (rounding towards the stricter side, so "at least 30% of 16" needs 5, not 4.8),
  *at most p%* allows ``floor(p * awards / 100)`` (again the stricter side: "at most 10% of 16" allows 1).
* The order of a list is score (high to low), then id (low to high). Where two nominees have the same score
  and either could take the place, the lower id is chosen and the tie is *reported* in
  :attr:`ShortlistResult.cutoff_ties`, never silently settled.
* The "plain" ranking is the top ``awards`` by score that respects the union quotas only; displacements
  explain how the structural constraints changed it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Literal

import msgspec

# ---------------------------------------------------------------------------------------------------------
# 1. Lifecycle
# ---------------------------------------------------------------------------------------------------------


class ProgrammeState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    ELIGIBILITY_REVIEW = "eligibility_review"
    EXPERT_REVIEW = "expert_review"
    SHORTLIST = "shortlist"
    PUBLIC_NOTICE = "public_notice"
    AWARDED = "awarded"
    ARCHIVED = "archived"


STATE_NAMES: dict[str, str] = {
    ProgrammeState.DRAFT: "草稿",
    ProgrammeState.OPEN: "征集推荐",
    ProgrammeState.ELIGIBILITY_REVIEW: "资格审查",
    ProgrammeState.EXPERT_REVIEW: "专家评审",
    ProgrammeState.SHORTLIST: "建议名单",
    ProgrammeState.PUBLIC_NOTICE: "公示",
    ProgrammeState.AWARDED: "已表彰",
    ProgrammeState.ARCHIVED: "已归档",
}

# The whole lifecycle in one table. Only the forward path is allowed: an upheld objection during the public
# notice is handled inside that state (the nominee is replaced, see :func:`next_replacement`), so no state
# ever has to be re-entered. Keyed by str so plain strings from the database look up the same.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgrammeState.DRAFT: frozenset({ProgrammeState.OPEN}),
    ProgrammeState.OPEN: frozenset({ProgrammeState.ELIGIBILITY_REVIEW}),
    ProgrammeState.ELIGIBILITY_REVIEW: frozenset({ProgrammeState.EXPERT_REVIEW}),
    ProgrammeState.EXPERT_REVIEW: frozenset({ProgrammeState.SHORTLIST}),
    ProgrammeState.SHORTLIST: frozenset({ProgrammeState.PUBLIC_NOTICE}),
    ProgrammeState.PUBLIC_NOTICE: frozenset({ProgrammeState.AWARDED}),
    ProgrammeState.AWARDED: frozenset({ProgrammeState.ARCHIVED}),
    ProgrammeState.ARCHIVED: frozenset(),
}


class TransitionError(Exception):
    """A state change the lifecycle forbids; the service answers 409 and names ``current``."""

    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        self.allowed = tuple(sorted(ALLOWED_TRANSITIONS.get(current, frozenset())))
        self.message = f"评选当前处于「{_state_name(current)}」阶段，不能变更为「{_state_name(target)}」"
        super().__init__(self.message)


def _state_name(state: str) -> str:
    return STATE_NAMES.get(state, state)


def transition_error(current: str, target: str) -> TransitionError | None:
    """The error for ``current -> target``, or None when the table allows it (unknown states never are)."""
    if target in ALLOWED_TRANSITIONS.get(current, frozenset()):
        return None
    return TransitionError(current, target)


def check_transition(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless ``current -> target`` is in :data:`ALLOWED_TRANSITIONS`."""
    error = transition_error(current, target)
    if error is not None:
        raise error


# ---------------------------------------------------------------------------------------------------------
# 2. Nomination quota
# ---------------------------------------------------------------------------------------------------------


class NominationQuotaError(Exception):
    """A union tries to nominate more people than its quota (409 for the service)."""

    code = "nomination_quota_exceeded"

    def __init__(self, *, already: int, adding: int, quota: int) -> None:
        self.already, self.adding, self.quota = already, adding, quota
        self.excess = already + adding - quota
        self.message = (
            f"本单位推荐名额为 {quota} 人，已推荐 {already} 人，本次再推荐 {adding} 人将超出 {self.excess} 人"
        )
        super().__init__(self.message)


def check_nomination_quota(already: int, adding: int, quota: int | None) -> None:
    """Raise :class:`NominationQuotaError` if ``already + adding`` nominations exceed ``quota``.

    ``quota`` None means the programme sets no per-union quota. Negative numbers are programming errors.
    """
    if already < 0 or adding < 0 or (quota is not None and quota < 0):
        raise ValueError("counts and quota must not be negative")
    if quota is not None and already + adding > quota:
        raise NominationQuotaError(already=already, adding=adding, quota=quota)


# ---------------------------------------------------------------------------------------------------------
# 3. Shortlist: inputs and results
# ---------------------------------------------------------------------------------------------------------

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


def _who(c: Candidate) -> str:
    return c.name or f"#{c.id}"


def _ids_text(cands: Iterable[Candidate], shown: int = 10) -> str:
    """Names for a message: the first ``shown``, then how many more (the ids are all in the data)."""
    everyone = list(cands)
    text = "、".join(_who(c) for c in everyone[:shown])
    return text + (f" 等 {len(everyone)} 人" if len(everyone) > shown else "")


def _sort_key(c: Candidate) -> tuple[Decimal, int]:
    return (-c.score, c.id)


def _quota_of(quotas: Quotas, group: str) -> int | None:
    if quotas is None:
        return None
    if isinstance(quotas, int):
        return quotas
    return quotas.get(group)  # a union the mapping does not name has no cap


def _helps(constraint: StructuralConstraint, c: Candidate) -> bool:
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
        cap = _quota_of(quotas, group)
        if cap is not None and n > cap:
            return False
    for k in constraints:
        have = sum(1 for c in chosen if k.attribute in c.attributes)
        limit = k.count(awards)
        if (k.bound == "at_least" and have < limit) or (k.bound == "at_most" and have > limit):
            return False
    return True


# ---------------------------------------------------------------------------------------------------------
# 4. The exact solver
# ---------------------------------------------------------------------------------------------------------
#
# Model. Scores are scaled to integers (exact). Every constraint is rewritten as "at least L_j people with
# indicator j", where the indicator is the attribute (at_least) or its absence (at most floor(pN/100) with it
# == at least N - floor(pN/100) without it). A nominee's *type* is the set of indicators it has; union quotas
# cap each group. We maximise the total over lists of exactly N.
#
# Tie-break inside the objective: weight w_i = score_i * B + t_i, where t_i counts the nominees of the same
# score with a higher id and B = N * (largest such group) + 1, so any score difference outweighs every sum of
# tie-break terms. An optimum of w is an optimum of the scores and, among those, no single same-score swap
# towards a lower id is possible (it would raise w). Distinct weights also keep the exact search below small
# when many nominees share a score.
#
# Reduction: inside one union and one type only the best ``quota`` nominees can matter (swapping a chosen one
# for a better unchosen one of the same union and type keeps every count and cannot lower the total).
#
# Bound (Lagrangian relaxation). For multipliers lam_j >= 0 and a threshold mu, give nominee i the value
# v_i = w_i + sum(lam_j for its indicators) - mu. For every list x of N within the quotas
#     total(x) = L(lam, mu) - sum_g rc_g(x_g) - sum_j lam_j * (c_j(x) - L_j)
# where L = sum_g best_g + mu * N - sum_j lam_j * L_j, best_g is the most union g can add to sum(v) within
# its quota and rc_g >= 0 is how much less it adds in x. For a feasible x the last sum is >= 0, so L bounds
# every feasible total, and a union's choice with rc_g > L - target is in no list worth >= target. With mu the
# N-th value of the quota greedy, L is what that greedy achieves (greedy is optimal on a matroid). The
# multipliers come from a coordinate and pattern search on the convex function L; any multipliers give a
# valid bound, good ones only make the exact search faster.
#
# Exact search. A dynamic programme runs over the unions whose choice is not forced ("free": some other choice
# has rc_g <= L - target); its state is (people chosen, people with each indicator capped at L_j) and it keeps
# the best total per state. A state is dropped only when the bound proves it cannot reach the target, so the
# programme returns the best of all lists worth >= target; if it returns one, that list is optimal. The target
# starts at the bound and is lowered (doubling the gap) until a list is found.
#
# Soft form: a list that misses constraint j by s people is charged M * s, M larger than any difference of
# totals, so the search first minimises the total shortfall, then maximises the score (the bound stays valid
# for lam_j <= M). A non-zero shortfall is reported as constraints that cannot be met together.


class _Greedy(msgspec.Struct):
    value: int  # sum of w + lam-offsets over the chosen (mu not subtracted)
    counts: list[int]
    mu: int  # value of the last one chosen


class _Solver:
    """Exact maximum-score list of ``n_awards`` within quotas and constraints (soft form, see above)."""

    def __init__(
        self,
        weights: list[int],
        groups: list[int],
        sigs: list[int],
        caps: list[int],
        required: list[int],
        n_awards: int,
        unit: int,
    ) -> None:
        # Candidates are indexed in canonical order (score desc, id asc): index order breaks every tie.
        self.w, self.g, self.sig, self.cap = weights, groups, sigs, caps
        self.req = required
        self.m = len(required)
        self.n = n_awards
        self.unit = unit  # one step of score in the weights: the coarse grid of the multiplier search
        spread = (max(weights) - min(weights)) if weights else 0
        self.big = spread * n_awards + 1  # M: more than any difference between two totals
        self.by_type: dict[int, list[int]] = {}
        kept: dict[tuple[int, int], int] = {}
        for i in range(len(weights)):
            key = (groups[i], sigs[i])
            if kept.get(key, 0) < caps[groups[i]]:  # reduction: top quota per union and type
                kept[key] = kept.get(key, 0) + 1
                self.by_type.setdefault(sigs[i], []).append(i)
        self.type_w = {s: [weights[i] for i in lst] for s, lst in self.by_type.items()}
        self.type_g = {s: [groups[i] for i in lst] for s, lst in self.by_type.items()}
        self.cache: dict[tuple[tuple[int, ...], tuple[int, ...]], _Greedy] = {}

    # -- Lagrangian ---------------------------------------------------------------------------------------

    def _offsets(self, lam: Sequence[int]) -> dict[int, int]:
        return {s: sum(lam[j] for j in range(self.m) if s >> j & 1) for s in self.by_type}

    def greedy(self, lam: Sequence[int], toward: Sequence[int] = ()) -> _Greedy:
        """Top ``n_awards`` by w + offsets within the quotas (optimal for a matroid), merging the type lists.

        Equal values go to the type that gains most when lam moves ``toward``, so the counts give the right
        derivative of the bound along that direction (then canonical order)."""
        key = (tuple(lam), tuple(toward))
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        offsets = self._offsets(lam)
        lean = self._offsets(toward) if toward else dict.fromkeys(offsets, 0)
        cap = self.cap
        heap = [(-(ws[0] + offsets[s]), -lean[s], self.by_type[s][0], s, 0) for s, ws in self.type_w.items()]
        heapq.heapify(heap)
        taken: dict[int, int] = {}
        per_type = dict.fromkeys(offsets, 0)
        value = mu = 0
        room = self.n
        while heap and room:
            neg_v, neg_lean, _, s, pos = heap[0]
            ws = self.type_w[s]
            grp = self.type_g[s][pos]
            if pos + 1 < len(ws):
                heapq.heapreplace(
                    heap, (-(ws[pos + 1] + offsets[s]), neg_lean, self.by_type[s][pos + 1], s, pos + 1)
                )
            else:
                heapq.heappop(heap)
            have = taken.get(grp, 0)
            if have < cap[grp]:
                taken[grp] = have + 1
                per_type[s] += 1
                value -= neg_v
                mu = -neg_v
                room -= 1
        counts = [sum(n for s, n in per_type.items() if s >> j & 1) for j in range(self.m)]
        result = _Greedy(value=value, counts=counts, mu=mu)
        self.cache[key] = result
        return result

    def bound(self, lam: Sequence[int]) -> int:
        return self.greedy(lam).value - sum(lam[j] * self.req[j] for j in range(self.m))

    def slope(self, lam: Sequence[int], step: Sequence[int]) -> int:
        """The right derivative of the bound at ``lam`` along ``step``: sum of step_j * (c_j - L_j)."""
        counts = self.greedy(lam, step).counts
        return sum(step[j] * (counts[j] - self.req[j]) for j in range(self.m))

    def multipliers(self) -> list[int]:
        """Multipliers with a small bound: coordinate descent, each round followed by a step along the
        round's net move (a pattern search, so two constraints that push against each other do not zigzag),
        first on a grid of one score step, then refined to single units (the tie-break resolution).
        Any result is valid; a good one only keeps the exact search small."""
        lam = [0] * self.m
        for grid in (self.unit, 1) if self.unit > 1 else (1,):
            for _ in range(50):
                before = list(lam)
                for j in range(self.m):
                    for sign in (1, -1):
                        step = [0] * self.m
                        step[j] = sign * grid
                        room = (self.big - lam[j]) // grid if sign > 0 else lam[j] // grid
                        lam = self._descend(lam, step, room)
                if lam == before:
                    break
                step = [a - b for a, b in zip(lam, before, strict=True)]
                common = math.gcd(*step)
                step = [x // common for x in step]
                room = min(
                    (self.big - lam[j]) // x if x > 0 else lam[j] // -x for j, x in enumerate(step) if x
                )
                lam = self._descend(lam, step, room)
        return lam

    def _descend(self, lam: list[int], step: list[int], room: int) -> list[int]:
        """Minimise the bound (convex) over lam + t * step for integers 0 <= t <= room: gallop, then bisect
        on the sign of the right derivative, then take the better of the two integers around the kink."""

        def at(t: int) -> list[int]:
            return [a + t * b for a, b in zip(lam, step, strict=True)]

        def rising(t: int) -> bool:
            return t >= room or self.slope(at(t), step) >= 0

        if rising(0):
            return lam
        lo, reach = 0, 1  # invariant: not rising(lo)
        while not rising(lo + reach):
            lo += reach
            reach *= 2
        hi = min(lo + reach, room)
        while hi - lo > 1:  # not rising(lo), rising(hi)
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if rising(mid) else (mid, hi)
        return at(hi - 1) if self.bound(at(hi - 1)) < self.bound(at(hi)) else at(hi)

    # -- exact search ------------------------------------------------------------------------------------

    def solve(self) -> list[int]:
        """Indices of an optimal list (soft form); the caller has checked that N people fit the quotas."""
        lam = self.multipliers()
        top = self.bound(lam)
        mu = self.greedy(lam).mu
        offsets = self._offsets(lam)
        prep = _Prepared(self, lam, mu, offsets)
        gap = 0
        while True:
            found = prep.search(top, top - gap)
            if found is not None:
                return found
            gap = max(1, gap * 2)


class _GroupData(msgspec.Struct):
    members: list[list[int]]  # per type present in the union: candidate indices, best first
    values: list[list[int]]  # v = w + offset - mu, same shape
    best: int  # the most the union can add to sum(v) within its quota
    best_pick: list[int]  # the choice achieving it
    rc_min: int  # the least reduced cost of any other choice (> gap means the union's choice is forced)
    quota: int


class _Prepared:
    """The unions under fixed multipliers; :meth:`search` runs the dynamic programme for one target."""

    def __init__(self, solver: _Solver, lam: list[int], mu: int, offsets: dict[int, int]) -> None:
        self.s = solver
        self.lam = lam
        self.mu = mu
        by_group: dict[int, dict[int, list[int]]] = {}
        for sig, lst in solver.by_type.items():
            for i in lst:
                by_group.setdefault(solver.g[i], {}).setdefault(sig, []).append(i)
        self.groups: list[_GroupData] = []
        for gid, types in by_group.items():
            members = [types[s] for s in sorted(types)]
            values = [[solver.w[i] + offsets[solver.sig[i]] - mu for i in lst] for lst in members]
            quota = min(solver.cap[gid], solver.n)
            flat = sorted(
                (
                    (v, i)
                    for lst, vals in zip(members, values, strict=True)
                    for i, v in zip(lst, vals, strict=True)
                ),
                key=lambda t: (-t[0], t[1]),
            )
            pick = [i for v, i in flat[:quota] if v > 0]
            best = sum(v for v, _ in flat[: len(pick)])
            rest = flat[len(pick) :]
            moves = []
            if pick:
                low = flat[len(pick) - 1][0]
                moves.append(low)  # drop one
                if rest:
                    moves.append(low - rest[0][0])  # swap one
            if rest and len(pick) < quota:
                moves.append(-rest[0][0])  # add one
            rc_min = min(moves) if moves else solver.big * (solver.n + 1) * (solver.m + 1)
            self.groups.append(
                _GroupData(
                    members=members, values=values, best=best, best_pick=pick, rc_min=rc_min, quota=quota
                )
            )
        self.groups.sort(key=lambda gd: gd.rc_min)

    def search(self, top: int, target: int) -> list[int] | None:
        s = self.s
        gap = top - target
        n_free = 0
        while n_free < len(self.groups) and self.groups[n_free].rc_min <= gap:
            n_free += 1
        free = self.groups[:n_free]
        # Forced unions: their best choice, summed into the starting state.
        base_pick: list[int] = []
        for gd in self.groups[n_free:]:
            base_pick.extend(gd.best_pick)
        n0 = len(base_pick)
        c0 = [0] * s.m
        v0 = 0
        for i in base_pick:
            v0 += s.w[i]
            for j in range(s.m):
                c0[j] += s.sig[i] >> j & 1
        options = [self._options(gd, gap) for gd in free]
        # Suffix sums for the bound of a state before union k: best still to add, most people, most per
        # indicator.
        k_free = len(free)
        rest_best = [0] * (k_free + 1)
        rest_size = [0] * (k_free + 1)
        rest_reach = [[0] * s.m for _ in range(k_free + 1)]
        for k in range(k_free - 1, -1, -1):
            rest_best[k] = rest_best[k + 1] + free[k].best
            rest_size[k] = rest_size[k + 1] + max(o[0] for o in options[k])
            for j in range(s.m):
                rest_reach[k][j] = rest_reach[k + 1][j] + max(o[1][j] for o in options[k])
        req, lam, mu, big, n = s.req, self.lam, self.mu, s.big, s.n

        def potential(k: int, value: int, people: int, have: tuple[int, ...]) -> int:
            bound = value + rest_best[k] + mu * (n - people)
            for j in range(s.m):
                missing = req[j] - have[j]
                if missing > 0:
                    bound -= lam[j] * missing
                    beyond = missing - rest_reach[k][j]
                    if beyond > 0:
                        bound -= (big - lam[j]) * beyond
            return bound

        start = (n0, *(min(c0[j], req[j]) for j in range(s.m)))
        layers: list[dict[tuple[int, ...], tuple[int, tuple[int, ...] | None, int]]] = [
            {start: (v0, None, -1)}
        ]
        if n0 > n or n0 + rest_size[0] < n or potential(0, v0, n0, start[1:]) < target:
            return None
        for k in range(k_free):
            nxt: dict[tuple[int, ...], tuple[int, tuple[int, ...] | None, int]] = {}
            for key, (value, _, _) in layers[-1].items():
                people = key[0]
                for idx, (size, adds, gain, _) in enumerate(options[k]):
                    p2 = people + size
                    if p2 > n or p2 + rest_size[k + 1] < n:
                        continue
                    have = tuple(min(req[j], key[1 + j] + adds[j]) for j in range(s.m))
                    v2 = value + gain
                    if potential(k + 1, v2, p2, have) < target:
                        continue
                    k2 = (p2, *have)
                    old = nxt.get(k2)
                    if old is None or old[0] < v2:
                        nxt[k2] = (v2, key, idx)
            if not nxt:
                return None
            layers.append(nxt)
        best_key = None
        best_val = None
        for key, (value, _, _) in layers[-1].items():
            if key[0] != n:
                continue
            soft = value - big * sum(req[j] - key[1 + j] for j in range(s.m))
            if soft >= target and (best_val is None or soft > best_val):
                best_key, best_val = key, soft
        if best_key is None:
            return None
        picked = list(base_pick)
        key = best_key
        for k in range(k_free, 0, -1):
            _, prev, idx = layers[k][key]
            picked.extend(options[k - 1][idx][3])
            assert prev is not None
            key = prev
        return picked

    def _options(self, gd: _GroupData, gap: int) -> list[tuple[int, list[int], int, list[int]]]:
        """Every choice of the union (a best-first prefix of each type, within the quota) whose reduced cost
        is <= gap, as (size, indicator counts, total w, indices)."""
        s = self.s
        n_types = len(gd.members)
        # Upper bound of what types k.. can still add with a given capacity: the best positive values.
        suffix: list[list[int]] = [[] for _ in range(n_types + 1)]
        for k in range(n_types - 1, -1, -1):
            suffix[k] = sorted([v for v in gd.values[k] if v > 0] + suffix[k + 1], reverse=True)
        found: list[tuple[int, list[int], int, list[int]]] = []
        chosen: list[int] = []

        def walk(k: int, room: int, value: int) -> None:
            if gd.best - (value + sum(suffix[k][:room])) > gap:
                return
            if k == n_types:
                counts = [sum(s.sig[i] >> j & 1 for i in chosen) for j in range(s.m)]
                found.append((len(chosen), counts, sum(s.w[i] for i in chosen), list(chosen)))
                return
            walk(k + 1, room, value)
            acc = 0
            lst, vals = gd.members[k], gd.values[k]
            for t in range(min(room, len(lst))):
                acc += vals[t]
                chosen.append(lst[t])
                walk(k + 1, room - t - 1, value + acc)
            del chosen[len(chosen) - min(room, len(lst)) :]

        walk(0, gd.quota, 0)
        return found


# ---------------------------------------------------------------------------------------------------------
# 5. compute_shortlist and what it reports
# ---------------------------------------------------------------------------------------------------------


class _Setup(msgspec.Struct):
    cands: list[Candidate]  # canonical order
    caps: list[int]  # per group index; len(cands) + 1 stands for "no cap"
    group_index: dict[str, int]
    active: list[int]  # indices into constraints that still need something (required > 0)
    required: list[int]  # per active constraint: people needed with the indicator
    scale: int


def _validate(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> None:
    if awards < 0:
        raise ShortlistInputError("评选名额不能为负数")
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ShortlistInputError("候选人编号重复")
    for c in candidates:
        if not c.score.is_finite():
            raise ShortlistInputError(f"候选人 {_who(c)} 的得分无效")
    for k in constraints:
        if not 0 <= k.percent <= 100:
            raise ShortlistInputError(f"结构比例须在 0 到 100 之间：{k.describe()}")
    if isinstance(quotas, int) and quotas < 0:
        raise ShortlistInputError("单位名额不能为负数")
    if isinstance(quotas, Mapping) and any(v < 0 for v in quotas.values()):
        raise ShortlistInputError("单位名额不能为负数")


def _setup(
    candidates: Sequence[Candidate], awards: int, quotas: Quotas, constraints: Sequence[StructuralConstraint]
) -> _Setup:
    cands = sorted(candidates, key=_sort_key)
    decimals = max((max(0, -int(c.score.as_tuple().exponent)) for c in cands), default=0)
    scale = 10**decimals
    group_index: dict[str, int] = {}
    for c in cands:
        group_index.setdefault(c.group, len(group_index))
    caps = [len(cands) + 1] * len(group_index)
    for name, gi in group_index.items():
        q = _quota_of(quotas, name)
        if q is not None:
            caps[gi] = q
    active: list[int] = []
    required: list[int] = []
    for j, k in enumerate(constraints):
        need = k.count(awards) if k.bound == "at_least" else awards - k.count(awards)
        if need > 0:
            active.append(j)
            required.append(need)
    return _Setup(
        cands=cands, caps=caps, group_index=group_index, active=active, required=required, scale=scale
    )


def _quota_greedy(setup: _Setup, awards: int) -> list[int]:
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


def _capacity(setup: _Setup, keep: Iterable[int]) -> int:
    """How many of the candidates ``keep`` can be chosen at once within the quotas."""
    per_group: dict[int, int] = {}
    for i in keep:
        gi = setup.group_index[setup.cands[i].group]
        per_group[gi] = per_group.get(gi, 0) + 1
    return sum(min(n, setup.caps[gi]) for gi, n in per_group.items())


def _shortfalls_alone(
    setup: _Setup, awards: int, constraints: Sequence[StructuralConstraint]
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
        can = min(awards, _capacity(setup, (i for i, c in enumerate(setup.cands) if _helps(k, c))))
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
    _validate(candidates, awards, quotas, constraints)
    setup = _setup(candidates, awards, quotas, constraints)
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
        displacements=tuple(_displacements(setup, plain, selected, awards, constraints))
        if chosen is not None
        else (),
        infeasible=tuple(infeasible),
        cutoff_ties=tuple(_ties(setup, plain, selected, awards, constraints, chosen is not None)),
    )


def _solve(setup: _Setup, awards: int, constraints: Sequence[StructuralConstraint]) -> list[int]:
    cands = setup.cands
    if awards == 0:
        return []
    # Score first, then the lower id among equal scores, folded into one integer weight; see section 4.
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
            sig |= int(_helps(constraints[j], c)) << bit
        sigs.append(sig)
    groups = [setup.group_index[c.group] for c in cands]
    caps = [min(cap, awards) for cap in setup.caps]
    return _Solver(weights, groups, sigs, caps, setup.required, awards, big).solve()


def _missing(
    setup: _Setup, chosen: list[int], constraints: Sequence[StructuralConstraint]
) -> list[Shortfall]:
    """Shortfalls of the soft optimum: nonempty only when the rules, each possible alone, clash together.

    The solver minimised the total number of missing people first, so ``total`` is exact; how it splits
    between the rules is that of one closest list.
    """
    gaps = []
    for j, need in zip(setup.active, setup.required, strict=True):
        have = sum(1 for i in chosen if _helps(constraints[j], setup.cands[i]))
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


class _Counts:
    """Group and attribute counts of a selection, to test one swap at a time."""

    def __init__(
        self, setup: _Setup, chosen: Iterable[int], awards: int, constraints: Sequence[StructuralConstraint]
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


def _score_buckets(setup: _Setup) -> dict[Decimal, list[int]]:
    buckets: dict[Decimal, list[int]] = {}
    for i, c in enumerate(setup.cands):
        buckets.setdefault(c.score, []).append(i)
    return buckets


def _ties(
    setup: _Setup,
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
                        f"{where}中 {_ids_text(cands[i] for i in ins)} 与 "
                        f"{_ids_text(cands[i] for i in outs)} 同为 {score} 分，"
                        "按编号先后确定入选，未作其他区分"
                    ),
                )
            )
    return out


def _could_swap(
    setup: _Setup,
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


def _displacements(
    setup: _Setup,
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
        came_in = _ids_text(cands[i] for i in into) or "无"
        went_out = _ids_text(cands[i] for i in away) or "无"
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
        into = [i for i in came if _helps(k, cands[i])]
        away = [i for i in went if not _helps(k, cands[i])]
        if into or away:
            out.append(entry(k.describe(), into, away))
            explained_in.update(into)
            explained_out.update(away)
    rest_in = [i for i in came if i not in explained_in]
    rest_out = [i for i in went if i not in explained_out]
    if rest_in or rest_out:
        out.append(entry("多项比例共同调整", rest_in, rest_out))
    return out


# ---------------------------------------------------------------------------------------------------------
# 6. Replacing a removed nominee
# ---------------------------------------------------------------------------------------------------------


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
    _validate(candidates, awards, quotas, constraints)
    by_id = {c.id: c for c in candidates}
    if any(i not in by_id for i in current):
        raise ShortlistInputError("名单中有不在候选人之列的编号")
    gone = _who(by_id[removed]) if removed in by_id else f"#{removed}"
    pool = [c for c in candidates if c.id != removed]
    rest = [by_id[i] for i in current if i != removed]
    if removed not in current:
        return Replacement(
            selected=tuple(c.id for c in sorted(rest, key=_sort_key)),
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
        cap = _quota_of(quotas, c.group)
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
        else [c for c in sorted(pool, key=_sort_key) if c.id not in inside and keeps_rules(c)]
    )
    if fits:
        first = fits[0]
        tied = [c for c in fits[1:] if c.score == first.score]
        selected = tuple(c.id for c in sorted([*rest, first], key=_sort_key))
        text = f"{gone} 撤下，{_who(first)}（{first.score} 分）递补"
        if tied:
            text += f"；与其同分且同样符合条件的还有 {_ids_text(tied)}，按编号先后确定"
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
