"""Routes of the shortlist, the public notice and objections: the organizer computes the shortlist, opens
the notice, enters calendar years and settles objections; the public reads the notice and lodges objections
(rate-limited; the contact is kept private)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from accounts.ratelimit import OBJECTION_LIMIT
from accounts.security import PUBLIC, PUBLIC_READ, actor_of
from awards import calendar_years, notice, objections, shortlist, shortlist_ways
from awards.routes.shared import ORGANIZER, CurrentRequest
from awards.schemas import (
    CalendarStatusOut,
    CalendarYearIn,
    CalendarYearOut,
    ConstraintIn,
    NoticeIn,
    NoticePublic,
    ObjectionIn,
    ObjectionReceipt,
    ObjectionsOut,
    RelaxIn,
    ResolveIn,
    ResolveOut,
    ShortlistIn,
    ShortlistReport,
    UnionRequestIn,
)
from core.errors import none_if_absent

OBJECTION_MAX_BODY = 16 * 1024  # grounds of 2000 characters are ~6 KB of UTF-8 JSON


class NoticeSetupController(Controller):
    """The organizer's side of the shortlist, the notice and its objections, per programme."""

    path = "/api/programmes/{programme_id:int}"
    tags = ["awards"]
    opt = ORGANIZER

    @get(
        "/shortlist", summary="The last computed shortlist with its constraint report; null before the first"
    )
    async def shortlist(self, programme_id: FromPath[int]) -> ShortlistReport | None:
        return await none_if_absent(shortlist.get_shortlist(programme_id), "no_shortlist")

    @post(
        "/shortlist",
        status_code=200,
        summary="Aggregate the review, compute the shortlist (-> 建议名单); feasible=false says why not",
    )
    async def compute_shortlist(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ShortlistIn]
    ) -> ShortlistReport:
        return await shortlist.compute_shortlist(actor_of(request.user), programme_id, data)

    @post(
        "/shortlist/relax",
        status_code=200,
        summary="A way out: relax one structural constraint with a reason (audited); then compute again",
    )
    async def relax(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[RelaxIn]
    ) -> list[ConstraintIn]:
        return await shortlist_ways.relax_constraint(actor_of(request.user), programme_id, data)

    @post(
        "/shortlist/requests",
        status_code=200,
        summary="A way out: ask the unions concerned to nominate more (audited, shown to their officers)",
    )
    async def request_unions(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[UnionRequestIn]
    ) -> ShortlistReport:
        return await shortlist_ways.request_unions(actor_of(request.user), programme_id, data)

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
        return await objections.list_objections(programme_id, status)


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
        return await objections.resolve_objection(actor_of(request.user), objection_id, data)


class CalendarController(Controller):
    path = "/api/calendar-years"
    tags = ["awards"]
    opt = ORGANIZER

    @get("/", summary="The years the calendar library knows and the years organizers entered")
    async def list_years(self) -> CalendarStatusOut:
        return await calendar_years.calendar_status()

    @post("/", status_code=200, summary="Enter (or correct, with its version) a year's official schedule")
    async def put_year(self, request: CurrentRequest, data: JSONBody[CalendarYearIn]) -> CalendarYearOut:
        return await calendar_years.put_calendar_year(actor_of(request.user), data)


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
        guards=[OBJECTION_LIMIT],
        summary="Lodge an objection during the notice (rate-limited; the contact is kept private)",
    )
    async def lodge(self, programme_id: FromPath[int], data: JSONBody[ObjectionIn]) -> ObjectionReceipt:
        return await objections.lodge_objection(programme_id, data)
