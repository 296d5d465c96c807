"""A nomination's attachments: PDF or images, checked by content, stored on disk by content hash
(``awards.storage``), read by whoever may read the nomination, changed by whoever may change it."""

from __future__ import annotations

from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.schemas import CurrentUser
from awards import storage
from awards.access import writable_nomination
from awards.nomination_views import readable_nomination
from awards.schemas import AttachmentOut
from awards.tables import Attachment
from core.db import is_unique_violation, utcnow, write_transaction
from core.errors import Conflict, DomainError, NotFound


def _attachment_out(row: dict[str, Any]) -> AttachmentOut:
    return AttachmentOut(
        id=row["id"],
        nomination_id=row["nomination"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        created_at=row["created_at"],
    )


async def list_attachments(viewer: CurrentUser, nomination_id: int) -> list[AttachmentOut]:
    await readable_nomination(viewer, nomination_id)
    rows = await Attachment.select().where(Attachment.nomination == nomination_id).order_by(Attachment.id)
    return [_attachment_out(r) for r in rows]


async def add_attachment(
    actor: Actor, viewer: CurrentUser, nomination_id: int, filename: str | None, content: bytes
) -> tuple[bool, AttachmentOut]:
    """Attach a PDF or image (type checked by content); the same file twice returns the first."""
    row, _ = await writable_nomination(viewer, nomination_id)
    name = storage.clean_filename(filename)
    media = storage.check_content(name, content)
    sha256 = storage.digest(content)
    key = f"{nomination_id}/{sha256}"
    existing = await Attachment.select().where(Attachment.storage_key == key).first()
    if existing is not None:
        return False, _attachment_out(existing)
    count = await Attachment.count().where(Attachment.nomination == nomination_id)
    if count >= storage.MAX_ATTACHMENTS_PER_NOMINATION:
        raise Conflict(
            f"每份推荐最多 {storage.MAX_ATTACHMENTS_PER_NOMINATION} 个附件",
            code="too_many_attachments",
            field="file",
        )
    # The bytes go to disk first: a transaction that then fails leaves an unreferenced, content-addressed
    # file (harmless, and reused if the same file comes again), never a row without its bytes.
    await storage.store(content)
    try:
        async with write_transaction():
            inserted = await Attachment.insert(
                Attachment(
                    nomination=nomination_id,
                    filename=name,
                    content_type=media,
                    size=len(content),
                    sha256=sha256,
                    storage_key=key,
                    uploaded_by=viewer.id,
                    created_at=utcnow(),
                )
            ).returning(Attachment.id)
            attachment_id = inserted[0]["id"]
            await audit.record(
                actor,
                "attachment.create",
                "nomination",
                row["id"],
                after={
                    "attachment_id": attachment_id,
                    "filename": name,
                    "size": len(content),
                    "sha256": sha256,
                },
            )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        attachment_id = (await Attachment.select(Attachment.id).where(Attachment.storage_key == key).first())[
            "id"
        ]
        return False, _attachment_out(await Attachment.select().where(Attachment.id == attachment_id).first())
    return True, _attachment_out(await Attachment.select().where(Attachment.id == attachment_id).first())


async def open_attachment(viewer: CurrentUser, attachment_id: int) -> tuple[bytes, AttachmentOut]:
    """The bytes and their record: for organizers, the nominating union's officers, assigned experts."""
    row = await Attachment.select().where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id")
    try:
        await readable_nomination(viewer, row["nomination"])
    except NotFound:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id") from None
    content = await storage.read(row["sha256"])
    if content is None:
        raise DomainError("附件文件缺失，请联系管理员", code="attachment_missing", status=410)
    return content, _attachment_out(row)


async def delete_attachment(actor: Actor, viewer: CurrentUser, attachment_id: int) -> None:
    row = await Attachment.select().where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id")
    try:
        await writable_nomination(viewer, row["nomination"])
    except NotFound:
        raise NotFound(f"附件不存在：{attachment_id}", field="attachment_id") from None
    async with write_transaction():
        await Attachment.delete().where(Attachment.id == attachment_id)
        await audit.record(
            actor,
            "attachment.delete",
            "nomination",
            row["nomination"],
            before={"attachment_id": attachment_id, "filename": row["filename"], "sha256": row["sha256"]},
        )
        still_used = await Attachment.exists().where(Attachment.sha256 == row["sha256"])
    if not still_used:
        await storage.remove(row["sha256"])
