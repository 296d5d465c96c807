"""Unblinding (解密) and publication (发布): names revealed to organizers once every stage is signed off,
then numbered versions of the results made public, each with the open results document, who, when, why
and what changed since the version before. The stored Publication is exactly what the public reads.

Publication versions are guarded by ``publication_key`` "<competition>:<version>" (unique): two organizers
publishing at once get one new version and one 409. Live pages and every process's cache are told after
the commit (:func:`announce`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.tables import AuditLog
from competitions.tables import Registration
from core.db import engine_name, is_unique_violation, read_snapshot, utcnow, write_transaction
from core.errors import Conflict, DomainError, Invalid, NotFound
from scoring import export, live, standings
from scoring.results import (
    Computed,
    as_bytes,
    competition_head,
    compute,
    latest_publication,
    public_rows,
    scheme_row,
    signoffs,
    stages_of,
    unblinded_contestants,
)
from scoring.results_schemas import Change, PublicationOut, PublicBoard, PublicRow, PublishIn, UnblindOut
from scoring.rounds import recorded_closings
from scoring.tables import Publication, ScoringScheme

# --------------------------------------------------------------------------------------------- unblinding


async def unblind(actor: Actor, competition_id: int) -> UnblindOut:
    """解密: names become visible to organizers; refused until every stage is signed off. Audited."""
    async with write_transaction():
        scheme = await scheme_row(competition_id)
        stage_rows = await stages_of(competition_id)
        if not stage_rows:
            raise Conflict("竞赛没有设置比赛环节，无法解密", code="no_stages")
        signed = await signoffs(row["id"] for row in stage_rows)
        missing = [row["name"] for row in stage_rows if row["id"] not in signed]
        if missing:
            raise Conflict(
                f"以下环节尚未由裁判长签字确认，不能解密：{'、'.join(missing)}",
                code="not_signed_off",
                detail={"stages": missing},
            )
        if scheme["unblinded_at"] is not None:
            raise Conflict("成绩已解密", code="already_unblinded")
        now = utcnow()
        updated = (
            await ScoringScheme.update(
                {ScoringScheme.unblinded_at: now, ScoringScheme.version: ScoringScheme.version + 1}
            )
            .where((ScoringScheme.id == scheme["id"]) & (ScoringScheme.version == scheme["version"]))
            .returning(ScoringScheme.id)
        )
        if not updated:
            raise Conflict("评分方案已被修改，请刷新后重试", code="stale_version")
        contestants = await Registration.count().where(
            (Registration.competition == competition_id) & Registration.blind_code.is_not_null()
        )
        await audit.record(
            actor,
            "results.unblind",
            "competition",
            competition_id,
            before={"unblinded_at": None},
            after={"unblinded_at": now.isoformat(), "contestants": contestants},
        )
    await live.results_changed(competition_id, "unblinded")
    return UnblindOut(competition_id=competition_id, unblinded_at=now, contestants=contestants)


# ------------------------------------------------------------------------------------------- publication


@dataclass(frozen=True)
class Published:
    version: int
    published_at: dt.datetime


async def _next_version(competition_id: int, previous_version: int, reason: str) -> int:
    """The version to publish after ``previous_version``; 409 unless it is still the latest, and unblinded."""
    scheme = await scheme_row(competition_id)
    if scheme["unblinded_at"] is None:
        raise Conflict("成绩尚未解密，解密后才能发布", code="not_unblinded")
    latest = await latest_publication(competition_id)
    current = 0 if latest is None else latest["version"]
    if current != previous_version:
        raise Conflict(
            f"成绩已有第 {current} 版发布，请刷新后再操作",
            code="stale_version",
            detail={"current_version": current},
        )
    if current > 0 and not reason.strip():
        raise Invalid("更正后重新发布须说明原因", code="reason_required", field="reason")
    return current + 1


def _refuse_unresolved_ties(computed: Computed) -> None:
    if computed.board.unresolved_ties:
        codes = {sid: code for sid, (_, code) in computed.inputs.blind.items()}
        ties = [
            {"rank": t.rank, "blind_codes": [codes[s] for s in t.subject_ids]}
            for t in computed.board.unresolved_ties
        ]
        raise Conflict(
            "前列名次存在按规则无法区分的并列，请先处理或确认保留并列后再发布",
            code="unresolved_ties",
            detail={"ties": ties},
        )


def _open_document(
    computed: Computed,
    rows: Sequence[PublicRow],
    version: int,
    now: dt.datetime,
    shown: standings.Shown | None,
    closings: Sequence[Mapping[str, Any]],
) -> bytes:
    """The open results document of this version: the rules, every mark, the published figures, and the
    closed rounds (who went through each cut)."""
    figures = [
        export.PublishedFigure(
            blind_code=row.blind_code,
            final_score=row.final_score,
            rank=row.rank,
            tier=row.tier,
            stage_scores=row.stage_scores,
            disqualified=row.disqualified,
            round_scores=row.round_scores,
            module_scores=row.module_scores,
            eliminated_after=row.eliminated_after,
        )
        for row in rows
    ]
    inputs = computed.inputs
    return export.open_document(
        competition=msgspec.structs.asdict(computed.competition),
        version=version,
        published_at=now,
        rules=inputs.rules,
        published_rounding=computed.step,
        judge_numbers=inputs.judge_numbers,
        subjects=inputs.subjects,
        marks=inputs.marks,
        expected=inputs.expected,
        blind=inputs.blind,
        published=figures,
        absences=inputs.absences,
        standings={
            **(shown.document if shown else {}),
            **(export.rounds_part(closings, inputs.blind) if closings else {}),
        },
    )


async def _store(actor: Actor, competition_id: int, board: PublicBoard, document: bytes, reason: str) -> None:
    """The new version's row; the same version published by someone else at once is a 409."""
    try:
        await Publication.insert(
            Publication(
                competition=competition_id,
                publication_key=f"{competition_id}:{board.version}",
                version=board.version,
                published_by=actor.id,
                published_at=board.published_at,
                reason=reason,
                results=msgspec.json.encode(board).decode(),
                document=document.decode(),
            )
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(
                f"第 {board.version} 版已由他人同时发布，请刷新",
                code="stale_version",
                detail={"current_version": board.version},
            ) from None
        raise


async def _refuse_unchanged(competition_id: int, board: PublicBoard) -> None:
    """409 ``results_unchanged`` when ``board`` says exactly what the latest version says: a version
    number is a promise that something changed (the public and every export would show a new version)."""
    latest = await latest_publication(competition_id)
    if latest is None:
        return
    old = msgspec.json.decode(as_bytes(latest["results"]), type=PublicBoard)
    if msgspec.structs.replace(old, version=board.version, published_at=board.published_at) == board:
        raise Conflict(
            f"结果未变化：与第 {old.version} 版完全相同，不发布新版本",
            code="results_unchanged",
            detail={"current_version": old.version},
        )


@dataclass(frozen=True)
class _Prepared:
    """What a publication computes from the marks: the board's rows and what is shown of the standings."""

    computed: Computed
    rows: list[PublicRow]
    shown: Any


async def _prepare(competition_id: int) -> _Prepared:
    computed = await compute(competition_id)
    names = await unblinded_contestants(competition_id)
    rows = public_rows(computed, names)
    shown = await standings.shown(computed.inputs, computed.board, computed.step, names)
    return _Prepared(computed, rows, shown)


async def publish_in_transaction(
    actor: Actor,
    competition_id: int,
    *,
    previous_version: int,
    reason: str,
    accept_ties: bool,
    prepared: _Prepared | None = None,
) -> Published:
    """Compute (unless ``prepared`` already), store and audit the next version; the caller holds the write
    transaction."""
    version = await _next_version(competition_id, previous_version, reason)
    prepared = prepared or await _prepare(competition_id)
    computed, rows, shown = prepared.computed, prepared.rows, prepared.shown
    if not accept_ties:
        _refuse_unresolved_ties(computed)
    now = utcnow()
    board = PublicBoard(
        competition=computed.competition,
        version=version,
        published_at=now,
        stages=computed.stages,
        rows=rows,
        tier_counts=list(computed.board.tier_counts),
        rounds=computed.rounds,
        round_total=computed.round_total,
        modules=computed.modules(public=True),
        **({} if shown is None else standings.board_fields(shown)),
    )
    if version > 1:
        await _refuse_unchanged(competition_id, board)
    closings = await recorded_closings(competition_id)
    document = _open_document(computed, rows, version, now, shown, closings)
    await _store(actor, competition_id, board, document, reason.strip())
    await audit.record(
        actor,
        "results.publish",
        "competition",
        competition_id,
        before=None if version == 1 else {"version": version - 1},
        after={
            "version": version,
            "contestants": len(rows),
            "unresolved_ties": len(computed.board.unresolved_ties),
        },
        reason=reason.strip(),
    )
    return Published(version=version, published_at=now)


async def announce(competition_id: int, version: int) -> None:
    await live.results_changed(competition_id, "published" if version == 1 else "corrected", version)


async def _last_audit_id() -> int:
    rows = await AuditLog.raw("SELECT MAX(id) AS id FROM audit_log")
    return rows[0]["id"] or 0


async def _prepare_outside(competition_id: int) -> tuple[_Prepared | None, int]:
    """On SQLite, the board computed BEFORE the write unit (every counted mark, then the aggregation: inside
    the unit the whole batch, every other writer of the process, would wait for it), with the last audit
    row's id seen in the same snapshot. Every write of the platform records an audit row in its own
    transaction and SQLite has one writer, so the same id inside the unit proves nothing was written
    since. On PostgreSQL (ids are not handed out in commit order, and a transaction blocks no other writer)
    and on any refusal the computation stays inside the transaction, where its errors keep their order."""
    if engine_name() != "sqlite":
        return None, 0
    try:
        async with read_snapshot():
            return await _prepare(competition_id), await _last_audit_id()
    except DomainError:
        return None, 0


async def publish(actor: Actor, competition_id: int, data: PublishIn) -> PublicationOut:
    """Publish the next version; a concurrent publication of the same version gets 409. Audited."""
    prepared, mark = await _prepare_outside(competition_id)
    async with write_transaction():
        if prepared is not None and await _last_audit_id() != mark:
            prepared = None  # something was written since: computed again, inside the unit, as before
        published = await publish_in_transaction(
            actor,
            competition_id,
            previous_version=data.previous_version,
            reason=data.reason,
            accept_ties=data.accept_unresolved_ties,
            prepared=prepared,
        )
    await announce(competition_id, published.version)
    history = await publications(competition_id)
    return next(p for p in history if p.version == published.version)


def board_changes(old: PublicBoard | None, new: PublicBoard) -> list[Change]:
    """What changed on each contestant's row from one published version to the next (none for the first):
    their place on the board, final score, rank, prize, disqualification, a stage's score."""
    if old is None:
        return []
    before = {row.blind_code: row for row in old.rows}
    after = {row.blind_code: row for row in new.rows}
    changes: list[Change] = []

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    for code in sorted(before.keys() | after.keys()):
        a, b = before.get(code), after.get(code)
        if a is None or b is None:  # a contestant appears on, or leaves, the board
            row = b if a is None else a
            present = {False: None, True: "在榜"}
            changes.append(
                Change(
                    blind_code=code,
                    name=row.name,
                    field="row",
                    old=present[a is not None],
                    new=present[b is not None],
                )
            )
            continue
        pairs: list[tuple[str, object, object]] = [
            ("final_score", a.final_score, b.final_score),
            ("rank", a.rank, b.rank),
            ("tier", a.prize, b.prize),
            ("disqualified", a.disqualified, b.disqualified),
        ]
        pairs += [
            (f"stage:{k}", a.stage_scores.get(k), b.stage_scores.get(k))
            for k in sorted(a.stage_scores.keys() | b.stage_scores.keys())
        ]
        changes.extend(
            Change(blind_code=code, name=b.name, field=f, old=text(x), new=text(y))
            for f, x, y in pairs
            if x != y
        )
    return changes


async def published_versions(competition_id: int) -> list[tuple[dict[str, Any], PublicBoard]]:
    """Every published version of a competition, oldest first: its row (version, when, by whom, why) and
    its board as the public read it."""
    rows = (
        await Publication.select(
            Publication.version,
            Publication.published_at,
            Publication.published_by,
            Publication.published_by.display_name.as_alias("by_name"),
            Publication.reason,
            Publication.results,
        )
        .where(Publication.competition == competition_id)
        .order_by(Publication.version)
    )
    return [(row, msgspec.json.decode(as_bytes(row["results"]), type=PublicBoard)) for row in rows]


async def publications(competition_id: int) -> list[PublicationOut]:
    """Every published version, newest first, with what changed from the version before and why."""
    await competition_head(competition_id)
    out: list[PublicationOut] = []
    previous: PublicBoard | None = None
    for row, board in await published_versions(competition_id):
        out.append(
            PublicationOut(
                version=row["version"],
                published_at=row["published_at"],
                published_by=row["published_by"],
                published_by_name=row["by_name"] or "",
                reason=row["reason"],
                rows=len(board.rows),
                changes=board_changes(previous, board)
                + standings.team_changes(None if previous is None else previous.teams, board.teams),
            )
        )
        previous = board
    return out[::-1]


async def publication(competition_id: int, version: int) -> bytes:
    """One published version exactly as the public saw it (organizers: the history)."""
    row = (
        await Publication.select(Publication.results)
        .where((Publication.competition == competition_id) & (Publication.version == version))
        .first()
    )
    if row is None:
        await competition_head(competition_id)
        raise NotFound(f"没有第 {version} 版发布", code="publication_not_found")
    return as_bytes(row["results"])
