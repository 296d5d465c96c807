"""Demo scoring on the competitions demo's drawn competition (焊工): a rubric, a panel of five judges with
a chief, theory exam marks imported, and practical marks entered for part of the field, so the tablet,
the chief judge's page and the live leaderboard have something to show.

Everything goes through the use cases (:mod:`scoring.scheme`, ``panel``, ``mark_import``, ``entry``), as a
tablet and an organizer would, so the audit log tells the same story as the data.
"""

from __future__ import annotations

import logging
import random
import uuid
from decimal import Decimal
from typing import Any

from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import actor_of
from accounts.tables import User
from competitions import service as competitions_service
from core.errors import DomainError
from scoring import entry, mark_import, panel, rules, scheme
from scoring.schemas import JudgeIn, MarkIn, SchemeIn, SheetIn

logger = logging.getLogger("yicheng.demo")
D = Decimal
PANEL_SIZE = 5
MARKED_CONTESTANTS = 8  # of the drawn field; the rest are left for the visitor to mark


def _practical(stage_id: int, weight: Decimal, name: str) -> rules.Stage:
    judged = rules.Combination(method="trimmed_mean", trim=1)  # drop the highest and the lowest
    return rules.Stage(
        id=str(stage_id),
        name=name,
        kind="rubric",
        full_marks=D(100),
        weight_percent=weight,
        modules=(
            rules.Module(
                id="install",
                name="电路安装与接线",
                aspects=(
                    rules.Aspect(
                        id="wiring", name="接线工艺", kind="judgement", max_mark=D(20), combine=judged
                    ),
                    rules.Aspect(
                        id="layout", name="元件布置尺寸", kind="measurement", max_mark=D(15), step=D("0.5")
                    ),
                    rules.Aspect(id="power_on", name="通电试验一次成功", kind="pass_fail", max_mark=D(15)),
                ),
            ),
            rules.Module(
                id="fault",
                name="故障排除",
                aspects=(
                    rules.Aspect(
                        id="faults", name="故障点查找", kind="measurement", max_mark=D(30), step=D(1)
                    ),
                    rules.Aspect(
                        id="method", name="排故思路", kind="judgement", max_mark=D(20), combine=judged
                    ),
                ),
            ),
            rules.Module(
                id="safety",
                name="安全文明生产",
                aspects=(
                    rules.Aspect(id="safety", name="安全扣分", kind="deduction", max_mark=D(10), step=D(1)),
                ),
            ),
        ),
    )


def demo_rules(stages: list[Any]) -> rules.CompetitionRules:
    out = []
    for stage in stages:
        if stage.kind == "theory":
            out.append(scheme.theory_stage(stage))
        else:
            out.append(_practical(stage.id, stage.weight_percent, stage.name))
    practical = next((s.id for s in out if s.kind == "rubric"), None)
    tie_breaks = [rules.TieBreak(kind="time_used")]
    if practical is not None:
        tie_breaks.append(rules.TieBreak(kind="stage", ref=practical))
    return rules.CompetitionRules(
        stages=tuple(out),
        rounding=rules.RoundingPolicy(
            panel_mark=rules.RoundingStep(decimals=2), final=rules.RoundingStep(decimals=2)
        ),
        tie_breaks=tuple(tie_breaks),
        no_ties_in_top=3,
        # 团体: each grassroots union's best three; 优秀组织奖 for the three best union teams; the top
        # three go one skill level up, as the competition's notice says.
        teams=rules.TeamRules(best=3, grouping="union"),
        organisation_award=rules.OrganisationAward(count=3),
        promotion=rules.PromotionRule(
            bands=(rules.PromotionBand(first_rank=1, last_rank=3, levels_up=1, unlevelled_to=4),),
            basis="竞赛通知：前三名按规定晋升一级职业技能等级",
        ),
    )


def _mark(rng: random.Random, aspect: rules.Aspect, skill: float) -> Decimal:
    if aspect.kind == "judgement":
        return D(max(0, min(3, round(skill * 3 + rng.choice([-1, 0, 0, 0, 1]) * 0.6))))
    if aspect.kind == "pass_fail":
        return aspect.max_mark if rng.random() < 0.4 + skill / 2 else D(0)
    if aspect.kind == "deduction":
        return D(rng.choice([0, 0, 0, 0, 1, 2]))
    step = aspect.step or D(1)
    steps = int(aspect.max_mark / step)
    return step * max(0, min(steps, round(steps * (skill + rng.uniform(-0.1, 0.1)))))


async def load(rng: random.Random, ids: dict[str, Any]) -> dict[str, Any]:
    drawn = ids.get("drawn_competitions") or []
    if not drawn:
        return {}
    competition_id = drawn[0]
    organizer_row = await User.select(User.id, User.display_name).where(User.role == Role.ORGANIZER).first()
    if organizer_row is None:
        return {}
    organizer = Actor(organizer_row["id"], organizer_row["display_name"], Role.ORGANIZER)
    stages = await competitions_service.competition_stages(competition_id)
    competition_rules = demo_rules(stages)
    try:
        await scheme.put_scheme(organizer, competition_id, SchemeIn(rules=competition_rules))
        judges = await _panel(competition_id)
        await panel.assign_judges(
            organizer,
            competition_id,
            [JudgeIn(user_id=j["id"], is_chief=index == 0) for index, j in enumerate(judges)],
        )
        contestants = await competitions_service.drawn_contestants(competition_id)
        await _theory(organizer, competition_id, competition_rules, contestants, rng)
        await _practical_marks(competition_id, competition_rules, contestants, judges, rng)
    except DomainError as exc:  # the demo must never stop the platform from starting
        logger.warning("scoring demo skipped: %s (%s)", exc.message, exc.detail)
        return {}
    return {"scoring_competitions": [competition_id]}


async def _panel(competition_id: int) -> list[dict[str, Any]]:
    """Five judges of different employers (a judge never marks a colleague)."""
    rows = (
        await User.select(
            User.id, User.username, User.display_name, User.person.employer.as_alias("employer")
        )
        .where((User.role == Role.JUDGE) & (User.active == True))  # noqa: E712 - Piccolo needs ==
        .order_by(User.id)
    )
    chosen: list[dict[str, Any]] = []
    employers: set[Any] = set()
    for row in rows:
        if row["employer"] is not None and row["employer"] in employers:
            continue
        employers.add(row["employer"])
        chosen.append(row)
        if len(chosen) == PANEL_SIZE:
            break
    return chosen


async def _theory(
    organizer: Actor,
    competition_id: int,
    competition_rules: rules.CompetitionRules,
    contestants: list[Any],
    rng: random.Random,
) -> None:
    for stage in competition_rules.stages:
        if stage.kind != "imported":
            continue
        lines = ["加密号,成绩"] + [
            f"{c.blind_code},{rng.randint(55, 98)}.{rng.choice([0, 5])}" for c in contestants
        ]
        await mark_import.import_marks(
            organizer, competition_id, int(stage.id), ("\n".join(lines) + "\n").encode()
        )


async def _practical_marks(
    competition_id: int,
    competition_rules: rules.CompetitionRules,
    contestants: list[Any],
    judges: list[dict[str, Any]],
    rng: random.Random,
) -> None:
    stage = next((s for s in competition_rules.stages if s.kind == "rubric"), None)
    if stage is None:
        return
    aspects = [a for m in stage.modules for a in m.aspects]
    for contestant in contestants[:MARKED_CONTESTANTS]:
        skill = rng.uniform(0.45, 0.95)
        for judge in judges:
            if judge["employer"] is not None and judge["employer"] == contestant.employer_id:
                continue  # recused
            user = CurrentUser(
                id=judge["id"],
                username=judge["username"],
                role=Role.JUDGE,
                display_name=judge["display_name"],
            )
            marks = [MarkIn(aspect_id=a.id, value=_mark(rng, a, skill)) for a in aspects]
            await entry.put_sheet(
                user,
                actor_of(user),
                SheetIn(
                    competition_id=competition_id,
                    stage_id=int(stage.id),
                    registration_id=contestant.registration_id,
                    client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    base_version=0,
                    marks=marks,
                    submit=rng.random() < 0.85,  # a few are left as drafts
                ),
            )
