"""The expert panel (评审专家组) of a programme: who reviews, numbered in order, and from whom each is
recused (回避): a reviewer never sees, scores or counts a nominee of their own employer (the expert's
person record's employer), computed on every read and write.

Who is reviewed: every eligible union nomination still in the running; direct nominations (直接推荐) are
pre-selected instead (see :mod:`awards.shortlist`). The panel changes only until the review is over."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.tables import User
from awards.rows import programme_row
from awards.rules import LIVE_STATUSES, STATE_NAMES, ProgrammeState
from awards.schemas import PanelOut, ReviewAspectOut, ReviewerOut
from awards.tables import Nomination, Reviewer, ReviewSheet
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring import rules as scoring_rules

SUBMITTED = "submitted"
PANEL_STATES = frozenset(
    {
        ProgrammeState.DRAFT,
        ProgrammeState.OPEN,
        ProgrammeState.ELIGIBILITY_REVIEW,
        ProgrammeState.EXPERT_REVIEW,
    }
)


class Rubric:
    """The decoded review rules plus the aspect look-ups entry needs (cached per stored JSON text)."""

    def __init__(self, rules: scoring_rules.CompetitionRules) -> None:
        self.rules = rules
        self.aspects: dict[str, scoring_rules.Aspect] = {}
        self.outs: list[ReviewAspectOut] = []
        for stage in rules.stages:
            for module in stage.modules:
                for aspect in module.aspects:
                    self.aspects[aspect.id] = aspect
                    self.outs.append(
                        ReviewAspectOut(
                            id=aspect.id,
                            name=aspect.name,
                            kind=aspect.kind,
                            max_mark=aspect.max_mark,
                            step=aspect.step,
                            module_id=module.id,
                            module_name=module.name,
                        )
                    )


_RUBRICS: dict[str, Rubric] = {}


def rubric_of(raw: Any) -> Rubric | None:
    """The programme's ``review_rules`` column decoded (None when no rubric is set)."""
    if raw is None or raw in ("null", b"null"):
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not isinstance(text, str):
        text = msgspec.json.encode(raw).decode()
    hit = _RUBRICS.get(text)
    if hit is None:
        if len(_RUBRICS) > 64:
            _RUBRICS.clear()
        decoded = msgspec.json.decode(text, type=scoring_rules.CompetitionRules | None)
        if decoded is None:
            return None
        hit = _RUBRICS[text] = Rubric(decoded)
    return hit


class PanelMember(msgspec.Struct, kw_only=True, gc=False):
    user_id: int
    username: str
    display_name: str
    reviewer_no: int
    employer_id: int | None
    employer_name: str | None


async def panel(programme_id: int) -> list[PanelMember]:
    rows = (
        await Reviewer.select(
            Reviewer.expert.as_alias("user_id"),
            Reviewer.expert.username.as_alias("username"),
            Reviewer.expert.display_name.as_alias("display_name"),
            Reviewer.expert.person.employer.as_alias("employer_id"),
            Reviewer.expert.person.employer.name.as_alias("employer_name"),
            Reviewer.reviewer_no,
        )
        .where(Reviewer.programme == programme_id)
        .order_by(Reviewer.reviewer_no)
    )
    return [PanelMember(**r) for r in rows]


def review_pool_condition(programme_id: int) -> Any:
    """The nominations experts review: eligible union nominations still in the running."""
    return (
        (Nomination.programme == programme_id)
        & Nomination.status.is_in(list(LIVE_STATUSES))
        & (Nomination.eligibility_status == "eligible")
        & (Nomination.source == "union")
    )


class PoolRow(msgspec.Struct, kw_only=True, gc=False):
    nomination_id: int
    name: str
    employer_id: int | None


async def review_pool(programme_id: int) -> list[PoolRow]:
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.as_alias("employer_id"),
        )
        .where(review_pool_condition(programme_id))
        .order_by(Nomination.id)
    )
    return [PoolRow(nomination_id=r["id"], name=r["name"], employer_id=r["employer_id"]) for r in rows]


def is_recused(member: PanelMember, nominee_employer_id: int | None) -> bool:
    return member.employer_id is not None and member.employer_id == nominee_employer_id


async def sheet_counts(programme_id: int) -> dict[tuple[int, str], int]:
    rows = (
        await ReviewSheet.select(ReviewSheet.expert, ReviewSheet.status, Count())
        .where(ReviewSheet.programme == programme_id)
        .group_by(ReviewSheet.expert, ReviewSheet.status)
    )
    return {(r["expert"], r["status"]): r["count"] for r in rows}


def reviewer_out(
    member: PanelMember, pool: Sequence[PoolRow], counts: Mapping[tuple[int, str], int]
) -> ReviewerOut:
    recused = sum(1 for p in pool if is_recused(member, p.employer_id))
    return ReviewerOut(
        user_id=member.user_id,
        username=member.username,
        display_name=member.display_name,
        reviewer_no=member.reviewer_no,
        employer_name=member.employer_name,
        recused=recused,
        to_review=len(pool) - recused,
        submitted=counts.get((member.user_id, SUBMITTED), 0),
        drafts=counts.get((member.user_id, "draft"), 0),
    )


async def get_panel(programme_id: int) -> PanelOut:
    row = await programme_row(programme_id)
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    counts = await sheet_counts(programme_id)
    rubric = rubric_of(row["review_rules"])
    problems: list[scoring_rules.Problem] = []
    if rubric is not None:
        problems = scoring_rules.validate_panel(rubric.rules, dict.fromkeys(rubric.aspects, len(members)))
    return PanelOut(
        programme_id=programme_id,
        reviewers=[reviewer_out(m, pool, counts) for m in members],
        panel_problems=problems,
    )


def _refuse_panel_change(row: Mapping[str, Any]) -> None:
    if row["state"] not in PANEL_STATES:
        state = STATE_NAMES.get(row["state"], row["state"])
        raise Conflict(
            f"评选处于「{state}」阶段，不能再调整评审专家",
            code="panel_locked",
            field="programme_id",
            detail={"state": row["state"]},
        )


async def add_reviewers(actor: Actor, programme_id: int, expert_ids: Sequence[int]) -> PanelOut:
    """Assign experts (users of role ``expert``, active) to the programme; numbered after the last one.
    Someone already on the panel is left as they are (the call is idempotent)."""
    wanted = list(dict.fromkeys(expert_ids))
    users = {
        u["id"]: u
        for u in await User.select(User.id, User.role, User.active, User.display_name).where(
            User.id.is_in(wanted)
        )
    }
    for index, user_id in enumerate(wanted):
        user = users.get(user_id)
        if user is None or user["role"] != Role.EXPERT or not user["active"]:
            raise Invalid(
                f"用户 {user_id} 不是在用的评审专家账号",
                code="not_an_expert",
                field=f"expert_ids[{index}]",
                detail={"user_id": user_id},
            )
    now = utcnow()
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        _refuse_panel_change(row)
        current = {
            r["expert"]: r["reviewer_no"]
            for r in await Reviewer.select(Reviewer.expert, Reviewer.reviewer_no).where(
                Reviewer.programme == programme_id
            )
        }
        next_no = max(current.values(), default=0) + 1
        added: dict[int, int] = {}
        for user_id in wanted:
            if user_id in current:
                continue
            added[user_id] = next_no
            next_no += 1
        if added:
            await Reviewer.insert(
                *(
                    Reviewer(
                        programme=programme_id,
                        expert=user_id,
                        reviewer_key=f"{programme_id}:{user_id}",
                        reviewer_no=no,
                        created_at=now,
                    )
                    for user_id, no in added.items()
                )
            )
            await audit.record(
                actor,
                "reviewer.add",
                "programme",
                programme_id,
                after={
                    "reviewers": [
                        {"user_id": u, "reviewer_no": n, "name": users[u]["display_name"]}
                        for u, n in added.items()
                    ]
                },
            )
    return await get_panel(programme_id)


async def remove_reviewer(actor: Actor, programme_id: int, user_id: int) -> PanelOut:
    """Take an expert off the panel; refused once they have written a sheet (their marks stay on record)."""
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        _refuse_panel_change(row)
        reviewer = (
            await Reviewer.select(Reviewer.id, Reviewer.reviewer_no)
            .where(Reviewer.reviewer_key == f"{programme_id}:{user_id}")
            .first()
        )
        if reviewer is None:
            raise NotFound("该专家不在本评选的评审组中", code="not_a_reviewer", field="user_id")
        if await ReviewSheet.exists().where(
            (ReviewSheet.programme == programme_id) & (ReviewSheet.expert == user_id)
        ):
            raise Conflict(
                "该专家已录入评审分数，不能移出评审组", code="reviewer_has_sheets", field="user_id"
            )
        await Reviewer.delete().where(Reviewer.id == reviewer["id"])
        await audit.record(
            actor,
            "reviewer.remove",
            "programme",
            programme_id,
            before={"user_id": user_id, "reviewer_no": reviewer["reviewer_no"]},
        )
    return await get_panel(programme_id)
