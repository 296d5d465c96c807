"""Unsealing ID and mobile numbers: the one way to read them, and always audited with a purpose.

Whoever needs a full number (an organizer's full export, a person's detail, a person reading their own
data) goes through :func:`disclose`, which opens the sealed values and writes, per person, an audit row
``person.unseal`` with who, when, the stated purpose and what for (the context), in one transaction: a
number is never shown without its row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from core import crypto
from core.db import write_transaction
from core.errors import Invalid

ERASED = "（已删除）"
MIN_PURPOSE_LENGTH = 2


class OpenNumbers(msgspec.Struct, frozen=True):
    id_number: str
    mobile: str


def check_purpose(purpose: str | None, field: str = "purpose") -> str:
    """A stated purpose, trimmed; refused when missing (the audit row must say why)."""
    text = (purpose or "").strip()
    if len(text) < MIN_PURPOSE_LENGTH:
        raise Invalid(
            "查看完整证件号码和手机号须填写用途（将记入审计日志）", code="purpose_required", field=field
        )
    return text[:200]


def _open(blob: Any) -> str:
    return crypto.unseal(bytes(blob)) if blob else ERASED


async def disclose(
    actor: Actor,
    rows: Sequence[Mapping[str, Any]],
    *,
    purpose: str,
    context: str,
    person_key: str = "id",
) -> dict[int, OpenNumbers]:
    """The numbers of each row's person (``id_sealed``, ``mobile_sealed``), audited per person."""
    purpose = check_purpose(purpose)
    opened = {
        row[person_key]: OpenNumbers(_open(row["id_sealed"]), _open(row["mobile_sealed"])) for row in rows
    }
    after = {"fields": ["id_number", "mobile"], "context": context}
    async with write_transaction():
        await audit.record_many(
            actor, "person.unseal", "person", ((pid, after) for pid in opened), reason=purpose
        )
    return opened
