"""A judge's score sheet (评分表): read it, save a draft, submit it, from the tablet.

A sheet is one judge's marks for one contestant in one stage, known on the tablet by the contestant's
blind code. Everything a read or write must know before it may touch a sheet comes in one round trip
(:func:`_entry_context`): the competition, my assignment, the scheme, the contestant, whether I am recused
from them, whether the stage is signed off, and the stored answer if the write is a replay.

Writes go through :mod:`scoring.sheet_writer` (versioned, idempotent by the tablet's client id, audited);
what is particular to judges' sheets runs in the same transaction: the first mark freezes the rubric, and
counted judgement marks recompute the contestant's tolerance flags. Live pages are told after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.audit import Actor
from accounts.schemas import CurrentUser
from core.db import run_sql
from core.errors import Conflict, Forbidden, Invalid, NotFound
from scoring import rules, sheet_writer, tolerance
from scoring.competition_facts import CompetitionInfo, Contestant, normalized_blind_code, notify
from scoring.judges import (
    Judge,
    is_recused,
    judge_of,
    refuse_incomplete_panel,
    refuse_incomplete_panel_at_start,
)
from scoring.marks import COUNTED, check_marks
from scoring.rounds import refuse_outside_round
from scoring.rubric import Rubric, Scheme, freeze_scheme, scheme_of
from scoring.schemas import FlagOut, MarkOut, SheetIn, SheetOut
from scoring.sheet_writer import SheetKind, SheetWrite, WrittenSheet
from scoring.tables import ScoreSheet, SheetMark, Submission


def _refuse_signed(status: str) -> None:
    if status == "signed":
        raise Conflict(
            "该评分表已签字确认，评分已锁定；如需更正请联系裁判长", code="sheet_signed", field="base_version"
        )


JUDGE_SHEETS = SheetKind(
    sheet=ScoreSheet,
    mark=SheetMark,
    submission=Submission,
    owner="judge",
    response=SheetOut,
    audit_entity="score_sheet",
    audit_action="sheet",
    stale_message="评分表已被更新（可能在另一台平板上），请核对最新分数后重新录入",
    refuse_status=_refuse_signed,
)


def sheet_key(stage_id: int, registration_id: int, judge_user_id: int) -> str:
    return f"{stage_id}:{registration_id}:{judge_user_id}"


def mark_outs(marks: Mapping[str, Decimal], order: Iterable[str]) -> list[MarkOut]:
    """Marks in rubric order (then any no longer in the rubric)."""
    return [MarkOut(aspect_id=a, value=marks[a]) for a in sheet_writer.mark_order(marks, order)]


# ------------------------------------------------------------------------------------ the entry context


@dataclass(frozen=True)
class EntryContext:
    competition: CompetitionInfo
    scheme: Scheme
    judge: Judge
    stage: rules.Stage
    contestant: Contestant
    aspects: dict[str, rules.Aspect]  # the aspects of the stage I mark, in rubric order
    signed_off: bool = False
    # A judge's sheet existed when the context was read: scoring has started (sheets are never deleted),
    # so a new sheet needs no check of the panel at the start of scoring.
    judges_marked: bool = False


_ENTRY_SQL = """
SELECT c.id AS competition_id, c.title AS title, c.occupation AS occupation, c.state AS state,
  a.judge AS judge_user_id, a.judge_no AS judge_no, a.is_chief AS is_chief, a.module_ids AS module_ids,
  u.username AS username, u.display_name AS display_name, p.employer AS judge_employer,
  sc.id AS scheme_id, sc.rules AS rules, sc.tolerance AS tolerance,
  sc.appeal_window_hours AS appeal_window_hours,
  sc.frozen_at AS frozen_at, sc.scoring_started_at AS scoring_started_at, sc.unblinded_at AS unblinded_at,
  sc.version AS scheme_version,
  r.id AS registration_id, r.station_no AS station_no, r.blind_code AS blind_code,
  r.employer AS registration_employer, r.status AS registration_status,
  (SELECT COUNT(*) FROM recusal rc
    WHERE rc.recusal_key = CAST(a.judge AS TEXT) || ':' || CAST(r.id AS TEXT)) AS recused,
  (SELECT COUNT(*) FROM stage_signoff so WHERE so.stage = {}) AS signed_off,
  (SELECT cf.eliminated_after FROM contestant_facts cf WHERE cf.registration = r.id) AS eliminated_after,
  (SELECT COUNT(*) FROM round_close rcl WHERE rcl.competition = c.id) AS rounds_closed,
  (SELECT COUNT(*) FROM judge_absence ja WHERE ja.competition = c.id AND ja.judge = a.judge
    AND (ja.registration IS NULL OR ja.registration = r.id) AND (ja.stage IS NULL OR ja.stage = {}))
    AS absent,
  EXISTS (SELECT 1 FROM score_sheet js WHERE js.competition = c.id) AS judges_marked
  __REPLAY_COLUMNS__
FROM competition c
LEFT JOIN judge_assignment a ON a.judge_key = {}
LEFT JOIN app_user u ON u.id = a.judge
LEFT JOIN person p ON p.id = u.person
LEFT JOIN scoring_scheme sc ON sc.competition = c.id
LEFT JOIN registration r ON r.competition = c.id AND __REGISTRATION__
__REPLAY_JOIN__
WHERE c.id = {}
"""


async def _context_row(
    user: CurrentUser,
    competition_id: int,
    stage_id: int,
    registration_id: int | None,
    blind_code: str | None,
    client_id: uuid.UUID | None,
) -> tuple[dict[str, Any], str]:
    """The one row of :data:`_ENTRY_SQL`, and the field that named the contestant."""
    if registration_id is None and not blind_code:
        raise Invalid("请指定选手（加密号或报名编号）", code="contestant_required", field="blind_code")
    args: list[Any] = [stage_id, stage_id, f"{competition_id}:{user.id}"]
    if registration_id is not None:
        registration_sql, field = "r.id = {}", "registration_id"
        args.append(registration_id)
    else:
        registration_sql, field = "r.blind_code = {}", "blind_code"
        args.append(normalized_blind_code(blind_code or ""))
    replay_columns = replay_join = ""
    if client_id is not None:
        replay_columns = ", sub.response AS replay, ss.judge AS replay_judge"
        replay_join = (
            "LEFT JOIN submission sub ON sub.client_id = {} LEFT JOIN score_sheet ss ON ss.id = sub.sheet"
        )
        args.append(client_id)
    args.append(competition_id)
    sql = (
        _ENTRY_SQL.replace("__REPLAY_COLUMNS__", replay_columns)
        .replace("__REGISTRATION__", registration_sql)
        .replace("__REPLAY_JOIN__", replay_join)
    )
    rows = await run_sql(sql, *args)
    if not rows:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return rows[0], field


def _judge_and_scheme(row: Mapping[str, Any], competition_id: int) -> tuple[Judge, Scheme]:
    if row["judge_no"] is None:
        raise Forbidden("您不是本竞赛的裁判", code="not_assigned", field="competition_id")
    if row["scheme_id"] is None:
        raise NotFound("本竞赛尚未设置评分标准", code="no_scheme", field="competition_id")
    judge = judge_of(
        {**row, "user_id": row["judge_user_id"], "employer_id": row["judge_employer"]},
    )
    scheme = scheme_of(
        {**row, "id": row["scheme_id"], "competition": competition_id}, version_column="scheme_version"
    )
    return judge, scheme


def _my_aspects(rubric: Rubric, stage_id: int, judge: Judge) -> tuple[rules.Stage, dict[str, rules.Aspect]]:
    """The stage and the aspects of it this judge marks: a rubric stage with at least one of their modules."""
    stage = rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    if stage.kind != "rubric":
        raise Invalid(
            f"环节“{stage.name}”使用导入成绩，不由裁判录入", code="imported_stage", field="stage_id"
        )
    aspects = rubric.judge_aspects(stage.id, judge.module_ids)
    if not aspects:
        raise Forbidden("您未被分配该环节的评分模块", code="not_assigned_stage", field="stage_id")
    return stage, aspects


def _contestant(row: Mapping[str, Any], field: str) -> Contestant:
    if (
        row["registration_id"] is None
        or row["station_no"] is None
        or row["blind_code"] is None
        or row["registration_status"] != "accepted"
    ):
        raise NotFound("本竞赛没有该加密号的参赛选手", code="unknown_contestant", field=field)
    return Contestant(
        registration_id=row["registration_id"],
        station_no=row["station_no"],
        blind_code=row["blind_code"],
        employer_id=row["registration_employer"],
    )


async def _entry_context(
    user: CurrentUser,
    competition_id: int,
    stage_id: int,
    registration_id: int | None,
    blind_code: str | None,
    *,
    client_id: uuid.UUID | None = None,
) -> EntryContext | SheetOut:
    """The checked context of a judge's sheet, or (given a client id already used) its stored answer."""
    row, field = await _context_row(user, competition_id, stage_id, registration_id, blind_code, client_id)
    if client_id is not None and row["replay"] is not None:
        if row["replay_judge"] != user.id:
            raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
        return sheet_writer.decode_answer(JUDGE_SHEETS, row["replay"])
    judge, scheme = _judge_and_scheme(row, competition_id)
    stage, aspects = _my_aspects(scheme.rubric, stage_id, judge)
    contestant = _contestant(row, field)
    refuse_outside_round(scheme.rubric.rules, stage.id, row["eliminated_after"], row["rounds_closed"])
    if row["recused"] or is_recused(judge, contestant, ()):
        raise Forbidden("您需回避该选手，不能查看或评分", code="recused", field="blind_code")
    if row["absent"]:  # 缺席 is recorded: a mark now would contradict the record the panel is combined by
        raise Conflict(
            "您已被登记为该选手（本阶段）缺席，不能评分；如登记有误请联系组织者撤销",
            code="absent",
            field="blind_code",
        )
    return EntryContext(
        competition=CompetitionInfo(
            id=row["competition_id"], title=row["title"], occupation=row["occupation"], state=row["state"]
        ),
        scheme=scheme,
        judge=judge,
        stage=stage,
        contestant=contestant,
        aspects=aspects,
        signed_off=bool(row["signed_off"]),
        judges_marked=bool(row["judges_marked"]),
    )


# ---------------------------------------------------------------------------------------- reading a sheet


def _empty_sheet(ctx: EntryContext) -> SheetOut:
    return SheetOut(
        sheet_id=None,
        competition_id=ctx.competition.id,
        stage_id=int(ctx.stage.id),
        station_no=ctx.contestant.station_no,
        blind_code=ctx.contestant.blind_code,
        status="draft",
        version=0,
        marks=[],
        flags=[],
        stage_signed_off=ctx.signed_off,
    )


async def get_sheet(user: CurrentUser, competition_id: int, stage_id: int, blind_code: str) -> SheetOut:
    """One of my sheets (version 0 before the first write)."""
    ctx = await _entry_context(user, competition_id, stage_id, None, blind_code)
    assert isinstance(ctx, EntryContext)
    sheet = (
        await ScoreSheet.select(
            ScoreSheet.id,
            ScoreSheet.status,
            ScoreSheet.version,
            ScoreSheet.submitted_at,
            ScoreSheet.signed_at,
        )
        .where(ScoreSheet.sheet_key == sheet_key(stage_id, ctx.contestant.registration_id, user.id))
        .first()
    )
    if sheet is None:
        return _empty_sheet(ctx)
    marks = await sheet_writer.sheet_marks(JUDGE_SHEETS, sheet["id"])
    counted = sheet["status"] in COUNTED
    return SheetOut(
        sheet_id=sheet["id"],
        competition_id=ctx.competition.id,
        stage_id=stage_id,
        station_no=ctx.contestant.station_no,
        blind_code=ctx.contestant.blind_code,
        status=sheet["status"],
        version=sheet["version"],
        marks=mark_outs(marks, ctx.aspects),
        flags=await tolerance.sheet_flags(stage_id, ctx.contestant.registration_id, marks)
        if counted and tolerance.flaggable(ctx.scheme.rubric.aspects, marks)
        else [],
        submitted_at=sheet["submitted_at"],
        signed_at=sheet["signed_at"],
        stage_signed_off=ctx.signed_off,
    )


# ---------------------------------------------------------------------------------------- writing a sheet


def _check_marks(data: SheetIn, ctx: EntryContext) -> None:
    def not_markable(i: int, aspect_id: str) -> Invalid:
        known = aspect_id in ctx.scheme.rubric.aspects
        return Invalid(
            f"评分项“{aspect_id}”" + ("不由您在本环节评分" if known else "不在评分标准中"),
            code="aspect_not_assigned" if known else "unknown_aspect",
            field=f"marks[{i}].aspect_id",
            detail={"aspect_id": aspect_id},
        )

    check_marks(data.marks, ctx.aspects, not_markable)


async def _after_write(ctx: EntryContext, written: WrittenSheet) -> list[FlagOut] | None:
    """The first mark freezes the rubric; counted judgement marks that changed recompute the flags (then
    every flag of the contestant's stage as left is returned, for the answer)."""
    if written.changed and ctx.scheme.frozen_at is None:
        await refuse_incomplete_panel(ctx.scheme.competition_id)  # the start of scoring: a complete panel
        await freeze_scheme(ctx.scheme, written.at)
    elif written.changed and written.version == 1 and not ctx.judges_marked:
        # frozen by imported marks, and no judge's sheet was there: this may be the first one
        await refuse_incomplete_panel_at_start(ctx.scheme.competition_id, written.sheet_id)
    if written.status in COUNTED and (written.changed or written.status_changed):
        touched = ctx.aspects if written.status_changed else written.changed
        judgement = {a for a in touched if ctx.aspects[a].kind == "judgement"}
        if judgement:
            return await tolerance.recompute_flags(
                int(ctx.stage.id), ctx.contestant.registration_id, judgement, ctx.scheme.tolerance
            )
    return None


async def _answer(ctx: EntryContext, written: WrittenSheet, flags: list[FlagOut] | None) -> SheetOut:
    stage_id = int(ctx.stage.id)
    counted = written.status in COUNTED
    if counted and flags is not None:  # as the recompute just left them: not read again
        flags = [f for f in flags if f.aspect_id in written.marks]
    elif counted and tolerance.flaggable(ctx.scheme.rubric.aspects, written.marks):
        flags = await tolerance.sheet_flags(stage_id, ctx.contestant.registration_id, written.marks)
    return SheetOut(
        sheet_id=written.sheet_id,
        competition_id=ctx.competition.id,
        stage_id=stage_id,
        station_no=ctx.contestant.station_no,
        blind_code=ctx.contestant.blind_code,
        status=written.status,
        version=written.version,
        marks=mark_outs(written.marks, ctx.aspects),
        flags=flags if counted and flags is not None else [],
        submitted_at=written.submitted_at,
        signed_at=None,
    )


async def _write(ctx: EntryContext, user: CurrentUser, actor: Actor, data: SheetIn) -> SheetOut | None:
    registration_id = ctx.contestant.registration_id
    write = SheetWrite(
        key=sheet_key(data.stage_id, registration_id, user.id),
        new_sheet={
            "competition": data.competition_id,
            "stage": data.stage_id,
            "registration": registration_id,
            "judge": user.id,
        },
        owner_id=user.id,
        client_id=data.client_id,
        base_version=data.base_version,
        marks=data.marks,
        submit=data.submit,
        aspects=list(ctx.aspects),
        actor=actor,
        audit_facts={"station_no": ctx.contestant.station_no, "stage_id": data.stage_id},
    )

    left: list[list[FlagOut] | None] = [None]  # the flags after_write leaves, for respond

    async def respond(written: WrittenSheet) -> SheetOut:
        return await _answer(ctx, written, left[0])

    async def after_write(written: WrittenSheet) -> None:
        left[0] = await _after_write(ctx, written)

    return await sheet_writer.write_sheet(JUDGE_SHEETS, write, respond=respond, after_write=after_write)


async def put_sheet(user: CurrentUser, actor: Actor, data: SheetIn) -> tuple[SheetOut, bool]:
    """Save (draft) or submit marks of one sheet; returns (sheet, replayed).

    Reads and checks that cannot go stale run first, outside the write lock (a replay's stored answer,
    assignment, recusal, the rubric, every mark's validity, the stage sign-off: signing a stage needs every
    sheet signed, and signing bumps the sheet's version). Then one transaction: the versioned update, every
    mark, the audit row, the scheme freeze, the tolerance flags and the stored answer commit together or
    not at all. A concurrent replay is caught by the version check or the unique client id and answered
    from the stored record.
    """
    ctx = await _entry_context(
        user,
        data.competition_id,
        data.stage_id,
        data.registration_id,
        data.blind_code,
        client_id=data.client_id,
    )
    if isinstance(ctx, SheetOut):  # a replay: the first answer, nothing written
        return ctx, True
    if ctx.competition.state == "finished":
        raise Conflict("竞赛已结束，评分已锁定", code="competition_finished", field="competition_id")
    _check_marks(data, ctx)
    if ctx.signed_off:
        raise Conflict(
            "该环节已由裁判长签字确认，评分已锁定；如需更正请联系裁判长",
            code="stage_signed_off",
            field="stage_id",
        )
    out, replayed = await sheet_writer.submit_once(
        JUDGE_SHEETS,
        data.client_id,
        user.id,
        lambda: _write(ctx, user, actor, data),
        check_first=False,  # the entry context's query has looked for the stored answer already
    )
    if not replayed:
        await notify(data.competition_id)
    return out, replayed
