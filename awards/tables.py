"""What the awards domain stores: programmes, nominations and their evidence, expert review, the public
notice calendar, objections and the honour roll."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from accounts.tables import GrassrootsUnion, Person, User
from competitions.tables import Competition


class Programme(Table):
    """An award programme: 2026 亦城工匠, 爱企业的好职工 … with its quotas, rules and notice length."""

    name = Varchar(length=100)
    year = Integer()
    kind = Varchar(
        length=30
    )  # craftsman | model_worker | advanced_worker | good_employee | good_manager | collective
    state = Varchar(length=30, default="draft", index=True)  # awards.rules.ProgrammeState
    nomination_opens_at = Timestamptz()
    nomination_closes_at = Timestamptz()
    total_awards = Integer()
    quota_scope = Varchar(length=20, default="union")  # union | industry: what a group quota counts by
    default_quota = Integer(null=True, default=None)  # per nominating union (or industry) unless listed
    quotas = JSON(default="{}")  # {"<union id or industry>": n}
    eligibility = JSON(default="{}")  # competitions.rules.EligibilityRules, encoded
    constraints = JSON(default="[]")  # [awards.schemas.ConstraintIn]
    review_rules = JSON(null=True, default=None)  # scoring.rules.CompetitionRules: the expert rubric
    qualifying_results = JSON(default="[]")  # [{"competition_id", "max_tier", "effect": eligible|direct}]
    deed_max_chars = Integer(default=1500)
    notice_length = Integer(default=5)
    notice_unit = Varchar(length=20, default="working_days")  # working_days | calendar_days
    notice_starts_on = Date(null=True, default=None)
    notice_ends_on = Date(null=True, default=None)
    shortlist = JSON(null=True, default=None)  # the last computed awards.schemas.ShortlistReport, with names
    awarded_on = Date(null=True, default=None)  # the day the final list was published (on the certificates)
    # own_period | change_notice: how one who moved up after an upheld objection goes public before the award
    replacement_notice = Varchar(length=20, default="own_period")
    issuing_body = Varchar(length=100, default="北京经济技术开发区总工会")  # 发布单位
    objection_office = Varchar(length=100, default="")  # 异议受理单位
    objection_phone = Varchar(length=40, default="")  # 受理电话
    objection_address = Varchar(length=100, default="")  # 受理地址
    version = Integer(default=1)
    created_at = Timestamptz()


class Nomination(Table):
    """推荐: one person nominated to one programme, by their union (or directly from a competition)."""

    programme = ForeignKey(Programme, index=True)
    person = ForeignKey(Person, index=True)
    union = ForeignKey(GrassrootsUnion, null=True, index=True)  # the nominating union
    # What the programme's quota counts by, fixed when nominated: the union id, or the employer's industry.
    quota_group = Varchar(length=40, default="", index=True)
    nomination_key = Varchar(length=40, unique=True)  # "<programme>:<person>"
    nominated_by = ForeignKey(User, null=True)
    source = Varchar(length=20, default="union")  # union | direct (直接推荐 from a competition result)
    source_competition = ForeignKey(Competition, null=True)
    achievements = JSON(default="{}")  # competition results, patents, apprentices, titles
    deed = Text(default="")  # 事迹
    # The verdict in force: the rules' own until an organizer overrides it (then the opposite, with a note).
    eligibility_status = Varchar(length=20, default="pending")  # pending | eligible | ineligible
    eligibility_reasons = JSON(default="[]")
    eligibility_overridden = Boolean(default=False)
    eligibility_note = Text(default="")
    eligibility_reviewed_by = Integer(null=True, default=None)  # the organizer who confirmed or overrode
    eligibility_reviewed_at = Timestamptz(null=True, default=None)  # None: not yet reviewed
    status = Varchar(
        length=20, default="nominated", index=True
    )  # nominated | withdrawn | shortlisted | removed | awarded
    review_score = Numeric(digits=(12, 4), null=True, default=None)
    certificate_no = Varchar(length=30, null=True, default=None, unique=True)
    version = Integer(default=1)
    created_at = Timestamptz()


class Attachment(Table):
    """Evidence (PDF or image), checked by content; the bytes are found by ``sha256`` in the store
    ``YICHENG_ATTACHMENTS`` names (:mod:`awards.storage`): a folder under ``YICHENG_DATA_DIR``, or
    :class:`AttachmentBlob` rows."""

    nomination = ForeignKey(Nomination, index=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=50)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=100, unique=True)
    uploaded_by = ForeignKey(User, null=True)
    created_at = Timestamptz()


class AttachmentBlob(Table, tablename="attachment_blob"):
    """Attachment bytes kept in the database (``YICHENG_ATTACHMENTS=database``), once per content, so that
    every server machine behind a load balancer serves them."""

    sha256 = Varchar(length=64, unique=True)
    content = Bytea()
    size = Integer()
    created_at = Timestamptz()


class Reviewer(Table):
    """An expert reviewer (评审专家) assigned to a programme; ``reviewer_no`` names them in documents."""

    programme = ForeignKey(Programme, index=True)
    expert = ForeignKey(User)
    reviewer_key = Varchar(length=40, unique=True)  # "<programme>:<user>"
    reviewer_no = Integer()
    created_at = Timestamptz()


class ReviewSheet(Table, tablename="review_sheet"):
    """One expert's marks for one nomination on the programme's rubric: draft -> submitted."""

    programme = ForeignKey(Programme, index=True)
    nomination = ForeignKey(Nomination, index=True)
    expert = ForeignKey(User, index=True)
    sheet_key = Varchar(length=60, unique=True)  # "<nomination>:<expert>"
    status = Varchar(length=20, default="draft")
    version = Integer(default=0)
    submitted_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class ReviewMark(Table, tablename="review_mark"):
    sheet = ForeignKey(ReviewSheet, index=True)
    aspect_id = Varchar(length=40)
    mark_key = Varchar(length=120, unique=True)  # "<sheet>:<aspect>"
    value = Numeric(digits=(10, 3))
    updated_at = Timestamptz()


class ReviewSubmission(Table, tablename="review_submission"):
    client_id = UUID(unique=True)
    sheet = ForeignKey(ReviewSheet, index=True)
    response = JSON()
    created_at = Timestamptz()


class CalendarYear(Table, tablename="calendar_year"):
    """A year's official holiday schedule entered by an organizer, for years the library does not know."""

    year = Integer(unique=True)
    holidays = JSON()  # ["2027-01-01", ...]
    makeup_workdays = JSON()  # 调休上班日
    source = Text(default="")  # e.g. 国办发明电〔2026〕x号
    entered_by = ForeignKey(User, null=True)
    version = Integer(default=1)
    created_at = Timestamptz()


class Objection(Table):
    """异议 lodged during the public notice; the objector's contact is sealed, never shown publicly."""

    programme = ForeignKey(Programme, index=True)
    nomination = ForeignKey(Nomination, index=True)
    grounds = Text()
    objector_name = Varchar(length=50, default="")
    objector_organisation = Varchar(length=100, default="")  # an organisation's objection carries its stamp
    contact_sealed = Bytea(null=True, default=None)
    anonymous = Boolean(default=False)
    status = Varchar(length=20, default="pending")  # pending | upheld | dismissed
    resolution = Text(default="")
    resolved_by = Integer(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    lodged_at = Timestamptz()
    version = Integer(default=1)
