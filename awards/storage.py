"""Attachment bytes, named by their SHA-256, where ``YICHENG_ATTACHMENTS`` says:

- ``folder`` (the embedded default): ``<YICHENG_DATA_DIR>/attachments/<ab>/<sha256>``, written to a
  temporary name, then renamed into place atomically;
- ``database``: one :class:`awards.tables.AttachmentBlob` row per content, so that every server machine
  behind a load balancer serves every file. Reading falls back to the folder, so files attached before
  the switch keep working (``yicheng``'s operators may copy them in at leisure).

Either way content-addressed: the same file attached twice is stored once and a write is idempotent.
The type is decided by the content (magic bytes), never by the name or the browser's Content-Type; a
name whose extension claims another type than the content is refused, naming the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

import anyio

from awards.tables import AttachmentBlob
from core.db import utcnow
from core.errors import DomainError, TooLarge
from settings import load_settings

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# The request may carry the multipart framing and a few form fields on top of the file itself.
MAX_ATTACHMENT_REQUEST_BYTES = MAX_ATTACHMENT_BYTES + 64 * 1024
MAX_ATTACHMENTS_PER_NOMINATION = 20

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
TYPE_NAMES = {PDF: "PDF", PNG: "PNG 图片", JPEG: "JPEG 图片"}
EXTENSIONS = {PDF: {".pdf"}, PNG: {".png"}, JPEG: {".jpg", ".jpeg", ".jpe"}}
_CLAIMS = {ext: media for media, exts in EXTENSIONS.items() for ext in exts}


class UnsupportedType(DomainError):
    status = 415
    code = "unsupported_attachment_type"


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are (PDF, PNG or JPEG), or None."""
    if content.startswith(b"%PDF-"):
        # A PDF ends with %%EOF (perhaps followed by a line break or a little padding): one cut short in
        # transfer, or a PDF header glued onto something else, fails here.
        return PDF if b"%%EOF" in content[-2048:] else None
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff") and len(content) > 4:
        return JPEG
    return None


def clean_filename(raw: str | None) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "附件"


def check_content(filename: str, content: bytes) -> str:
    """The media type of an acceptable attachment; 413 / 415 naming the file otherwise."""
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(
            f"附件「{filename}」超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
            code="attachment_too_large",
            field="file",
            detail={"filename": filename, "max_bytes": MAX_ATTACHMENT_BYTES},
        )
    if not content:
        raise UnsupportedType(f"附件「{filename}」是空文件", code="empty_attachment", field="file")
    media = sniff(content)
    claimed = _CLAIMS.get(Path(filename).suffix.lower())
    if media is None:
        what = f"不是有效的 {TYPE_NAMES[claimed]}" if claimed else "不是 PDF、PNG 或 JPEG 文件"
        raise UnsupportedType(
            f"附件「{filename}」{what}（按文件内容检查）",
            field="file",
            detail={"filename": filename, "claimed": claimed},
        )
    if claimed is not None and claimed != media:
        raise UnsupportedType(
            f"附件「{filename}」的扩展名与内容不符：内容是 {TYPE_NAMES[media]}",
            code="attachment_type_mismatch",
            field="file",
            detail={"filename": filename, "claimed": claimed, "actual": media},
        )
    return media


def data_dir() -> Path:
    return Path(load_settings().data_dir)


def path_of(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 hex digest")
    return data_dir() / "attachments" / sha256[:2] / sha256


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _write(sha256: str, content: bytes) -> Path:
    target = path_of(sha256)
    if target.exists() and target.stat().st_size == len(content):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def in_database() -> bool:
    return load_settings().attachments == "database"


async def store(content: bytes) -> str:
    """Write the bytes (once) and return their SHA-256, the key they are found by."""
    sha256 = digest(content)
    if in_database():
        row = AttachmentBlob(sha256=sha256, content=content, size=len(content), created_at=utcnow())
        await AttachmentBlob.insert(row).on_conflict(target=AttachmentBlob.sha256, action="DO NOTHING")
    else:
        await anyio.to_thread.run_sync(_write, sha256, content)
    return sha256


def _read_file(sha256: str) -> bytes | None:
    path = path_of(sha256)
    return path.read_bytes() if path.is_file() else None


async def read(sha256: str) -> bytes | None:
    """The bytes stored under ``sha256``, or None when they are missing."""
    if in_database():
        row = (
            await AttachmentBlob.select(AttachmentBlob.content).where(AttachmentBlob.sha256 == sha256).first()
        )
        if row is not None:
            return bytes(row["content"])
    return await anyio.to_thread.run_sync(_read_file, sha256)


async def remove(sha256: str) -> None:
    """Delete the bytes; the caller has made sure no attachment row refers to them any more."""
    if in_database():
        await AttachmentBlob.delete().where(AttachmentBlob.sha256 == sha256)
    await anyio.to_thread.run_sync(lambda: path_of(sha256).unlink(missing_ok=True))
