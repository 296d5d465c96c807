"""Skill-level promotion (技能等级晋升): who a competition's published results promote, and to what level.

Skill levels are numbered as the certificates are: 5 (五级/初级工) .. 1 (一级/高级技师), so a *smaller*
number is *more* senior and "one level up" is the level number minus one.

The rule (:class:`PromotionRule`) is a list of bands as the organising authority published them, e.g.
"first place to 技师 (2), ranks 2 to 5 to 高级工 (3)" or "prize winners scoring at least 80: one level up,
never above 高级技师". For every ranked contestant in board order, the first band whose conditions hold
applies: rank within ``first_rank``..``last_rank``, prize tier among ``tiers``, **published** final score
(the figure on the board) at least ``min_score``. The band gives a fixed level or ``levels_up`` above the
level held (someone holding none: ``unlevelled_to``), capped at the rule's ``highest``. A contestant who
already holds that level or a more senior one is listed as ``already_held``; one without a level whom the
band cannot place, as ``no_level``. Disqualified and unranked contestants never qualify.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

import msgspec

from scoring.rules.exact import round_decimal
from scoring.rules.records import (
    CompetitionRules,
    Leaderboard,
    PromotionBand,
    RoundingStep,
    SubjectResult,
)

PromotionOutcome = Literal["promoted", "already_held", "no_level"]


class PromotionCandidate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """A contestant a band applies to: ``level_after`` is None unless ``outcome`` is ``promoted``;
    ``band`` is the index of the band that applied; ``final_score`` is the published figure."""

    subject_id: str
    rank: int
    tier: int | None
    final_score: Decimal
    band: int
    level_before: int | None
    level_after: int | None
    outcome: PromotionOutcome


def qualifies(band: PromotionBand, result: SubjectResult, published_score: Decimal) -> bool:
    """Whether a ranked contestant meets the band's rank, prize and score conditions."""
    position = result.rank
    if position is None:
        return False
    if band.first_rank is not None and position < band.first_rank:
        return False
    if band.last_rank is not None and position > band.last_rank:
        return False
    if band.tiers and result.tier not in band.tiers:
        return False
    return band.min_score is None or published_score >= band.min_score


def target_level(band: PromotionBand, held: int | None, highest: int) -> int | None:
    """The level the band gives someone holding ``held`` (None: none), never above ``highest``."""
    if band.to_level is not None:
        target = band.to_level
    elif held is not None:
        target = held - (band.levels_up or 0)
    elif band.unlevelled_to is not None:
        target = band.unlevelled_to
    else:
        return None
    return max(target, highest)  # a smaller number is more senior: never more senior than ``highest``


def promotions(
    rules: CompetitionRules,
    board: Leaderboard,
    levels: Mapping[str, int | None],
    published: RoundingStep,
) -> tuple[PromotionCandidate, ...]:
    """Every contestant a band of the rules' promotion rule applies to, in board order.

    ``levels``: the skill level each contestant holds (subject id -> 5..1, None or absent: none);
    ``published``: the rounding final scores are published with. Empty without a promotion rule.
    """
    rule = rules.promotion
    if rule is None:
        return ()
    out: list[PromotionCandidate] = []
    for result in board.results:
        published_score = round_decimal(result.final_score, published)
        band_index = next(
            (i for i, band in enumerate(rule.bands) if qualifies(band, result, published_score)), None
        )
        if band_index is None or result.rank is None:
            continue
        held = levels.get(result.subject_id)
        target = target_level(rule.bands[band_index], held, rule.highest)
        if target is None:
            outcome: PromotionOutcome = "no_level"
        elif held is not None and target >= held:
            outcome, target = "already_held", None
        else:
            outcome = "promoted"
        out.append(
            PromotionCandidate(
                subject_id=result.subject_id,
                rank=result.rank,
                tier=result.tier,
                final_score=published_score,
                band=band_index,
                level_before=held,
                level_after=target,
                outcome=outcome,
            )
        )
    return tuple(out)
