"""Corrections (更正) after submission, sign-off or publication, each audited with the old value and a reason.

- The chief judge or an organizer corrects one mark of a submitted or signed sheet (:func:`correct_mark`);
- the chief judge disqualifies or reinstates a contestant (取消资格), the chief or an organizer records the
  time a contestant used (a tie-break): the contestant's facts;
- an upheld appeal corrects the appellant's marks, imported marks and facts
  (:func:`apply_appeal_correction`, inside the arbitration group's answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring import rules, sheet_writer, tolerance
from scoring.competition_facts import contestant_facts, drawn, facts_out, find_contestant, notify
from scoring.entry import JUDGE_SHEETS
from scoring.judges import Judge, assignment, require_chief
from scoring.marks import COUNTED, mark_problem, plain
from scoring.results_schemas import CorrectionIn as AppealCorrection
from scoring.results_schemas import ImportedFix, MarkFix
from scoring.rubric import Rubric, Scheme, load_scheme
from scoring.schemas import ContestantFactsOut, CorrectionIn, DisqualifyIn, MarkOut, SheetSummary, TimeUsedIn
from scoring.signoff import SHEET_COLUMNS
from scoring.tables import ContestantFacts, ImportedMark, JudgeAssignment, ScoreSheet, SheetMark

# ------------------------------------------------------------------------------- one mark of one sheet


@dataclass(frozen=True)
class _Correction:
    sheet: dict[str, Any]
    scheme: Scheme
    judge: Judge | None
    aspect: rules.Aspect
    aspects: dict[str, rules.Aspect]


async def _correctable(user: CurrentUser, data: CorrectionIn) -> _Correction:
    """The sheet, its judge and the aspect, once the caller may correct it and the new value is valid."""
    sheet = await ScoreSheet.select(*SHEET_COLUMNS).where(ScoreSheet.id == data.sheet_id).first()
    if sheet is None:
        raise NotFound("评分表不存在", field="sheet_id")
    competition_id = sheet["competition"]
    if user.role != Role.ORGANIZER:
        await require_chief(competition_id, user)
    if sheet["status"] not in COUNTED:
        raise Conflict("评分表尚未提交，由裁判本人修改", code="sheet_not_submitted", field="sheet_id")
    scheme = await load_scheme(competition_id)
    judge = await assignment(competition_id, sheet["judge"])
    aspects = scheme.rubric.judge_aspects(
        str(sheet["stage"]), judge.module_ids if judge is not None else None
    )
    aspect = aspects.get(data.aspect_id)
    if aspect is None:
        raise Invalid(f"评分项“{data.aspect_id}”不在该评分表中", code="unknown_aspect", field="aspect_id")
    problem = mark_problem(aspect, data.value)
    if problem is not None:
        raise Invalid(problem.message, code=problem.code, field="value", detail={"aspect_id": aspect.id})
    return _Correction(sheet=sheet, scheme=scheme, judge=judge, aspect=aspect, aspects=aspects)


async def _write_correction(actor: Actor, data: CorrectionIn, fix: _Correction) -> tuple[str, int]:
    """Version-checked mark update, audit row and tolerance flags; returns the sheet's (status, version)."""
    now = utcnow()
    current = await ScoreSheet.select(*SHEET_COLUMNS).where(ScoreSheet.id == data.sheet_id).first()
    assert current is not None
    version = current["version"] if data.base_version is None else data.base_version
    existing = await sheet_writer.sheet_marks(JUDGE_SHEETS, data.sheet_id)
    old = existing.get(data.aspect_id)
    if old is not None and old == data.value:
        raise Invalid("新分数与原分数相同", code="no_change", field="value")
    updated = await (
        ScoreSheet.update({ScoreSheet.version: ScoreSheet.version + 1, ScoreSheet.updated_at: now})
        .where((ScoreSheet.id == data.sheet_id) & (ScoreSheet.version == version))
        .returning(ScoreSheet.version)
    )
    if not updated:
        raise sheet_writer.stale_version(
            JUDGE_SHEETS, current["version"], current["status"], existing, fix.aspects
        )
    await SheetMark.insert(
        SheetMark(
            sheet=data.sheet_id,
            aspect_id=data.aspect_id,
            mark_key=f"{data.sheet_id}:{data.aspect_id}",
            value=data.value,
            updated_at=now,
        )
    ).on_conflict(
        target=SheetMark.mark_key, action="DO UPDATE", values=[SheetMark.value, SheetMark.updated_at]
    )
    await audit.record(
        actor,
        "mark.correct",
        "score_sheet",
        data.sheet_id,
        before={
            "aspect_id": data.aspect_id,
            "value": None if old is None else str(old),
            "judge_no": fix.judge.judge_no if fix.judge else None,
        },
        after={"aspect_id": data.aspect_id, "value": str(plain(data.value))},
        reason=data.reason,
    )
    if fix.aspect.kind == "judgement":
        await tolerance.recompute_flags(
            fix.sheet["stage"], fix.sheet["registration"], {fix.aspect.id}, fix.scheme.tolerance
        )
    return current["status"], updated[0]["version"]


async def correct_mark(user: CurrentUser, actor: Actor, data: CorrectionIn) -> SheetSummary:
    """A correction of one mark on a submitted or signed sheet (also after sign-off and publication)."""
    fix = await _correctable(user, data)
    competition_id = fix.sheet["competition"]
    async with write_transaction():
        status, version = await _write_correction(actor, data, fix)
    await notify(competition_id)
    contestant = next(
        c for c in await drawn(competition_id) if c.registration_id == fix.sheet["registration"]
    )
    marks = await sheet_writer.sheet_marks(JUDGE_SHEETS, data.sheet_id)
    return SheetSummary(
        sheet_id=data.sheet_id,
        stage_id=fix.sheet["stage"],
        judge_no=fix.judge.judge_no if fix.judge else 0,
        station_no=contestant.station_no,
        blind_code=contestant.blind_code,
        status=status,
        version=version,
        marks=[MarkOut(aspect_id=a, value=v) for a, v in sorted(marks.items())],
    )


# --------------------------------------------------------------------------------- contestants' facts


async def _upsert_facts(
    registration_id: int, values: dict[Any, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    before = (await contestant_facts([registration_id])).get(registration_id)
    if before is None:
        await ContestantFacts.insert(ContestantFacts(registration=registration_id)).on_conflict(
            target=ContestantFacts.registration, action="DO NOTHING"
        )
    await ContestantFacts.update({**values, ContestantFacts.version: ContestantFacts.version + 1}).where(
        ContestantFacts.registration == registration_id
    )
    after = (await contestant_facts([registration_id]))[registration_id]
    return before, after


async def disqualify(
    user: CurrentUser, actor: Actor, competition_id: int, data: DisqualifyIn
) -> ContestantFactsOut:
    """取消资格 by the chief judge: marks stay on record; the contestant gets no rank or prize."""
    await require_chief(competition_id, user)
    contestant = await find_contestant(competition_id, data.registration_id, data.blind_code)
    async with write_transaction():
        before, after = await _upsert_facts(
            contestant.registration_id,
            {
                ContestantFacts.disqualified: data.disqualified,
                ContestantFacts.disqualified_reason: data.reason if data.disqualified else "",
            },
        )
        await audit.record(
            actor,
            "contestant.disqualify" if data.disqualified else "contestant.reinstate",
            "registration",
            contestant.registration_id,
            before={
                "disqualified": bool(before and before["disqualified"]),
                "station_no": contestant.station_no,
            },
            after={"disqualified": data.disqualified, "station_no": contestant.station_no},
            reason=data.reason,
        )
    await notify(competition_id)
    return facts_out(contestant, after)


async def set_time_used(
    user: CurrentUser, actor: Actor, competition_id: int, data: TimeUsedIn
) -> ContestantFactsOut:
    if user.role != Role.ORGANIZER:
        await require_chief(competition_id, user)
    seconds = data.seconds
    problem = None if seconds is None else rules.validate_time_used(seconds)
    if problem is not None:
        raise Invalid(problem.message, code=problem.code, field="seconds")
    contestant = await find_contestant(competition_id, data.registration_id, data.blind_code)
    async with write_transaction():
        before, after = await _upsert_facts(
            contestant.registration_id, {ContestantFacts.time_used_seconds: seconds}
        )
        old = before["time_used_seconds"] if before else None
        await audit.record(
            actor,
            "contestant.time_used",
            "registration",
            contestant.registration_id,
            before={"time_used_seconds": None if old is None else str(plain(old))},
            after={"time_used_seconds": None if data.seconds is None else str(data.seconds)},
        )
    await notify(competition_id)
    return facts_out(contestant, after)


# ---------------------------------------------------------------------------- an upheld appeal's fixes


async def _submitted_sheet(
    competition_id: int, registration_id: int, stage_id: str, fix: MarkFix, where: str
) -> dict[str, Any]:
    """The submitted (or signed) sheet of judge number ``fix.judge_no`` for the appellant in a stage."""
    judge = (
        await JudgeAssignment.select(JudgeAssignment.judge)
        .where((JudgeAssignment.competition == competition_id) & (JudgeAssignment.judge_no == fix.judge_no))
        .first()
    )
    if judge is None:
        raise Invalid(f"没有 {fix.judge_no} 号裁判", code="unknown_judge", field=f"{where}.judge_no")
    sheet = (
        await ScoreSheet.select(ScoreSheet.id, ScoreSheet.version)
        .where(
            (ScoreSheet.stage == int(stage_id))
            & (ScoreSheet.registration == registration_id)
            & (ScoreSheet.judge == judge["judge"])
            & ScoreSheet.status.is_in(list(COUNTED))
        )
        .first()
    )
    if sheet is None:
        raise Invalid(
            f"{fix.judge_no} 号裁判没有该选手已提交的评分表",
            code="no_submitted_sheet",
            field=f"{where}.judge_no",
        )
    return sheet


async def _fix_mark(
    actor: Actor,
    competition_id: int,
    registration_id: int,
    rubric: Rubric,
    index: int,
    fix: MarkFix,
    reason: str,
) -> bool:
    """One judge's mark of the appellant, corrected and audited; False when it already had that value."""
    where = f"correction.marks[{index}]"
    aspect = rubric.aspects.get(fix.aspect_id)
    if aspect is None:
        raise Invalid(
            f"评分项“{fix.aspect_id}”不在评分标准中", code="unknown_aspect", field=f"{where}.aspect_id"
        )
    problem = rules.validate_mark(aspect, fix.value)
    if problem is not None:
        raise Invalid(problem.message, code=problem.code, field=f"{where}.value")
    sheet = await _submitted_sheet(
        competition_id, registration_id, rubric.stage_of[fix.aspect_id], fix, where
    )
    mark = (
        await SheetMark.select(SheetMark.id, SheetMark.value)
        .where((SheetMark.sheet == sheet["id"]) & (SheetMark.aspect_id == fix.aspect_id))
        .first()
    )
    old = None if mark is None else mark["value"]
    if old is not None and old == fix.value:
        return False
    now = utcnow()
    if mark is None:
        row = SheetMark(
            sheet=sheet["id"],
            aspect_id=fix.aspect_id,
            mark_key=f"{sheet['id']}:{fix.aspect_id}",
            value=fix.value,
            updated_at=now,
        )
        await row.save()
        mark_id = row.id
    else:
        mark_id = mark["id"]
        await SheetMark.update({SheetMark.value: fix.value, SheetMark.updated_at: now}).where(
            SheetMark.id == mark_id
        )
    await ScoreSheet.update({ScoreSheet.version: ScoreSheet.version + 1, ScoreSheet.updated_at: now}).where(
        ScoreSheet.id == sheet["id"]
    )
    identity = {"registration_id": registration_id, "aspect_id": fix.aspect_id, "judge_no": fix.judge_no}
    await _audit_fix(actor, "sheet_mark.correct", "sheet_mark", mark_id, identity, old, fix.value, reason)
    return True


async def _fix_imported(
    actor: Actor, registration_id: int, rubric: Rubric, index: int, fix: ImportedFix, reason: str
) -> bool:
    """The appellant's imported mark of a stage, corrected and audited; False when it had that value."""
    where = f"correction.imported[{index}]"
    stage = rubric.stages.get(str(fix.stage_id))
    if stage is None:
        raise Invalid("该环节不属于本竞赛", code="unknown_stage", field=f"{where}.stage_id")
    problem = rules.validate_imported_mark(stage, fix.value)
    if problem is not None:
        raise Invalid(problem.message, code=problem.code, field=f"{where}.value")
    key = f"{fix.stage_id}:{registration_id}"
    current = (
        await ImportedMark.select(ImportedMark.id, ImportedMark.value)
        .where(ImportedMark.mark_key == key)
        .first()
    )
    old = None if current is None else current["value"]
    if old is not None and old == fix.value:
        return False
    now = utcnow()
    if current is None:
        await ImportedMark.insert(
            ImportedMark(
                stage=fix.stage_id,
                registration=registration_id,
                mark_key=key,
                value=fix.value,
                updated_at=now,
            )
        )
    else:
        await ImportedMark.update({ImportedMark.value: fix.value, ImportedMark.updated_at: now}).where(
            ImportedMark.id == current["id"]
        )
    identity = {"registration_id": registration_id, "stage_id": fix.stage_id}
    await _audit_fix(actor, "imported_mark.correct", "imported_mark", key, identity, old, fix.value, reason)
    return True


async def _audit_fix(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any,
    identity: Mapping[str, Any],
    old: Any,
    new: Any,
    reason: str,
) -> None:
    await audit.record(
        actor,
        action,
        entity,
        entity_id,
        before={**identity, "value": old},
        after={**identity, "value": new},
        reason=reason,
    )


def _facts_change(correction: AppealCorrection) -> dict[str, Any]:
    """The facts an appeal's correction sets (fields left out stay as they are)."""
    change: dict[str, Any] = {}
    if correction.time_used_seconds is not msgspec.UNSET:
        seconds = correction.time_used_seconds
        problem = None if seconds is None else rules.validate_time_used(seconds)
        if problem is not None:  # the same check as the chief's own entry of time used
            raise Invalid(problem.message, code=problem.code, field="correction.time_used_seconds")
        change["time_used_seconds"] = seconds
    if correction.disqualified is not msgspec.UNSET:
        change["disqualified"] = correction.disqualified
        change["disqualified_reason"] = correction.disqualified_reason if correction.disqualified else ""
    return change


async def _fix_facts(actor: Actor, registration_id: int, correction: AppealCorrection, reason: str) -> bool:
    change = _facts_change(correction)
    if not change:
        return False
    current = await ContestantFacts.select().where(ContestantFacts.registration == registration_id).first()
    before = {k: (None if current is None else current[k]) for k in change}
    if before == change:
        return False
    if current is None:
        await ContestantFacts.insert(ContestantFacts(registration=registration_id, **change))
    else:
        values: dict[Any, Any] = {getattr(ContestantFacts, k): v for k, v in change.items()}
        values[ContestantFacts.version] = ContestantFacts.version + 1
        await ContestantFacts.update(values).where(ContestantFacts.id == current["id"])
    await audit.record(
        actor,
        "contestant_facts.correct",
        "registration",
        registration_id,
        before=before,
        after=change,
        reason=reason,
    )
    return True


async def apply_appeal_correction(
    actor: Actor, competition_id: int, registration_id: int, correction: AppealCorrection, reason: str
) -> bool:
    """Apply an upheld appeal's correction inside the caller's transaction, auditing old and new values.

    Returns whether anything changed.
    """
    rubric = (await load_scheme(competition_id)).rubric
    changed = False
    for index, fix in enumerate(correction.marks):
        changed = (
            await _fix_mark(actor, competition_id, registration_id, rubric, index, fix, reason) or changed
        )
    for index, imported in enumerate(correction.imported):
        changed = await _fix_imported(actor, registration_id, rubric, index, imported, reason) or changed
    return await _fix_facts(actor, registration_id, correction, reason) or changed
