"""What crosses the wire for programmes, nominations, attachments and eligibility review.

Eligibility rules travel as :class:`competitions.rules.EligibilityRules` and the expert rubric as
:class:`scoring.rules.CompetitionRules` themselves: the pure rules modules are the one definition of a
rule, and their ``validate_rules`` functions check the values (with Chinese messages) in the service.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from accounts.schemas import AttestationIn, Version
from competitions.rules import EligibilityRules
from competitions.schemas import RowError
from scoring.rules import CompetitionRules

AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Year = Annotated[int, msgspec.Meta(ge=1950, le=2100)]
Count = Annotated[int, msgspec.Meta(ge=0, le=100_000)]

ProgrammeKind = Literal[
    "craftsman", "model_worker", "advanced_worker", "good_employee", "good_manager", "collective"
]
KIND_NAMES: dict[str, str] = {
    "craftsman": "亦城工匠",
    "model_worker": "劳动模范",
    "advanced_worker": "先进工作者",
    "good_employee": "爱企业的好职工",
    "good_manager": "爱职工的好经理",
    "collective": "先进集体",
}
ProgrammeStateText = Literal[
    "draft",
    "open",
    "eligibility_review",
    "expert_review",
    "shortlist",
    "public_notice",
    "awarded",
    "archived",
]
QuotaScope = Literal["union", "industry"]
NoticeUnit = Literal["working_days", "calendar_days"]
# The facts a structural constraint may count (see awards.service.candidate_attributes for their meaning).
Attribute = Literal["front_line", "enterprise_leader", "female", "industrial_worker", "union_member"]
ATTRIBUTE_NAMES: dict[str, str] = {
    "front_line": "一线职工",
    "enterprise_leader": "企业负责人",
    "female": "女性",
    "industrial_worker": "产业工人",
    "union_member": "工会会员",
}


# --- programmes ----------------------------------------------------------------------------------------


class ConstraintIn(msgspec.Struct, kw_only=True):
    """结构比例: ``attribute`` true for at least / at most ``percent`` % of the final list."""

    attribute: Attribute
    bound: Literal["at_least", "at_most"]
    percent: Decimal
    label: Annotated[str, msgspec.Meta(max_length=30)] = ""


class QualifyingResult(msgspec.Struct, kw_only=True):
    """A prize in a named competition that makes a person eligible, or nominates them directly.

    ``max_tier``: 1 = first prize only, 2 = first or second, 3 = any prize.
    """

    competition_id: int
    max_tier: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1
    effect: Literal["eligible", "direct"] = "eligible"


Quotas = Annotated[dict[str, Annotated[int, msgspec.Meta(ge=0, le=100_000)]], msgspec.Meta(max_length=5000)]
Constraints = Annotated[list[ConstraintIn], msgspec.Meta(max_length=10)]
Qualifying = Annotated[list[QualifyingResult], msgspec.Meta(max_length=50)]
DeedMax = Annotated[int, msgspec.Meta(ge=50, le=10_000)]
NoticeLength = Annotated[int, msgspec.Meta(ge=1, le=30)]
TotalAwards = Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class ProgrammeIn(msgspec.Struct, kw_only=True):
    name: ShortText
    year: Year
    kind: ProgrammeKind
    nomination_opens_at: AwareDatetime
    nomination_closes_at: AwareDatetime
    total_awards: TotalAwards
    quota_scope: QuotaScope = "union"
    default_quota: Count | None = None
    quotas: Quotas = msgspec.field(default_factory=dict)
    eligibility: EligibilityRules = msgspec.field(default_factory=EligibilityRules)
    constraints: Constraints = msgspec.field(default_factory=list)
    review_rules: CompetitionRules | None = None
    qualifying_results: Qualifying = msgspec.field(default_factory=list)
    deed_max_chars: DeedMax = 1500
    notice_length: NoticeLength = 5
    notice_unit: NoticeUnit = "working_days"


class ProgrammePatch(msgspec.Struct, kw_only=True):
    """A partial edit; ``version`` must be the one read. Rules, quotas and the window change only while the
    programme is a draft or open for nominations (see awards.service.EDITABLE_UNTIL)."""

    version: Version
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    year: Year | msgspec.UnsetType = msgspec.UNSET
    kind: ProgrammeKind | msgspec.UnsetType = msgspec.UNSET
    nomination_opens_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    nomination_closes_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    total_awards: TotalAwards | msgspec.UnsetType = msgspec.UNSET
    quota_scope: QuotaScope | msgspec.UnsetType = msgspec.UNSET
    default_quota: Count | msgspec.UnsetType | None = msgspec.UNSET
    quotas: Quotas | msgspec.UnsetType = msgspec.UNSET
    eligibility: EligibilityRules | msgspec.UnsetType = msgspec.UNSET
    constraints: Constraints | msgspec.UnsetType = msgspec.UNSET
    review_rules: CompetitionRules | msgspec.UnsetType | None = msgspec.UNSET
    qualifying_results: Qualifying | msgspec.UnsetType = msgspec.UNSET
    deed_max_chars: DeedMax | msgspec.UnsetType = msgspec.UNSET
    notice_length: NoticeLength | msgspec.UnsetType = msgspec.UNSET
    notice_unit: NoticeUnit | msgspec.UnsetType = msgspec.UNSET
    reason: Reason = ""


class TransitionIn(msgspec.Struct, kw_only=True):
    target: ProgrammeStateText
    version: Version | None = None
    reason: Reason = ""


class ConstraintOut(msgspec.Struct, kw_only=True):
    attribute: str
    bound: str
    percent: Decimal
    label: str
    text: str  # 一线职工不少于60%


class ProgrammeOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    year: int
    kind: str
    kind_name: str
    state: str
    state_name: str
    allowed_transitions: list[str]
    nomination_opens_at: dt.datetime
    nomination_closes_at: dt.datetime
    nomination_open_now: bool
    total_awards: int
    quota_scope: str
    default_quota: int | None
    quotas: dict[str, int]
    eligibility: EligibilityRules
    eligibility_text: list[str]
    constraints: list[ConstraintOut]
    review_rules: CompetitionRules | None
    qualifying_results: list[QualifyingResult]
    deed_max_chars: int
    notice_length: int
    notice_unit: str
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    nominations: int  # active nominations (not withdrawn)
    version: int


class ProgrammePublic(msgspec.Struct, kw_only=True):
    """What anyone may read of a programme: no quotas by union, no names, no personal data."""

    id: int
    name: str
    year: int
    kind: str
    kind_name: str
    state: str
    state_name: str
    nomination_opens_at: dt.datetime
    nomination_closes_at: dt.datetime
    total_awards: int
    eligibility_text: list[str]
    constraints: list[str]
    notice_length: int
    notice_unit: str
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None


class QuotaOut(msgspec.Struct, kw_only=True):
    """One quota group's use of its quota (``quota`` None = no per-group cap)."""

    programme_id: int
    group: str
    group_name: str
    quota: int | None
    used: int
    left: int | None


class UnionProgrammeOut(msgspec.Struct, kw_only=True):
    """A programme as a union officer sees it: the window, the deed limit and their union's quota."""

    programme: ProgrammePublic
    deed_max_chars: int
    nomination_open_now: bool
    quota_scope: str
    quota: QuotaOut | None  # None under an industry quota: each nominee's industry is its own group
    nominated: int  # by this union, active


# --- nominations ---------------------------------------------------------------------------------------

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CompetitionResultItem(msgspec.Struct, kw_only=True):
    competition_id: int | None = None
    title: Title
    rank: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    prize: Annotated[str, msgspec.Meta(max_length=20)] = ""  # 一等奖 …
    tier: Annotated[int, msgspec.Meta(ge=1, le=3)] | None = None
    score: Decimal | None = None
    year: Year | None = None


PatentKind = Literal["invention", "utility_model", "design", "software", "innovation", "other"]
PATENT_KIND_NAMES = {
    "invention": "发明专利",
    "utility_model": "实用新型",
    "design": "外观设计",
    "software": "软件著作权",
    "innovation": "技术革新成果",
    "other": "其他",
}
HonourLevel = Literal["national", "provincial", "municipal", "district", "enterprise", "other"]
HONOUR_LEVEL_NAMES = {
    "national": "国家级",
    "provincial": "省部级",
    "municipal": "市级",
    "district": "区级",
    "enterprise": "企业级",
    "other": "其他",
}


class Patent(msgspec.Struct, kw_only=True):
    title: Title
    number: Annotated[str, msgspec.Meta(max_length=50)] = ""
    kind: PatentKind = "other"


class TitleHonour(msgspec.Struct, kw_only=True):
    title: Title
    year: Year | None = None
    level: HonourLevel = "other"


class Achievements(msgspec.Struct, kw_only=True):
    """Structured achievements (主要业绩). ``patent_count`` is the number declared, the list may name fewer
    (a spreadsheet often gives only a count)."""

    competition_results: Annotated[list[CompetitionResultItem], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    patents: Annotated[list[Patent], msgspec.Meta(max_length=100)] = msgspec.field(default_factory=list)
    patent_count: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    apprentices_trained: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    titles_honours: Annotated[list[TitleHonour], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


# The service checks the deed against the programme's own limit (422 naming ``deed``); this cap only
# keeps absurd bodies out before that.
Deed = Annotated[str, msgspec.Meta(max_length=20_000)]


class NominationIn(msgspec.Struct, kw_only=True):
    person_id: int
    deed: Deed
    achievements: Achievements = msgspec.field(default_factory=Achievements)
    # The officer confirms they hold the member's consent (accounts.consent.check_attestation).
    members_consent: AttestationIn | None = None


class NominationPatch(msgspec.Struct, kw_only=True):
    version: Version
    deed: Deed | msgspec.UnsetType = msgspec.UNSET
    achievements: Achievements | msgspec.UnsetType = msgspec.UNSET


class WithdrawIn(msgspec.Struct, kw_only=True):
    version: Version | None = None
    reason: Reason = ""


class EligibilityReason(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Why the rules say no (``code`` from competitions.rules.IneligibilityCode), or
    ``qualified_by_result``: a qualifying prize that makes the person eligible anyway."""

    code: str
    message: str
    competition_id: int | None = None


class AttachmentOut(msgspec.Struct, kw_only=True):
    id: int
    nomination_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class NominationOut(msgspec.Struct, kw_only=True):
    """A nomination as its reader may see it: the ID number masked unless the reader is an organizer."""

    id: int
    programme_id: int
    person_id: int
    name: str
    id_number: str
    gender: str
    birth_date: dt.date
    employer_name: str | None
    industry: str | None
    union_id: int | None
    union_name: str | None
    quota_group: str
    skill_level: int | None
    front_line: bool
    enterprise_leader: bool
    union_member: bool
    employed_since: dt.date | None
    source: str
    source_competition_id: int | None
    achievements: Achievements
    deed: str
    eligibility_status: str
    eligibility_reasons: list[EligibilityReason]
    eligibility_overridden: bool
    eligibility_note: str
    eligibility_reviewed: bool
    eligibility_reviewed_at: dt.datetime | None
    status: str
    attachments: int
    created_at: dt.datetime
    version: int


class NominationResult(msgspec.Struct, kw_only=True):
    """``created`` False: the person was already nominated to the programme; that nomination is returned."""

    created: bool
    nomination: NominationOut


class EligibilityCounts(msgspec.Struct, kw_only=True):
    eligible: int = 0
    ineligible: int = 0
    unreviewed: int = 0
    overridden: int = 0


class NominationsPage(msgspec.Struct, kw_only=True):
    total: int
    limit: int
    offset: int
    counts: EligibilityCounts
    items: list[NominationOut]


class EligibilityDecisionIn(msgspec.Struct, kw_only=True):
    """``confirm`` keeps the rules' verdict; ``override`` reverses it and needs a ``reason``."""

    decision: Literal["confirm", "override"]
    reason: Reason = ""
    version: Version | None = None


class BulkConfirmIn(msgspec.Struct, kw_only=True):
    """Confirm the rules' verdict for the listed nominations, or (None) every one not yet reviewed."""

    nomination_ids: Annotated[list[int], msgspec.Meta(max_length=20_000)] | None = None
    reason: Reason = ""


class BulkConfirmOut(msgspec.Struct, kw_only=True):
    confirmed: int
    counts: EligibilityCounts


# --- spreadsheet upload -------------------------------------------------------------------------------


class UploadedRow(msgspec.Struct, kw_only=True):
    row: int
    name: str
    nomination_id: int
    outcome: Literal["created", "existing"]
    person_created: bool
    eligibility_status: str


class UploadResult(msgspec.Struct, kw_only=True):
    """``imported`` rows were written (or were already nominated: ``existing``); ``errors`` were left out
    (only with ``import_valid_only``, otherwise any error refuses the whole file with 422)."""

    total_rows: int
    created: int
    existing: int
    people_created: int
    imported: list[UploadedRow]
    errors: list[RowError]
    file_sha256: str


# --- competition results feed and direct nominations --------------------------------------------------


class PublishedResult(msgspec.Struct, kw_only=True):
    """One person's line in the latest published results of a competition."""

    competition_id: int
    title: str
    year: int | None
    rank: int | None
    tier: int | None
    prize: str
    score: Decimal | None
    published_version: int


class DirectNominationsOut(msgspec.Struct, kw_only=True):
    created: list[int]  # nomination ids
    converted: list[int]  # union nominations now marked direct
    existing: list[int]  # already direct: nothing to do (the call is idempotent)
