"""HTTP routes of the competitions domain: thin; parse, authorize (by ``opt``), call one use case."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts.consent import attestation_of
from accounts.ratelimit import SIGNUP_LIMIT, STAFF_IMPORT_LIMIT
from accounts.rules import Role
from accounts.schemas import AttestationIn, CurrentUser, StaffImportResult
from accounts.security import PUBLIC, PUBLIC_READ, actor_of, allow
from accounts.sessions import session_cookie
from competitions import (
    approval,
    catalogue,
    checkin,
    exports,
    lifecycle,
    registration,
    roster,
    setup,
    sheets,
    signup,
    staff_import,
    uploads,
    withdrawal,
)
from competitions.schemas import (
    BulkReviewIn,
    CheckInIn,
    CheckInSheet,
    CompetitionAdminOut,
    CompetitionIn,
    CompetitionOut,
    CompetitionPatch,
    CompetitionSummary,
    CompetitionUpdateOut,
    DrawIn,
    DrawOut,
    EnterpriseChoice,
    RegisterIn,
    RegistrationOut,
    RegistrationResult,
    RegistrationsPage,
    ReviewIn,
    SeriesIn,
    SeriesOut,
    SignUpIn,
    State,
    TransitionIn,
    UploadResult,
    WithdrawIn,
)
from core.errors import Invalid
from core.openapi import CSV, XLSX, download
from core.pages import page

CurrentRequest = Request[CurrentUser, Any, Any]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]
Text = Annotated[str | None, QueryParameter(max_length=50)]
StateQuery = Annotated[State | None, QueryParameter(name="state")]
ORGANIZER, OFFICER, CONTESTANT = Role.ORGANIZER, Role.UNION_OFFICER, Role.CONTESTANT


def _json(body: bytes) -> Response[bytes]:
    return Response(body, media_type=MediaType.JSON)


def _registration_response(result: RegistrationResult) -> Response[RegistrationResult]:
    return Response(result, status_code=201 if result.created else 200)


def _attachment(content: bytes, filename: str, media_type: str) -> Response[bytes]:
    ascii_name = "registrations." + filename.rsplit(".", 1)[-1]
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


async def _uploaded(request: Request[Any, Any, Any]) -> tuple[bytes, bool, AttestationIn | None]:
    """The spreadsheet of a multipart upload (read under the handler's body limit), the form's flag and the
    officer's attestation that they hold the members' consent."""
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        raise Invalid("请以 multipart/form-data 上传表格文件（字段 file）", code="required", field="file")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("请选择要上传的表格文件", code="required", field="file")
    try:
        content = await upload.read()
    finally:
        await upload.close()
    valid_only = str(form.get("import_valid_only", "")).lower() in {"true", "1", "on", "yes"}
    return content, valid_only, attestation_of(form)


class StaffImportController(Controller):
    """Staff accounts from a spreadsheet (the reader lives in this domain; the accounts are accounts')."""

    path = "/api/users"
    tags = ["accounts"]
    opt = allow(ORGANIZER)

    @get("/import/template", summary="The staff-account import template (XLSX)")
    async def staff_template(self) -> Response[bytes]:
        return _attachment(staff_import.template(), "账号导入模板.xlsx", sheets.XLSX_MEDIA_TYPE)

    @post(
        "/import",
        status_code=200,
        guards=[STAFF_IMPORT_LIMIT],
        request_max_body_size=sheets.MAX_UPLOAD_BYTES + 64 * 1024,
        summary="Import union officers, experts and judges (XLSX/CSV): all rows or none, bad rows listed",
        description="multipart/form-data with the spreadsheet in `file`; each created account's temporary "
        "password is in the answer, once.",
    )
    async def import_staff(self, request: CurrentRequest) -> StaffImportResult:
        content, _, _ = await _uploaded(request)
        return await staff_import.import_staff(actor_of(request.user), content)


class SeriesController(Controller):
    path = "/api/series"
    tags = ["competitions"]
    opt = allow(ORGANIZER)

    @get("/", opt=PUBLIC_READ, summary="List competition series (public)")
    async def list_series(self) -> list[SeriesOut]:
        return await catalogue.list_series()

    @post("/", summary="Create a series, e.g. the 2026 zone workers' skills competition")
    async def create_series(self, request: CurrentRequest, data: JSONBody[SeriesIn]) -> SeriesOut:
        return await setup.create_series(actor_of(request.user), data)


class CompetitionController(Controller):
    path = "/api/competitions"
    tags = ["competitions"]
    opt = allow(ORGANIZER)

    @get(
        "/",
        opt=PUBLIC_READ,
        summary="Published competitions (public, cached; no personal data)",
        responses={
            200: ResponseSpec(
                data_container=list[CompetitionSummary], generate_examples=False, description="OK"
            )
        },
    )
    async def list_competitions(
        self, series_id: FromQuery[int | None] = None, state_: StateQuery = None, q: Text = None
    ) -> Response[bytes]:
        if state_ == "draft":
            return _json(b"[]")
        if q:
            items = await catalogue.list_competitions(
                include_drafts=False, series_id=series_id, state=state_, query=q
            )
            return _json(msgspec.json.encode(items))
        return _json(await catalogue.public_competitions_json(series_id=series_id, state=state_))

    @get(
        "/{competition_id:int}",
        opt=PUBLIC_READ,
        summary="One published competition: stages, rules, places (public, cached)",
        responses={
            200: ResponseSpec(data_container=CompetitionOut, generate_examples=False, description="OK")
        },
    )
    async def get_competition(self, competition_id: FromPath[int]) -> Response[bytes]:
        return _json(await catalogue.public_competition_json(competition_id))

    @post("/", summary="Create a competition (draft) with its stages and eligibility rules")
    async def create_competition(
        self, request: CurrentRequest, data: JSONBody[CompetitionIn]
    ) -> CompetitionOut:
        return await setup.create_competition(actor_of(request.user), data)

    @patch("/{competition_id:int}", summary="Edit; stages/rules after opening need reopen + reason (audited)")
    async def update_competition(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[CompetitionPatch]
    ) -> CompetitionUpdateOut:
        return await setup.update_competition(actor_of(request.user), competition_id, data)

    @post("/{competition_id:int}/transition", status_code=200, summary="Lifecycle step; 409 if not allowed")
    async def transition(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[TransitionIn]
    ) -> CompetitionOut:
        return await lifecycle.transition(
            actor_of(request.user), competition_id, data.target, version=data.version, reason=data.reason
        )

    @get(
        "/{competition_id:int}/registrations",
        opt=allow(ORGANIZER, OFFICER),
        summary="Registrations, filtered (a union officer sees their own union's members)",
    )
    async def list_registrations(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        status: FromQuery[Literal["accepted", "waitlisted", "rejected", "withdrawn"] | None] = None,
        review: FromQuery[Literal["pending", "approved", "rejected"] | None] = None,
        attendance: FromQuery[Literal["present", "absent", "unmarked"] | None] = None,
        enterprise_id: FromQuery[int | None] = None,
        q: Text = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> RegistrationsPage:
        return await roster.list_registrations(
            request.user,
            competition_id,
            status=status,
            review=review,
            attendance=attendance,
            enterprise_id=enterprise_id,
            query=q,
            limit=limit,
            offset=offset,
        )

    @post(
        "/{competition_id:int}/registrations",
        opt=allow(CONTESTANT, OFFICER, ORGANIZER),
        summary="Register: 201 accepted or waitlisted, 200 if already registered, 422 not_eligible",
    )
    async def register(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[RegisterIn]
    ) -> Response[RegistrationResult]:
        result = await registration.register(actor_of(request.user), request.user, competition_id, data)
        return _registration_response(result)

    @post(
        "/{competition_id:int}/signup",
        opt=PUBLIC,
        guards=[SIGNUP_LIMIT],
        summary="Sign up and register in one step (public, rate-limited); logs the new contestant in",
    )
    async def sign_up(
        self, competition_id: FromPath[int], data: JSONBody[SignUpIn]
    ) -> Response[RegistrationResult]:
        result, token = await signup.sign_up(competition_id, data)
        response = _registration_response(result)
        response.set_cookie(session_cookie(token))
        return response

    @post(
        "/{competition_id:int}/registrations/upload",
        opt=allow(OFFICER, ORGANIZER),
        status_code=200,
        request_max_body_size=sheets.MAX_UPLOAD_BYTES + 64 * 1024,
        summary="Register many from the XLSX/CSV template; every bad row listed, nothing half-written",
        description=(
            "multipart/form-data with the spreadsheet in `file` (XLSX or CSV, at most 5 MB and 5,000 rows) "
            "and optionally `import_valid_only=true` (form field or query) to skip bad rows."
        ),
    )
    async def upload(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        import_valid_only: FromQuery[bool] = False,
    ) -> UploadResult:
        content, valid_only, attestation = await _uploaded(request)
        return await uploads.upload_registrations(
            actor_of(request.user),
            request.user,
            competition_id,
            content,
            import_valid_only=import_valid_only or valid_only,
            attestation=attestation,
        )

    @post("/{competition_id:int}/registrations/review", status_code=200, summary="Approve or reject many")
    async def review_many(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[BulkReviewIn]
    ) -> list[RegistrationOut]:
        return await approval.review_many(actor_of(request.user), competition_id, data)

    @get(
        "/{competition_id:int}/registrations/export",
        summary="XLSX or CSV of the registrations; masked unless full=true with a purpose (audited)",
        responses=download(XLSX, CSV, note="format=csv 时为 CSV"),
    )
    async def export(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        format_: Annotated[Literal["xlsx", "csv"], QueryParameter(name="format")] = "xlsx",
        full: FromQuery[bool] = False,
        status: FromQuery[Literal["accepted", "waitlisted", "rejected", "withdrawn"] | None] = None,
        purpose: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Response[bytes]:
        content, filename, media_type = await exports.export_registrations(
            actor_of(request.user),
            request.user,
            competition_id,
            fmt=format_,
            full=full,
            status=status,
            purpose=purpose,
        )
        return _attachment(content, filename, media_type)

    @get("/{competition_id:int}/checkin", summary="Check-in sheet: every accepted contestant")
    async def checkin_sheet(self, competition_id: FromPath[int]) -> CheckInSheet:
        return await checkin.checkin_sheet(competition_id)

    @post(
        "/{competition_id:int}/checkin",
        status_code=200,
        summary="Mark present/absent by ID or registration no",
    )
    async def check_in(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[CheckInIn]
    ) -> RegistrationOut:
        return await checkin.check_in(actor_of(request.user), competition_id, data)

    @get("/{competition_id:int}/draw", summary="The lot draw with names (organizers only)")
    async def draw_list(self, competition_id: FromPath[int]) -> DrawOut:
        return await checkin.draw_list(competition_id)

    @post("/{competition_id:int}/draw", status_code=200, summary="Draw stations and blind codes (audited)")
    async def draw(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[DrawIn]
    ) -> DrawOut:
        return await checkin.draw(actor_of(request.user), competition_id, data)


class OrganizerCompetitionController(Controller):
    path = "/api/organizer/competitions"
    tags = ["competitions"]
    opt = allow(ORGANIZER)

    @get("/", summary="Every competition, drafts included")
    async def list_all(
        self, series_id: FromQuery[int | None] = None, state_: StateQuery = None, q: Text = None
    ) -> list[CompetitionSummary]:
        return await catalogue.list_competitions(
            include_drafts=True, series_id=series_id, state=state_, query=q
        )

    @get("/{competition_id:int}", summary="One competition (drafts too) with registration statistics")
    async def get_one(self, competition_id: FromPath[int]) -> CompetitionAdminOut:
        return await catalogue.get_competition_admin(competition_id)


class RegistrationController(Controller):
    path = "/api/registrations"
    tags = ["competitions"]
    opt = allow(ORGANIZER)

    @get(
        "/template",
        opt=allow(OFFICER, ORGANIZER),
        summary="The upload template (XLSX or CSV)",
        responses=download(XLSX, CSV, note="format=csv 时为 CSV"),
    )
    async def template(
        self, format_: Annotated[Literal["xlsx", "csv"], QueryParameter(name="format")] = "xlsx"
    ) -> Response[bytes]:
        if format_ == "csv":
            return _attachment(sheets.template_csv(), "报名模板.csv", sheets.CSV_MEDIA_TYPE)
        return _attachment(sheets.template_xlsx(), "报名模板.xlsx", sheets.XLSX_MEDIA_TYPE)

    @get(
        "/{registration_id:int}",
        opt=allow(ORGANIZER, OFFICER, CONTESTANT),
        summary="One registration (a contestant their own; an officer their union's)",
    )
    async def get_registration(
        self, request: CurrentRequest, registration_id: FromPath[int]
    ) -> RegistrationOut:
        return await roster.get_registration(request.user, registration_id)

    @post(
        "/{registration_id:int}/withdraw",
        opt=allow(ORGANIZER, OFFICER, CONTESTANT),
        status_code=200,
        summary="Withdraw; the first on the waitlist moves up while registration is open",
    )
    async def withdraw(
        self, request: CurrentRequest, registration_id: FromPath[int], data: JSONBody[WithdrawIn]
    ) -> RegistrationOut:
        return await withdrawal.withdraw(actor_of(request.user), request.user, registration_id, data)

    @post("/{registration_id:int}/review", status_code=200, summary="Approve, or reject with a reason")
    async def review(
        self, request: CurrentRequest, registration_id: FromPath[int], data: JSONBody[ReviewIn]
    ) -> RegistrationOut:
        return await approval.review(actor_of(request.user), registration_id, data)


class MyController(Controller):
    path = "/api/my"
    tags = ["competitions"]
    opt = allow(CONTESTANT)

    @get("/registrations", summary="The logged-in contestant's registrations")
    async def my_registrations(self, request: CurrentRequest) -> list[RegistrationOut]:
        return await roster.my_registrations(request.user)


@get(
    "/api/signup/enterprises",
    opt=PUBLIC,
    tags=["competitions"],
    summary="Zone enterprises for the sign-up form",
)
async def enterprise_choices() -> list[EnterpriseChoice]:
    return await signup.enterprise_choices()


PAGES = [
    page("/competitions", "competitions.html", "Competition list (public)"),
    page(
        "/competitions/{competition_id:int}",
        "competitions-detail.html",
        "Competition detail and registration",
    ),
    page("/my/registrations", "my-registrations.html", "A contestant's registrations"),
    page("/organizer/competitions", "organizer-competitions.html", "Organizer: competitions"),
    page(
        "/organizer/competitions/{competition_id:int}",
        "organizer-competition.html",
        "Organizer: review, check-in and lot drawing",
    ),
    page(
        "/organizer/competitions/{competition_id:int}/print/checkin",
        "organizer-print-checkin.html",
        "Printable check-in sheet",
    ),
    page(
        "/organizer/competitions/{competition_id:int}/print/stations",
        "organizer-print-stations.html",
        "Printable station list",
    ),
]

ROUTES = [
    StaffImportController,
    SeriesController,
    CompetitionController,
    OrganizerCompetitionController,
    RegistrationController,
    MyController,
    enterprise_choices,
    *PAGES,
]
