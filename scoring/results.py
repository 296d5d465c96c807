"""Results: the leaderboard computed from the marks, the live board, and results as rows to export.

Use cases over the pure engine (:mod:`scoring.rules`): load the marks (:mod:`scoring.inputs`) and call
``rules.leaderboard``. The rest of the results half builds on this module: the public boards
(:mod:`scoring.public_boards`), unblinding and publication (:mod:`scoring.publication`), the arbitration
group (:mod:`scoring.arbitration`) and appeals (:mod:`scoring.appeals`).

Who sees what
-------------
- Organizers: the live board by blind code, with names and employers once unblinded (解密).
- The chief judge: the live board by blind code only, always.
- The public: before publication a provisional board of blind codes (no station, name or employer), after
  publication the latest published version (name, employer, scores, rank, prize; never an ID number, a
  mobile or an internal id) and the open results document (blind codes and judge numbers only).

Figures
-------
The engine computes exactly, rounding where the rules declare it, and always rounds the final (and each
round's) score with the competition's declared final rounding (``rules.rounding.final``; two decimals half
up when none is declared). What is *published* (and shown) is rounded with that same step, final and stage
scores alike, so the final shown is the very figure that ranked and met the prize floor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from accounts.rules import Role
from accounts.schemas import CurrentUser
from competitions import service as competitions_service
from competitions.tables import Competition, Stage
from core.errors import Forbidden, NotFound
from core.offload import off_loop
from scoring import rules as engine
from scoring import standings
from scoring.inputs import ScoringInputs, load_scoring_inputs
from scoring.results_schemas import (
    CompetitionHead,
    LiveBoard,
    LiveRow,
    ModuleHead,
    PublicBoard,
    PublicRow,
    RoundHead,
    StageHead,
    TieOut,
)
from scoring.tables import JudgeAssignment, Publication, ScoringScheme, StageSignoff

DEFAULT_PUBLISHED_ROUNDING = engine.PUBLISHED_ROUNDING


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return msgspec.json.encode(value)


# ------------------------------------------------------------------------------------- the scoring scheme


async def scheme_row(competition_id: int) -> dict[str, Any]:
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
        await competition_head(competition_id)  # 404 for an unknown competition first
        raise NotFound("该竞赛尚未设置评分标准", code="no_scoring_scheme")
    return row


# ---------------------------------------------------------------------------------- competitions facts


async def competition_head(competition_id: int) -> CompetitionHead:
    """Title, occupation and venue (public facts); 404 for an unknown competition."""
    row = (
        await Competition.select(Competition.id, Competition.title, Competition.occupation, Competition.venue)
        .where(Competition.id == competition_id)
        .first()
    )
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", code="competition_not_found")
    return CompetitionHead(**row)


async def stages_of(competition_id: int) -> list[dict[str, Any]]:
    """The competition's stages with their end times (``competition_stages`` does not carry them)."""
    return (
        await Stage.select(Stage.id, Stage.name, Stage.position, Stage.ends_at)
        .where(Stage.competition == competition_id)
        .order_by(Stage.position)
    )


async def signoffs(stage_ids: Iterable[int]) -> dict[int, dt.datetime]:
    ids = list(stage_ids)
    if not ids:
        return {}
    rows = await StageSignoff.select(StageSignoff.stage, StageSignoff.signed_at).where(
        StageSignoff.stage.is_in(ids)
    )
    return {row["stage"]: row["signed_at"] for row in rows}


async def unblinded_contestants(competition_id: int) -> dict[int, tuple[str, str]]:
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

    def figures(self, values: Mapping[str, Decimal], only: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Scores by id rounded as published; ``only``: the ids kept (all when None)."""
        keep = None if only is None else set(only)
        return {k: self.fmt(v) for k, v in values.items() if keep is None or k in keep}

    @property
    def rounds(self) -> list[RoundHead]:
        declared = self.inputs.rules.rounds
        if declared is None:
            return []
        return [
            RoundHead(id=r.id, name=r.name or f"第{i + 1}轮", position=i)
            for i, r in enumerate(declared.rounds)
        ]

    @property
    def round_total(self) -> str | None:
        declared = self.inputs.rules.rounds
        return None if declared is None else declared.total

    def modules(self, public: bool) -> list[ModuleHead]:
        """Every module (organizers), or the ones the organizer chose to publish (``public_modules``)."""
        chosen = set(self.inputs.rules.public_modules)
        return [
            ModuleHead(id=m.id, name=m.name or m.id, stage_id=stage.id)
            for stage in self.inputs.rules.stages
            for m in stage.modules
            if not public or m.id in chosen
        ]


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
    rounds = inputs.rules.rounds.rounds if inputs.rules.rounds is not None else ()
    round_of = {stage_id: i for i, declared in enumerate(rounds) for stage_id in declared.stages}
    out = {}
    for subject in inputs.subjects:
        sid = subject.subject_id
        reached = len(rounds) if subject.eliminated_after is None else subject.eliminated_after
        due = [s for s in imported_stages if round_of.get(s, 0) <= reached]  # none after a cut (未晋级)
        imported_in = sum(1 for stage_id in due if stage_id in subject.imported)
        out[sid] = Completeness(
            marks_in=marks_in.get(sid, 0),
            marks_expected=marks_expected.get(sid, 0),
            sheets_in=len(sheets_in.get(sid, ())) + imported_in,
            sheets_expected=len(sheets_expected.get(sid, ())) + len(due),
        )
    return out


HEAVY_MARKS = 500_000  # about 1,800 contestants of 7 judges and 40 aspects


def _leaderboard(
    rules: engine.CompetitionRules,
    subjects: list[engine.SubjectInput],
    marks: list[engine.Mark],
    expected: Any,
) -> engine.Leaderboard:
    """:func:`scoring.rules.leaderboard` with positional arguments (what a worker process is handed)."""
    return engine.leaderboard(rules, subjects, marks, expected=expected)


async def compute(competition_id: int) -> Computed:
    """Load the inputs and run the engine: every contestant's scores, rank, prize and completeness."""
    competition = await competition_head(competition_id)
    inputs = await load_scoring_inputs(competition_id)
    # Off the loop (PERF_PLAN.md section 5): a large competition's aggregation would stall every tablet;
    # beyond HEAVY_MARKS it goes to the worker process, whose pickling then costs less than it saves.
    board = await off_loop(
        _leaderboard, inputs.rules, inputs.subjects, inputs.marks, inputs.expected,
        heavy=len(inputs.marks) > HEAVY_MARKS,
    )  # fmt: skip
    names = {row["id"]: row["name"] for row in await stages_of(competition_id)}
    stages = [
        StageHead(
            id=stage.id,
            name=stage.name or (names.get(int(stage.id), stage.id) if stage.id.isdigit() else stage.id),
            weight_percent=stage.weight_percent,
            full_marks=stage.full_marks,
            weighted=inputs.rules.final == "weighted",
        )
        for stage in inputs.rules.stages
    ]
    return Computed(
        competition=competition,
        inputs=inputs,
        board=board,
        completeness=_completeness(inputs),
        stages=stages,
        step=inputs.rules.rounding.final_step,
    )


def _prize(tier: int | None) -> str | None:
    return None if tier is None else engine.TIER_NAMES.get(tier, f"{tier}等奖")


def public_rows(computed: Computed, names: Mapping[int, tuple[str, str]]) -> list[PublicRow]:
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
                round_scores=computed.figures(result.round_scores),
                module_scores=computed.figures(result.module_scores, computed.inputs.rules.public_modules),
                eliminated_after=result.eliminated_after,
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
    await competition_head(competition_id)
    raise Forbidden("只有组织者和本竞赛的裁判长可以查看实时成绩", code="not_chief_judge")


async def check_live_access(user: CurrentUser, competition_id: int) -> None:
    """For the live events stream: the competition exists and the user may watch it."""
    await competition_head(competition_id)
    await _viewer(user, competition_id)


async def latest_publication(competition_id: int) -> dict[str, Any] | None:
    return (
        await Publication.select(Publication.id, Publication.version, Publication.results)
        .where(Publication.competition == competition_id)
        .order_by(Publication.version, ascending=False)
        .first()
    )


def _live_row(
    computed: Computed,
    result: engine.SubjectResult,
    names: Mapping[int, tuple[str, str]],
    unblinded: bool,
) -> LiveRow:
    station_no, blind_code = computed.inputs.blind[result.subject_id]
    done = computed.completeness[result.subject_id]
    name, employer = names.get(int(result.subject_id), (None, None))
    return LiveRow(
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
        round_scores=computed.figures(result.round_scores),
        module_scores=computed.figures(result.module_scores),
        eliminated_after=result.eliminated_after,
    )


async def live_board(user: CurrentUser, competition_id: int) -> LiveBoard:
    view = await _viewer(user, competition_id)
    scheme = await scheme_row(competition_id)
    computed = await compute(competition_id)
    stage_rows = await stages_of(competition_id)
    signed = await signoffs(row["id"] for row in stage_rows)
    unblinded = scheme["unblinded_at"] is not None and view == "organizer"
    names = await unblinded_contestants(competition_id) if unblinded else {}
    latest = await latest_publication(competition_id)
    changed = None
    if latest is not None and view == "organizer":
        published = msgspec.json.decode(as_bytes(latest["results"]), type=PublicBoard)
        every_name = names if unblinded else await unblinded_contestants(competition_id)
        changed = published.rows != public_rows(computed, every_name)
    rows = [_live_row(computed, result, names, unblinded) for result in computed.board.results]
    shown = (
        await standings.shown(computed.inputs, computed.board, computed.step, names) if unblinded else None
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
        teams=None if shown is None else shown.teams,
        organisation_awards=None if shown is None else shown.organisation_awards,
        rounds=computed.rounds,
        round_total=computed.round_total,
        modules=computed.modules(public=False),
    )
