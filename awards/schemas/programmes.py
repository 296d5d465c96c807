"""What crosses the wire for programmes: their settings (eligibility, quotas, structural constraints,
qualifying prizes, the expert rubric, the notice), their lifecycle, and each quota group's use.

Eligibility rules travel as :class:`competitions.rules.EligibilityRules` and the expert rubric as
:class:`scoring.rules.CompetitionRules` themselves: the pure rules modules are the one definition of a
rule, and their ``validate_rules`` functions check the values (with Chinese messages) in the use cases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from accounts.schemas import Version
from awards.schemas.fields import AwareDatetime, Count, Reason, ShortText, Year
from competitions.rules import EligibilityRules
from core.bounds import Id
from scoring.rules import CompetitionRules

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
# How a nominee who moves up after an upheld objection is made public before the award: a notice period of
# their own (``own_period``), or a published notice of the change alone (``change_notice``).
ReplacementNotice = Literal["own_period", "change_notice"]
IssuingBody = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
OfficeText = Annotated[str, msgspec.Meta(max_length=100)]
PhoneText = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[0-9０-９ ()（）+\-－—、,，转/]*$")]
DEFAULT_ISSUER = "北京经济技术开发区总工会"
# The facts a structural constraint may count (see awards.shortlist.candidate_attributes for their meaning).
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

    competition_id: Id
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
    replacement_notice: ReplacementNotice = "own_period"
    issuing_body: IssuingBody = DEFAULT_ISSUER  # 发布单位: on the notice, the honour roll, the certificate
    objection_office: OfficeText = ""  # 异议受理单位
    objection_phone: PhoneText = ""  # 受理电话
    objection_address: OfficeText = ""  # 受理地址 (where to bring a written objection)


class ProgrammePatch(msgspec.Struct, kw_only=True):
    """A partial edit; ``version`` must be the one read. Rules, quotas and the window change only while the
    programme is a draft or open for nominations (see awards.programmes.RULE_STATES and its neighbours)."""

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
    replacement_notice: ReplacementNotice | msgspec.UnsetType = msgspec.UNSET
    issuing_body: IssuingBody | msgspec.UnsetType = msgspec.UNSET
    objection_office: OfficeText | msgspec.UnsetType = msgspec.UNSET
    objection_phone: PhoneText | msgspec.UnsetType = msgspec.UNSET
    objection_address: OfficeText | msgspec.UnsetType = msgspec.UNSET
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
    replacement_notice: str = "own_period"
    issuing_body: str = DEFAULT_ISSUER
    objection_office: str = ""
    objection_phone: str = ""
    objection_address: str = ""


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
    issuing_body: str = DEFAULT_ISSUER
    objection_office: str = ""
    objection_phone: str = ""
    objection_address: str = ""


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
    requests: list[str] = msgspec.field(default_factory=list)  # the organizer asks for more nominations
