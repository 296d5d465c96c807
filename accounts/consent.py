"""Consent: the notices people read, and the consents (or officers' attestations) stored with each person.

Checking comes first and writes nothing (:func:`check_consent`, :func:`check_attestation`), so a refused
request changes nothing; recording (:func:`record_consent`, :func:`record_attestation`) runs inside the
caller's write transaction, beside the person rows it concerns, and audits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.notices import Notice, NoticeKind, notice_of
from accounts.schemas import AttestationIn, ConsentIn
from accounts.tables import Consent, PrivacyNotice
from core.db import Sql, insert_rows, utcnow
from core.errors import Conflict, Invalid
from settings import retention_days

PERSONAL_INFORMATION = "personal_information"
SENSITIVE_ID = "sensitive_id"
ATTESTED = "attested_by_officer"


def current_notice(kind: NoticeKind | str) -> Notice:
    return notice_of(kind, retention_days())


def _current_version(kind: NoticeKind, version: str, field: str) -> Notice:
    notice = current_notice(kind)
    if version != notice.version:
        raise Conflict(
            "个人信息处理告知已更新，请刷新页面重新阅读后再提交",
            code="notice_outdated",
            field=field,
            detail={"current_version": notice.version},
        )
    return notice


def check_consent(consent: ConsentIn | None, field: str = "consent") -> Notice:
    """A person's own consent to the registration notice: both boxes, to the current text."""
    if consent is None or not consent.personal_information:
        raise Invalid("请阅读并同意《个人信息处理告知》后提交", code="consent_required", field=field)
    if not consent.sensitive_id:
        raise Invalid(
            "身份证件号码属于敏感个人信息，须单独勾选同意后才能在线登记",
            code="sensitive_consent_required",
            field=f"{field}.sensitive_id",
        )
    return _current_version(NoticeKind.REGISTRATION, consent.notice_version, f"{field}.notice_version")


def check_attestation(attestation: AttestationIn | None, field: str = "members_consent") -> Notice:
    """An officer's confirmation that they hold the members' consent, to the current member-entry text."""
    if attestation is None or not attestation.confirmed:
        raise Invalid(
            "录入会员信息前，请确认已取得会员本人对个人信息处理（含身份证件号码）的同意",
            code="members_consent_required",
            field=field,
        )
    return _current_version(NoticeKind.MEMBER_ENTRY, attestation.notice_version, f"{field}.notice_version")


def attestation_of(form: Mapping[str, Any]) -> AttestationIn | None:
    """The attestation of a multipart upload: fields ``members_consent`` (true) and ``notice_version``."""
    confirmed = str(form.get("members_consent", "")).lower() in {"true", "1", "on", "yes"}
    version = str(form.get("notice_version", ""))[:40]
    return AttestationIn(notice_version=version or "-", confirmed=confirmed) if confirmed or version else None


# Read by its key: outside a transaction SQLite answers on the loop's thread (core.db.Sql).
_NOTICE_ID = Sql("SELECT id FROM privacy_notice WHERE notice_key = {}", key_read=True)


async def stored_notice_id(notice: Notice) -> int | None:
    """The notice's stored row, if anyone has consented to this exact text yet. Rows are never deleted, so
    an id read before a write transaction (cheaper than inside it) holds for :func:`record_attestation`."""
    found = await _NOTICE_ID.rows(notice.key)
    return found[0]["id"] if found else None


async def _notice_id(notice: Notice) -> int:
    """The stored notice row (written the first time anyone consents to this exact text). Looked up first:
    after the first consent it is always there, and a read costs less than an insert that does nothing."""
    found = await stored_notice_id(notice)
    if found is not None:
        return found
    await PrivacyNotice.insert(
        PrivacyNotice(
            notice_key=notice.key,
            kind=notice.kind,
            version=notice.version,
            title=notice.title,
            text=notice.text(),
            created_at=utcnow(),
        )
    ).on_conflict(target=PrivacyNotice.notice_key, action="DO NOTHING")
    row = await PrivacyNotice.select(PrivacyNotice.id).where(PrivacyNotice.notice_key == notice.key).first()
    assert row is not None
    return row["id"]


async def record_consent(actor: Actor, person_id: int, notice: Notice) -> None:
    """The person's own two consents (general and sensitive), in the caller's transaction."""
    notice_id = await _notice_id(notice)
    now = utcnow()
    await Consent.insert(
        *(
            Consent(person=person_id, notice=notice_id, purpose=purpose, given_by=actor.id, given_at=now)
            for purpose in (PERSONAL_INFORMATION, SENSITIVE_ID)
        )
    )
    after = {"notice": notice.key, "purposes": [PERSONAL_INFORMATION, SENSITIVE_ID]}
    await audit.record(actor, "person.consent", "person", person_id, after=after)


async def record_attestation(
    actor: Actor,
    person_ids: Sequence[int],
    notice: Notice,
    *,
    notice_id: int | None = None,
    audit_also: Sequence[dict[str, Any]] = (),
) -> None:
    """An officer's attestation for each person whose data they entered, in the caller's transaction;
    ``notice_id``: the notice's row when read already (:func:`stored_notice_id`); ``audit_also``: the
    caller's own audit rows (``audit.rows_of``), inserted with these in one statement."""
    if not person_ids:
        return
    notice_id = notice_id or await _notice_id(notice)
    now = utcnow()
    people = list(dict.fromkeys(person_ids))
    rows = [
        {"person": pid, "notice": notice_id, "purpose": ATTESTED, "given_by": actor.id, "given_at": now}
        for pid in people
    ]
    await insert_rows(Consent, rows)
    after = {"notice": notice.key, "purposes": [ATTESTED]}
    rows = audit.rows_of(actor, "person.consent", "person", ((pid, after) for pid in people))
    await audit.insert([*rows, *audit_also], "person.consent")
