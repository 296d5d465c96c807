"""The ways out of an impossible shortlist: a worked case, and properties: every way offered works (the
solver forms the list with it), none is offered when the list can be formed."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.rules import Candidate, StructuralConstraint, compute_shortlist, ways_out

WOMEN_HALF = StructuralConstraint(attribute="female", bound="at_least", percent=Decimal(50), label="女性")


def pool(women: int, men: int) -> list[Candidate]:
    people = [(i, frozenset({"female"})) for i in range(women)] + [
        (women + i, frozenset()) for i in range(men)
    ]
    return [Candidate(id=i + 1, score=Decimal(90 - i), group="g", attributes=a) for i, a in people]


def test_a_worked_case() -> None:
    found = ways_out(pool(1, 3), awards=3, constraints=[WOMEN_HALF])
    by_kind = {w.kind: w for w in found}
    assert by_kind["awards"].awards == 2
    assert by_kind["relax"].percent == Decimal(33) and "女性不少于33%" in by_kind["relax"].message
    assert by_kind["unions"].short_by == 1 and by_kind["unions"].groups == ("g",)
    assert ways_out(pool(2, 2), awards=3, constraints=[WOMEN_HALF]) == []


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[Candidate], int, list[StructuralConstraint], int | None]:
    size = draw(st.integers(1, 8))
    candidates = [
        Candidate(
            id=i + 1,
            score=Decimal(draw(st.integers(0, 100))),
            group=draw(st.sampled_from(["a", "b", "c"])),
            attributes=frozenset(a for a in ("female", "front_line") if draw(st.booleans())),
        )
        for i in range(size)
    ]
    awards = draw(st.integers(1, size))
    constraints = [
        StructuralConstraint(attribute=attribute, bound=bound, percent=Decimal(draw(st.integers(0, 100))))
        for attribute, bound in draw(
            st.lists(
                st.sampled_from([("female", "at_least"), ("front_line", "at_least"), ("female", "at_most")]),
                unique=True,
                max_size=2,
            )
        )
    ]
    cap = draw(st.one_of(st.none(), st.integers(1, 3)))
    return candidates, awards, constraints, cap


@settings(max_examples=60, deadline=None)
@given(problems())
def test_every_way_offered_works_and_none_when_feasible(
    problem: tuple[list[Candidate], int, list[StructuralConstraint], int | None],
) -> None:
    candidates, awards, constraints, cap = problem
    quotas = None if cap is None else cap
    found = ways_out(candidates, awards=awards, quotas=quotas, constraints=constraints)
    feasible = compute_shortlist(candidates, awards=awards, quotas=quotas, constraints=constraints).feasible
    if feasible:
        assert found == []
        return
    for way in found:
        if way.kind == "awards":
            assert way.awards is not None and way.awards != awards
            assert compute_shortlist(
                candidates, awards=way.awards, quotas=quotas, constraints=constraints
            ).feasible
        elif way.kind == "relax":
            assert way.constraint_index is not None and way.percent is not None
            old = constraints[way.constraint_index]
            looser = way.percent < old.percent if old.bound == "at_least" else way.percent > old.percent
            assert looser
            changed = [*constraints]
            changed[way.constraint_index] = msgspec.structs.replace(old, percent=way.percent)
            assert compute_shortlist(candidates, awards=awards, quotas=quotas, constraints=changed).feasible
        else:
            assert way.short_by is not None and way.short_by >= 1 and way.groups
