"""The organizer's ways out of a shortlist that cannot be formed (the report's ``ways_out``):

* relax one structural constraint, with a reason (``shortlist.relax``, audited with the old and new
  percentage), while the programme is still in expert review; then compute again;
* ask the unions concerned to nominate more (``shortlist.request``, audited): the request is kept with
  the report and shown to those unions' officers on their programmes page.

More places is the programme's own ``total_awards`` (an audited edit with a reason)."""

from __future__ import annotations

import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.service import stale
from awards.quotas import group_name, union_names
from awards.rows import from_json, programme_row, to_json
from awards.rules import STATE_NAMES, ProgrammeState
from awards.schemas import ConstraintIn, RelaxIn, ShortlistReport, UnionRequestIn, UnionRequestOut
from awards.shortlist import store_report, stored_report
from awards.tables import Programme
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid

RELAX_STATES = frozenset({ProgrammeState.ELIGIBILITY_REVIEW, ProgrammeState.EXPERT_REVIEW})


async def relax_constraint(actor: Actor, programme_id: int, data: RelaxIn) -> list[ConstraintIn]:
    """One constraint made looser (a lower *at least*, a higher *at most*), with a reason; audited."""
    reason = data.reason.strip()
    if len(reason) < 2:
        raise Invalid("放宽结构比例须说明理由", code="reason_required", field="reason")
    if not data.percent.is_finite() or not (0 <= data.percent <= 100):
        raise Invalid("比例须在 0–100 之间", code="percent_out_of_range", field="percent")
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        if data.version is not None and data.version != row["version"]:
            raise stale(row["version"])
        if row["state"] not in RELAX_STATES:
            state = STATE_NAMES.get(row["state"], row["state"])
            raise Conflict(
                f"评选处于「{state}」阶段，不能再放宽结构比例", code="programme_locked", field="percent"
            )
        constraints = from_json(row["constraints"], list[ConstraintIn]) or []
        if data.constraint_index >= len(constraints):
            raise Invalid("没有这一条结构比例", code="unknown_constraint", field="constraint_index")
        old = constraints[data.constraint_index]
        looser = data.percent < old.percent if old.bound == "at_least" else data.percent > old.percent
        if not looser:
            word = "低于" if old.bound == "at_least" else "高于"
            raise Invalid(f"放宽须{word}现行的 {old.percent}%", code="not_relaxed", field="percent")
        constraints[data.constraint_index] = msgspec.structs.replace(old, percent=data.percent)
        await Programme.update(
            {Programme.constraints: to_json(constraints), Programme.version: row["version"] + 1}
        ).where(Programme.id == programme_id)
        await audit.record(
            actor,
            "shortlist.relax",
            "programme",
            programme_id,
            before={
                "constraint": data.constraint_index,
                "attribute": old.attribute,
                "percent": str(old.percent),
            },
            after={
                "constraint": data.constraint_index,
                "attribute": old.attribute,
                "percent": str(data.percent),
            },
            reason=reason,
        )
    return constraints


async def request_unions(actor: Actor, programme_id: int, data: UnionRequestIn) -> ShortlistReport:
    """Ask the named quota groups (unions) to nominate more; kept with the report, audited."""
    message = data.message.strip()
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        report = await stored_report(row)
        if report is None or report.feasible:
            raise Conflict(
                "只有无法形成建议名单时才需请工会补充推荐", code="shortlist_feasible", field="groups"
            )
        values = {**row, "quotas": from_json(row["quotas"], dict[str, int]) or {}}
        names = await union_names([int(g) for g in data.groups if g.isdigit()])
        request = UnionRequestOut(
            at=utcnow(),
            groups=list(data.groups),
            group_names=[group_name(values, g, names) for g in data.groups],
            message=message,
        )
        report = msgspec.structs.replace(report, requests=[*report.requests, request])
        await store_report(programme_id, report)
        await audit.record(
            actor,
            "shortlist.request",
            "programme",
            programme_id,
            after={"groups": list(data.groups), "message": message},
        )
    return report


def requests_for(report: ShortlistReport | None, group: str) -> list[str]:
    """What the organizer asked of one union (its officers' page)."""
    if report is None:
        return []
    return [r.message for r in report.requests if group in r.groups]
