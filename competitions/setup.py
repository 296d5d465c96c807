"""Setting competitions up: series, a competition with its stages and eligibility rules, and later edits.

An edit of what contestants relied on (stages, weights, eligibility) after registration opened needs
``reopen`` and a reason; new rules re-check every live registration, and those that now fail go back to
review with the reasons (the organizer decides, none is dropped silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.service import stale
from competitions.catalogue import get_competition
from competitions.lifecycle import audit_transition, check_window_ahead
from competitions.rules import (
    EligibilityRules,
    FrozenFieldsError,
    Problem,
    StageSpec,
    check_eligibility,
    check_relied_fields_edit,
    validate_rules,
    validate_stages,
)
from competitions.schemas import (
    CompetitionIn,
    CompetitionOut,
    CompetitionPatch,
    CompetitionUpdateOut,
    FlaggedRegistration,
    SeriesIn,
    SeriesOut,
    StageIn,
)
from competitions.shared import (
    LIVE,
    S,
    changes_public_reads,
    competition_row,
    lock_competition,
    person_facts,
    reference_day,
    rules_of,
    stage_rows,
)
from competitions.tables import Competition, Registration, Series, Stage
from competitions.waitlist import promote_waitlisted
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid


def _problems_error(problems: Sequence[Problem]) -> Invalid:
    first = problems[0]
    detail = {"problems": [msgspec.to_builtins(p) for p in problems]}
    return Invalid(first.message, code=first.code, field=first.field, detail=detail)


# --- series -----------------------------------------------------------------------------------------------


@changes_public_reads
async def create_series(actor: Actor, data: SeriesIn) -> SeriesOut:
    name = data.name.strip()
    try:
        async with write_transaction():
            if await Series.exists().where(Series.name == name):
                raise Conflict(f"系列名称已存在：{name}", code="duplicate", field="name")
            row = Series(name=name, year=data.year)
            await row.save()
            out = SeriesOut(id=row.id, name=name, year=data.year)
            await audit.record(actor, "series.create", "series", row.id, after=out)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(f"系列名称已存在：{name}", code="duplicate", field="name") from None
        raise
    return out


# --- a competition: created with its stages and rules, then edited ----------------------------------------


def _stage_specs(stages: Sequence[StageIn]) -> list[StageSpec]:
    return [
        StageSpec(
            name=s.name,
            kind=s.kind,
            weight_percent=s.weight_percent,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        for s in stages
    ]


def _definition_problems(
    opens: dt.datetime, closes: dt.datetime, stages: Sequence[StageIn], rules: EligibilityRules
) -> list[Problem]:
    problems = validate_stages(_stage_specs(stages))
    problems += [
        Problem(field=f"eligibility.{p.field}", code=p.code, message=p.message) for p in validate_rules(rules)
    ]
    if opens >= closes:
        message = "报名截止时间须晚于报名开始时间"
        problems.append(Problem(field="registration_closes_at", code="window_inverted", message=message))
    return problems


async def _require_series(series_id: int | None) -> None:
    if series_id is not None and not await Series.exists().where(Series.id == series_id):
        raise Invalid(f"竞赛系列不存在：{series_id}", field="series_id", code="unknown_reference")


def _encode_rules(rules: EligibilityRules) -> str:
    return msgspec.json.encode(rules).decode()


@changes_public_reads
async def create_competition(actor: Actor, data: CompetitionIn) -> CompetitionOut:
    problems = _definition_problems(
        data.registration_opens_at, data.registration_closes_at, data.stages, data.eligibility
    )
    if problems:
        raise _problems_error(problems)
    await _require_series(data.series_id)
    async with write_transaction():
        row = Competition(
            series=data.series_id,
            title=data.title.strip(),
            occupation=data.occupation.strip(),
            industry=data.industry,
            description=data.description,
            venue=data.venue,
            registration_opens_at=data.registration_opens_at,
            registration_closes_at=data.registration_closes_at,
            capacity=data.capacity,
            state=S.DRAFT,
            eligibility=_encode_rules(data.eligibility),
        )
        await row.save()
        await _write_stages(row.id, data.stages)
        after = {"title": row.title, "capacity": data.capacity, "stages": len(data.stages)}
        await audit.record(actor, "competition.create", "competition", row.id, after=after)
    return await get_competition(row.id, include_draft=True)


async def _write_stages(competition_id: int, stages: Sequence[StageIn]) -> None:
    """Stages updated in place by position, so a stage keeps its id (scoring refers to it)."""
    existing = {r["position"]: r["id"] for r in await stage_rows(competition_id)}
    for position, stage in enumerate(stages):
        values = {
            Stage.name: stage.name.strip(),
            Stage.kind: stage.kind,
            Stage.weight_percent: stage.weight_percent,
            Stage.starts_at: stage.starts_at,
            Stage.ends_at: stage.ends_at,
        }
        if position in existing:
            await Stage.update(values).where(Stage.id == existing[position])
        else:
            await Stage.insert(Stage(competition=competition_id, position=position, **_by_name(values)))
    await Stage.delete().where((Stage.competition == competition_id) & (Stage.position >= len(stages)))


def _by_name(values: dict[Any, Any]) -> dict[str, Any]:
    return {column._meta.name: value for column, value in values.items()}


def _stage_terms(stages: Iterable[Any]) -> list[tuple[str, str, Any]]:
    """What contestants relied on in the stages: names, kinds, weights (the schedule may move)."""

    def get(stage: Any, name: str) -> Any:
        return stage[name] if isinstance(stage, dict) else getattr(stage, name)

    return [
        (" ".join(get(s, "name").split()).casefold(), get(s, "kind"), get(s, "weight_percent").normalize())
        for s in stages
    ]


_PLAIN_FIELDS = ("title", "occupation", "industry", "description", "venue", "capacity", "series_id")


@changes_public_reads
async def update_competition(
    actor: Actor, competition_id: int, patch: CompetitionPatch, *, now: dt.datetime | None = None
) -> CompetitionUpdateOut:
    now = now or utcnow()
    changes = {
        f: v
        for f in patch.__struct_fields__
        if f not in {"version", "reopen", "reason"} and (v := getattr(patch, f)) is not msgspec.UNSET
    }
    if "series_id" in changes:
        await _require_series(changes["series_id"])
    async with write_transaction():
        locked = await lock_competition(competition_id)
        if locked["version"] != patch.version:
            raise stale(locked["version"])
        if locked["state"] == S.FINISHED:
            raise Conflict(
                "比赛已结束，不能再修改", code="competition_finished", detail={"current": S.FINISHED}
            )
        current = await competition_row(competition_id)
        stages = await stage_rows(competition_id)
        rules = changes.get("eligibility", rules_of(current))
        new_stages = changes.get("stages")
        stages_changed = new_stages is not None and _stage_terms(new_stages) != _stage_terms(stages)
        rules_changed = rules != rules_of(current)
        _check_relied_edit(locked["state"], patch, stages_changed=stages_changed, rules_changed=rules_changed)
        _check_patch(current, changes, stages, rules)
        new_state = locked["state"]
        if (stages_changed or rules_changed) and locked["state"] == S.CLOSED:
            new_state = S.OPEN
            check_window_ahead(changes.get("registration_closes_at", current["registration_closes_at"]), now)
        values = _patch_values(changes) | {
            Competition.state: new_state,
            Competition.version: patch.version + 1,
        }
        await Competition.update(values).where(Competition.id == competition_id)
        if new_stages is not None:
            await _write_stages(competition_id, new_stages)
        before, after = _audit_views(current, stages, changes)
        await audit.record(
            actor,
            "competition.update",
            "competition",
            competition_id,
            before=before,
            after=after,
            reason=patch.reason,
        )
        if new_state != locked["state"]:
            await audit_transition(actor, competition_id, locked["state"], new_state, patch.reason)
        flagged: list[FlaggedRegistration] = []
        if rules_changed and locked["state"] in (S.OPEN, S.CLOSED):
            flagged = await _recheck(actor, competition_id, rules, current, patch.reason)
        await promote_waitlisted(competition_id, now)
    return CompetitionUpdateOut(
        competition=await get_competition(competition_id, include_draft=True), flagged=flagged
    )


def _check_relied_edit(
    state: str, patch: CompetitionPatch, *, stages_changed: bool, rules_changed: bool
) -> None:
    if not (stages_changed or rules_changed):
        return
    try:
        check_relied_fields_edit(state, reopen=patch.reopen, reason=patch.reason)
    except FrozenFieldsError as exc:
        field = "stages" if stages_changed else "eligibility"
        if exc.code == "reopen_reason_required":
            field = "reason"
        raise Conflict(exc.message, code=exc.code, field=field, detail={"current": state}) from None


def _check_patch(
    current: dict[str, Any], changes: dict[str, Any], stages: list[dict[str, Any]], rules: EligibilityRules
) -> None:
    opens = changes.get("registration_opens_at", current["registration_opens_at"])
    closes = changes.get("registration_closes_at", current["registration_closes_at"])
    stage_inputs = changes.get("stages") or [
        StageIn(name=s["name"], kind=s["kind"], weight_percent=s["weight_percent"]) for s in stages
    ]
    problems = _definition_problems(opens, closes, stage_inputs, rules)
    if problems:
        raise _problems_error(problems)
    capacity = changes.get("capacity", current["capacity"])
    if capacity is not None and capacity < current["accepted_count"]:
        message = f"名额不能少于已报名的 {current['accepted_count']} 人"
        raise Invalid(message, code="capacity_below_accepted", field="capacity")


def _patch_values(changes: dict[str, Any]) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name in (*_PLAIN_FIELDS, "registration_opens_at", "registration_closes_at"):
        if name in changes:
            column = Competition.series if name == "series_id" else getattr(Competition, name)
            values[column] = changes[name].strip() if name in {"title", "occupation"} else changes[name]
    if "eligibility" in changes:
        values[Competition.eligibility] = _encode_rules(changes["eligibility"])
    return values


def _audit_views(
    current: dict[str, Any], stages: list[dict[str, Any]], changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    for name in changes:
        if name == "stages":
            before[name] = [_stage_view(s) for s in stages]
        elif name == "eligibility":
            before[name] = msgspec.to_builtins(rules_of(current))
        else:
            before[name] = current["series" if name == "series_id" else name]
    after = {k: msgspec.to_builtins(v) for k, v in changes.items()}
    return msgspec.to_builtins(before), after


def _stage_view(stage: dict[str, Any]) -> dict[str, Any]:
    return {"name": stage["name"], "kind": stage["kind"], "weight_percent": str(stage["weight_percent"])}


# --- re-checking registrations after the rules changed ----------------------------------------------------


async def _recheck(
    actor: Actor, competition_id: int, rules: EligibilityRules, competition: dict[str, Any], reason: str
) -> list[FlaggedRegistration]:
    """After the rules changed: every live registration re-checked in arrival order; those that fail go
    back to review with the reasons (the organizer decides), none is dropped silently."""
    rows = (
        await Registration.select(
            Registration.id,
            Registration.registration_no,
            Registration.person,
            Registration.employer,
            Registration.employer.in_zone.as_alias("employer_in_zone"),
            Registration.review,
            Registration.version,
            Registration.person.birth_date.as_alias("birth_date"),
            Registration.person.skill_level.as_alias("skill_level"),
            Registration.person.union_member.as_alias("union_member"),
            Registration.person.front_line.as_alias("front_line"),
            Registration.person.employed_since.as_alias("employed_since"),
        )
        .where((Registration.competition == competition_id) & Registration.status.is_in(list(LIVE)))
        .order_by(Registration.arrival)
    )
    reference = reference_day(rules, competition)
    per_employer: dict[int, int] = {}
    flagged: list[FlaggedRegistration] = []
    for r in rows:
        facts = person_facts({**r, "id": r["person"]})
        count = per_employer.get(r["employer"], 0) if r["employer"] is not None else 0
        reasons = check_eligibility(rules, facts, reference_date=reference, enterprise_count=count)
        if r["employer"] is not None:
            per_employer[r["employer"]] = count + 1
        if not reasons:
            continue
        messages = [x.message for x in reasons]
        note = "参赛条件变更后需复核：" + "；".join(messages)
        await Registration.update(
            {
                Registration.review: "pending",
                Registration.review_reason: note,
                Registration.version: r["version"] + 1,
            }
        ).where(Registration.id == r["id"])
        await audit.record(
            actor,
            "registration.recheck",
            "registration",
            r["id"],
            before={"review": r["review"]},
            after={"review": "pending", "reasons": [str(x.code) for x in reasons]},
            reason=reason,
        )
        flagged.append(
            FlaggedRegistration(
                registration_id=r["id"], registration_no=r["registration_no"], reasons=messages
            )
        )
    return flagged
