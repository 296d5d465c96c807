"""The supervision and arbitration group (监督仲裁组) of a competition: the staff who answer appeals.

The answering body is a role, not a person: organizers name any active staff user (the chief judge may
sit on it), and every member may answer the competition's appeals (:mod:`scoring.appeals`).
"""

from __future__ import annotations

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import User
from core.db import is_unique_violation, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring.results import competition_head
from scoring.results_schemas import ArbitrationSeat, MemberIn, MemberOut
from scoring.tables import Appeal, ArbitrationMember, JudgeAssignment

STAFF_ROLES = frozenset({Role.ORGANIZER, Role.JUDGE, Role.EXPERT, Role.UNION_OFFICER})


async def is_member(competition_id: int, user_id: int) -> bool:
    return await ArbitrationMember.exists().where(
        (ArbitrationMember.competition == competition_id) & (ArbitrationMember.member == user_id)
    )


async def members(competition_id: int) -> list[MemberOut]:
    await competition_head(competition_id)
    rows = await ArbitrationMember.select(
        ArbitrationMember.member.as_alias("user_id"),
        ArbitrationMember.member.display_name.as_alias("display_name"),
        ArbitrationMember.member.role.as_alias("role"),
    ).where(ArbitrationMember.competition == competition_id)
    chiefs = {
        row["judge"]
        for row in await JudgeAssignment.select(JudgeAssignment.judge).where(
            (JudgeAssignment.competition == competition_id) & (JudgeAssignment.is_chief == True)  # noqa: E712
        )
    }
    return sorted(
        (MemberOut(**row, is_chief_judge=row["user_id"] in chiefs) for row in rows), key=lambda m: m.user_id
    )


async def add_member(actor: Actor, competition_id: int, data: MemberIn) -> list[MemberOut]:
    await competition_head(competition_id)
    user = (
        await User.select(User.id, User.role, User.display_name, User.active)
        .where(User.id == data.user_id)
        .first()
    )
    if user is None:
        raise Invalid(f"用户不存在：{data.user_id}", code="user_not_found", field="user_id")
    if user["role"] not in STAFF_ROLES or not user["active"]:
        raise Invalid(
            "监督仲裁组成员须为在职的工作人员账号（选手不能担任）", code="not_staff", field="user_id"
        )
    try:
        async with write_transaction():
            await ArbitrationMember.insert(
                ArbitrationMember(
                    competition=competition_id,
                    member=data.user_id,
                    member_key=f"{competition_id}:{data.user_id}",
                )
            )
            await audit.record(
                actor,
                "arbitration.add",
                "competition",
                competition_id,
                after={"user_id": data.user_id, "display_name": user["display_name"]},
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("该用户已是监督仲裁组成员", code="duplicate", field="user_id") from None
        raise
    return await members(competition_id)


async def remove_member(actor: Actor, competition_id: int, user_id: int) -> None:
    async with write_transaction():
        deleted = (
            await ArbitrationMember.delete()
            .where((ArbitrationMember.competition == competition_id) & (ArbitrationMember.member == user_id))
            .returning(ArbitrationMember.id)
        )
        if not deleted:
            raise NotFound("该用户不是本竞赛监督仲裁组成员", code="not_a_member")
        await audit.record(
            actor, "arbitration.remove", "competition", competition_id, before={"user_id": user_id}
        )


async def my_seats(user: CurrentUser) -> list[ArbitrationSeat]:
    rows = await ArbitrationMember.select(
        ArbitrationMember.competition.as_alias("competition_id"),
        ArbitrationMember.competition.title.as_alias("title"),
    ).where(ArbitrationMember.member == user.id)
    seats = []
    for row in rows:
        pending = await Appeal.count().where(
            (Appeal.competition == row["competition_id"]) & (Appeal.status == "pending")
        )
        seats.append(
            ArbitrationSeat(competition_id=row["competition_id"], title=row["title"], pending=pending)
        )
    return seats
