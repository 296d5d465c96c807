"""What a judge's tablet lists: my competitions, one competition's rubric as I mark it, and the contestants
I mark (station and blind code only, recused ones absent) with my progress on each stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from accounts.schemas import CurrentUser
from scoring import rules
from scoring.competition_facts import Contestant, competition, drawn, stage_signoffs
from scoring.judges import is_recused, my_assignment, stored_recusals
from scoring.marks import COUNTED, plain
from scoring.rounds import closed_rounds, entrants_of_stage, round_index_of, starting_order_of
from scoring.rubric import find_scheme
from scoring.schemas import ContestantRow, JudgeCompetitionOut, StageProgress, StageView
from scoring.tables import JudgeAssignment, ScoreSheet, SheetMark, ToleranceFlag


async def my_competitions(user: CurrentUser) -> list[dict[str, Any]]:
    rows = (
        await JudgeAssignment.select(
            JudgeAssignment.competition.as_alias("competition_id"),
            JudgeAssignment.competition.title.as_alias("title"),
            JudgeAssignment.competition.occupation.as_alias("occupation"),
            JudgeAssignment.competition.state.as_alias("state"),
            JudgeAssignment.judge_no,
            JudgeAssignment.is_chief,
        )
        .where(JudgeAssignment.judge == user.id)
        .order_by(JudgeAssignment.competition, ascending=False)
    )
    return [{**r, "is_chief": bool(r["is_chief"])} for r in rows]


async def judge_competition(user: CurrentUser, competition_id: int) -> JudgeCompetitionOut:
    """My judge number and chief flag, and the stages (with the modules) I mark."""
    head = await competition(competition_id)
    judge = await my_assignment(competition_id, user)
    scheme = await find_scheme(competition_id)
    stages_out: list[StageView] = []
    if scheme is not None:
        signed = await stage_signoffs(int(s.id) for s in scheme.rules.stages)
        for stage in scheme.rules.stages:
            modules = [m for m in stage.modules if judge.module_ids is None or m.id in judge.module_ids]
            if stage.kind == "rubric" and not modules:
                continue
            stages_out.append(
                StageView(
                    id=int(stage.id),
                    name=stage.name,
                    kind=stage.kind,
                    full_marks=stage.full_marks,
                    signed_off=int(stage.id) in signed,
                    modules=modules,
                )
            )
    return JudgeCompetitionOut(
        competition_id=head.id,
        title=head.title,
        occupation=head.occupation,
        state=head.state,
        judge_no=judge.judge_no,
        is_chief=judge.is_chief,
        tolerance=plain(scheme.tolerance) if scheme else Decimal(1),
        has_scheme=scheme is not None,
        stages=stages_out,
    )


async def _marks_per_sheet(sheet_ids: Sequence[int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    if sheet_ids:
        for row in await SheetMark.select(SheetMark.sheet).where(SheetMark.sheet.is_in(list(sheet_ids))):
            counts[row["sheet"]] += 1
    return counts


async def _open_flags(stage_aspects: Mapping[int, Mapping[str, rules.Aspect]]) -> dict[tuple[int, int], int]:
    """Open tolerance flags on my aspects, by (stage, registration)."""
    flags: dict[tuple[int, int], int] = defaultdict(int)
    if not stage_aspects:
        return flags
    my_aspects = {a for v in stage_aspects.values() for a in v}
    for row in await ToleranceFlag.select(
        ToleranceFlag.stage, ToleranceFlag.registration, ToleranceFlag.aspect_id
    ).where(ToleranceFlag.stage.is_in(list(stage_aspects)) & (ToleranceFlag.status == "open")):
        if row["aspect_id"] in my_aspects:
            flags[(row["stage"], row["registration"])] += 1
    return flags


def _progress(
    contestant: Contestant,
    stage_id: int,
    total: int,
    sheet: Mapping[str, Any] | None,
    counts: Mapping[int, int],
    flags: Mapping[tuple[int, int], int],
) -> StageProgress:
    if sheet is None:
        return StageProgress(
            stage_id=stage_id, status="draft", version=0, marked=0, total=total, open_flags=0
        )
    counted = sheet["status"] in COUNTED
    return StageProgress(
        stage_id=stage_id,
        status=sheet["status"],
        version=sheet["version"],
        marked=counts.get(sheet["id"], 0),
        total=total,
        open_flags=flags.get((stage_id, contestant.registration_id), 0) if counted else 0,
    )


async def judge_sheets(user: CurrentUser, competition_id: int) -> list[ContestantRow]:
    """The contestants this judge marks, by station and blind code, with progress per stage."""
    await competition(competition_id)
    judge = await my_assignment(competition_id, user)
    scheme = await find_scheme(competition_id)
    contestants = await drawn(competition_id)
    stored = await stored_recusals(competition_id)
    mine = [c for c in contestants if not is_recused(judge, c, stored)]
    if scheme is None:
        return [ContestantRow(station_no=c.station_no, blind_code=c.blind_code, stages=[]) for c in mine]
    stage_aspects = {
        int(s.id): aspects
        for s in scheme.rules.stages
        if s.kind == "rubric" and (aspects := scheme.rubric.judge_aspects(s.id, judge.module_ids))
    }
    sheets = await ScoreSheet.select(
        ScoreSheet.id, ScoreSheet.stage, ScoreSheet.registration, ScoreSheet.status, ScoreSheet.version
    ).where((ScoreSheet.competition == competition_id) & (ScoreSheet.judge == user.id))
    by_key = {(s["stage"], s["registration"]): s for s in sheets}
    counts = await _marks_per_sheet([s["id"] for s in sheets])
    flags = await _open_flags(stage_aspects)
    due = await _due_per_stage(scheme.rules, stage_aspects, mine, await closed_rounds(competition_id))
    return [
        ContestantRow(
            station_no=contestant.station_no,
            blind_code=contestant.blind_code,
            stages=[
                msgspec.structs.replace(
                    _progress(
                        contestant,
                        stage_id,
                        len(aspects),
                        by_key.get((stage_id, contestant.registration_id)),
                        counts,
                        flags,
                    ),
                    start_no=due[stage_id][contestant.registration_id],
                )
                for stage_id, aspects in stage_aspects.items()
                if contestant.registration_id in due[stage_id]
            ],
        )
        for contestant in mine
    ]


async def _due_per_stage(
    rules_: rules.CompetitionRules,
    stage_aspects: Mapping[int, object],
    contestants: Sequence[Contestant],
    closed: Mapping[str, Mapping[str, Any]],
) -> dict[int, dict[int, int | None]]:
    """Per stage: registration id -> start number (None: station order) of the contestants due on it.

    A stage of a later round lists nobody while the round before it is open, and never a contestant cut
    before it (未晋级)."""
    due: dict[int, dict[int, int | None]] = {}
    for stage_id in stage_aspects:
        position = round_index_of(rules_, str(stage_id))
        if position > 0 and rules_.rounds is not None and rules_.rounds.rounds[position - 1].id not in closed:
            due[stage_id] = {}
            continue
        order = starting_order_of(rules_, closed, str(stage_id)) or {}
        entrants = await entrants_of_stage(rules_, str(stage_id), contestants)
        due[stage_id] = {c.registration_id: order.get(c.registration_id) for c in entrants}
    return due
