"""The exact solver behind :func:`awards.rules.compute_shortlist`: the maximum-score list of N within the
quotas and the structural constraints, proved optimal by a Lagrangian bound (the comment below says how)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence

import msgspec

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


class Solver:
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


# A union's choice: (people, people per indicator, total weight, candidate indices).
_Option = tuple[int, list[int], int, list[int]]
# A layer of the dynamic programme: state -> (best total, the state it came from, the option taken).
_Layer = dict[tuple[int, ...], tuple[int, tuple[int, ...] | None, int]]
_Potential = Callable[[int, int, int, tuple[int, ...]], int]


class _Prepared:
    """The unions under fixed multipliers; :meth:`search` runs the dynamic programme for one target."""

    def __init__(self, solver: Solver, lam: list[int], mu: int, offsets: dict[int, int]) -> None:
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
        """Indices of the best list worth >= ``target`` (``top`` is the bound), or None if there is none."""
        gap = top - target
        free, base_pick = self._free_and_forced(gap)
        options = [self._options(gd, gap) for gd in free]
        rest_size, potential = self._bounds(free, options)
        layers = self._layers(base_pick, options, rest_size, potential, target)
        if layers is None:
            return None
        best_key = self._best_complete(layers[-1], target)
        if best_key is None:
            return None
        picked = list(base_pick)
        key = best_key
        for k in range(len(options), 0, -1):
            _, prev, idx = layers[k][key]
            picked.extend(options[k - 1][idx][3])
            assert prev is not None
            key = prev
        return picked

    def _free_and_forced(self, gap: int) -> tuple[list[_GroupData], list[int]]:
        """The unions whose choice is still open at this gap (the groups are sorted by ``rc_min``), and the
        best choices of the others (forced), which make the starting state."""
        n_free = 0
        while n_free < len(self.groups) and self.groups[n_free].rc_min <= gap:
            n_free += 1
        base_pick = [i for gd in self.groups[n_free:] for i in gd.best_pick]
        return self.groups[:n_free], base_pick

    def _bounds(self, free: list[_GroupData], options: list[list[_Option]]) -> tuple[list[int], _Potential]:
        """Suffix sums for a state before union k (the best still to add, the most people, the most per
        indicator), and the bound of a state built on them: ``potential(k, value, people, have)``."""
        s = self.s
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

        return rest_size, potential

    def _layers(
        self,
        base_pick: list[int],
        options: list[list[_Option]],
        rest_size: list[int],
        potential: _Potential,
        target: int,
    ) -> list[_Layer] | None:
        """The dynamic programme: one layer of states (people, indicators capped at their need) per free
        union, each keeping its best total and how it was reached; None once no state can reach ``target``."""
        s = self.s
        req, n = s.req, s.n
        n0 = len(base_pick)
        v0 = sum(s.w[i] for i in base_pick)
        c0 = [sum(s.sig[i] >> j & 1 for i in base_pick) for j in range(s.m)]
        start = (n0, *(min(c0[j], req[j]) for j in range(s.m)))
        if n0 > n or n0 + rest_size[0] < n or potential(0, v0, n0, start[1:]) < target:
            return None
        layers: list[_Layer] = [{start: (v0, None, -1)}]
        for k in range(len(options)):
            nxt: _Layer = {}
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
        return layers

    def _best_complete(self, last: _Layer, target: int) -> tuple[int, ...] | None:
        """The state of exactly N people with the best soft total >= ``target`` (shortfalls charged)."""
        s = self.s
        best_key = None
        best_val = None
        for key, (value, _, _) in last.items():
            if key[0] != s.n:
                continue
            soft = value - s.big * sum(s.req[j] - key[1 + j] for j in range(s.m))
            if soft >= target and (best_val is None or soft > best_val):
                best_key, best_val = key, soft
        return best_key

    def _options(self, gd: _GroupData, gap: int) -> list[_Option]:
        """Every choice of the union (a best-first prefix of each type, within the quota) whose reduced cost
        is <= gap, as (size, indicator counts, total w, indices)."""
        s = self.s
        n_types = len(gd.members)
        # Upper bound of what types k.. can still add with a given capacity: the best positive values.
        suffix: list[list[int]] = [[] for _ in range(n_types + 1)]
        for k in range(n_types - 1, -1, -1):
            suffix[k] = sorted([v for v in gd.values[k] if v > 0] + suffix[k + 1], reverse=True)
        found: list[_Option] = []
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
