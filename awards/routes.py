"""HTTP routes of programmes, nominations, attachments and eligibility review: thin; parse, authorize (by
``opt``; finer checks such as "only your own union's members" are in the service), call the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter
from litestar.response import File

from accounts.consent import attestation_of
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import PUBLIC_READ, actor_of, allow
from awards import service, sheets, storage
from awards.schemas import (
    AttachmentOut,
    BulkConfirmIn,
    BulkConfirmOut,
    DirectNominationsOut,
    EligibilityDecisionIn,
    NominationIn,
    NominationOut,
    NominationPatch,
    NominationResult,
    NominationsPage,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    ProgrammePublic,
    PublishedResult,
    QuotaOut,
    TransitionIn,
    UnionProgrammeOut,
    UploadResult,
    WithdrawIn,
)
from core.pages import page

CurrentRequest = Request[CurrentUser, Any, Any]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]

ORGANIZER = allow(Role.ORGANIZER)
OFFICER = allow(Role.UNION_OFFICER)
ORGANIZER_OR_OFFICER = allow(Role.ORGANIZER, Role.UNION_OFFICER)
# Experts read the nominations of programmes they are assigned to review (checked in the service).
READERS = allow(Role.ORGANIZER, Role.UNION_OFFICER, Role.EXPERT)
NominationStatus = Literal["nominated", "withdrawn", "shortlisted", "removed", "awarded"]


@dataclass
class SheetForm:
    file: UploadFile
    import_valid_only: bool = False
    # The officer confirms they hold the members' consent (accounts.consent): "true" and the notice version.
    members_consent: bool = False
    notice_version: str = ""


@dataclass
class AttachmentForm:
    file: UploadFile


class ProgrammeController(Controller):
    path = "/api/programmes"
    tags = ["awards"]
    opt = ORGANIZER

    @post("/", summary="Create an award programme (draft)")
    async def create(self, request: CurrentRequest, data: JSONBody[ProgrammeIn]) -> ProgrammeOut:
        return await service.create_programme(actor_of(request.user), data)

    @get("/", summary="Every programme, newest year first")
    async def list_programmes(
        self,
        programme_state: Annotated[str | None, QueryParameter(name="state", max_length=30)] = None,
        year: FromQuery[int | None] = None,
    ) -> list[ProgrammeOut]:
        return await service.list_programmes(state=programme_state, year=year)

    @get("/{programme_id:int}", opt=READERS, summary="One programme with its rules")
    async def get_programme(self, programme_id: FromPath[int]) -> ProgrammeOut:
        return await service.get_programme(programme_id)

    @patch("/{programme_id:int}", summary="Edit a programme (rules and quotas only in draft/open); audited")
    async def update(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ProgrammePatch]
    ) -> ProgrammeOut:
        return await service.update_programme(actor_of(request.user), programme_id, data)

    @post(
        "/{programme_id:int}/transition",
        status_code=200,
        summary="Move the programme along its lifecycle; 409 with the current state if not allowed",
    )
    async def transition(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[TransitionIn]
    ) -> ProgrammeOut:
        return await service.transition_programme(actor_of(request.user), programme_id, data)

    @get("/{programme_id:int}/quota-usage", summary="Each quota group's quota, used and left")
    async def quota_usage(self, programme_id: FromPath[int]) -> list[QuotaOut]:
        return await service.quota_usage(programme_id)

    @post(
        "/{programme_id:int}/direct-nominations",
        status_code=200,
        summary="Nominate directly everyone with a qualifying published prize (直接推荐); idempotent",
    )
    async def direct_nominations(
        self, request: CurrentRequest, programme_id: FromPath[int]
    ) -> DirectNominationsOut:
        return await service.create_direct_nominations(actor_of(request.user), programme_id)

    @post(
        "/{programme_id:int}/eligibility/confirm",
        status_code=200,
        summary="Confirm the rules' verdict for every nomination not yet reviewed (or those listed)",
    )
    async def confirm_eligibility(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[BulkConfirmIn]
    ) -> BulkConfirmOut:
        return await service.confirm_eligibility(actor_of(request.user), programme_id, data)

    @get(
        "/{programme_id:int}/nominations",
        opt=ORGANIZER_OR_OFFICER,
        summary="A programme's nominations, filtered (a union officer sees their own union's, masked)",
    )
    async def list_nominations(
        self,
        request: CurrentRequest,
        programme_id: FromPath[int],
        union_id: FromQuery[int | None] = None,
        eligibility: FromQuery[Literal["eligible", "ineligible", "pending"] | None] = None,
        reviewed: FromQuery[bool | None] = None,
        overridden: FromQuery[bool | None] = None,
        source: FromQuery[Literal["union", "direct"] | None] = None,
        status: FromQuery[NominationStatus | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=50)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> NominationsPage:
        return await service.list_nominations(
            request.user,
            programme_id,
            union_id=union_id,
            eligibility=eligibility,
            reviewed=reviewed,
            overridden=overridden,
            source=source,
            status=status,
            query=q,
            limit=limit,
            offset=offset,
        )

    @post(
        "/{programme_id:int}/nominations",
        opt=OFFICER,
        summary="Nominate one member of your union; 200 with the existing nomination if already nominated",
    )
    async def nominate(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[NominationIn]
    ) -> Response[NominationResult]:
        created, nomination = await service.nominate(actor_of(request.user), request.user, programme_id, data)
        result = NominationResult(created=created, nomination=nomination)
        return Response(result, status_code=201 if created else 200)

    @post(
        "/{programme_id:int}/nominations/upload",
        opt=OFFICER,
        status_code=200,
        request_max_body_size=sheets.MAX_UPLOAD_BYTES,
        summary="Nominate by XLSX/CSV: 422 with every row error (nothing written) unless import_valid_only",
    )
    async def upload(
        self, request: CurrentRequest, programme_id: FromPath[int], data: MultipartBody[SheetForm]
    ) -> UploadResult:
        content = await data.file.read()
        attestation = attestation_of(
            {"members_consent": data.members_consent, "notice_version": data.notice_version}
        )
        return await service.upload_nominations(
            actor_of(request.user),
            request.user,
            programme_id,
            content,
            import_valid_only=data.import_valid_only,
            attestation=attestation,
        )

    @get(
        "/{programme_id:int}/nominations/template",
        opt=ORGANIZER_OR_OFFICER,
        summary="The nomination spreadsheet template (xlsx or csv)",
    )
    async def template(
        self, programme_id: FromPath[int], format: FromQuery[Literal["xlsx", "csv"]] = "xlsx"
    ) -> Response[bytes]:
        content, media_type, filename = await service.nomination_template(programme_id, format)
        return Response(
            content,
            media_type=media_type,
            headers={"content-disposition": _disposition(filename)},
        )


def _disposition(filename: str, kind: str = "attachment") -> str:
    from urllib.parse import quote

    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"


class NominationController(Controller):
    path = "/api/nominations"
    tags = ["awards"]
    opt = ORGANIZER_OR_OFFICER

    @get("/{nomination_id:int}", opt=READERS, summary="One nomination (masked unless organizer)")
    async def get_nomination(self, request: CurrentRequest, nomination_id: FromPath[int]) -> NominationOut:
        return await service.get_nomination(request.user, nomination_id)

    @patch("/{nomination_id:int}", summary="Edit the deed or achievements (officers: within the window)")
    async def update(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[NominationPatch]
    ) -> NominationOut:
        return await service.update_nomination(actor_of(request.user), request.user, nomination_id, data)

    @post("/{nomination_id:int}/withdraw", status_code=200, summary="Withdraw a nomination (frees the place)")
    async def withdraw(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[WithdrawIn]
    ) -> NominationOut:
        return await service.withdraw_nomination(actor_of(request.user), request.user, nomination_id, data)

    @post(
        "/{nomination_id:int}/eligibility",
        opt=ORGANIZER,
        status_code=200,
        summary="Confirm or override (with a reason) the rules' eligibility verdict; audited",
    )
    async def decide_eligibility(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: JSONBody[EligibilityDecisionIn]
    ) -> NominationOut:
        return await service.decide_eligibility(actor_of(request.user), request.user, nomination_id, data)

    @get("/{nomination_id:int}/attachments", opt=READERS, summary="A nomination's attachments")
    async def list_attachments(
        self, request: CurrentRequest, nomination_id: FromPath[int]
    ) -> list[AttachmentOut]:
        return await service.list_attachments(request.user, nomination_id)

    @post(
        "/{nomination_id:int}/attachments",
        request_max_body_size=storage.MAX_ATTACHMENT_REQUEST_BYTES,
        summary="Attach a PDF, PNG or JPEG (checked by content, at most 10 MB)",
    )
    async def add_attachment(
        self, request: CurrentRequest, nomination_id: FromPath[int], data: MultipartBody[AttachmentForm]
    ) -> Response[AttachmentOut]:
        content = await data.file.read()
        created, attachment = await service.add_attachment(
            actor_of(request.user), request.user, nomination_id, data.file.filename, content
        )
        return Response(attachment, status_code=201 if created else 200)


class AttachmentController(Controller):
    path = "/api/attachments"
    tags = ["awards"]

    @get("/{attachment_id:int}", opt=READERS, summary="Download an attachment")
    async def download(self, request: CurrentRequest, attachment_id: FromPath[int]) -> File:
        path, attachment = await service.open_attachment(request.user, attachment_id)
        return File(
            path,
            media_type=attachment.content_type,
            headers={
                "content-disposition": _disposition(attachment.filename),
                "x-content-type-options": "nosniff",
                "cache-control": "private, no-store",
            },
        )

    @delete("/{attachment_id:int}", opt=ORGANIZER_OR_OFFICER, summary="Remove an attachment")
    async def remove(self, request: CurrentRequest, attachment_id: FromPath[int]) -> None:
        await service.delete_attachment(actor_of(request.user), request.user, attachment_id)


class AwardsPeopleController(Controller):
    path = "/api/people"
    tags = ["awards"]

    @get(
        "/{person_id:int}/competition-results",
        opt=ORGANIZER_OR_OFFICER,
        summary="A person's published competition results, to pre-fill a nomination",
    )
    async def competition_results(
        self, request: CurrentRequest, person_id: FromPath[int]
    ) -> list[PublishedResult]:
        return await service.competition_results_for(request.user, person_id)


class UnionAwardsController(Controller):
    path = "/api/union"
    tags = ["awards"]

    @get("/programmes", opt=OFFICER, summary="Programmes open to my union, with its quota used and left")
    async def programmes(self, request: CurrentRequest) -> list[UnionProgrammeOut]:
        return await service.union_programmes(request.user)


class PublicProgrammeController(Controller):
    path = "/api/public/programmes"
    tags = ["awards"]

    @get("/", opt=PUBLIC_READ, summary="Published programmes (no drafts, no personal data)")
    async def list_public(self) -> list[ProgrammePublic]:
        return await service.list_public_programmes()

    @get("/{programme_id:int}", opt=PUBLIC_READ, summary="One published programme")
    async def get_public(self, programme_id: FromPath[int]) -> ProgrammePublic:
        return await service.get_public_programme(programme_id)


PAGES = [
    page("/awards", "awards.html", "Public: award programmes, their notices and honour rolls"),
    page("/union/nominations", "union-nominations.html", "Union officer: quotas, nominations, upload"),
    page("/organizer/programmes", "awards-programmes.html", "Organizer: award programmes"),
    page(
        "/organizer/programmes/{programme_id:int}/eligibility",
        "awards-eligibility.html",
        "Organizer: eligibility review of a programme",
    ),
]

ROUTES: list[Any] = [
    ProgrammeController,
    NominationController,
    AttachmentController,
    AwardsPeopleController,
    UnionAwardsController,
    PublicProgrammeController,
    *PAGES,
]

try:
    import awards.later_routes
except ModuleNotFoundError as exc:
    if exc.name != "awards.later_routes":
        raise
else:
    ROUTES += awards.later_routes.ROUTES
