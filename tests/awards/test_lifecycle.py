"""The programme lifecycle, table-driven: every allowed transition, and a sample of refused ones."""

from __future__ import annotations

import pytest

from awards.rules import (
    ALLOWED_TRANSITIONS,
    STATE_NAMES,
    ProgrammeState,
    TransitionError,
    check_transition,
    transition_error,
)

S = ProgrammeState

# The path the brief describes, written out by hand so that an edit of the table shows up here.
FORWARD = [
    (S.DRAFT, S.OPEN),
    (S.OPEN, S.ELIGIBILITY_REVIEW),
    (S.ELIGIBILITY_REVIEW, S.EXPERT_REVIEW),
    (S.EXPERT_REVIEW, S.SHORTLIST),
    (S.SHORTLIST, S.PUBLIC_NOTICE),
    (S.PUBLIC_NOTICE, S.AWARDED),
    (S.AWARDED, S.ARCHIVED),
]


def test_the_table_is_exactly_the_forward_path() -> None:
    allowed = sorted((a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets)
    assert allowed == sorted(FORWARD)
    assert set(ALLOWED_TRANSITIONS) == set(S)
    assert set(STATE_NAMES) == set(S)


@pytest.mark.parametrize(("current", "target"), FORWARD)
def test_allowed(current: S, target: S) -> None:
    check_transition(current, target)
    assert transition_error(current, target) is None
    check_transition(current.value, target.value)  # plain strings from the database work the same


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.ELIGIBILITY_REVIEW),  # skipping nominations
        (S.DRAFT, S.PUBLIC_NOTICE),
        (S.OPEN, S.SHORTLIST),  # skipping both reviews
        (S.EXPERT_REVIEW, S.AWARDED),  # no shortlist, no notice
        (S.SHORTLIST, S.AWARDED),  # awarding without the public notice
        (S.PUBLIC_NOTICE, S.SHORTLIST),  # backwards
        (S.OPEN, S.DRAFT),
        (S.AWARDED, S.PUBLIC_NOTICE),
        (S.ARCHIVED, S.DRAFT),  # archived is final
        (S.ARCHIVED, S.AWARDED),
        (S.OPEN, S.OPEN),  # no self-loops
        (S.ARCHIVED, S.ARCHIVED),
        (S.DRAFT, S.ARCHIVED),
    ],
)
def test_refused(current: S, target: S) -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(current, target)
    error = caught.value
    assert (error.current, error.target) == (current, target)
    assert error.code == "invalid_transition"
    assert STATE_NAMES[current] in error.message and STATE_NAMES[target] in error.message
    assert error.allowed == tuple(sorted(ALLOWED_TRANSITIONS[current]))
    assert isinstance(transition_error(current, target), TransitionError)


@pytest.mark.parametrize(("current", "target"), [("closed", "open"), ("draft", "published"), ("", "open")])
def test_unknown_states_are_refused(current: str, target: str) -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(current, target)
    assert caught.value.allowed == tuple(sorted(ALLOWED_TRANSITIONS.get(current, frozenset())))


def test_message_names_the_current_state() -> None:
    with pytest.raises(TransitionError, match="评选当前处于「专家评审」阶段，不能变更为「已表彰」"):
        check_transition("expert_review", "awarded")
