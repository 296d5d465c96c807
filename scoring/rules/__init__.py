"""The scoring engine: rules as data, marks in, exact scores, ranks and prizes out (评分、排名与评奖引擎).

Pure code: no I/O, no database, no framework. One engine serves every competition because the rules are
data (:class:`CompetitionRules`), and the awards pipeline reuses the same aggregation for expert review of
nominations, so the core speaks of *subjects* (a contestant or a nominee) rather than contestants.

Callers use this package's names only (``from scoring import rules; rules.leaderboard(...)``); inside, each
module decides one thing:

- ``records``: the rules, inputs and outputs as immutable Structs; :class:`Problem`, :class:`ScoringError`.
- ``exact``: exact fractions and declared rounding (:func:`round_decimal`).
- ``aggregation``: marks -> aspect, module, stage and final scores, and completeness (:func:`aggregate`).
- ``ranking``: ranks, tie-breaks, prize tiers, unresolved ties (:func:`rank`, :func:`leaderboard`).
- ``validation``: problems with rules, a panel or a mark (:func:`validate_rules`, :func:`validate_mark`);
  ``declared_checks`` holds the part about teams, the organisation award and promotion.
- ``teams``: team results and the organisation award (:func:`team_board`, :func:`organisation_awards`).
- ``promotion``: who the results promote to which skill level (:func:`promotions`).
- ``rounds``: a round's standing, its cut and the next starting order (:func:`round_standings`,
  :func:`starting_order`); ``round_checks`` validates declared rounds.
"""

from __future__ import annotations

from scoring.rules.aggregation import aggregate, combine
from scoring.rules.exact import round_decimal
from scoring.rules.promotion import PromotionCandidate, PromotionOutcome, promotions
from scoring.rules.ranking import leaderboard, rank, tier_counts
from scoring.rules.records import (
    PUBLISHED_ROUNDING,
    TIER_NAMES,
    Aspect,
    AspectKind,
    AspectScore,
    Combination,
    CombineMethod,
    CompetitionRules,
    ExpectedJudges,
    Leaderboard,
    Mark,
    Module,
    OrganisationAward,
    OrganisationBasis,
    Problem,
    PromotionBand,
    PromotionRule,
    Round,
    RoundingMode,
    RoundingPolicy,
    RoundingStep,
    RoundsRule,
    ScoringError,
    Stage,
    SubjectInput,
    SubjectResult,
    TeamGrouping,
    TeamMethod,
    TeamRules,
    TieBreak,
    TierPolicy,
    UnresolvedTie,
    final_maximum,
    judges_needed,
    least_marks,
)
from scoring.rules.rounds import RoundStanding, entrants, round_standings, standing_score, starting_order
from scoring.rules.teams import (
    TeamBoard,
    TeamInput,
    TeamResult,
    UnionStanding,
    organisation_awards,
    team_board,
)
from scoring.rules.validation import (
    validate_imported_mark,
    validate_mark,
    validate_panel,
    validate_rules,
    validate_time_used,
)

__all__ = [
    "PUBLISHED_ROUNDING",
    "TIER_NAMES",
    "Aspect",
    "AspectKind",
    "AspectScore",
    "Combination",
    "CombineMethod",
    "CompetitionRules",
    "ExpectedJudges",
    "Leaderboard",
    "Mark",
    "Module",
    "OrganisationAward",
    "OrganisationBasis",
    "Problem",
    "PromotionBand",
    "PromotionCandidate",
    "PromotionOutcome",
    "PromotionRule",
    "Round",
    "RoundStanding",
    "RoundingMode",
    "RoundingPolicy",
    "RoundingStep",
    "RoundsRule",
    "ScoringError",
    "Stage",
    "SubjectInput",
    "SubjectResult",
    "TeamBoard",
    "TeamGrouping",
    "TeamInput",
    "TeamMethod",
    "TeamResult",
    "TeamRules",
    "TieBreak",
    "TierPolicy",
    "UnionStanding",
    "UnresolvedTie",
    "aggregate",
    "combine",
    "entrants",
    "final_maximum",
    "judges_needed",
    "leaderboard",
    "least_marks",
    "organisation_awards",
    "promotions",
    "rank",
    "round_decimal",
    "round_standings",
    "standing_score",
    "starting_order",
    "team_board",
    "tier_counts",
    "validate_imported_mark",
    "validate_mark",
    "validate_panel",
    "validate_rules",
    "validate_time_used",
]
