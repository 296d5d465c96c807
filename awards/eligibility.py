"""Eligibility (资格审查): the rules' verdict on a nominee with its reasons (a qualifying prize may waive the
rules), re-run when the rules change; an organizer confirms the verdict or overrides it with a reason
(audited before and after), one by one or for many at once."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from accounts import audit
from accounts.audit import Actor
from accounts.schemas import CurrentUser
from accounts.service import stale
from awards.nomination_views import eligibility_counts, get_nomination
from awards.prizes import qualifying_hits
from awards.rows import chunks, from_json, programme_row, to_json
from awards.rules import ACTIVE, ELIGIBILITY_REVIEW_STATES, STATE_NAMES, WITHDRAWN
from awards.schemas import (
    BulkConfirmIn,
    BulkConfirmOut,
    EligibilityDecisionIn,
    NominationOut,
    PublishedResult,
)
from awards.tables import Nomination
from competitions.rules import EligibilityRules, PersonFacts, check_eligibility
from core.db import SHANGHAI, Sql, utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound

# What the rules and the constraints look at of a person, with the ID fingerprint uploads match by: SQL text
# (every nomination and upload reads it; Piccolo's select of the same costs more to build than to run).
_FACTS_SQL = """
SELECT p.id AS id, p.name AS name, p."union" AS "union", p.birth_date AS birth_date, p.gender AS gender,
  p.id_masked AS id_masked, p.skill_level AS skill_level, p.union_member AS union_member,
  p.front_line AS front_line, p.enterprise_leader AS enterprise_leader, p.employed_since AS employed_since,
  p.employer AS employer, e.name AS employer_name, e.industry AS industry, e.in_zone AS in_zone,
  p.id_fingerprint AS id_fingerprint
FROM person p LEFT JOIN enterprise e ON e.id = p.employer
WHERE p.{column} IN ({marks})
"""


async def facts_by(
    column: Literal["id", "id_fingerprint"], values: Iterable[Any]
) -> dict[Any, dict[str, Any]]:
    """``column``'s value -> the person's facts (:data:`_FACTS_SQL`), for every person having one of them."""
    facts: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(values))):
        facts |= {row[column]: row for row in await _facts_sql(column, len(chunk)).rows(*chunk)}
    return facts


# Up to this many keys the read is answered on the loop's thread (core.db.Sql's key_read: a few index
# lookups cost less than the hop to a reader's thread, which an officer's usual file of a handful paid).
INLINE_KEYS = 40


@functools.lru_cache(maxsize=1024)
def _facts_sql(column: str, count: int) -> Sql:
    marks = ", ".join(["{}"] * count)
    return Sql(_FACTS_SQL.format(column=column, marks=marks), key_read=count <= INLINE_KEYS)


async def facts_of(person_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Person id -> what the rules and the constraints look at."""
    return await facts_by("id", person_ids)


def reference_date(programme: dict[str, Any]) -> dt.date:
    """The day ages and years employed are measured on: the rules' own date, else the closing day."""
    rules: EligibilityRules = programme["eligibility"]
    return rules.age_reference_date or programme["nomination_closes_at"].astimezone(SHANGHAI).date()


def evaluate(
    rules: EligibilityRules,
    person: dict[str, Any],
    on: dt.date,
    qualifying: Sequence[PublishedResult] = (),
) -> tuple[str, list[dict[str, Any]]]:
    """The rules' verdict on one person and the reasons (the failing rules, then any waiver)."""
    facts = PersonFacts(
        person_id=person["id"],
        birth_date=person["birth_date"],
        skill_level=person["skill_level"],
        union_member=bool(person["union_member"]),
        employer_id=person["employer"],
        employer_in_zone=bool(person.get("in_zone")),
        front_line=bool(person["front_line"]),
        employed_since=person["employed_since"],
    )
    failing = check_eligibility(rules, facts, reference_date=on, enterprise_count=0)
    reasons: list[dict[str, Any]] = [{"code": str(r.code), "message": r.message} for r in failing]
    if not failing:
        return "eligible", reasons
    if qualifying:
        hit = min(qualifying, key=lambda r: (r.tier or 9, -(r.year or 0)))
        reasons.append(
            {
                "code": "qualified_by_result",
                "message": f"获{hit.title}{hit.prize}，按评选规定视为符合资格",
                "competition_id": hit.competition_id,
            }
        )
        return "eligible", reasons
    return "ineligible", reasons


async def recheck_eligibility(programme: dict[str, Any]) -> int:
    """After the rules changed: re-run them for union nominations no organizer has decided yet."""
    rows = await Nomination.select(
        Nomination.id, Nomination.person, Nomination.eligibility_status, Nomination.eligibility_reasons
    ).where(
        (Nomination.programme == programme["id"])
        & (Nomination.source == "union")
        & (Nomination.status == ACTIVE)
        & Nomination.eligibility_reviewed_at.is_null()
        & (Nomination.eligibility_overridden == False)  # noqa: E712
    )
    if not rows:
        return 0
    facts = await facts_of(r["person"] for r in rows)
    hits = await qualifying_hits(programme, "eligible", [r["person"] for r in rows])
    on = reference_date(programme)
    changed = 0
    for row in rows:
        status, reasons = evaluate(
            programme["eligibility"], facts[row["person"]], on, hits.get(row["person"], ())
        )
        encoded = to_json(reasons)
        if status != row["eligibility_status"] or from_json(row["eligibility_reasons"], list) != reasons:
            await Nomination.update(
                {Nomination.eligibility_status: status, Nomination.eligibility_reasons: encoded}
            ).where(Nomination.id == row["id"])
            changed += 1
    return changed


def _refuse_unless_reviewing(programme: dict[str, Any]) -> None:
    if programme["state"] not in ELIGIBILITY_REVIEW_STATES:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，资格审查已结束",
            code="eligibility_review_closed",
            detail={"state": programme["state"]},
        )


def _flip(status: str) -> str:
    return "ineligible" if status == "eligible" else "eligible"


def _eligibility_state(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "eligibility_status": row["eligibility_status"],
        "overridden": bool(row["eligibility_overridden"]),
        "note": row["eligibility_note"],
        "reviewed": row["eligibility_reviewed_at"] is not None,
    }


async def decide_eligibility(
    actor: Actor, viewer: CurrentUser, nomination_id: int, data: EligibilityDecisionIn
) -> NominationOut:
    """An organizer confirms the rules' verdict, or overrides it (with a reason); audited before/after."""
    reason = data.reason.strip()
    if data.decision == "override" and len(reason) < 2:
        raise Invalid("改判须填写理由", field="reason", code="reason_required")
    async with write_transaction():
        row = await Nomination.select().where(Nomination.id == nomination_id).first()
        if row is None:
            raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
        if data.version is not None and data.version != row["version"]:
            raise stale(row["version"])
        _refuse_unless_reviewing(await programme_row(row["programme"]))
        if row["status"] != ACTIVE:
            raise Conflict("该推荐已撤回或进入后续环节", code="nomination_not_active")
        automatic = (
            _flip(row["eligibility_status"]) if row["eligibility_overridden"] else row["eligibility_status"]
        )
        status = automatic if data.decision == "confirm" else _flip(automatic)
        await Nomination.update(
            {
                Nomination.eligibility_status: status,
                Nomination.eligibility_overridden: data.decision == "override",
                Nomination.eligibility_note: reason,
                Nomination.eligibility_reviewed_by: actor.id,
                Nomination.eligibility_reviewed_at: utcnow(),
                Nomination.version: row["version"] + 1,
            }
        ).where(Nomination.id == nomination_id)
        after = await Nomination.select().where(Nomination.id == nomination_id).first()
        await audit.record(
            actor,
            f"nomination.eligibility.{data.decision}",
            "nomination",
            nomination_id,
            before=_eligibility_state(row),
            after=_eligibility_state(after),
            reason=reason,
        )
    return await get_nomination(viewer, nomination_id)


async def confirm_eligibility(actor: Actor, programme_id: int, data: BulkConfirmIn) -> BulkConfirmOut:
    """Confirm the rules' verdict for many nominations at once (those not yet reviewed); one audit row."""
    async with write_transaction():
        _refuse_unless_reviewing(await programme_row(programme_id))
        condition = (
            (Nomination.programme == programme_id)
            & (Nomination.status == ACTIVE)
            & Nomination.eligibility_reviewed_at.is_null()
        )
        ids: list[int] = []
        values = {
            Nomination.eligibility_reviewed_by: actor.id,
            Nomination.eligibility_reviewed_at: utcnow(),
            Nomination.eligibility_note: data.reason.strip(),
            Nomination.version: Nomination.version + 1,
        }
        if data.nomination_ids is None:
            ids = [r["id"] for r in await Nomination.update(values).where(condition).returning(Nomination.id)]
        else:
            for chunk in chunks(sorted(set(data.nomination_ids))):
                done = (
                    await Nomination.update(values)
                    .where(condition & Nomination.id.is_in(list(chunk)))
                    .returning(Nomination.id)
                )
                ids += [r["id"] for r in done]
        if ids:
            await audit.record(
                actor,
                "nomination.eligibility.confirm_all",
                "programme",
                programme_id,
                after={"confirmed": len(ids), "nomination_ids": sorted(ids)},
                reason=data.reason,
            )
        counts = await eligibility_counts(
            (Nomination.programme == programme_id) & (Nomination.status != WITHDRAWN)
        )
    return BulkConfirmOut(confirmed=len(ids), counts=counts)
