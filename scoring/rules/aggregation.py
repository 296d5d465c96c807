"""Aggregation: every subject's marks become aspect, module, stage and final scores (exact, see ``exact``).

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
    final       weighted: sum over stages of  stage / stage.full_marks x stage.weight_percent
                raw_sum:  sum over stages of  stage                                  [round: final]*

* The final score is always rounded: with ``rules.rounding.final`` when declared, else with the published
rounding (``PUBLISHED_ROUNDING``: two decimals, half up), so the figure the board shows is the one that
ranks, meets the prize floor (``tiers.min_score``) and is compared before the tie-breaks.

With rounds (``rules.rounds``) the last line is per round: a round's score is the sum over its stages
[round: final], and the final score (累计) is the sum of the round scores, or the last round entered alone
(``total = "last"``; each round is then scaled to 100 by its stages' weights: x 100 / their sum, so a
round of two stages weighted 20 and 30 is out of 100 like the whole; with ``final = "raw_sum"`` a round is
the raw sum of its stages and nothing is scaled). A subject cut after round k
(``SubjectInput.eliminated_after``, 未晋级) has no scores at all for the stages of later rounds: they are
left out, never counted as 0.

Normalisation: weights are percentages summing to 100 and every stage is first divided by its own full
marks, so the final score is always out of 100 whatever the stages' full marks (a 60-mark practical at
weight 70 and a 100-mark exam at weight 30 give final = p / 60 x 70 + t / 100 x 30). Rules declaring
``final = "raw_sum"`` add the stage scores as they are (a jump's points, an exam out of 150): weights are
ignored and the final is out of the sum of the full marks.

Completeness
------------
An aspect is complete when every judge expected for that (subject, aspect) after recusals and absences
has marked it and it has at least its least number of marks (``min_marks``; by default what the
combination needs: 2k + 1 for a trimmed rule, else 1). The trim always applies as declared, whatever the
number of marks (as the ISU drops one highest and one lowest mark of a panel short of a judge); an aspect
with fewer marks than it needs is never computed: no panel mark, 0 in the live, provisional score, and
the subject stays incomplete. A trimmed *sum* adds as many marks as are left, so a rubric that must not
sum fewer marks when a judge is absent declares ``min_marks`` equal to the full panel. A subject is
complete when every aspect and every imported stage mark is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext

from scoring.rules.exact import EXACT, ZERO, Ratio, add, publish, round_ratio
from scoring.rules.records import (
    TRIMMED,
    Aspect,
    AspectScore,
    Combination,
    CompetitionRules,
    ExpectedJudges,
    Mark,
    RoundingPolicy,
    ScoringError,
    Stage,
    SubjectInput,
    SubjectResult,
    aspects_with_paths,
    least_marks,
)
from scoring.rules.validation import require_valid

_JUDGEMENT_SCALE = 3


# --------------------------------------------------------------------------------------------- aspects


def _combine(ordered: Sequence[Decimal], combination: Combination) -> Ratio | None:
    """Panel mark of ascending marks as an exact fraction; None if nothing is left to combine."""
    count = len(ordered)
    if combination.method == "median":
        if count == 0:
            return None
        middle = count // 2
        return (ordered[middle], 1) if count % 2 else (ordered[middle - 1] + ordered[middle], 2)
    trim = combination.trim if combination.method in TRIMMED else 0
    kept = ordered[trim : count - trim]
    if not kept:
        return None
    total = sum(kept, Decimal(0))
    return (total, 1) if combination.method == "trimmed_sum" else (total, len(kept))


def combine(values: Iterable[Decimal], combination: Combination) -> Decimal | None:
    """The panel mark of some marks (unrounded, 28 significant digits), or None if none is left."""
    with localcontext(EXACT):
        panel = _combine(sorted(values), combination)
        return None if panel is None else publish(panel)


def _score_aspect(
    aspect: Aspect, values: Sequence[Decimal], rounding: RoundingPolicy
) -> tuple[Ratio | None, Ratio]:
    """(panel mark before factor, signed contribution to its module); (None, 0) if not computable: fewer
    marks than the aspect needs are never combined (a trimmed mean of 2 marks would silently be a mean)."""
    if len(values) < least_marks(aspect):
        return None, ZERO
    panel = _combine(sorted(values), aspect.combine)  # sorting makes the judges' order irrelevant
    if panel is None:
        return None, ZERO
    num, den = panel
    if aspect.kind == "judgement":
        num, den = num * aspect.max_mark, den * _JUDGEMENT_SCALE
    if rounding.panel_mark is not None:
        num, den = round_ratio(num, den, rounding.panel_mark), 1
    panel = (num, den)
    num = num * aspect.factor
    if rounding.factored_aspect is not None:
        num, den = round_ratio(num, den, rounding.factored_aspect), 1
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
        rounds = rules.rounds.rounds if rules.rounds is not None else ()
        self.round_of = {stage_id: i for i, declared in enumerate(rounds) for stage_id in declared.stages}
        self.last_round = max(len(rounds) - 1, 0)
        # total = "last": round i's weighted sum x 100 / (its stages' weights) = x * p / q, exactly
        self.round_scale: dict[int, tuple[int, int]] = {}
        # (a raw-sum final adds points as they are: nothing to scale)
        if rules.rounds is not None and rules.rounds.total == "last" and rules.final != "raw_sum":
            weights = {stage.id: stage.weight_percent for stage in rules.stages}
            for i, declared in enumerate(rounds):
                weight = sum((weights[s] for s in declared.stages), Decimal(0))
                q, p = (weight / 100).as_integer_ratio()
                self.round_scale[i] = (p, q)

    def subject(self, subject: SubjectInput) -> SubjectResult:
        by_aspect = self.panels.get(subject.subject_id, {})
        aspects: dict[str, AspectScore] = {}
        modules: dict[str, Decimal] = {}
        stages: dict[str, Decimal] = {}
        contributions: dict[int, Ratio] = {}  # by round index (everything is round 0 without rounds)
        reached = self.last_round if subject.eliminated_after is None else subject.eliminated_after
        imported_complete = True
        for stage in self.rules.stages:
            round_index = self.round_of.get(stage.id, 0)
            if round_index > reached:
                continue  # 未晋级: a round the subject never entered is not scored at all, not scored 0
            if stage.kind == "imported":
                mark = subject.imported.get(stage.id)
                imported_complete = imported_complete and mark is not None
                total = ZERO if mark is None else (mark, 1)
            else:
                total = self._rubric_stage(subject.subject_id, by_aspect, stage, aspects, modules)
            total = self._stage_total(total)
            stages[stage.id] = publish(total)
            if self.rules.final == "raw_sum":
                contribution = total
            else:
                p, q = self.full_marks[stage.id]
                contribution = (total[0] * stage.weight_percent * q, total[1] * p)
            contributions[round_index] = add(contributions.get(round_index, ZERO), contribution)
        final, round_scores = self._final(contributions, reached)
        return SubjectResult(
            subject_id=subject.subject_id,
            aspect_scores=aspects,
            module_scores=modules,
            stage_scores=stages,
            final_score=publish(final),
            complete=imported_complete and all(score.complete for score in aspects.values()),
            disqualified=subject.disqualified,
            time_used=subject.time_used,
            round_scores=round_scores,
            eliminated_after=subject.eliminated_after,
        )

    def _final(self, contributions: Mapping[int, Ratio], reached: int) -> tuple[Ratio, dict[str, Decimal]]:
        """The final score and, with rounds, each entered round's score (rounded as the final is).

        With rounds the total is the sum of the (rounded) round scores, or the last round entered alone,
        so that the published 累计 is exactly what the published round columns add up to.
        """
        step = self.rounding.final_step  # never unrounded: the board's figure is the one that ranks
        rounds = self.rules.rounds
        if rounds is None:
            return (round_ratio(*contributions.get(0, ZERO), step), 1), {}
        scores: dict[int, Ratio] = {}
        for index in range(reached + 1):
            score = contributions.get(index, ZERO)
            if index in self.round_scale:
                p, q = self.round_scale[index]
                score = (score[0] * p, score[1] * q)
            scores[index] = (round_ratio(*score, step), 1)
        if rounds.total == "last":
            final = scores[reached]
        else:
            final = ZERO
            for score in scores.values():
                final = add(final, score)
        return final, {rounds.rounds[i].id: publish(score) for i, score in scores.items()}

    def _stage_total(self, total: Ratio) -> Ratio:
        if total[0] < 0:
            total = ZERO  # deductions never take a stage below zero
        if self.rounding.stage_total is not None:
            total = (round_ratio(*total, self.rounding.stage_total), 1)
        return total

    def _rubric_stage(
        self,
        subject_id: str,
        by_aspect: Mapping[str, Mapping[str, Decimal]],
        stage: Stage,
        aspects: dict[str, AspectScore],
        modules: dict[str, Decimal],
    ) -> Ratio:
        """The stage's unrounded total; fills in its aspects' and modules' published scores."""
        stage_total = ZERO
        for module in stage.modules:
            module_total = ZERO
            for aspect in module.aspects:
                score, contribution = self._aspect(subject_id, by_aspect.get(aspect.id, {}), aspect)
                aspects[aspect.id] = score
                module_total = add(module_total, contribution)
            modules[module.id] = publish(module_total)
            stage_total = add(stage_total, module_total)
        return stage_total

    def _aspect(
        self, subject_id: str, marked: Mapping[str, Decimal], aspect: Aspect
    ) -> tuple[AspectScore, Ratio]:
        panel, contribution = _score_aspect(aspect, tuple(marked.values()), self.rounding)
        complete = panel is not None
        if complete and self.expected is not None:
            expected = self.expected.get((subject_id, aspect.id), ())
            complete = all(judge in marked for judge in expected)
        score = AspectScore(
            panel_mark=None if panel is None else publish(panel),
            score=publish(contribution),
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
    aspect_ids = {aspect.id for _, aspect in aspects_with_paths(rules)}
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
    require_valid(rules)
    with localcontext(EXACT):
        subject_ids = _check_subjects(rules, subjects)
        scorer = _Scorer(rules, _group_marks(rules, subject_ids, marks), expected)
        return [scorer.subject(subject) for subject in subjects]
