"""Expert review (专家评审) on the expert's tablet: the programmes they review, the nominations they score
(recused ones absent) and their sheet for each.

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

The panel and recusal are :mod:`awards.review_panel`; the review score of each nomination is
:mod:`awards.review_scores`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from accounts.schemas import CurrentUser
from awards.review_panel import (
    SUBMITTED,
    PanelMember,
    is_recused,
    panel,
    review_pool,
    review_pool_condition,
    rubric_of,
    sheet_counts,
)
from awards.rows import from_json, programme_row
from awards.rules import STATE_NAMES, ProgrammeState
from awards.schemas import (
    KIND_NAMES,
    Achievements,
    ReviewMarkOut,
    ReviewNominationOut,
    ReviewNominationsPage,
    ReviewProgrammeOut,
    ReviewSheetIn,
    ReviewSheetOut,
)
from awards.tables import Attachment, Nomination, Reviewer, ReviewMark, ReviewSheet, ReviewSubmission
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from scoring import rules as scoring_rules
from scoring.sheet_writer import check_marks, plain


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


async def my_programmes(user: CurrentUser) -> list[ReviewProgrammeOut]:
    ids = [
        r["programme"]
        for r in await Reviewer.select(Reviewer.programme)
        .where(Reviewer.expert == user.id)
        .order_by(Reviewer.programme, ascending=False)
    ]
    return [await my_programme(user, programme_id) for programme_id in ids]


async def _member(programme_id: int, user_id: int) -> PanelMember | None:
    return next((m for m in await panel(programme_id) if m.user_id == user_id), None)


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
    counts = await sheet_counts(programme_id)
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


def _not_recused(employer_id: int | None) -> Any:
    """SQL condition: the nominee is not of this employer (no condition when the expert has none)."""
    if employer_id is None:
        return None
    return (Nomination.person.employer != employer_id) | Nomination.person.employer.is_null()


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
    condition = review_pool_condition(programme_id)
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
                achievements=from_json(r["achievements"], Achievements) or Achievements(),
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
        .where(review_pool_condition(programme_id) & (Nomination.id == nomination_id))
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
    """Inside the transaction: the checks, the versioned sheet update, the changed marks, the audit row and
    the stored answer. None when a replay of this very write committed first (the caller returns it)."""
    entry = await _entry(user, data.programme_id, data.nomination_id, lock=True)
    _refuse_unless_open(entry.programme)
    aspects: dict[str, scoring_rules.Aspect] = entry.rubric.aspects
    _check_marks(data, aspects)
    now = utcnow()
    sheet = await _sheet_row(data, user.id, now)
    old_status = sheet["status"]
    new_status = SUBMITTED if data.submit or old_status == SUBMITTED else "draft"
    newly_submitted = new_status == SUBMITTED and old_status != SUBMITTED
    values: dict[Any, Any] = {
        ReviewSheet.version: ReviewSheet.version + 1,
        ReviewSheet.status: new_status,
        ReviewSheet.updated_at: now,
    }
    if newly_submitted:
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
    await _save_marks(sheet["id"], changed, now)
    after = {**existing, **{a: plain(v) for a, v in changed.items()}}
    if new_status == SUBMITTED:
        _refuse_incomplete(aspects, after)
    if changed or new_status != old_status:
        await _audit_sheet(actor, sheet["id"], (old_status, new_status), existing, changed, data, entry)
    out = ReviewSheetOut(
        sheet_id=sheet["id"],
        programme_id=data.programme_id,
        nomination_id=data.nomination_id,
        status=new_status,
        version=updated[0]["version"],
        marks=_mark_outs(after, aspects),
        submitted_at=now if newly_submitted else sheet["submitted_at"],
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


def _refuse_unless_open(programme: Mapping[str, Any]) -> None:
    if programme["state"] != ProgrammeState.EXPERT_REVIEW:
        state = STATE_NAMES.get(programme["state"], programme["state"])
        raise Conflict(
            f"评选处于「{state}」阶段，不接受评审打分",
            code="review_closed",
            field="programme_id",
            detail={"state": programme["state"]},
        )


async def _sheet_row(data: ReviewSheetIn, user_id: int, now: dt.datetime) -> dict[str, Any]:
    """The expert's sheet for the nomination, made (version 0, draft) on the first write."""
    key = _sheet_key(data.nomination_id, user_id)
    sheet = await ReviewSheet.select(*_SHEET_COLUMNS).where(ReviewSheet.sheet_key == key).first()
    if sheet is not None:
        return sheet
    await ReviewSheet.insert(
        ReviewSheet(
            programme=data.programme_id,
            nomination=data.nomination_id,
            expert=user_id,
            sheet_key=key,
            status="draft",
            version=0,
            updated_at=now,
        )
    ).on_conflict(target=ReviewSheet.sheet_key, action="DO NOTHING")
    sheet = await ReviewSheet.select(*_SHEET_COLUMNS).where(ReviewSheet.sheet_key == key).first()
    assert sheet is not None
    return sheet


async def _save_marks(sheet_id: int, changed: Mapping[str, Decimal], now: dt.datetime) -> None:
    if not changed:
        return
    await ReviewMark.insert(
        *(
            ReviewMark(
                sheet=sheet_id,
                aspect_id=aspect_id,
                mark_key=f"{sheet_id}:{aspect_id}",
                value=value,
                updated_at=now,
            )
            for aspect_id, value in changed.items()
        )
    ).on_conflict(
        target=ReviewMark.mark_key, action="DO UPDATE", values=[ReviewMark.value, ReviewMark.updated_at]
    )


def _refuse_incomplete(aspects: Mapping[str, scoring_rules.Aspect], marks: Mapping[str, Decimal]) -> None:
    missing = [a for a in aspects if a not in marks]
    if missing:
        raise Invalid(
            f"还有{len(missing)}个评分项未评分，不能提交",
            code="sheet_incomplete",
            field="marks",
            detail={"missing": missing},
        )


async def _audit_sheet(
    actor: Actor,
    sheet_id: int,
    statuses: tuple[str, str],
    existing: Mapping[str, Decimal],
    changed: Mapping[str, Decimal],
    data: ReviewSheetIn,
    entry: _Entry,
) -> None:
    old_status, new_status = statuses
    await audit.record(
        actor,
        "review_sheet.submit" if new_status != old_status else "review_sheet.save",
        "review_sheet",
        sheet_id,
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
