"""The chief judge's (裁判长) view, also the organizer's: progress per judge and stage, the tolerance flags
with every judge's mark, contestants' status, and every judge's sheets by judge number, to review and
correct. Contestants appear by station and blind code only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from accounts.schemas import CurrentUser
from scoring.absences import absence_outs
from scoring.competition_facts import (
    Contestant,
    competition,
    contestant_facts,
    drawn,
    facts_out,
    find_contestant,
    stage_signoffs,
)
from scoring.judges import Judge, is_recused, may_oversee, panel, stored_recusals
from scoring.marks import COUNTED, plain
from scoring.rounds import entrants_of_stage
from scoring.rubric import Scheme, find_scheme
from scoring.schemas import (
    ChiefAbsence,
    ChiefOverview,
    ChiefStage,
    FlagDetail,
    FlagMark,
    JudgeStageProgress,
    MarkOut,
    SheetSummary,
)
from scoring.tables import ImportedMark, ScoreSheet, SheetMark, ToleranceFlag


class _Floor:
    """What the overview counts against: the drawn contestants, the panel and the recusals."""

    def __init__(
        self,
        contestants: Sequence[Contestant],
        judges: Sequence[Judge],
        stored: Mapping[tuple[int, int], Any],
    ) -> None:
        self.contestants = contestants
        self.judges = judges
        self.stored = stored
        self.by_registration = {c.registration_id: c for c in contestants}
        self.judge_no = {j.user_id: j.judge_no for j in judges}


def _judge_progress(
    floor: _Floor, judge: Judge, stage_id: int, status_of: Mapping[tuple[int, int, int], str]
) -> JudgeStageProgress:
    counts = {"not_started": 0, "draft": 0, "submitted": 0, "signed": 0}
    expected = 0
    for contestant in floor.contestants:
        if is_recused(judge, contestant, floor.stored):
            continue
        expected += 1
        counts[status_of.get((stage_id, contestant.registration_id, judge.user_id), "not_started")] += 1
    return JudgeStageProgress(
        judge_user_id=judge.user_id,
        judge_no=judge.judge_no,
        display_name=judge.display_name,
        is_chief=judge.is_chief,
        expected=expected,
        **counts,
    )


async def _stages(
    competition_id: int, scheme: Scheme, floor: _Floor, flags: Sequence[Mapping[str, Any]]
) -> list[ChiefStage]:
    stage_ids = [int(s.id) for s in scheme.rules.stages]
    signed = await stage_signoffs(stage_ids)
    sheets = await ScoreSheet.select(
        ScoreSheet.stage, ScoreSheet.registration, ScoreSheet.judge, ScoreSheet.status
    ).where(ScoreSheet.competition == competition_id)
    status_of = {(s["stage"], s["registration"], s["judge"]): s["status"] for s in sheets}
    imported: dict[int, int] = defaultdict(int)
    for r in await ImportedMark.select(ImportedMark.stage).where(ImportedMark.stage.is_in(stage_ids)):
        imported[r["stage"]] += 1
    out = []
    for stage in scheme.rules.stages:
        sid = int(stage.id)
        # a later round (轮次) counts its entrants only: no sheet is due for a contestant cut before it
        due = _Floor(
            await entrants_of_stage(scheme.rules, stage.id, floor.contestants), floor.judges, floor.stored
        )
        progress = [
            _judge_progress(due, judge, sid, status_of)
            for judge in floor.judges
            if stage.kind == "rubric" and scheme.rubric.covers_stage(stage.id, judge.module_ids)
        ]
        out.append(
            ChiefStage(
                stage_id=sid,
                name=stage.name,
                kind=stage.kind,
                signed_off_at=signed[sid]["signed_at"] if sid in signed else None,
                judges=progress,
                open_flags=sum(1 for f in flags if f["stage"] == sid and f["status"] == "open"),
                imported=imported.get(sid, 0),
                contestants=len(due.contestants),
            )
        )
    return out


async def _unresolved_flags(scheme: Scheme) -> list[dict[str, Any]]:
    stage_ids = [int(s.id) for s in scheme.rules.stages]
    return (
        await ToleranceFlag.select(
            ToleranceFlag.id,
            ToleranceFlag.stage,
            ToleranceFlag.registration,
            ToleranceFlag.aspect_id,
            ToleranceFlag.spread,
            ToleranceFlag.status,
            ToleranceFlag.reason,
        )
        .where(ToleranceFlag.stage.is_in(stage_ids) & (ToleranceFlag.status != "resolved"))
        .order_by(ToleranceFlag.id)
    )


async def _flag_marks(
    competition_id: int, floor: _Floor, flags: Sequence[Mapping[str, Any]]
) -> dict[tuple[int, int, str], list[FlagMark]]:
    """Every counted mark on a flagged aspect, by (stage, registration, aspect), recused judges left out."""
    flag_marks: dict[tuple[int, int, str], list[FlagMark]] = defaultdict(list)
    rows = await SheetMark.select(
        SheetMark.sheet.stage.as_alias("stage"),
        SheetMark.sheet.registration.as_alias("registration"),
        SheetMark.sheet.judge.as_alias("judge"),
        SheetMark.aspect_id,
        SheetMark.value,
    ).where(
        (SheetMark.sheet.competition == competition_id)
        & SheetMark.sheet.status.is_in(list(COUNTED))
        & SheetMark.aspect_id.is_in(sorted({f["aspect_id"] for f in flags}))
    )
    for r in rows:
        if (r["judge"], r["registration"]) in floor.stored:
            continue
        flag_marks[(r["stage"], r["registration"], r["aspect_id"])].append(
            FlagMark(judge_no=floor.judge_no.get(r["judge"], 0), value=plain(r["value"]))
        )
    return flag_marks


async def _flag_details(
    competition_id: int, scheme: Scheme, floor: _Floor, flags: Sequence[Mapping[str, Any]]
) -> list[FlagDetail]:
    if not flags:
        return []
    flag_marks = await _flag_marks(competition_id, floor, flags)
    out = []
    for f in flags:
        contestant = floor.by_registration.get(f["registration"])
        if contestant is None:
            continue
        aspect = scheme.rubric.aspects.get(f["aspect_id"])
        out.append(
            FlagDetail(
                id=f["id"],
                stage_id=f["stage"],
                station_no=contestant.station_no,
                blind_code=contestant.blind_code,
                aspect_id=f["aspect_id"],
                aspect_name=aspect.name if aspect else "",
                spread=plain(f["spread"]),
                status=f["status"],
                reason=f["reason"],
                marks=sorted(
                    flag_marks.get((f["stage"], f["registration"], f["aspect_id"]), []),
                    key=lambda m: m.judge_no,
                ),
            )
        )
    return out


async def chief_overview(user: CurrentUser, competition_id: int) -> ChiefOverview:
    """Progress per judge and stage, flagged aspects, contestants' status (chief or organizer)."""
    head = await competition(competition_id)
    is_chief = await may_oversee(competition_id, user)
    scheme = await find_scheme(competition_id)
    contestants = await drawn(competition_id)
    floor = _Floor(contestants, await panel(competition_id), await stored_recusals(competition_id))
    stages_out: list[ChiefStage] = []
    flags_out: list[FlagDetail] = []
    if scheme is not None:
        flags = await _unresolved_flags(scheme)
        stages_out = await _stages(competition_id, scheme, floor, flags)
        flags_out = await _flag_details(competition_id, scheme, floor, flags)
    facts = await contestant_facts(c.registration_id for c in contestants)
    return ChiefOverview(
        competition_id=head.id,
        title=head.title,
        state=head.state,
        is_chief=is_chief,
        stages=stages_out,
        flags=flags_out,
        contestants=[facts_out(c, facts.get(c.registration_id)) for c in contestants],
        absences=[
            ChiefAbsence(
                judge_no=a.judge_no,
                blind_code=a.blind_code,
                station_no=a.station_no,
                stage_id=a.stage_id,
                reason=a.reason,
            )
            for a in await absence_outs(competition_id)
        ],
    )


async def chief_sheets(user: CurrentUser, competition_id: int, blind_code: str | None) -> list[SheetSummary]:
    """Every judge's sheets (by judge number), for the chief judge or an organizer to review and correct."""
    await competition(competition_id)
    await may_oversee(competition_id, user)
    contestants = {c.registration_id: c for c in await drawn(competition_id)}
    judge_no = {j.user_id: j.judge_no for j in await panel(competition_id)}
    query = ScoreSheet.select(
        ScoreSheet.id,
        ScoreSheet.stage,
        ScoreSheet.registration,
        ScoreSheet.judge,
        ScoreSheet.status,
        ScoreSheet.version,
    ).where(ScoreSheet.competition == competition_id)
    if blind_code:
        contestant = await find_contestant(competition_id, None, blind_code)
        query = query.where(ScoreSheet.registration == contestant.registration_id)
    sheets = await query.order_by(ScoreSheet.id)
    marks: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if sheets:
        for r in await SheetMark.select(SheetMark.sheet, SheetMark.aspect_id, SheetMark.value).where(
            SheetMark.sheet.is_in([s["id"] for s in sheets])
        ):
            marks[r["sheet"]][r["aspect_id"]] = plain(r["value"])
    out = []
    for s in sheets:
        contestant = contestants.get(s["registration"])
        if contestant is None:
            continue
        out.append(
            SheetSummary(
                sheet_id=s["id"],
                stage_id=s["stage"],
                judge_no=judge_no.get(s["judge"], 0),
                station_no=contestant.station_no,
                blind_code=contestant.blind_code,
                status=s["status"],
                version=s["version"],
                marks=[MarkOut(aspect_id=a, value=v) for a, v in sorted(marks[s["id"]].items())],
            )
        )
    out.sort(key=lambda s: (s.station_no, s.stage_id, s.judge_no))
    return out
