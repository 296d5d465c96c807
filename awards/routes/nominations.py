"""Routes of one nomination: read, edit, withdraw, the eligibility decision, attachments."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from accounts.security import actor_of
from awards import attachments, eligibility, nomination_views, nominations, storage
from awards.routes.shared import ORGANIZER, ORGANIZER_OR_OFFICER, READERS, CurrentRequest, disposition
from awards.schemas import (
    AttachmentOut,
    EligibilityDecisionIn,
    NominationOut,
    NominationPatch,
    WithdrawIn,
)
from core.openapi import PDF, download


@dataclass
class AttachmentForm:
    file: UploadFile


class NominationController(Controller):
    path = "/api/nominations"
    tags = ["awards"]
    opt = ORGANIZER_OR_OFFICER

    @get("/{nomination_id:int}", opt=READERS, summary="One nomination (masked unless organizer)")
    async def get_nomination(self, request: CurrentRequest, nomination_id: FromPath[int]) -> NominationOut:
        return await nomination_views.get_nomination(request.user, nomination_id)

    @patch("/{nomination_id:int}", summary="Edit the deed or achievements (officers: within the window)")
    async def update(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[NominationPatch]
    ) -> NominationOut:
        return await nominations.update_nomination(actor_of(request.user), request.user, nomination_id, data)

    @post("/{nomination_id:int}/withdraw", status_code=200, summary="Withdraw a nomination (frees the place)")
    async def withdraw(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[WithdrawIn]
    ) -> NominationOut:
        return await nominations.withdraw_nomination(
            actor_of(request.user), request.user, nomination_id, data
        )

    @post(
        "/{nomination_id:int}/eligibility",
        opt=ORGANIZER,
        status_code=200,
        summary="Confirm or override (with a reason) the rules' eligibility verdict; audited",
    )
    async def decide_eligibility(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[EligibilityDecisionIn]
    ) -> NominationOut:
        return await eligibility.decide_eligibility(actor_of(request.user), request.user, nomination_id, data)

    @get("/{nomination_id:int}/attachments", opt=READERS, summary="A nomination's attachments")
    async def list_attachments(
        self, request: CurrentRequest, nomination_id: FromPath[int]
    ) -> list[AttachmentOut]:
        return await attachments.list_attachments(request.user, nomination_id)

    @post(
        "/{nomination_id:int}/attachments",
        request_max_body_size=storage.MAX_ATTACHMENT_REQUEST_BYTES,
        summary="Attach a PDF, PNG or JPEG (checked by content, at most 10 MB)",
    )
    async def add_attachment(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: MultipartBody[AttachmentForm]
    ) -> Response[AttachmentOut]:
        content = await data.file.read()
        created, attachment = await attachments.add_attachment(
            actor_of(request.user), request.user, nomination_id, data.file.filename, content
        )
        return Response(attachment, status_code=201 if created else 200)


class AttachmentController(Controller):
    path = "/api/attachments"
    tags = ["awards"]

    @get(
        "/{attachment_id:int}",
        opt=READERS,
        summary="Download an attachment",
        responses=download(PDF, "image/png", "image/jpeg", note="按附件内容为 PDF、PNG 或 JPEG"),
    )
    async def download(self, request: CurrentRequest, attachment_id: FromPath[int]) -> Response[bytes]:
        content, attachment = await attachments.open_attachment(request.user, attachment_id)
        return Response(
            content,
            media_type=attachment.content_type,
            headers={
                "content-disposition": disposition(attachment.filename),
                "x-content-type-options": "nosniff",
                "cache-control": "private, no-store",
            },
        )

    @delete("/{attachment_id:int}", opt=ORGANIZER_OR_OFFICER, summary="Remove an attachment")
    async def remove(self, request: CurrentRequest, attachment_id: FromPath[int]) -> None:
        await attachments.delete_attachment(actor_of(request.user), request.user, attachment_id)
