"""What the scoring domain stores: the declared rules, judges, score sheets and marks, results.

Ids that the pure engine (scoring.rules) sees are strings: a stage is ``str(Stage.id)``, a subject is
``str(Registration.id)``, a judge is ``str(User.id)``; aspect and module ids are the rubric's own.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from accounts.tables import GrassrootsUnion, User
from competitions.tables import Competition, Registration, Stage

MARK = (10, 3)  # Numeric(10, 3): marks and deductions, e.g. 0.5 steps or 1.125
SCORE = (12, 4)


class ScoringScheme(Table, tablename="scoring_scheme"):
    """The competition's declared rules (scoring.rules.CompetitionRules, encoded), one per competition.

    Frozen once the first mark is entered (``frozen_at``); a change after that is refused with 409.
    """

    competition = ForeignKey(Competition, unique=True)
    rules = JSON()
    tolerance = Numeric(digits=(4, 2), default=Decimal(1))  # judgement marks may differ by at most this
    appeal_window_hours = Integer(default=2)
    frozen_at = Timestamptz(null=True, default=None)
    scoring_started_at = Timestamptz(null=True, default=None)
    unblinded_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()


class JudgeAssignment(Table, tablename="judge_assignment"):
    """A judge on a competition's panel; ``judge_no`` is how the open results document names them."""

    competition = ForeignKey(Competition, index=True)
    judge = ForeignKey(User, index=True)
    judge_key = Varchar(length=40, unique=True)  # "<competition>:<user>"
    judge_no = Integer()
    is_chief = Boolean(default=False)
    module_ids = JSON(null=True, default=None)  # None: every module; else a list of module ids
    created_at = Timestamptz()


class Recusal(Table):
    """回避: a judge never sees nor marks this contestant (same employer, or a declared conflict)."""

    competition = ForeignKey(Competition, index=True)
    judge = ForeignKey(User)
    registration = ForeignKey(Registration)
    recusal_key = Varchar(length=60, unique=True)  # "<judge>:<registration>"
    kind = Varchar(length=20)  # employer | declared
    reason = Text(default="")
    created_at = Timestamptz()


class JudgeLink(Table, tablename="judge_link"):
    """A one-time log-in link (and QR code) that opens the tablet page signed in for one competition."""

    competition = ForeignKey(Competition, index=True)
    judge = ForeignKey(User)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ScoreSheet(Table, tablename="score_sheet"):
    """One judge's marks for one contestant in one stage: draft -> submitted -> signed."""

    competition = ForeignKey(Competition, index=True)
    stage = ForeignKey(Stage, index=True)
    registration = ForeignKey(Registration, index=True)
    judge = ForeignKey(User, index=True)
    sheet_key = Varchar(length=60, unique=True)  # "<stage>:<registration>:<judge>"
    status = Varchar(length=20, default="draft")
    version = Integer(default=0)  # 0 until the first write
    submitted_at = Timestamptz(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class SheetMark(Table, tablename="sheet_mark"):
    sheet = ForeignKey(ScoreSheet, index=True)
    aspect_id = Varchar(length=40)
    mark_key = Varchar(length=120, unique=True)  # "<sheet>:<aspect>"
    value = Numeric(digits=MARK)
    updated_at = Timestamptz()


class Submission(Table):
    """Idempotency: the first answer to a client's submission UUID, returned again on a replay."""

    client_id = UUID(unique=True)
    sheet = ForeignKey(ScoreSheet, index=True)
    response = JSON()
    created_at = Timestamptz()


class ToleranceFlag(Table, tablename="tolerance_flag"):
    """Judges' judgement marks on an aspect differ by more than the tolerance: re-mark or accept."""

    stage = ForeignKey(Stage, index=True)
    registration = ForeignKey(Registration)
    aspect_id = Varchar(length=40)
    flag_key = Varchar(length=120, unique=True)  # "<stage>:<registration>:<aspect>"
    status = Varchar(length=20, default="open")  # open | resolved | accepted
    spread = Numeric(digits=MARK)
    accepted_by = Integer(null=True, default=None)
    reason = Text(default="")
    updated_at = Timestamptz()


class StageSignoff(Table, tablename="stage_signoff"):
    stage = ForeignKey(Stage, unique=True)
    chief = ForeignKey(User)
    signed_at = Timestamptz()


class ImportedMark(Table, tablename="imported_mark"):
    """A stage taken as one mark per contestant, e.g. the theory exam result."""

    stage = ForeignKey(Stage, index=True)
    registration = ForeignKey(Registration)
    mark_key = Varchar(length=40, unique=True)  # "<stage>:<registration>"
    value = Numeric(digits=SCORE)
    updated_at = Timestamptz()


class ContestantFacts(Table, tablename="contestant_facts"):
    """Per-contestant inputs other than marks: time used (a tie-break) and disqualification (取消资格)."""

    registration = ForeignKey(Registration, unique=True)
    time_used_seconds = Numeric(digits=(10, 1), null=True, default=None)
    disqualified = Boolean(default=False)
    disqualified_reason = Text(default="")
    version = Integer(default=1)
    # 未晋级: the index of the round whose cut this contestant did not pass (null: still in the competition)
    eliminated_after = Integer(null=True, default=None)


class Publication(Table):
    """A published version of the results; a correction publishes the next version, history kept."""

    competition = ForeignKey(Competition, index=True)
    publication_key = Varchar(length=40, unique=True)  # "<competition>:<version>"
    version = Integer()
    published_by = ForeignKey(User)
    published_at = Timestamptz()
    reason = Text(default="")
    results = JSON()  # the public leaderboard: names, employers, scores, ranks, prizes; nothing private
    document = JSON()  # the open document: rules and every mark by blind code and judge number


class ArbitrationMember(Table, tablename="arbitration_member"):
    """监督仲裁组: the body that answers appeals, modelled as a role on a competition."""

    competition = ForeignKey(Competition, index=True)
    member = ForeignKey(User)
    member_key = Varchar(length=40, unique=True)  # "<competition>:<user>"


class Appeal(Table):
    competition = ForeignKey(Competition, index=True)
    registration = ForeignKey(Registration)
    stage = ForeignKey(Stage, null=True)
    lodged_by = ForeignKey(User)
    grounds = Text()
    lodged_at = Timestamptz()
    status = Varchar(length=20, default="pending")  # pending | upheld | dismissed
    answer = Text(default="")
    answered_by = Integer(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class CompetitionTeam(Table, tablename="competition_team"):
    """A named team of registered contestants (团体), when the rules group teams as ``named``."""

    competition = ForeignKey(Competition, index=True)
    team_key = Varchar(length=80, unique=True)  # "<competition>:<name>": one name per competition
    name = Varchar(length=50)
    union = ForeignKey(GrassrootsUnion, null=True)  # the union the team represents, if any
    version = Integer(default=1)
    created_at = Timestamptz()


class TeamMember(Table, tablename="team_member"):
    team = ForeignKey(CompetitionTeam, index=True)
    registration = ForeignKey(Registration)
    member_key = Varchar(length=40, unique=True)  # "<competition>:<registration>": one team per contestant


class PromotionConfirmation(Table, tablename="promotion_confirmation"):
    """An organizer's confirmation of the skill-level promotion list of a published version (once)."""

    competition = ForeignKey(Competition, unique=True)
    publication_version = Integer()
    confirmed_by = ForeignKey(User)
    confirmed_at = Timestamptz()
    entries = JSON()  # the confirmed list as applied: registration, level before and after, outcome
    reason = Text(default="")


class JudgeAbsence(Table, tablename="judge_absence"):
    """缺席: a judge absent for one contestant (``registration``) or all of them (None), in one stage or all
    (``stage`` None). Not a conflict of interest (:class:`Recusal`): the judge simply gave no mark, and the
    panel combines the marks of the judges present (an aspect short of its ``min_marks`` stays incomplete)."""

    competition = ForeignKey(Competition, index=True)
    judge = ForeignKey(User)
    registration = ForeignKey(Registration, null=True, default=None)
    stage = ForeignKey(Stage, null=True, default=None)
    absence_key = Varchar(length=80, unique=True)  # "<competition>:<judge>:<registration|*>:<stage|*>"
    reason = Text(default="")
    created_at = Timestamptz()


class RoundClose(Table, tablename="round_close"):
    """An organizer's closing of one round (轮次): the standing, who goes through, the next starting order.

    Once per round (``close_key`` "<competition>:<round id>"); the contestants cut are marked on their
    ``ContestantFacts.eliminated_after`` in the same transaction.
    """

    competition = ForeignKey(Competition, index=True)
    close_key = Varchar(length=80, unique=True)
    round_id = Varchar(length=40)
    position = Integer()  # the round's index in the declared rounds
    standings = JSON()  # registration, round score, standing score, rank, qualified, group; best first
    start_order = JSON()  # registration ids of the next round, first to start first
    closed_by = ForeignKey(User)
    closed_at = Timestamptz()
