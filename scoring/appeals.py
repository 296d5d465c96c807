"""Appeals (申诉): a contestant appeals their own result in writing, within the declared window after the
results are first published (2 hours by default: nobody appeals a result they have not seen, and a late
publication still leaves the whole window), or after a correction republished that result changed for
them (their stage score, or anything on their row for the whole result: a rank moved by another
contestant's correction counts; results a correction left as they were keep their first window, so a
correction does not reopen every closed matter), to the competition's arbitration group
(:mod:`scoring.arbitration`), whose answer is final: upheld with a correction (applied and republished as
the next version when the published figures change, in the same transaction) or dismissed with a reason.
Once answered, the same matter (the contestant's stage, or their result as a whole) cannot be appealed
again. Everything is audited.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import User
from competitions.tables import Registration
from core.db import utcnow, write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound
from scoring import live
from scoring.arbitration import is_member
from scoring.corrections import apply_appeal_correction
from scoring.publication import Published, announce, board_changes, publish_in_transaction, published_versions
from scoring.results import competition_head, latest_publication, scheme_row, stages_of
from scoring.results_schemas import AnswerIn, AppealIn, AppealOut, MyAppeals, PublicBoard, StageWindow
from scoring.tables import Appeal


def _window(opens: dt.datetime | None, hours: int, now: dt.datetime) -> StageWindow:
    closes = None if opens is None else opens + dt.timedelta(hours=hours)
    is_open = opens is not None and closes is not None and opens <= now < closes
    return StageWindow(stage_id=0, name="", opens_at=opens, closes_at=closes, open=is_open)


def reopened_at(
    versions: Sequence[tuple[dt.datetime, PublicBoard]], blind_code: str
) -> dict[int | None, dt.datetime]:
    """When corrections reopened a contestant's appeal windows, by matter (a stage's id; None: the whole
    result): the time of the latest version after the first that changed it for them. A stage reopens when
    their score in it moved; the whole result when anything on their row did (score, rank, prize,
    disqualification, a stage, their place on the board), a rank moved by someone else's correction too.
    A matter no correction changed is absent: its window is the first publication's."""
    reopened: dict[int | None, dt.datetime] = {}
    for (_, old), (published_at, new) in itertools.pairwise(versions):
        fields = {c.field for c in board_changes(old, new) if c.blind_code == blind_code}
        if fields:
            reopened[None] = published_at
        for field in fields:
            stage = field.removeprefix("stage:")
            if field.startswith("stage:") and stage.isdigit():
                reopened[int(stage)] = published_at
    return reopened


async def _windows(
    competition_id: int, hours: int, blind_code: str, answered: frozenset[int | None] = frozenset()
) -> tuple[list[StageWindow], StageWindow]:
    """A contestant's appeal window on each stage and on the whole result, for ``hours``: open at the first
    publication, and again at a correction that changed that result for them (:func:`reopened_at`).
    ``answered``: the stages (None: the whole result) whose appeal the arbitration group has answered."""
    now = utcnow()
    versions = [(row["published_at"], board) for row, board in await published_versions(competition_id)]
    first = versions[0][0] if versions else None
    again = reopened_at(versions, blind_code)
    windows = [
        msgspec.structs.replace(
            _window(again.get(row["id"], first), hours, now),
            stage_id=row["id"],
            name=row["name"],
            final=row["id"] in answered,
        )
        for row in await stages_of(competition_id)
    ]
    overall = _window(again.get(None, first), hours, now)
    return windows, msgspec.structs.replace(overall, name="总成绩", final=None in answered)


def _appeal_out(
    row: Mapping[str, Any], *, stage_names: Mapping[int, str], organizer: bool, republished: int | None = None
) -> AppealOut:
    return AppealOut(
        id=row["id"],
        competition_id=row["competition"],
        blind_code=row["blind_code"],
        station_no=row["station_no"],
        stage_id=row["stage"],
        stage_name=None if row["stage"] is None else stage_names.get(row["stage"]),
        grounds=row["grounds"],
        lodged_at=row["lodged_at"],
        status=row["status"],
        answer=row["answer"],
        answered_at=row["answered_at"],
        answered_by_name=row.get("answered_by_name"),
        republished_version=republished,
        appellant_name=row["appellant_name"] if organizer else None,
    )


_APPEAL_COLUMNS = (
    Appeal.id,
    Appeal.competition,
    Appeal.registration,
    Appeal.stage,
    Appeal.grounds,
    Appeal.lodged_at,
    Appeal.status,
    Appeal.answer,
    Appeal.answered_by,
    Appeal.answered_at,
    Appeal.version,
    Appeal.registration.blind_code.as_alias("blind_code"),
    Appeal.registration.station_no.as_alias("station_no"),
    Appeal.registration.person.name.as_alias("appellant_name"),
)


async def _appeal_rows(condition: Any) -> list[dict[str, Any]]:
    rows = await Appeal.select(*_APPEAL_COLUMNS).where(condition).order_by(Appeal.id)
    answerers = {row["answered_by"] for row in rows if row["answered_by"] is not None}
    names = {}
    if answerers:
        names = {
            u["id"]: u["display_name"]
            for u in await User.select(User.id, User.display_name).where(User.id.is_in(list(answerers)))
        }
    for row in rows:
        row["answered_by_name"] = names.get(row["answered_by"])
    return rows


async def _stage_names(competition_id: int) -> dict[int, str]:
    return {row["id"]: row["name"] for row in await stages_of(competition_id)}


async def _own_registration(user: CurrentUser, registration_id: int) -> dict[str, Any]:
    """The appellant's own drawn registration; 404, 403 or 409 naming ``registration_id`` otherwise."""
    registration = (
        await Registration.select(
            Registration.id, Registration.competition, Registration.person, Registration.blind_code
        )
        .where(Registration.id == registration_id)
        .first()
    )
    if registration is None:
        raise NotFound("报名记录不存在", code="registration_not_found", field="registration_id")
    if user.person_id is None or registration["person"] != user.person_id:
        raise Forbidden("只能对本人的成绩提出申诉", code="not_own_registration", field="registration_id")
    if registration["blind_code"] is None:
        raise Conflict("尚未抽签参赛，不能申诉", code="not_a_contestant", field="registration_id")
    return registration


async def _refuse_closed_window(competition_id: int, stage_id: int | None, blind_code: str) -> None:
    """409 unless the contestant's appeal window of the stage (None: the result as a whole) is open now."""
    hours = (await scheme_row(competition_id))["appeal_window_hours"]
    windows, overall = await _windows(competition_id, hours, blind_code)
    if stage_id is None:
        window = overall
    else:
        window = next((w for w in windows if w.stage_id == stage_id), None)
        if window is None:
            raise Invalid("该环节不属于本竞赛", code="unknown_stage", field="stage_id")
    if window.open:
        return
    if window.opens_at is None or utcnow() < window.opens_at:
        message = f"成绩尚未发布，发布后 {hours} 小时内可以申诉"
    else:
        message = f"申诉期已过：须在成绩发布（或更正后重新发布）后 {hours} 小时内提出"
    raise Conflict(
        message,
        code="appeal_window_closed",
        detail={
            "opens_at": window.opens_at and window.opens_at.isoformat(),
            "closes_at": window.closes_at and window.closes_at.isoformat(),
        },
    )


async def lodge_appeal(actor: Actor, user: CurrentUser, data: AppealIn) -> AppealOut:
    """A contestant appeals their own result, within the declared window after the stage ends."""
    registration = await _own_registration(user, data.registration_id)
    competition_id = registration["competition"]
    await _refuse_closed_window(competition_id, data.stage_id, registration["blind_code"])
    async with write_transaction():
        same_stage = Appeal.stage.is_null() if data.stage_id is None else Appeal.stage == data.stage_id
        earlier = await Appeal.select(Appeal.id, Appeal.status).where(
            (Appeal.registration == data.registration_id) & same_stage
        )
        if any(row["status"] == "pending" for row in earlier):
            raise Conflict("该环节已有待处理的申诉", code="appeal_pending", field="stage_id")
        if earlier:
            # The arbitration group's answer is final: the same matter is not heard twice.
            raise Conflict(
                "监督仲裁组已就该环节的申诉作出答复，仲裁结论为最终结论，不能再次申诉",
                code="appeal_final",
                field="stage_id",
                detail={"appeal_ids": [row["id"] for row in earlier]},
            )
        appeal = Appeal(
            competition=competition_id,
            registration=data.registration_id,
            stage=data.stage_id,
            lodged_by=user.id,
            grounds=data.grounds,
            lodged_at=utcnow(),
        )
        await appeal.save()
        await audit.record(
            actor,
            "appeal.lodge",
            "appeal",
            appeal.id,
            after={
                "competition_id": competition_id,
                "blind_code": registration["blind_code"],
                "stage_id": data.stage_id,
                "grounds": data.grounds,
            },
        )
    rows = await _appeal_rows(Appeal.id == appeal.id)
    return _appeal_out(rows[0], stage_names=await _stage_names(competition_id), organizer=False)


async def my_appeals(user: CurrentUser, competition_id: int) -> MyAppeals:
    competition = await competition_head(competition_id)
    registration = None
    if user.person_id is not None:
        registration = (
            await Registration.select(Registration.id, Registration.blind_code)
            .where(
                (Registration.competition == competition_id)
                & (Registration.person == user.person_id)
                & Registration.blind_code.is_not_null()
            )
            .first()
        )
    if registration is None:
        raise NotFound("您没有参加该竞赛", code="not_a_contestant")
    scheme = await scheme_row(competition_id)
    rows = await _appeal_rows(Appeal.registration == registration["id"])
    answered = frozenset(r["stage"] for r in rows if r["status"] != "pending")
    windows, overall = await _windows(
        competition_id, scheme["appeal_window_hours"], registration["blind_code"], answered
    )
    names = await _stage_names(competition_id)
    return MyAppeals(
        competition_id=competition_id,
        title=competition.title,
        registration_id=registration["id"],
        window_hours=scheme["appeal_window_hours"],
        stages=[*windows, overall],
        appeals=[_appeal_out(r, stage_names=names, organizer=False) for r in rows],
    )


async def list_appeals(user: CurrentUser, competition_id: int) -> list[AppealOut]:
    """Organizers and the arbitration group's members: every appeal of the competition."""
    await competition_head(competition_id)
    organizer = user.role == Role.ORGANIZER
    if not organizer and not await is_member(competition_id, user.id):
        raise Forbidden("只有组织者和监督仲裁组成员可以查看申诉", code="not_arbitration_member")
    rows = await _appeal_rows(Appeal.competition == competition_id)
    names = await _stage_names(competition_id)
    return [_appeal_out(r, stage_names=names, organizer=organizer) for r in rows]


def _refuse_bad_answer(data: AnswerIn) -> None:
    if data.decision == "upheld" and data.correction is None:
        raise Invalid("申诉成立须同时给出成绩更正", code="correction_required", field="correction")
    if data.decision == "dismissed" and data.correction is not None:
        raise Invalid("驳回申诉不应附带成绩更正", code="correction_not_allowed", field="correction")
    if not data.reason.strip():
        raise Invalid("须说明处理理由", code="reason_required", field="reason")


async def _mark_answered(user: CurrentUser, appeal_id: int, data: AnswerIn) -> dict[str, Any]:
    """The pending appeal, now answered by a member of its arbitration group (once: the answer is final)."""
    appeal = await Appeal.select().where(Appeal.id == appeal_id).first()
    if appeal is None:
        raise NotFound(f"申诉不存在：{appeal_id}", code="appeal_not_found")
    if not await is_member(appeal["competition"], user.id):
        raise Forbidden("只有本竞赛监督仲裁组成员可以答复申诉", code="not_arbitration_member")
    if appeal["status"] != "pending":
        raise Conflict("该申诉已答复，仲裁结论为最终结论", code="appeal_answered")
    updated = (
        await Appeal.update(
            {
                Appeal.status: data.decision,
                Appeal.answer: data.reason.strip(),
                Appeal.answered_by: user.id,
                Appeal.answered_at: utcnow(),
                Appeal.version: Appeal.version + 1,
            }
        )
        .where((Appeal.id == appeal_id) & (Appeal.status == "pending"))
        .returning(Appeal.id)
    )
    if not updated:
        raise Conflict("该申诉已答复，仲裁结论为最终结论", code="appeal_answered")
    return appeal


async def answer_appeal(actor: Actor, user: CurrentUser, appeal_id: int, data: AnswerIn) -> AppealOut:
    """The arbitration group's final answer: upheld with a correction (republished if already published)
    or dismissed with a reason. A second answer is refused. Audited."""
    _refuse_bad_answer(data)
    republished: Published | None = None
    changed = False
    async with write_transaction():
        appeal = await _mark_answered(user, appeal_id, data)
        competition_id = appeal["competition"]
        reason = f"申诉 #{appeal_id} 成立：{data.reason.strip()}"
        if data.correction is not None:
            changed = await apply_appeal_correction(
                actor, competition_id, appeal["registration"], data.correction, reason
            )
        await audit.record(
            actor,
            "appeal.answer",
            "appeal",
            appeal_id,
            before={"status": "pending"},
            after={
                "status": data.decision,
                "correction": None if data.correction is None else msgspec.to_builtins(data.correction),
            },
            reason=data.reason.strip(),
        )
        latest = await latest_publication(competition_id)
        if changed and latest is not None:
            try:
                republished = await publish_in_transaction(
                    actor, competition_id, previous_version=latest["version"], reason=reason, accept_ties=True
                )
            except Conflict as exc:
                # A correction that leaves every published figure as it was is no new version; it is
                # refused before anything is written, so the answer and the correction still stand.
                if exc.code != "results_unchanged":
                    raise
    if republished is not None:
        await announce(competition_id, republished.version)
    elif changed:
        await live.marks_changed(competition_id)
    rows = await _appeal_rows(Appeal.id == appeal_id)
    return _appeal_out(
        rows[0],
        stage_names=await _stage_names(competition_id),
        organizer=user.role == Role.ORGANIZER,
        republished=None if republished is None else republished.version,
    )
