"""The shortlist (建议名单), stored: computed, not hand-picked, when the programme enters 建议名单.

Among the candidates, the list of ``total_awards`` with the greatest total review score that respects every
quota group's cap and every structural constraint at once (``awards.rules.compute_shortlist``, wrapped by
:mod:`awards.shortlist_report`); the report explains the displacements against the plain ranking, the
constraints that cannot be met (and by how many people) and every tie at the cut-off.

* Candidates: eligible nominations still in the running (:func:`eligible_pool`), each with its review score
  (:mod:`awards.review_scores`); direct nominations are pre-selected.
* Quota groups: ``Nomination.quota_group`` (the nominating union, or the industry under an industry
  quota), capped by the programme's quota for that group (per-group, else the default).
* Attributes: :func:`candidate_attributes` (一线职工, 企业负责人, 女性 from the ID number, 产业工人 = a worker
  who is not an enterprise head, on the front line or holding a skill level, in one of the zone's
  industrial sectors, 工会会员).

Entering 建议名单 runs :func:`enter_shortlist` inside the transition's transaction: the generic transition
(:mod:`awards.lifecycle`) with the default options, ``POST /api/programmes/{id}/shortlist``
(:func:`compute_shortlist`) with the organizer's. When the constraints cannot all be met the transition is
refused, and the shortlist route stores and returns the report saying why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.tables import Person
from awards import transitions
from awards.eligibility import facts_of
from awards.programmes import constraint_of
from awards.quotas import group_name, union_names
from awards.review_panel import rubric_of
from awards.review_scores import review_scores
from awards.rows import chunks, from_json, programme_row
from awards.rules import LIVE_STATUSES, ProgrammeState, StructuralConstraint, ways_out
from awards.schemas import ConstraintIn, ShortlistIn, ShortlistReport, TransitionIn, WayOutOut
from awards.shortlist_report import (
    Plan,
    PoolItem,
    candidates_of,
    plan_shortlist,
    published_score,
    quotas_for,
    report_of,
)
from awards.tables import Nomination, Programme
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from core.offload import off_loop

INDUSTRIAL = frozenset(
    {"new_generation_it", "biomedicine", "intelligent_manufacturing", "robotics_equipment"}
)


def candidate_attributes(person: dict[str, Any]) -> frozenset[str]:
    """The facts a structural constraint counts, from a person row (:func:`awards.eligibility.facts_of`).

    ``industrial_worker`` (产业工人): not an enterprise leader, on the front line or holding a skill level,
    employed in one of the zone's industrial sectors (every industry but "other", which is services).
    """
    attributes = set()
    if person.get("front_line"):
        attributes.add("front_line")
    if person.get("enterprise_leader"):
        attributes.add("enterprise_leader")
    if person.get("gender") == "F":
        attributes.add("female")
    if person.get("union_member"):
        attributes.add("union_member")
    if (
        not person.get("enterprise_leader")
        and (person.get("front_line") or person.get("skill_level") is not None)
        and person.get("industry") in INDUSTRIAL
    ):
        attributes.add("industrial_worker")
    return frozenset(attributes)


class PoolEntry(msgspec.Struct, frozen=True, kw_only=True):
    nomination_id: int
    person_id: int
    name: str
    group: str
    attributes: frozenset[str]
    source: str
    source_competition_id: int | None


async def eligible_pool(programme_id: int) -> list[PoolEntry]:
    """The nominations that go on to expert review: active and (confirmed) eligible, with what the
    shortlist rules need (quota group, constraint attributes)."""
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.person,
            Nomination.quota_group,
            Nomination.source,
            Nomination.source_competition,
        )
        .where(
            (Nomination.programme == programme_id)
            & Nomination.status.is_in(list(LIVE_STATUSES))
            & (Nomination.eligibility_status == "eligible")
        )
        .order_by(Nomination.id)
    )
    facts = await facts_of(r["person"] for r in rows)
    return [
        PoolEntry(
            nomination_id=r["id"],
            person_id=r["person"],
            name=facts[r["person"]]["name"],
            group=r["quota_group"],
            attributes=candidate_attributes(facts[r["person"]]),
            source=r["source"],
            source_competition_id=r["source_competition"],
        )
        for r in rows
    ]


class ProgrammeRules(msgspec.Struct, kw_only=True):
    awards: int
    quota_scope: str
    default_quota: int | None
    quotas: dict[str, int]
    constraints: list[StructuralConstraint]

    def cap_of(self, group: str) -> int | None:
        """A quota group's cap: its listed quota, else the default one (None: no cap)."""
        return self.quotas.get(group, self.default_quota)


def programme_rules(row: Mapping[str, Any]) -> ProgrammeRules:
    """What the shortlist rules need of a programme row: the places, the quotas, the constraints."""
    constraints = from_json(row["constraints"], list[ConstraintIn]) or []
    return ProgrammeRules(
        awards=row["total_awards"],
        quota_scope=row["quota_scope"],
        default_quota=row["default_quota"],
        quotas=from_json(row["quotas"], dict[str, int]) or {},
        constraints=[constraint_of(c) for c in constraints],
    )


async def _group_names(row: Mapping[str, Any], groups: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(groups))
    by_union = row["quota_scope"] != "industry"
    unions = await union_names([int(g) for g in wanted if g.isdigit()]) if by_union else {}
    return {g: group_name(row, g, unions) for g in wanted}


async def _employers(person_ids: Iterable[int]) -> dict[int, str | None]:
    ids = sorted(set(person_ids))
    out: dict[int, str | None] = {}
    for chunk in chunks(ids):
        for r in await Person.select(Person.id, Person.employer.name.as_alias("employer_name")).where(
            Person.id.is_in(list(chunk))
        ):
            out[r["id"]] = r["employer_name"]
    return out


async def load_pool(
    row: Mapping[str, Any], scores: Mapping[int, Decimal | None] | None = None
) -> list[PoolItem]:
    """The candidates of a programme; ``scores`` by nomination id, else the stored review scores."""
    entries = await eligible_pool(row["id"])
    if scores is None:
        ids = [e.nomination_id for e in entries]
        stored: dict[int, Decimal | None] = {}
        for chunk in chunks(ids):
            for r in await Nomination.select(Nomination.id, Nomination.review_score).where(
                Nomination.id.is_in(list(chunk))
            ):
                stored[r["id"]] = None if r["review_score"] is None else published_score(r["review_score"])
        scores = stored
    employers = await _employers(e.person_id for e in entries)
    names = await _group_names(row, (e.group for e in entries))
    return [
        PoolItem(
            nomination_id=e.nomination_id,
            name=e.name,
            employer_name=employers.get(e.person_id),
            group=e.group,
            group_name=names.get(e.group, e.group) if e.source != "direct" else "直接推荐",
            attributes=e.attributes,
            score=scores.get(e.nomination_id),
            source=e.source,
        )
        for e in entries
    ]


HEAVY_POOL = 5_000  # nominations beyond which the solver runs in the worker process


def _ways_out(items: Sequence[PoolItem], rules: ProgrammeRules) -> list[WayOutOut]:
    """The ways out of an impossible list (awards.rules.ways_out), with the unions named."""
    candidates, _, _ = candidates_of(items)
    names = {i.group: i.group_name for i in items}
    found = ways_out(
        candidates,
        awards=rules.awards,
        quotas=quotas_for(items, rules.cap_of),
        constraints=rules.constraints,
    )
    return [
        WayOutOut(
            kind=w.kind,
            message=w.message,
            awards=w.awards,
            constraint_index=w.constraint_index,
            percent=w.percent,
            short_by=w.short_by,
            groups=list(w.groups),
            group_names=[names.get(g, g) for g in w.groups],
        )
        for w in found
    ]


def plan_for(row: Mapping[str, Any], items: Sequence[PoolItem]) -> Plan:
    rules = programme_rules(row)
    quotas = quotas_for(items, rules.cap_of)
    return plan_shortlist(items, awards=rules.awards, quotas=quotas, constraints=rules.constraints)


class ShortlistInfeasible(Conflict):
    """The constraints cannot all be met: the transition is refused; the route stores and shows why."""

    def __init__(self, report: ShortlistReport) -> None:
        first = report.shortfalls[0].message if report.shortfalls else "无法形成建议名单"
        super().__init__(
            f"无法形成同时满足名额与结构比例的建议名单：{first}",
            code="shortlist_infeasible",
            field="constraints",
            detail={"shortfalls": [msgspec.to_builtins(s) for s in report.shortfalls]},
        )
        self.report = report


class ShortlistOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the organizer asked for the list: ``allow_incomplete`` computes although some sheets are missing
    (with a ``reason``); the generic transition uses the defaults (an incomplete review refuses)."""

    allow_incomplete: bool = False
    reason: str = ""


DEFAULT_OPTIONS = ShortlistOptions()


async def _scores_for_shortlist(
    row: Mapping[str, Any], options: ShortlistOptions
) -> dict[int, Decimal | None]:
    rubric = rubric_of(row["review_rules"])
    if rubric is None:
        raise Conflict("尚未设置专家评审标准", code="review_rules_missing", field="review_rules")
    scores = await review_scores(row["id"], rubric.rules)
    incomplete = [n for n, s in scores.items() if not s.complete]
    if incomplete and not options.allow_incomplete:
        raise Conflict(
            f"还有 {len(incomplete)} 名推荐人选的专家评审未完成，请等待评审完成，或确认后按已提交的分数计算",
            code="review_incomplete",
            field="allow_incomplete",
            detail={"incomplete": len(incomplete), "nomination_ids": incomplete[:100]},
        )
    return {n: None if s.score is None else published_score(s.score) for n, s in scores.items()}


async def _write_scores(scores: Mapping[int, Decimal | None]) -> None:
    """Store every review score in a few statements (a CASE per 500 rows); values are numbers we made."""
    pairs = [(int(n), s) for n, s in scores.items()]
    for chunk in chunks(pairs):
        cases = " ".join(f"WHEN {n} THEN {'NULL' if s is None else format(s, 'f')}" for n, s in chunk)
        ids = ", ".join(str(n) for n, _ in chunk)
        await Nomination.raw(f"UPDATE nomination SET review_score = CASE id {cases} END WHERE id IN ({ids})")


async def set_status(ids: Sequence[int], status: str) -> None:
    for chunk in chunks(list(ids)):
        await Nomination.update(
            {Nomination.status: status, Nomination.version: Nomination.version + 1}
        ).where(Nomination.id.is_in(list(chunk)))


async def store_report(programme_id: int, report: ShortlistReport) -> None:
    """``Programme.shortlist`` is a derived record: written without bumping the programme's version."""
    await Programme.update({Programme.shortlist: msgspec.json.encode(report).decode()}).where(
        Programme.id == programme_id
    )


async def stored_report(row: Mapping[str, Any]) -> ShortlistReport | None:
    raw = row["shortlist"]
    if raw is None or raw in ("null", b"null"):
        return None
    text = raw if isinstance(raw, str | bytes) else msgspec.json.encode(raw)
    return msgspec.json.decode(text, type=ShortlistReport | None)


async def enter_shortlist(
    actor: Actor, row: dict[str, Any], options: ShortlistOptions = DEFAULT_OPTIONS
) -> None:
    """Inside the transition to 建议名单: aggregate, compute, store the scores, statuses and report."""
    scores = await _scores_for_shortlist(row, options)
    items = await load_pool(row, scores)
    # The solver off the loop (PERF_PLAN.md section 5); a large pool in the worker process.
    plan = await off_loop(plan_for, dict(row), list(items), heavy=len(items) > HEAVY_POOL)
    rules = programme_rules(row)
    report = report_of(row["id"], ProgrammeState.SHORTLIST, plan, awards=rules.awards, computed_at=utcnow())
    if not report.feasible:
        ways = _ways_out(items, rules)
        raise ShortlistInfeasible(msgspec.structs.replace(report, state=row["state"], ways_out=ways))
    await _write_scores(scores)
    await set_status([e.nomination_id for e in report.selected], "shortlisted")
    await store_report(row["id"], report)
    await audit.record(
        actor,
        "shortlist.compute",
        "programme",
        row["id"],
        after={
            "selected": [e.nomination_id for e in report.selected],
            "total_score": None if report.total_score is None else str(report.total_score),
            "displacements": [d.message for d in report.displacements],
            "cutoff_ties": [t.message for t in report.cutoff_ties],
            "allow_incomplete": options.allow_incomplete,
        },
        reason=options.reason,
    )


async def compute_shortlist(actor: Actor, programme_id: int, data: ShortlistIn) -> ShortlistReport:
    """专家评审 -> 建议名单 with the computed list; when the constraints cannot all be met, the state stays
    and the report (feasible = False) says which constraint fails and by how many people."""
    reason = data.reason.strip()
    if data.allow_incomplete and len(reason) < 2:
        raise Invalid("按未完成的评审计算须说明原因", code="reason_required", field="reason")
    options = ShortlistOptions(allow_incomplete=data.allow_incomplete, reason=reason)
    try:
        await transitions.transition(
            actor,
            programme_id,
            TransitionIn(target=ProgrammeState.SHORTLIST, version=data.version, reason=reason),
            partial(enter_shortlist, options=options),
        )
    except ShortlistInfeasible as refused:
        async with write_transaction():
            await programme_row(programme_id, lock="UPDATE")
            await store_report(programme_id, refused.report)
            await audit.record(
                actor,
                "shortlist.infeasible",
                "programme",
                programme_id,
                after={"shortfalls": [s.message for s in refused.report.shortfalls]},
                reason=reason,
            )
        return refused.report
    return await get_shortlist(programme_id)


async def get_shortlist(programme_id: int) -> ShortlistReport:
    row = await programme_row(programme_id)
    report = await stored_report(row)
    if report is None:
        raise NotFound("尚未计算建议名单", code="no_shortlist", field="programme_id")
    return msgspec.structs.replace(report, state=row["state"])
