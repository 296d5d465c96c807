"""The review score of each nomination, and the organizer's view of the review's progress.

Aggregation reuses the competition engine: the programme's ``review_rules`` (one rubric stage) go to
``scoring.rules.aggregate`` with the submitted sheets as marks and each nomination's non-recused reviewers as
the expected panel; the final score (out of 100) is the review score."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from awards.review_panel import (
    SUBMITTED,
    is_recused,
    panel,
    review_pool,
    reviewer_out,
    rubric_of,
    sheet_counts,
)
from awards.rows import programme_row
from awards.rules import LIVE_STATUSES
from awards.schemas import MissingReview, ReviewProgressOut
from awards.tables import Nomination, ReviewMark
from scoring import rules as scoring_rules

# The review score is published (stored in Nomination.review_score, Numeric(12, 4), and compared) to 4
# decimals half up (awards.shortlist_report.SCORE_PLACES). The engine rounds an undeclared final to the
# competitions' 2 decimals; a review rubric without its own final rounding is rounded to these 4 instead.
REVIEW_ROUNDING = scoring_rules.RoundingStep(decimals=4, mode="half_up")


def _published_final(rules: scoring_rules.CompetitionRules) -> scoring_rules.CompetitionRules:
    if rules.rounding.final is not None:
        return rules
    rounding = msgspec.structs.replace(rules.rounding, final=REVIEW_ROUNDING)
    return msgspec.structs.replace(rules, rounding=rounding)


class ReviewScore(msgspec.Struct, kw_only=True, gc=False):
    """A nomination's review score (None without any submitted sheet) and whether every expected reviewer
    has submitted; ``reviewers`` is how many are expected (0: every reviewer is recused)."""

    score: Decimal | None
    complete: bool
    reviewers: int
    missing: tuple[int, ...]  # reviewer numbers not yet submitted


async def review_scores(programme_id: int, rules: scoring_rules.CompetitionRules) -> dict[int, ReviewScore]:
    """Every reviewed nomination's score: ``scoring.rules.aggregate`` over the submitted sheets."""
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    aspects = [a.id for s in rules.stages for m in s.modules for a in m.aspects]
    expected: dict[tuple[str, str], tuple[str, ...]] = {}
    allowed: dict[int, dict[str, int]] = {}
    for p in pool:
        judges = {str(m.user_id): m.reviewer_no for m in members if not is_recused(m, p.employer_id)}
        allowed[p.nomination_id] = judges
        panel_ids = tuple(judges)
        subject = str(p.nomination_id)
        for aspect_id in aspects:
            expected[(subject, aspect_id)] = panel_ids
    known_aspects = set(aspects)
    submitted: dict[int, set[str]] = {}
    marks: list[scoring_rules.Mark] = []
    rows = await ReviewMark.select(
        ReviewMark.sheet.nomination.as_alias("n"),
        ReviewMark.sheet.expert.as_alias("e"),
        ReviewMark.aspect_id,
        ReviewMark.value,
    ).where((ReviewMark.sheet.programme == programme_id) & (ReviewMark.sheet.status == SUBMITTED))
    for r in rows:
        judges = allowed.get(r["n"])
        judge = str(r["e"])
        if judges is None or judge not in judges or r["aspect_id"] not in known_aspects:
            continue
        submitted.setdefault(r["n"], set()).add(judge)
        marks.append(
            scoring_rules.Mark(
                subject_id=str(r["n"]), aspect_id=r["aspect_id"], judge_id=judge, value=r["value"]
            )
        )
    subjects = [scoring_rules.SubjectInput(subject_id=str(p.nomination_id)) for p in pool]
    results = (
        scoring_rules.aggregate(_published_final(rules), subjects, marks, expected=expected)
        if subjects
        else []
    )
    out: dict[int, ReviewScore] = {}
    for p, result in zip(pool, results, strict=True):
        judges = allowed[p.nomination_id]
        done = submitted.get(p.nomination_id, set())
        missing = tuple(sorted(no for j, no in judges.items() if j not in done))
        out[p.nomination_id] = ReviewScore(
            score=result.final_score if done else None,
            complete=bool(judges) and not missing and result.complete,
            reviewers=len(judges),
            missing=missing,
        )
    return out


async def review_progress(programme_id: int) -> ReviewProgressOut:
    row = await programme_row(programme_id)
    members = await panel(programme_id)
    pool = await review_pool(programme_id)
    counts = await sheet_counts(programme_id)
    rubric = rubric_of(row["review_rules"])
    scores = await review_scores(programme_id, rubric.rules) if rubric else {}
    names = {p.nomination_id: p.name for p in pool}
    incomplete = [n for n, s in scores.items() if s.reviewers and not s.complete]
    direct = await Nomination.count().where(
        (Nomination.programme == programme_id)
        & Nomination.status.is_in(list(LIVE_STATUSES))
        & (Nomination.eligibility_status == "eligible")
        & (Nomination.source == "direct")
    )
    return ReviewProgressOut(
        programme_id=programme_id,
        state=row["state"],
        nominations=len(pool),
        direct=direct,
        complete=sum(1 for s in scores.values() if s.complete),
        incomplete=len(incomplete),
        unreviewable=sum(1 for s in scores.values() if not s.reviewers),
        reviewers=[reviewer_out(m, pool, counts) for m in members],
        missing=[
            MissingReview(nomination_id=n, name=names[n], missing_reviewers=list(scores[n].missing))
            for n in incomplete[:100]
        ],
    )
