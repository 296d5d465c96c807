"""The shortlist wrapper (awards.shortlist_report), against brute force: direct nominations are pre-selected
whenever the constraints allow, the rest is the best total score, unscored nominations stay out; plus the
benchmark inputs."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from awards import shortlist_report
from awards.rules import StructuralConstraint, satisfies
from bench.awards import bench_case

ATTRIBUTES = ("front_line", "female")
CONSTRAINTS = (
    StructuralConstraint(attribute="front_line", bound="at_least", percent=Decimal(50), label="一线职工"),
    StructuralConstraint(attribute="female", bound="at_most", percent=Decimal(50), label="女性"),
)


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[shortlist_report.PoolItem], int, int]:
    n = draw(st.integers(min_value=1, max_value=7))
    items = []
    for i in range(1, n + 1):
        source = draw(st.sampled_from(["union", "union", "direct"]))
        score = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=20).map(Decimal)))
        attributes = frozenset(a for a in ATTRIBUTES if draw(st.booleans()))
        items.append(
            shortlist_report.PoolItem(
                nomination_id=i,
                name=f"n{i}",
                employer_name=None,
                group=str(draw(st.integers(min_value=1, max_value=3))),
                group_name="",
                attributes=attributes,
                score=score,
                source=source,
            )
        )
    awards = draw(st.integers(min_value=1, max_value=min(4, n)))
    quota = draw(st.integers(min_value=1, max_value=3))
    return items, awards, quota


def brute_force(
    items: list[shortlist_report.PoolItem], awards: int, quota: int
) -> tuple[int, Decimal] | None:
    """The best (number of direct nominees, total real score) over every list that keeps the rules."""
    candidates, _, _ = shortlist_report.candidates_of(items)
    by_id = {i.nomination_id: i for i in items}
    quotas = shortlist_report.quotas_for(items, lambda _: quota)
    best: tuple[int, Decimal] | None = None
    for chosen in itertools.combinations(candidates, awards):
        if not satisfies(chosen, awards=awards, quotas=quotas, constraints=CONSTRAINTS):
            continue
        direct = sum(1 for c in chosen if by_id[c.id].source == "direct")
        total = sum((by_id[c.id].score or Decimal(0) for c in chosen), Decimal(0))
        if best is None or (direct, total) > best:
            best = (direct, total)
    return best


@settings(max_examples=300, deadline=None)
@given(pools())
def test_direct_nominations_first_then_the_best_total(
    case: tuple[list[shortlist_report.PoolItem], int, int],
) -> None:
    items, awards, quota = case
    plan = shortlist_report.plan_shortlist(
        items,
        awards=awards,
        quotas=shortlist_report.quotas_for(items, lambda _: quota),
        constraints=CONSTRAINTS,
    )
    expected = brute_force(items, awards, quota)
    if expected is None:
        assert not plan.result.feasible
        return
    assert plan.result.feasible
    by_id = {i.nomination_id: i for i in items}
    chosen = [by_id[i] for i in plan.result.selected]
    assert all(c.source == "direct" or c.score is not None for c in chosen)  # the unscored stay out
    direct = sum(1 for c in chosen if c.source == "direct")
    total = sum((c.score or Decimal(0) for c in chosen), Decimal(0))
    assert (direct, total) == expected
    report = shortlist_report.report_of(1, "shortlist", plan, awards=awards, computed_at=None)
    assert report.total_score == total
    assert [e.nomination_id for e in report.selected][:direct] == sorted(
        (c.nomination_id for c in chosen if c.source == "direct"),
        key=lambda i: (-(by_id[i].score or Decimal(0)), i),
    )


def test_published_scores_have_four_places_and_no_trailing_zeros() -> None:
    assert shortlist_report.published_score(Decimal("85.33333333333333333333333333")) == Decimal("85.3333")
    assert str(shortlist_report.published_score(Decimal("80.50000"))) == "80.5"
    assert str(shortlist_report.published_score(Decimal("71.33335"))) == "71.3334"  # half up
    assert str(shortlist_report.published_score(Decimal("100"))) == "100"


def test_the_benchmark_case_is_a_feasible_shortlist_under_three_constraints() -> None:
    items, rules = bench_case(500)
    assert len(items) == 500 and rules["awards"] == 50 and len(rules["constraints"]) == 3
    plan = shortlist_report.plan_shortlist(items, **rules)
    assert plan.result.feasible and len(plan.result.selected) == 50
    by_id = {i.nomination_id: i for i in items}
    chosen = [by_id[i] for i in plan.result.selected]
    assert sum("front_line" in c.attributes for c in chosen) >= 30
    assert sum("enterprise_leader" in c.attributes for c in chosen) <= 5
    assert sum("female" in c.attributes for c in chosen) >= 15
