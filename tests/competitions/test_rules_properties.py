"""Property tests: the eligibility checker against an independent per-rule oracle, and lot drawing as a
bijection for every field size the zone will ever see."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.rules import (
    BLIND_CODE_ALPHABET,
    EligibilityRules,
    IneligibilityCode,
    PersonFacts,
    RegistrationOutcome,
    StageSpec,
    check_eligibility,
    decide_registration,
    draw_lots,
    format_registration_no,
    normalize_blind_code,
    parse_registration_no,
    validate_stages,
    whole_years,
)

C = IneligibilityCode
dates = st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2040, 12, 31))
levels = st.none() | st.integers(min_value=1, max_value=5)

rules_strategy = st.builds(
    EligibilityRules,
    min_age=st.none() | st.integers(min_value=0, max_value=80),
    max_age=st.none() | st.integers(min_value=0, max_value=80),
    age_reference_date=st.none() | dates,
    least_senior_level=levels,
    most_senior_level=levels,
    union_member_required=st.booleans(),
    zone_enterprise_required=st.booleans(),
    front_line_only=st.booleans(),
    max_per_enterprise=st.none() | st.integers(min_value=1, max_value=10),
    min_years_employed=st.none() | st.integers(min_value=1, max_value=30),
)
people = st.builds(
    PersonFacts,
    person_id=st.integers(min_value=1, max_value=10**9),
    birth_date=dates,
    skill_level=levels,
    union_member=st.booleans(),
    employer_id=st.none() | st.integers(min_value=1, max_value=1000),
    employer_in_zone=st.booleans(),
    front_line=st.booleans(),
    employed_since=st.none() | dates,
)
counts = st.integers(min_value=0, max_value=12)


def oracle_years(start: dt.date, on: dt.date) -> int:
    """Whole years computed the slow, obvious way: has this year's anniversary (1 March for 29 Feb in a
    common year) been reached?"""
    try:
        anniversary = start.replace(year=on.year)
    except ValueError:
        anniversary = dt.date(on.year, 3, 1)
    return on.year - start.year - (on < anniversary)


def oracle_failures(rules: EligibilityRules, p: PersonFacts, on: dt.date, count: int) -> list[str]:
    """Each rule judged on its own, in plain words, in the documented order."""
    age = oracle_years(p.birth_date, on)
    years = None if p.employed_since is None else oracle_years(p.employed_since, on)
    # Level numbers: smaller is more senior. "At least level L" is number <= L.
    judged = [
        (C.AGE_OUT_OF_RANGE, rules.min_age is not None and age < rules.min_age),
        (C.AGE_OUT_OF_RANGE, rules.max_age is not None and age > rules.max_age),
        (
            C.SKILL_LEVEL_TOO_LOW,
            rules.least_senior_level is not None
            and (p.skill_level is None or p.skill_level > rules.least_senior_level),
        ),
        (
            C.SKILL_LEVEL_TOO_HIGH,
            rules.most_senior_level is not None
            and p.skill_level is not None
            and p.skill_level < rules.most_senior_level,
        ),
        (C.NOT_UNION_MEMBER, rules.union_member_required and not p.union_member),
        (
            C.EMPLOYER_NOT_IN_ZONE,
            rules.zone_enterprise_required and (p.employer_id is None or not p.employer_in_zone),
        ),
        (C.NOT_FRONT_LINE, rules.front_line_only and not p.front_line),
        (
            C.ENTERPRISE_LIMIT_REACHED,
            rules.max_per_enterprise is not None
            and p.employer_id is not None
            and count >= rules.max_per_enterprise,
        ),
        (
            C.EMPLOYMENT_TOO_SHORT,
            rules.min_years_employed is not None and (years is None or years < rules.min_years_employed),
        ),
    ]
    failures: list[str] = []
    for code, failed in judged:
        if failed and code not in failures:  # too young and too old cannot both hold, but stay one reason
            failures.append(code)
    return failures


@given(start=dates, on=dates)
def test_whole_years_matches_the_calendar_oracle(start: dt.date, on: dt.date) -> None:
    assert whole_years(start, on) == oracle_years(start, on)


@settings(max_examples=400)
@given(rules=rules_strategy, person=people, default_on=dates, count=counts)
def test_eligibility_is_exactly_the_failed_individual_rules(
    rules: EligibilityRules, person: PersonFacts, default_on: dt.date, count: int
) -> None:
    on = rules.age_reference_date or default_on
    result = check_eligibility(rules, person, reference_date=default_on, enterprise_count=count)
    assert [r.code for r in result] == oracle_failures(rules, person, on, count)
    assert (result == []) == all(not failed for failed in oracle_failures(rules, person, on, count))
    assert all(r.message for r in result)
    # Deterministic: same inputs, same reasons and messages.
    assert result == check_eligibility(rules, person, reference_date=default_on, enterprise_count=count)


@given(rules=rules_strategy, person=people, on=dates, count=counts)
def test_reasons_follow_code_order_without_repeats(
    rules: EligibilityRules, person: PersonFacts, on: dt.date, count: int
) -> None:
    found = [r.code for r in check_eligibility(rules, person, reference_date=on, enterprise_count=count)]
    order = list(IneligibilityCode)
    assert found == sorted(set(found), key=order.index)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=500), seed=st.integers(), use_system=st.booleans())
def test_draw_is_a_bijection_onto_stations(n: int, seed: int, use_system: bool) -> None:
    ids = random.Random(seed).sample(range(1, 10**9), n)
    draws = draw_lots(ids, rng=None if use_system else random.Random(seed))
    assert sorted(d.contestant_id for d in draws) == sorted(ids)
    assert sorted(d.station_no for d in draws) == list(range(1, n + 1))
    assert len({d.blind_code for d in draws}) == n
    assert all(normalize_blind_code(d.blind_code) == d.blind_code for d in draws)
    assert all(set(d.blind_code.replace("-", "")) <= set(BLIND_CODE_ALPHABET) for d in draws)


@given(
    competition_id=st.integers(min_value=1, max_value=10**8), seq=st.integers(min_value=1, max_value=10**8)
)
def test_registration_number_round_trips(competition_id: int, seq: int) -> None:
    assert parse_registration_no(format_registration_no(competition_id, seq)) == (competition_id, seq)


@given(cuts=st.sets(st.integers(min_value=1, max_value=9_999), max_size=7), off_by=st.sampled_from([-1, 1]))
def test_any_split_of_100_percent_is_valid_and_one_hundredth_off_is_not(cuts: set[int], off_by: int) -> None:
    # Distinct cut points in 0.01..99.99 split 100.00 into positive parts with two decimal places.
    bounds = [0, *sorted(cuts), 10_000]
    weights = [Decimal(b - a).scaleb(-2) for a, b in pairwise(bounds)]
    stages = [StageSpec(name=f"环节{i}", kind="practical", weight_percent=w) for i, w in enumerate(weights)]
    assert validate_stages(stages) == []
    first = stages[0]
    nudged = first.weight_percent + Decimal(off_by).scaleb(-2)
    if 0 < nudged <= 100:  # still a legal weight on its own, so only the total is wrong
        stages[0] = StageSpec(name=first.name, kind=first.kind, weight_percent=nudged)
        assert [p.code for p in validate_stages(stages)] == ["weights_sum_not_100"]


@given(capacity=st.integers(min_value=1, max_value=200), arrivals=st.integers(min_value=0, max_value=400))
def test_registrations_fill_exactly_the_capacity_in_arrival_order(capacity: int, arrivals: int) -> None:
    outcomes = []
    accepted = 0
    for _ in range(arrivals):
        outcome = decide_registration(capacity, accepted)
        accepted += outcome == RegistrationOutcome.ACCEPTED
        outcomes.append(outcome)
    expected_accepted = min(capacity, arrivals)
    assert outcomes == [RegistrationOutcome.ACCEPTED] * expected_accepted + [
        RegistrationOutcome.WAITLISTED
    ] * (arrivals - expected_accepted)
