"""The scoring engine: rules as data, marks in, exact scores, ranks and prizes out (评分、排名与评奖引擎).

Pure code: no I/O, no database, no framework. One engine serves every competition because the rules are
data (:class:`CompetitionRules`), and the awards pipeline reuses the same aggregation for expert review of
nominations, so the core speaks of *subjects* (a contestant or a nominee) rather than contestants.

Pipeline and rounding order
---------------------------
For every subject, each stage is scored as follows; a ``[round: x]`` step happens only when
``rules.rounding.x`` is declared, with its own decimals and mode (half up, half even, down = truncate)::

    aspect      panel = combine(marks of the judges who marked it)       mean | trimmed mean | median
                                                                         | trimmed sum
                judgement only: panel = panel / 3 x max_mark             0-3 scale -> marks (WorldSkills)
                [round: panel_mark]
                score = panel x factor                                   [round: factored_aspect]
    module      sum of its aspects' scores; a deduction aspect subtracts (so a module may be negative)
    stage       max(0, sum of its modules)  -- or the imported mark      [round: stage_total]
    final       sum over stages of  stage / stage.full_marks x stage.weight_percent     [round: final]

Normalisation: weights are percentages summing to 100 and every stage is first divided by its own full
marks, so the final score is always out of 100 whatever the stages' full marks (a 60-mark practical at
weight 70 and a 100-mark exam at weight 30 give final = p / 60 x 70 + t / 100 x 30).

Exactness: nothing is ever a float. Internally every value is an exact fraction (a Decimal numerator over an
integer denominator), because means divide by 3, 5 or 7: a stage of 95/12 + 17/24 is exactly 8.625 and must
round half up to 8.63, where adding 28-digit quotients would give 8.62499...9 and so 8.62. Rounding
therefore happens only where declared, and exactly. A value that no declared step rounds is published as a
Decimal correctly rounded to 28 significant digits, so equal fractions publish identical Decimals and
ranking, which compares the published figures, ties exactly the subjects whose exact scores are equal
(distinct scores, fractions with small denominators, differ far above the 28th digit).

Ranking
-------
Descending final score; then the competition's ordered tie-breaks (higher score in a named stage, shorter
time used -- a missing time ranks last --, higher score in a named module). Subjects still equal share a
rank and the next rank skips (standard competition ranking: 1, 2, 2, 4). With ``no_ties_in_top = 3`` a tie
left among ranks 1-3 is reported in ``Leaderboard.unresolved_ties`` for the organisers to settle; the
engine never invents an order. A disqualified subject (取消资格) keeps its computed scores but gets no rank
and no prize, and does not count towards the number of ranked subjects.

Prizes (一等奖 / 二等奖 / 三等奖)
------------------------------
Tier counts are either declared or a percentage of the ranked subjects, each tier's count being the floor of
``ranked x percent / 100`` on its own (defaults 10 %, 20 %, 30 %: 15 ranked give 1, 3 and 4). A count is a
ceiling, never exceeded: tiers are filled in rank order, and a group of tied subjects that does not fit in
what is left of a tier drops, whole, to the next tier (the usual Chinese practice: a prize's quota may be
left unfilled but never exceeded); the places it leaves unused are not carried over. If a tied group fits no
remaining tier, neither it nor anyone below it gets a prize. ``min_score`` is a floor: subjects whose final
score is below it get no prize, but they still count in the number of ranked subjects that percentages are
taken of.

Completeness
------------
An aspect is complete when it has at least one mark, every judge expected for that (subject, aspect) after
recusals has marked it, and its combination can be computed (a trimmed rule needs more than 2k marks). An
incomplete aspect contributes what it can to the live, provisional score -- 0 when it has no mark yet. A
subject is complete when every aspect and every imported stage mark is in.

Errors
------
Problems a person can fix (a rubric, a panel, a mark) are returned as :class:`Problem` lists with a machine
code, a Chinese message and a path. Inputs that contradict each other (a mark for an unknown aspect, two
marks from one judge, rules that fail validation) raise :class:`ScoringError`: the service layer should
never send them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any, Literal

import msgspec

__all__ = [
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
    "Problem",
    "RoundingMode",
    "RoundingPolicy",
    "RoundingStep",
    "ScoringError",
    "Stage",
    "SubjectInput",
    "SubjectResult",
    "TieBreak",
    "TierPolicy",
    "UnresolvedTie",
    "aggregate",
    "combine",
    "leaderboard",
    "rank",
    "round_decimal",
    "tier_counts",
    "validate_imported_mark",
    "validate_mark",
    "validate_panel",
    "validate_rules",
]

TIER_NAMES: Mapping[int, str] = {1: "一等奖", 2: "二等奖", 3: "三等奖"}

AspectKind = Literal["measurement", "pass_fail", "judgement", "deduction"]
CombineMethod = Literal["mean", "trimmed_mean", "median", "trimmed_sum"]
RoundingMode = Literal["half_up", "half_even", "down"]
StageKind = Literal["rubric", "imported"]
TieBreakKind = Literal["stage", "time_used", "module"]

# Internal arithmetic must be exact: 60 digits is far more than any score needs, and trapping Inexact turns
# a silent loss of digits (absurd inputs) into an error instead of a wrong medal.
_EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
# Publishing a fraction that no declared step rounds: 28 significant digits, correctly rounded.
_PUBLISH = Context(prec=28, rounding=ROUND_HALF_EVEN)
_TRIMMED = frozenset({"trimmed_mean", "trimmed_sum"})
_SCORED_KINDS = frozenset({"measurement", "pass_fail", "judgement"})
_JUDGEMENT_SCALE = 3
_JUDGEMENT_MARKS = frozenset({Decimal(0), Decimal(1), Decimal(2), Decimal(3)})
_MIN_JUDGEMENT_JUDGES = 3
_KIND_NAMES: Mapping[str, str] = {
    "measurement": "测量",
    "pass_fail": "达标判定",
    "judgement": "评价",
    "deduction": "扣分",
}


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
    trim: int = 0


class Aspect(_Record):
    """One line of a marking scheme (评分项).

    ``max_mark`` is the aspect's maximum before its factor: for a deduction it is the most that may be
    deducted; for a judgement aspect it is what a unanimous 3 is worth. ``step`` (measurement and
    deduction only) is the granularity of a mark, e.g. 0.5; ``None`` means any value in range.
    """

    id: str
    kind: AspectKind
    max_mark: Decimal
    name: str = ""
    step: Decimal | None = None
    factor: Decimal = Decimal(1)
    combine: Combination = msgspec.field(default_factory=Combination)


class Module(_Record):
    """A group of aspects (评分模块); module ids are unique across the whole competition."""

    id: str
    name: str = ""
    aspects: tuple[Aspect, ...] = ()


class Stage(_Record):
    """A stage (理论 / 实操 ...): marked on a rubric, or one imported mark per subject (an exam result)."""

    id: str
    full_marks: Decimal
    weight_percent: Decimal
    name: str = ""
    kind: StageKind = "rubric"
    modules: tuple[Module, ...] = ()


class RoundingStep(_Record):
    """Round to ``decimals`` places: ``half_up`` (四舍五入, halves away from zero), ``half_even`` (banker's)
    or ``down`` (truncate, 去尾)."""

    decimals: int = 2
    mode: RoundingMode = "half_up"


class RoundingPolicy(_Record):
    """Where rounding happens; ``None`` at a point means no rounding there (see the module docstring)."""

    panel_mark: RoundingStep | None = None
    factored_aspect: RoundingStep | None = None
    stage_total: RoundingStep | None = None
    final: RoundingStep | None = None


class TieBreak(_Record):
    """One tie-break rule: higher ``stage`` score, shorter ``time_used``, or higher ``module`` score.

    ``ref`` names the stage or module id; it is unused for ``time_used``.
    """

    kind: TieBreakKind
    ref: str | None = None


class TierPolicy(_Record):
    """Prize tiers 1, 2, 3 (一、二、三等奖): declared counts, or percentages of the ranked subjects."""

    method: Literal["percent", "count"] = "percent"
    counts: tuple[int, ...] = ()
    percents: tuple[Decimal, ...] = (Decimal(10), Decimal(20), Decimal(30))
    min_score: Decimal | None = None


class CompetitionRules(_Record):
    """Everything that makes one competition differ from another; ``no_ties_in_top = 3`` reports a tie
    left among ranks 1-3 after every tie-break instead of letting it stand silently."""

    stages: tuple[Stage, ...]
    rounding: RoundingPolicy = msgspec.field(default_factory=RoundingPolicy)
    tie_breaks: tuple[TieBreak, ...] = ()
    tiers: TierPolicy | None = msgspec.field(default_factory=TierPolicy)
    no_ties_in_top: int = 0


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


class UnresolvedTie(_Record):
    """Subjects still sharing a top rank after every tie-break: for the organisers to settle."""

    rank: int
    subject_ids: tuple[str, ...]


class Leaderboard(_Record):
    """Ranked subjects by rank then id, then the disqualified by id; ``tier_counts`` are the ceilings."""

    results: tuple[SubjectResult, ...]
    unresolved_ties: tuple[UnresolvedTie, ...] = ()
    tier_counts: tuple[int, ...] = ()


# ------------------------------------------------------------------------------------ exact arithmetic

# An exact value: numerator over a positive integer denominator. Marks are Decimals, and the only divisions
# are by a count of marks, by 3 (judgement), by 2 (median) and by full marks, so integers suffice below.
_Ratio = tuple[Decimal, int]
_ZERO: _Ratio = (Decimal(0), 1)


def _add(a: _Ratio, b: _Ratio) -> _Ratio:
    (an, ad), (bn, bd) = a, b
    if ad == bd:
        return an + bn, ad
    common = math.lcm(ad, bd)  # lcm, not product: denominators stay small over 40 aspects
    return an * (common // ad) + bn * (common // bd), common


def _round(num: Decimal, den: int, step: RoundingStep) -> Decimal:
    """Round num/den exactly to ``step.decimals`` places (integer division, so never double rounding)."""
    quotient, remainder = divmod(abs(num).scaleb(step.decimals), den)
    digits = int(quotient)
    if step.mode == "half_up":
        digits += 2 * remainder >= den
    elif step.mode == "half_even":
        digits += 2 * remainder > den or (2 * remainder == den and digits % 2 == 1)
    return Decimal(-digits if num < 0 else digits).scaleb(-step.decimals)


def _publish(value: _Ratio) -> Decimal:
    num, den = value
    return num if den == 1 else _PUBLISH.divide(num, den)


def round_decimal(value: Decimal, step: RoundingStep) -> Decimal:
    """Round a Decimal as a declared rounding step would (half up rounds 2.345 to 2.35; down truncates)."""
    with localcontext(_EXACT):
        return _round(value, 1, step)


# --------------------------------------------------------------------------------------------- aspects


def _combine(ordered: Sequence[Decimal], combination: Combination) -> _Ratio | None:
    """Panel mark of ascending marks as an exact fraction; None if nothing is left to combine."""
    count = len(ordered)
    if combination.method == "median":
        if count == 0:
            return None
        middle = count // 2
        return (ordered[middle], 1) if count % 2 else (ordered[middle - 1] + ordered[middle], 2)
    trim = combination.trim if combination.method in _TRIMMED else 0
    kept = ordered[trim : count - trim]
    if not kept:
        return None
    total = sum(kept, Decimal(0))
    return (total, 1) if combination.method == "trimmed_sum" else (total, len(kept))


def combine(values: Iterable[Decimal], combination: Combination) -> Decimal | None:
    """The panel mark of some marks (unrounded, 28 significant digits), or None if none is left."""
    with localcontext(_EXACT):
        panel = _combine(sorted(values), combination)
        return None if panel is None else _publish(panel)


def _score_aspect(
    aspect: Aspect, values: Iterable[Decimal], rounding: RoundingPolicy
) -> tuple[_Ratio | None, _Ratio]:
    """(panel mark before factor, signed contribution to its module); (None, 0) if not computable."""
    panel = _combine(sorted(values), aspect.combine)  # sorting makes the judges' order irrelevant
    if panel is None:
        return None, _ZERO
    num, den = panel
    if aspect.kind == "judgement":
        num, den = num * aspect.max_mark, den * _JUDGEMENT_SCALE
    if rounding.panel_mark is not None:
        num, den = _round(num, den, rounding.panel_mark), 1
    panel = (num, den)
    num = num * aspect.factor
    if rounding.factored_aspect is not None:
        num, den = _round(num, den, rounding.factored_aspect), 1
    if aspect.kind == "deduction":
        num = Decimal(0) - num  # 0 - x rather than -x: a zero deduction publishes as 0, not -0
    return panel, (num, den)


# ----------------------------------------------------------------------------------------- aggregation


class _Scorer:
    """Scores one subject after another against one set of rules and the grouped marks."""

    def __init__(
        self,
        rules: CompetitionRules,
        panels: Mapping[str, Mapping[str, Mapping[str, Decimal]]],
        expected: ExpectedJudges | None,
    ) -> None:
        self.rules = rules
        self.rounding = rules.rounding
        self.panels = panels
        self.expected = expected
        # x / full_marks == x * q / p with full_marks == p / q: keeps denominators integral.
        self.full_marks = {stage.id: stage.full_marks.as_integer_ratio() for stage in rules.stages}

    def subject(self, subject: SubjectInput) -> SubjectResult:
        by_aspect = self.panels.get(subject.subject_id, {})
        aspects: dict[str, AspectScore] = {}
        modules: dict[str, Decimal] = {}
        stages: dict[str, Decimal] = {}
        final = _ZERO
        imported_complete = True
        for stage in self.rules.stages:
            if stage.kind == "imported":
                mark = subject.imported.get(stage.id)
                imported_complete = imported_complete and mark is not None
                total = _ZERO if mark is None else (mark, 1)
            else:
                total = self._rubric_stage(subject.subject_id, by_aspect, stage, aspects, modules)
            total = self._stage_total(total)
            stages[stage.id] = _publish(total)
            p, q = self.full_marks[stage.id]
            final = _add(final, (total[0] * stage.weight_percent * q, total[1] * p))
        if self.rounding.final is not None:
            final = (_round(*final, self.rounding.final), 1)
        return SubjectResult(
            subject_id=subject.subject_id,
            aspect_scores=aspects,
            module_scores=modules,
            stage_scores=stages,
            final_score=_publish(final),
            complete=imported_complete and all(score.complete for score in aspects.values()),
            disqualified=subject.disqualified,
            time_used=subject.time_used,
        )

    def _stage_total(self, total: _Ratio) -> _Ratio:
        if total[0] < 0:
            total = _ZERO  # deductions never take a stage below zero
        if self.rounding.stage_total is not None:
            total = (_round(*total, self.rounding.stage_total), 1)
        return total

    def _rubric_stage(
        self,
        subject_id: str,
        by_aspect: Mapping[str, Mapping[str, Decimal]],
        stage: Stage,
        aspects: dict[str, AspectScore],
        modules: dict[str, Decimal],
    ) -> _Ratio:
        """The stage's unrounded total; fills in its aspects' and modules' published scores."""
        stage_total = _ZERO
        for module in stage.modules:
            module_total = _ZERO
            for aspect in module.aspects:
                score, contribution = self._aspect(subject_id, by_aspect.get(aspect.id, {}), aspect)
                aspects[aspect.id] = score
                module_total = _add(module_total, contribution)
            modules[module.id] = _publish(module_total)
            stage_total = _add(stage_total, module_total)
        return stage_total

    def _aspect(
        self, subject_id: str, marked: Mapping[str, Decimal], aspect: Aspect
    ) -> tuple[AspectScore, _Ratio]:
        panel, contribution = _score_aspect(aspect, marked.values(), self.rounding)
        complete = panel is not None
        if complete and self.expected is not None:
            expected = self.expected.get((subject_id, aspect.id), ())
            complete = all(judge in marked for judge in expected)
        score = AspectScore(
            panel_mark=None if panel is None else _publish(panel),
            score=_publish(contribution),
            marks=len(marked),
            complete=complete,
        )
        return score, contribution


def _group_marks(
    rules: CompetitionRules, subject_ids: Iterable[str], marks: Iterable[Mark]
) -> dict[str, dict[str, dict[str, Decimal]]]:
    """Marks by subject, aspect, then judge; refuses unknown references and duplicate marks.

    Nested small dicts rather than one dict keyed by (subject, aspect): each subject's marks stay together,
    which keeps 10,000 subjects as fast per subject as 1,000.
    """
    aspect_ids = {aspect.id for _, aspect in _aspects(rules)}
    panels: dict[str, dict[str, dict[str, Decimal]]] = {subject_id: {} for subject_id in subject_ids}
    for mark in marks:
        by_aspect = panels.get(mark.subject_id)
        if by_aspect is None:
            raise ScoringError(f"mark for unknown subject {mark.subject_id!r}")
        panel = by_aspect.get(mark.aspect_id)
        if panel is None:
            if mark.aspect_id not in aspect_ids:
                raise ScoringError(f"mark for unknown aspect {mark.aspect_id!r}")
            panel = by_aspect[mark.aspect_id] = {}
        if mark.judge_id in panel:
            raise ScoringError(
                f"two marks from judge {mark.judge_id!r} on {mark.aspect_id!r} for {mark.subject_id!r}"
            )
        panel[mark.judge_id] = mark.value
    return panels


def _check_subjects(rules: CompetitionRules, subjects: Sequence[SubjectInput]) -> set[str]:
    imported = {stage.id for stage in rules.stages if stage.kind == "imported"}
    seen: set[str] = set()
    for subject in subjects:
        if subject.subject_id in seen:
            raise ScoringError(f"subject {subject.subject_id!r} listed twice")
        seen.add(subject.subject_id)
        unknown = subject.imported.keys() - imported
        if unknown:
            raise ScoringError(f"imported marks for stages that are not imported: {sorted(unknown)}")
    return seen


def _require_valid(rules: CompetitionRules) -> None:
    problems = validate_rules(rules)
    if problems:
        raise ScoringError("invalid rules: " + "; ".join(f"{p.path}: {p.code}" for p in problems))


def aggregate(
    rules: CompetitionRules,
    subjects: Sequence[SubjectInput],
    marks: Iterable[Mark],
    *,
    expected: ExpectedJudges | None = None,
) -> list[SubjectResult]:
    """Score every subject (in the order given); ranks and tiers are left to :func:`rank`.

    Marks are assumed to have passed :func:`validate_mark` when they were entered. ``expected`` gives the
    judges due to mark each (subject, aspect) after recusals; without it an aspect is complete as soon as
    it can be computed.
    """
    _require_valid(rules)
    with localcontext(_EXACT):
        subject_ids = _check_subjects(rules, subjects)
        scorer = _Scorer(rules, _group_marks(rules, subject_ids, marks), expected)
        return [scorer.subject(subject) for subject in subjects]


# --------------------------------------------------------------------------------------------- ranking


def _rank_key(tie_breaks: Sequence[TieBreak], result: SubjectResult) -> tuple[Any, ...]:
    """Smaller is better: the published final score first, then each tie-break in order."""
    # copy_negate is exact whatever the context (unary minus would round to the context's precision).
    key: list[Any] = [result.final_score.copy_negate()]
    for rule in tie_breaks:
        if rule.kind == "stage":
            key.append(result.stage_scores[rule.ref or ""].copy_negate())
        elif rule.kind == "module":
            key.append(result.module_scores[rule.ref or ""].copy_negate())
        else:  # time_used: shorter is better, and a subject without a recorded time comes last
            used = result.time_used
            key.append((0, used) if used is not None else (1, Decimal(0)))
    return tuple(key)


def _rank_groups(rules: CompetitionRules, results: Iterable[SubjectResult]) -> list[list[SubjectResult]]:
    """Non-disqualified subjects grouped by equal rank key, best group first, ids ascending inside."""
    keyed = sorted(
        ((_rank_key(rules.tie_breaks, r), r.subject_id, r) for r in results if not r.disqualified),
        key=lambda item: (item[0], item[1]),
    )
    groups: list[list[SubjectResult]] = []
    previous: tuple[Any, ...] | None = None
    for key, _, result in keyed:
        if key != previous:
            groups.append([])
            previous = key
        groups[-1].append(result)
    return groups


def tier_counts(policy: TierPolicy, ranked: int) -> tuple[int, ...]:
    """How many subjects each tier may hold at most: declared, or floor(ranked x percent / 100) each."""
    if policy.method == "count":
        return policy.counts
    with localcontext(_EXACT):
        return tuple(int(ranked * percent // 100) for percent in policy.percents)


def _assign_tiers(
    groups: Sequence[Sequence[SubjectResult]], counts: Sequence[int], min_score: Decimal | None
) -> dict[str, int]:
    """Tier (1-based) by subject id; one pass in rank order, so tied subjects always share a tier."""
    tiers: dict[str, int] = {}
    tier = 0
    room = counts[0] if counts else 0
    for group in groups:
        if min_score is not None and group[0].final_score < min_score:
            break  # groups are in descending final score: everyone below is under the floor too
        while tier < len(counts) and len(group) > room:
            tier += 1  # the whole tie drops a tier; the places it leaves are not carried over
            room = counts[tier] if tier < len(counts) else 0
        if tier == len(counts):
            break  # a tie that fits no tier: no one ranked below it may get a prize either
        for result in group:
            tiers[result.subject_id] = tier + 1
        room -= len(group)
    return tiers


def rank(rules: CompetitionRules, results: Iterable[SubjectResult]) -> Leaderboard:
    """Rank, tier and order scored subjects (O(n log n)); the disqualified come last, unranked."""
    _require_valid(rules)
    results = list(results)
    groups = _rank_groups(rules, results)
    ranked = sum(len(group) for group in groups)
    counts = tier_counts(rules.tiers, ranked) if rules.tiers is not None else ()
    min_score = rules.tiers.min_score if rules.tiers is not None else None
    tiers = _assign_tiers(groups, counts, min_score)
    ordered: list[SubjectResult] = []
    ties: list[UnresolvedTie] = []
    position = 1
    for group in groups:
        if len(group) > 1 and position <= rules.no_ties_in_top:
            ties.append(UnresolvedTie(rank=position, subject_ids=tuple(r.subject_id for r in group)))
        for result in group:
            ordered.append(msgspec.structs.replace(result, rank=position, tier=tiers.get(result.subject_id)))
        position += len(group)  # standard competition ranking: 1, 2, 2, 4
    disqualified = sorted((r for r in results if r.disqualified), key=lambda r: r.subject_id)
    ordered.extend(msgspec.structs.replace(r, rank=None, tier=None) for r in disqualified)
    return Leaderboard(results=tuple(ordered), unresolved_ties=tuple(ties), tier_counts=tuple(counts))


def leaderboard(
    rules: CompetitionRules,
    subjects: Sequence[SubjectInput],
    marks: Iterable[Mark],
    *,
    expected: ExpectedJudges | None = None,
) -> Leaderboard:
    """:func:`aggregate` then :func:`rank`."""
    return rank(rules, aggregate(rules, subjects, marks, expected=expected))


# ------------------------------------------------------------------------------------------ validation


def _aspects(rules: CompetitionRules) -> Iterator[tuple[str, Aspect]]:
    """Every aspect with its path, in rubric order."""
    for i, stage in enumerate(rules.stages):
        for j, module in enumerate(stage.modules):
            for k, aspect in enumerate(module.aspects):
                yield f"stages[{i}].modules[{j}].aspects[{k}]", aspect


def _positive(value: Decimal | None) -> bool:
    return value is not None and value.is_finite() and value > 0


def _label(stage: Stage) -> str:
    return stage.name or stage.id


def _check_ids(rules: CompetitionRules) -> list[Problem]:
    """Stage, module and aspect ids are each unique across the competition (marks name aspects only)."""
    problems: list[Problem] = []
    seen: dict[str, set[str]] = {"阶段": set(), "模块": set(), "评分项": set()}
    paths: list[tuple[str, str, str]] = []
    for i, stage in enumerate(rules.stages):
        paths.append(("阶段", stage.id, f"stages[{i}].id"))
        for j, module in enumerate(stage.modules):
            paths.append(("模块", module.id, f"stages[{i}].modules[{j}].id"))
    paths.extend(("评分项", aspect.id, f"{path}.id") for path, aspect in _aspects(rules))
    for what, ident, path in paths:
        if ident in seen[what]:
            problems.append(Problem(code="duplicate_id", message=f"{what}编号“{ident}”重复", path=path))
        seen[what].add(ident)
    return problems


def _check_aspect(aspect: Aspect, path: str) -> list[Problem]:
    problems: list[Problem] = []

    def problem(code: str, message: str, field: str) -> None:
        problems.append(Problem(code=code, message=message, path=f"{path}.{field}", aspect_id=aspect.id))

    name = f"评分项“{aspect.id}”"
    if not _positive(aspect.max_mark):
        problem("max_mark_not_positive", f"{name}的满分必须大于0", "max_mark")
    if not _positive(aspect.factor):
        problem("factor_not_positive", f"{name}的系数必须大于0", "factor")
    if aspect.step is not None:
        if aspect.kind in ("judgement", "pass_fail"):
            problem("step_not_applicable", f"{name}为{_KIND_NAMES[aspect.kind]}类，不设步长", "step")
        elif not _positive(aspect.step):
            problem("step_not_positive", f"{name}的步长必须大于0", "step")
        elif _positive(aspect.max_mark) and aspect.max_mark % aspect.step != 0:
            problem(
                "step_does_not_divide_max", f"{name}的步长{aspect.step}不能整除满分{aspect.max_mark}", "step"
            )
    method, trim = aspect.combine.method, aspect.combine.trim
    if trim < 0:
        problem("trim_negative", f"{name}去掉的最高、最低分个数不能为负数", "combine.trim")
    elif trim > 0 and method not in _TRIMMED:
        problem("trim_not_applicable", f"{name}的合成方式不去掉最高、最低分，去分个数应为0", "combine.trim")
    return problems


def _stage_maximum(stage: Stage, judges_per_aspect: Mapping[str, int] | None) -> Decimal | None:
    """Sum of max x factor over scored aspects; None when a trimmed sum needs the unknown panel size."""
    total = Decimal(0)
    for module in stage.modules:
        for aspect in module.aspects:
            if aspect.kind not in _SCORED_KINDS:
                continue
            summed = 1
            if aspect.combine.method == "trimmed_sum":  # a trimmed sum adds up (judges - 2k) marks
                if judges_per_aspect is None:
                    return None
                summed = max(judges_per_aspect.get(aspect.id, 0) - 2 * aspect.combine.trim, 0)
            total += aspect.max_mark * aspect.factor * summed
    return total


def _full_marks_problem(
    stage: Stage, path: str, judges_per_aspect: Mapping[str, int] | None
) -> Problem | None:
    maximum = _stage_maximum(stage, judges_per_aspect)
    if maximum is None or maximum == stage.full_marks:
        return None
    return Problem(
        code="full_marks_mismatch",
        message=f"阶段“{_label(stage)}”各评分项满分乘以系数之和为{maximum}，与阶段满分{stage.full_marks}不一致",
        path=f"{path}.full_marks",
    )


def _check_stage(stage: Stage, path: str) -> list[Problem]:
    problems: list[Problem] = []
    label = _label(stage)
    if not _positive(stage.full_marks):
        problems.append(
            Problem(
                code="full_marks_not_positive",
                message=f"阶段“{label}”的满分必须大于0",
                path=f"{path}.full_marks",
            )
        )
    if not (stage.weight_percent.is_finite() and stage.weight_percent >= 0):
        problems.append(
            Problem(
                code="weight_negative",
                message=f"阶段“{label}”的权重不能为负数",
                path=f"{path}.weight_percent",
            )
        )
    if stage.kind == "imported":
        if stage.modules:
            problems.append(
                Problem(
                    code="imported_stage_has_modules",
                    message=f"阶段“{label}”使用导入成绩，不应设置评分模块",
                    path=f"{path}.modules",
                )
            )
        return problems
    if not any(module.aspects for module in stage.modules):
        problems.append(
            Problem(code="empty_rubric", message=f"阶段“{label}”至少需要一个评分项", path=f"{path}.modules")
        )
    for j, module in enumerate(stage.modules):
        for k, aspect in enumerate(module.aspects):
            problems.extend(_check_aspect(aspect, f"{path}.modules[{j}].aspects[{k}]"))
    if not problems:  # the sum is only meaningful once every maximum and factor is sound
        mismatch = _full_marks_problem(stage, path, None)
        problems.extend([mismatch] if mismatch else [])
    return problems


def _check_stages(rules: CompetitionRules) -> list[Problem]:
    if not rules.stages:
        return [Problem(code="no_stages", message="比赛至少需要一个阶段", path="stages")]
    problems: list[Problem] = []
    for i, stage in enumerate(rules.stages):
        problems.extend(_check_stage(stage, f"stages[{i}]"))
    weights = [stage.weight_percent for stage in rules.stages]
    if all(weight.is_finite() for weight in weights) and sum(weights, Decimal(0)) != 100:
        problems.append(
            Problem(
                code="weights_not_100",
                message=f"各阶段权重之和应为100，当前为{sum(weights, Decimal(0))}",
                path="stages",
            )
        )
    return problems


def _check_rounding(policy: RoundingPolicy) -> list[Problem]:
    problems: list[Problem] = []
    for point in ("panel_mark", "factored_aspect", "stage_total", "final"):
        step: RoundingStep | None = getattr(policy, point)
        if step is not None and step.decimals < 0:
            problems.append(
                Problem(
                    code="rounding_decimals_negative",
                    message="保留小数位数不能为负数",
                    path=f"rounding.{point}.decimals",
                )
            )
    return problems


def _check_tie_breaks(rules: CompetitionRules) -> list[Problem]:
    known = {
        "stage": {stage.id for stage in rules.stages},
        "module": {module.id for stage in rules.stages for module in stage.modules},
    }
    problems: list[Problem] = []
    for i, rule in enumerate(rules.tie_breaks):
        if rule.kind in known and rule.ref not in known[rule.kind]:
            what = "阶段" if rule.kind == "stage" else "模块"
            problems.append(
                Problem(
                    code="unknown_tie_break_ref",
                    message=f"决胜规则引用的{what}“{rule.ref}”不存在",
                    path=f"tie_breaks[{i}].ref",
                )
            )
    return problems


def _check_tiers(rules: CompetitionRules) -> list[Problem]:
    policy = rules.tiers
    problems: list[Problem] = []
    if rules.no_ties_in_top < 0:
        problems.append(
            Problem(
                code="no_ties_in_top_negative",
                message="不允许并列的名次范围不能为负数",
                path="no_ties_in_top",
            )
        )
    if policy is None:
        return problems
    if any(count < 0 for count in policy.counts):
        problems.append(
            Problem(code="tier_count_negative", message="获奖名额不能为负数", path="tiers.counts")
        )
    percents = policy.percents
    if not all(p.is_finite() and p >= 0 for p in percents) or sum(percents, Decimal(0)) > 100:
        problems.append(
            Problem(
                code="tier_percents_invalid",
                message="各奖项比例不能为负数，且合计不能超过100%",
                path="tiers.percents",
            )
        )
    floor = policy.min_score
    if floor is not None and not (floor.is_finite() and 0 <= floor <= 100):
        problems.append(
            Problem(code="min_score_out_of_range", message="获奖最低分应在0到100之间", path="tiers.min_score")
        )
    return problems


def validate_rules(rules: CompetitionRules) -> list[Problem]:
    """Every problem with the rules themselves (independent of who judges); empty when they are usable.

    Checks: unique stage/module/aspect ids; positive full marks, maxima and factors; steps that divide the
    maximum; stage weights summing to 100; for each rubric stage, max x factor of its measurement, pass/fail
    and judgement aspects summing to the stage's full marks (deductions excluded; a stage with a trimmed
    sum is checked by :func:`validate_panel`, which knows how many marks it adds); rounding, tie-break
    references and tier settings. Literal fields (kinds, methods, modes) are enforced by msgspec when the
    rules are decoded (``msgspec.json.decode(data, type=CompetitionRules)``).
    """
    with localcontext(_PUBLISH):
        return [
            *_check_ids(rules),
            *_check_stages(rules),
            *_check_rounding(rules.rounding),
            *_check_tie_breaks(rules),
            *_check_tiers(rules),
        ]


def validate_panel(rules: CompetitionRules, judges_per_aspect: Mapping[str, int]) -> list[Problem]:
    """Every problem with a judging panel: ``judges_per_aspect`` maps an aspect id to the judges available.

    Pass the smallest panel any subject faces on that aspect once recusals are taken out. An aspect needs
    a judge; a judgement aspect needs at least 3; a trimmed rule must leave at least one mark (more than
    2k judges); a stage with a trimmed sum must reach its full marks with the marks actually added.
    """
    problems: list[Problem] = []
    known = {aspect.id for _, aspect in _aspects(rules)}
    for aspect_id in sorted(judges_per_aspect.keys() - known):
        problems.append(
            Problem(
                code="unknown_aspect",
                message=f"评分项“{aspect_id}”不在评分标准中",
                path="panel",
                aspect_id=aspect_id,
            )
        )
    for path, aspect in _aspects(rules):
        problems.extend(_panel_problems(aspect, path, judges_per_aspect.get(aspect.id, 0)))
    with localcontext(_PUBLISH):
        for i, stage in enumerate(rules.stages):
            if any(a.combine.method == "trimmed_sum" for m in stage.modules for a in m.aspects):
                mismatch = _full_marks_problem(stage, f"stages[{i}]", judges_per_aspect)
                problems.extend([mismatch] if mismatch else [])
    return problems


def _panel_problems(aspect: Aspect, path: str, judges: int) -> list[Problem]:
    name = f"评分项“{aspect.id}”"
    if judges < 1:
        return [Problem(code="no_judges", message=f"{name}没有可用的裁判", path=path, aspect_id=aspect.id)]
    problems: list[Problem] = []
    if aspect.kind == "judgement" and judges < _MIN_JUDGEMENT_JUDGES:
        problems.append(
            Problem(
                code="too_few_judges",
                message=f"评价类{name}至少需要3名裁判，当前只有{judges}名",
                path=path,
                aspect_id=aspect.id,
            )
        )
    trim = aspect.combine.trim
    if aspect.combine.method in _TRIMMED and judges <= 2 * trim:
        problems.append(
            Problem(
                code="trim_drops_all",
                message=f"{name}去掉最高分、最低分各{trim}个后没有剩余分数（可用裁判{judges}名）",
                path=f"{path}.combine.trim",
                aspect_id=aspect.id,
            )
        )
    return problems


def validate_mark(aspect: Aspect, value: Decimal) -> Problem | None:
    """The problem with one judge's mark on an aspect, or None if the mark is valid."""
    with localcontext(_PUBLISH):
        return _mark_problem(aspect, value)


def _mark_problem(aspect: Aspect, value: Decimal) -> Problem | None:
    name = f"评分项“{aspect.id}”"

    def problem(code: str, message: str) -> Problem:
        return Problem(code=code, message=message, path="value", aspect_id=aspect.id)

    if not value.is_finite():
        return problem("mark_not_finite", f"{name}的分数不是有效数字")
    if aspect.kind == "judgement":
        return (
            None
            if value in _JUDGEMENT_MARKS
            else problem("judgement_mark_invalid", f"{name}只能评0、1、2或3分")
        )
    if aspect.kind == "pass_fail":
        ok = value in (0, aspect.max_mark)
        return None if ok else problem("pass_fail_mark_invalid", f"{name}只能给0分或满分{aspect.max_mark}")
    if not 0 <= value <= aspect.max_mark:
        return problem("mark_out_of_range", f"{name}的分数应在0到{aspect.max_mark}之间")
    if aspect.step is not None and value % aspect.step != 0:
        return problem("mark_off_step", f"{name}的分数应为{aspect.step}的整数倍")
    return None


def validate_imported_mark(stage: Stage, value: Decimal) -> Problem | None:
    """The problem with an imported stage mark (an exam result), or None if it is within 0..full marks."""
    if stage.kind != "imported":
        return Problem(
            code="stage_not_imported", message=f"阶段“{_label(stage)}”不使用导入成绩", path="value"
        )
    if not (value.is_finite() and 0 <= value <= stage.full_marks):
        return Problem(
            code="imported_mark_out_of_range",
            message=f"阶段“{_label(stage)}”的导入成绩应在0到{stage.full_marks}之间",
            path="value",
        )
    return None
