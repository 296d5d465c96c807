"""Competition prizes as awards sees them: a person's lines in the latest published results (offered by
``scoring.published``, never read from scoring's tables), and which of them a programme declares
qualifying, to make a nominee eligible or to nominate them directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.tables import Person
from awards.schemas import CompetitionResultItem, PublishedResult
from core.errors import NotFound
from scoring import published
from scoring.rules import TIER_NAMES


async def _prizes_by_person(
    *, competition_ids: Sequence[int] | None = None, person_ids: Sequence[int] | None = None
) -> dict[int, list[PublishedResult]]:
    """Person id -> their lines in the latest published results (``scoring.published``), as awards shows
    them: a prize only for tiers 1-3 (一等奖 .. 三等奖)."""
    out: dict[int, list[PublishedResult]] = {}
    for line in await published.published_results(competition_ids, person_ids=person_ids):
        tier = line.tier if line.tier in TIER_NAMES else None
        out.setdefault(line.person_id, []).append(
            PublishedResult(
                competition_id=line.competition_id,
                title=line.competition_title,
                year=line.year,
                rank=line.rank,
                tier=tier,
                prize=TIER_NAMES[tier] if tier else "",
                score=line.final_score,
                published_version=line.published_version,
            )
        )
    return out


async def qualifying_hits(
    programme: dict[str, Any], effect: str, person_ids: Sequence[int] | None = None
) -> dict[int, list[PublishedResult]]:
    """Person id -> their prizes that the programme declares qualifying with ``effect``."""
    declared = {q.competition_id: q for q in programme["qualifying_results"] if q.effect == effect}
    if not declared:
        return {}
    results = await _prizes_by_person(competition_ids=sorted(declared), person_ids=person_ids)
    hits: dict[int, list[PublishedResult]] = {}
    for person, lines in results.items():
        for line in lines:
            rule = declared.get(line.competition_id)
            if rule is not None and line.tier is not None and line.tier <= rule.max_tier:
                hits.setdefault(person, []).append(line)
    return hits


async def competition_results_for(viewer: CurrentUser, person_id: int) -> list[PublishedResult]:
    """A person's published results, to pre-fill a nomination (organizers; the officer of their union)."""
    row = await Person.select(Person.id, Person.union).where(Person.id == person_id).first()
    if row is None or (viewer.role != Role.ORGANIZER and row["union"] != viewer.union_id):
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    return (await _prizes_by_person(person_ids=[person_id])).get(person_id, [])


def result_items(lines: Sequence[PublishedResult]) -> list[CompetitionResultItem]:
    """Prizes as a nomination's achievements list them."""
    return [
        CompetitionResultItem(
            competition_id=r.competition_id,
            title=r.title[:200],
            rank=r.rank,
            prize=r.prize,
            tier=r.tier,
            score=r.score,
            year=r.year if r.year and 1950 <= r.year <= 2100 else None,
        )
        for r in lines
    ]
