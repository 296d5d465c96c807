"""The computed shortlist, table-driven on small lists a reviewer can check by eye, plus nomination quotas and
the 5,000-nominee size the district really has."""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from awards.rules import (
    Candidate,
    NominationQuotaError,
    ShortlistInputError,
    StructuralConstraint,
    check_nomination_quota,
    compute_shortlist,
    next_replacement,
    satisfies,
)

FRONT_LINE = "front_line"
LEADER = "enterprise_leader"
FEMALE = "female"


def cand(id: int, score: str, group: str = "", *attributes: str, name: str = "") -> Candidate:
    return Candidate(
        id=id, score=Decimal(score), group=group or f"u{id}", attributes=frozenset(attributes), name=name
    )


def at_least(attribute: str, percent: str | int, label: str = "") -> StructuralConstraint:
    return StructuralConstraint(attribute=attribute, bound="at_least", percent=Decimal(percent), label=label)


def at_most(attribute: str, percent: str | int, label: str = "") -> StructuralConstraint:
    return StructuralConstraint(attribute=attribute, bound="at_most", percent=Decimal(percent), label=label)


# --- percentages become head counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "awards", "count"),
    [
        (at_least(FEMALE, 30), 16, 5),  # 4.8 -> 5: at least means at least
        (at_most(LEADER, 10), 16, 1),  # 1.6 -> 1: at most means at most
        (at_least(FRONT_LINE, 60), 500, 300),
        (at_most(LEADER, 15), 7, 1),  # 1.05 -> 1
        (at_least(FEMALE, "33.3"), 10, 4),  # 3.33 -> 4
        (at_least(FEMALE, "12.5"), 8, 1),  # exactly 1
        (at_most(FEMALE, "12.5"), 8, 1),
        (at_least(FEMALE, 0), 10, 0),
        (at_most(LEADER, 0), 10, 0),
        (at_most(LEADER, 100), 10, 10),
        (at_least(FEMALE, 100), 3, 3),
    ],
)
def test_percent_to_count(constraint: StructuralConstraint, awards: int, count: int) -> None:
    assert constraint.count(awards) == count


def test_describe() -> None:
    assert at_least(FRONT_LINE, 60, "一线职工").describe() == "一线职工不少于60%"
    assert at_most(LEADER, "12.50").describe() == "enterprise_leader不超过12.5%"


# --- plain ranking, quotas -------------------------------------------------------------------------------


def test_no_rules_is_the_top_n_by_score_then_id() -> None:
    people = [cand(5, "80"), cand(2, "90"), cand(9, "85.5"), cand(1, "85.50"), cand(3, "70")]
    result = compute_shortlist(people, awards=3)
    assert result.selected == (2, 1, 9)  # 85.5 == 85.50: the lower id first, and the tie is reported below
    assert result.plain == result.selected
    assert result.total_score == Decimal("261.0")
    assert result.displacements == () and result.infeasible == ()
    assert result.feasible


def test_quota_per_union_skips_the_third_of_one_union() -> None:
    people = [
        cand(1, "95", "A"),
        cand(2, "94", "A"),
        cand(3, "93", "A"),
        cand(4, "80", "B"),
        cand(5, "70", "C"),
    ]
    result = compute_shortlist(people, awards=3, quotas=2)
    assert result.selected == (1, 2, 4)
    (quota,) = result.displacements
    assert quota.constraint == "各单位名额上限"
    assert (quota.brought_in, quota.pushed_out) == ((4,), (3,))


def test_quota_mapping_leaves_unnamed_unions_uncapped() -> None:
    people = [cand(1, "95", "A"), cand(2, "94", "A"), cand(3, "93", "B"), cand(4, "92", "B")]
    result = compute_shortlist(people, awards=3, quotas={"A": 1})
    assert result.selected == (1, 3, 4)


def test_zero_awards_and_empty_field() -> None:
    assert compute_shortlist([], awards=0).selected == ()
    assert compute_shortlist([cand(1, "1")], awards=0, constraints=[at_least(FEMALE, 50)]).feasible


# --- structural constraints and displacements ------------------------------------------------------------

PEOPLE = [
    cand(1, "90", "", FRONT_LINE, name="张三"),
    cand(2, "89", "", name="李四"),
    cand(3, "88", "", name="王五"),
    cand(4, "87", "", name="赵六"),
    cand(5, "86", "", FRONT_LINE, name="钱七"),
    cand(6, "85", "", FRONT_LINE, name="孙八"),
    cand(7, "80", "", FRONT_LINE, FEMALE, name="周九"),
]


def test_front_line_constraint_displaces_the_weakest_other() -> None:
    rule = at_least(FRONT_LINE, 60, "一线职工")  # 3 of 5
    result = compute_shortlist(PEOPLE, awards=5, constraints=[rule])
    assert result.plain == (1, 2, 3, 4, 5)
    assert result.selected == (1, 2, 3, 5, 6)
    (moved,) = result.displacements
    assert (moved.constraint, moved.brought_in, moved.pushed_out) == ("一线职工不少于60%", (6,), (4,))
    assert moved.message == "一线职工不少于60%：孙八（入选）替换了 赵六（出列）"
    (check,) = result.checks
    assert (check.count, check.plain, check.selected) == (3, 2, 3)


def test_two_constraints_each_name_whom_they_moved() -> None:
    rules = [at_least(FRONT_LINE, 60, "一线职工"), at_least(FEMALE, 20, "女性")]  # 3 and 1 of 5
    result = compute_shortlist(PEOPLE, awards=5, constraints=rules)
    # 周九 is front-line and a woman: one swap for both rules beats two swaps (80 - 87 > 85 + 80 - 87 - 88).
    assert result.selected == (1, 2, 3, 5, 7)
    assert [(d.constraint, d.brought_in, d.pushed_out) for d in result.displacements] == [
        ("一线职工不少于60%", (7,), (4,)),
        ("女性不少于20%", (7,), (4,)),
    ]


def test_at_most_constraint() -> None:
    people = [cand(i, str(100 - i), "", LEADER) for i in range(1, 5)] + [
        cand(i, str(100 - i)) for i in range(5, 9)
    ]
    result = compute_shortlist(people, awards=4, constraints=[at_most(LEADER, 25, "企业负责人")])  # 1 of 4
    assert result.selected == (1, 5, 6, 7)
    (moved,) = result.displacements
    assert (moved.brought_in, moved.pushed_out) == ((5, 6, 7), (2, 3, 4))


def test_exact_rather_than_greedy() -> None:
    # Women >= 2 of 3 and front-line >= 2 of 3. Fixing the rules one at a time with the best available
    # person (greedy) takes 4 and 3 and ends at 90 + 70 + 60 = 220; the optimum takes the two who are both.
    people = [
        cand(1, "90"),
        cand(2, "80", "", FEMALE),
        cand(3, "70", "", FRONT_LINE),
        cand(4, "69", "", FEMALE, FRONT_LINE),
        cand(5, "68", "", FEMALE, FRONT_LINE),
    ]
    result = compute_shortlist(people, awards=3, constraints=[at_least(FEMALE, 60), at_least(FRONT_LINE, 60)])
    assert result.selected == (1, 4, 5)
    assert result.total_score == Decimal(227)


# --- infeasible ------------------------------------------------------------------------------------------


def test_too_few_women_says_by_how_many() -> None:
    people = [cand(i, "80", "", FEMALE) for i in range(1, 10)] + [cand(i, "70") for i in range(10, 60)]
    result = compute_shortlist(people, awards=50, constraints=[at_least(FEMALE, 30, "女性")])
    assert result.selected == () and result.total_score is None and not result.feasible
    (short,) = result.infeasible
    assert (short.needed, short.available, short.short_by, short.jointly) == (15, 9, 6, False)
    assert short.message == "女性不少于30%：需要 15 人，符合条件可入选的只有 9 人，还差 6 人"
    assert result.plain  # the plain ranking is still shown


def test_quotas_count_against_eligible_women() -> None:
    # Three women, but two share a union whose quota is 1: only two can be chosen.
    people = [cand(1, "90", "A", FEMALE), cand(2, "89", "A", FEMALE), cand(3, "88", "B", FEMALE)]
    people += [cand(i, "50") for i in range(4, 10)]
    result = compute_shortlist(people, awards=5, quotas=1, constraints=[at_least(FEMALE, 60, "女性")])
    (short,) = result.infeasible
    assert (short.needed, short.available, short.short_by) == (3, 2, 1)


def test_too_many_leaders_says_by_how_many() -> None:
    people = [cand(i, "90", "", LEADER) for i in range(1, 6)] + [cand(i, "80") for i in range(6, 13)]
    result = compute_shortlist(people, awards=10, constraints=[at_most(LEADER, 10, "企业负责人")])
    (short,) = result.infeasible
    assert (short.needed, short.available, short.short_by) == (9, 7, 2)
    assert "最多 1 人" in short.message and "还差 2 人" in short.message


def test_not_enough_people_within_quotas() -> None:
    people = [cand(i, "80", f"u{i % 3}") for i in range(9)]
    result = compute_shortlist(people, awards=5, quotas=1)
    (short,) = result.infeasible
    assert (short.constraint, short.needed, short.available, short.short_by) == ("评选名额", 5, 3, 2)


def test_rules_that_clash_report_the_least_total_shortfall() -> None:
    # Each rule alone can be met, but no leader here is front-line: 3 + 2 people needed in a list of 4.
    people = [cand(i, "80", "", FRONT_LINE) for i in range(1, 4)] + [
        cand(i, "70", "", LEADER) for i in range(4, 7)
    ]
    rules = [at_least(FRONT_LINE, 75, "一线职工"), at_least(LEADER, 50, "企业负责人")]
    result = compute_shortlist(people, awards=4, constraints=rules)
    assert result.selected == ()
    assert all(s.jointly for s in result.infeasible)
    assert sum(s.short_by for s in result.infeasible) == 1
    assert "最接近的名单共差 1 人" in result.infeasible[0].message


# --- ties ------------------------------------------------------------------------------------------------


def test_tie_at_the_cutoff_is_reported_in_both_rankings() -> None:
    result = compute_shortlist([cand(1, "90"), cand(3, "80"), cand(2, "80")], awards=2)
    assert result.selected == (1, 2)
    assert [(t.ranking, t.score, t.selected, t.left_out) for t in result.cutoff_ties] == [
        ("final", Decimal(80), (2,), (3,)),
        ("plain", Decimal(80), (2,), (3,)),
    ]
    assert "同为 80 分" in result.cutoff_ties[0].message


def test_tie_inside_one_union_above_the_cutoff_is_reported() -> None:
    # Quota 1: 2 and 3 tie inside union B; the id decided, although the list's last score (70) is lower.
    people = [cand(1, "90", "A"), cand(2, "80", "B"), cand(3, "80", "B"), cand(4, "70", "C")]
    result = compute_shortlist(people, awards=3, quotas=1)
    assert result.selected == (1, 2, 4)
    assert [(t.ranking, t.score, t.selected, t.left_out) for t in result.cutoff_ties] == [
        ("final", Decimal(80), (2,), (3,)),
        ("plain", Decimal(80), (2,), (3,)),
    ]


def test_no_tie_when_scores_differ() -> None:
    assert compute_shortlist([cand(1, "90"), cand(2, "80"), cand(3, "79.99")], awards=2).cutoff_ties == ()


def test_tie_the_constraint_decided_is_still_shown() -> None:
    # 3 ties with 2 on score, but 2 is the only woman the rule needs: 3 could not take her place.
    people = [cand(1, "90"), cand(2, "80", "", FEMALE), cand(3, "80")]
    result = compute_shortlist(people, awards=2, constraints=[at_least(FEMALE, 50)])
    assert result.selected == (1, 2)
    final = [t for t in result.cutoff_ties if t.ranking == "final"]
    assert [(t.selected, t.left_out) for t in final] == [((2,), (3,))]


# --- replacement after an upheld objection ---------------------------------------------------------------


def test_next_in_line_moves_up() -> None:
    people = [cand(1, "90"), cand(2, "85"), cand(3, "80"), cand(4, "75"), cand(5, "70")]
    move = next_replacement([1, 2, 3], 2, people, awards=3)
    assert (move.selected, move.added, move.recomputed) == ((1, 3, 4), 4, None)


def test_replacement_keeps_the_constraint() -> None:
    rule = at_least(FRONT_LINE, 60, "一线职工")
    current = compute_shortlist(PEOPLE, awards=5, constraints=[rule]).selected  # (1, 2, 3, 5, 6)
    move = next_replacement(current, 5, PEOPLE, awards=5, constraints=[rule])
    # 赵六 (87) is next by score but not front-line; 周九 (80) keeps three front-line workers.
    assert (move.added, move.selected) == (7, (1, 2, 3, 6, 7))
    assert "周九" in move.message and "钱七 撤下" in move.message


def test_replacement_reports_a_tie() -> None:
    people = [cand(1, "90"), cand(2, "85"), cand(4, "70"), cand(3, "70")]
    move = next_replacement([1, 2], 1, people, awards=2)
    assert (move.added, move.tied_with) == (3, (4,))


def test_replacement_recomputes_when_nobody_fits_alone() -> None:
    # Women >= 1 of 2 and quota 1. Removing 1 leaves 2 (union Y); the only other woman is in union Y too,
    # and a man would break the rule: the list is recomputed and 2 gives way.
    people = [
        cand(1, "90", "X", FEMALE),
        cand(2, "85", "Y"),
        cand(3, "80", "Y", FEMALE),
        cand(4, "75", "Z"),
    ]
    move = next_replacement([1, 2], 1, people, awards=2, quotas=1, constraints=[at_least(FEMALE, 50)])
    assert move.added is None and move.recomputed is not None
    assert move.selected == (3, 4) == move.recomputed.selected
    assert "整体重新计算" in move.message


def test_replacement_of_someone_not_on_the_list_changes_nothing() -> None:
    people = [cand(1, "90"), cand(2, "85"), cand(3, "80")]
    move = next_replacement([1, 2], 3, people, awards=2)
    assert (move.selected, move.added, move.recomputed) == ((1, 2), None, None)


def test_replacement_refuses_unknown_ids() -> None:
    with pytest.raises(ShortlistInputError):
        next_replacement([1, 99], 1, [cand(1, "90"), cand(2, "85")], awards=2)


# --- inputs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "kwargs"),
    [
        ([cand(1, "90"), cand(1, "80")], {"awards": 1}),  # duplicate id
        ([cand(1, "NaN")], {"awards": 1}),
        ([cand(1, "90")], {"awards": -1}),
        ([cand(1, "90")], {"awards": 1, "constraints": [at_least(FEMALE, 101)]}),
        ([cand(1, "90")], {"awards": 1, "quotas": -1}),
        ([cand(1, "90")], {"awards": 1, "quotas": {"u1": -1}}),
    ],
)
def test_bad_inputs(people: list[Candidate], kwargs: dict[str, object]) -> None:
    with pytest.raises(ShortlistInputError):
        compute_shortlist(people, **kwargs)  # type: ignore[arg-type]


# --- nomination quota ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("already", "adding", "quota", "excess"),
    [
        (0, 3, 3, None),
        (2, 1, 3, None),
        (3, 0, 3, None),
        (5, 5, None, None),  # no quota set
        (3, 1, 3, 1),
        (2, 2, 3, 1),
        (0, 1, 0, 1),
        (1, 4, 2, 3),
    ],
)
def test_nomination_quota(already: int, adding: int, quota: int | None, excess: int | None) -> None:
    if excess is None:
        check_nomination_quota(already, adding, quota)
        return
    with pytest.raises(NominationQuotaError) as caught:
        check_nomination_quota(already, adding, quota)
    assert caught.value.excess == excess
    assert caught.value.message == (
        f"本单位推荐名额为 {quota} 人，已推荐 {already} 人，本次再推荐 {adding} 人将超出 {excess} 人"
    )


def test_nomination_quota_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError):
        check_nomination_quota(-1, 1, 3)


# --- the district's size ---------------------------------------------------------------------------------


def district(n: int, unions: int, seed: int = 1) -> tuple[list[Candidate], dict[str, int]]:
    """n nominees from ``unions`` unions of very different sizes; leaders score higher, front-line workers
    and women a little lower, so the plain top list breaks all three rules (as real ones do)."""
    rng = random.Random(seed)
    weights = [1 / (k + 1) ** 0.6 for k in range(unions)]
    homes = rng.choices(range(unions), weights=weights, k=n)
    people = []
    for i, home in enumerate(homes):
        leader = rng.random() < 0.15
        front = not leader and rng.random() < 0.62
        female = rng.random() < 0.27
        score = rng.gauss(80, 6) + 3 * leader - 1.5 * front - 0.5 * female
        flags = [a for a, on in ((FRONT_LINE, front), (LEADER, leader), (FEMALE, female)) if on]
        people.append(
            Candidate(id=i + 1, score=Decimal(f"{score:.2f}"), group=f"u{home}", attributes=frozenset(flags))
        )
    quotas = {f"u{u}": 1 + (u % 3 == 0) + 3 * (u < unions // 50) for u in range(unions)}
    return people, quotas


DISTRICT_RULES = [
    at_least(FRONT_LINE, 60, "一线职工"),
    at_most(LEADER, 10, "企业负责人"),
    at_least(FEMALE, 30, "女性"),
]


def test_shortlist_5k() -> None:
    people, quotas = district(5000, 1400)
    started = time.perf_counter()
    result = compute_shortlist(people, awards=500, quotas=quotas, constraints=DISTRICT_RULES)
    elapsed = time.perf_counter() - started
    by_id = {c.id: c for c in people}
    chosen = [by_id[i] for i in result.selected]
    assert satisfies(chosen, awards=500, quotas=quotas, constraints=DISTRICT_RULES)
    assert [(c.plain < c.count, c.selected) for c in result.checks] == [(True, 300), (False, 50), (True, 150)]
    assert {d.constraint for d in result.displacements} >= {"一线职工不少于60%", "女性不少于30%"}
    assert elapsed < 3.0, f"{elapsed:.2f} s"  # about 0.2 s on the 2-core machine; generous for a busy one


def test_shortlist_5k_with_whole_number_scores() -> None:
    # Many nominees share each score: the tie-break inside the objective keeps the search small.
    people, quotas = district(5000, 1400, seed=2)
    people = [
        Candidate(id=c.id, score=c.score.quantize(Decimal(1)), group=c.group, attributes=c.attributes)
        for c in people
    ]
    started = time.perf_counter()
    result = compute_shortlist(people, awards=500, quotas=quotas, constraints=DISTRICT_RULES)
    assert time.perf_counter() - started < 3.0
    assert result.feasible and result.cutoff_ties
