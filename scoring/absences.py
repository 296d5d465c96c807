"""Absent judges (缺席): a judge who gave no mark for a contestant, or for a whole stage, recorded as such.

An absence is not a conflict of interest (:mod:`scoring.judges` recusal): it has a table, an audit action
(``judge.absent``, ``judge.absence_withdraw``) and a place on the organizer's and chief's panel view of its
own. Its effect on the results is the same as a recusal's: the judge is no longer expected on that
contestant's aspects, and the panel combines the marks of the judges present -- an aspect left with fewer
marks than it needs (``min_marks``) is incomplete, blocks the stage's sign-off and is never computed.

Recording an absence is refused once the judge has a sheet with marks for that contestant (and stage): a
judge who marked was there; the marks would otherwise silently stop counting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import msgspec

from accounts import audit
from accounts.audit import Actor
from competitions.tables import Registration
from competitions.tables import Stage as StageRow
from core.db import utcnow, write_transaction
from core.errors import Conflict, NotFound
from scoring import rules
from scoring.competition_facts import Contestant, notify
from scoring.judges import Judge, assignment, panel
from scoring.rubric import Rubric
from scoring.schemas import AbsenceIn, AbsenceOut
from scoring.tables import JudgeAbsence, SheetMark

ANY = "*"


class Absence(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One stored absence: ``registration_id`` / ``stage_id`` None mean every contestant / every stage."""

    id: int
    judge_user_id: int
    registration_id: int | None
    stage_id: int | None
    reason: str


async def stored_absences(competition_id: int) -> list[Absence]:
    rows = await JudgeAbsence.select(
        JudgeAbsence.id,
        JudgeAbsence.judge,
        JudgeAbsence.registration,
        JudgeAbsence.stage,
        JudgeAbsence.reason,
    ).where(JudgeAbsence.competition == competition_id)
    return [
        Absence(
            id=r["id"],
            judge_user_id=r["judge"],
            registration_id=r["registration"],
            stage_id=r["stage"],
            reason=r["reason"],
        )
        for r in rows
    ]


class Absent:
    """Look-ups over a competition's absences: is a judge absent for a contestant in a stage."""

    def __init__(self, absences: Iterable[Absence]) -> None:
        self.keys = {
            (
                a.judge_user_id,
                ANY if a.registration_id is None else a.registration_id,
                ANY if a.stage_id is None else a.stage_id,
            )
            for a in absences
        }

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __call__(self, judge_user_id: int, registration_id: int, stage_id: int) -> bool:
        if not self.keys:
            return False
        keys = self.keys
        return any((judge_user_id, r, s) in keys for r in (registration_id, ANY) for s in (stage_id, ANY))


async def absent_of(competition_id: int) -> Absent:
    return Absent(await stored_absences(competition_id))


def short_of_marks(
    rubric: Rubric,
    stage_id: str,
    judges: Sequence[Judge],
    contestant: Contestant,
    excluded: Mapping[int, bool],
) -> list[dict[str, object]]:
    """Aspects of a stage on which the judges due for a contestant (recusals and absences out,
    ``excluded[user id]``) are fewer than the aspect's least number of marks."""
    short = []
    for aspect_id, aspect in rubric.judge_aspects(stage_id, None).items():
        module_id = rubric.module_of[aspect_id]
        due = sum(
            1
            for j in judges
            if (j.module_ids is None or module_id in j.module_ids) and not excluded.get(j.user_id, False)
        )
        need = rules.least_marks(aspect)
        if due < need:
            short.append(
                {
                    "station_no": contestant.station_no,
                    "blind_code": contestant.blind_code,
                    "aspect_id": aspect_id,
                    "have": due,
                    "need": need,
                }
            )
    return short


async def absence_outs(competition_id: int) -> list[AbsenceOut]:
    """The competition's absences for the organizer's and chief's panel view, by judge number."""
    absences = await stored_absences(competition_id)
    if not absences:
        return []
    numbers = {j.user_id: j.judge_no for j in await panel(competition_id)}
    registrations = {
        r["id"]: r
        for r in await Registration.select(
            Registration.id, Registration.blind_code, Registration.station_no
        ).where(Registration.competition == competition_id)
    }
    out = []
    for a in absences:
        registration = registrations.get(a.registration_id) if a.registration_id is not None else None
        out.append(
            AbsenceOut(
                id=a.id,
                judge_user_id=a.judge_user_id,
                judge_no=numbers.get(a.judge_user_id, 0),
                registration_id=a.registration_id,
                blind_code=registration["blind_code"] if registration else None,
                station_no=registration["station_no"] if registration else None,
                stage_id=a.stage_id,
                reason=a.reason,
            )
        )
    return sorted(out, key=lambda o: (o.judge_no, o.registration_id or 0, o.stage_id or 0, o.id))


async def _registration_of(competition_id: int, data: AbsenceIn) -> int | None:
    if data.registration_id is None and not data.registration_no:
        return None
    query = Registration.select(Registration.id).where(Registration.competition == competition_id)
    if data.registration_id is not None:
        field = "registration_id"
        query = query.where(Registration.id == data.registration_id)
    else:
        field = "registration_no"
        query = query.where(Registration.registration_no == (data.registration_no or "").strip().upper())
    row = await query.first()
    if row is None:
        raise NotFound("本竞赛没有该报名", code="unknown_registration", field=field)
    return row["id"]


async def _check_stage(competition_id: int, stage_id: int | None) -> None:
    if stage_id is None:
        return
    found = await StageRow.exists().where(
        (StageRow.id == stage_id) & (StageRow.competition == competition_id)
    )
    if not found:
        raise NotFound("本竞赛没有该比赛环节", code="unknown_stage", field="stage_id")


async def _refuse_marked(
    competition_id: int, judge_user_id: int, registration_id: int | None, stage_id: int | None
) -> None:
    """A judge who has marks for the contestant (in the stage) was there: no absence."""
    query = (
        SheetMark.select(SheetMark.id)
        .where(SheetMark.sheet.competition == competition_id)
        .where(SheetMark.sheet.judge == judge_user_id)
    )
    if registration_id is not None:
        query = query.where(SheetMark.sheet.registration == registration_id)
    if stage_id is not None:
        query = query.where(SheetMark.sheet.stage == stage_id)
    if await query.first() is not None:
        raise Conflict(
            "该裁判已为该选手录入评分，不能记为缺席", code="judge_has_marks", field="registration_id"
        )


async def record_absence(actor: Actor, competition_id: int, judge_user_id: int, data: AbsenceIn) -> None:
    """Record a judge absent (idempotent: the same absence twice is one row and one audit entry)."""
    async with write_transaction():
        if await assignment(competition_id, judge_user_id) is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        registration_id = await _registration_of(competition_id, data)
        await _check_stage(competition_id, data.stage_id)
        await _refuse_marked(competition_id, judge_user_id, registration_id, data.stage_id)
        key = ":".join(
            str(part if part is not None else ANY)
            for part in (competition_id, judge_user_id, registration_id, data.stage_id)
        )
        inserted = (
            await JudgeAbsence.insert(
                JudgeAbsence(
                    competition=competition_id,
                    judge=judge_user_id,
                    registration=registration_id,
                    stage=data.stage_id,
                    absence_key=key,
                    reason=data.reason,
                    created_at=utcnow(),
                )
            )
            .on_conflict(target=JudgeAbsence.absence_key, action="DO NOTHING")
            .returning(JudgeAbsence.id)
        )
        if inserted:
            await audit.record(
                actor,
                "judge.absent",
                "judge_absence",
                inserted[0]["id"],
                after={
                    "judge_user_id": judge_user_id,
                    "registration_id": registration_id,
                    "stage_id": data.stage_id,
                },
                reason=data.reason,
            )
    await notify(competition_id)


async def withdraw_absence(actor: Actor, competition_id: int, absence_id: int) -> None:
    async with write_transaction():
        deleted = (
            await JudgeAbsence.delete()
            .where((JudgeAbsence.id == absence_id) & (JudgeAbsence.competition == competition_id))
            .returning(JudgeAbsence.id, JudgeAbsence.judge, JudgeAbsence.registration, JudgeAbsence.stage)
        )
        if not deleted:
            raise NotFound("没有该缺席记录", code="no_absence", field="absence_id")
        row = deleted[0]
        await audit.record(
            actor,
            "judge.absence_withdraw",
            "judge_absence",
            absence_id,
            before={
                "judge_user_id": row["judge"],
                "registration_id": row["registration"],
                "stage_id": row["stage"],
            },
        )
    await notify(competition_id)
