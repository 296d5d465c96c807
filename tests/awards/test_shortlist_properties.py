"""Property tests: the shortlist against brute force over every subset of small random fields (with quotas,
one to three structural constraints, many tied scores and infeasible cases), and what it reports about ties,
displacements and replacements."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from awards.rules import (
    Candidate,
    Quotas,
    StructuralConstraint,
    compute_shortlist,
    next_replacement,
    satisfies,
)

ATTRIBUTES = ("front_line", "enterprise_leader", "female")
UNIONS = ("a", "b", "c", "d")


SCORES = [Decimal(s) for s in ("60", "70", "70.5", "80", "80.00", "90", "100")]
PERCENTS = [Decimal(p) for p in ("0", "10", "25", "33.3", "50", "60", "75", "100")]
Field = tuple[list[Candidate], int, Quotas, list[StructuralConstraint]]


@st.composite
def fields(draw: st.DrawFn) -> Field:
    """Up to 12 nominees with scores from a small set (so ties are common), a list of up to 5, quotas
    (none, one for all, or per union with unnamed unions uncapped) and up to three constraints. Each nominee
    is drawn as one integer tuple, which keeps generation cheap."""
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, len(SCORES) - 1), st.integers(0, len(UNIONS) - 1), st.integers(0, 7)),
            max_size=12,
        )
    )
    people = [
        Candidate(
            id=i + 1,
            score=SCORES[score],
            group=UNIONS[union],
            attributes=frozenset(a for bit, a in enumerate(ATTRIBUTES) if flags >> bit & 1),
        )
        for i, (score, union, flags) in enumerate(rows)
    ]
    people.reverse()  # input order must not matter: the ids arrive highest first
    awards = draw(st.integers(min_value=0, max_value=5))
    quotas = draw(
        st.one_of(
            st.none(),
            st.integers(min_value=0, max_value=3),
            st.dictionaries(st.sampled_from(UNIONS), st.integers(min_value=0, max_value=3)),
        )
    )
    rules = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.booleans(), st.integers(0, len(PERCENTS) - 1)),
            max_size=3,
        )
    )
    constraints = [
        StructuralConstraint(
            attribute=ATTRIBUTES[a], bound="at_least" if least else "at_most", percent=PERCENTS[p]
        )
        for a, least, p in rules
    ]
    return people, awards, quotas, constraints


def best_total(
    people: list[Candidate], awards: int, quotas: Quotas, rules: list[StructuralConstraint]
) -> Decimal | None:
    """Brute force: the greatest total over every subset of ``awards`` that keeps every rule."""
    best = None
    for chosen in itertools.combinations(people, awards):
        if satisfies(chosen, awards=awards, quotas=quotas, constraints=rules):
            total = sum((c.score for c in chosen), Decimal(0))
            best = total if best is None else max(best, total)
    return best


def helps(rule: StructuralConstraint, c: Candidate) -> bool:
    return (rule.attribute in c.attributes) == (rule.bound == "at_least")


def least_shortfall(
    people: list[Candidate], awards: int, quotas: Quotas, rules: list[StructuralConstraint]
) -> int:
    """Brute force: the fewest people missing, summed over the rules, in any list within the quotas."""
    best = None
    for chosen in itertools.combinations(people, awards):
        if not satisfies(chosen, awards=awards, quotas=quotas):
            continue
        missing = 0
        for rule in rules:
            need = rule.count(awards) if rule.bound == "at_least" else awards - rule.count(awards)
            missing += max(0, need - sum(1 for c in chosen if helps(rule, c)))
        best = missing if best is None else min(best, missing)
    assert best is not None
    return best


@settings(max_examples=400, deadline=None)
@given(fields())
def test_optimal_against_brute_force(
    field: Field,
) -> None:
    people, awards, quotas, rules = field
    result = compute_shortlist(people, awards=awards, quotas=quotas, constraints=rules)
    best = best_total(people, awards, quotas, rules)
    if best is None:
        assert not result.feasible and result.selected == () and result.total_score is None
        if all(s.jointly for s in result.infeasible):
            # Every rule alone is possible: the reported shortfall is the least possible in total.
            assert sum(s.short_by for s in result.infeasible) == least_shortfall(
                people, awards, quotas, rules
            )
        else:
            # A rule that fails alone reports exactly how many it misses with every other rule ignored.
            for short in result.infeasible:
                assert short.short_by == short.needed - short.available > 0
        return
    assert result.feasible and result.infeasible == ()
    by_id = {c.id: c for c in people}
    chosen = [by_id[i] for i in result.selected]
    assert satisfies(chosen, awards=awards, quotas=quotas, constraints=rules)
    assert result.total_score == best == sum((c.score for c in chosen), Decimal(0))
    assert [(-c.score, c.id) for c in chosen] == sorted((-c.score, c.id) for c in chosen)


@settings(max_examples=200, deadline=None)
@given(fields())
def test_every_tie_the_id_decided_is_reported(
    field: Field,
) -> None:
    people, awards, quotas, rules = field
    result = compute_shortlist(people, awards=awards, quotas=quotas, constraints=rules)
    by_id = {c.id: c for c in people}
    for ranking, chosen_ids, applied in (("final", result.selected, rules), ("plain", result.plain, [])):
        if not chosen_ids or (ranking == "final" and not result.feasible):
            continue
        chosen = [by_id[i] for i in chosen_ids]
        reported = {(t.score, u) for t in result.cutoff_ties if t.ranking == ranking for u in t.left_out}
        last = min(c.score for c in chosen)
        for u in people:
            if u.id in chosen_ids:
                continue
            same = [v for v in chosen if v.score == u.score]
            swappable = [
                v
                for v in same
                if satisfies(
                    [c for c in chosen if c.id != v.id] + [u],
                    awards=len(chosen),
                    quotas=quotas,
                    constraints=applied,
                )
            ]
            if swappable or u.score == last:
                assert (u.score, u.id) in reported, (ranking, u)
            # Among equals the lower id holds the place whenever the rules let it.
            assert all(v.id < u.id for v in swappable)


@settings(max_examples=150, deadline=None)
@given(fields())
def test_displacements_account_for_every_change(
    field: Field,
) -> None:
    people, awards, quotas, rules = field
    result = compute_shortlist(people, awards=awards, quotas=quotas, constraints=rules)
    structural = [d for d in result.displacements if d.constraint != "各单位名额上限"]
    if not result.feasible:
        assert result.displacements == ()
        return
    came = set(result.selected) - set(result.plain)
    went = set(result.plain) - set(result.selected)
    assert {i for d in structural for i in d.brought_in} == came
    assert {i for d in structural for i in d.pushed_out} == went
    if not came:
        assert structural == []


@settings(max_examples=150, deadline=None)
@given(fields(), st.data())
def test_replacement(field: Field, data: st.DataObject) -> None:
    people, awards, quotas, rules = field
    result = compute_shortlist(people, awards=awards, quotas=quotas, constraints=rules)
    if not result.feasible or not result.selected:
        return
    removed = data.draw(st.sampled_from(result.selected))
    move = next_replacement(result.selected, removed, people, awards=awards, quotas=quotas, constraints=rules)
    pool = [c for c in people if c.id != removed]
    rest = [c for c in pool if c.id in result.selected]
    by_id = {c.id: c for c in pool}
    fits = sorted(
        (
            c
            for c in pool
            if c.id not in result.selected
            and satisfies([*rest, c], awards=awards, quotas=quotas, constraints=rules)
        ),
        key=lambda c: (-c.score, c.id),
    )
    if fits:
        # Everyone else stays; the best who keeps every rule moves up, equals are named.
        assert move.recomputed is None and move.added == fits[0].id
        assert set(move.selected) == {c.id for c in rest} | {fits[0].id}
        assert set(move.tied_with) == {c.id for c in fits[1:] if c.score == fits[0].score}
    else:
        again = compute_shortlist(pool, awards=awards, quotas=quotas, constraints=rules)
        assert move.added is None and move.recomputed == again and move.selected == again.selected
    if move.selected:
        assert satisfies([by_id[i] for i in move.selected], awards=awards, quotas=quotas, constraints=rules)


@settings(max_examples=60, deadline=None)
@given(fields())
def test_input_order_does_not_matter(
    field: Field,
) -> None:
    people, awards, quotas, rules = field
    shuffled = list(reversed(people))
    assert compute_shortlist(people, awards=awards, quotas=quotas, constraints=rules) == compute_shortlist(
        shuffled, awards=awards, quotas=quotas, constraints=rules
    )
