"""What crosses the wire for nominations: achievements, the nomination itself, its eligibility review,
attachments, spreadsheet uploads, published competition results and direct nominations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from accounts.schemas import AttestationIn, Version
from awards.schemas.fields import Reason, Year
from competitions.schemas import RowError
from core.bounds import Id

# --- nominations ---------------------------------------------------------------------------------------

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CompetitionResultItem(msgspec.Struct, kw_only=True):
    competition_id: Id | None = None
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
    person_id: Id
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

    nomination_ids: Annotated[list[Id], msgspec.Meta(max_length=20_000)] | None = None
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
