"""Use cases of the competitions domain: each loads, calls the rules, writes and audits in one transaction.

This module holds series, competitions and their lifecycle, and is the entry point of the domain: the
registration (:mod:`competitions.registration`) and check-in/draw (:mod:`competitions.checkin`) use cases
are re-exported here, so other domains and tools import ``competitions.service`` only.

API for the scoring domain (stable; no personal data unless the name says so)
-----------------------------------------------------------------------------
``await drawn_contestants(competition_id) -> list[DrawnContestant]``
    registration_id, person_id, employer_id, station_no, blind_code of every drawn contestant, by station.
``await competition_stages(competition_id) -> list[StageInfo]``
    id, position, name, kind, weight_percent (Decimal), in order.
``await get_competition_state(competition_id) -> str``
    one of ``competitions.rules.CompetitionState``.
``await transition(actor, competition_id, target, *, version=None, reason="") -> CompetitionOut``
    the lifecycle; an illegal step raises ``Conflict`` (409, code ``invalid_transition``).
``await mark_scoring_started(competition_id, actor=SYSTEM) -> None``
    checked_in -> in_progress, idempotent; from then on the lot draw is refused.
``await unblinded_contestants(competition_id) -> dict[registration_id, (name, employer_name)]``
    the blind-code mapping's other half, for organizers and publication only.

For the benchmark and tools: ``register_person(actor, competition_id, person_id, registered_by=...)`` is
one registration without HTTP; ``create_competition(actor, CompetitionIn)`` sets one up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import SYSTEM, Actor
from accounts.service import stale
from competitions.checkin import check_in, checkin_sheet, draw, draw_list
from competitions.registration import (
    enterprise_choices,
    export_registrations,
    get_registration,
    list_registrations,
    my_registrations,
    register,
    register_person,
    review,
    review_many,
    sign_up,
    upload_registrations,
    withdraw,
)
from competitions.rules import (
    ALLOWED_TRANSITIONS,
    STAGE_KIND_NAMES,
    EligibilityRules,
    FrozenFieldsError,
    Problem,
    StageSpec,
    TransitionError,
    check_eligibility,
    check_relied_fields_edit,
    check_transition,
    skill_level_label,
    validate_rules,
    validate_stages,
)
from competitions.schemas import (
    CompetitionAdminOut,
    CompetitionIn,
    CompetitionOut,
    CompetitionPatch,
    CompetitionStats,
    CompetitionSummary,
    CompetitionUpdateOut,
    DrawnContestant,
    FlaggedRegistration,
    SeriesIn,
    SeriesOut,
    StageIn,
    StageInfo,
    StageOut,
)
from competitions.shared import (
    ACCEPTED,
    CENT,
    LIVE,
    REJECTED,
    SUMMARY_COLUMNS,
    WAITLISTED,
    WITHDRAWN,
    S,
    changes_public_reads,
    competition_row,
    count_registrations,
    lock_competition,
    person_facts,
    promote_waitlisted,
    public_reads,
    reference_day,
    rules_of,
    summary,
)
from competitions.tables import Competition, Registration, Series, Stage
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

__all__ = [
    "check_in",
    "checkin_sheet",
    "competition_stages",
    "create_competition",
    "create_series",
    "describe_rules",
    "draw",
    "draw_list",
    "drawn_contestants",
    "enterprise_choices",
    "export_registrations",
    "get_competition",
    "get_competition_admin",
    "get_competition_state",
    "get_registration",
    "list_competitions",
    "list_registrations",
    "list_series",
    "mark_scoring_started",
    "my_registrations",
    "public_competition_json",
    "public_competitions_json",
    "public_reads",
    "register",
    "register_person",
    "review",
    "review_many",
    "rules_of",
    "sign_up",
    "transition",
    "unblinded_contestants",
    "update_competition",
    "upload_registrations",
    "withdraw",
]


def _problems_error(problems: Sequence[Problem]) -> Invalid:
    first = problems[0]
    detail = {"problems": [msgspec.to_builtins(p) for p in problems]}
    return Invalid(first.message, code=first.code, field=first.field, detail=detail)


# --- public reads (cached) --------------------------------------------------------------------------------


async def public_competitions_json(*, series_id: int | None, state: str | None) -> bytes:
    async def load() -> bytes:
        items = await list_competitions(include_drafts=False, series_id=series_id, state=state)
        return msgspec.json.encode(items)

    return await public_reads.get_or_load(("list", series_id, state), load)


async def public_competition_json(competition_id: int) -> bytes:
    async def load() -> bytes:
        return msgspec.json.encode(await get_competition(competition_id))

    return await public_reads.get_or_load(("detail", competition_id), load)


# --- series -----------------------------------------------------------------------------------------------


async def list_series() -> list[SeriesOut]:
    rows = await Series.select(Series.id, Series.name, Series.year).order_by(Series.year, ascending=False)
    return [SeriesOut(**r) for r in rows]


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


# --- reading competitions ---------------------------------------------------------------------------------


async def list_competitions(
    *,
    include_drafts: bool,
    series_id: int | None = None,
    state: str | None = None,
    query: str | None = None,
) -> list[CompetitionSummary]:
    condition = Competition.id > 0
    if not include_drafts:
        condition &= Competition.state != S.DRAFT
    if series_id is not None:
        condition &= Competition.series == series_id
    if state:
        condition &= Competition.state == state
    if query:
        condition &= Competition.title.like(f"%{query}%") | Competition.occupation.like(f"%{query}%")
    rows = (
        await Competition.select(*SUMMARY_COLUMNS)
        .where(condition)
        .order_by(Competition.registration_opens_at, ascending=False)
        .order_by(Competition.id, ascending=False)
    )
    now = utcnow()
    return [summary(r, now) for r in rows]


async def _stage_rows(competition_id: int) -> list[dict[str, Any]]:
    return await Stage.select().where(Stage.competition == competition_id).order_by(Stage.position)


def _stage_out(row: dict[str, Any]) -> StageOut:
    return StageOut(
        id=row["id"],
        position=row["position"],
        name=row["name"],
        kind=row["kind"],
        kind_name=STAGE_KIND_NAMES.get(row["kind"], row["kind"]),
        weight_percent=row["weight_percent"].quantize(CENT),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )


def describe_rules(rules: EligibilityRules) -> list[str]:
    """The rules as a reader sees them on the competition page."""
    lines: list[str] = []
    on = (
        f"（以 {rules.age_reference_date.isoformat()} 计）"
        if rules.age_reference_date
        else "（以报名截止日计）"
    )
    if rules.min_age is not None and rules.max_age is not None:
        lines.append(f"年龄 {rules.min_age}–{rules.max_age} 周岁{on}")
    elif rules.min_age is not None:
        lines.append(f"年龄满 {rules.min_age} 周岁{on}")
    elif rules.max_age is not None:
        lines.append(f"年龄不超过 {rules.max_age} 周岁{on}")
    if rules.least_senior_level is not None:
        lines.append(f"职业技能等级：{skill_level_label(rules.least_senior_level)}及以上")
    if rules.most_senior_level is not None:
        lines.append(f"职业技能等级：{skill_level_label(rules.most_senior_level)}及以下")
    if rules.union_member_required:
        lines.append("须为工会会员")
    if rules.zone_enterprise_required:
        lines.append("须为本区登记注册企业的职工")
    if rules.front_line_only:
        lines.append("仅限一线职工")
    if rules.max_per_enterprise is not None:
        lines.append(f"每家企业限报 {rules.max_per_enterprise} 人")
    if rules.min_years_employed is not None:
        lines.append(f"须在本区连续工作满 {rules.min_years_employed} 年")
    return lines or ["不限"]


async def get_competition(competition_id: int, *, include_draft: bool = False) -> CompetitionOut:
    row = await competition_row(competition_id, include_draft=include_draft)
    stages = await _stage_rows(competition_id)
    waitlisted = await count_registrations(
        (Registration.competition == competition_id) & (Registration.status == WAITLISTED)
    )
    rules = rules_of(row)
    head = summary(row, utcnow())
    return CompetitionOut(
        **msgspec.structs.asdict(head),
        description=row["description"],
        waitlisted_count=waitlisted,
        allowed_transitions=sorted(ALLOWED_TRANSITIONS.get(row["state"], ())),
        stages=[_stage_out(s) for s in stages],
        eligibility=rules,
        eligibility_text=describe_rules(rules),
        drawn_at=row["drawn_at"],
        version=row["version"],
    )


async def get_competition_admin(competition_id: int) -> CompetitionAdminOut:
    competition = await get_competition(competition_id, include_draft=True)
    rows = await Registration.select(
        Registration.status, Registration.review, Registration.attendance, Registration.station_no
    ).where(Registration.competition == competition_id)
    counts = {s: 0 for s in (ACCEPTED, WAITLISTED, REJECTED, WITHDRAWN)}
    pending = approved = present = absent = drawn = 0
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        live = r["status"] in LIVE
        pending += live and r["review"] == "pending"
        approved += live and r["review"] == "approved"
        accepted = r["status"] == ACCEPTED
        present += accepted and r["attendance"] == "present"
        absent += accepted and r["attendance"] == "absent"
        drawn += accepted and r["station_no"] is not None
    stats = CompetitionStats(
        accepted=counts[ACCEPTED],
        waitlisted=counts[WAITLISTED],
        rejected=counts[REJECTED],
        withdrawn=counts[WITHDRAWN],
        pending_review=pending,
        approved=approved,
        present=present,
        absent=absent,
        drawn=drawn,
    )
    return CompetitionAdminOut(competition=competition, stats=stats)


async def get_competition_state(competition_id: int) -> str:
    row = await Competition.select(Competition.state).where(Competition.id == competition_id).first()
    if row is None:
        raise NotFound(f"竞赛不存在：{competition_id}", field="competition_id")
    return row["state"]


# --- writing competitions ---------------------------------------------------------------------------------


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
    existing = {r["position"]: r["id"] for r in await _stage_rows(competition_id)}
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
        stages = await _stage_rows(competition_id)
        rules = changes.get("eligibility", rules_of(current))
        new_stages = changes.get("stages")
        stages_changed = new_stages is not None and _stage_terms(new_stages) != _stage_terms(stages)
        rules_changed = rules != rules_of(current)
        _check_relied_edit(locked["state"], patch, stages_changed=stages_changed, rules_changed=rules_changed)
        _check_patch(current, changes, stages, rules)
        new_state = locked["state"]
        if (stages_changed or rules_changed) and locked["state"] == S.CLOSED:
            new_state = S.OPEN
            _check_window_ahead(changes.get("registration_closes_at", current["registration_closes_at"]), now)
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
            await _audit_transition(actor, competition_id, locked["state"], new_state, patch.reason)
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


def _check_window_ahead(closes: dt.datetime, now: dt.datetime) -> None:
    if closes <= now:
        message = "报名截止时间已过，重新开放报名须先延后截止时间"
        raise Invalid(message, code="window_passed", field="registration_closes_at")


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


@changes_public_reads
# --- lifecycle --------------------------------------------------------------------------------------------

async def transition(
    actor: Actor,
    competition_id: int,
    target: str,
    *,
    version: int | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> CompetitionOut:
    """Move along the lifecycle; 409 ``invalid_transition`` (with the current state) if not allowed."""
    now = now or utcnow()
    async with write_transaction():
        locked = await lock_competition(competition_id)
        if version is not None and locked["version"] != version:
            raise stale(locked["version"])
        current = locked["state"]
        try:
            check_transition(current, target)
        except TransitionError as exc:
            allowed = sorted(ALLOWED_TRANSITIONS.get(current, ()))
            detail = {"current": current, "target": target, "allowed": allowed}
            raise Conflict(exc.message, code=exc.code, field="target", detail=detail) from None
        if target == S.OPEN:
            _check_window_ahead(locked["registration_closes_at"], now)
        if target == S.IN_PROGRESS and locked["drawn_at"] is None:
            raise Conflict(
                "尚未抽签，不能开始比赛", code="not_drawn", field="target", detail={"current": current}
            )
        await Competition.update(
            {Competition.state: target, Competition.version: locked["version"] + 1}
        ).where(Competition.id == competition_id)
        await _audit_transition(actor, competition_id, current, target, reason)
        if target == S.OPEN:
            await promote_waitlisted(competition_id, now)
    return await get_competition(competition_id, include_draft=True)


async def _audit_transition(actor: Actor, competition_id: int, before: str, after: str, reason: str) -> None:
    await audit.record(
        actor,
        "competition.transition",
        "competition",
        competition_id,
        before={"state": before},
        after={"state": after},
        reason=reason,
    )


async def mark_scoring_started(competition_id: int, actor: Actor = SYSTEM) -> None:
    """checked_in -> in_progress, once; called by the scoring domain when the first mark arrives."""
    if await get_competition_state(competition_id) == S.IN_PROGRESS:
        return
    try:
        await transition(actor, competition_id, S.IN_PROGRESS, reason="开始评分")
    except Conflict:
        if await get_competition_state(competition_id) != S.IN_PROGRESS:
            raise


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


# --- for the scoring domain -------------------------------------------------------------------------------


async def drawn_contestants(competition_id: int) -> list[DrawnContestant]:
    await get_competition_state(competition_id)
    rows = (
        await Registration.select(
            Registration.id,
            Registration.person,
            Registration.employer,
            Registration.station_no,
            Registration.blind_code,
        )
        .where(
            (Registration.competition == competition_id)
            & (Registration.status == ACCEPTED)
            & Registration.station_no.is_not_null()
        )
        .order_by(Registration.station_no)
    )
    return [
        DrawnContestant(
            registration_id=r["id"],
            person_id=r["person"],
            employer_id=r["employer"],
            station_no=r["station_no"],
            blind_code=r["blind_code"],
        )
        for r in rows
    ]


async def competition_stages(competition_id: int) -> list[StageInfo]:
    await get_competition_state(competition_id)
    return [
        StageInfo(
            id=s["id"],
            position=s["position"],
            name=s["name"],
            kind=s["kind"],
            weight_percent=s["weight_percent"].quantize(CENT),
        )
        for s in await _stage_rows(competition_id)
    ]


async def unblinded_contestants(competition_id: int) -> dict[int, tuple[str, str | None]]:
    """registration_id -> (name, employer name) of the drawn contestants: organizers and publication only."""
    rows = await Registration.select(
        Registration.id,
        Registration.person.name.as_alias("name"),
        Registration.employer.name.as_alias("employer_name"),
    ).where(
        (Registration.competition == competition_id)
        & (Registration.status == ACCEPTED)
        & Registration.station_no.is_not_null()
    )
    return {r["id"]: (r["name"], r["employer_name"]) for r in rows}
