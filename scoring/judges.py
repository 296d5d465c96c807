"""The judging panel as stored: who judges (and which modules), who is the chief, who is recused from whom.

Recusal (回避) is the union of two things, checked the same way everywhere (entry, listings, aggregation):
the judge's own employer is the contestant's employer at registration, or a stored :class:`Recusal` row
(declared conflicts, and the employer matches recorded for the organizer to see).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import SYSTEM
from accounts.rules import Role
from accounts.schemas import CurrentUser
from competitions.tables import Registration
from core.db import run_sql, utcnow
from core.errors import Conflict, Forbidden
from scoring import rules
from scoring.competition_facts import Contestant, drawn_or_registered
from scoring.rubric import Rubric, Scheme, find_scheme
from scoring.schemas import PanelNeed
from scoring.tables import JudgeAssignment, Recusal, ScoreSheet, StageSignoff

EMPLOYER_REASON = "与选手同一工作单位"


class Judge(msgspec.Struct, kw_only=True, gc=False):
    user_id: int
    username: str
    display_name: str
    judge_no: int
    is_chief: bool
    module_ids: frozenset[str] | None
    employer_id: int | None


_JUDGE_COLUMNS = (
    JudgeAssignment.judge.as_alias("user_id"),
    JudgeAssignment.judge.username.as_alias("username"),
    JudgeAssignment.judge.display_name.as_alias("display_name"),
    JudgeAssignment.judge.person.employer.as_alias("employer_id"),
    JudgeAssignment.judge_no,
    JudgeAssignment.is_chief,
    JudgeAssignment.module_ids,
)


def judge_of(row: Mapping[str, Any]) -> Judge:
    """A :class:`Judge` from a row with the assignment's columns (``module_ids`` as stored JSON)."""
    raw = row["module_ids"]
    modules = json.loads(raw) if isinstance(raw, str) else raw
    return Judge(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        judge_no=row["judge_no"],
        is_chief=bool(row["is_chief"]),
        module_ids=None if modules is None else frozenset(str(m) for m in modules),
        employer_id=row["employer_id"],
    )


async def panel(competition_id: int) -> list[Judge]:
    """The competition's judges by judge number."""
    rows = (
        await JudgeAssignment.select(*_JUDGE_COLUMNS)
        .where(JudgeAssignment.competition == competition_id)
        .order_by(JudgeAssignment.judge_no)
    )
    return [judge_of(r) for r in rows]


async def assignment(competition_id: int, user_id: int) -> Judge | None:
    row = (
        await JudgeAssignment.select(*_JUDGE_COLUMNS)
        .where(JudgeAssignment.judge_key == f"{competition_id}:{user_id}")
        .first()
    )
    return None if row is None else judge_of(row)


async def my_assignment(competition_id: int, user: CurrentUser) -> Judge:
    """The caller's place on the panel; 403 for anyone not on it."""
    judge = await assignment(competition_id, user.id)
    if judge is None:
        raise Forbidden("您不是本竞赛的裁判", code="not_assigned", field="competition_id")
    return judge


async def require_chief(competition_id: int, user: CurrentUser) -> Judge:
    judge = await my_assignment(competition_id, user)
    if not judge.is_chief:
        raise Forbidden("只有裁判长可以执行此操作", code="not_chief", field="competition_id")
    return judge


async def may_oversee(competition_id: int, user: CurrentUser) -> bool:
    """Organizers and the competition's chief judge; True when the caller is the chief."""
    if user.role == Role.ORGANIZER:
        return False
    await require_chief(competition_id, user)
    return True


# ------------------------------------------------------------------------------------------- recusal


async def stored_recusals(competition_id: int) -> dict[tuple[int, int], tuple[str, str]]:
    """(judge user id, registration id) -> (kind, reason) of every stored recusal of the competition."""
    rows = await Recusal.select(Recusal.judge, Recusal.registration, Recusal.kind, Recusal.reason).where(
        Recusal.competition == competition_id
    )
    return {(r["judge"], r["registration"]): (r["kind"], r["reason"]) for r in rows}


def is_recused(
    judge: Judge, contestant: Contestant, stored: Mapping[tuple[int, int], Any] | Iterable[tuple[int, int]]
) -> bool:
    if judge.employer_id is not None and judge.employer_id == contestant.employer_id:
        return True
    return (judge.user_id, contestant.registration_id) in stored


async def refresh_recusals(competition_id: int) -> int:
    """Record the employer recusals (judge's employer == a registration's employer); returns how many new.

    Enforcement does not depend on this (the employer is compared wherever recusal matters); the rows are
    the record the organizer sees. Called when judges are assigned, links printed, or on request.
    """
    judges = [j for j in await panel(competition_id) if j.employer_id is not None]
    if not judges:
        return 0
    employers = {j.employer_id for j in judges}
    registrations = await Registration.select(Registration.id, Registration.employer).where(
        (Registration.competition == competition_id) & Registration.employer.is_in(list(employers))
    )
    now = utcnow()
    rows = [
        Recusal(
            competition=competition_id,
            judge=j.user_id,
            registration=r["id"],
            recusal_key=f"{j.user_id}:{r['id']}",
            kind="employer",
            reason=EMPLOYER_REASON,
            created_at=now,
        )
        for j in judges
        for r in registrations
        if r["employer"] == j.employer_id
    ]
    if not rows:
        return 0
    inserted = (
        await Recusal.insert(*rows)
        .on_conflict(target=Recusal.recusal_key, action="DO NOTHING")
        .returning(Recusal.id)
    )
    if inserted:
        await audit.record(
            SYSTEM, "recusal.employer", "competition", competition_id, after={"added": len(inserted)}
        )
    return len(inserted)


async def refuse_recusal_change_after_signoff(
    competition_id: int, judge_user_id: int, registration_id: int
) -> None:
    """A recusal declared (or withdrawn) after the chief judge signed off a stage in which this judge marked
    this contestant would silently change signed (and perhaps published) figures: refused with 409. The
    organizer corrects a signed stage through a correction or an appeal, both audited and republished."""
    signed = await StageSignoff.select(StageSignoff.stage).where(
        StageSignoff.stage.competition == competition_id
    )
    if not signed:
        return
    marked = await ScoreSheet.exists().where(
        (ScoreSheet.judge == judge_user_id)
        & (ScoreSheet.registration == registration_id)
        & ScoreSheet.stage.is_in([row["stage"] for row in signed])
    )
    if marked:
        raise Conflict(
            "该裁判已为该选手评分且所在阶段已由裁判长签字确认，不能再更改回避："
            "如需更正，请通过更正分数或申诉处理",
            code="stage_signed_off",
            field="registration_id",
        )


# ------------------------------------------------------------------------- can the panel judge the rubric


def panel_sizes(
    rubric: Rubric,
    judges: Sequence[Judge],
    contestants: Sequence[Contestant],
    stored: Mapping[tuple[int, int], Any],
) -> dict[str, int]:
    """The smallest panel any contestant faces on each aspect once recusals are taken out."""
    covering: dict[str, list[Judge]] = {}
    for aspect_id, module_id in rubric.module_of.items():
        covering[aspect_id] = [j for j in judges if j.module_ids is None or module_id in j.module_ids]
    sizes = {aspect_id: len(js) for aspect_id, js in covering.items()}
    for contestant in contestants:
        recused = {j.user_id for j in judges if is_recused(j, contestant, stored)}
        if not recused:
            continue
        for aspect_id, js in covering.items():
            sizes[aspect_id] = min(sizes[aspect_id], sum(1 for j in js if j.user_id not in recused))
    # Imported stages have no aspects, so they are simply absent here.
    return sizes


def panel_needs(rubric: Rubric, sizes: Mapping[str, int]) -> list[PanelNeed]:
    """What is still missing, aspect by aspect, in rubric order (empty: the panel can judge the rubric)."""
    needs = []
    for aspect_id, aspect in rubric.aspects.items():
        need, have = rules.judges_needed(aspect), sizes.get(aspect_id, 0)
        if have < need:
            needs.append(
                PanelNeed(
                    aspect_id=aspect_id,
                    aspect_name=aspect.name,
                    module_id=rubric.module_of[aspect_id],
                    have=have,
                    need=need,
                )
            )
    return needs


async def panel_state(competition_id: int) -> tuple[list[rules.Problem], list[PanelNeed]]:
    """The panel's problems with the stored rubric and what it still misses (both empty without a rubric).

    A panel is built judge by judge, so an incomplete one is allowed while it is set up; the first mark
    (:func:`refuse_incomplete_panel`) is what needs it complete.
    """
    scheme = await find_scheme(competition_id)
    if scheme is None:
        return [], []
    judges = await panel(competition_id)
    sizes = panel_sizes(
        scheme.rubric,
        judges,
        await drawn_or_registered(competition_id),
        await stored_recusals(competition_id),
    )
    return rules.validate_panel(scheme.rubric.rules, sizes), panel_needs(scheme.rubric, sizes)


async def refuse_incomplete_panel(competition_id: int) -> None:
    """The start of scoring (the first mark) needs a panel that can judge every aspect: 409 otherwise."""
    problems, missing = await panel_state(competition_id)
    if problems:
        raise Conflict(
            "裁判组尚不完整，不能开始评分：" + problems[0].message,
            code="panel_incomplete",
            field="competition_id",
            detail={
                "problems": [msgspec.to_builtins(p) for p in problems],
                "missing": [msgspec.to_builtins(n) for n in missing],
            },
        )


_MARKED_SQL = "SELECT EXISTS (SELECT 1 FROM score_sheet WHERE competition = {} AND id <> {}) AS marked"


async def judges_have_marked(competition_id: int, other_than_sheet: int | None = None) -> bool:
    """Whether any judge's sheet exists (another than ``other_than_sheet``): scoring has started. Run by
    every first sheet of the first batch, inside the write unit: SQL built once (ids start at 1)."""
    rows = await run_sql(_MARKED_SQL, competition_id, other_than_sheet or 0)
    return bool(rows[0]["marked"])


async def refuse_incomplete_panel_at_start(competition_id: int, sheet_id: int) -> None:
    """A judge's first sheet when the rubric was already frozen (theory marks imported first): the panel
    check runs if it is the competition's first judge sheet (one EXISTS per new sheet, not per write)."""
    if not await judges_have_marked(competition_id, sheet_id):
        await refuse_incomplete_panel(competition_id)


async def rubric_panel_problems(competition_id: int, rubric: Rubric) -> list[rules.Problem]:
    """What the stored panel cannot judge in this rubric (:func:`rules.validate_panel`)."""
    judges = await panel(competition_id)
    if not judges:
        return []
    sizes = panel_sizes(
        rubric, judges, await drawn_or_registered(competition_id), await stored_recusals(competition_id)
    )
    return rules.validate_panel(rubric.rules, sizes)


async def panel_problems(competition_id: int, scheme: Scheme | None = None) -> list[rules.Problem]:
    """What the panel cannot judge in the competition's stored rubric (none before a rubric is set)."""
    scheme = scheme or await find_scheme(competition_id)
    if scheme is None:
        return []
    return await rubric_panel_problems(competition_id, scheme.rubric)
