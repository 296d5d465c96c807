"""The shortlist (建议名单), the public notice (公示) with its working-day calendar, and objections (异议).

Shortlist
---------
Computed, not hand-picked, by ``awards.rules.compute_shortlist``: among the candidates, the list of
``total_awards`` with the greatest total review score that respects every quota group's cap and every
structural constraint at once; the report explains the displacements against the plain ranking, the
constraints that cannot be met (and by how many people) and every tie at the cut-off.

* Candidates: eligible nominations still in the running (``awards.service.eligible_pool``). A union
  nomination needs a review score (the aggregated expert sheets, see :mod:`awards.review`), published to the
  4 decimals that ``Nomination.review_score`` keeps; equal scores at that precision are ties and are
  reported as such, never settled silently.
* Direct nominations (直接推荐, from a qualifying competition prize) are pre-selected: they take places
  first and the rest is filled by score. ``compute_shortlist`` has no "forced" input, so a direct nominee
  enters it with its score raised by a constant larger than any possible difference between two lists of
  reviewed nominees; the optimum therefore contains every direct nominee whenever the constraints allow
  it, and every constraint still counts them. A direct nominee is in no union's quota group (it takes no
  union's place). If the constraints cannot hold with all of them, the report says which one was left out.
* Quota groups: ``Nomination.quota_group`` (the nominating union, or the industry under an industry
  quota), capped by the programme's quota for that group (per-group, else the default).
* Attributes: ``awards.service.candidate_attributes`` (一线职工, 企业负责人, 女性 from the ID number,
  产业工人 = a worker who is not an enterprise head, on the front line or holding a skill level, in one of
  the zone's industrial sectors, 工会会员).

Entering 建议名单 always goes through ``awards.service.transition_programme``; the checks registered here with
``on_transition`` compute and store the list inside that transaction (so the generic transition route and
``POST /api/programmes/{id}/shortlist`` do the same thing). When the constraints cannot all be met the
transition is refused, and the shortlist route stores and returns the report saying why.

Public notice
-------------
Entering 公示 fixes the dates: the notice starts on the first working day from today (Asia/Shanghai) and
lasts the programme's ``notice_length`` working or calendar days, counted on ``awards.calendar`` (the
chinese-calendar library plus the years organizers entered). A year that neither knows refuses the
transition (409 ``calendar_year_unknown``) with a message naming the year.

Objections
----------
Lodged by anyone while the notice is open (today within its dates); the contact is sealed. Upheld: the
nominee is removed and ``awards.rules.next_replacement`` decides who moves up; dismissed: with a reason.
The award is refused while any objection is pending (see :mod:`awards.honours`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts import audit
from accounts.audit import Actor
from accounts.rules import INDUSTRIES
from accounts.tables import GrassrootsUnion, Person
from awards import calendar as work_days
from awards import review
from awards import service as awards_service
from awards.rules import (
    STATE_NAMES,
    Candidate,
    ProgrammeState,
    ShortlistResult,
    StructuralConstraint,
    next_replacement,
)
from awards.rules import compute_shortlist as solve_shortlist
from awards.schemas import (
    GROUNDS_MAX,
    GROUNDS_MIN,
    KIND_NAMES,
    CalendarStatusOut,
    CalendarYearIn,
    CalendarYearOut,
    ChangeOut,
    CheckOut,
    ConstraintIn,
    DisplacementOut,
    NoticeIn,
    NoticeItem,
    NoticePublic,
    ObjectionIn,
    ObjectionOut,
    ObjectionReceipt,
    ObjectionsOut,
    ResolveIn,
    ResolveOut,
    ShortfallOut,
    ShortlistEntry,
    ShortlistIn,
    ShortlistReport,
    TieOut,
    TransitionIn,
)
from awards.tables import CalendarYear, Nomination, Objection, Programme
from core import crypto
from core.db import today_shanghai, utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

SCORE_PLACES = Decimal("0.0001")  # Nomination.review_score is Numeric(12, 4)
PUBLIC_ACTOR = Actor(None, "公众", "public")


def today() -> dt.date:
    """Today in Asia/Shanghai (tests replace this to move the clock)."""
    return today_shanghai()


def _decode_json(raw: Any) -> Any:
    if raw is None:
        return None
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def published_score(value: Decimal) -> Decimal:
    """A review score as stored and compared: 4 decimals, half up (the aggregate is exact before this),
    written without trailing zeros."""
    return review.plain(value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP))


def _score_text(value: Decimal | None) -> str:
    return "—" if value is None else format(review.plain(value), "f")


# =========================================================================================================
# 1. The shortlist, pure: pool in, report out (also what the benchmark drives)
# =========================================================================================================


class PoolItem(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One nomination as the shortlist sees it."""

    nomination_id: int
    name: str
    employer_name: str | None
    group: str
    group_name: str
    attributes: frozenset[str]
    score: Decimal | None  # review score (4 decimals); None: not reviewed
    source: str = "union"  # union | direct


class Plan(msgspec.Struct, kw_only=True):
    result: ShortlistResult
    items: dict[int, PoolItem]
    candidates: list[Candidate]
    boost: Decimal | None  # added to a direct nominee's score; None without direct nominees
    unscored: list[PoolItem]  # union nominations without a review score: left out
    notes: list[str]


def candidates_of(items: Iterable[PoolItem]) -> tuple[list[Candidate], Decimal | None, list[PoolItem]]:
    """The candidates for ``compute_shortlist``: reviewed union nominations with their score, direct
    nominations with their score (0 if not reviewed) raised by a boost that puts them first."""
    scored: list[PoolItem] = []
    direct: list[PoolItem] = []
    unscored: list[PoolItem] = []
    for item in items:
        if item.source == "direct":
            direct.append(item)
        elif item.score is None:
            unscored.append(item)
        else:
            scored.append(item)
    candidates = [
        Candidate(id=i.nomination_id, score=i.score, group=i.group, attributes=i.attributes, name=i.name)
        for i in scored
        if i.score is not None
    ]
    boost: Decimal | None = None
    if direct:
        # Larger than any difference in total between two lists: each of the (at most len(pool)) places
        # differs by at most twice the largest absolute score.
        largest = max((abs(i.score) for i in (*scored, *direct) if i.score is not None), default=Decimal(0))
        boost = 2 * (largest + 1) * (len(scored) + len(direct) + 1)
        boost = boost.to_integral_value(rounding=ROUND_HALF_UP) + 1
        candidates += [
            Candidate(
                id=i.nomination_id,
                score=boost + (i.score or Decimal(0)),
                group=f"direct:{i.nomination_id}",
                attributes=i.attributes,
                name=i.name,
            )
            for i in direct
        ]
    return candidates, boost, unscored


def quotas_for(items: Iterable[PoolItem], cap_of: Callable[[str], int | None]) -> dict[str, int]:
    """The cap of each quota group present (groups without a cap, and direct nominees, are left out)."""
    out: dict[str, int] = {}
    for item in items:
        if item.source == "direct" or item.group in out:
            continue
        cap = cap_of(item.group)
        if cap is not None:
            out[item.group] = cap
    return out


def plan_shortlist(
    items: Sequence[PoolItem],
    *,
    awards: int,
    quotas: Mapping[str, int],
    constraints: Sequence[StructuralConstraint],
) -> Plan:
    """Pure: the shortlist of ``items`` (see the module docstring for direct nominations and scores)."""
    candidates, boost, unscored = candidates_of(items)
    result = solve_shortlist(candidates, awards=awards, quotas=quotas, constraints=constraints)
    by_id = {i.nomination_id: i for i in items}
    notes: list[str] = []
    direct = [i for i in items if i.source == "direct"]
    if direct:
        notes.append(f"直接推荐 {len(direct)} 人优先入选，其余名额按专家评审得分在名额与结构比例内确定")
        if len(direct) > awards:
            notes.append(f"直接推荐人数（{len(direct)}）超过表彰名额（{awards}），按编号先后确定入选")
        if result.feasible:
            chosen = set(result.selected)
            left = [i.name for i in direct if i.nomination_id not in chosen]
            if left and len(direct) <= awards:
                notes.append(f"为同时满足结构比例，直接推荐人选 {'、'.join(left)} 未能入选")
    if unscored:
        notes.append(f"{len(unscored)} 名推荐人选没有已提交的专家评审分数，未参加计算")
    return Plan(
        result=result, items=by_id, candidates=candidates, boost=boost, unscored=unscored, notes=notes
    )


def synthetic_pool(n: int, *, seed: int = 2026, unions: int | None = None, direct: int = 0) -> list[PoolItem]:
    """``n`` made-up reviewed nominations from ``unions`` unions (default n/20), for benchmarks and property
    tests: scores 60-100 with 2 decimals (so ties happen), about 65% front line, 8% enterprise heads, 35%
    women, 55% industrial workers."""
    rng = random.Random(seed)
    groups = unions or max(1, n // 20)
    items = []
    for i in range(1, n + 1):
        attributes = set()
        leader = rng.random() < 0.08
        if leader:
            attributes.add("enterprise_leader")
        elif rng.random() < 0.7:
            attributes.add("front_line")
        if rng.random() < 0.35:
            attributes.add("female")
        if not leader and rng.random() < 0.6:
            attributes.add("industrial_worker")
        group = str(rng.randrange(groups) + 1)
        items.append(
            PoolItem(
                nomination_id=i,
                name=f"候选人{i}",
                employer_name=f"企业{group}",
                group=group,
                group_name=f"工会{group}",
                attributes=frozenset(attributes),
                score=Decimal(rng.randrange(6000, 10001)) / 100,
                source="direct" if i <= direct else "union",
            )
        )
    return items


BENCH_CONSTRAINTS = (
    StructuralConstraint(attribute="front_line", bound="at_least", percent=Decimal(60), label="一线职工"),
    StructuralConstraint(
        attribute="enterprise_leader", bound="at_most", percent=Decimal(10), label="企业负责人"
    ),
    StructuralConstraint(attribute="female", bound="at_least", percent=Decimal(30), label="女性"),
)


def bench_case(
    n: int, *, awards: int | None = None, seed: int = 2026
) -> tuple[list[PoolItem], dict[str, Any]]:
    """The inputs ``bench/awards.py`` times :func:`plan_shortlist` on (build them outside the timing):
    ``n`` synthetic nominations (:func:`synthetic_pool`), three structural constraints
    (:data:`BENCH_CONSTRAINTS`), a quota of 3 per union, and ``awards`` places (default n / 10).

        items, rules = bench_case(5000)
        plan_shortlist(items, **rules)
    """
    items = synthetic_pool(n, seed=seed)
    places = awards if awards is not None else max(1, n // 10)
    rules = {
        "awards": places,
        "quotas": quotas_for(items, lambda _: 3),
        "constraints": BENCH_CONSTRAINTS,
    }
    return items, rules


def bench_shortlist(n: int, *, awards: int | None = None, seed: int = 2026) -> Plan:
    """:func:`plan_shortlist` on :func:`bench_case` (building the inputs included)."""
    items, rules = bench_case(n, awards=awards, seed=seed)
    return plan_shortlist(items, **rules)


def _names(ids: Iterable[int], items: Mapping[int, PoolItem]) -> list[str]:
    return [items[i].name if i in items else f"#{i}" for i in ids]


def _tie_score(score: Decimal, boost: Decimal | None) -> str:
    if boost is not None and score >= boost:
        return f"直接推荐（评审分 {_score_text(score - boost)}）"
    return f"{_score_text(score)} 分"


def _entry(item: PoolItem, status: str, *, moved_up: bool = False) -> ShortlistEntry:
    return ShortlistEntry(
        nomination_id=item.nomination_id,
        name=item.name,
        employer_name=item.employer_name,
        group=item.group,
        group_name=item.group_name,
        score=item.score,
        source=item.source,
        attributes=sorted(item.attributes),
        status=status,
        moved_up=moved_up,
    )


def _ordered(ids: Iterable[int], items: Mapping[int, PoolItem]) -> list[int]:
    """Report order: direct nominations first, then by score (high to low), then id."""

    def key(i: int) -> tuple[int, Decimal, int]:
        item = items[i]
        return (0 if item.source == "direct" else 1, -(item.score or Decimal(0)), i)

    return sorted((i for i in ids if i in items), key=key)


def report_of(
    programme_id: int,
    state: str,
    plan: Plan,
    *,
    awards: int,
    computed_at: dt.datetime | None,
    changes: Sequence[ChangeOut] = (),
) -> ShortlistReport:
    """The report the organizer's page shows (and what is stored in ``Programme.shortlist``)."""
    r, items = plan.result, plan.items
    ties = []
    for t in r.cutoff_ties:
        where = "建议名单" if t.ranking == "final" else "按分数排名（仅受单位名额限制）"
        selected, left_out = _names(t.selected, items), _names(t.left_out, items)
        score = _tie_score(t.score, plan.boost)
        ties.append(
            TieOut(
                ranking=t.ranking,
                score=score,
                selected=selected,
                left_out=left_out,
                selected_ids=list(t.selected),
                left_out_ids=list(t.left_out),
                message=(
                    f"{where}中 {'、'.join(selected)} 与 {'、'.join(left_out)} 同为{score}，"
                    "按编号先后确定入选，未作其他区分，请评审委员会决定"
                ),
            )
        )
    total = None
    if r.total_score is not None:
        total = sum((items[i].score or Decimal(0) for i in r.selected), Decimal(0))
    return ShortlistReport(
        programme_id=programme_id,
        state=state,
        computed_at=computed_at,
        feasible=r.feasible,
        awards=awards,
        candidates=len(plan.candidates),
        selected=[_entry(items[i], "shortlisted") for i in _ordered(r.selected, items)],
        plain=list(r.plain),
        total_score=total,
        checks=[
            CheckOut(
                constraint=c.constraint, bound=c.bound, count=c.count, plain=c.plain, selected=c.selected
            )
            for c in r.checks
        ],
        displacements=[
            DisplacementOut(
                constraint=d.constraint,
                brought_in=_names(d.brought_in, items),
                pushed_out=_names(d.pushed_out, items),
                brought_in_ids=list(d.brought_in),
                pushed_out_ids=list(d.pushed_out),
                message=d.message,
            )
            for d in r.displacements
        ],
        shortfalls=[
            ShortfallOut(
                constraint=s.constraint,
                needed=s.needed,
                available=s.available,
                short_by=s.short_by,
                jointly=s.jointly,
                message=s.message,
            )
            for s in r.infeasible
        ],
        cutoff_ties=ties,
        changes=list(changes),
        notes=list(plan.notes),
        unscored=[i.name for i in plan.unscored[:50]],
        unscored_count=len(plan.unscored),
    )


# =========================================================================================================
# 2. The shortlist, stored
# =========================================================================================================


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
    constraints = msgspec.convert(_decode_json(row["constraints"]) or [], list[ConstraintIn])
    return ProgrammeRules(
        awards=row["total_awards"],
        quota_scope=row["quota_scope"],
        default_quota=row["default_quota"],
        quotas={str(k): int(v) for k, v in (_decode_json(row["quotas"]) or {}).items()},
        constraints=[awards_service.constraint_of(c) for c in constraints],
    )


async def _group_names(scope: str, groups: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(groups))
    if scope == "industry":
        return {g: INDUSTRIES.get(g, g) for g in wanted}
    ids = [int(g) for g in wanted if g.isdigit()]
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        for r in await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name).where(
            GrassrootsUnion.id.is_in(list(chunk))
        ):
            names[r["id"]] = r["name"]
    return {g: (names.get(int(g), f"工会 #{g}") if g.isdigit() else "未指定工会") for g in wanted}


async def _employers(person_ids: Iterable[int]) -> dict[int, str | None]:
    ids = sorted(set(person_ids))
    out: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        for r in await Person.select(Person.id, Person.employer.name.as_alias("employer_name")).where(
            Person.id.is_in(list(chunk))
        ):
            out[r["id"]] = r["employer_name"]
    return out


async def load_pool(
    row: Mapping[str, Any], scores: Mapping[int, Decimal | None] | None = None
) -> list[PoolItem]:
    """The candidates of a programme; ``scores`` by nomination id, else the stored review scores."""
    entries = await awards_service.eligible_pool(row["id"])
    if scores is None:
        ids = [e.nomination_id for e in entries]
        stored: dict[int, Decimal | None] = {}
        for chunk in _chunks(ids):
            for r in await Nomination.select(Nomination.id, Nomination.review_score).where(
                Nomination.id.is_in(list(chunk))
            ):
                stored[r["id"]] = None if r["review_score"] is None else published_score(r["review_score"])
        scores = stored
    employers = await _employers(e.person_id for e in entries)
    names = await _group_names(row["quota_scope"], (e.group for e in entries))
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


class _Options(msgspec.Struct, kw_only=True):
    allow_incomplete: bool = False
    reason: str = ""


_OPTIONS: contextvars.ContextVar[_Options | None] = contextvars.ContextVar("shortlist_options", default=None)


async def _scores_for_shortlist(row: Mapping[str, Any], options: _Options) -> dict[int, Decimal | None]:
    rubric = review.rubric_of(row["review_rules"])
    if rubric is None:
        raise Conflict("尚未设置专家评审标准", code="review_rules_missing", field="review_rules")
    scores = await review.review_scores(row["id"], rubric.rules)
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
    for chunk in _chunks(pairs):
        cases = " ".join(f"WHEN {n} THEN {'NULL' if s is None else format(s, 'f')}" for n, s in chunk)
        ids = ", ".join(str(n) for n, _ in chunk)
        await Nomination.raw(f"UPDATE nomination SET review_score = CASE id {cases} END WHERE id IN ({ids})")


async def _set_status(ids: Sequence[int], status: str) -> None:
    for chunk in _chunks(list(ids)):
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


@awards_service.on_transition(ProgrammeState.SHORTLIST)
async def enter_shortlist(actor: Actor, row: dict[str, Any]) -> None:
    """Inside the transition to 建议名单: aggregate, compute, store the scores, statuses and report."""
    options = _OPTIONS.get() or _Options()
    scores = await _scores_for_shortlist(row, options)
    items = await load_pool(row, scores)
    plan = plan_for(row, items)
    rules = programme_rules(row)
    report = report_of(row["id"], ProgrammeState.SHORTLIST, plan, awards=rules.awards, computed_at=utcnow())
    if not report.feasible:
        raise ShortlistInfeasible(msgspec.structs.replace(report, state=row["state"]))
    await _write_scores(scores)
    await _set_status([e.nomination_id for e in report.selected], "shortlisted")
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
    token = _OPTIONS.set(_Options(allow_incomplete=data.allow_incomplete, reason=reason))
    try:
        await awards_service.transition_programme(
            actor,
            programme_id,
            TransitionIn(target=ProgrammeState.SHORTLIST, version=data.version, reason=reason),
        )
    except ShortlistInfeasible as refused:
        async with write_transaction():
            await review.programme_row(programme_id, lock="UPDATE")
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
    finally:
        _OPTIONS.reset(token)
    report = await get_shortlist(programme_id)
    return report


async def get_shortlist(programme_id: int) -> ShortlistReport:
    row = await review.programme_row(programme_id)
    report = await stored_report(row)
    if report is None:
        raise NotFound("尚未计算建议名单", code="no_shortlist", field="programme_id")
    return msgspec.structs.replace(report, state=row["state"])


# =========================================================================================================
# 3. Calendar years and the public notice
# =========================================================================================================


def _dates(raw: Any) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(str(d)) for d in (_decode_json(raw) or []))


def _calendar_out(r: Mapping[str, Any]) -> CalendarYearOut:
    return CalendarYearOut(
        year=r["year"],
        holidays=_dates(r["holidays"]),
        makeup_workdays=_dates(r["makeup_workdays"]),
        source=r["source"],
        entered_by=r["entered_by"],
        version=r["version"],
        created_at=r["created_at"],
    )


async def entered_years() -> list[CalendarYearOut]:
    rows = await CalendarYear.select().order_by(CalendarYear.year)
    return [_calendar_out(r) for r in rows]


async def work_calendar() -> work_days.WorkCalendar:
    """The calendar library plus every year organizers entered."""
    schedules = [
        work_days.YearSchedule(
            year=y.year, holidays=frozenset(y.holidays), makeup_workdays=frozenset(y.makeup_workdays)
        )
        for y in await entered_years()
    ]
    return work_days.WorkCalendar(schedules)


async def calendar_status() -> CalendarStatusOut:
    first, last = work_days.library_years()
    return CalendarStatusOut(library_years=[first, last], entered=await entered_years())


def _check_schedule(data: CalendarYearIn) -> None:
    """Refuse (422, naming the field) what ``awards.calendar.schedule_problems`` finds, and duplicates."""
    for field, days in (("holidays", data.holidays), ("makeup_workdays", data.makeup_workdays)):
        seen: set[dt.date] = set()
        for i, day in enumerate(days):
            if day in seen:
                raise Invalid(f"{day.isoformat()} 重复", code="duplicate_date", field=f"{field}[{i}]")
            seen.add(day)
    schedule = work_days.YearSchedule(
        year=data.year, holidays=frozenset(data.holidays), makeup_workdays=frozenset(data.makeup_workdays)
    )
    problems = work_days.schedule_problems(schedule)
    if problems:
        first = problems[0]
        field = first.field
        days = data.holidays if field == "holidays" else data.makeup_workdays
        for i, day in enumerate(days):  # name the date's place in its list when the message names a date
            if first.message.startswith(day.isoformat()):
                field = f"{field}[{i}]"
                break
        raise Invalid(
            first.message,
            code=first.code,
            field=field,
            detail={"problems": [msgspec.to_builtins(p) for p in problems]},
        )


async def put_calendar_year(actor: Actor, data: CalendarYearIn) -> CalendarYearOut:
    """Enter a year's official schedule (or correct it, with the version read); audited."""
    _check_schedule(data)
    now = utcnow()
    after = {
        "holidays": [d.isoformat() for d in sorted(data.holidays)],
        "makeup_workdays": [d.isoformat() for d in sorted(data.makeup_workdays)],
        "source": data.source.strip(),
    }
    async with write_transaction():
        current = await CalendarYear.select().where(CalendarYear.year == data.year).first()
        if current is None:
            if data.version is not None:
                raise NotFound(f"{data.year} 年尚未录入", code="calendar_year_missing", field="year")
            await CalendarYear.insert(
                CalendarYear(
                    year=data.year,
                    holidays=json.dumps(after["holidays"]),
                    makeup_workdays=json.dumps(after["makeup_workdays"]),
                    source=after["source"],
                    entered_by=actor.id,
                    version=1,
                    created_at=now,
                )
            ).on_conflict(target=CalendarYear.year, action="DO NOTHING")
            row = await CalendarYear.select().where(CalendarYear.year == data.year).first()
            assert row is not None
            if row["version"] != 1 or row["created_at"] != now:
                raise Conflict(
                    f"{data.year} 年已由他人录入，请刷新后核对",
                    code="stale_version",
                    field="version",
                    detail={"current_version": row["version"]},
                )
            await audit.record(actor, "calendar_year.create", "calendar_year", data.year, after=after)
        else:
            if data.version != current["version"]:
                raise Conflict(
                    f"{data.year} 年已录入（版本 {current['version']}），修改时请提交所读取的版本号",
                    code="stale_version",
                    field="version",
                    detail={"current_version": current["version"]},
                )
            updated = await (
                CalendarYear.update(
                    {
                        CalendarYear.holidays: json.dumps(after["holidays"]),
                        CalendarYear.makeup_workdays: json.dumps(after["makeup_workdays"]),
                        CalendarYear.source: after["source"],
                        CalendarYear.entered_by: actor.id,
                        CalendarYear.version: current["version"] + 1,
                    }
                )
                .where((CalendarYear.id == current["id"]) & (CalendarYear.version == current["version"]))
                .returning(CalendarYear.id)
            )
            if not updated:  # pragma: no cover - a concurrent correction
                raise Conflict("该年份已被他人修改，请刷新后重试", code="stale_version", field="version")
            before = _calendar_out(current)
            await audit.record(
                actor,
                "calendar_year.update",
                "calendar_year",
                data.year,
                before={
                    "holidays": [d.isoformat() for d in before.holidays],
                    "makeup_workdays": [d.isoformat() for d in before.makeup_workdays],
                    "source": before.source,
                },
                after=after,
            )
        row = await CalendarYear.select().where(CalendarYear.year == data.year).first()
        assert row is not None
        return _calendar_out(row)


def unknown_year(exc: work_days.UnknownCalendarYear) -> Conflict:
    first, last = work_days.library_years()
    return Conflict(
        f"日历库只收录 {first}–{last} 年的节假日安排，没有 {exc.year} 年的数据，无法计算公示期；"
        f"请先在“节假日安排”中录入 {exc.year} 年国务院办公厅公布的放假和调休安排",
        code="calendar_year_unknown",
        field="notice_starts_on",
        detail={"year": exc.year},
    )


async def notice_dates(length: int, unit: str, on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(start, end) of a notice opened on ``on`` (default today, Asia/Shanghai): it starts on the first
    working day from then and lasts ``length`` working or calendar days, the start day included."""
    calendar = await work_calendar()
    try:
        return work_days.notice_period(calendar, on or today(), length, unit)
    except work_days.UnknownCalendarYear as exc:
        raise unknown_year(exc) from None


@awards_service.on_transition(ProgrammeState.PUBLIC_NOTICE)
async def enter_notice(actor: Actor, row: dict[str, Any]) -> None:
    """Inside the transition to 公示: fix the dates (refused for a year no calendar knows)."""
    report = await stored_report(row)
    if report is None or not report.feasible or not report.selected:
        raise Conflict("尚无可公示的建议名单", code="no_shortlist", field="target")
    start, end = await notice_dates(row["notice_length"], row["notice_unit"])
    await Programme.update({Programme.notice_starts_on: start, Programme.notice_ends_on: end}).where(
        Programme.id == row["id"]
    )
    await audit.record(
        actor,
        "notice.open",
        "programme",
        row["id"],
        after={
            "notice_starts_on": start.isoformat(),
            "notice_ends_on": end.isoformat(),
            "length": row["notice_length"],
            "unit": row["notice_unit"],
            "names": len(report.selected),
        },
    )


async def open_notice(actor: Actor, programme_id: int, data: NoticeIn) -> NoticePublic:
    await awards_service.transition_programme(
        actor,
        programme_id,
        TransitionIn(target=ProgrammeState.PUBLIC_NOTICE, version=data.version, reason=data.reason.strip()),
    )
    return await public_notice(programme_id)


NOTICE_STATES = frozenset({ProgrammeState.PUBLIC_NOTICE, ProgrammeState.AWARDED, ProgrammeState.ARCHIVED})


async def public_notice(programme_id: int) -> NoticePublic:
    """The public notice: nothing but names, employers, the award and the dates."""
    row = await review.programme_row(programme_id)
    report = await stored_report(row)
    if row["state"] not in NOTICE_STATES or report is None:
        raise NotFound("该评选没有正在公示或已公示的名单", code="not_published", field="programme_id")
    award = KIND_NAMES.get(row["kind"], row["kind"])
    return NoticePublic(
        programme_id=programme_id,
        name=row["name"],
        year=row["year"],
        kind_name=award,
        state=row["state"],
        state_name=STATE_NAMES.get(row["state"], row["state"]),
        notice_starts_on=row["notice_starts_on"],
        notice_ends_on=row["notice_ends_on"],
        notice_length=row["notice_length"],
        notice_unit=row["notice_unit"],
        open_now=notice_open(row),
        today=today(),
        grounds_max_chars=GROUNDS_MAX,
        items=[
            NoticeItem(
                nomination_id=e.nomination_id,
                name=e.name,
                employer_name=e.employer_name,
                award=award,
                moved_up=e.moved_up,
            )
            for e in report.selected
        ],
    )


# =========================================================================================================
# 4. Objections
# =========================================================================================================


def notice_open(row: Mapping[str, Any], on: dt.date | None = None) -> bool:
    start, end = row["notice_starts_on"], row["notice_ends_on"]
    day = on or today()
    return (
        row["state"] == ProgrammeState.PUBLIC_NOTICE
        and start is not None
        and end is not None
        and start <= day <= end
    )


def _notice_closed(row: Mapping[str, Any]) -> Conflict:
    start, end = row["notice_starts_on"], row["notice_ends_on"]
    if row["state"] != ProgrammeState.PUBLIC_NOTICE or start is None or end is None:
        message = "该评选当前不在公示期，不受理异议"
    elif today() < start:
        message = f"公示期自 {start.isoformat()} 开始，届时方可提出异议"
    else:
        message = f"公示期已于 {end.isoformat()} 结束，不再受理异议"
    return Conflict(
        message,
        code="notice_closed",
        field="programme_id",
        detail={
            "notice_starts_on": None if start is None else start.isoformat(),
            "notice_ends_on": None if end is None else end.isoformat(),
        },
    )


async def lodge_objection(programme_id: int, data: ObjectionIn) -> ObjectionReceipt:
    """Anyone, during the notice: grounds required (10 to 2000 characters), contact sealed."""
    grounds = data.grounds.strip()
    if len(grounds) < GROUNDS_MIN:
        raise Invalid(
            f"请写明异议的事实和理由（不少于 {GROUNDS_MIN} 个字）", code="grounds_required", field="grounds"
        )
    if len(grounds) > GROUNDS_MAX:  # pragma: no cover - the schema caps the raw text already
        raise Invalid(f"异议内容不能超过 {GROUNDS_MAX} 个字", code="grounds_too_long", field="grounds")
    name = data.objector_name.strip()
    organisation = data.objector_organisation.strip()
    contact = data.contact.strip()
    anonymous = data.anonymous or not (name or organisation)
    now = utcnow()
    async with write_transaction():
        row = await review.programme_row(programme_id, lock="SHARE")
        if not notice_open(row):
            raise _notice_closed(row)
        nominee = (
            await Nomination.select(Nomination.id, Nomination.person.name.as_alias("name"))
            .where(
                (Nomination.id == data.nomination_id)
                & (Nomination.programme == programme_id)
                & (Nomination.status == "shortlisted")
            )
            .first()
        )
        if nominee is None:
            raise Invalid("该人选不在本次公示名单中", code="not_on_notice", field="nomination_id")
        inserted = await Objection.insert(
            Objection(
                programme=programme_id,
                nomination=data.nomination_id,
                grounds=grounds,
                objector_name="" if anonymous else name,
                objector_organisation="" if anonymous else organisation,
                contact_sealed=crypto.seal(contact) if contact else None,
                anonymous=anonymous,
                status="pending",
                lodged_at=now,
            )
        ).returning(Objection.id)
        objection_id = inserted[0]["id"]
        await audit.record(
            PUBLIC_ACTOR,
            "objection.lodge",
            "objection",
            objection_id,
            after={
                "programme_id": programme_id,
                "nomination_id": data.nomination_id,
                "anonymous": anonymous,
                "organisation": bool(organisation) and not anonymous,
                "contact_given": bool(contact),
                "grounds_chars": len(grounds),
            },
        )
    return ObjectionReceipt(
        id=objection_id,
        programme_id=programme_id,
        nomination_id=data.nomination_id,
        nominee_name=nominee["name"],
        anonymous=anonymous,
        lodged_at=now,
        message="异议已登记，组织者将依规核查处理" + ("（匿名异议）" if anonymous else ""),
    )


_OBJECTION_COLUMNS = (
    Objection.id,
    Objection.programme,
    Objection.nomination,
    Objection.grounds,
    Objection.objector_name,
    Objection.objector_organisation,
    Objection.contact_sealed,
    Objection.anonymous,
    Objection.status,
    Objection.resolution,
    Objection.resolved_by,
    Objection.resolved_at,
    Objection.lodged_at,
    Objection.version,
    Objection.nomination.person.name.as_alias("nominee_name"),
    Objection.nomination.person.employer.name.as_alias("employer_name"),
    Objection.nomination.status.as_alias("nomination_status"),
)


def _objection_out(r: Mapping[str, Any]) -> ObjectionOut:
    sealed = r["contact_sealed"]
    return ObjectionOut(
        id=r["id"],
        programme_id=r["programme"],
        nomination_id=r["nomination"],
        nominee_name=r["nominee_name"],
        employer_name=r["employer_name"],
        nomination_status=r["nomination_status"],
        grounds=r["grounds"],
        objector_name=r["objector_name"],
        objector_organisation=r["objector_organisation"],
        contact=crypto.unseal(bytes(sealed)) if sealed else "",
        anonymous=bool(r["anonymous"]),
        status=r["status"],
        resolution=r["resolution"],
        resolved_by=r["resolved_by"],
        resolved_at=r["resolved_at"],
        lodged_at=r["lodged_at"],
        version=r["version"],
    )


async def list_objections(programme_id: int, status: str | None = None) -> ObjectionsOut:
    await review.programme_row(programme_id)
    counts = {
        r["status"]: r["count"]
        for r in await Objection.select(Objection.status, Count())
        .where(Objection.programme == programme_id)
        .group_by(Objection.status)
    }
    condition = Objection.programme == programme_id
    if status:
        condition &= Objection.status == status
    rows = await Objection.select(*_OBJECTION_COLUMNS).where(condition).order_by(Objection.id)
    return ObjectionsOut(
        programme_id=programme_id,
        pending=counts.get("pending", 0),
        upheld=counts.get("upheld", 0),
        dismissed=counts.get("dismissed", 0),
        items=[_objection_out(r) for r in rows],
    )


async def _objection(objection_id: int) -> dict[str, Any]:
    row = await Objection.select(*_OBJECTION_COLUMNS).where(Objection.id == objection_id).first()
    if row is None:
        raise NotFound(f"异议不存在：{objection_id}", field="objection_id")
    return row


async def resolve_objection(actor: Actor, objection_id: int, data: ResolveIn) -> ResolveOut:
    """Upheld: the nominee leaves the list and the next nominee who keeps every rule moves up (or the list
    is recomputed when no single one can); dismissed: with a reason. Audited in the same transaction."""
    reason = data.reason.strip()
    if data.decision == "dismissed" and len(reason) < 2:
        raise Invalid("驳回异议须说明理由", code="reason_required", field="reason")
    now = utcnow()
    change: ChangeOut | None = None
    also: list[int] = []
    async with write_transaction():
        first = await _objection(objection_id)
        row = await review.programme_row(first["programme"], lock="UPDATE")
        objection = await _objection(objection_id)  # re-read under the programme lock
        if objection["status"] != "pending":
            raise Conflict(
                "该异议已处理",
                code="already_resolved",
                field="objection_id",
                detail={"status": objection["status"]},
            )
        if data.version is not None and data.version != objection["version"]:
            raise Conflict(
                "异议已被他人处理或修改，请刷新后重试",
                code="stale_version",
                field="version",
                detail={"current_version": objection["version"]},
            )
        if row["state"] != ProgrammeState.PUBLIC_NOTICE:
            state = STATE_NAMES.get(row["state"], row["state"])
            raise Conflict(
                f"评选处于「{state}」阶段，不能处理异议", code="programme_locked", field="objection_id"
            )
        updated = await (
            Objection.update(
                {
                    Objection.status: data.decision,
                    Objection.resolution: reason,
                    Objection.resolved_by: actor.id,
                    Objection.resolved_at: now,
                    Objection.version: objection["version"] + 1,
                }
            )
            .where((Objection.id == objection_id) & (Objection.version == objection["version"]))
            .returning(Objection.id)
        )
        if not updated:  # pragma: no cover - the programme lock serialises resolutions
            raise Conflict("异议已被他人处理，请刷新后重试", code="stale_version", field="version")
        if data.decision == "upheld":
            others = await Objection.select(Objection.id, Objection.version).where(
                (Objection.nomination == objection["nomination"])
                & (Objection.status == "pending")
                & (Objection.id != objection_id)
            )
            for other in others:
                await Objection.update(
                    {
                        Objection.status: "upheld",
                        Objection.resolution: f"同一人选的异议 #{objection_id} 已成立，一并处理",
                        Objection.resolved_by: actor.id,
                        Objection.resolved_at: now,
                        Objection.version: other["version"] + 1,
                    }
                ).where(Objection.id == other["id"])
                also.append(other["id"])
            if objection["nomination_status"] == "shortlisted":
                change = await _remove_and_replace(actor, row, objection_id, objection["nomination"], now)
        await audit.record(
            actor,
            "objection.resolve",
            "objection",
            objection_id,
            before={"status": "pending"},
            after={
                "status": data.decision,
                "nomination_id": objection["nomination"],
                "also_resolved": also,
                "change": None if change is None else change.message,
            },
            reason=reason,
        )
        out = _objection_out(await _objection(objection_id))
    return ResolveOut(objection=out, also_resolved=also, change=change)


async def _remove_and_replace(
    actor: Actor, row: Mapping[str, Any], objection_id: int, removed: int, now: dt.datetime
) -> ChangeOut:
    report = await stored_report(row)
    assert report is not None, "a programme in public notice has a stored shortlist"
    current = [e.nomination_id for e in report.selected]
    items = await load_pool(
        row
    )  # still with the one removed now (next_replacement ignores it), not earlier ones
    await _set_status([removed], "removed")
    rules = programme_rules(row)
    candidates, _, _ = candidates_of(items)
    quotas = quotas_for(items, rules.cap_of)
    by_id = {i.nomination_id: i for i in items}
    removed_name = next((e.name for e in report.selected if e.nomination_id == removed), f"#{removed}")
    replacement = next_replacement(
        [i for i in current if i in by_id],
        removed,
        candidates,
        awards=rules.awards,
        quotas=quotas,
        constraints=rules.constraints,
    )
    rest = [i for i in current if i != removed]
    recomputed = replacement.recomputed is not None
    if recomputed and not replacement.recomputed.feasible:  # type: ignore[union-attr]
        new_list = rest
        added: list[int] = []
        message = (
            f"{removed_name} 撤下；没有一名候选人能递补且同时满足全部名额与结构比例，名单暂缺 1 人："
            + "；".join(s.message for s in replacement.recomputed.infeasible)  # type: ignore[union-attr]
        )
    else:
        new_list = list(replacement.selected)
        added = [i for i in new_list if i not in set(rest)]
        names = "、".join(by_id[i].name for i in added)
        if recomputed:
            left = [i for i in rest if i not in set(new_list)]
            message = (
                f"{removed_name} 撤下后，没有一名候选人能单独递补且满足全部比例与名额，名单已整体重新计算："
                f"{names or '无'} 入选" + (f"，{'、'.join(by_id[i].name for i in left)} 出列" if left else "")
            )
        elif added:
            item = by_id[added[0]]
            message = f"{removed_name} 撤下，{item.name}（{_tie_score(item.score or Decimal(0), None)}）递补"
            if replacement.tied_with:
                tied = "、".join(by_id[i].name for i in replacement.tied_with if i in by_id)
                message += f"；与其同分且同样符合条件的还有 {tied}，按编号先后确定，请评审委员会决定"
        else:
            message = f"{removed_name} 撤下，无人可递补"
    leaving = [i for i in rest if i not in set(new_list)]
    if leaving:
        await _set_status(leaving, "nominated")
    if added:
        await _set_status(added, "shortlisted")
    change = ChangeOut(
        at=now,
        objection_id=objection_id,
        removed_id=removed,
        removed_name=removed_name,
        added_ids=added,
        added_names=[by_id[i].name for i in added],
        recomputed=recomputed,
        message=message,
    )
    moved = {e.nomination_id for e in report.selected if e.moved_up} | set(added)
    entries = {e.nomination_id: e for e in report.selected}
    selected = []
    for i in _ordered(new_list, by_id):
        entry = entries.get(i) or _entry(by_id[i], "shortlisted")
        selected.append(msgspec.structs.replace(entry, moved_up=i in moved))
    updated = msgspec.structs.replace(report, selected=selected, changes=[*report.changes, change])
    await store_report(row["id"], updated)
    await audit.record(
        actor,
        "shortlist.replace",
        "programme",
        row["id"],
        before={"selected": current},
        after={"selected": [e.nomination_id for e in selected], "removed": removed, "added": added},
        reason=message,
    )
    return change
