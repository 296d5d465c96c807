"""What the competitions domain stores: series, competitions, their stages, registrations, lot draws."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from accounts.tables import Enterprise, Person


class Series(Table):
    """A year's programme of contests, e.g. 2026 年亦城职工职业技能竞赛."""

    name = Varchar(length=100, unique=True)
    year = Integer()
    created_at = Timestamptz()


class Competition(Table):
    series = ForeignKey(Series, null=True)
    title = Varchar(length=100)
    occupation = Varchar(length=50)  # 工种, e.g. 电工, 焊工, 数控车工
    industry = Varchar(length=30)
    description = Text(default="")
    venue = Varchar(length=200, default="")
    registration_opens_at = Timestamptz()
    registration_closes_at = Timestamptz()
    capacity = Integer(null=True, default=None)  # None: no limit
    state = Varchar(length=20, default="draft", index=True)  # competitions.rules.CompetitionState
    eligibility = JSON(default="{}")  # competitions.rules.EligibilityRules, encoded
    # Bumped by every accepted registration and every withdrawal: the row that serialises the capacity
    # check (see competitions.admission), and the optimistic-lock version for organizer edits.
    accepted_count = Integer(default=0)
    next_seq = Integer(default=1)  # the next registration number's sequence
    drawn_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()


class Stage(Table):
    """理论知识 / 实际操作 …: its weight in the final score and its schedule."""

    competition = ForeignKey(Competition, index=True)
    position = Integer()  # 0-based order within the competition
    name = Varchar(length=50)
    kind = Varchar(length=20)  # competitions.rules.StageKind
    weight_percent = Numeric(digits=(5, 2))
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)


class Registration(Table):
    """One person's entry in one competition; unique per (competition, person)."""

    competition = ForeignKey(Competition, index=True)
    person = ForeignKey(Person, index=True)
    # The key that makes "one person registers at most once" hold under concurrency: unique
    # "<competition>:<person>".
    entry_key = Varchar(length=40, unique=True)
    registration_no = Varchar(length=20, unique=True)  # C0012-00037
    # The employer when registering: the per-enterprise limit and judges' recusal look at it.
    employer = ForeignKey(Enterprise, null=True)
    status = Varchar(length=20, index=True)  # accepted | waitlisted | rejected | withdrawn
    arrival = Integer()  # arrival order within the competition (the waitlist order)
    review = Varchar(length=20, default="pending")  # pending | approved | rejected (organizer review)
    review_reason = Text(default="")
    attendance = Varchar(length=10, null=True, default=None)  # present | absent (check-in, 检录)
    station_no = Integer(null=True, default=None)  # 工位号, from the lot draw
    blind_code = Varchar(length=10, null=True, default=None, index=True, index_method=IndexMethod.btree)
    registered_by = Integer(null=True, default=None)  # the user who registered (self or a union officer)
    version = Integer(default=1)
    created_at = Timestamptz()
