"""Named teams (团体) of registered contestants: the organizer declares them when the rules group teams as
``named`` (union and employer teams need no declaring: :mod:`scoring.standings` forms them).

A team has a name unique in the competition, optionally the grassroots union it represents (for the
organisation award), and one or more accepted registrations; a contestant is in at most one team (the
unique ``member_key`` keeps it so under concurrency). Teams are fixed once scoring starts, as the rubric
is: an edit after the first mark is refused, so no one chooses a team's members knowing their scores.
Every change is version-checked and audited in its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.tables import GrassrootsUnion
from competitions.tables import Registration
from core.db import engine_name, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring.competition_facts import competition
from scoring.standings_schemas import TeamIn, TeamMemberRef, TeamOut
from scoring.tables import CompetitionTeam, ScoringScheme, TeamMember


async def _members(team_ids: Sequence[int]) -> dict[int, list[TeamMemberRef]]:
    out: dict[int, list[TeamMemberRef]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return out
    rows = await TeamMember.select(
        TeamMember.team,
        TeamMember.registration,
        TeamMember.registration.registration_no.as_alias("registration_no"),
        TeamMember.registration.person.name.as_alias("name"),
        TeamMember.registration.employer.name.as_alias("employer"),
    ).where(TeamMember.team.is_in(list(team_ids)))
    for row in sorted(rows, key=lambda r: r["registration_no"]):
        out[row["team"]].append(
            TeamMemberRef(
                registration_id=row["registration"],
                registration_no=row["registration_no"],
                name=row["name"],
                employer=row["employer"] or "",
            )
        )
    return out


async def _teams(competition_id: int, team_id: int | None = None) -> list[TeamOut]:
    query = CompetitionTeam.select(
        CompetitionTeam.id,
        CompetitionTeam.name,
        CompetitionTeam.union,
        CompetitionTeam.union.name.as_alias("union_name"),
        CompetitionTeam.version,
    ).where(CompetitionTeam.competition == competition_id)
    if team_id is not None:
        query = query.where(CompetitionTeam.id == team_id)
    rows = await query.order_by(CompetitionTeam.id)
    members = await _members([row["id"] for row in rows])
    return [
        TeamOut(
            id=row["id"],
            competition_id=competition_id,
            name=row["name"],
            union_id=row["union"],
            union_name=row["union_name"],
            members=members[row["id"]],
            version=row["version"],
        )
        for row in rows
    ]


async def list_teams(competition_id: int) -> list[TeamOut]:
    await competition(competition_id)
    return await _teams(competition_id)


async def _team(competition_id: int, team_id: int) -> TeamOut:
    found = await _teams(competition_id, team_id)
    if not found:
        raise NotFound(f"团体不存在：{team_id}", code="team_not_found", field="team_id")
    return found[0]


# ---------------------------------------------------------------------------------------------- checks


async def _refuse_if_frozen(competition_id: int) -> None:
    """Teams change only before the first mark; on PostgreSQL the scheme row is share-locked so the first
    mark (which updates it) waits for this transaction instead of racing it."""
    query = ScoringScheme.select(ScoringScheme.frozen_at).where(ScoringScheme.competition == competition_id)
    if engine_name() == "postgres":
        query = query.lock_rows("SHARE")
    scheme = await query.first()
    if scheme is not None and scheme["frozen_at"] is not None:
        raise Conflict("评分已开始，团体组成已锁定，不能修改", code="teams_frozen", field="competition_id")


async def _check_members(competition_id: int, data: TeamIn) -> None:
    """Every registration once, accepted, of this competition; the union, if named, exists."""
    seen: set[int] = set()
    for i, registration_id in enumerate(data.registration_ids):
        if registration_id in seen:
            raise Invalid("同一选手不能重复列入团体", code="duplicate_member", field=f"registration_ids[{i}]")
        seen.add(registration_id)
    rows = await Registration.select(Registration.id).where(
        (Registration.competition == competition_id)
        & (Registration.status == "accepted")
        & Registration.id.is_in(list(seen))
    )
    accepted = {row["id"] for row in rows}
    for i, registration_id in enumerate(data.registration_ids):
        if registration_id not in accepted:
            raise Invalid(
                f"报名编号 {registration_id} 不是本竞赛已录取的选手",
                code="not_a_contestant",
                field=f"registration_ids[{i}]",
            )
    if data.union_id is not None and not await GrassrootsUnion.exists().where(
        GrassrootsUnion.id == data.union_id
    ):
        raise Invalid("所代表的基层工会不存在", code="union_not_found", field="union_id")


def _stale(current: int) -> Conflict:
    return Conflict(
        "团体已被他人修改，请刷新后重试",
        code="stale_version",
        field="version",
        detail={"current_version": current},
    )


def _refusal(exc: Exception) -> Exception:
    """A unique key broken by the write: a team name already used, or a member already in a team."""
    if not is_unique_violation(exc):
        return exc
    if "team_key" in str(exc):
        return Conflict("本竞赛已有同名团体", code="team_name_taken", field="name")
    return Conflict("有选手已在其他团体中", code="already_in_team", field="registration_ids")


# ---------------------------------------------------------------------------------------------- writes


def _stored(data: TeamIn) -> dict[str, Any]:
    return {"name": data.name, "union_id": data.union_id, "registration_ids": sorted(data.registration_ids)}


async def _insert_members(competition_id: int, team_id: int, registration_ids: Sequence[int]) -> None:
    await TeamMember.insert(
        *(
            TeamMember(team=team_id, registration=rid, member_key=f"{competition_id}:{rid}")
            for rid in registration_ids
        )
    )


async def _already_in_team(competition_id: int, registration_ids: Sequence[int], team_id: int | None) -> None:
    """A clear 409 naming the team, before the unique key would refuse it."""
    keys = [f"{competition_id}:{rid}" for rid in registration_ids]
    query = TeamMember.select(TeamMember.team.name.as_alias("team")).where(TeamMember.member_key.is_in(keys))
    if team_id is not None:
        query = query.where(TeamMember.team != team_id)
    taken = await query.first()
    if taken is not None:
        raise Conflict(f"有选手已在团体“{taken['team']}”中", code="already_in_team", field="registration_ids")


async def create_team(actor: Actor, competition_id: int, data: TeamIn) -> TeamOut:
    """Declare a named team (organizers; audited)."""
    await competition(competition_id)
    try:
        async with write_transaction():
            await _refuse_if_frozen(competition_id)
            await _check_members(competition_id, data)
            await _already_in_team(competition_id, data.registration_ids, None)
            team = CompetitionTeam(
                competition=competition_id,
                team_key=f"{competition_id}:{data.name}",
                name=data.name,
                union=data.union_id,
                created_at=utcnow(),
            )
            await team.save()
            await _insert_members(competition_id, team.id, data.registration_ids)
            await audit.record(actor, "team.create", "competition_team", team.id, after=_stored(data))
    except Exception as exc:
        raise _refusal(exc) from None
    return await _team(competition_id, team.id)


async def update_team(actor: Actor, competition_id: int, team_id: int, data: TeamIn) -> TeamOut:
    """Rename a team, change its union or members (version-checked; audited)."""
    before = await _team(competition_id, team_id)
    try:
        async with write_transaction():
            await _refuse_if_frozen(competition_id)
            await _check_members(competition_id, data)
            await _already_in_team(competition_id, data.registration_ids, team_id)
            updated = await (
                CompetitionTeam.update(
                    {
                        CompetitionTeam.name: data.name,
                        CompetitionTeam.team_key: f"{competition_id}:{data.name}",
                        CompetitionTeam.union: data.union_id,
                        CompetitionTeam.version: CompetitionTeam.version + 1,
                    }
                )
                .where((CompetitionTeam.id == team_id) & (CompetitionTeam.version == data.version))
                .returning(CompetitionTeam.id)
            )
            if not updated:
                raise _stale(before.version)
            await TeamMember.delete().where(TeamMember.team == team_id)
            await _insert_members(competition_id, team_id, data.registration_ids)
            was = {
                "name": before.name,
                "union_id": before.union_id,
                "registration_ids": sorted(m.registration_id for m in before.members),
            }
            await audit.record(
                actor, "team.update", "competition_team", team_id, before=was, after=_stored(data)
            )
    except Exception as exc:
        raise _refusal(exc) from None
    return await _team(competition_id, team_id)


async def delete_team(actor: Actor, competition_id: int, team_id: int, version: int) -> None:
    """Remove a team and its membership (version-checked; audited)."""
    before = await _team(competition_id, team_id)
    async with write_transaction():
        await _refuse_if_frozen(competition_id)
        if before.version != version:
            raise _stale(before.version)
        await TeamMember.delete().where(TeamMember.team == team_id)
        deleted = await (
            CompetitionTeam.delete()
            .where((CompetitionTeam.id == team_id) & (CompetitionTeam.version == version))
            .returning(CompetitionTeam.id)
        )
        if not deleted:
            raise _stale(before.version)
        await audit.record(
            actor,
            "team.delete",
            "competition_team",
            team_id,
            before={"name": before.name, "registration_ids": [m.registration_id for m in before.members]},
        )
