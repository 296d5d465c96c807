"""Moving a programme along its lifecycle (草稿 -> 征集推荐 -> 资格审查 -> 专家评审 -> 建议名单 -> 公示 ->
已表彰 -> 已归档): the generic transition the route, the CLI, the demo and the benchmarks call.

Entering some states does work in the transition's transaction, called here explicitly: expert review
needs every eligibility decided and a rubric; the shortlist is computed (:mod:`awards.shortlist`, with its
default options: a review still incomplete refuses); the notice gets its dates (:mod:`awards.notice`); the
award numbers the certificates (:mod:`awards.honours`). The dedicated routes (compute the shortlist, open
the notice, award) enter the same states through the same steps, with their own options."""

from __future__ import annotations

from typing import Any

from accounts.audit import Actor
from awards import honours, notice, shortlist, transitions
from awards.rules import ACTIVE, ProgrammeState
from awards.schemas import ProgrammeOut, TransitionIn
from awards.tables import Nomination
from core.errors import Conflict


async def transition_programme(actor: Actor, programme_id: int, data: TransitionIn) -> ProgrammeOut:
    """Move the programme to ``data.target``, running that state's entry step; 409 if not allowed."""
    return await transitions.transition(actor, programme_id, data, _entry_step(data.target))


def _entry_step(target: str) -> transitions.EntryStep | None:
    if target == ProgrammeState.EXPERT_REVIEW:
        return enter_expert_review
    if target == ProgrammeState.SHORTLIST:
        return shortlist.enter_shortlist
    if target == ProgrammeState.PUBLIC_NOTICE:
        return notice.enter_notice
    if target == ProgrammeState.AWARDED:
        return honours.enter_awarded
    return None


async def enter_expert_review(actor: Actor, row: dict[str, Any]) -> None:
    """Experts review only nominations whose eligibility an organizer has decided, against a rubric."""
    unreviewed = await Nomination.count().where(
        (Nomination.programme == row["id"])
        & (Nomination.status == ACTIVE)
        & Nomination.eligibility_reviewed_at.is_null()
    )
    if unreviewed:
        raise Conflict(
            f"还有 {unreviewed} 份推荐未完成资格审查，请先确认或改判",
            code="eligibility_unreviewed",
            field="target",
            detail={"current": row["state"], "unreviewed": unreviewed},
        )
    if row["review_rules"] is None:
        raise Conflict("尚未设置专家评审标准", code="review_rules_missing", field="review_rules", detail={})
