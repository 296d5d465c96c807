"""Expert review (专家评审): the panel of experts, their sheets, and the review score of each nomination.

Score entry follows the competition judges' sheets (``scoring.service.put_sheet``) with the same guarantees:

* **Idempotent**: every write carries the tablet's ``client_id`` (a UUID made once per write). The first
  answer is stored with it (:class:`ReviewSubmission`) in the same transaction as the marks, and a replay,
  even one racing the original, returns that answer (``x-replayed: 1``), never a second write or a 500.
* **Versioned**: the sheet row is updated ``WHERE version = base_version``; a stale write gets 409
  ``stale_version`` with the current marks, never a silent overwrite.
* **Validated**: each mark by ``scoring.rules.validate_mark`` (422 naming the aspect), at most 3 decimals.
* **Audited**: ``review_sheet.save`` / ``review_sheet.submit`` with the old and new marks, in the transaction.
* **Locked**: only while the programme is in 专家评审; entering 建议名单 takes the programme row
  ``FOR UPDATE`` and every sheet write takes it ``FOR SHARE`` (PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
  serialises writers anyway), so no mark can slip in after the scores were aggregated.

Who reviews what: every eligible union nomination of the programme, except that a reviewer is recused
(回避) from the nominees of their own employer (the expert's person record's employer), computed on every
read and write, so such a nomination is neither shown to them nor accepted from them nor counted.
Direct nominations (直接推荐) are not reviewed: they are pre-selected (see :mod:`awards.notice`).

Aggregation reuses the competition engine: the programme's ``review_rules`` (one rubric stage) go to
``scoring.rules.aggregate`` with the submitted sheets as marks and each nomination's non-recused reviewers as
the expected panel; the final score (out of 100) is the review score.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import User
from awards.rules import STATE_NAMES, ProgrammeState
from awards.schemas import (
    KIND_NAMES,
    Achievements,
    MissingReview,
    PanelOut,
    ReviewAspectOut,
    ReviewerOut,
    ReviewMarkOut,
    ReviewNominationOut,
    ReviewNominationsPage,
    ReviewProgrammeOut,
    ReviewProgressOut,
    ReviewSheetIn,
    ReviewSheetOut,
)
from awards.tables import (
    Attachment,
    Nomination,
    Programme,
    Reviewer,
    ReviewMark,
    ReviewSheet,
    ReviewSubmission,
)
from core.db import engine_name, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from scoring import rules as scoring_rules
from scoring.service import check_marks, plain

SUBMITTED = "submitted"
LIVE = ("nominated", "shortlisted", "awarded")  # nominations still in the running
PANEL_STATES = frozenset(
    {
        ProgrammeState.DRAFT,
        ProgrammeState.OPEN,
        ProgrammeState.ELIGIBILITY_REVIEW,
        ProgrammeState.EXPERT_REVIEW,
    }
)


# ------------------------------------------------------------------------------------------- small helpers


def _decode_json(raw: Any) -> Any:
    if raw is None:
        return None
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


class Rubric:
    """The decoded review rules plus the aspect look-ups entry needs (cached per stored JSON text)."""

    def __init__(self, rules: scoring_rules.CompetitionRules) -> None:
        self.rules = rules
        self.aspects: dict[str, scoring_rules.Aspect] = {}
        self.outs: list[ReviewAspectOut] = []
        for stage in rules.stages:
            for module in stage.modules:
                for aspect in module.aspects:
                    self.aspects[aspect.id] = aspect
                    self.outs.append(
                        ReviewAspectOut(
                            id=aspect.id,
                            name=aspect.name,
                            kind=aspect.kind,
                            max_mark=aspect.max_mark,
                            step=aspect.step,
                            module_id=module.id,
                            module_name=module.name,
                        )
                    )


_RUBRICS: dict[str, Rubric] = {}


def rubric_of(raw: Any) -> Rubric | None:
    """The programme's ``review_rules`` column decoded (None when no rubric is set)."""
    if raw is None or raw in ("null", b"null"):
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not isinstance(text, str):
        text = msgspec.json.encode(raw).decode()
    hit = _RUBRICS.get(text)
    if hit is None:
        if len(_RUBRICS) > 64:
            _RUBRICS.clear()
        decoded = msgspec.json.decode(text, type=scoring_rules.CompetitionRules | None)
        if decoded is None:
            return None
        hit = _RUBRICS[text] = Rubric(decoded)
    return hit


async def programme_row(programme_id: int, *, lock: str | None = None) -> dict[str, Any]:
    """The programme row; inside a write transaction ``lock`` takes it FOR UPDATE/SHARE on PostgreSQL."""
    query = Programme.select().where(Programme.id == programme_id)
    if lock and engine_name() == "postgres":
        query = query.lock_rows(lock)  # type: ignore[arg-type]
    row = await query.first()
    if row is None:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    return row


def _stale(version: int, status: str, marks: Sequence[ReviewMarkOut]) -> Conflict:
    return Conflict(
        "评审表已被更新（可能在另一台平板上），请核对最新分数后重新录入",
        code="stale_version",
        field="base_version",
        detail={
            "current_version": version,
            "status": status,
            "marks": [{"aspect_id": m.aspect_id, "value": str(m.value)} for m in marks],
        },
    )


# ------------------------------------------------------------------------------------------------ panel


class PanelMember(msgspec.Struct, kw_only=True, gc=False):
    user_id: int
    username: str
    display_name: str
    reviewer_no: int
    employer_id: int | None
    employer_name: str | None


async def panel(programme_id: int) -> list[PanelMember]:
    rows = (
        await Reviewer.select(
            Reviewer.expert.as_alias("user_id"),
            Reviewer.expert.username.as_alias("username"),
            Reviewer.expert.display_name.as_alias("display_name"),
            Reviewer.expert.person.employer.as_alias("employer_id"),
            Reviewer.expert.person.employer.name.as_alias("employer_name"),
            Reviewer.reviewer_no,
        )
        .where(Reviewer.programme == programme_id)
        .order_by(Reviewer.reviewer_no)
    )
    return [PanelMember(**r) for r in rows]


async def _member(programme_id: int, user_id: int) -> PanelMember | None:
    return next((m for m in await panel(programme_id) if m.user_id == user_id), None)


def _review_pool_condition(programme_id: int) -> Any:
    """The nominations experts review: eligible union nominations still in the running."""
    return (
        (Nomination.programme == programme_id)
        & Nomination.status.is_in(list(LIVE))
        & (Nomination.eligibility_status == "eligible")
        & (Nomination.source == "union")
    )


def _not_recused(employer_id: int | None) -> Any:
    """SQL condition: the nominee is not of this employer (no condition when the expert has none)."""
    if employer_id is None:
        return None
    return (Nomination.person.employer != employer_id) | Nomination.person.employer.is_null()


class PoolRow(msgspec.Struct, kw_only=True, gc=False):
    nomination_id: int
    name: str
    employer_id: int | None


async def review_pool(programme_id: int) -> list[PoolRow]:
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.as_alias("employer_id"),
        )
        .where(_review_pool_condition(programme_id))
        .order_by(Nomination.id)
    )
    return [PoolRow(nomination_id=r["id"], name=r["name"], employer_id=r["employer_id"]) for r in rows]


def is_recused(member: PanelMember, nominee_employer_id: int | None) -> bool:
    return member.employer_id is not None and member.employer_id == nominee_employer_id


async def _sheet_counts(programme_id: int) -> dict[tuple[int, str], int]:
    rows = (
        await ReviewSheet.select(ReviewSheet.expert, ReviewSheet.status, Count())
        .where(ReviewSheet.programme == programme_id)
        .group_by(ReviewSheet.expert, ReviewSheet.status)
    )
    return {(r["expert"], r["status"]): r["count"] for r in rows}


def _reviewer_out(
    member: PanelMember, pool: Sequence[PoolRow], counts: Mapping[tuple[int, str], int]
) -> ReviewerOut:
    recused = sum(1 for p in pool if is_recused(member, p.employer_id))
    return ReviewerOut(
        user_id=member.user_id,
        username=member.username,
        display_name=member.display_name,
        reviewer_no=member.reviewer_no,
        employer_name=member.employer_name,
        recused=recused,
        to_review=len(pool) - recused,
        submitted=counts.get((member.user_id, SUBMITTED), 0),
        drafts=counts.get((member.user_id, "draft"), 0),
    )


async def get_panel(programme_id: int) -> PanelOut:
    row = await programme_row(programme_id)
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    counts = await _sheet_counts(programme_id)
    rubric = rubric_of(row["review_rules"])
    problems: list[scoring_rules.Problem] = []
    if rubric is not None:
        problems = scoring_rules.validate_panel(rubric.rules, dict.fromkeys(rubric.aspects, len(members)))
    return PanelOut(
        programme_id=programme_id,
        reviewers=[_reviewer_out(m, pool, counts) for m in members],
        panel_problems=problems,
    )


def _refuse_panel_change(row: Mapping[str, Any]) -> None:
    if row["state"] not in PANEL_STATES:
        state = STATE_NAMES.get(row["state"], row["state"])
        raise Conflict(
            f"评选处于「{state}」阶段，不能再调整评审专家",
            code="panel_locked",
            field="programme_id",
            detail={"state": row["state"]},
        )


async def add_reviewers(actor: Actor, programme_id: int, expert_ids: Sequence[int]) -> PanelOut:
    """Assign experts (users of role ``expert``, active) to the programme; numbered after the last one.
    Someone already on the panel is left as they are (the call is idempotent)."""
    wanted = list(dict.fromkeys(expert_ids))
    users = {
        u["id"]: u
        for u in await User.select(User.id, User.role, User.active, User.display_name).where(
            User.id.is_in(wanted)
        )
    }
    for index, user_id in enumerate(wanted):
        user = users.get(user_id)
        if user is None or user["role"] != Role.EXPERT or not user["active"]:
            raise Invalid(
                f"用户 {user_id} 不是在用的评审专家账号",
                code="not_an_expert",
                field=f"expert_ids[{index}]",
                detail={"user_id": user_id},
            )
    now = utcnow()
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        _refuse_panel_change(row)
        current = {
            r["expert"]: r["reviewer_no"]
            for r in await Reviewer.select(Reviewer.expert, Reviewer.reviewer_no).where(
                Reviewer.programme == programme_id
            )
        }
        next_no = max(current.values(), default=0) + 1
        added: dict[int, int] = {}
        for user_id in wanted:
            if user_id in current:
                continue
            added[user_id] = next_no
            next_no += 1
        if added:
            await Reviewer.insert(
                *(
                    Reviewer(
                        programme=programme_id,
                        expert=user_id,
                        reviewer_key=f"{programme_id}:{user_id}",
                        reviewer_no=no,
                        created_at=now,
                    )
                    for user_id, no in added.items()
                )
            )
            await audit.record(
                actor,
                "reviewer.add",
                "programme",
                programme_id,
                after={
                    "reviewers": [
                        {"user_id": u, "reviewer_no": n, "name": users[u]["display_name"]}
                        for u, n in added.items()
                    ]
                },
            )
    return await get_panel(programme_id)


async def remove_reviewer(actor: Actor, programme_id: int, user_id: int) -> PanelOut:
    """Take an expert off the panel; refused once they have written a sheet (their marks stay on record)."""
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        _refuse_panel_change(row)
        reviewer = (
            await Reviewer.select(Reviewer.id, Reviewer.reviewer_no)
            .where(Reviewer.reviewer_key == f"{programme_id}:{user_id}")
            .first()
        )
        if reviewer is None:
            raise NotFound("该专家不在本评选的评审组中", code="not_a_reviewer", field="user_id")
        if await ReviewSheet.exists().where(
            (ReviewSheet.programme == programme_id) & (ReviewSheet.expert == user_id)
        ):
            raise Conflict(
                "该专家已录入评审分数，不能移出评审组", code="reviewer_has_sheets", field="user_id"
            )
        await Reviewer.delete().where(Reviewer.id == reviewer["id"])
        await audit.record(
            actor,
            "reviewer.remove",
            "programme",
            programme_id,
            before={"user_id": user_id, "reviewer_no": reviewer["reviewer_no"]},
        )
    return await get_panel(programme_id)


# -------------------------------------------------------------------------------------- the expert's view


async def my_programmes(user: CurrentUser) -> list[ReviewProgrammeOut]:
    ids = [
        r["programme"]
        for r in await Reviewer.select(Reviewer.programme)
        .where(Reviewer.expert == user.id)
        .order_by(Reviewer.programme, ascending=False)
    ]
    return [await my_programme(user, programme_id) for programme_id in ids]


async def _my_member(programme_id: int, user: CurrentUser) -> PanelMember:
    member = await _member(programme_id, user.id)
    if member is None:
        raise Forbidden("您不是本评选的评审专家", code="not_a_reviewer", field="programme_id")
    return member


async def my_programme(user: CurrentUser, programme_id: int) -> ReviewProgrammeOut:
    row = await programme_row(programme_id)
    member = await _my_member(programme_id, user)
    rubric = rubric_of(row["review_rules"])
    pool = await review_pool(programme_id)
    mine = [p for p in pool if not is_recused(member, p.employer_id)]
    counts = await _sheet_counts(programme_id)
    return ReviewProgrammeOut(
        programme_id=programme_id,
        name=row["name"],
        year=row["year"],
        kind_name=KIND_NAMES.get(row["kind"], row["kind"]),
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        open_for_review=row["state"] == ProgrammeState.EXPERT_REVIEW,
        reviewer_no=member.reviewer_no,
        aspects=list(rubric.outs) if rubric else [],
        to_review=len(mine),
        submitted=counts.get((user.id, SUBMITTED), 0),
        drafts=counts.get((user.id, "draft"), 0),
    )


async def _marks_of(sheet_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    ids = list(sheet_ids)
    out: dict[int, dict[str, Decimal]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        for r in await ReviewMark.select(ReviewMark.sheet, ReviewMark.aspect_id, ReviewMark.value).where(
            ReviewMark.sheet.is_in(ids[start : start + 500])
        ):
            out[r["sheet"]][r["aspect_id"]] = plain(r["value"])
    return out


def _mark_outs(marks: Mapping[str, Decimal], order: Iterable[str]) -> list[ReviewMarkOut]:
    ordered = list(order)
    known = set(ordered)
    keys = [a for a in ordered if a in marks] + sorted(a for a in marks if a not in known)
    return [ReviewMarkOut(aspect_id=a, value=marks[a]) for a in keys]


def _empty_sheet(programme_id: int, nomination_id: int) -> ReviewSheetOut:
    return ReviewSheetOut(
        sheet_id=None,
        programme_id=programme_id,
        nomination_id=nomination_id,
        status="draft",
        version=0,
        marks=[],
    )


_SHEET_COLUMNS = (
    ReviewSheet.id,
    ReviewSheet.nomination,
    ReviewSheet.status,
    ReviewSheet.version,
    ReviewSheet.submitted_at,
)


async def my_nominations(
    user: CurrentUser,
    programme_id: int,
    *,
    status: str | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ReviewNominationsPage:
    """The nominations this expert scores (recused ones are absent), with their sheet of each.

    ``status``: ``todo`` (no sheet submitted yet), ``draft`` or ``submitted``.
    """
    row = await programme_row(programme_id)
    member = await _my_member(programme_id, user)
    rubric = rubric_of(row["review_rules"])
    condition = _review_pool_condition(programme_id)
    recusal = _not_recused(member.employer_id)
    if recusal is not None:
        condition &= recusal
    if query:
        condition &= Nomination.person.name.like(f"%{query.strip()}%")
    if status:
        mine = ReviewSheet.select(ReviewSheet.nomination).where(
            (ReviewSheet.programme == programme_id)
            & (ReviewSheet.expert == user.id)
            & (ReviewSheet.status == (SUBMITTED if status == "todo" else status))
        )
        condition &= Nomination.id.not_in(mine) if status == "todo" else Nomination.id.is_in(mine)
    total = await Nomination.count().where(condition)
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.achievements,
            Nomination.deed,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.name.as_alias("employer_name"),
            Nomination.union.name.as_alias("union_name"),
        )
        .where(condition)
        .order_by(Nomination.id)
        .limit(limit)
        .offset(offset)
    )
    ids = [r["id"] for r in rows]
    sheets: dict[int, dict[str, Any]] = {}
    attachments: dict[int, int] = {}
    if ids:
        sheets = {
            s["nomination"]: s
            for s in await ReviewSheet.select(*_SHEET_COLUMNS).where(
                (ReviewSheet.expert == user.id) & ReviewSheet.nomination.is_in(ids)
            )
        }
        attachments = {
            r["nomination"]: r["count"]
            for r in await Attachment.select(Attachment.nomination, Count())
            .where(Attachment.nomination.is_in(ids))
            .group_by(Attachment.nomination)
        }
    marks = await _marks_of(s["id"] for s in sheets.values())
    order = list(rubric.aspects) if rubric else []
    items = []
    for r in rows:
        sheet = sheets.get(r["id"])
        items.append(
            ReviewNominationOut(
                nomination_id=r["id"],
                name=r["name"],
                employer_name=r["employer_name"],
                union_name=r["union_name"],
                achievements=msgspec.convert(_decode_json(r["achievements"]) or {}, Achievements),
                deed=r["deed"],
                attachments=attachments.get(r["id"], 0),
                sheet=_sheet_out(programme_id, r["id"], sheet, marks.get(sheet["id"], {}), order)
                if sheet
                else _empty_sheet(programme_id, r["id"]),
            )
        )
    return ReviewNominationsPage(total=total, limit=limit, offset=offset, items=items)


def _sheet_out(
    programme_id: int,
    nomination_id: int,
    sheet: Mapping[str, Any],
    marks: Mapping[str, Decimal],
    order: Iterable[str],
) -> ReviewSheetOut:
    return ReviewSheetOut(
        sheet_id=sheet["id"],
        programme_id=programme_id,
        nomination_id=nomination_id,
        status=sheet["status"],
        version=sheet["version"],
        marks=_mark_outs(marks, order),
        submitted_at=sheet["submitted_at"],
    )


class _Entry(msgspec.Struct, kw_only=True):
    programme: dict[str, Any]
    member: PanelMember
    rubric: Any  # Rubric
    nomination_id: int


async def _entry(user: CurrentUser, programme_id: int, nomination_id: int, *, lock: bool) -> _Entry:
    """Who may read or write this sheet: a reviewer of the programme, not recused from the nominee."""
    row = await programme_row(programme_id, lock="SHARE" if lock else None)
    member = await _my_member(programme_id, user)
    rubric = rubric_of(row["review_rules"])
    if rubric is None:
        raise Conflict("尚未设置专家评审标准", code="review_rules_missing", field="programme_id")
    nominee = (
        await Nomination.select(Nomination.id, Nomination.person.employer.as_alias("employer_id"))
        .where(_review_pool_condition(programme_id) & (Nomination.id == nomination_id))
        .first()
    )
    if nominee is None:
        raise NotFound("本评选没有该推荐人选，或其不需评审", code="unknown_nomination", field="nomination_id")
    if is_recused(member, nominee["employer_id"]):
        raise Forbidden(
            "该人选与您为同一工作单位，您需回避，不能查看或评分", code="recused", field="nomination_id"
        )
    return _Entry(programme=row, member=member, rubric=rubric, nomination_id=nomination_id)


def _sheet_key(nomination_id: int, user_id: int) -> str:
    return f"{nomination_id}:{user_id}"


async def get_sheet(user: CurrentUser, programme_id: int, nomination_id: int) -> ReviewSheetOut:
    entry = await _entry(user, programme_id, nomination_id, lock=False)
    sheet = (
        await ReviewSheet.select(*_SHEET_COLUMNS)
        .where(ReviewSheet.sheet_key == _sheet_key(nomination_id, user.id))
        .first()
    )
    if sheet is None:
        return _empty_sheet(programme_id, nomination_id)
    marks = (await _marks_of([sheet["id"]]))[sheet["id"]]
    return _sheet_out(programme_id, nomination_id, sheet, marks, entry.rubric.aspects)


def _check_marks(data: ReviewSheetIn, aspects: Mapping[str, scoring_rules.Aspect]) -> None:
    def not_in_rubric(i: int, aspect_id: str) -> Invalid:
        return Invalid(
            f"评分项“{aspect_id}”不在评审标准中",
            code="unknown_aspect",
            field=f"marks[{i}].aspect_id",
            detail={"aspect_id": aspect_id},
        )

    check_marks(data.marks, aspects, not_in_rubric)


async def _stored_submission(client_id: uuid.UUID, user_id: int) -> ReviewSheetOut | None:
    row = (
        await ReviewSubmission.select(
            ReviewSubmission.response, ReviewSubmission.sheet.expert.as_alias("expert")
        )
        .where(ReviewSubmission.client_id == client_id)
        .first()
    )
    if row is None:
        return None
    if row["expert"] != user_id:
        raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
    raw = row["response"]
    return msgspec.json.decode(
        raw.encode() if isinstance(raw, str) else msgspec.json.encode(raw), type=ReviewSheetOut
    )


async def put_sheet(user: CurrentUser, actor: Actor, data: ReviewSheetIn) -> tuple[ReviewSheetOut, bool]:
    """Save (draft) or submit an expert's marks for one nomination; returns (sheet, replayed).

    One transaction: the replay check, the reviewer, state and recusal checks, the versioned update, every
    mark, the audit row and the stored answer commit together or not at all.
    """
    try:
        async with write_transaction():
            replay = await _stored_submission(data.client_id, user.id)
            if replay is not None:
                return replay, True
            out = await _write_sheet(user, actor, data)
            if out is None:  # lost a race with a replay of itself: the stored answer is committed
                replay = await _stored_submission(data.client_id, user.id)
                assert replay is not None
                return replay, True
    except DomainError:
        raise
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        replay = await _stored_submission(data.client_id, user.id)
        if replay is None:
            raise
        return replay, True
    return out, False


async def _write_sheet(user: CurrentUser, actor: Actor, data: ReviewSheetIn) -> ReviewSheetOut | None:
    entry = await _entry(user, data.programme_id, data.nomination_id, lock=True)
    if entry.programme["state"] != ProgrammeState.EXPERT_REVIEW:
        state = STATE_NAMES.get(entry.programme["state"], entry.programme["state"])
        raise Conflict(
            f"评选处于「{state}」阶段，不接受评审打分",
            code="review_closed",
            field="programme_id",
            detail={"state": entry.programme["state"]},
        )
    aspects: dict[str, scoring_rules.Aspect] = entry.rubric.aspects
    _check_marks(data, aspects)
    key = _sheet_key(data.nomination_id, user.id)
    now = utcnow()
    sheet = await ReviewSheet.select(*_SHEET_COLUMNS).where(ReviewSheet.sheet_key == key).first()
    if sheet is None:
        await ReviewSheet.insert(
            ReviewSheet(
                programme=data.programme_id,
                nomination=data.nomination_id,
                expert=user.id,
                sheet_key=key,
                status="draft",
                version=0,
                updated_at=now,
            )
        ).on_conflict(target=ReviewSheet.sheet_key, action="DO NOTHING")
        sheet = await ReviewSheet.select(*_SHEET_COLUMNS).where(ReviewSheet.sheet_key == key).first()
        assert sheet is not None
    old_status = sheet["status"]
    new_status = SUBMITTED if data.submit or old_status == SUBMITTED else "draft"
    values: dict[Any, Any] = {
        ReviewSheet.version: ReviewSheet.version + 1,
        ReviewSheet.status: new_status,
        ReviewSheet.updated_at: now,
    }
    if new_status == SUBMITTED and old_status != SUBMITTED:
        values[ReviewSheet.submitted_at] = now
    updated = await (
        ReviewSheet.update(values)
        .where((ReviewSheet.id == sheet["id"]) & (ReviewSheet.version == data.base_version))
        .returning(ReviewSheet.version)
    )
    existing = (await _marks_of([sheet["id"]]))[sheet["id"]]
    if not updated:
        if await _stored_submission(data.client_id, user.id) is not None:
            return None
        current = await ReviewSheet.select(*_SHEET_COLUMNS).where(ReviewSheet.id == sheet["id"]).first()
        assert current is not None
        raise _stale(current["version"], current["status"], _mark_outs(existing, aspects))
    changed = {m.aspect_id: m.value for m in data.marks if existing.get(m.aspect_id) != m.value}
    if changed:
        await ReviewMark.insert(
            *(
                ReviewMark(
                    sheet=sheet["id"],
                    aspect_id=aspect_id,
                    mark_key=f"{sheet['id']}:{aspect_id}",
                    value=value,
                    updated_at=now,
                )
                for aspect_id, value in changed.items()
            )
        ).on_conflict(
            target=ReviewMark.mark_key, action="DO UPDATE", values=[ReviewMark.value, ReviewMark.updated_at]
        )
    after = {**existing, **{a: plain(v) for a, v in changed.items()}}
    if new_status == SUBMITTED:
        missing = [a for a in aspects if a not in after]
        if missing:
            raise Invalid(
                f"还有{len(missing)}个评分项未评分，不能提交",
                code="sheet_incomplete",
                field="marks",
                detail={"missing": missing},
            )
    if changed or new_status != old_status:
        await audit.record(
            actor,
            "review_sheet.submit" if new_status != old_status else "review_sheet.save",
            "review_sheet",
            sheet["id"],
            before={
                "status": old_status,
                "marks": {a: (str(existing[a]) if a in existing else None) for a in changed},
            },
            after={
                "status": new_status,
                "marks": {a: str(plain(v)) for a, v in changed.items()},
                "nomination_id": data.nomination_id,
                "reviewer_no": entry.member.reviewer_no,
            },
        )
    out = ReviewSheetOut(
        sheet_id=sheet["id"],
        programme_id=data.programme_id,
        nomination_id=data.nomination_id,
        status=new_status,
        version=updated[0]["version"],
        marks=_mark_outs(after, aspects),
        submitted_at=now if new_status == SUBMITTED and old_status != SUBMITTED else sheet["submitted_at"],
    )
    await ReviewSubmission.insert(
        ReviewSubmission(
            client_id=data.client_id,
            sheet=sheet["id"],
            response=msgspec.json.encode(out).decode(),
            created_at=now,
        )
    )
    return out


# ------------------------------------------------------------------------------------------- aggregation


class ReviewScore(msgspec.Struct, kw_only=True, gc=False):
    """A nomination's review score (None without any submitted sheet) and whether every expected reviewer
    has submitted; ``reviewers`` is how many are expected (0: every reviewer is recused)."""

    score: Decimal | None
    complete: bool
    reviewers: int
    missing: tuple[int, ...]  # reviewer numbers not yet submitted


async def review_scores(programme_id: int, rules: scoring_rules.CompetitionRules) -> dict[int, ReviewScore]:
    """Every reviewed nomination's score: ``scoring.rules.aggregate`` over the submitted sheets."""
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    aspects = [a.id for s in rules.stages for m in s.modules for a in m.aspects]
    expected: dict[tuple[str, str], tuple[str, ...]] = {}
    allowed: dict[int, dict[str, int]] = {}
    for p in pool:
        judges = {str(m.user_id): m.reviewer_no for m in members if not is_recused(m, p.employer_id)}
        allowed[p.nomination_id] = judges
        panel_ids = tuple(judges)
        subject = str(p.nomination_id)
        for aspect_id in aspects:
            expected[(subject, aspect_id)] = panel_ids
    known_aspects = set(aspects)
    submitted: dict[int, set[str]] = {}
    marks: list[scoring_rules.Mark] = []
    rows = await ReviewMark.select(
        ReviewMark.sheet.nomination.as_alias("n"),
        ReviewMark.sheet.expert.as_alias("e"),
        ReviewMark.aspect_id,
        ReviewMark.value,
    ).where((ReviewMark.sheet.programme == programme_id) & (ReviewMark.sheet.status == SUBMITTED))
    for r in rows:
        judges = allowed.get(r["n"])
        judge = str(r["e"])
        if judges is None or judge not in judges or r["aspect_id"] not in known_aspects:
            continue
        submitted.setdefault(r["n"], set()).add(judge)
        marks.append(
            scoring_rules.Mark(
                subject_id=str(r["n"]), aspect_id=r["aspect_id"], judge_id=judge, value=r["value"]
            )
        )
    subjects = [scoring_rules.SubjectInput(subject_id=str(p.nomination_id)) for p in pool]
    results = scoring_rules.aggregate(rules, subjects, marks, expected=expected) if subjects else []
    out: dict[int, ReviewScore] = {}
    for p, result in zip(pool, results, strict=True):
        judges = allowed[p.nomination_id]
        done = submitted.get(p.nomination_id, set())
        missing = tuple(sorted(no for j, no in judges.items() if j not in done))
        out[p.nomination_id] = ReviewScore(
            score=result.final_score if done else None,
            complete=bool(judges) and not missing and result.complete,
            reviewers=len(judges),
            missing=missing,
        )
    return out


async def review_progress(programme_id: int) -> ReviewProgressOut:
    row = await programme_row(programme_id)
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    counts = await _sheet_counts(programme_id)
    rubric = rubric_of(row["review_rules"])
    scores = await review_scores(programme_id, rubric.rules) if rubric else {}
    names = {p.nomination_id: p.name for p in pool}
    incomplete = [n for n, s in scores.items() if s.reviewers and not s.complete]
    direct = await Nomination.count().where(
        (Nomination.programme == programme_id)
        & Nomination.status.is_in(list(LIVE))
        & (Nomination.eligibility_status == "eligible")
        & (Nomination.source == "direct")
    )
    return ReviewProgressOut(
        programme_id=programme_id,
        state=row["state"],
        nominations=len(pool),
        direct=direct,
        complete=sum(1 for s in scores.values() if s.complete),
        incomplete=len(incomplete),
        unreviewable=sum(1 for s in scores.values() if not s.reviewers),
        reviewers=[_reviewer_out(m, pool, counts) for m in members],
        missing=[
            MissingReview(nomination_id=n, name=names[n], missing_reviewers=list(scores[n].missing))
            for n in incomplete[:100]
        ],
    )
