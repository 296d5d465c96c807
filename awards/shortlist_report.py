"""The shortlist as the organizer's page shows it, pure: the pool of nominations in, the plan
(``awards.rules.compute_shortlist``) and its report out.

* Candidates: a union nomination needs a review score, published to the 4 decimals that
  ``Nomination.review_score`` keeps; equal scores at that precision are ties and are reported as such,
  never settled silently. A union nomination without a score is left out (and counted in the report).
* Direct nominations (直接推荐, from a qualifying competition prize) are pre-selected: they take places
  first and the rest is filled by score. ``compute_shortlist`` has no "forced" input, so a direct nominee
  enters it with its score raised by a constant larger than any possible difference between two lists of
  reviewed nominees; the optimum therefore contains every direct nominee whenever the constraints allow
  it, and every constraint still counts them. A direct nominee is in no union's quota group (it takes no
  union's place). If the constraints cannot hold with all of them, the report says which one was left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from awards.review import plain
from awards.rules import Candidate, ShortlistResult, StructuralConstraint
from awards.rules import compute_shortlist as solve_shortlist
from awards.schemas import (
    ChangeOut,
    CheckOut,
    DisplacementOut,
    ShortfallOut,
    ShortlistEntry,
    ShortlistReport,
    TieOut,
)

SCORE_PLACES = Decimal("0.0001")  # Nomination.review_score is Numeric(12, 4)


def published_score(value: Decimal) -> Decimal:
    """A review score as stored and compared: 4 decimals, half up (the aggregate is exact before this),
    written without trailing zeros."""
    return plain(value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP))


def _score_text(value: Decimal | None) -> str:
    return "—" if value is None else format(plain(value), "f")


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


def _names(ids: Iterable[int], items: Mapping[int, PoolItem]) -> list[str]:
    return [items[i].name if i in items else f"#{i}" for i in ids]


def tie_score(score: Decimal, boost: Decimal | None) -> str:
    """A score as the report words it (a direct nominee's shown apart from the boost)."""
    if boost is not None and score >= boost:
        return f"直接推荐（评审分 {_score_text(score - boost)}）"
    return f"{_score_text(score)} 分"


def shortlist_entry(item: PoolItem, status: str, *, moved_up: bool = False) -> ShortlistEntry:
    """One line of the list as the report shows it."""
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


def report_order(ids: Iterable[int], items: Mapping[int, PoolItem]) -> list[int]:
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
        score = tie_score(t.score, plan.boost)
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
        selected=[shortlist_entry(items[i], "shortlisted") for i in report_order(r.selected, items)],
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
