"""The programme lifecycle: its states, their names, and the one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class ProgrammeState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    ELIGIBILITY_REVIEW = "eligibility_review"
    EXPERT_REVIEW = "expert_review"
    SHORTLIST = "shortlist"
    PUBLIC_NOTICE = "public_notice"
    AWARDED = "awarded"
    ARCHIVED = "archived"


STATE_NAMES: dict[str, str] = {
    ProgrammeState.DRAFT: "草稿",
    ProgrammeState.OPEN: "征集推荐",
    ProgrammeState.ELIGIBILITY_REVIEW: "资格审查",
    ProgrammeState.EXPERT_REVIEW: "专家评审",
    ProgrammeState.SHORTLIST: "建议名单",
    ProgrammeState.PUBLIC_NOTICE: "公示",
    ProgrammeState.AWARDED: "已表彰",
    ProgrammeState.ARCHIVED: "已归档",
}

# The whole lifecycle in one table. Only the forward path is allowed: an upheld objection during the public
# notice is handled inside that state (the nominee is replaced, see :func:`next_replacement`), so no state
# ever has to be re-entered. Keyed by str so plain strings from the database look up the same.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgrammeState.DRAFT: frozenset({ProgrammeState.OPEN}),
    ProgrammeState.OPEN: frozenset({ProgrammeState.ELIGIBILITY_REVIEW}),
    ProgrammeState.ELIGIBILITY_REVIEW: frozenset({ProgrammeState.EXPERT_REVIEW}),
    ProgrammeState.EXPERT_REVIEW: frozenset({ProgrammeState.SHORTLIST}),
    ProgrammeState.SHORTLIST: frozenset({ProgrammeState.PUBLIC_NOTICE}),
    ProgrammeState.PUBLIC_NOTICE: frozenset({ProgrammeState.AWARDED}),
    ProgrammeState.AWARDED: frozenset({ProgrammeState.ARCHIVED}),
    ProgrammeState.ARCHIVED: frozenset(),
}


class TransitionError(Exception):
    """A state change the lifecycle forbids; the service answers 409 and names ``current``."""

    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        self.allowed = tuple(sorted(ALLOWED_TRANSITIONS.get(current, frozenset())))
        self.message = f"评选当前处于「{_state_name(current)}」阶段，不能变更为「{_state_name(target)}」"
        super().__init__(self.message)


def _state_name(state: str) -> str:
    return STATE_NAMES.get(state, state)


def transition_error(current: str, target: str) -> TransitionError | None:
    """The error for ``current -> target``, or None when the table allows it (unknown states never are)."""
    if target in ALLOWED_TRANSITIONS.get(current, frozenset()):
        return None
    return TransitionError(current, target)


def check_transition(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless ``current -> target`` is in :data:`ALLOWED_TRANSITIONS`."""
    error = transition_error(current, target)
    if error is not None:
        raise error


# The states in which a nomination may still change and its eligibility be decided.
ELIGIBILITY_REVIEW_STATES = frozenset({ProgrammeState.OPEN, ProgrammeState.ELIGIBILITY_REVIEW})

# A nomination's status: nominated (ACTIVE) until withdrawn; later shortlisted, removed (an upheld objection)
# or awarded.
ACTIVE = "nominated"
WITHDRAWN = "withdrawn"
LIVE_STATUSES = ("nominated", "shortlisted", "awarded")  # still in the running for the review
