"""HTTP routes of the second half of the awards pipeline: thin; parse, authorize (by ``opt``; finer checks
such as a reviewer's recusal or a contestant's own certificate are in the services), call the service.

- ``/api/programmes/{id}/reviewers``, ``/review-progress``, ``/shortlist``, ``/notice``, ``/objections``,
  ``/award``: the organizer runs the review, computes the shortlist, opens the notice, awards.
- ``/api/review/...``: the expert's tablet (their programmes, nominations, sheets).
- ``/api/calendar-years``: organizer-entered holiday schedules for years the calendar library lacks.
- ``/api/objections/{id}/resolve``: the organizer settles an objection.
- ``/api/public/programmes/{id}/notice | objections | honours | honours.xlsx``: the public (nothing private).
- ``/api/nominations/{id}/certificate.pdf``: the awardee's certificate (organizer, or the awardee).
- pages: ``/review``, ``/organizer/programmes/{id}/shortlist``, ``/organizer/calendar-years``,
  ``/notice/{id}``, ``/honours/{id}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import PUBLIC, PUBLIC_READ, actor_of, allow
from awards import honours, notice, review
from awards.schemas import (
    AwardIn,
    CalendarStatusOut,
    CalendarYearIn,
    CalendarYearOut,
    HonourRoll,
    NoticeIn,
    NoticePublic,
    ObjectionIn,
    ObjectionReceipt,
    ObjectionsOut,
    PanelOut,
    ResolveIn,
    ResolveOut,
    ReviewersIn,
    ReviewNominationsPage,
    ReviewProgrammeOut,
    ReviewProgressOut,
    ReviewSheetIn,
    ReviewSheetOut,
    ShortlistIn,
    ShortlistReport,
)
from core.pages import page

CurrentRequest = Request[CurrentUser, Any, Any]
ORGANIZER = allow(Role.ORGANIZER)
EXPERT = allow(Role.EXPERT)
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]

OBJECTIONS_PER_MINUTE = 5
OBJECTION_MAX_BODY = 16 * 1024  # grounds of 2000 characters are ~6 KB of UTF-8 JSON


def _objection_client(request: Request[Any, Any, Any]) -> str:
    # Its own key: the log-in limit counts the same address in the same store.
    return f"objection:{get_remote_address(request)}"


objection_rate_limit = RateLimitConfig(
    rate_limit=("minute", OBJECTIONS_PER_MINUTE),
    store="rate_limit",
    identifier_for_request=_objection_client,
)


def _disposition(filename: str, kind: str = "attachment") -> str:
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"


class ReviewSetupController(Controller):
    """The organizer's side of the review and everything after it, per programme."""

    path = "/api/programmes/{programme_id:int}"
    tags = ["awards"]
    opt = ORGANIZER

    @get("/reviewers", summary="The expert panel with each expert's recusals and progress")
    async def panel(self, programme_id: FromPath[int]) -> PanelOut:
        return await review.get_panel(programme_id)

    @post("/reviewers", status_code=200, summary="Add experts (role expert) to the panel; numbered in order")
    async def add_reviewers(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ReviewersIn]
    ) -> PanelOut:
        return await review.add_reviewers(actor_of(request.user), programme_id, data.expert_ids)

    @delete(
        "/reviewers/{user_id:int}", status_code=200, summary="Take an expert without sheets off the panel"
    )
    async def remove_reviewer(
        self, request: CurrentRequest, programme_id: FromPath[int], user_id: FromPath[int]
    ) -> PanelOut:
        return await review.remove_reviewer(actor_of(request.user), programme_id, user_id)

    @get("/review-progress", summary="Sheets submitted per expert; nominations whose review is incomplete")
    async def progress(self, programme_id: FromPath[int]) -> ReviewProgressOut:
        return await review.review_progress(programme_id)

    @get("/shortlist", summary="The last computed shortlist with its constraint report")
    async def shortlist(self, programme_id: FromPath[int]) -> ShortlistReport:
        return await notice.get_shortlist(programme_id)

    @post(
        "/shortlist",
        status_code=200,
        summary="Aggregate the review, compute the shortlist (-> 建议名单); feasible=false says why not",
    )
    async def compute_shortlist(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ShortlistIn]
    ) -> ShortlistReport:
        return await notice.compute_shortlist(actor_of(request.user), programme_id, data)

    @post(
        "/notice",
        status_code=200,
        summary="Publish the shortlist: open the public notice, dates on the working-day calendar",
    )
    async def open_notice(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[NoticeIn]
    ) -> NoticePublic:
        return await notice.open_notice(actor_of(request.user), programme_id, data)

    @get("/objections", summary="Objections lodged, with the objectors' contacts")
    async def objections(
        self,
        programme_id: FromPath[int],
        status: FromQuery[Literal["pending", "upheld", "dismissed"] | None] = None,
    ) -> ObjectionsOut:
        return await notice.list_objections(programme_id, status)

    @post("/award", status_code=200, summary="Award the final list (refused while objections are pending)")
    async def award(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[AwardIn]
    ) -> HonourRoll:
        return await honours.award(actor_of(request.user), programme_id, data)


class ObjectionController(Controller):
    path = "/api/objections"
    tags = ["awards"]
    opt = ORGANIZER

    @post(
        "/{objection_id:int}/resolve",
        status_code=200,
        summary="Uphold (the nominee is removed, the next one moves up) or dismiss (with a reason)",
    )
    async def resolve(
        self, request: CurrentRequest, objection_id: FromPath[int], data: JSONBody[ResolveIn]
    ) -> ResolveOut:
        return await notice.resolve_objection(actor_of(request.user), objection_id, data)


class CalendarController(Controller):
    path = "/api/calendar-years"
    tags = ["awards"]
    opt = ORGANIZER

    @get("/", summary="The years the calendar library knows and the years organizers entered")
    async def list_years(self) -> CalendarStatusOut:
        return await notice.calendar_status()

    @post("/", status_code=200, summary="Enter (or correct, with its version) a year's official schedule")
    async def put_year(self, request: CurrentRequest, data: JSONBody[CalendarYearIn]) -> CalendarYearOut:
        return await notice.put_calendar_year(actor_of(request.user), data)


class ReviewController(Controller):
    """The expert's tablet."""

    path = "/api/review"
    tags = ["awards"]
    opt = EXPERT

    @get("/programmes", summary="The programmes I review, with the rubric and my progress")
    async def programmes(self, request: CurrentRequest) -> list[ReviewProgrammeOut]:
        return await review.my_programmes(request.user)

    @get("/programmes/{programme_id:int}", summary="One programme I review")
    async def programme(self, request: CurrentRequest, programme_id: FromPath[int]) -> ReviewProgrammeOut:
        return await review.my_programme(request.user, programme_id)

    @get(
        "/programmes/{programme_id:int}/nominations",
        summary="Nominations to score (name, employer, achievements, deed) with my sheet; recused absent",
    )
    async def nominations(
        self,
        request: CurrentRequest,
        programme_id: FromPath[int],
        status: FromQuery[Literal["todo", "draft", "submitted"] | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=50)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ReviewNominationsPage:
        return await review.my_nominations(
            request.user, programme_id, status=status, query=q, limit=limit, offset=offset
        )

    @get(
        "/programmes/{programme_id:int}/sheets/{nomination_id:int}",
        summary="My sheet for one nomination (version 0 before the first write)",
    )
    async def sheet(
        self, request: CurrentRequest, programme_id: FromPath[int], nomination_id: FromPath[int]
    ) -> ReviewSheetOut:
        return await review.get_sheet(request.user, programme_id, nomination_id)

    @put("/sheets", summary="Save or submit marks: idempotent by client_id, version-checked, one transaction")
    async def put_sheet(
        self, request: CurrentRequest, data: JSONBody[ReviewSheetIn]
    ) -> Response[ReviewSheetOut]:
        out, replayed = await review.put_sheet(request.user, actor_of(request.user), data)
        return Response(out, headers={"x-replayed": "1" if replayed else "0"})


class PublicNoticeController(Controller):
    path = "/api/public/programmes/{programme_id:int}"
    tags = ["awards"]

    @get("/notice", opt=PUBLIC_READ, summary="The public notice: names, employers, award, dates")
    async def notice(self, programme_id: FromPath[int]) -> NoticePublic:
        return await notice.public_notice(programme_id)

    @post(
        "/objections",
        opt=PUBLIC,
        status_code=201,
        request_max_body_size=OBJECTION_MAX_BODY,
        middleware=[objection_rate_limit.middleware],
        summary="Lodge an objection during the notice (rate-limited; the contact is kept private)",
    )
    async def lodge(self, programme_id: FromPath[int], data: JSONBody[ObjectionIn]) -> ObjectionReceipt:
        return await notice.lodge_objection(programme_id, data)

    @get("/honours", opt=PUBLIC_READ, summary="The honour roll: name, employer, award")
    async def honours(self, programme_id: FromPath[int]) -> HonourRoll:
        return await honours.honour_roll(programme_id)

    @get("/honours.xlsx", opt=PUBLIC_READ, summary="The honour roll as a spreadsheet")
    async def honours_xlsx(self, programme_id: FromPath[int]) -> Response[bytes]:
        content, filename = await honours.honours_xlsx(programme_id)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": _disposition(filename)},
        )


@get(
    "/api/nominations/{nomination_id:int}/certificate.pdf",
    opt=allow(Role.ORGANIZER, Role.CONTESTANT),
    tags=["awards"],
    summary="An awardee's certificate (PDF): organizers, and the awardee's own account",
)
async def certificate(request: CurrentRequest, nomination_id: FromPath[int]) -> Response[bytes]:
    content, filename = await honours.certificate_pdf(request.user, nomination_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "content-disposition": _disposition(filename, "inline"),
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-store",
        },
    )


PAGES = [
    page("/review", "review.html", "Expert reviewer's tablet"),
    page(
        "/organizer/programmes/{programme_id:int}/shortlist",
        "organizer-shortlist.html",
        "Organizer: review, shortlist report, notice, objections, award",
    ),
    page("/organizer/calendar-years", "notice-calendar.html", "Organizer: holiday schedules by year"),
    page("/notice/{programme_id:int}", "notice.html", "Public notice with the objection form"),
    page("/honours/{programme_id:int}", "honours.html", "Honour roll"),
]

ROUTES: list[Any] = [
    ReviewSetupController,
    ObjectionController,
    CalendarController,
    ReviewController,
    PublicNoticeController,
    certificate,
    *PAGES,
]
