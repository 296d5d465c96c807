"""Rounds: who stands where after a round, who goes through the cut, the next round's starting order.

A round's standing ranks the subjects who entered it (not disqualified, not cut earlier) by the score they
stand on after it: the cumulative total of the rounds so far (``total = "sum"``) or the round's own score
(``total = "last"``). Standard competition ranking (1, 2, 2, 4); with ``ties = "tie_break"`` the
competition's tie-breaks order equal scores first (a tie-break stage or module of a later round is 0 for
all, so it separates nobody).

The cut never splits a tie: subjects still equal at the cut all go through (``top`` N with two tied on
the N-th place qualifies N + 1). ``min_score`` qualifies everyone standing at or above it;
``top_per_union`` / ``top_per_enterprise`` rank each group on its own (a subject with no group forms a
group with the others without one). The next round's starting order is the qualified subjects in reverse
standing order (the best starts last, as in ski jumping; equal standings keep the reverse of their
subject-id order) or a new draw from the caller's random source.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from scoring.rules.exact import EXACT
from scoring.rules.ranking import rank_key
from scoring.rules.records import CompetitionRules, Round, ScoringError, SubjectResult, _Record

_ZERO = Decimal(0)


class RoundStanding(_Record):
    """One entrant's place after a round: ``score`` is what the cut looks at, ``round_score`` the round's
    own score; ``rank`` counts from 1 with shared places (within the group for a per-group cut)."""

    subject_id: str
    round_score: Decimal
    score: Decimal
    rank: int
    qualified: bool
    group: str | None = None


def entrants(results: Iterable[SubjectResult], round_index: int) -> list[SubjectResult]:
    """Who took part in the round: not disqualified and not cut after an earlier round."""
    return [
        r
        for r in results
        if not r.disqualified and (r.eliminated_after is None or r.eliminated_after >= round_index)
    ]


def standing_score(rules: CompetitionRules, result: SubjectResult, round_index: int) -> Decimal:
    """The score a subject stands on after round ``round_index``: cumulative, or that round alone."""
    if rules.rounds is None:
        raise ScoringError("the competition declares no rounds")
    rounds = rules.rounds.rounds
    if rules.rounds.total == "last":
        return result.round_scores.get(rounds[round_index].id, _ZERO)
    with localcontext(EXACT):
        return sum((result.round_scores.get(r.id, _ZERO) for r in rounds[: round_index + 1]), _ZERO)


def _ranked(
    rules: CompetitionRules, declared: Round, scored: Sequence[tuple[SubjectResult, Decimal]]
) -> list[tuple[int, SubjectResult, Decimal]]:
    """(rank, result, score) best first; equal keys share a rank (1, 2, 2, 4)."""
    tie_breaks = rules.tie_breaks if declared.ties == "tie_break" else ()
    keyed = sorted(
        ((rank_key(tie_breaks, r, score), r.subject_id, r, score) for r, score in scored),
        key=lambda item: (item[0], item[1]),
    )
    out: list[tuple[int, SubjectResult, Decimal]] = []
    previous: tuple[Any, ...] | None = None
    rank = 0
    for position, (key, _, result, score) in enumerate(keyed, start=1):
        if key != previous:
            rank, previous = position, key
        out.append((rank, result, score))
    return out


def _group_of(declared: Round, result: SubjectResult, groups: Mapping[str, Mapping[str, str | None]]) -> str:
    kind = "union" if declared.cut == "top_per_union" else "enterprise"
    return groups.get(result.subject_id, {}).get(kind) or ""


def round_standings(
    rules: CompetitionRules,
    results: Iterable[SubjectResult],
    round_index: int,
    groups: Mapping[str, Mapping[str, str | None]] | None = None,
) -> list[RoundStanding]:
    """The standing after round ``round_index`` and who qualifies for the next round, best first.

    ``groups``: per subject, its ``union`` and ``enterprise`` (needed by a per-group cut only). On the
    last round (no cut) everyone is ``qualified=False``: there is nothing left to qualify for.
    """
    if rules.rounds is None or not 0 <= round_index < len(rules.rounds.rounds):
        raise ScoringError(f"no round {round_index}")
    declared = rules.rounds.rounds[round_index]
    scored = [(r, standing_score(rules, r, round_index)) for r in entrants(results, round_index)]
    round_id = declared.id
    if declared.cut in ("top_per_union", "top_per_enterprise"):
        by_group: dict[str, list[tuple[SubjectResult, Decimal]]] = {}
        for result, score in scored:
            by_group.setdefault(_group_of(declared, result, groups or {}), []).append((result, score))
        standings = []
        for group, members in by_group.items():
            for rank, result, score in _ranked(rules, declared, members):
                qualified = rank <= (declared.count or 0)
                standings.append(_standing(result, round_id, score, rank, qualified, group))
        overall = {s.subject_id: i for i, (_, s, _) in enumerate(_ranked(rules, declared, scored))}
        return sorted(standings, key=lambda s: overall[s.subject_id])
    out = []
    for rank, result, score in _ranked(rules, declared, scored):
        if declared.cut == "top":
            qualified = rank <= (declared.count or 0)
        elif declared.cut == "min_score":
            qualified = declared.min_score is not None and score >= declared.min_score
        else:
            qualified = False
        out.append(_standing(result, round_id, score, rank, qualified, None))
    return out


def _standing(
    result: SubjectResult, round_id: str, score: Decimal, rank: int, qualified: bool, group: str | None
) -> RoundStanding:
    return RoundStanding(
        subject_id=result.subject_id,
        round_score=result.round_scores.get(round_id, _ZERO),
        score=score,
        rank=rank,
        qualified=qualified,
        group=group,
    )


def starting_order(
    declared: Round, standings: Sequence[RoundStanding], rng: random.Random | None = None
) -> list[str]:
    """The qualified subjects in the next round's starting order (first to start first).

    ``reverse_rank``: the reverse of the standing (``standings`` as :func:`round_standings` returns them,
    best first), so the best starts last. ``draw``: a shuffle with ``rng`` (required then).
    """
    qualified = [s.subject_id for s in standings if s.qualified]
    if declared.next_order == "draw":
        if rng is None:
            raise ScoringError("a new draw needs a random source")
        rng.shuffle(qualified)
        return qualified
    return qualified[::-1]
