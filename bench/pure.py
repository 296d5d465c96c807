"""Workloads for the pure engines, generated from a fixed seed: no server, no database."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal

from competitions import rules as competition_rules
from scoring import rules as scoring_rules


def best_ms(work: Callable[[], object], repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in milliseconds (the least disturbed by the noisy machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def people(count: int, seed: int = 7) -> list[competition_rules.PersonFacts]:
    rng = random.Random(seed)
    return [
        competition_rules.PersonFacts(
            person_id=i,
            birth_date=dt.date(rng.randint(1960, 2008), rng.randint(1, 12), rng.randint(1, 28)),
            skill_level=rng.choice([None, 1, 2, 3, 4, 5]),
            union_member=rng.random() < 0.9,
            employer_id=rng.randint(1, 400),
            employer_in_zone=rng.random() < 0.95,
            front_line=rng.random() < 0.7,
            employed_since=dt.date(rng.randint(2000, 2026), 1, 1),
        )
        for i in range(count)
    ]


ELIGIBILITY = competition_rules.EligibilityRules(
    min_age=18,
    max_age=55,
    least_senior_level=4,
    union_member_required=True,
    zone_enterprise_required=True,
    front_line_only=True,
    max_per_enterprise=5,
)


def check_people(facts: list[competition_rules.PersonFacts]) -> int:
    reference = dt.date(2026, 11, 30)
    failing = 0
    for person in facts:
        failing += bool(
            competition_rules.check_eligibility(
                ELIGIBILITY, person, reference_date=reference, enterprise_count=2
            )
        )
    return failing


def competition(subjects: int, judges: int = 7, aspects: int = 40, seed: int = 11) -> tuple:
    """Rules, subject inputs and marks of a competition: ``aspects`` over two stages, ``judges`` each."""
    rng = random.Random(seed)
    per_stage = aspects // 2
    stages = []
    for s in range(2):
        kinds = ["judgement" if a % 4 == 0 else "measurement" for a in range(per_stage)]
        modules = tuple(
            scoring_rules.Module(
                id=f"s{s}m{m}",
                aspects=tuple(
                    scoring_rules.Aspect(
                        id=f"s{s}a{a}",
                        kind=kinds[a],
                        max_mark=Decimal(5),
                        step=Decimal("0.5") if kinds[a] == "measurement" else None,
                        combine=scoring_rules.Combination(method="trimmed_mean", trim=1),
                    )
                    for a in range(m * 5, m * 5 + 5)
                ),
            )
            for m in range(per_stage // 5)
        )
        stages.append(
            scoring_rules.Stage(
                id=f"s{s}",
                full_marks=Decimal(5 * per_stage),
                weight_percent=Decimal(30 + 40 * s),
                modules=modules,
            )
        )
    rules = scoring_rules.CompetitionRules(
        stages=tuple(stages),
        rounding=scoring_rules.RoundingPolicy(
            panel_mark=scoring_rules.RoundingStep(decimals=2), final=scoring_rules.RoundingStep(decimals=2)
        ),
        tie_breaks=(scoring_rules.TieBreak(kind="stage", ref="s1"),),
    )
    subject_inputs = [scoring_rules.SubjectInput(subject_id=f"c{i}") for i in range(subjects)]
    marks = [
        scoring_rules.Mark(
            subject_id=f"c{i}",
            aspect_id=aspect.id,
            judge_id=f"j{j}",
            value=Decimal(rng.randint(0, 3))
            if aspect.kind == "judgement"
            else Decimal(rng.randint(0, 10)) / 2,
        )
        for i in range(subjects)
        for stage in stages
        for module in stage.modules
        for aspect in module.aspects
        for j in range(judges)
    ]
    return rules, subject_inputs, marks


def aggregate_ms(subjects: int) -> float:
    rules, subject_inputs, marks = competition(subjects)
    return best_ms(lambda: scoring_rules.leaderboard(rules, subject_inputs, marks), repeat=2)


def candidates(count: int, unions: int, seed: int = 5) -> list:
    """Nominees of a good-employee programme: scores to two decimals, ~40% women, ~70% front-line."""
    from awards import rules as award_rules

    rng = random.Random(seed)
    result = []
    for i in range(count):
        attributes = set()
        if rng.random() < 0.7:
            attributes.add("front_line")
        if rng.random() < 0.08:
            attributes.add("enterprise_leader")
        if rng.random() < 0.4:
            attributes.add("female")
        score = Decimal(rng.randint(6000, 9800)) / 100
        result.append(
            award_rules.Candidate(
                id=i, score=score, group=f"u{rng.randrange(unions)}", attributes=frozenset(attributes)
            )
        )
    return result


def shortlist_ms(count: int, unions: int, awards: int) -> float:
    from awards import rules as award_rules

    pool = candidates(count, unions)
    constraints = [
        award_rules.StructuralConstraint(attribute="front_line", bound="at_least", percent=Decimal(60)),
        award_rules.StructuralConstraint(attribute="enterprise_leader", bound="at_most", percent=Decimal(10)),
        award_rules.StructuralConstraint(attribute="female", bound="at_least", percent=Decimal(30)),
    ]
    return best_ms(
        lambda: award_rules.compute_shortlist(pool, awards=awards, quotas=2, constraints=constraints)
    )
