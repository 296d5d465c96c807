"""What the accounts domain stores: unions, enterprises, people, users, the audit log, shared key-values."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class GrassrootsUnion(Table, tablename="grassroots_union"):
    """基层工会: an enterprise's own union, or a park/building federation (联合会) covering many."""

    name = Varchar(length=100, unique=True)
    kind = Varchar(length=20)  # enterprise | federation
    parent = ForeignKey("self", null=True)
    created_at = Timestamptz()


class Enterprise(Table):
    name = Varchar(length=100, unique=True)
    credit_code = Varchar(length=18, unique=True)  # 统一社会信用代码, check digit validated
    industry = Varchar(length=30)
    union = ForeignKey(GrassrootsUnion, null=True)
    in_zone = Boolean(default=True)  # a registered enterprise of the zone
    version = Integer(default=1)
    created_at = Timestamptz()


class Person(Table):
    """A worker. The ID and mobile numbers are sealed and fingerprinted, never stored in clear.

    ``id_kind`` is the document (accounts.documents.DocumentKind); a passport's number is fingerprinted
    with its ``nationality``. Erased (at the person's request or past the retention period): the sealed
    values are emptied and the fingerprint becomes ``erased:<id>``.
    """

    name = Varchar(length=50)
    id_kind = Varchar(length=30, default="resident_id")
    nationality = Varchar(length=3, default="CHN")  # ISO 3166-1 (alpha-3, or numeric from a card)
    id_fingerprint = Varchar(length=64, unique=True)
    id_sealed = Bytea()
    id_masked = Varchar(length=18)
    birth_date = Date()
    gender = Varchar(length=1)  # M | F, derived from the ID number
    mobile_fingerprint = Varchar(length=64, index=True)
    mobile_sealed = Bytea()
    mobile_masked = Varchar(length=11)
    employer = ForeignKey(Enterprise, null=True)
    union = ForeignKey(GrassrootsUnion, null=True)
    union_member = Boolean(default=False)
    skill_level = SmallInt(null=True, default=None)  # 5 = 初级工 .. 1 = 高级技师
    front_line = Boolean(default=False)
    enterprise_leader = Boolean(default=False)
    employed_since = Date(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    # When the sealed numbers were erased (retention or a deletion request); None while held.
    erased_at = Timestamptz(null=True, default=None)


class User(Table, tablename="app_user"):
    username = Varchar(length=50, unique=True)
    password_hash = Varchar(length=200)
    role = Varchar(length=20)  # organizer | judge | union_officer | expert | contestant
    display_name = Varchar(length=50)
    union = ForeignKey(GrassrootsUnion, null=True)  # a union officer's own union
    person = ForeignKey(Person, null=True)  # a contestant's (or judge's) person record
    active = Boolean(default=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    # Set when an organizer gave a temporary password: the pages send the user to 修改密码 until changed.
    must_change_password = Boolean(default=False)


class LoginSession(Table, tablename="login_session"):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256.

    Kept in the database so every server process sees a log-out or a revoked judge link at once, and read
    with one indexed query per request (nothing is written per request).
    """

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User)
    origin = Varchar(length=40, default="password", index=True)  # password | judge_link:<id>
    expires_at = Timestamptz()
    created_at = Timestamptz()


class AuditLog(Table, tablename="audit_log"):
    """Append-only: rows are inserted in the transaction of the change they record, never updated."""

    at = Timestamptz(index=True)
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=50)
    action = Varchar(length=60, index=True)
    entity = Varchar(length=40, index=True)
    entity_id = Varchar(length=40, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text(default="")


class PrivacyNotice(Table, tablename="privacy_notice"):
    """The exact text of a notice shown before personal data is collected (PIPL arts. 14, 17, 29).

    Written the first time someone consents to it; ``notice_key`` is "<kind>@<version>", the version a
    digest of the text, so a changed text (or retention period) is a new row and old consents keep theirs.
    """

    notice_key = Varchar(length=80, unique=True)
    kind = Varchar(length=30)  # registration | nomination | member_entry
    version = Varchar(length=40)
    title = Varchar(length=100)
    text = Text()
    created_at = Timestamptz()


class Consent(Table):
    """A consent (or a union officer's attestation that they hold it), with the notice it was given to."""

    person = ForeignKey(Person, index=True)
    notice = ForeignKey(PrivacyNotice)
    # personal_information | sensitive_id (separate consent, art. 29) | attested_by_officer
    purpose = Varchar(length=30)
    given_by = Integer(null=True, default=None)  # the user who gave or attested it
    given_at = Timestamptz()


class DataRequest(Table, tablename="data_request"):
    """A person's request under PIPL arts. 44–47: a correction or a deletion, answered by an organizer."""

    person = ForeignKey(Person, index=True)
    requested_by = Integer()  # the user
    kind = Varchar(length=20)  # correction | deletion
    changes = JSON(default="{}")  # a correction's fields and proposed values (a mobile only masked)
    proposed_mobile_sealed = Bytea(null=True, default=None)  # a proposed mobile, sealed like the person's
    reason = Text(default="")
    status = Varchar(length=20, default="pending", index=True)  # pending | completed | refused
    answer = Text(default="")
    answered_by = Integer(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()


class RateCounter(Table, tablename="rate_counter"):
    """A fixed-window request counter per key (log-in per account, per address, ...), shared by every
    process: one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` counts a request (accounts/ratelimit.py).
    """

    key = Varchar(length=100, unique=True)  # "<limit>:<rule>:<sha256 of the value>"; no address kept in clear
    hits = Integer(default=0)
    window_ends = BigInt(default=0, index=True)  # epoch milliseconds


class SkillLevelChange(Table, tablename="skill_level_change"):
    """A person's skill-level history (职业技能等级变更): each change of ``Person.skill_level``, why, by whom.

    Append-only. ``source``: ``promotion`` (a competition's confirmed promotion list) or ``manual`` (an
    edit of the person). ``competition_id`` is a plain number: accounts knows nothing of competitions.
    """

    person = ForeignKey(Person, index=True)
    level_before = SmallInt(null=True, default=None)
    level_after = SmallInt(null=True, default=None)
    source = Varchar(length=20)  # promotion | manual
    competition_id = Integer(null=True, default=None)
    basis = Text(default="")  # e.g. "2026年…竞赛 第1名；依据：…"
    changed_by = Integer(null=True, default=None)  # user id; None: the system
    changed_at = Timestamptz(index=True)
