"""The pure round rules: round scores and totals, the cut (ties, threshold, per group), the starting order."""

from __future__ import annotations

import random
from decimal import Decimal

import hypothesis.strategies as st
import msgspec
from hypothesis import given, settings

from scoring import rules as r

D = Decimal


def two_rounds(
    cut: str = "top",
    count: int | None = 2,
    min_score: Decimal | None = None,
    ties: str = "all",
    total: str = "sum",
    tie_breaks: tuple[r.TieBreak, ...] = (),
) -> r.CompetitionRules:
    """Two imported stages (one per round) of 100 marks each, weighted 50 each: a round counts half its
    stage's mark towards a sum, or the whole mark with ``total = "last"`` (scaled to 100)."""
    weight = D(50)
    stages = tuple(
        r.Stage(id=sid, kind="imported", full_marks=D(100), weight_percent=weight) for sid in ("s1", "s2")
    )
    return r.CompetitionRules(
        stages=stages,
        tie_breaks=tie_breaks,
        rounds=r.RoundsRule(
            rounds=(
                r.Round(id="r1", stages=("s1",), cut=cut, count=count, min_score=min_score, ties=ties),
                r.Round(id="r2", stages=("s2",)),
            ),
            total=total,
        ),
    )


def subjects(scores: list[tuple[str, str | None]], cut_after: set[int] = frozenset()) -> list[r.SubjectInput]:
    out = []
    for i, (first, second) in enumerate(scores):
        imported = {"s1": D(first)} | ({"s2": D(second)} if second is not None else {})
        out.append(
            r.SubjectInput(
                subject_id=f"c{i:02d}", imported=imported, eliminated_after=0 if i in cut_after else None
            )
        )
    return out


def test_rules_with_rounds_validate_and_refuse_mistakes() -> None:
    assert r.validate_rules(two_rounds()) == []
    assert r.validate_rules(two_rounds(total="last")) == []
    no_count = two_rounds(count=None)
    assert [p.code for p in r.validate_rules(no_count)] == ["round_count_invalid"]
    no_line = two_rounds(cut="min_score", count=None)
    assert [p.code for p in r.validate_rules(no_line)] == ["round_min_score_invalid"]
    rules = two_rounds()
    orphan = msgspec.structs.replace(
        rules,
        rounds=r.RoundsRule(rounds=(r.Round(id="r1", stages=("s1",)),)),
    )
    assert [p.code for p in r.validate_rules(orphan)] == ["stage_without_round"]
    bad_module = msgspec.structs.replace(rules, public_modules=("nope",))
    assert [p.code for p in r.validate_rules(bad_module)] == ["unknown_public_module"]
    # total = "last": a round is scaled to 100 by its stages' weights, which cannot be 0 then
    zero = msgspec.structs.replace(
        two_rounds(total="last"),
        stages=tuple(
            msgspec.structs.replace(st, weight_percent=D(100 * i)) for i, st in enumerate(rules.stages)
        ),
    )
    assert [p.code for p in r.validate_rules(zero)] == ["round_weight_zero"]


def test_round_scores_and_the_cumulative_total() -> None:
    rules = two_rounds()
    results = r.aggregate(rules, subjects([("80", "90"), ("70", None)], cut_after={1}), [])
    finalist, cut = results
    assert finalist.round_scores == {"r1": D(40), "r2": D(45)}
    assert finalist.final_score == D(85)
    # 未晋级: the second round is absent, not 0, and the total is what was reached
    assert cut.round_scores == {"r1": D(35)}
    assert "s2" not in cut.stage_scores
    assert cut.final_score == D(35) and cut.complete and cut.eliminated_after == 0


def test_last_round_only_total_and_ranking_by_round_reached() -> None:
    rules = two_rounds(total="last")
    # c01 was cut after round 1 with 95, more than the finalists' final scores: still ranks below them
    board = r.leaderboard(rules, subjects([("80", "60"), ("95", None), ("70", "75")], cut_after={1}), [])
    assert [(x.subject_id, x.rank, x.final_score) for x in board.results] == [
        ("c02", 1, D(75)),
        ("c00", 2, D(60)),
        ("c01", 3, D(95)),
    ]


def test_last_round_only_is_scaled_to_100_by_the_round_weights() -> None:
    rules = two_rounds(total="last")
    weighted = msgspec.structs.replace(
        rules,
        stages=tuple(
            msgspec.structs.replace(s, weight_percent=D(w))
            for s, w in zip(rules.stages, (20, 80), strict=True)
        ),
    )
    assert r.validate_rules(weighted) == []
    result = r.aggregate(weighted, subjects([("70", "85.5")]), [])[0]
    # 70 x 20 % x 100 / 20 = 70; 85.5 x 80 % x 100 / 80 = 85.5: each round out of 100, the total the last
    assert result.round_scores == {"r1": D(70), "r2": D("85.5")} and result.final_score == D("85.5")


def test_top_n_lets_every_tie_at_the_cut_through() -> None:
    rules = two_rounds(count=2)
    results = r.aggregate(rules, subjects([("90", None), ("80", None), ("80", None), ("70", None)]), [])
    standings = r.round_standings(rules, results, 0)
    assert [(s.subject_id, s.rank, s.qualified) for s in standings] == [
        ("c00", 1, True),
        ("c01", 2, True),
        ("c02", 2, True),
        ("c03", 4, False),
    ]


def test_a_declared_tie_break_settles_the_cut() -> None:
    tie_breaks = (r.TieBreak(kind="time_used"),)
    rules = two_rounds(count=2, ties="tie_break", tie_breaks=tie_breaks)
    inputs = [
        msgspec.structs.replace(s, time_used=D(t))
        for s, t in zip(subjects([("90", None), ("80", None), ("80", None)]), ("1", "30", "20"), strict=True)
    ]
    standings = r.round_standings(rules, r.aggregate(rules, inputs, []), 0)
    assert [(s.subject_id, s.rank, s.qualified) for s in standings] == [
        ("c00", 1, True),
        ("c02", 2, True),
        ("c01", 3, False),
    ]


def test_threshold_and_per_union_cuts() -> None:
    line = two_rounds(cut="min_score", count=None, min_score=D(40))
    results = r.aggregate(line, subjects([("80", None), ("79", None), ("81", None)]), [])
    assert {s.subject_id for s in r.round_standings(line, results, 0) if s.qualified} == {"c00", "c02"}
    per_union = two_rounds(cut="top_per_union", count=1)
    results = r.aggregate(per_union, subjects([("80", None), ("79", None), ("60", None), ("90", None)]), [])
    groups = {"c00": {"union": "A"}, "c01": {"union": "B"}, "c02": {"union": "B"}, "c03": {"union": "A"}}
    standings = r.round_standings(per_union, results, 0, groups)
    assert [(s.subject_id, s.group, s.rank, s.qualified) for s in standings] == [
        ("c03", "A", 1, True),
        ("c00", "A", 2, False),
        ("c01", "B", 1, True),
        ("c02", "B", 2, False),
    ]


def test_starting_order_reverses_the_standing_or_draws() -> None:
    rules = two_rounds(count=3)
    results = r.aggregate(rules, subjects([("90", None), ("80", None), ("70", None), ("60", None)]), [])
    standings = r.round_standings(rules, results, 0)
    assert r.starting_order(rules.rounds.rounds[0], standings) == ["c02", "c01", "c00"]
    drawn = msgspec.structs.replace(rules.rounds.rounds[0], next_order="draw")
    order = r.starting_order(drawn, standings, random.Random(1))
    assert sorted(order) == ["c00", "c01", "c02"]


# ------------------------------------------------------------------------------------------- properties

scores = st.lists(st.integers(min_value=0, max_value=20).map(lambda n: str(n * 5)), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(scores=scores, count=st.integers(min_value=1, max_value=30))
def test_top_n_never_splits_a_tie_and_takes_at_least_n(scores: list[str], count: int) -> None:
    rules = two_rounds(count=count)
    results = r.aggregate(rules, subjects([(s, None) for s in scores]), [])
    standings = r.round_standings(rules, results, 0)
    qualified = [s for s in standings if s.qualified]
    out = [s for s in standings if not s.qualified]
    assert len(qualified) >= min(count, len(scores))
    # every qualified stands at or above everyone left out, and no score is on both sides of the cut
    if qualified and out:
        assert min(s.score for s in qualified) > max(s.score for s in out)
    # only a tie on the last place can take more than N
    if len(qualified) > count:
        assert len({s.score for s in qualified if s.rank >= qualified[-1].rank}) == 1
        assert qualified[-1].rank <= count


@settings(max_examples=150, deadline=None)
@given(scores=scores, line=st.integers(min_value=0, max_value=60))
def test_threshold_is_exactly_at_or_above(scores: list[str], line: int) -> None:
    rules = two_rounds(cut="min_score", count=None, min_score=D(line))
    results = r.aggregate(rules, subjects([(s, None) for s in scores]), [])
    for standing in r.round_standings(rules, results, 0):
        assert standing.qualified == (standing.score >= line)


@settings(max_examples=100, deadline=None)
@given(
    scores=scores,
    count=st.integers(min_value=1, max_value=4),
    unions=st.lists(st.sampled_from(["A", "B", "C", None]), min_size=25, max_size=25),
)
def test_per_union_top_n_is_top_n_inside_each_union(
    scores: list[str], count: int, unions: list[str | None]
) -> None:
    rules = two_rounds(cut="top_per_union", count=count)
    results = r.aggregate(rules, subjects([(s, None) for s in scores]), [])
    groups = {f"c{i:02d}": {"union": unions[i]} for i in range(len(scores))}
    standings = r.round_standings(rules, results, 0, groups)
    for union in {u or "" for u in unions[: len(scores)]}:
        members = [s for s in standings if s.group == union]
        qualified = [s for s in members if s.qualified]
        assert len(qualified) >= min(count, len(members))
        left = [s for s in members if not s.qualified]
        if qualified and left:
            assert min(s.score for s in qualified) > max(s.score for s in left)


@settings(max_examples=100, deadline=None)
@given(scores=scores, count=st.integers(min_value=1, max_value=10))
def test_reverse_order_starts_the_best_last(scores: list[str], count: int) -> None:
    rules = two_rounds(count=count)
    results = r.aggregate(rules, subjects([(s, None) for s in scores]), [])
    standings = r.round_standings(rules, results, 0)
    order = r.starting_order(rules.rounds.rounds[0], standings)
    by_id = {s.subject_id: s for s in standings}
    assert set(order) == {s.subject_id for s in standings if s.qualified}
    assert [by_id[i].score for i in order] == sorted(by_id[i].score for i in order)
