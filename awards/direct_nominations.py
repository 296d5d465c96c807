"""Direct nominations (直接推荐): everyone whose published prize the programme declares ``direct`` is
nominated without a union's place, their eligibility confirmed, the competition kept as the source."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts import audit
from accounts.audit import Actor
from awards.eligibility import facts_of
from awards.prizes import qualifying_hits, result_items
from awards.quotas import lock_for_nominating, quota_group
from awards.rows import nomination_key, programme_row, programme_values, to_json
from awards.rules import ACTIVE, ELIGIBILITY_REVIEW_STATES, STATE_NAMES
from awards.schemas import Achievements, DirectNominationsOut, PublishedResult
from awards.tables import Nomination
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid


async def create_direct_nominations(actor: Actor, programme_id: int) -> DirectNominationsOut:
    """Nominate everyone whose published prize the programme declares ``direct``; idempotent.

    A direct nomination takes no union's quota place and its eligibility counts as confirmed; the link to
    the competition is kept in ``source_competition``. A person a union had already nominated becomes a
    direct nomination (their union gets its place back).
    """
    programme = programme_values(await programme_row(programme_id))
    _refuse_unless_open_for_review(programme)
    if not any(q.effect == "direct" for q in programme["qualifying_results"]):
        raise Invalid("评选未设置直接推荐的竞赛", field="qualifying_results", code="no_direct_rules")
    hits = await qualifying_hits(programme, "direct")
    facts = await facts_of(hits)
    out = DirectNominationsOut(created=[], converted=[], existing=[])
    now = utcnow()
    async with write_transaction():
        # Exclusive: a second run at the same moment, or a union nominating one of these people, waits.
        _refuse_unless_open_for_review(await lock_for_nominating(programme_id, (), exclusive=True))
        for person_id in sorted(hits):
            person = facts.get(person_id)
            if person is not None:
                await _nominate_directly(actor, programme, person, hits[person_id], now, out)
        if out.created or out.converted:
            await audit.record(
                actor,
                "nomination.direct",
                "programme",
                programme_id,
                after={"created": out.created, "converted": out.converted},
            )
    return out


def _refuse_unless_open_for_review(programme: dict[str, Any]) -> None:
    if programme["state"] not in ELIGIBILITY_REVIEW_STATES:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，不能再直接推荐",
            code="programme_locked",
            detail={"state": programme["state"]},
        )


async def _nominate_directly(
    actor: Actor,
    programme: dict[str, Any],
    person: dict[str, Any],
    prizes: list[PublishedResult],
    now: dt.datetime,
    out: DirectNominationsOut,
) -> None:
    """One person's direct nomination for their best qualifying prize: created, converted from a union
    nomination (or revived), or already there; recorded in ``out``."""
    lines = sorted(prizes, key=lambda r: (r.tier or 9, r.competition_id))
    best = lines[0]
    reason = {
        "code": "direct_nomination",
        "message": f"获{best.title}{best.prize}，按评选规定直接推荐",
        "competition_id": best.competition_id,
    }
    key = nomination_key(programme["id"], person["id"])
    current = await Nomination.select().where(Nomination.nomination_key == key).first()
    values = {
        Nomination.source: "direct",
        Nomination.source_competition: best.competition_id,
        Nomination.eligibility_status: "eligible",
        Nomination.eligibility_reasons: to_json([reason]),
        Nomination.eligibility_overridden: False,
        Nomination.eligibility_note: reason["message"],
        Nomination.eligibility_reviewed_by: actor.id,
        Nomination.eligibility_reviewed_at: now,
        Nomination.status: ACTIVE,
    }
    if current is None:
        inserted = await Nomination.insert(
            Nomination(
                **{c._meta.name: v for c, v in values.items()},
                programme=programme["id"],
                person=person["id"],
                union=person["union"],
                quota_group=quota_group(programme, person["union"], person["industry"]),
                nomination_key=key,
                nominated_by=actor.id,
                achievements=to_json(Achievements(competition_results=result_items(lines))),
                deed="",
                created_at=now,
            )
        ).returning(Nomination.id)
        out.created.append(inserted[0]["id"])
    elif current["source"] == "direct" and current["status"] == ACTIVE:
        out.existing.append(current["id"])
    else:
        await Nomination.update({**values, Nomination.version: current["version"] + 1}).where(
            Nomination.id == current["id"]
        )
        out.converted.append(current["id"])
