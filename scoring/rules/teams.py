"""Team results (团体成绩) and the organisation award (优秀组织奖), from the ranked contestants.

Team score
----------
A team counts its ``best`` (k) best *ranked* members, best first in the individual ranking (a disqualified
member never counts), and adds (``sum``) or averages (``mean``) their **published** final scores: the
figures on the board, rounded with the published rounding, so that anyone can add up the board and find
the team's score. (Adding the unrounded scores instead could differ from that sum in the last place.)
A mean is rounded with ``teams.rounding`` when declared. A team with fewer ranked members than
``min_members`` (default k) is listed, unranked.

Team ranking
------------
Exactly as contestants (:func:`scoring.rules.rank`): descending score, then the competition's tie-breaks,
each taken over the counted members the way the score is (the sum or the mean of their published stage or
module scores; of their times used, a missing time ranking last); still equal: a shared rank. Team prize
tiers follow ``teams.tiers`` (counts or percentages of the ranked teams, a tied group that does not fit
dropping whole), and ``teams.tiers.min_score`` is a floor on the team score.

Organisation award
------------------
Unions are ranked by their union team's rank (``team``), or by how many of their contestants won a prize
(``prize_winners``) or were ranked (``entrants``); at most ``count`` unions receive it, tiers-style: a
tied group that does not fit in what is left gets nothing, nor does anyone after it. A union with no
ranked team, or none of the counted, is not ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from itertools import groupby

import msgspec

from scoring.rules.exact import EXACT, Ratio, publish, round_decimal, round_ratio
from scoring.rules.ranking import rank
from scoring.rules.records import (
    CompetitionRules,
    Leaderboard,
    OrganisationAward,
    RoundingStep,
    ScoringError,
    SubjectResult,
    TeamRules,
    UnresolvedTie,
)


class _Output(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Base of the outputs here: immutable like every engine record."""


class TeamInput(_Output):
    """A team as declared: its members' subject ids and, for the organisation award, its union."""

    team_id: str
    name: str
    members: tuple[str, ...]
    union_id: str | None = None


class TeamResult(_Output):
    """A team's result. ``members``: its members on the board in individual rank order (the disqualified
    last); ``counted``: the k best ranked ones whose figures make the team's. ``score`` and the stage and
    module figures are exact (a mean to 28 digits unless rounded); ``ranked`` is False when too few
    members are ranked, and then ``rank`` and ``tier`` stay None."""

    team_id: str
    name: str
    union_id: str | None
    members: tuple[str, ...]
    counted: tuple[str, ...]
    score: Decimal
    stage_scores: dict[str, Decimal]
    module_scores: dict[str, Decimal]
    time_used: Decimal | None
    ranked: bool
    rank: int | None = None
    tier: int | None = None


class TeamBoard(_Output):
    """Ranked teams by rank then id, then the unranked by id; ``tier_counts`` are the ceilings."""

    results: tuple[TeamResult, ...]
    unresolved_ties: tuple[UnresolvedTie, ...] = ()
    tier_counts: tuple[int, ...] = ()


class UnionStanding(_Output):
    """A union for the organisation award: its ``figure`` (best team rank, or a count), its position among
    the unions (None: not ranked), and whether it receives the award."""

    union_id: str
    figure: int | None
    position: int | None
    awarded: bool


# ------------------------------------------------------------------------------------------- team scores


def _members_in_order(teams: Sequence[TeamInput], board: Leaderboard) -> dict[str, list[SubjectResult]]:
    """Each team's members on the board, in board order; refuses unknown subjects and shared members."""
    position = {result.subject_id: i for i, result in enumerate(board.results)}
    team_of: dict[str, str] = {}
    seen_teams: set[str] = set()
    out: dict[str, list[SubjectResult]] = {}
    for team in teams:
        if team.team_id in seen_teams:
            raise ScoringError(f"team {team.team_id!r} listed twice")
        seen_teams.add(team.team_id)
        for member in team.members:
            if member not in position:
                raise ScoringError(f"team {team.team_id!r}: member {member!r} is not on the board")
            if member in team_of:
                raise ScoringError(f"subject {member!r} is in teams {team_of[member]!r} and {team.team_id!r}")
            team_of[member] = team.team_id
        out[team.team_id] = [board.results[i] for i in sorted(position[m] for m in team.members)]
    return out


class _Combiner:
    """Sum or mean of the counted members' published figures, exact (a declared rounding on a mean)."""

    def __init__(self, teams: TeamRules, published: RoundingStep) -> None:
        self.mean = teams.method == "mean"
        self.rounding = teams.rounding
        self.published = published

    def figure(self, values: Iterable[Decimal], *, score: bool = False) -> Decimal:
        figures = [round_decimal(value, self.published) for value in values]
        total: Ratio = (sum(figures, Decimal(0)), len(figures) if self.mean and figures else 1)
        if score and self.rounding is not None and self.mean:
            return round_ratio(*total, self.rounding)
        return publish(total)

    def time(self, values: Sequence[Decimal | None]) -> Decimal | None:
        if not values or any(value is None for value in values):
            return None  # ranks last on a time tie-break, like a contestant without a time
        known = [value for value in values if value is not None]
        return publish((sum(known, Decimal(0)), len(known) if self.mean else 1))


def _team_result(
    team: TeamInput, members: Sequence[SubjectResult], teams: TeamRules, combiner: _Combiner
) -> TeamResult:
    counted = [member for member in members if member.rank is not None][: teams.best]
    stage_ids = members[0].stage_scores.keys() if members else ()
    module_ids = members[0].module_scores.keys() if members else ()
    return TeamResult(
        team_id=team.team_id,
        name=team.name,
        union_id=team.union_id,
        members=tuple(member.subject_id for member in members),
        counted=tuple(member.subject_id for member in counted),
        score=combiner.figure((m.final_score for m in counted), score=True),
        stage_scores={k: combiner.figure(m.stage_scores[k] for m in counted) for k in stage_ids},
        module_scores={k: combiner.figure(m.module_scores[k] for m in counted) for k in module_ids},
        time_used=combiner.time([m.time_used for m in counted]),
        ranked=len(counted) >= (teams.min_members or teams.best),
    )


def _as_subject(team: TeamResult) -> SubjectResult:
    """A team as the ranking sees a contestant: an unranked team is set aside like a disqualified one."""
    return SubjectResult(
        subject_id=team.team_id,
        aspect_scores={},
        module_scores=team.module_scores,
        stage_scores=team.stage_scores,
        final_score=team.score,
        complete=True,
        disqualified=not team.ranked,
        time_used=team.time_used,
    )


def team_board(
    rules: CompetitionRules, teams: Sequence[TeamInput], board: Leaderboard, published: RoundingStep
) -> TeamBoard:
    """Score, rank and tier the teams from the ranked contestants (``board``, from :func:`rank`).

    ``published`` is the rounding the board's final and stage scores are published with: a team adds
    those figures. Refuses (:class:`ScoringError`) rules without teams, an unknown member, a member of two
    teams.
    """
    declared = rules.teams
    if declared is None:
        raise ScoringError("the rules declare no team results")
    with localcontext(EXACT):
        members = _members_in_order(teams, board)
        combiner = _Combiner(declared, published)
        results = {t.team_id: _team_result(t, members[t.team_id], declared, combiner) for t in teams}
    # Rank as contestants are ranked; the score floor is applied afterwards (tiers are filled in rank
    # order, so removing the prizes of the teams under the floor leaves the others' as the floor would).
    tiers = declared.tiers
    floor = None if tiers is None else tiers.min_score
    view = msgspec.structs.replace(
        rules,
        tiers=None if tiers is None else msgspec.structs.replace(tiers, min_score=None),
        no_ties_in_top=declared.no_ties_in_top,
    )
    ranked = rank(view, [_as_subject(team) for team in results.values()])
    ordered = []
    for subject in ranked.results:
        tier = subject.tier if floor is None or subject.final_score >= floor else None
        ordered.append(msgspec.structs.replace(results[subject.subject_id], rank=subject.rank, tier=tier))
    return TeamBoard(
        results=tuple(ordered), unresolved_ties=ranked.unresolved_ties, tier_counts=ranked.tier_counts
    )


# -------------------------------------------------------------------------------- the organisation award


def _union_figures(
    award: OrganisationAward,
    board: Leaderboard,
    teams: TeamBoard | None,
    unions: Mapping[str, str | None],
) -> tuple[dict[str, int | None], Callable[[int], int]]:
    """Each union's figure (None: not placed) and the sort key that puts the best first."""
    figures: dict[str, int | None] = {u: None for u in unions.values() if u is not None}
    if award.basis == "team":
        for team in teams.results if teams is not None else ():
            if team.union_id is None:
                continue
            figures.setdefault(team.union_id, None)
            if team.rank is not None:
                best = figures[team.union_id]
                figures[team.union_id] = team.rank if best is None else min(best, team.rank)
        return figures, lambda figure: figure  # the best team rank: smaller is better
    for result in board.results:
        union = unions.get(result.subject_id)
        counts = result.tier is not None if award.basis == "prize_winners" else result.rank is not None
        if union is not None and counts:
            figures[union] = (figures[union] or 0) + 1
    return figures, lambda figure: -figure  # a count: larger is better


def organisation_awards(
    rules: CompetitionRules,
    board: Leaderboard,
    teams: TeamBoard | None,
    unions: Mapping[str, str | None],
) -> tuple[UnionStanding, ...]:
    """The unions ranked for the organisation award, best first then by id, and who receives it.

    ``unions``: each contestant's union (subject id -> union id or None); ``teams``: the team board, for
    the ``team`` basis. Empty when the rules declare no organisation award.
    """
    award = rules.organisation_award
    if award is None:
        return ()
    figures, key = _union_figures(award, board, teams, unions)
    placed = sorted((key(f), u) for u, f in figures.items() if f)  # None or 0: not ranked
    standings: list[UnionStanding] = []
    room, position, open_ = award.count, 1, True
    for _, grouped in groupby(placed, key=lambda item: item[0]):
        group = [union for _, union in grouped]
        open_ = open_ and len(group) <= room  # a tie that does not fit closes the award to all after it
        room -= len(group) if open_ else 0
        standings.extend(
            UnionStanding(union_id=u, figure=figures[u], position=position, awarded=open_) for u in group
        )
        position += len(group)
    unplaced = sorted(u for u, f in figures.items() if not f)
    standings.extend(
        UnionStanding(union_id=u, figure=figures[u], position=None, awarded=False) for u in unplaced
    )
    return tuple(standings)
