"""The organizer names the panel: judges (with the chief and their modules), declared conflicts, recusals.

A panel is built judge by judge (the technical judge first, the component judges next): while it is set
up it may be incomplete, and :func:`get_panel` answers what is still missing (aspect X has 2 of the 5
judges it needs, :func:`scoring.judges.panel_state`). The first mark (the start of scoring) needs it
complete (:func:`scoring.judges.refuse_incomplete_panel`); once scoring has started, a change that would
leave an aspect unjudgeable is refused. A judge may also declare their own conflict from the tablet.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import User
from competitions.tables import Registration
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring import tolerance
from scoring.absences import absence_outs
from scoring.competition_facts import competition, find_contestant, lock_competition, notify
from scoring.judges import (
    EMPLOYER_REASON,
    Judge,
    assignment,
    judges_have_marked,
    my_assignment,
    panel,
    panel_problems,
    panel_state,
    refresh_recusals,
    refuse_recusal_change_after_signoff,
    stored_recusals,
)
from scoring.links import revoke_judge_links
from scoring.rubric import Scheme, find_scheme, refuse_problems
from scoring.schemas import JudgeIn, JudgeOut, PanelOut, RecusalOut
from scoring.tables import JudgeAssignment, JudgeLink, Recusal, ScoreSheet

# ------------------------------------------------------------------------------------------- the panel


def _recusal_out(registration: Mapping[str, Any], kind: str, reason: str) -> RecusalOut:
    return RecusalOut(
        registration_id=registration["id"],
        registration_no=registration["registration_no"],
        station_no=registration["station_no"],
        blind_code=registration["blind_code"],
        kind=kind,
        reason=reason,
    )


def _recusals_of(
    judge: Judge,
    stored: Mapping[tuple[int, int], tuple[str, str]],
    registrations: Mapping[int, Mapping[str, Any]],
) -> list[RecusalOut]:
    """A judge's stored recusals, then the employer matches not yet recorded, by registration id."""
    recusals: dict[int, RecusalOut] = {}
    for (judge_id, registration_id), (kind, reason) in stored.items():
        registration = registrations.get(registration_id)
        if judge_id == judge.user_id and registration is not None:
            recusals[registration_id] = _recusal_out(registration, kind, reason)
    if judge.employer_id is not None:
        for registration in registrations.values():
            if (
                registration["employer"] == judge.employer_id
                and registration["id"] not in recusals
                and registration["status"] == "accepted"
            ):
                recusals[registration["id"]] = _recusal_out(registration, "employer", EMPLOYER_REASON)
    return sorted(recusals.values(), key=lambda r: r.registration_id)


async def _active_links(competition_id: int) -> dict[int, int]:
    """How many unexpired, unrevoked log-in links each judge has."""
    links = await JudgeLink.select(JudgeLink.judge).where(
        (JudgeLink.competition == competition_id)
        & JudgeLink.revoked_at.is_null()
        & (JudgeLink.expires_at > utcnow())
    )
    active: dict[int, int] = defaultdict(int)
    for link in links:
        active[link["judge"]] += 1
    return active


async def _judge_outs(competition_id: int) -> list[JudgeOut]:
    judges = await panel(competition_id)
    stored = await stored_recusals(competition_id)
    registrations = {
        r["id"]: r
        for r in await Registration.select(
            Registration.id,
            Registration.registration_no,
            Registration.station_no,
            Registration.blind_code,
            Registration.employer,
            Registration.status,
        ).where(Registration.competition == competition_id)
    }
    active_links = await _active_links(competition_id)
    return [
        JudgeOut(
            user_id=judge.user_id,
            username=judge.username,
            display_name=judge.display_name,
            judge_no=judge.judge_no,
            is_chief=judge.is_chief,
            module_ids=None if judge.module_ids is None else sorted(judge.module_ids),
            employer_id=judge.employer_id,
            recusals=_recusals_of(judge, stored, registrations),
            active_links=active_links.get(judge.user_id, 0),
        )
        for judge in judges
    ]


async def get_panel(competition_id: int) -> PanelOut:
    await competition(competition_id)
    problems, missing = await panel_state(competition_id)
    return PanelOut(
        competition_id=competition_id,
        judges=await _judge_outs(competition_id),
        problems=problems,
        missing=missing,
        ready=not problems,
        absences=await absence_outs(competition_id),
    )


async def _refuse_once_scoring(competition_id: int, scheme: Scheme | None) -> None:
    """Once judges have marked the panel must stay able to judge the rubric; before, anything goes (a
    rubric frozen by imported theory marks alone still lets the panel be built judge by judge)."""
    if scheme is not None and await judges_have_marked(competition_id):
        refuse_problems(await panel_problems(competition_id, scheme), "", "invalid_panel")


# ------------------------------------------------------------------------------------ naming the judges


async def _check_judges_in(judges_in: Sequence[JudgeIn], scheme: Scheme | None) -> None:
    """Each judge once, one chief at most, active judge accounts, modules the rubric has."""
    seen: set[int] = set()
    for i, item in enumerate(judges_in):
        if item.user_id in seen:
            raise Invalid("同一裁判重复出现", code="duplicate", field=f"judges[{i}].user_id")
        seen.add(item.user_id)
    if sum(1 for j in judges_in if j.is_chief) > 1:
        raise Invalid("只能指定一名裁判长", code="one_chief", field="judges")
    users = {
        r["id"]: r
        for r in await User.select(User.id, User.role, User.active).where(User.id.is_in(list(seen)))
    }
    for i, item in enumerate(judges_in):
        user = users.get(item.user_id)
        if user is None or user["role"] != Role.JUDGE or not user["active"]:
            raise Invalid("该用户不是有效的裁判账号", code="not_a_judge", field=f"judges[{i}].user_id")
    for i, item in enumerate(judges_in):
        if item.module_ids is None:
            continue
        if scheme is None:
            raise Invalid(
                "请先设置评分标准，再按模块分配裁判", code="no_scheme", field=f"judges[{i}].module_ids"
            )
        known = {m for mods in scheme.rubric.modules_of_stage.values() for m in mods}
        for k, module_id in enumerate(item.module_ids):
            if module_id not in known:
                raise Invalid(
                    f"评分标准中没有模块“{module_id}”",
                    code="unknown_module",
                    field=f"judges[{i}].module_ids[{k}]",
                )


async def _demote_other_chief(
    actor: Actor, competition_id: int, current: Mapping[int, Judge], judges_in: Sequence[JudgeIn]
) -> None:
    """A new chief named: the one before (if another) is a judge like the others now."""
    chief = next((j.user_id for j in judges_in if j.is_chief), None)
    if chief is None:
        return
    for judge in current.values():
        if judge.is_chief and judge.user_id != chief:
            await JudgeAssignment.update({JudgeAssignment.is_chief: False}).where(
                JudgeAssignment.judge_key == f"{competition_id}:{judge.user_id}"
            )
            await audit.record(
                actor,
                "judge.update",
                "judge_assignment",
                f"{competition_id}:{judge.user_id}",
                before={"is_chief": True},
                after={"is_chief": False},
            )


async def _add_judge(actor: Actor, competition_id: int, item: JudgeIn, judge_no: int) -> None:
    key = f"{competition_id}:{item.user_id}"
    modules = None if item.module_ids is None else json.dumps(sorted(set(item.module_ids)))
    await JudgeAssignment.insert(
        JudgeAssignment(
            competition=competition_id,
            judge=item.user_id,
            judge_key=key,
            judge_no=judge_no,
            is_chief=item.is_chief,
            module_ids=modules,
            created_at=utcnow(),
        )
    )
    await audit.record(
        actor,
        "judge.assign",
        "judge_assignment",
        key,
        after={
            "user_id": item.user_id,
            "judge_no": judge_no,
            "is_chief": item.is_chief,
            "module_ids": item.module_ids,
        },
    )


async def _update_judge(actor: Actor, competition_id: int, item: JudgeIn, existing: Judge) -> None:
    """A judge already on the panel: their chief flag and modules, if they change."""
    before_modules = None if existing.module_ids is None else sorted(existing.module_ids)
    after_modules = None if item.module_ids is None else sorted(set(item.module_ids))
    if existing.is_chief == item.is_chief and before_modules == after_modules:
        return
    key = f"{competition_id}:{item.user_id}"
    modules = None if after_modules is None else json.dumps(after_modules)
    await JudgeAssignment.update(
        {JudgeAssignment.is_chief: item.is_chief, JudgeAssignment.module_ids: modules}
    ).where(JudgeAssignment.judge_key == key)
    await audit.record(
        actor,
        "judge.update",
        "judge_assignment",
        key,
        before={"is_chief": existing.is_chief, "module_ids": before_modules},
        after={"is_chief": item.is_chief, "module_ids": after_modules},
    )


async def assign_judges(actor: Actor, competition_id: int, judges_in: Sequence[JudgeIn]) -> PanelOut:
    """Add judges to the panel (or update the chief flag and modules of judges already on it).

    Before scoring starts the panel may stay incomplete (the answer says what is missing); after, a change
    that leaves an aspect unjudgeable (:func:`rules.validate_panel`) refuses the whole request.
    """
    await competition(competition_id)
    scheme = await find_scheme(competition_id)
    await _check_judges_in(judges_in, scheme)
    async with write_transaction():
        await lock_competition(competition_id)
        current = {j.user_id: j for j in await panel(competition_id)}
        next_no = max((j.judge_no for j in current.values()), default=0) + 1
        await _demote_other_chief(actor, competition_id, current, judges_in)
        for item in judges_in:
            existing = current.get(item.user_id)
            if existing is None:
                await _add_judge(actor, competition_id, item, next_no)
                next_no += 1
            else:
                await _update_judge(actor, competition_id, item, existing)
        await _refuse_once_scoring(competition_id, scheme)
        await refresh_recusals(competition_id)
    await notify(competition_id)
    return await get_panel(competition_id)


async def remove_judge(actor: Actor, competition_id: int, judge_user_id: int) -> PanelOut:
    """Take a judge off the panel (e.g. absent); refused once they have entered marks."""
    scheme = await find_scheme(competition_id)
    async with write_transaction():
        await lock_competition(competition_id)
        judge = await assignment(competition_id, judge_user_id)
        if judge is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        if await ScoreSheet.exists().where(
            (ScoreSheet.competition == competition_id) & (ScoreSheet.judge == judge_user_id)
        ):
            raise Conflict("该裁判已录入评分，不能移出裁判组", code="judge_has_marks", field="judge_id")
        await JudgeAssignment.delete().where(JudgeAssignment.judge_key == f"{competition_id}:{judge_user_id}")
        if scheme is None or scheme.frozen_at is None:  # renumber 1..n while no mark names a number
            for later in await panel(competition_id):
                if later.judge_no > judge.judge_no:
                    await JudgeAssignment.update({JudgeAssignment.judge_no: later.judge_no - 1}).where(
                        JudgeAssignment.judge_key == f"{competition_id}:{later.user_id}"
                    )
        await revoke_judge_links(competition_id, judge_user_id)
        await audit.record(
            actor,
            "judge.remove",
            "judge_assignment",
            f"{competition_id}:{judge_user_id}",
            before={"user_id": judge_user_id, "judge_no": judge.judge_no, "is_chief": judge.is_chief},
        )
        await _refuse_once_scoring(competition_id, scheme)
    await notify(competition_id)
    return await get_panel(competition_id)


# ------------------------------------------------------------------------------- declared conflicts


async def _registration_in(
    competition_id: int, registration_id: int | None, registration_no: str | None
) -> int:
    query = Registration.select(Registration.id).where(Registration.competition == competition_id)
    if registration_id is not None:
        field = "registration_id"
        query = query.where(Registration.id == registration_id)
    elif registration_no:
        field = "registration_no"
        query = query.where(Registration.registration_no == registration_no.strip().upper())
    else:
        raise Invalid("请指定选手的报名编号", code="contestant_required", field="registration_no")
    row = await query.first()
    if row is None:
        raise NotFound("本竞赛没有该报名", code="unknown_registration", field=field)
    return row["id"]


async def _recompute_flags_without(competition_id: int, registration_id: int) -> None:
    """A judge is newly recused from a contestant: marks they entered stop counting, flags follow."""
    scheme = await find_scheme(competition_id)
    if scheme is None:
        return
    for stage_id in scheme.rubric.stages:
        aspects = {
            a.id for a in scheme.rubric.judge_aspects(stage_id, None).values() if a.kind == "judgement"
        }
        if aspects:
            await tolerance.recompute_flags(int(stage_id), registration_id, aspects, scheme.tolerance)


async def _add_recusal(
    actor: Actor, competition_id: int, judge_user_id: int, registration_id: int, reason: str
) -> bool:
    await refuse_recusal_change_after_signoff(competition_id, judge_user_id, registration_id)
    inserted = (
        await Recusal.insert(
            Recusal(
                competition=competition_id,
                judge=judge_user_id,
                registration=registration_id,
                recusal_key=f"{judge_user_id}:{registration_id}",
                kind="declared",
                reason=reason,
                created_at=utcnow(),
            )
        )
        .on_conflict(target=Recusal.recusal_key, action="DO NOTHING")
        .returning(Recusal.id)
    )
    if inserted:
        await audit.record(
            actor,
            "recusal.declare",
            "recusal",
            inserted[0]["id"],
            after={"judge_user_id": judge_user_id, "registration_id": registration_id},
            reason=reason,
        )
        await _recompute_flags_without(competition_id, registration_id)
    return bool(inserted)


async def declare_conflict(
    actor: Actor,
    competition_id: int,
    judge_user_id: int,
    registration_id: int | None,
    registration_no: str | None,
    reason: str,
) -> PanelOut:
    async with write_transaction():
        if await assignment(competition_id, judge_user_id) is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        reg_id = await _registration_in(competition_id, registration_id, registration_no)
        await _add_recusal(actor, competition_id, judge_user_id, reg_id, reason)
    await notify(competition_id)
    return await get_panel(competition_id)


async def declare_own_conflict(
    user: CurrentUser, actor: Actor, competition_id: int, blind_code: str, reason: str
) -> None:
    await my_assignment(competition_id, user)
    contestant = await find_contestant(competition_id, None, blind_code)
    async with write_transaction():
        await _add_recusal(actor, competition_id, user.id, contestant.registration_id, reason)
    await notify(competition_id)


async def withdraw_conflict(
    actor: Actor, competition_id: int, judge_user_id: int, registration_id: int
) -> PanelOut:
    async with write_transaction():
        await refuse_recusal_change_after_signoff(competition_id, judge_user_id, registration_id)
        deleted = (
            await Recusal.delete()
            .where(
                (Recusal.recusal_key == f"{judge_user_id}:{registration_id}")
                & (Recusal.competition == competition_id)
                & (Recusal.kind == "declared")
            )
            .returning(Recusal.id)
        )
        if not deleted:
            raise NotFound("没有该裁判对该选手的回避声明", code="no_conflict", field="registration_id")
        await audit.record(
            actor,
            "recusal.withdraw",
            "recusal",
            deleted[0]["id"],
            before={"judge_user_id": judge_user_id, "registration_id": registration_id},
        )
    await notify(competition_id)
    return await get_panel(competition_id)


async def refresh_recusals_now(actor: Actor, competition_id: int) -> PanelOut:
    await competition(competition_id)
    async with write_transaction():
        await refresh_recusals(competition_id)
    return await get_panel(competition_id)
