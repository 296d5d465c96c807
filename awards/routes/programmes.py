"""Routes of programmes: set-up and lifecycle, quota use, the nominations of a programme (list, nominate,
upload, template), direct nominations and bulk eligibility confirmation; the union officer's programmes; a
person's published results; the public programme pages' data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter

from accounts.consent import attestation_of
from accounts.security import PUBLIC_READ, actor_of
from awards import (
    direct_nominations,
    eligibility,
    lifecycle,
    nomination_views,
    nominations,
    prizes,
    programmes,
    quotas,
    sheets,
    uploads,
)
from awards.routes.shared import (
    OFFICER,
    ORGANIZER,
    ORGANIZER_OR_OFFICER,
    READERS,
    CurrentRequest,
    Limit,
    Offset,
    disposition,
)
from awards.schemas import (
    BulkConfirmIn,
    BulkConfirmOut,
    DirectNominationsOut,
    NominationIn,
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
)
from core.openapi import CSV, XLSX, download

NominationStatus = Literal["nominated", "withdrawn", "shortlisted", "removed", "awarded"]


@dataclass
class SheetForm:
    file: UploadFile
    import_valid_only: bool = False
    # The officer confirms they hold the members' consent (accounts.consent): "true" and the notice version.
    members_consent: bool = False
    notice_version: str = ""


class ProgrammeController(Controller):
    path = "/api/programmes"
    tags = ["awards"]
    opt = ORGANIZER

    @post("/", summary="Create an award programme (draft)")
    async def create(self, request: CurrentRequest, data: JSONBody[ProgrammeIn]) -> ProgrammeOut:
        return await programmes.create_programme(actor_of(request.user), data)

    @get("/", summary="Every programme, newest year first")
    async def list_programmes(
        self,
        programme_state: Annotated[str | None, QueryParameter(name="state", max_length=30)] = None,
        year: FromQuery[int | None] = None,
    ) -> list[ProgrammeOut]:
        return await programmes.list_programmes(state=programme_state, year=year)

    @get("/{programme_id:int}", opt=READERS, summary="One programme with its rules")
    async def get_programme(self, programme_id: FromPath[int]) -> ProgrammeOut:
        return await programmes.get_programme(programme_id)

    @patch("/{programme_id:int}", summary="Edit a programme (rules and quotas only in draft/open); audited")
    async def update(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ProgrammePatch]
    ) -> ProgrammeOut:
        return await programmes.update_programme(actor_of(request.user), programme_id, data)

    @post(
        "/{programme_id:int}/transition",
        status_code=200,
        summary="Move the programme along its lifecycle; 409 with the current state if not allowed",
    )
    async def transition(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[TransitionIn]
    ) -> ProgrammeOut:
        return await lifecycle.transition_programme(actor_of(request.user), programme_id, data)

    @get("/{programme_id:int}/quota-usage", summary="Each quota group's quota, used and left")
    async def quota_usage(self, programme_id: FromPath[int]) -> list[QuotaOut]:
        return await quotas.quota_usage(programme_id)

    @post(
        "/{programme_id:int}/direct-nominations",
        status_code=200,
        summary="Nominate directly everyone with a qualifying published prize (直接推荐); idempotent",
    )
    async def direct_nominations(
        self, request: CurrentRequest, programme_id: FromPath[int]
    ) -> DirectNominationsOut:
        return await direct_nominations.create_direct_nominations(actor_of(request.user), programme_id)

    @post(
        "/{programme_id:int}/eligibility/confirm",
        status_code=200,
        summary="Confirm the rules' verdict for every nomination not yet reviewed (or those listed)",
    )
    async def confirm_eligibility(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[BulkConfirmIn]
    ) -> BulkConfirmOut:
        return await eligibility.confirm_eligibility(actor_of(request.user), programme_id, data)

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
        return await nomination_views.list_nominations(
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
        created, nomination = await nominations.nominate(
            actor_of(request.user), request.user, programme_id, data
        )
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
        return await uploads.upload_nominations(
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
        responses=download(XLSX, CSV, note="format=csv 时为 CSV"),
    )
    async def template(
        self, programme_id: FromPath[int], format: FromQuery[Literal["xlsx", "csv"]] = "xlsx"
    ) -> Response[bytes]:
        content, media_type, filename = await uploads.nomination_template(programme_id, format)
        return Response(
            content,
            media_type=media_type,
            headers={"content-disposition": disposition(filename)},
        )


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
        return await prizes.competition_results_for(request.user, person_id)


class UnionAwardsController(Controller):
    path = "/api/union"
    tags = ["awards"]

    @get("/programmes", opt=OFFICER, summary="Programmes open to my union, with its quota used and left")
    async def programmes(self, request: CurrentRequest) -> list[UnionProgrammeOut]:
        return await quotas.union_programmes(request.user)


class PublicProgrammeController(Controller):
    path = "/api/public/programmes"
    tags = ["awards"]

    @get("/", opt=PUBLIC_READ, summary="Published programmes (no drafts, no personal data)")
    async def list_public(self) -> list[ProgrammePublic]:
        return await programmes.list_public_programmes()

    @get("/{programme_id:int}", opt=PUBLIC_READ, summary="One published programme")
    async def get_public(self, programme_id: FromPath[int]) -> ProgrammePublic:
        return await programmes.get_public_programme(programme_id)
