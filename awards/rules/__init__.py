"""Pure rules of the awards domain: programme lifecycle, nomination quotas and the computed shortlist.

Nothing here touches the database, the clock or the web framework: the use cases load the facts, call these
functions and store what they decide. Callers import from ``awards.rules``; the modules inside say what each
one decides:

- ``lifecycle``: the programme's states, the one table of allowed transitions, a nomination's statuses;
- ``quota``: how many one union (or industry) may nominate;
- ``selection``: candidates, structural constraints, the shapes of a result, :func:`satisfies`;
- ``shortlist``: :func:`compute_shortlist`, with ``solver`` (the exact optimum) and ``explain`` (ties at
  the cut-off, displacements);
- ``replacement``: :func:`next_replacement`, when an upheld objection takes someone off the list;
- ``ways_out``: :func:`ways_out`, what would let an impossible shortlist be formed;
- ``certificate_text``: :func:`certificate_body`, the certificate's sentence (no doubled words, no nested
  double quotes).

The shortlist (建议名单) is computed, not hand-picked. Among all selections of exactly ``awards`` nominees
that respect every union's quota (名额) and every structural constraint (结构比例), it is one with the
greatest total score; see :func:`compute_shortlist` for the rules and :mod:`awards.rules.solver` for why it
is exact.

Conventions spelled out once:

* A percentage becomes a head count over the final list of ``awards`` people: *at least p%* needs
  ``ceil(p * awards / 100)`` (rounding towards the stricter side, so "at least 30% of 16" needs 5, not 4.8),
  *at most p%* allows ``floor(p * awards / 100)`` (again the stricter side: "at most 10% of 16" allows 1).
* The order of a list is score (high to low), then id (low to high). Where two nominees have the same score
  and either could take the place, the lower id is chosen and the tie is *reported* in
  :attr:`ShortlistResult.cutoff_ties`, never silently settled.
* The "plain" ranking is the top ``awards`` by score that respects the union quotas only; displacements
  explain how the structural constraints changed it.
"""

from awards.rules.certificate_text import activity_phrase, certificate_body, prize_body, quoted
from awards.rules.lifecycle import (
    ACTIVE,
    ALLOWED_TRANSITIONS,
    ELIGIBILITY_REVIEW_STATES,
    LIVE_STATUSES,
    STATE_NAMES,
    WITHDRAWN,
    ProgrammeState,
    TransitionError,
    check_transition,
    transition_error,
)
from awards.rules.quota import NominationQuotaError, check_nomination_quota
from awards.rules.replacement import next_replacement
from awards.rules.selection import (
    Bound,
    Candidate,
    ConstraintCheck,
    CutoffTie,
    Displacement,
    Quotas,
    Replacement,
    Shortfall,
    ShortlistInputError,
    ShortlistResult,
    StructuralConstraint,
    satisfies,
)
from awards.rules.shortlist import compute_shortlist
from awards.rules.ways_out import WayOut, ways_out

__all__ = [
    "ACTIVE",
    "ALLOWED_TRANSITIONS",
    "ELIGIBILITY_REVIEW_STATES",
    "LIVE_STATUSES",
    "STATE_NAMES",
    "WITHDRAWN",
    "Bound",
    "Candidate",
    "ConstraintCheck",
    "CutoffTie",
    "Displacement",
    "NominationQuotaError",
    "ProgrammeState",
    "Quotas",
    "Replacement",
    "Shortfall",
    "ShortlistInputError",
    "ShortlistResult",
    "StructuralConstraint",
    "TransitionError",
    "WayOut",
    "activity_phrase",
    "certificate_body",
    "check_nomination_quota",
    "check_transition",
    "compute_shortlist",
    "next_replacement",
    "prize_body",
    "quoted",
    "satisfies",
    "transition_error",
    "ways_out",
]
