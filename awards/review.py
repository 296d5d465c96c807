"""Expert review (专家评审) on the expert's tablet: the programmes they review, the nominations they score
(recused ones absent) and their sheet for each.

Score entry is the competition judges' sheet write (:mod:`scoring.sheet_writer`), with the same guarantees:

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

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts.audit import Actor
from accounts.schemas import CurrentUser
from awards.review_panel import (
    SUBMITTED,
    PanelMember,
    is_recused,
    review_pool,
    review_pool_condition,
    rubric_of,
    sheet_counts,
)
from awards.rows import from_json, programme_row
from awards.rules import LIVE_STATUSES, STATE_NAMES, ProgrammeState
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
from awards.tables import (
    Attachment,
    Nomination,
    Reviewer,
    ReviewMark,
    ReviewSheet,
    ReviewSubmission,
)
from core.db import engine_name, run_sql
from core.errors import Conflict, Forbidden, Invalid, NotFound
from scoring import rules as scoring_rules
from scoring import sheet_writer
from scoring.sheet_writer import SheetKind, SheetWrite, WrittenSheet, check_marks, plain


async def my_programmes(user: CurrentUser) -> list[ReviewProgrammeOut]:
    ids = [
        r["programme"]
        for r in await Reviewer.select(Reviewer.programme)
        .where(Reviewer.expert == user.id)
        .order_by(Reviewer.programme, ascending=False)
    ]
    return [await my_programme(user, programme_id) for programme_id in ids]


# One expert of the panel (not the whole panel, read to find them), as SQL built once: every sheet reads it.
_MEMBER_SQL = """
SELECT r.expert AS user_id, u.username AS username, u.display_name AS display_name,
  r.reviewer_no AS reviewer_no, p.employer AS employer_id, e.name AS employer_name
FROM reviewer r JOIN app_user u ON u.id = r.expert
LEFT JOIN person p ON p.id = u.person LEFT JOIN enterprise e ON e.id = p.employer
WHERE r.programme = {} AND r.expert = {}
"""


async def _member(programme_id: int, user_id: int) -> PanelMember | None:
    rows = await run_sql(_MEMBER_SQL, programme_id, user_id)
    return PanelMember(**rows[0]) if rows else None


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
    state: str
    member: PanelMember
    rubric: Any  # Rubric
    nomination_id: int


# Everything a sheet's read or write checks, as one statement built once (every sheet runs it): the
# programme's state and rubric, the expert's panel seat, the nominee if in the review pool (with their
# employer, for recusal) and the answer already stored for the client id (a replay). The base row makes the
# answer one row even for an unknown programme, so a replay is answered whatever else has changed since.
_ENTRY_SQL = f"""
SELECT p.id AS programme_id, p.state AS state, p.review_rules AS review_rules,
  r.expert AS user_id, u.username AS username, u.display_name AS display_name,
  r.reviewer_no AS reviewer_no, ep.employer AS employer_id, e.name AS employer_name,
  n.id AS nomination_id, np.employer AS nominee_employer_id,
  sub.response AS replay, s.expert AS replay_owner
FROM (SELECT 1 AS one) base
LEFT JOIN programme p ON p.id = {{}}
LEFT JOIN reviewer r ON r.programme = p.id AND r.expert = {{}}
LEFT JOIN app_user u ON u.id = r.expert
LEFT JOIN person ep ON ep.id = u.person
LEFT JOIN enterprise e ON e.id = ep.employer
LEFT JOIN nomination n ON n.id = {{}} AND n.programme = p.id
  AND n.status IN ({", ".join(f"'{s}'" for s in LIVE_STATUSES)})
  AND n.eligibility_status = 'eligible' AND n.source = 'union'
LEFT JOIN person np ON np.id = n.person
LEFT JOIN review_submission sub ON sub.client_id = {{}}
LEFT JOIN review_sheet s ON s.id = sub.sheet
"""


async def _entry_row(
    user: CurrentUser, programme_id: int, nomination_id: int, client_id: uuid.UUID | None
) -> dict[str, Any]:
    return (await run_sql(_ENTRY_SQL, programme_id, user.id, nomination_id, client_id))[0]


def _replay(row: Mapping[str, Any], user: CurrentUser) -> ReviewSheetOut | None:
    """The answer stored for the write's client id, or None; another expert's client id is a 409."""
    if row["replay"] is None:
        return None
    if row["replay_owner"] != user.id:
        raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
    return sheet_writer.decode_answer(REVIEW_SHEETS, row["replay"])


def _entry(row: Mapping[str, Any], programme_id: int, nomination_id: int) -> _Entry:
    """Who may read or write this sheet: a reviewer of the programme, not recused from the nominee."""
    if row["programme_id"] is None:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    if row["user_id"] is None:
        raise Forbidden("您不是本评选的评审专家", code="not_a_reviewer", field="programme_id")
    member = PanelMember(**{f: row[f] for f in PanelMember.__struct_fields__})
    rubric = rubric_of(row["review_rules"])
    if rubric is None:
        raise Conflict("尚未设置专家评审标准", code="review_rules_missing", field="programme_id")
    if row["nomination_id"] is None:
        raise NotFound("本评选没有该推荐人选，或其不需评审", code="unknown_nomination", field="nomination_id")
    if is_recused(member, row["nominee_employer_id"]):
        raise Forbidden(
            "该人选与您为同一工作单位，您需回避，不能查看或评分", code="recused", field="nomination_id"
        )
    return _Entry(state=row["state"], member=member, rubric=rubric, nomination_id=nomination_id)


def _sheet_key(nomination_id: int, user_id: int) -> str:
    return f"{nomination_id}:{user_id}"


async def get_sheet(user: CurrentUser, programme_id: int, nomination_id: int) -> ReviewSheetOut:
    row = await _entry_row(user, programme_id, nomination_id, None)
    entry = _entry(row, programme_id, nomination_id)
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


REVIEW_SHEETS = SheetKind(
    sheet=ReviewSheet,
    mark=ReviewMark,
    submission=ReviewSubmission,
    owner="expert",
    response=ReviewSheetOut,
    audit_entity="review_sheet",
    audit_action="review_sheet",
    stale_message="评审表已被更新（可能在另一台平板上），请核对最新分数后重新录入",
)


async def put_sheet(user: CurrentUser, actor: Actor, data: ReviewSheetIn) -> tuple[ReviewSheetOut, bool]:
    """Save (draft) or submit an expert's marks for one nomination; returns (sheet, replayed).

    The replay check and the expert's checks (reviewer, rubric, nominee, recusal) are one read before the
    transaction (:data:`_ENTRY_SQL`), the marks are checked against the cached rubric; inside it, one
    statement re-checks what a concurrent change could have moved (the programme still in expert review,
    the expert still on the panel) under the programme's share lock, then the versioned update, every
    mark, the audit row and the stored answer commit together or not at all.
    """
    row = await _entry_row(user, data.programme_id, data.nomination_id, data.client_id)
    replay = _replay(row, user)
    if replay is not None:
        return replay, True
    entry = _entry(row, data.programme_id, data.nomination_id)
    _refuse_unless_open(entry.state)
    _check_marks(data, entry.rubric.aspects)
    return await sheet_writer.submit_once(
        REVIEW_SHEETS,
        data.client_id,
        user.id,
        lambda: _write_sheet(user, actor, data, entry),
        check_first=False,  # looked just above; the unique client id catches a concurrent replay
    )


_STILL_OPEN_SQL = """
SELECT p.state AS state,
  (SELECT COUNT(*) FROM reviewer r WHERE r.programme = p.id AND r.expert = {}) AS member
FROM programme p WHERE p.id = {}
"""


async def _write_sheet(
    user: CurrentUser, actor: Actor, data: ReviewSheetIn, entry: _Entry
) -> ReviewSheetOut | None:
    """Inside the transaction: the one re-check, then the generic versioned, audited write. None when a
    replay of this very write committed first (the writer then answers with the stored one)."""
    # FOR SHARE on PostgreSQL: the move out of expert review (FOR UPDATE) waits for sheets in flight.
    lock = " FOR SHARE OF p" if engine_name() == "postgres" else ""
    rows = await run_sql(_STILL_OPEN_SQL + lock, user.id, data.programme_id)
    if not rows:
        raise NotFound(f"评选不存在：{data.programme_id}", field="programme_id")
    _refuse_unless_open(rows[0]["state"])
    if not rows[0]["member"]:
        raise Forbidden("您不是本评选的评审专家", code="not_a_reviewer", field="programme_id")
    aspects: dict[str, scoring_rules.Aspect] = entry.rubric.aspects
    write = SheetWrite(
        key=_sheet_key(data.nomination_id, user.id),
        new_sheet={"programme": data.programme_id, "nomination": data.nomination_id, "expert": user.id},
        owner_id=user.id,
        client_id=data.client_id,
        base_version=data.base_version,
        marks=data.marks,
        submit=data.submit,
        aspects=list(aspects),
        actor=actor,
        audit_facts={"nomination_id": data.nomination_id, "reviewer_no": entry.member.reviewer_no},
    )

    async def respond(written: WrittenSheet) -> ReviewSheetOut:
        return ReviewSheetOut(
            sheet_id=written.sheet_id,
            programme_id=data.programme_id,
            nomination_id=data.nomination_id,
            status=written.status,
            version=written.version,
            marks=_mark_outs(written.marks, aspects),
            submitted_at=written.submitted_at,
        )

    return await sheet_writer.write_sheet(REVIEW_SHEETS, write, respond=respond)


def _refuse_unless_open(state: str) -> None:
    if state != ProgrammeState.EXPERT_REVIEW:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(state, state)}」阶段，不接受评审打分",
            code="review_closed",
            field="programme_id",
            detail={"state": state},
        )
