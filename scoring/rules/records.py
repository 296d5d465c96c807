"""The engine's records: the rules as data, what goes in (marks, subjects), what comes out (scores, ranks).

Every record is an immutable msgspec Struct, strict when decoded from JSON, so a rubric stored as JSON or
received from a page is checked field by field before any rule looks at it.

Errors
------
Problems a person can fix (a rubric, a panel, a mark) are returned as :class:`Problem` lists with a machine
code, a Chinese message and a path. Inputs that contradict each other (a mark for an unknown aspect, two
marks from one judge, rules that fail validation) raise :class:`ScoringError`: the service layer should
never send them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

TIER_NAMES: Mapping[int, str] = {1: "一等奖", 2: "二等奖", 3: "三等奖"}

AspectKind = Literal["measurement", "pass_fail", "judgement", "deduction"]
CombineMethod = Literal["mean", "trimmed_mean", "median", "trimmed_sum"]
RoundingMode = Literal["half_up", "half_even", "down"]
StageKind = Literal["rubric", "imported"]
FinalMethod = Literal["weighted", "raw_sum"]
TieBreakKind = Literal["stage", "time_used", "module"]

# Every integer a rule declares, bounded to what a 4-byte integer holds so that no decoded number is
# unbounded; the rules' own checks (scoring.rules.validation) give the narrower ranges in Chinese.
Int = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]

# The combinations that drop ``trim`` marks from each end.
TRIMMED = frozenset({"trimmed_mean", "trimmed_sum"})


class ScoringError(ValueError):
    """Inputs that contradict each other or the rules; a bug in the caller, not a user mistake."""


class _Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Base of every record here: immutable, keyword-only, strict when decoded from JSON.

    ``gc=False``: records hold only strings, numbers, tuples and dicts of further records, so they can
    never form a reference cycle; untracked, millions of marks cost the garbage collector nothing.
    """


# ----------------------------------------------------------------------------------------------- rules


class Combination(_Record):
    """How one aspect's judges' marks become one panel mark.

    ``trim`` is the number of marks dropped from *each* end (1 of 5 judges, 2 of 7); it applies to the
    trimmed methods only. ``trimmed_sum`` adds the marks left (as ski jumping or diving sums the middle 3).
    """

    method: CombineMethod = "mean"
    trim: Int = 0


class Aspect(_Record):
    """One line of a marking scheme (评分项).

    ``max_mark`` is the aspect's maximum before its factor: for a deduction it is the most that may be
    deducted; for a judgement aspect it is what a unanimous 3 is worth. ``step`` (measurement and
    deduction only) is the granularity of a mark, e.g. 0.5; ``None`` means any value in range.

    ``min_mark`` (measurement only) is the least mark, 0 unless declared: a signed range such as -20..20
    in steps of 0.1 takes a ski jump's wind or gate compensation (-4.7, +6.3) as one mark. ``min_marks``
    is the least number of judges' marks the aspect needs to be scored (absent judges leave fewer);
    ``None`` means what the combination needs (:func:`least_marks`).
    """

    id: str
    kind: AspectKind
    max_mark: Decimal
    name: str = ""
    step: Decimal | None = None
    factor: Decimal = Decimal(1)
    combine: Combination = msgspec.field(default_factory=Combination)
    min_mark: Decimal = Decimal(0)
    min_marks: Int | None = None


class Module(_Record):
    """A group of aspects (评分模块); module ids are unique across the whole competition."""

    id: str
    name: str = ""
    aspects: tuple[Aspect, ...] = ()


class Stage(_Record):
    """A stage (理论 / 实操 ...): marked on a rubric, or one imported mark per subject (an exam result)."""

    id: str
    full_marks: Decimal
    weight_percent: Decimal = Decimal(0)  # required in effect when the final is weighted (they sum to 100)
    name: str = ""
    kind: StageKind = "rubric"
    modules: tuple[Module, ...] = ()


class RoundingStep(_Record):
    """Round to ``decimals`` places: ``half_up`` (四舍五入, halves away from zero), ``half_even`` (banker's)
    or ``down`` (truncate, 去尾)."""

    decimals: Int = 2
    mode: RoundingMode = "half_up"


# How final scores are published (shown on the board, in exports) when the rules declare no final rounding.
PUBLISHED_ROUNDING = RoundingStep(decimals=2, mode="half_up")


class RoundingPolicy(_Record):
    """Where rounding happens; ``None`` at a point means no rounding there (see the module docstring).

    The final score is the one exception: it is always rounded, with ``final`` when declared, else with the
    published rounding (:data:`PUBLISHED_ROUNDING`, two decimals half up; see :attr:`final_step`). So the
    figure the board shows is the very figure that ranks, meets ``tiers.min_score``, is compared before any
    tie-break, and feeds teams, promotion and rounds' cuts: a contestant shown 60.00 meets a 60 minimum, and
    two contestants shown 85.67 tie (shared rank, or the declared tie-breaks decide). With rounds, the same
    holds for each round's score.
    """

    panel_mark: RoundingStep | None = None
    factored_aspect: RoundingStep | None = None
    stage_total: RoundingStep | None = None
    final: RoundingStep | None = None

    @property
    def final_step(self) -> RoundingStep:
        """The rounding of the final (and each round's) score: the declared one, else the published one."""
        return self.final if self.final is not None else PUBLISHED_ROUNDING


class TieBreak(_Record):
    """One tie-break rule: higher ``stage`` score, shorter ``time_used``, or higher ``module`` score.

    ``ref`` names the stage or module id; it is unused for ``time_used``.
    """

    kind: TieBreakKind
    ref: str | None = None


class TierPolicy(_Record):
    """Prize tiers 1, 2, 3 (一、二、三等奖): declared counts, or percentages of the ranked subjects."""

    method: Literal["percent", "count"] = "percent"
    counts: tuple[Int, ...] = ()
    percents: tuple[Decimal, ...] = (Decimal(10), Decimal(20), Decimal(30))
    min_score: Decimal | None = None


# ------------------------------------------------------- teams, the organisation award, skill-level promotion

TeamGrouping = Literal["union", "enterprise", "named"]
TeamMethod = Literal["sum", "mean"]
OrganisationBasis = Literal["team", "prize_winners", "entrants"]


class TeamRules(_Record):
    """团体成绩: a team's score from its members' published final scores (``scoring.rules.teams``).

    ``grouping``: every grassroots union with contestants is a team (``union``), every employer
    (``enterprise``), or the teams the organizer names (``named``). ``best`` (k): the team counts its k best
    ranked members, adding (``sum``) or averaging (``mean``) their published final scores. A team with fewer
    than ``min_members`` ranked members (None: k) is listed but not ranked. ``rounding``: of a mean (a sum of
    published figures is exact already). ``tiers`` and ``no_ties_in_top`` work as for contestants, and the
    competition's tie-breaks apply to the same sums or means of the counted members' figures.
    """

    best: Int
    grouping: TeamGrouping = "named"
    method: TeamMethod = "sum"
    min_members: Int | None = None
    rounding: RoundingStep | None = None
    tiers: TierPolicy | None = msgspec.field(default_factory=TierPolicy)
    no_ties_in_top: Int = 0


class OrganisationAward(_Record):
    """优秀组织奖: at most ``count`` grassroots unions, ranked by their union team's rank (``team``), by how
    many of their members won a prize (``prize_winners``) or were ranked (``entrants``); a tie that does
    not fit in what is left of the count gets nothing, as with prize tiers."""

    count: Int
    basis: OrganisationBasis = "team"


class PromotionBand(_Record):
    """One line of a promotion rule (技能等级晋升): who qualifies and to what level.

    Qualifying: a ranked contestant whose rank is within ``first_rank``..``last_rank`` (either may be None),
    whose prize tier is one of ``tiers`` (empty: any or none) and whose published final score is at least
    ``min_score``. The level: ``to_level`` (5 初级工 .. 1 高级技师), or ``levels_up`` above the level held;
    someone holding none goes to ``unlevelled_to`` (None: listed, not promoted).
    """

    first_rank: Int | None = None
    last_rank: Int | None = None
    tiers: tuple[Int, ...] = ()
    min_score: Decimal | None = None
    to_level: Int | None = None
    levels_up: Int | None = None
    unlevelled_to: Int | None = None


class PromotionRule(_Record):
    """A competition's promotion rule as the organising authority published it: the first band a contestant
    qualifies for applies; never above ``highest`` (1 = 高级技师); ``basis`` names the document (文件依据)."""

    bands: tuple[PromotionBand, ...]
    highest: Int = 1
    basis: str = ""


# ------------------------------------------------------------------------------------------------ rounds

RoundCutMethod = Literal["top", "min_score", "top_per_union", "top_per_enterprise"]
RoundTies = Literal["all", "tie_break"]
RoundOrder = Literal["reverse_rank", "draw"]
RoundTotal = Literal["sum", "last"]


class Round(_Record):
    """One round (初赛、复赛、决赛): some of the competition's stages, in order, and the cut that closes it.

    ``cut`` (None on the last round): the best ``count`` (``top``), everyone at or above ``min_score``
    (``min_score``), or the best ``count`` of each grassroots union or enterprise. ``ties`` at the cut: all
    tied go through (``all``), or the competition's tie-breaks first and then all still tied (``tie_break``).
    ``next_order``: the next round's starting order, the reverse of this round's standing (the best
    starts last) or a new draw.
    """

    id: str
    stages: tuple[str, ...]
    name: str = ""
    cut: RoundCutMethod | None = None
    count: Int | None = None
    min_score: Decimal | None = None
    ties: RoundTies = "all"
    next_order: RoundOrder = "reverse_rank"


class RoundsRule(_Record):
    """The rounds, first to last, covering every stage once. ``total``: the cumulative total (累计) is the
    sum of the round scores (``sum``) or the last round's score alone (``last``; each round's score is
    then scaled to 100 by the weights of its stages)."""

    rounds: tuple[Round, ...]
    total: RoundTotal = "sum"


class CompetitionRules(_Record):
    """Everything that makes one competition differ from another; ``no_ties_in_top = 3`` reports a tie
    left among ranks 1-3 after every tie-break instead of letting it stand silently. ``teams``,
    ``organisation_award`` and ``promotion`` are optional: a rubric without them works as before.

    ``final``: ``weighted`` (each stage divided by its full marks, times its weight: out of 100) or
    ``raw_sum`` (the stages' scores added as they are, e.g. a jump's points; weights are then ignored and
    the final is out of the sum of the stages' full marks, :func:`final_maximum`)."""

    stages: tuple[Stage, ...]
    final: FinalMethod = "weighted"
    rounding: RoundingPolicy = msgspec.field(default_factory=RoundingPolicy)
    tie_breaks: tuple[TieBreak, ...] = ()
    tiers: TierPolicy | None = msgspec.field(default_factory=TierPolicy)
    no_ties_in_top: Int = 0
    teams: TeamRules | None = None
    organisation_award: OrganisationAward | None = None
    promotion: PromotionRule | None = None
    rounds: RoundsRule | None = None
    public_modules: tuple[str, ...] = ()  # module scores shown on the public board and the open document


# ---------------------------------------------------------------------------------------------- inputs


class Mark(_Record):
    """One judge's mark on one aspect for one subject (for a deduction: the amount deducted)."""

    subject_id: str
    aspect_id: str
    judge_id: str
    value: Decimal


class SubjectInput(_Record):
    """Per-subject inputs other than marks: imported stage marks, time used, disqualification."""

    subject_id: str
    imported: dict[str, Decimal] = msgspec.field(default_factory=dict)
    time_used: Decimal | None = None
    disqualified: bool = False
    eliminated_after: int | None = None  # index of the round that cut this subject (未晋级), None: still in


# The judges expected to mark each (subject_id, aspect_id) once recusals are taken out.
ExpectedJudges = Mapping[tuple[str, str], Collection[str]]


# --------------------------------------------------------------------------------------------- outputs


class Problem(_Record):
    """Something a person must fix: machine ``code``, Chinese ``message``, ``path`` into the rules such as
    ``stages[1].modules[0].aspects[2].max_mark`` (``value`` for a mark), and the aspect concerned."""

    code: str
    message: str
    path: str
    aspect_id: str | None = None


class AspectScore(_Record):
    """``panel_mark`` is before the factor (None until a mark can be combined); ``score`` is the signed
    contribution to the module: negative for a deduction."""

    panel_mark: Decimal | None
    score: Decimal
    marks: int
    complete: bool


class SubjectResult(_Record):
    """One subject's scores, keyed by aspect, module and stage id; the final score is out of 100.

    ``rank`` and ``tier`` stay None until :func:`rank`, and for good if the subject is disqualified.
    """

    subject_id: str
    aspect_scores: dict[str, AspectScore]
    module_scores: dict[str, Decimal]
    stage_scores: dict[str, Decimal]
    final_score: Decimal
    complete: bool
    disqualified: bool = False
    time_used: Decimal | None = None
    rank: int | None = None
    tier: int | None = None
    round_scores: dict[str, Decimal] = msgspec.field(default_factory=dict)  # the rounds entered only
    eliminated_after: int | None = None


class UnresolvedTie(_Record):
    """Subjects still sharing a top rank after every tie-break: for the organisers to settle."""

    rank: int
    subject_ids: tuple[str, ...]


class Leaderboard(_Record):
    """Ranked subjects by rank then id, then the disqualified by id; ``tier_counts`` are the ceilings."""

    results: tuple[SubjectResult, ...]
    unresolved_ties: tuple[UnresolvedTie, ...] = ()
    tier_counts: tuple[int, ...] = ()


def least_marks(aspect: Aspect) -> int:
    """The least number of marks an aspect needs: declared, or what its combination needs (2k + 1 for a
    trimmed rule: one mark left after dropping k from each end; 1 otherwise)."""
    if aspect.min_marks is not None:
        return aspect.min_marks
    return 2 * aspect.combine.trim + 1 if aspect.combine.method in TRIMMED else 1


MIN_JUDGEMENT_JUDGES = 3  # a judgement aspect (0-3 scale) needs three judges at least (WorldSkills)


def judges_needed(aspect: Aspect) -> int:
    """How many judges a panel needs on an aspect: its least number of marks, and 3 for a judgement."""
    return max(least_marks(aspect), MIN_JUDGEMENT_JUDGES if aspect.kind == "judgement" else 1)


def final_maximum(rules: CompetitionRules) -> Decimal:
    """What the final score is out of: 100 when weighted, the sum of the stages' full marks as a raw sum."""
    if rules.final == "raw_sum":
        return sum((stage.full_marks for stage in rules.stages), Decimal(0))
    return Decimal(100)


def aspects_with_paths(rules: CompetitionRules) -> Iterator[tuple[str, Aspect]]:
    """Every aspect with its path into the rules, in rubric order."""
    for i, stage in enumerate(rules.stages):
        for j, module in enumerate(stage.modules):
            for k, aspect in enumerate(module.aspects):
                yield f"stages[{i}].modules[{j}].aspects[{k}]", aspect
