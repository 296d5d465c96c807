"""Results: the live leaderboard, unblinding, publication with history, the public boards, appeals, exports.

Use cases over the pure engine (:mod:`scoring.rules`): load the marks, call ``rules.leaderboard``, and
write (unblinding, a publication, an appeal's answer and its correction) with the audit row in the same
:func:`core.db.write_transaction`. Live events go out only after the commit.

Who sees what
-------------
- Organizers: the live board by blind code, with names and employers once unblinded (解密).
- The chief judge: the live board by blind code only, always.
- The public: before publication a provisional board of blind codes (no station, name or employer), after
  publication the latest published version (name, employer, scores, rank, prize; never an ID number, a
  mobile or an internal id) and the open results document (blind codes and judge numbers only).

Figures
-------
The engine ranks on exact figures (rounded only where the rules declare it). What is *published* (and
shown) is rounded with the competition's declared final rounding (``rules.rounding.final``; two decimals
half up when none is declared): final and stage scores alike.

Caching
-------
The public leaderboard, the open document and the list of published competitions are served as the exact
bytes stored with the publication, from :data:`scoring.live.results_cache`; a publication or correction
evicts them in every process (:func:`scoring.live.results_changed`). The provisional public board is
recomputed at most once per :data:`PROVISIONAL_TTL_S` per process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import User
from competitions import service as competitions_service
from competitions.tables import Competition, Registration, Stage
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound
from scoring import export, live
from scoring import rules as engine
from scoring.results_schemas import (
    AnswerIn,
    AppealIn,
    AppealOut,
    ArbitrationSeat,
    Change,
    CompetitionHead,
    CorrectionIn,
    LiveBoard,
    LiveRow,
    MemberIn,
    MemberOut,
    MyAppeals,
    ProvisionalBoard,
    ProvisionalRow,
    PublicationOut,
    PublicBoard,
    PublicRow,
    PublishedCompetition,
    PublishIn,
    StageHead,
    StageWindow,
    TieOut,
    UnblindOut,
)
from scoring.service import ScoringInputs, load_scoring_inputs
from scoring.tables import (
    Appeal,
    ArbitrationMember,
    ContestantFacts,
    ImportedMark,
    JudgeAssignment,
    Publication,
    ScoreSheet,
    ScoringScheme,
    SheetMark,
    StageSignoff,
)

DEFAULT_PUBLISHED_ROUNDING = engine.RoundingStep(decimals=2, mode="half_up")
SUBMITTED = ("submitted", "signed")
STAFF_ROLES = frozenset({Role.ORGANIZER, Role.JUDGE, Role.EXPERT, Role.UNION_OFFICER})
PROVISIONAL_TTL_S = 2.0
# The cache key of the list of published competitions (competition ids start at 1).
PUBLISHED_LIST = 0


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return msgspec.json.encode(value)


# ------------------------------------------------------------------------------------- the scoring scheme


async def _scheme(competition_id: int) -> dict[str, Any]:
    row = (
        await ScoringScheme.select(
            ScoringScheme.id,
            ScoringScheme.rules,
            ScoringScheme.appeal_window_hours,
            ScoringScheme.unblinded_at,
            ScoringScheme.version,
        )
        .where(ScoringScheme.competition == competition_id)
        .first()
    )
    if row is None:
        await _competition(competition_id)  # 404 for an unknown competition first
        raise NotFound("该竞赛尚未设置评分标准", code="no_scoring_scheme")
    return row


def _decode_rules(stored: Any) -> engine.CompetitionRules:
    if isinstance(stored, (str, bytes)):
        return msgspec.json.decode(stored, type=engine.CompetitionRules)
    return msgspec.convert(stored, engine.CompetitionRules)


# ------------------------------------------------------------------- competitions facts (private readers)


async def _competition(competition_id: int) -> CompetitionHead:
    row = (
        await Competition.select(Competition.id, Competition.title, Competition.occupation, Competition.venue)
        .where(Competition.id == competition_id)
        .first()
    )
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", code="competition_not_found")
    return CompetitionHead(**row)


async def competition_head(competition_id: int) -> CompetitionHead:
    """Title, occupation and venue (public facts); 404 for an unknown competition."""
    return await _competition(competition_id)


async def _stages(competition_id: int) -> list[dict[str, Any]]:
    """The competition's stages with their end times (``competition_stages`` does not carry them)."""
    return (
        await Stage.select(Stage.id, Stage.name, Stage.position, Stage.ends_at)
        .where(Stage.competition == competition_id)
        .order_by(Stage.position)
    )


async def _signoffs(stage_ids: Iterable[int]) -> dict[int, dt.datetime]:
    ids = list(stage_ids)
    if not ids:
        return {}
    rows = await StageSignoff.select(StageSignoff.stage, StageSignoff.signed_at).where(
        StageSignoff.stage.is_in(ids)
    )
    return {row["stage"]: row["signed_at"] for row in rows}


async def _unblinded_contestants(competition_id: int) -> dict[int, tuple[str, str]]:
    """registration id -> (name, employer name at registration): organizers and publication only."""
    names = await competitions_service.unblinded_contestants(competition_id)
    return {rid: (name, employer or "") for rid, (name, employer) in names.items()}


# ------------------------------------------------------------------------------------------------ compute


@dataclass(frozen=True)
class Completeness:
    marks_in: int
    marks_expected: int
    sheets_in: int
    sheets_expected: int


@dataclass(frozen=True)
class Computed:
    competition: CompetitionHead
    inputs: ScoringInputs
    board: engine.Leaderboard
    completeness: dict[str, Completeness]
    stages: list[StageHead]
    step: engine.RoundingStep  # how published (and shown) figures are rounded

    def fmt(self, value: Decimal) -> Decimal:
        return engine.round_decimal(value, self.step)


def _completeness(inputs: ScoringInputs) -> dict[str, Completeness]:
    stage_of = {
        aspect.id: stage.id
        for stage in inputs.rules.stages
        for module in stage.modules
        for aspect in module.aspects
    }
    imported_stages = [stage.id for stage in inputs.rules.stages if stage.kind == "imported"]
    marks_in: dict[str, int] = {}
    sheets_in: dict[str, set[tuple[str, str]]] = {}
    for mark in inputs.marks:
        marks_in[mark.subject_id] = marks_in.get(mark.subject_id, 0) + 1
        sheets_in.setdefault(mark.subject_id, set()).add((stage_of[mark.aspect_id], mark.judge_id))
    marks_expected: dict[str, int] = {}
    sheets_expected: dict[str, set[tuple[str, str]]] = {}
    for (subject_id, aspect_id), judges in inputs.expected.items():
        marks_expected[subject_id] = marks_expected.get(subject_id, 0) + len(judges)
        sheets_expected.setdefault(subject_id, set()).update((stage_of[aspect_id], j) for j in judges)
    out = {}
    for subject in inputs.subjects:
        sid = subject.subject_id
        imported_in = sum(1 for stage_id in imported_stages if stage_id in subject.imported)
        out[sid] = Completeness(
            marks_in=marks_in.get(sid, 0),
            marks_expected=marks_expected.get(sid, 0),
            sheets_in=len(sheets_in.get(sid, ())) + imported_in,
            sheets_expected=len(sheets_expected.get(sid, ())) + len(imported_stages),
        )
    return out


async def compute(competition_id: int) -> Computed:
    """Load the inputs and run the engine: every contestant's scores, rank, prize and completeness."""
    competition = await _competition(competition_id)
    inputs = await load_scoring_inputs(competition_id)
    board = engine.leaderboard(inputs.rules, inputs.subjects, inputs.marks, expected=inputs.expected)
    names = {row["id"]: row["name"] for row in await _stages(competition_id)}
    stages = [
        StageHead(
            id=stage.id,
            name=stage.name or (names.get(int(stage.id), stage.id) if stage.id.isdigit() else stage.id),
            weight_percent=stage.weight_percent,
            full_marks=stage.full_marks,
        )
        for stage in inputs.rules.stages
    ]
    return Computed(
        competition=competition,
        inputs=inputs,
        board=board,
        completeness=_completeness(inputs),
        stages=stages,
        step=inputs.rules.rounding.final or DEFAULT_PUBLISHED_ROUNDING,
    )


def _prize(tier: int | None) -> str | None:
    return None if tier is None else engine.TIER_NAMES.get(tier, f"{tier}等奖")


def _public_rows(computed: Computed, names: Mapping[int, tuple[str, str]]) -> list[PublicRow]:
    rows = []
    for result in computed.board.results:
        station_no, blind_code = computed.inputs.blind[result.subject_id]
        name, employer = names.get(int(result.subject_id), ("", ""))
        rows.append(
            PublicRow(
                rank=result.rank,
                tier=result.tier,
                prize=_prize(result.tier),
                name=name,
                employer=employer,
                blind_code=blind_code,
                station_no=station_no,
                final_score=computed.fmt(result.final_score),
                stage_scores={k: computed.fmt(v) for k, v in result.stage_scores.items()},
                disqualified=result.disqualified,
            )
        )
    return rows


# ------------------------------------------------------------------------------------------ the live board


async def _viewer(user: CurrentUser, competition_id: int) -> str:
    """``organizer`` or ``chief_judge``; anyone else is refused."""
    if user.role == Role.ORGANIZER:
        return "organizer"
    if user.role == Role.JUDGE and await JudgeAssignment.exists().where(
        (JudgeAssignment.competition == competition_id)
        & (JudgeAssignment.judge == user.id)
        & (JudgeAssignment.is_chief == True)  # noqa: E712 - Piccolo needs ==
    ):
        return "chief_judge"
    await _competition(competition_id)
    raise Forbidden("只有组织者和本竞赛的裁判长可以查看实时成绩", code="not_chief_judge")


async def check_live_access(user: CurrentUser, competition_id: int) -> None:
    """For the live events stream: the competition exists and the user may watch it."""
    await _competition(competition_id)
    await _viewer(user, competition_id)


async def _latest_publication(competition_id: int) -> dict[str, Any] | None:
    return (
        await Publication.select(Publication.id, Publication.version, Publication.results)
        .where(Publication.competition == competition_id)
        .order_by(Publication.version, ascending=False)
        .first()
    )


async def live_board(user: CurrentUser, competition_id: int) -> LiveBoard:
    view = await _viewer(user, competition_id)
    scheme = await _scheme(competition_id)
    computed = await compute(competition_id)
    stage_rows = await _stages(competition_id)
    signed = await _signoffs(row["id"] for row in stage_rows)
    unblinded = scheme["unblinded_at"] is not None and view == "organizer"
    names = await _unblinded_contestants(competition_id) if unblinded else {}
    latest = await _latest_publication(competition_id)
    changed = None
    if latest is not None and view == "organizer":
        published = msgspec.json.decode(_as_bytes(latest["results"]), type=PublicBoard)
        every_name = names if unblinded else await _unblinded_contestants(competition_id)
        changed = published.rows != _public_rows(computed, every_name)
    rows = []
    for result in computed.board.results:
        station_no, blind_code = computed.inputs.blind[result.subject_id]
        done = computed.completeness[result.subject_id]
        name, employer = names.get(int(result.subject_id), (None, None))
        rows.append(
            LiveRow(
                rank=result.rank,
                tier=result.tier,
                prize=_prize(result.tier),
                blind_code=blind_code,
                station_no=station_no,
                final_score=computed.fmt(result.final_score),
                stage_scores={k: computed.fmt(v) for k, v in result.stage_scores.items()},
                complete=result.complete,
                marks_in=done.marks_in,
                marks_expected=done.marks_expected,
                sheets_in=done.sheets_in,
                sheets_expected=done.sheets_expected,
                disqualified=result.disqualified,
                registration_id=int(result.subject_id) if unblinded else None,
                name=name,
                employer=employer,
            )
        )
    codes = {sid: code for sid, (_, code) in computed.inputs.blind.items()}
    return LiveBoard(
        competition_id=competition_id,
        title=computed.competition.title,
        view=view,  # type: ignore[arg-type]
        stages=computed.stages,
        rows=rows,
        complete=all(r.complete for r in computed.board.results),
        stages_signed_off=[str(row["id"]) for row in stage_rows if row["id"] in signed],
        all_signed_off=bool(stage_rows) and all(row["id"] in signed for row in stage_rows),
        unblinded_at=scheme["unblinded_at"],
        published_version=None if latest is None else latest["version"],
        changed_since_publication=changed,
        unresolved_ties=[
            TieOut(rank=t.rank, blind_codes=[codes[s] for s in t.subject_ids])
            for t in computed.board.unresolved_ties
        ],
        tier_counts=list(computed.board.tier_counts),
        appeal_window_hours=scheme["appeal_window_hours"],
    )


# -------------------------------------------------------------------------------- the public boards (cached)


class _MicroCache:
    """Bytes per competition for a short time (the provisional board): one loader at a time, so a burst of
    screens after a mark costs one computation. Only existing competitions are stored (an unknown id raises
    in the loader), and expired entries are swept, so scanning ids cannot grow it without bound."""

    SWEEP_ABOVE = 256

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[int, tuple[float, bytes]] = {}
        self._lock = asyncio.Lock()

    async def get_or_load(self, key: int, load: Callable[[], Awaitable[bytes]]) -> bytes:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self._lock:
            now = time.monotonic()
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            value = await load()
            if len(self._entries) > self.SWEEP_ABOVE:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[key] = (now + self.ttl, value)
            return value

    def clear(self) -> None:
        self._entries.clear()


provisional_cache = _MicroCache(PROVISIONAL_TTL_S)


async def public_leaderboard(competition_id: int) -> bytes:
    """The latest published leaderboard, as stored: one dict lookup when cached, no query, no encoding."""

    async def load() -> bytes:
        row = (
            await Publication.select(Publication.results)
            .where(Publication.competition == competition_id)
            .order_by(Publication.version, ascending=False)
            .first()
        )
        if row is None:
            await _competition(competition_id)  # an unknown id is a 404 that is not cached
            return b""
        return _as_bytes(row["results"])

    body = await live.results_cache.get_or_load(competition_id, "leaderboard", load)
    if not body:  # "not published yet" is cached too, until the first publication evicts it
        raise NotFound("该竞赛的成绩尚未发布", code="not_published")
    return body


async def open_document(competition_id: int) -> bytes:
    async def load() -> bytes:
        row = (
            await Publication.select(Publication.document)
            .where(Publication.competition == competition_id)
            .order_by(Publication.version, ascending=False)
            .first()
        )
        if row is None:
            await _competition(competition_id)
            return b""
        return _as_bytes(row["document"])

    body = await live.results_cache.get_or_load(competition_id, "open-document", load)
    if not body:
        raise NotFound("该竞赛的成绩尚未发布，公开成绩文件在发布后提供", code="not_published")
    return body


async def published_competitions() -> bytes:
    """Every competition with published results, newest publication first (latest version each)."""

    async def load() -> bytes:
        rows = await Publication.select(
            Publication.competition.as_alias("competition_id"),
            Publication.competition.title.as_alias("title"),
            Publication.competition.occupation.as_alias("occupation"),
            Publication.competition.venue.as_alias("venue"),
            Publication.version,
            Publication.published_at,
        ).order_by(Publication.version)
        latest: dict[int, PublishedCompetition] = {}
        for row in rows:
            head = CompetitionHead(
                id=row["competition_id"], title=row["title"], occupation=row["occupation"], venue=row["venue"]
            )
            latest[row["competition_id"]] = PublishedCompetition(
                competition=head, version=row["version"], published_at=row["published_at"]
            )
        ordered = sorted(latest.values(), key=lambda p: p.published_at, reverse=True)
        return msgspec.json.encode(ordered)

    return await live.results_cache.get_or_load(PUBLISHED_LIST, "published", load)


async def provisional_board(competition_id: int) -> bytes:
    """Blind codes, provisional scores and completeness only: the venue screen before publication."""

    async def load() -> bytes:
        computed = await compute(competition_id)
        latest = await _latest_publication(competition_id)
        rows = [
            ProvisionalRow(
                rank=result.rank,
                blind_code=computed.inputs.blind[result.subject_id][1],
                final_score=computed.fmt(result.final_score),
                marks_in=computed.completeness[result.subject_id].marks_in,
                marks_expected=computed.completeness[result.subject_id].marks_expected,
                complete=result.complete,
                disqualified=result.disqualified,
            )
            for result in computed.board.results
        ]
        board = ProvisionalBoard(
            competition=computed.competition,
            published_version=None if latest is None else latest["version"],
            stages=computed.stages,
            rows=rows,
            as_of=utcnow(),
        )
        return msgspec.json.encode(board)

    return await provisional_cache.get_or_load(competition_id, load)


# --------------------------------------------------------------------------------------------- unblinding


async def unblind(actor: Actor, competition_id: int) -> UnblindOut:
    """解密: names become visible to organizers; refused until every stage is signed off. Audited."""
    async with write_transaction():
        scheme = await _scheme(competition_id)
        stage_rows = await _stages(competition_id)
        if not stage_rows:
            raise Conflict("竞赛没有设置比赛环节，无法解密", code="no_stages")
        signed = await _signoffs(row["id"] for row in stage_rows)
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
class _Published:
    version: int
    published_at: dt.datetime


async def _publish_in_transaction(
    actor: Actor, competition_id: int, *, previous_version: int, reason: str, accept_ties: bool
) -> _Published:
    """Compute, store and audit the next version; the caller holds the write transaction."""
    scheme = await _scheme(competition_id)
    if scheme["unblinded_at"] is None:
        raise Conflict("成绩尚未解密，解密后才能发布", code="not_unblinded")
    latest = await _latest_publication(competition_id)
    current = 0 if latest is None else latest["version"]
    if current != previous_version:
        raise Conflict(
            f"成绩已有第 {current} 版发布，请刷新后再操作",
            code="stale_version",
            detail={"current_version": current},
        )
    if current > 0 and not reason.strip():
        raise Invalid("更正后重新发布须说明原因", code="reason_required", field="reason")
    computed = await compute(competition_id)
    if computed.board.unresolved_ties and not accept_ties:
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
    names = await _unblinded_contestants(competition_id)
    version = current + 1
    now = utcnow()
    rows = _public_rows(computed, names)
    board = PublicBoard(
        competition=computed.competition,
        version=version,
        published_at=now,
        stages=computed.stages,
        rows=rows,
        tier_counts=list(computed.board.tier_counts),
    )
    figures = [
        export.PublishedFigure(
            blind_code=row.blind_code,
            final_score=row.final_score,
            rank=row.rank,
            tier=row.tier,
            stage_scores=row.stage_scores,
            disqualified=row.disqualified,
        )
        for row in rows
    ]
    inputs = computed.inputs
    document = export.open_document(
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
    )
    try:
        await Publication.insert(
            Publication(
                competition=competition_id,
                publication_key=f"{competition_id}:{version}",
                version=version,
                published_by=actor.id,
                published_at=now,
                reason=reason.strip(),
                results=msgspec.json.encode(board).decode(),
                document=document.decode(),
            )
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(
                f"第 {version} 版已由他人同时发布，请刷新",
                code="stale_version",
                detail={"current_version": version},
            ) from None
        raise
    await audit.record(
        actor,
        "results.publish",
        "competition",
        competition_id,
        before=None if current == 0 else {"version": current},
        after={
            "version": version,
            "contestants": len(rows),
            "unresolved_ties": len(computed.board.unresolved_ties),
        },
        reason=reason.strip(),
    )
    return _Published(version=version, published_at=now)


async def _announce(competition_id: int, version: int) -> None:
    await live.results_changed(competition_id, "published" if version == 1 else "corrected", version)
    # The public list of published competitions is cached under its own key.
    await live.results_changed(PUBLISHED_LIST, "list")


async def publish(actor: Actor, competition_id: int, data: PublishIn) -> PublicationOut:
    """Publish the next version; a concurrent publication of the same version gets 409. Audited."""
    async with write_transaction():
        published = await _publish_in_transaction(
            actor,
            competition_id,
            previous_version=data.previous_version,
            reason=data.reason,
            accept_ties=data.accept_unresolved_ties,
        )
    await _announce(competition_id, published.version)
    history = await publications(competition_id)
    return next(p for p in history if p.version == published.version)


def _changes(old: PublicBoard | None, new: PublicBoard) -> list[Change]:
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


async def publications(competition_id: int) -> list[PublicationOut]:
    """Every published version, newest first, with what changed from the version before and why."""
    await _competition(competition_id)
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
    out: list[PublicationOut] = []
    previous: PublicBoard | None = None
    for row in rows:
        board = msgspec.json.decode(_as_bytes(row["results"]), type=PublicBoard)
        out.append(
            PublicationOut(
                version=row["version"],
                published_at=row["published_at"],
                published_by=row["published_by"],
                published_by_name=row["by_name"] or "",
                reason=row["reason"],
                rows=len(board.rows),
                changes=_changes(previous, board),
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
        await _competition(competition_id)
        raise NotFound(f"没有第 {version} 版发布", code="publication_not_found")
    return _as_bytes(row["results"])


# ----------------------------------------------------------------------------------------------- exports


EXPORT_HEADER_FIXED = ["名次", "奖项", "加密号", "工位号", "姓名", "工作单位"]


async def export_rows(
    competition_id: int, version: int | None
) -> tuple[str, list[str], list[list[export.Cell]], str, int]:
    """(title, header, rows, note, decimals): a published version, or else the current results (names only
    once unblinded)."""
    if version is not None:
        board = msgspec.json.decode(await publication(competition_id, version), type=PublicBoard)
        stages, rows = board.stages, board.rows
        note = f"第 {board.version} 版发布成绩"
        title = board.competition.title
    else:
        scheme = await _scheme(competition_id)
        computed = await compute(competition_id)
        names = await _unblinded_contestants(competition_id) if scheme["unblinded_at"] else {}
        stages, rows = computed.stages, _public_rows(computed, names)
        note = "当前成绩（未发布）" if scheme["unblinded_at"] else "当前成绩（未解密，按加密号）"
        title = computed.competition.title
    header = [*EXPORT_HEADER_FIXED, *(f"{s.name}（{s.weight_percent}%）" for s in stages), "总成绩", "备注"]
    body: list[list[export.Cell]] = []
    for row in rows:
        body.append(
            [
                row.rank,
                row.prize or "",
                row.blind_code,
                row.station_no,
                row.name,
                row.employer,
                *(row.stage_scores.get(s.id) for s in stages),
                row.final_score,
                "取消资格" if row.disqualified else "",
            ]
        )
    exponent = rows[0].final_score.as_tuple().exponent if rows else -2
    return title, header, body, note, -exponent if isinstance(exponent, int) and exponent < 0 else 0


# ---------------------------------------------------------------------------- arbitration group (监督仲裁组)


async def _is_member(competition_id: int, user_id: int) -> bool:
    return await ArbitrationMember.exists().where(
        (ArbitrationMember.competition == competition_id) & (ArbitrationMember.member == user_id)
    )


async def members(competition_id: int) -> list[MemberOut]:
    await _competition(competition_id)
    rows = await ArbitrationMember.select(
        ArbitrationMember.member.as_alias("user_id"),
        ArbitrationMember.member.display_name.as_alias("display_name"),
        ArbitrationMember.member.role.as_alias("role"),
    ).where(ArbitrationMember.competition == competition_id)
    chiefs = {
        row["judge"]
        for row in await JudgeAssignment.select(JudgeAssignment.judge).where(
            (JudgeAssignment.competition == competition_id) & (JudgeAssignment.is_chief == True)  # noqa: E712
        )
    }
    return sorted(
        (MemberOut(**row, is_chief_judge=row["user_id"] in chiefs) for row in rows), key=lambda m: m.user_id
    )


async def add_member(actor: Actor, competition_id: int, data: MemberIn) -> list[MemberOut]:
    await _competition(competition_id)
    user = (
        await User.select(User.id, User.role, User.display_name, User.active)
        .where(User.id == data.user_id)
        .first()
    )
    if user is None:
        raise Invalid(f"用户不存在：{data.user_id}", code="user_not_found", field="user_id")
    if user["role"] not in STAFF_ROLES or not user["active"]:
        raise Invalid(
            "监督仲裁组成员须为在职的工作人员账号（选手不能担任）", code="not_staff", field="user_id"
        )
    try:
        async with write_transaction():
            await ArbitrationMember.insert(
                ArbitrationMember(
                    competition=competition_id,
                    member=data.user_id,
                    member_key=f"{competition_id}:{data.user_id}",
                )
            )
            await audit.record(
                actor,
                "arbitration.add",
                "competition",
                competition_id,
                after={"user_id": data.user_id, "display_name": user["display_name"]},
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("该用户已是监督仲裁组成员", code="duplicate", field="user_id") from None
        raise
    return await members(competition_id)


async def remove_member(actor: Actor, competition_id: int, user_id: int) -> None:
    async with write_transaction():
        deleted = (
            await ArbitrationMember.delete()
            .where((ArbitrationMember.competition == competition_id) & (ArbitrationMember.member == user_id))
            .returning(ArbitrationMember.id)
        )
        if not deleted:
            raise NotFound("该用户不是本竞赛监督仲裁组成员", code="not_a_member")
        await audit.record(
            actor, "arbitration.remove", "competition", competition_id, before={"user_id": user_id}
        )


async def my_seats(user: CurrentUser) -> list[ArbitrationSeat]:
    rows = await ArbitrationMember.select(
        ArbitrationMember.competition.as_alias("competition_id"),
        ArbitrationMember.competition.title.as_alias("title"),
    ).where(ArbitrationMember.member == user.id)
    seats = []
    for row in rows:
        pending = await Appeal.count().where(
            (Appeal.competition == row["competition_id"]) & (Appeal.status == "pending")
        )
        seats.append(
            ArbitrationSeat(competition_id=row["competition_id"], title=row["title"], pending=pending)
        )
    return seats


# ------------------------------------------------------------------------------------------ appeals (申诉)


def _window(opens: dt.datetime | None, hours: int, now: dt.datetime) -> StageWindow:
    closes = None if opens is None else opens + dt.timedelta(hours=hours)
    is_open = opens is not None and closes is not None and opens <= now < closes
    return StageWindow(stage_id=0, name="", opens_at=opens, closes_at=closes, open=is_open)


async def _windows(competition_id: int, hours: int) -> tuple[list[StageWindow], StageWindow]:
    """Each stage's appeal window (from its end time, else its sign-off), and the whole result's (from the
    last stage's, once every stage has one)."""
    now = utcnow()
    stage_rows = await _stages(competition_id)
    signed = await _signoffs(row["id"] for row in stage_rows)
    windows = []
    opens_all: list[dt.datetime | None] = []
    for row in stage_rows:
        opens = row["ends_at"] or signed.get(row["id"])
        opens_all.append(opens)
        windows.append(
            msgspec.structs.replace(_window(opens, hours, now), stage_id=row["id"], name=row["name"])
        )
    last = None if not opens_all or None in opens_all else max(o for o in opens_all if o is not None)
    return windows, msgspec.structs.replace(_window(last, hours, now), name="总成绩")


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
    return {row["id"]: row["name"] for row in await _stages(competition_id)}


async def lodge_appeal(actor: Actor, user: CurrentUser, data: AppealIn) -> AppealOut:
    """A contestant appeals their own result, within the declared window after the stage ends."""
    registration = (
        await Registration.select(
            Registration.id, Registration.competition, Registration.person, Registration.blind_code
        )
        .where(Registration.id == data.registration_id)
        .first()
    )
    if registration is None:
        raise NotFound("报名记录不存在", code="registration_not_found", field="registration_id")
    if user.person_id is None or registration["person"] != user.person_id:
        raise Forbidden("只能对本人的成绩提出申诉", code="not_own_registration", field="registration_id")
    if registration["blind_code"] is None:
        raise Conflict("尚未抽签参赛，不能申诉", code="not_a_contestant", field="registration_id")
    competition_id = registration["competition"]
    scheme = await _scheme(competition_id)
    windows, overall = await _windows(competition_id, scheme["appeal_window_hours"])
    if data.stage_id is None:
        window = overall
    else:
        window = next((w for w in windows if w.stage_id == data.stage_id), None)
        if window is None:
            raise Invalid("该环节不属于本竞赛", code="unknown_stage", field="stage_id")
    if not window.open:
        hours = scheme["appeal_window_hours"]
        if window.opens_at is None or utcnow() < window.opens_at:
            message = f"申诉须在环节结束后 {hours} 小时内提出，该环节尚未结束"
        else:
            message = f"申诉期已过：须在环节结束后 {hours} 小时内提出"
        raise Conflict(
            message,
            code="appeal_window_closed",
            detail={
                "opens_at": window.opens_at and window.opens_at.isoformat(),
                "closes_at": window.closes_at and window.closes_at.isoformat(),
            },
        )
    now = utcnow()
    async with write_transaction():
        same_stage = Appeal.stage.is_null() if data.stage_id is None else Appeal.stage == data.stage_id
        if await Appeal.exists().where(
            (Appeal.registration == data.registration_id) & same_stage & (Appeal.status == "pending")
        ):
            raise Conflict("该环节已有待处理的申诉", code="appeal_pending")
        appeal = Appeal(
            competition=competition_id,
            registration=data.registration_id,
            stage=data.stage_id,
            lodged_by=user.id,
            grounds=data.grounds,
            lodged_at=now,
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
    competition = await _competition(competition_id)
    registration = None
    if user.person_id is not None:
        registration = (
            await Registration.select(Registration.id)
            .where(
                (Registration.competition == competition_id)
                & (Registration.person == user.person_id)
                & Registration.blind_code.is_not_null()
            )
            .first()
        )
    if registration is None:
        raise NotFound("您没有参加该竞赛", code="not_a_contestant")
    scheme = await _scheme(competition_id)
    windows, overall = await _windows(competition_id, scheme["appeal_window_hours"])
    rows = await _appeal_rows(Appeal.registration == registration["id"])
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
    await _competition(competition_id)
    organizer = user.role == Role.ORGANIZER
    if not organizer and not await _is_member(competition_id, user.id):
        raise Forbidden("只有组织者和监督仲裁组成员可以查看申诉", code="not_arbitration_member")
    rows = await _appeal_rows(Appeal.competition == competition_id)
    names = await _stage_names(competition_id)
    return [_appeal_out(r, stage_names=names, organizer=organizer) for r in rows]


async def _apply_correction(
    actor: Actor,
    competition_id: int,
    registration_id: int,
    correction: CorrectionIn,
    reason: str,
) -> bool:
    """Apply an upheld appeal's correction inside the caller's transaction, auditing old and new values.

    Returns whether anything changed.
    """
    scheme = await _scheme(competition_id)
    rules = _decode_rules(scheme["rules"])
    aspects = {
        aspect.id: (stage, aspect)
        for stage in rules.stages
        for module in stage.modules
        for aspect in module.aspects
    }
    stages = {stage.id: stage for stage in rules.stages}
    now = utcnow()
    changed = False
    for index, fix in enumerate(correction.marks):
        where = f"correction.marks[{index}]"
        if fix.aspect_id not in aspects:
            raise Invalid(
                f"评分项“{fix.aspect_id}”不在评分标准中", code="unknown_aspect", field=f"{where}.aspect_id"
            )
        stage, aspect = aspects[fix.aspect_id]
        problem = engine.validate_mark(aspect, fix.value)
        if problem is not None:
            raise Invalid(problem.message, code=problem.code, field=f"{where}.value")
        judge = (
            await JudgeAssignment.select(JudgeAssignment.judge)
            .where(
                (JudgeAssignment.competition == competition_id) & (JudgeAssignment.judge_no == fix.judge_no)
            )
            .first()
        )
        if judge is None:
            raise Invalid(f"没有 {fix.judge_no} 号裁判", code="unknown_judge", field=f"{where}.judge_no")
        sheet = (
            await ScoreSheet.select(ScoreSheet.id, ScoreSheet.version)
            .where(
                (ScoreSheet.stage == int(stage.id))
                & (ScoreSheet.registration == registration_id)
                & (ScoreSheet.judge == judge["judge"])
                & ScoreSheet.status.is_in(list(SUBMITTED))
            )
            .first()
        )
        if sheet is None:
            raise Invalid(
                f"{fix.judge_no} 号裁判没有该选手已提交的评分表",
                code="no_submitted_sheet",
                field=f"{where}.judge_no",
            )
        mark = (
            await SheetMark.select(SheetMark.id, SheetMark.value)
            .where((SheetMark.sheet == sheet["id"]) & (SheetMark.aspect_id == fix.aspect_id))
            .first()
        )
        old = None if mark is None else mark["value"]
        if old is not None and old == fix.value:
            continue
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
        await ScoreSheet.update(
            {ScoreSheet.version: ScoreSheet.version + 1, ScoreSheet.updated_at: now}
        ).where(ScoreSheet.id == sheet["id"])
        identity = {"registration_id": registration_id, "aspect_id": fix.aspect_id, "judge_no": fix.judge_no}
        await audit.record(
            actor,
            "sheet_mark.correct",
            "sheet_mark",
            mark_id,
            before={**identity, "value": old},
            after={**identity, "value": fix.value},
            reason=reason,
        )
        changed = True
    for index, fix in enumerate(correction.imported):
        where = f"correction.imported[{index}]"
        stage = stages.get(str(fix.stage_id))
        if stage is None:
            raise Invalid("该环节不属于本竞赛", code="unknown_stage", field=f"{where}.stage_id")
        problem = engine.validate_imported_mark(stage, fix.value)
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
            continue
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
        await audit.record(
            actor,
            "imported_mark.correct",
            "imported_mark",
            key,
            before={**identity, "value": old},
            after={**identity, "value": fix.value},
            reason=reason,
        )
        changed = True
    facts_change: dict[str, Any] = {}
    if correction.time_used_seconds is not msgspec.UNSET:
        facts_change["time_used_seconds"] = correction.time_used_seconds
    if correction.disqualified is not msgspec.UNSET:
        facts_change["disqualified"] = correction.disqualified
        facts_change["disqualified_reason"] = (
            correction.disqualified_reason if correction.disqualified else ""
        )
    if facts_change:
        current = (
            await ContestantFacts.select().where(ContestantFacts.registration == registration_id).first()
        )
        before = {k: (None if current is None else current[k]) for k in facts_change}
        if before != facts_change:
            if current is None:
                await ContestantFacts.insert(ContestantFacts(registration=registration_id, **facts_change))
            else:
                values = {getattr(ContestantFacts, k): v for k, v in facts_change.items()}
                values[ContestantFacts.version] = ContestantFacts.version + 1
                await ContestantFacts.update(values).where(ContestantFacts.id == current["id"])
            await audit.record(
                actor,
                "contestant_facts.correct",
                "registration",
                registration_id,
                before=before,
                after=facts_change,
                reason=reason,
            )
            changed = True
    return changed


async def answer_appeal(actor: Actor, user: CurrentUser, appeal_id: int, data: AnswerIn) -> AppealOut:
    """The arbitration group's final answer: upheld with a correction (republished if already published)
    or dismissed with a reason. A second answer is refused. Audited."""
    if data.decision == "upheld" and data.correction is None:
        raise Invalid("申诉成立须同时给出成绩更正", code="correction_required", field="correction")
    if data.decision == "dismissed" and data.correction is not None:
        raise Invalid("驳回申诉不应附带成绩更正", code="correction_not_allowed", field="correction")
    if not data.reason.strip():
        raise Invalid("须说明处理理由", code="reason_required", field="reason")
    republished: _Published | None = None
    changed = False
    async with write_transaction():
        appeal = await Appeal.select().where(Appeal.id == appeal_id).first()
        if appeal is None:
            raise NotFound(f"申诉不存在：{appeal_id}", code="appeal_not_found")
        competition_id = appeal["competition"]
        if not await _is_member(competition_id, user.id):
            raise Forbidden("只有本竞赛监督仲裁组成员可以答复申诉", code="not_arbitration_member")
        if appeal["status"] != "pending":
            raise Conflict("该申诉已答复，仲裁结论为最终结论", code="appeal_answered")
        now = utcnow()
        updated = (
            await Appeal.update(
                {
                    Appeal.status: data.decision,
                    Appeal.answer: data.reason.strip(),
                    Appeal.answered_by: user.id,
                    Appeal.answered_at: now,
                    Appeal.version: Appeal.version + 1,
                }
            )
            .where((Appeal.id == appeal_id) & (Appeal.status == "pending"))
            .returning(Appeal.id)
        )
        if not updated:
            raise Conflict("该申诉已答复，仲裁结论为最终结论", code="appeal_answered")
        reason = f"申诉 #{appeal_id} 成立：{data.reason.strip()}"
        if data.correction is not None:
            changed = await _apply_correction(
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
        latest = await _latest_publication(competition_id)
        if changed and latest is not None:
            republished = await _publish_in_transaction(
                actor, competition_id, previous_version=latest["version"], reason=reason, accept_ties=True
            )
    if republished is not None:
        await _announce(competition_id, republished.version)
    elif changed:
        await live.marks_changed(competition_id)
    rows = await _appeal_rows(Appeal.id == appeal_id)
    return _appeal_out(
        rows[0],
        stage_names=await _stage_names(competition_id),
        organizer=user.role == Role.ORGANIZER,
        republished=None if republished is None else republished.version,
    )
