"""Signing (签字确认): a judge signs their submitted sheets, the chief judge signs off a stage, and accepts
tolerance flags that need no re-marking.

A sheet with an open tolerance flag on one of its aspects is signed only when its judge says they keep the
marks (``keep_marks``; "sign all" skips it); accepting the flag then changes no sheet, so the signatures of
unchanged sheets stand and only a sheet that is re-marked is signed again. A stage cannot be signed off
while any flag is open, any expected sheet is unsigned, or (an imported stage) any contestant lacks a mark.
Signing locks: entry refuses signed sheets and signed-off stages; corrections go through the chief judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.schemas import CurrentUser
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, DomainError, NotFound
from scoring import rules
from scoring.absences import absent_of, short_of_marks
from scoring.competition_facts import Contestant, competition, drawn, notify
from scoring.judges import is_recused, my_assignment, panel, require_chief, stored_recusals
from scoring.marks import plain
from scoring.rounds import entrants_of_stage
from scoring.rubric import Scheme, load_scheme
from scoring.schemas import FlagOut, SignoffOut, SignOut
from scoring.tables import ImportedMark, ScoreSheet, StageSignoff, ToleranceFlag
from scoring.tolerance import open_flags_of_sheet

# The columns sign-off and corrections read of a sheet.
SHEET_COLUMNS = (
    ScoreSheet.id,
    ScoreSheet.competition,
    ScoreSheet.stage,
    ScoreSheet.registration,
    ScoreSheet.judge,
    ScoreSheet.status,
    ScoreSheet.version,
)

# ------------------------------------------------------------------------------------ a judge's sheets


async def _sign_one(
    actor: Actor, sheet: Mapping[str, Any], version: int | None, *, keep_marks: bool = False
) -> int:
    if sheet["status"] == "signed":
        return sheet["id"]
    if sheet["status"] != "submitted":
        raise Conflict("评分表尚未提交，不能签字", code="sheet_not_submitted", field="sheet_id")
    open_flags = await open_flags_of_sheet(sheet)
    if open_flags and not keep_marks:
        raise Conflict(
            "该评分表有超出允许误差的评分项，请复核或等待裁判长确认后再签字",
            code="open_tolerance_flags",
            field="sheet_id",
            detail={"aspect_ids": open_flags},
        )
    expected = sheet["version"] if version is None else version
    now = utcnow()
    updated = await (
        ScoreSheet.update(
            {
                ScoreSheet.status: "signed",
                ScoreSheet.signed_at: now,
                ScoreSheet.version: ScoreSheet.version + 1,
                ScoreSheet.updated_at: now,
            }
        )
        .where(
            (ScoreSheet.id == sheet["id"])
            & (ScoreSheet.version == expected)
            & (ScoreSheet.status == "submitted")
        )
        .returning(ScoreSheet.id)
    )
    if not updated:
        raise Conflict(
            "评分表已被更新，请刷新后重试",
            code="stale_version",
            field="version",
            detail={"current_version": sheet["version"]},
        )
    await audit.record(
        actor,
        "sheet.sign",
        "score_sheet",
        sheet["id"],
        before={"status": "submitted"},
        after={"status": "signed", **({"kept_flagged": open_flags} if open_flags else {})},
    )
    return sheet["id"]


async def sign_sheet(
    user: CurrentUser, actor: Actor, sheet_id: int, version: int | None, *, keep_marks: bool = False
) -> SignOut:
    async with write_transaction():
        sheet = await ScoreSheet.select(*SHEET_COLUMNS).where(ScoreSheet.id == sheet_id).first()
        if sheet is None or sheet["judge"] != user.id:
            raise NotFound("评分表不存在", field="sheet_id")
        await my_assignment(sheet["competition"], user)
        await _sign_one(actor, sheet, version, keep_marks=keep_marks)
    await notify(sheet["competition"])
    return SignOut(signed=[sheet_id], skipped=[])


async def sign_stage_sheets(user: CurrentUser, actor: Actor, competition_id: int, stage_id: int) -> SignOut:
    """Sign every submitted sheet of mine in a stage; sheets with open tolerance flags are skipped."""
    await my_assignment(competition_id, user)
    signed: list[int] = []
    skipped: list[int] = []
    async with write_transaction():
        sheets = await ScoreSheet.select(*SHEET_COLUMNS).where(
            (ScoreSheet.competition == competition_id)
            & (ScoreSheet.stage == stage_id)
            & (ScoreSheet.judge == user.id)
            & (ScoreSheet.status == "submitted")
        )
        for sheet in sheets:
            if await open_flags_of_sheet(sheet):
                skipped.append(sheet["id"])
                continue
            signed.append(await _sign_one(actor, sheet, None))
    if signed:
        await notify(competition_id)
    return SignOut(signed=signed, skipped=skipped)


# ------------------------------------------------------------------------------- the chief's sign-off


async def _missing_imported(stage_id: int, contestants: Sequence[Contestant]) -> list[dict[str, Any]]:
    have = {
        r["registration"]
        for r in await ImportedMark.select(ImportedMark.registration).where(ImportedMark.stage == stage_id)
    }
    return [
        {"station_no": c.station_no, "blind_code": c.blind_code}
        for c in contestants
        if c.registration_id not in have
    ]


async def _unsigned_sheets(
    scheme: Scheme, stage: rules.Stage, competition_id: int, contestants: Sequence[Contestant]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every sheet due (judges covering the stage, recusals and absences out) that is not signed, by judge
    number; and the aspects on which a contestant is left with fewer judges than marks needed."""
    every = await panel(competition_id)
    judges = [j for j in every if scheme.rubric.covers_stage(stage.id, j.module_ids)]
    stored = await stored_recusals(competition_id)
    absent = await absent_of(competition_id)
    short: list[dict[str, Any]] = []
    for contestant in contestants:
        excluded = {
            j.user_id: is_recused(j, contestant, stored)
            or absent(j.user_id, contestant.registration_id, int(stage.id))
            for j in every
        }
        short.extend(short_of_marks(scheme.rubric, stage.id, every, contestant, excluded))
    sheets = {
        (r["registration"], r["judge"]): r["status"]
        for r in await ScoreSheet.select(ScoreSheet.registration, ScoreSheet.judge, ScoreSheet.status).where(
            ScoreSheet.stage == int(stage.id)
        )
    }
    unsigned = []
    for contestant in contestants:
        for judge in judges:
            if is_recused(judge, contestant, stored) or absent(
                judge.user_id, contestant.registration_id, int(stage.id)
            ):
                continue
            status = sheets.get((contestant.registration_id, judge.user_id), "not_started")
            if status != "signed":
                unsigned.append(
                    {
                        "judge_no": judge.judge_no,
                        "station_no": contestant.station_no,
                        "blind_code": contestant.blind_code,
                        "status": status,
                    }
                )
    return unsigned, short


async def _open_flags(stage_id: int, contestants: Sequence[Contestant]) -> list[dict[str, Any]]:
    by_registration = {c.registration_id: c for c in contestants}
    open_flags = []
    for r in await ToleranceFlag.select(
        ToleranceFlag.id, ToleranceFlag.registration, ToleranceFlag.aspect_id, ToleranceFlag.spread
    ).where((ToleranceFlag.stage == stage_id) & (ToleranceFlag.status == "open")):
        contestant = by_registration.get(r["registration"])
        open_flags.append(
            {
                "id": r["id"],
                "aspect_id": r["aspect_id"],
                "spread": str(plain(r["spread"])),
                "station_no": contestant.station_no if contestant else None,
                "blind_code": contestant.blind_code if contestant else None,
            }
        )
    return open_flags


async def _signoff_blockers(
    scheme: Scheme, stage: rules.Stage, competition_id: int
) -> dict[str, list[dict[str, Any]]]:
    contestants = await entrants_of_stage(scheme.rules, stage.id, await drawn(competition_id))
    if stage.kind == "imported":
        missing = await _missing_imported(int(stage.id), contestants)
        return {"missing_imported": missing} if missing else {}
    unsigned, short = await _unsigned_sheets(scheme, stage, competition_id, contestants)
    open_flags = await _open_flags(int(stage.id), contestants)
    blockers: dict[str, list[dict[str, Any]]] = {}
    if open_flags:
        blockers["open_flags"] = open_flags
    if unsigned:
        blockers["unsigned_sheets"] = unsigned
    if short:  # absences left an aspect short of its marks: never computed, so never signed
        blockers["short_of_marks"] = short
    if not contestants:
        blockers["no_contestants"] = []
    return blockers


def _refuse_blocked(blockers: Mapping[str, list[dict[str, Any]]]) -> None:
    if not blockers:
        return
    parts = []
    if "open_flags" in blockers:
        parts.append(f"{len(blockers['open_flags'])}个评分项超出允许误差未处理")
    if "unsigned_sheets" in blockers:
        parts.append(f"{len(blockers['unsigned_sheets'])}份评分表未签字")
    if "short_of_marks" in blockers:
        parts.append(f"{len(blockers['short_of_marks'])}个评分项因裁判缺席有效评分不足")
    if "missing_imported" in blockers:
        parts.append(f"{len(blockers['missing_imported'])}名选手缺少导入成绩")
    if "no_contestants" in blockers:
        parts.append("没有已抽签的选手")
    raise Conflict(
        "不能签字确认：" + "，".join(parts), code="signoff_blocked", field="stage_id", detail=blockers
    )


async def signoff_stage(user: CurrentUser, actor: Actor, competition_id: int, stage_id: int) -> SignoffOut:
    """The chief judge signs a stage: refused (409) while tolerance flags are open or sheets unsigned."""
    await competition(competition_id)
    await require_chief(competition_id, user)
    scheme = await load_scheme(competition_id)
    stage = scheme.rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    now = utcnow()
    try:
        async with write_transaction():
            if await StageSignoff.exists().where(StageSignoff.stage == stage_id):
                raise Conflict("该环节已签字确认", code="already_signed_off", field="stage_id")
            _refuse_blocked(await _signoff_blockers(scheme, stage, competition_id))
            await StageSignoff.insert(StageSignoff(stage=stage_id, chief=user.id, signed_at=now))
            await audit.record(
                actor, "stage.signoff", "stage", stage_id, after={"competition_id": competition_id}
            )
    except DomainError:
        raise
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("该环节已签字确认", code="already_signed_off", field="stage_id") from None
        raise
    await notify(competition_id)
    return SignoffOut(stage_id=stage_id, chief_user_id=user.id, signed_at=now)


async def accept_flag(user: CurrentUser, actor: Actor, flag_id: int, reason: str) -> FlagOut:
    """The chief judge accepts a spread beyond the tolerance, with a reason (the marks stand)."""
    row = (
        await ToleranceFlag.select(
            ToleranceFlag.id,
            ToleranceFlag.aspect_id,
            ToleranceFlag.status,
            ToleranceFlag.spread,
            ToleranceFlag.stage.competition.as_alias("competition_id"),
            ToleranceFlag.registration,
        )
        .where(ToleranceFlag.id == flag_id)
        .first()
    )
    if row is None:
        raise NotFound("没有该误差提示", field="flag_id")
    competition_id = row["competition_id"]
    await require_chief(competition_id, user)
    async with write_transaction():
        updated = await (
            ToleranceFlag.update(
                {
                    ToleranceFlag.status: "accepted",
                    ToleranceFlag.accepted_by: user.id,
                    ToleranceFlag.reason: reason,
                    ToleranceFlag.updated_at: utcnow(),
                }
            )
            .where((ToleranceFlag.id == flag_id) & (ToleranceFlag.status == "open"))
            .returning(ToleranceFlag.id)
        )
        if not updated:
            raise Conflict("该误差提示已处理", code="flag_not_open", field="flag_id")
        await audit.record(
            actor,
            "flag.accept",
            "tolerance_flag",
            flag_id,
            before={"status": "open", "aspect_id": row["aspect_id"], "spread": str(plain(row["spread"]))},
            after={"status": "accepted"},
            reason=reason,
        )
    await notify(competition_id)
    return FlagOut(
        id=flag_id, aspect_id=row["aspect_id"], spread=plain(row["spread"]), status="accepted", reason=reason
    )
