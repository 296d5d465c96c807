"""Over generated competitions (every combination method, rounding point and mode, tie-break and tier
policy the engine knows): the open document built from the engine's results is recomputed exactly by the
independent script. So the script is not merely right for one fixture, and the document carries enough."""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import given, settings

from scoring import export
from scoring import rules as engine
from scoring.results import DEFAULT_PUBLISHED_ROUNDING
from tests.scoring import recompute_reference
from tests.scoring.test_rules_properties import Case, cases


def document_of(case: Case) -> dict[str, object]:
    board = engine.leaderboard(case.rules, case.subjects, case.marks)
    step = case.rules.rounding.final or DEFAULT_PUBLISHED_ROUNDING
    blind = {s.subject_id: (i + 1, f"B{i:03d}") for i, s in enumerate(case.subjects)}
    published = [
        export.PublishedFigure(
            blind_code=blind[r.subject_id][1],
            final_score=engine.round_decimal(r.final_score, step),
            rank=r.rank,
            tier=r.tier,
            stage_scores={k: engine.round_decimal(v, step) for k, v in r.stage_scores.items()},
            disqualified=r.disqualified,
        )
        for r in board.results
    ]
    body = export.open_document(
        competition={"id": 1, "title": "t", "occupation": "o"},
        version=1,
        published_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        rules=case.rules,
        published_rounding=step,
        judge_numbers={f"j{n}": n for n in range(1, 6)},
        subjects=case.subjects,
        marks=case.marks,
        expected=None,
        blind=blind,
        published=published,
    )
    return msgspec.json.decode(body)


@settings(max_examples=150, deadline=None, database=None)
@given(case=cases(max_subjects=10))
def test_the_script_agrees_with_the_engine_on_any_competition(case: Case) -> None:
    assert recompute_reference.check(document_of(case)) == []
