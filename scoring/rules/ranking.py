"""Ranking and prizes: scored subjects get a rank, a prize tier, and ties the rules cannot break reported.

Ranking
-------
Descending final score; then the competition's ordered tie-breaks (higher score in a named stage, shorter
time used -- a missing time ranks last --, higher score in a named module). Subjects still equal share a
rank and the next rank skips (standard competition ranking: 1, 2, 2, 4). With ``no_ties_in_top = 3`` a tie
left among ranks 1-3 is reported in ``Leaderboard.unresolved_ties`` for the organisers to settle; the
engine never invents an order. A disqualified subject (取消资格) keeps its computed scores but gets no rank
and no prize, and does not count towards the number of ranked subjects. With rounds, a subject cut after
an earlier round (未晋级) ranks below everyone who went further, by the total it had reached.

Prizes (一等奖 / 二等奖 / 三等奖)
------------------------------
Tier counts are either declared or a percentage of the ranked subjects, each tier's count being the floor of
``ranked x percent / 100`` on its own (defaults 10 %, 20 %, 30 %: 15 ranked give 1, 3 and 4). A count is a
ceiling, never exceeded: tiers are filled in rank order, and a group of tied subjects that does not fit in
what is left of a tier drops, whole, to the next tier (the usual Chinese practice: a prize's quota may be
left unfilled but never exceeded); the places it leaves unused are not carried over. If a tied group fits no
remaining tier, neither it nor anyone below it gets a prize. ``min_score`` is a floor: subjects whose final
score is below it get no prize, but they still count in the number of ranked subjects that percentages are
taken of.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from typing import Any

import msgspec

from scoring.rules.aggregation import aggregate
from scoring.rules.exact import EXACT
from scoring.rules.records import (
    CompetitionRules,
    ExpectedJudges,
    Leaderboard,
    Mark,
    SubjectInput,
    SubjectResult,
    TieBreak,
    TierPolicy,
    UnresolvedTie,
)
from scoring.rules.validation import require_valid

_ZERO = Decimal(0)


def rank_key(tie_breaks: Sequence[TieBreak], result: SubjectResult, score: Decimal) -> tuple[Any, ...]:
    """Smaller is better: ``score`` first, then each tie-break in order (a stage or module of a round the
    subject did not enter counts as 0)."""
    # copy_negate is exact whatever the context (unary minus would round to the context's precision).
    key: list[Any] = [score.copy_negate()]
    for rule in tie_breaks:
        if rule.kind == "stage":
            key.append(result.stage_scores.get(rule.ref or "", _ZERO).copy_negate())
        elif rule.kind == "module":
            key.append(result.module_scores.get(rule.ref or "", _ZERO).copy_negate())
        else:  # time_used: shorter is better, and a subject without a recorded time comes last
            used = result.time_used
            key.append((0, used) if used is not None else (1, Decimal(0)))
    return tuple(key)


def _rank_key(rules: CompetitionRules, result: SubjectResult) -> tuple[Any, ...]:
    """With rounds, whoever went further ranks above whoever was cut earlier, whatever the scores."""
    key = rank_key(rules.tie_breaks, result, result.final_score)
    if rules.rounds is None:
        return key
    reached = len(rules.rounds.rounds) if result.eliminated_after is None else result.eliminated_after
    return (-reached, *key)


def _rank_groups(rules: CompetitionRules, results: Iterable[SubjectResult]) -> list[list[SubjectResult]]:
    """Non-disqualified subjects grouped by equal rank key, best group first, ids ascending inside."""
    keyed = sorted(
        ((_rank_key(rules, r), r.subject_id, r) for r in results if not r.disqualified),
        key=lambda item: (item[0], item[1]),
    )
    groups: list[list[SubjectResult]] = []
    previous: tuple[Any, ...] | None = None
    for key, _, result in keyed:
        if key != previous:
            groups.append([])
            previous = key
        groups[-1].append(result)
    return groups


def tier_counts(policy: TierPolicy, ranked: int) -> tuple[int, ...]:
    """How many subjects each tier may hold at most: declared, or floor(ranked x percent / 100) each."""
    if policy.method == "count":
        return policy.counts
    with localcontext(EXACT):
        return tuple(int(ranked * percent // 100) for percent in policy.percents)


def _assign_tiers(
    groups: Sequence[Sequence[SubjectResult]], counts: Sequence[int], min_score: Decimal | None
) -> dict[str, int]:
    """Tier (1-based) by subject id; one pass in rank order, so tied subjects always share a tier."""
    tiers: dict[str, int] = {}
    tier = 0
    room = counts[0] if counts else 0
    for group in groups:
        if min_score is not None and group[0].final_score < min_score:
            break  # groups are in descending final score: everyone below is under the floor too
        while tier < len(counts) and len(group) > room:
            tier += 1  # the whole tie drops a tier; the places it leaves are not carried over
            room = counts[tier] if tier < len(counts) else 0
        if tier == len(counts):
            break  # a tie that fits no tier: no one ranked below it may get a prize either
        for result in group:
            tiers[result.subject_id] = tier + 1
        room -= len(group)
    return tiers


def rank(rules: CompetitionRules, results: Iterable[SubjectResult]) -> Leaderboard:
    """Rank, tier and order scored subjects (O(n log n)); the disqualified come last, unranked."""
    require_valid(rules)
    results = list(results)
    groups = _rank_groups(rules, results)
    ranked = sum(len(group) for group in groups)
    counts = tier_counts(rules.tiers, ranked) if rules.tiers is not None else ()
    min_score = rules.tiers.min_score if rules.tiers is not None else None
    tiers = _assign_tiers(groups, counts, min_score)
    ordered: list[SubjectResult] = []
    ties: list[UnresolvedTie] = []
    position = 1
    for group in groups:
        if len(group) > 1 and position <= rules.no_ties_in_top:
            ties.append(UnresolvedTie(rank=position, subject_ids=tuple(r.subject_id for r in group)))
        for result in group:
            ordered.append(msgspec.structs.replace(result, rank=position, tier=tiers.get(result.subject_id)))
        position += len(group)  # standard competition ranking: 1, 2, 2, 4
    disqualified = sorted((r for r in results if r.disqualified), key=lambda r: r.subject_id)
    ordered.extend(msgspec.structs.replace(r, rank=None, tier=None) for r in disqualified)
    return Leaderboard(results=tuple(ordered), unresolved_ties=tuple(ties), tier_counts=tuple(counts))


def leaderboard(
    rules: CompetitionRules,
    subjects: Sequence[SubjectInput],
    marks: Iterable[Mark],
    *,
    expected: ExpectedJudges | None = None,
) -> Leaderboard:
    """:func:`aggregate` then :func:`rank`."""
    return rank(rules, aggregate(rules, subjects, marks, expected=expected))
