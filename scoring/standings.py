"""Team results (团体), the organisation award (优秀组织奖) and the promotion list as the results half shows
and publishes them: load who belongs to which team and union, call the engine, shape rows and the open
document's parts.

Teams follow the rules' ``teams.grouping``: a grassroots union's contestants (the person's union), an
employer's (the employer at registration), or the organizer's named teams (:mod:`scoring.teams`). Only
drawn contestants count. Team membership ties blind codes to unions and employers, so team results are
shown to organizers after unblinding and to the public after publication, never before.

The promotion list is computed with each contestant's skill level at the time (``Person.skill_level``)
and published in the open document; :mod:`scoring.promotion` confirms it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.tables import GrassrootsUnion
from competitions.tables import Registration
from scoring import export
from scoring import rules as engine
from scoring.inputs import ScoringInputs
from scoring.results_schemas import Change
from scoring.standings_schemas import OrganisationAwardRow, TeamMemberOut, TeamRow
from scoring.tables import CompetitionTeam, TeamMember


@dataclass(frozen=True)
class TeamSetup:
    """Who is in which team and union: the engine's inputs besides the ranked contestants."""

    teams: list[engine.TeamInput] = field(default_factory=list)
    unions: dict[str, str | None] = field(default_factory=dict)  # subject id -> union id
    union_names: dict[str, str] = field(default_factory=dict)
    levels: dict[str, int | None] = field(default_factory=dict)  # subject id -> skill level held


def declares_standings(rules: engine.CompetitionRules) -> bool:
    return rules.teams is not None or rules.organisation_award is not None or rules.promotion is not None


# ------------------------------------------------------------------------------------------------ loading


async def _contestant_rows(competition_id: int, subject_ids: Sequence[str]) -> list[dict[str, Any]]:
    ids = [int(s) for s in subject_ids]
    if not ids:
        return []
    return await Registration.select(
        Registration.id,
        Registration.employer,
        Registration.employer.name.as_alias("employer_name"),
        Registration.employer.union.as_alias("employer_union"),
        Registration.person.union.as_alias("union"),
        Registration.person.skill_level.as_alias("skill_level"),
    ).where((Registration.competition == competition_id) & Registration.id.is_in(ids))


async def _names_of_unions(union_ids: set[str]) -> dict[str, str]:
    if not union_ids:
        return {}
    rows = await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name).where(
        GrassrootsUnion.id.is_in([int(u) for u in union_ids])
    )
    return {str(r["id"]): r["name"] for r in rows}


async def _named_teams(competition_id: int, on_board: set[str]) -> list[engine.TeamInput]:
    teams = await CompetitionTeam.select(
        CompetitionTeam.id, CompetitionTeam.name, CompetitionTeam.union
    ).where(CompetitionTeam.competition == competition_id)
    members: dict[int, list[str]] = {team["id"]: [] for team in teams}
    if teams:
        rows = await TeamMember.select(TeamMember.team, TeamMember.registration).where(
            TeamMember.team.is_in(list(members))
        )
        for row in rows:
            if str(row["registration"]) in on_board:  # a withdrawn or undrawn member does not count
                members[row["team"]].append(str(row["registration"]))
    return [
        engine.TeamInput(
            team_id=f"t{team['id']}",
            name=team["name"],
            members=tuple(sorted(members[team["id"]], key=int)),
            union_id=None if team["union"] is None else str(team["union"]),
        )
        for team in teams
    ]


def _grouped_teams(
    rows: Sequence[Mapping[str, Any]], grouping: str, union_names: Mapping[str, str]
) -> list[engine.TeamInput]:
    """One team per union (the person's) or per employer (at registration) that has contestants."""
    members: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    unions: dict[str, str | None] = {}
    for row in rows:
        if grouping == "union" and row["union"] is not None:
            key = f"u{row['union']}"
            names[key], unions[key] = union_names[str(row["union"])], str(row["union"])
        elif grouping == "enterprise" and row["employer"] is not None:
            key = f"e{row['employer']}"
            names[key] = row["employer_name"]
            unions[key] = None if row["employer_union"] is None else str(row["employer_union"])
        else:
            continue
        members.setdefault(key, []).append(str(row["id"]))
    return [
        engine.TeamInput(team_id=k, name=names[k], members=tuple(sorted(v, key=int)), union_id=unions[k])
        for k, v in members.items()
    ]


async def team_setup(
    competition_id: int, rules: engine.CompetitionRules, subject_ids: Sequence[str]
) -> TeamSetup:
    """Teams, unions and skill levels of the drawn contestants, as the rules need them."""
    rows = await _contestant_rows(competition_id, subject_ids)
    union_ids = {str(r["union"]) for r in rows if r["union"] is not None}
    union_ids |= {str(r["employer_union"]) for r in rows if r["employer_union"] is not None}
    teams: list[engine.TeamInput] = []
    if rules.teams is not None and rules.teams.grouping == "named":
        teams = await _named_teams(competition_id, set(subject_ids))
        union_ids |= {t.union_id for t in teams if t.union_id is not None}
    union_names = await _names_of_unions(union_ids)
    if rules.teams is not None and rules.teams.grouping != "named":
        teams = _grouped_teams(rows, rules.teams.grouping, union_names)
    return TeamSetup(
        teams=teams,
        unions={str(r["id"]): None if r["union"] is None else str(r["union"]) for r in rows},
        union_names=union_names,
        levels={str(r["id"]): r["skill_level"] for r in rows},
    )


# ---------------------------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class Standings:
    """The engine's team board, organisation award and promotion list, with the document's numbering."""

    setup: TeamSetup
    teams: engine.TeamBoard | None
    awards: tuple[engine.UnionStanding, ...]
    promotions: tuple[engine.PromotionCandidate, ...] | None
    team_numbers: dict[str, int]
    union_numbers: dict[str, int]


def _by_number(ident: str) -> tuple[str, int]:
    """``u12`` / ``e3`` / ``t7`` / ``12`` in numeric order, so numbering does not follow text order."""
    head = ident.rstrip("0123456789")
    return head, int(ident[len(head) :])


def standings_of(
    rules: engine.CompetitionRules, board: engine.Leaderboard, step: engine.RoundingStep, setup: TeamSetup
) -> Standings:
    """Run the engine's team, organisation-award and promotion rules over the ranked contestants."""
    teams = engine.team_board(rules, setup.teams, board, step) if rules.teams is not None else None
    union_ids = {u for u in setup.unions.values() if u is not None}
    union_ids |= {t.union_id for t in setup.teams if t.union_id is not None}
    return Standings(
        setup=setup,
        teams=teams,
        awards=engine.organisation_awards(rules, board, teams, setup.unions),
        promotions=None if rules.promotion is None else engine.promotions(rules, board, setup.levels, step),
        team_numbers={
            t.team_id: n for n, t in enumerate(sorted(setup.teams, key=lambda t: _by_number(t.team_id)), 1)
        },
        union_numbers={u: n for n, u in enumerate(sorted(union_ids, key=_by_number), 1)},
    )


def _prize(tier: int | None) -> str | None:
    return None if tier is None else engine.TIER_NAMES.get(tier, f"{tier}等奖")


def team_rows(
    standings: Standings,
    board: engine.Leaderboard,
    blind: Mapping[str, tuple[int, str]],
    names: Mapping[int, tuple[str, str]],
    step: engine.RoundingStep,
) -> list[TeamRow]:
    """The teams as shown: published figures (rounded with ``step``), members with their names."""
    if standings.teams is None:
        return []
    results = {r.subject_id: r for r in board.results}
    rows = []
    for team in standings.teams.results:
        members = [
            TeamMemberOut(
                blind_code=blind[m][1],
                name=names.get(int(m), ("", ""))[0],
                rank=results[m].rank,
                final_score=engine.round_decimal(results[m].final_score, step),
                counted=m in team.counted,
                disqualified=results[m].disqualified,
            )
            for m in team.members
        ]
        rows.append(
            TeamRow(
                team_no=standings.team_numbers[team.team_id],
                rank=team.rank,
                tier=team.tier,
                prize=_prize(team.tier),
                name=team.name,
                union=None if team.union_id is None else standings.setup.union_names.get(team.union_id),
                score=engine.round_decimal(team.score, step),
                ranked=team.ranked,
                members=members,
            )
        )
    return rows


def award_rows(standings: Standings) -> list[OrganisationAwardRow]:
    return [
        OrganisationAwardRow(
            union_no=standings.union_numbers[u.union_id],
            union=standings.setup.union_names.get(u.union_id, ""),
            position=u.position,
            figure=u.figure,
            awarded=u.awarded,
        )
        for u in standings.awards
    ]


def document_part(
    rules: engine.CompetitionRules,
    standings: Standings,
    blind: Mapping[str, tuple[int, str]],
    rows: Sequence[TeamRow],
    awards: Sequence[OrganisationAwardRow],
) -> dict[str, Any]:
    """The open document's parts, the published team and union figures taken from the rows as shown."""
    return export.standings_part(
        blind=blind,
        teams=standings.setup.teams,
        team_numbers=None if rules.teams is None else standings.team_numbers,
        union_numbers=standings.union_numbers,
        unions=None if rules.organisation_award is None else standings.setup.unions,
        published_teams=[
            export.PublishedTeam(
                team_no=row.team_no,
                score=row.score,
                rank=row.rank,
                tier=row.tier,
                counted=sorted(m.blind_code for m in row.members if m.counted),
            )
            for row in rows
        ],
        published_unions=[
            export.PublishedUnion(union_no=a.union_no, position=a.position, awarded=a.awarded) for a in awards
        ],
        promotions=standings.promotions,
    )


@dataclass(frozen=True)
class Shown:
    """What the boards, the exports and the open document carry of teams, unions and promotion."""

    teams: list[TeamRow]
    team_tier_counts: list[int]
    organisation_awards: list[OrganisationAwardRow]
    document: dict[str, Any]


async def shown(
    inputs: ScoringInputs,
    board: engine.Leaderboard,
    step: engine.RoundingStep,
    names: Mapping[int, tuple[str, str]],
) -> Shown | None:
    """Team rows, organisation award and the document's parts for a computed board; None when the rules
    declare none of them."""
    rules = inputs.rules
    if not declares_standings(rules):
        return None
    setup = await team_setup(inputs.competition_id, rules, [s.subject_id for s in inputs.subjects])
    standings = standings_of(rules, board, step, setup)
    rows = team_rows(standings, board, inputs.blind, names, step)
    awards = award_rows(standings)
    return Shown(
        teams=rows,
        team_tier_counts=[] if standings.teams is None else list(standings.teams.tier_counts),
        organisation_awards=awards,
        document=document_part(rules, standings, inputs.blind, rows, awards),
    )


def board_fields(shown: Shown) -> dict[str, Any]:
    """The fields a public or live board carries of teams and the organisation award."""
    return {
        "teams": shown.teams,
        "team_tier_counts": shown.team_tier_counts,
        "organisation_awards": shown.organisation_awards,
    }


def team_changes(old: Sequence[TeamRow] | None, new: Sequence[TeamRow]) -> list[Change]:
    """What changed for teams since the version before (``field``: team, team_score, team_rank,
    team_prize), by team name; none for a first version."""
    if old is None:
        return []
    before, after = {t.name: t for t in old}, {t.name: t for t in new}
    changes: list[Change] = []

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            changes.append(
                Change(blind_code="", name=name, field="team", old=text(a and "在榜"), new=text(b and "在榜"))
            )
            continue
        pairs = [
            ("team_score", a.score, b.score),
            ("team_rank", a.rank, b.rank),
            ("team_prize", a.prize, b.prize),
        ]
        changes.extend(
            Change(blind_code="", name=name, field=f, old=text(x), new=text(y)) for f, x, y in pairs if x != y
        )
    return changes
