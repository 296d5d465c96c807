"""Rounds (初赛、复赛、决赛): reading them, and an organizer closing one (the cut, 未晋级, the next order).

Closing round k: load the engine's inputs, score, take the standing after round k with the declared cut
(:mod:`scoring.rules.rounds`), then in one write transaction store the standing and the next round's
starting order (``round_close``), mark every contestant not going through as cut after round k
(``contestant_facts.eliminated_after``) and audit ``round.close``. From then on a cut contestant's sheets
for later rounds are refused (``scoring.entry``), the judge's tablet does not list them
(``scoring.tablet``) and the boards show them as 未晋级.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from competitions.tables import Registration
from core.db import utcnow, write_transaction
from core.errors import Conflict, Forbidden, NotFound
from scoring import rules as engine
from scoring.competition_facts import Contestant, contestant_facts, lock_competition, notify
from scoring.inputs import ScoringInputs, load_scoring_inputs
from scoring.rounds_schemas import RoundCloseIn, RoundOut, RoundsOut, StandingOut, StartOut
from scoring.rubric import load_scheme
from scoring.tables import ContestantFacts, JudgeAssignment, RoundClose

_SECURE = random.SystemRandom()  # a new draw must not be predictable from anything a person could know


def _declared(rules: engine.CompetitionRules, competition_id: int) -> engine.RoundsRule:
    if rules.rounds is None:
        raise NotFound("本竞赛未设置轮次", code="no_rounds", field="competition_id")
    return rules.rounds


async def _may_read(user: CurrentUser, competition_id: int) -> bool:
    """Organizers see names' registration ids; a judge of the competition sees stations and blind codes."""
    if user.role == Role.ORGANIZER:
        return True
    if user.role == Role.JUDGE and await JudgeAssignment.exists().where(
        (JudgeAssignment.competition == competition_id) & (JudgeAssignment.judge == user.id)
    ):
        return False
    raise Forbidden("只有组织者和本竞赛的裁判可以查看轮次", code="not_assigned", field="competition_id")


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def closed_rounds(competition_id: int) -> dict[str, dict[str, Any]]:
    """The stored closings by round id."""
    rows = await RoundClose.select().where(RoundClose.competition == competition_id)
    return {row["round_id"]: row for row in rows}


async def recorded_closings(competition_id: int) -> list[dict[str, Any]]:
    """The closings with their standings and starting orders decoded, first round first."""
    rows = (await closed_rounds(competition_id)).values()
    decoded = [
        {**r, "standings": _decoded(r["standings"]), "start_order": _decoded(r["start_order"])} for r in rows
    ]
    return sorted(decoded, key=lambda r: r["position"])


def _standing_out(
    entry: Mapping[str, Any], blind: Mapping[str, tuple[int, str]], organizer: bool
) -> StandingOut:
    station_no, blind_code = blind.get(str(entry["registration"]), (0, ""))
    return StandingOut(
        registration_id=entry["registration"] if organizer else None,
        station_no=station_no,
        blind_code=blind_code,
        round_score=Decimal(entry["round_score"]),
        score=Decimal(entry["score"]),
        rank=entry["rank"],
        qualified=entry["qualified"],
        group=entry.get("group") if organizer else None,
    )


def _start_out(order: Sequence[int], blind: Mapping[str, tuple[int, str]]) -> list[StartOut]:
    out = []
    for start_no, registration_id in enumerate(order, start=1):
        station_no, blind_code = blind.get(str(registration_id), (0, ""))
        out.append(StartOut(start_no=start_no, station_no=station_no, blind_code=blind_code))
    return out


def rounds_out(
    inputs: ScoringInputs, closed: Mapping[str, Mapping[str, Any]], *, organizer: bool
) -> RoundsOut:
    """The declared rounds with what each closing recorded (the standing, the next starting order)."""
    declared = _declared(inputs.rules, inputs.competition_id)
    out = []
    for position, item in enumerate(declared.rounds):
        row = closed.get(item.id)
        standings = (
            [_standing_out(e, inputs.blind, organizer) for e in _decoded(row["standings"])] if row else []
        )
        out.append(
            RoundOut(
                id=item.id,
                name=item.name or f"第{position + 1}轮",
                position=position,
                stage_ids=[int(s) if s.isdigit() else s for s in item.stages],
                cut=item.cut,
                count=item.count,
                min_score=item.min_score,
                ties=item.ties,
                next_order=item.next_order,
                closed=row is not None,
                closed_at=row["closed_at"] if row else None,
                standings=standings,
                start_order=_start_out(_decoded(row["start_order"]), inputs.blind) if row else [],
            )
        )
    return RoundsOut(competition_id=inputs.competition_id, total=declared.total, rounds=out)


async def read_rounds(user: CurrentUser, competition_id: int) -> RoundsOut:
    organizer = await _may_read(user, competition_id)
    inputs = await load_scoring_inputs(competition_id)
    return rounds_out(inputs, await closed_rounds(competition_id), organizer=organizer)


def starting_order_of(
    rules: engine.CompetitionRules, closed: Mapping[str, Mapping[str, Any]], stage_id: str
) -> dict[int, int] | None:
    """Registration id -> start number in the round of ``stage_id``, once the round before it is closed."""
    if rules.rounds is None:
        return None
    for position, item in enumerate(rules.rounds.rounds):
        if stage_id in item.stages and position > 0:
            before = closed.get(rules.rounds.rounds[position - 1].id)
            if before is None:
                return None
            return {rid: n for n, rid in enumerate(_decoded(before["start_order"]), start=1)}
    return None


def round_index_of(rules: engine.CompetitionRules, stage_id: str) -> int:
    """The index of the round a stage belongs to (0 without rounds)."""
    if rules.rounds is not None:
        for position, item in enumerate(rules.rounds.rounds):
            if stage_id in item.stages:
                return position
    return 0


def refuse_outside_round(
    rules: engine.CompetitionRules, stage_id: str, eliminated_after: int | None, rounds_closed: int
) -> None:
    """A sheet of a later round is refused for a contestant cut before it (未晋级), and for everyone while
    the round before it is open (who goes through is not known yet). Rounds close in order, so
    ``rounds_closed`` rounds closed means rounds 0 .. rounds_closed are open for sheets."""
    position = round_index_of(rules, stage_id)
    if position == 0 or rules.rounds is None:
        return
    label = rules.rounds.rounds[position].name or rules.rounds.rounds[position].id
    if eliminated_after is not None and position > eliminated_after:
        raise Conflict(
            f"该选手未晋级“{label}”，不能查看或录入本轮评分", code="not_qualified", field="blind_code"
        )
    if rounds_closed < position:
        raise Conflict(
            f"上一轮尚未结束，晋级名单未定，“{label}”暂不能评分", code="round_not_open", field="stage_id"
        )


async def refuse_imports_outside_round(
    competition_id: int, rules: engine.CompetitionRules, stage_id: str, registration_ids: Sequence[int]
) -> None:
    """Imported marks of a later round: refused for a contestant cut before it, and while the round before
    it is open (as a judge's sheet is, :func:`refuse_outside_round`)."""
    if round_index_of(rules, stage_id) == 0:
        return
    rounds_closed = await RoundClose.count().where(RoundClose.competition == competition_id)
    facts = await contestant_facts(registration_ids)
    for registration_id in registration_ids:
        fact = facts.get(registration_id)
        eliminated = fact["eliminated_after"] if fact else None
        refuse_outside_round(rules, stage_id, eliminated, rounds_closed)


async def entrants_of_stage(
    rules: engine.CompetitionRules, stage_id: str, contestants: Sequence[Contestant]
) -> list[Contestant]:
    """The contestants due on a stage: without those cut before its round (未晋级)."""
    position = round_index_of(rules, stage_id)
    if position == 0:
        return list(contestants)
    facts = await contestant_facts(c.registration_id for c in contestants)
    return [
        c
        for c in contestants
        if (fact := facts.get(c.registration_id)) is None
        or fact["eliminated_after"] is None
        or fact["eliminated_after"] >= position
    ]


# ----------------------------------------------------------------------------------------- closing a round


async def _groups(competition_id: int, subject_ids: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """Each contestant's grassroots union (the person's) and enterprise (at registration), as strings."""
    rows = await Registration.select(
        Registration.id, Registration.employer, Registration.person.union.as_alias("union")
    ).where(
        (Registration.competition == competition_id) & Registration.id.is_in([int(s) for s in subject_ids])
    )
    return {
        str(r["id"]): {
            "union": None if r["union"] is None else str(r["union"]),
            "enterprise": None if r["employer"] is None else str(r["employer"]),
        }
        for r in rows
    }


def _check_closable(
    declared: engine.RoundsRule, round_id: str, closed: Mapping[str, Any]
) -> tuple[int, engine.Round]:
    position = next((i for i, r in enumerate(declared.rounds) if r.id == round_id), None)
    if position is None:
        raise NotFound(f"本竞赛没有轮次“{round_id}”", code="unknown_round", field="round_id")
    item = declared.rounds[position]
    label = item.name or round_id
    if item.cut is None:
        raise Conflict(f"“{label}”是最后一轮，没有晋级名单；请发布成绩", code="last_round", field="round_id")
    if round_id in closed:
        raise Conflict(f"“{label}”已结束，晋级名单已确定", code="round_closed", field="round_id")
    if position > 0 and declared.rounds[position - 1].id not in closed:
        raise Conflict("上一轮尚未结束，不能结束本轮", code="previous_round_open", field="round_id")
    return position, item


def _incomplete(
    inputs: ScoringInputs, results: Sequence[engine.SubjectResult], item: engine.Round, position: int
) -> list[str]:
    """Blind codes of the round's entrants whose marks for the round are not all in."""
    stage_ids = set(item.stages)
    aspects = {a.id for s in inputs.rules.stages if s.id in stage_ids for m in s.modules for a in m.aspects}
    imported = [s.id for s in inputs.rules.stages if s.id in stage_ids and s.kind == "imported"]
    subjects = {s.subject_id: s for s in inputs.subjects}
    missing = []
    for result in engine.entrants(results, position):
        complete = all(
            score.complete for aspect_id, score in result.aspect_scores.items() if aspect_id in aspects
        )
        complete = complete and all(s in subjects[result.subject_id].imported for s in imported)
        if not complete:
            missing.append(inputs.blind[result.subject_id][1])
    return sorted(missing)


async def close_round(actor: Actor, competition_id: int, round_id: str, data: RoundCloseIn) -> RoundsOut:
    """结束本轮: the standing, who goes through, the next starting order; once per round, audited."""
    async with write_transaction():
        await lock_competition(competition_id)  # one closing at a time, and none racing a rubric edit
        scheme = await load_scheme(competition_id)
        declared = _declared(scheme.rubric.rules, competition_id)
        closed = await closed_rounds(competition_id)
        position, item = _check_closable(declared, round_id, closed)
        inputs = await load_scoring_inputs(competition_id)
        results = engine.aggregate(inputs.rules, inputs.subjects, inputs.marks, expected=inputs.expected)
        missing = _incomplete(inputs, results, item, position)
        if missing:
            raise Conflict(
                f"本轮尚有{len(missing)}名选手成绩不完整（{'、'.join(missing[:5])}），不能结束本轮",
                code="round_incomplete",
                field="round_id",
                detail={"blind_codes": missing},
            )
        groups = await _groups(competition_id, [s.subject_id for s in inputs.subjects])
        standings = engine.round_standings(inputs.rules, results, position, groups)
        order = engine.starting_order(item, standings, _SECURE)
        stored = [
            {
                "registration": int(s.subject_id),
                "round_score": str(s.round_score),
                "score": str(s.score),
                "rank": s.rank,
                "qualified": s.qualified,
                "group": s.group,
            }
            for s in standings
        ]
        await RoundClose.insert(
            RoundClose(
                competition=competition_id,
                close_key=f"{competition_id}:{round_id}",
                round_id=round_id,
                position=position,
                standings=json.dumps(stored),
                start_order=json.dumps([int(s) for s in order]),
                closed_by=actor.id,
                closed_at=utcnow(),
            )
        )
        cut = [int(s.subject_id) for s in standings if not s.qualified]
        await _mark_cut(cut, position)
        await audit.record(
            actor,
            "round.close",
            "competition",
            competition_id,
            after={
                "round": round_id,
                "qualified": sum(1 for s in standings if s.qualified),
                "not_qualified": len(cut),
                "next_order": item.next_order,
            },
            reason=data.reason,
        )
        closed = await closed_rounds(competition_id)
    await notify(competition_id)
    return rounds_out(inputs, closed, organizer=True)


async def _mark_cut(registration_ids: Sequence[int], position: int) -> None:
    if not registration_ids:
        return
    existing = {
        r["registration"]
        for r in await ContestantFacts.select(ContestantFacts.registration).where(
            ContestantFacts.registration.is_in(list(registration_ids))
        )
    }
    new = [ContestantFacts(registration=rid) for rid in registration_ids if rid not in existing]
    if new:
        await ContestantFacts.insert(*new)
    await ContestantFacts.update(
        {ContestantFacts.eliminated_after: position, ContestantFacts.version: ContestantFacts.version + 1}
    ).where(ContestantFacts.registration.is_in(list(registration_ids)))
