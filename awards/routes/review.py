"""Routes of the expert review: the organizer's panel and progress, and the expert's tablet (their
programmes, nominations and sheets)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts.security import actor_of
from awards import review, review_panel, review_scores
from awards.routes.shared import EXPERT, ORGANIZER, CurrentRequest, Limit, Offset
from awards.schemas import (
    PanelOut,
    ReviewersIn,
    ReviewNominationsPage,
    ReviewProgrammeOut,
    ReviewProgressOut,
    ReviewSheetIn,
    ReviewSheetOut,
)


class ReviewPanelController(Controller):
    """The organizer's side of the review, per programme."""

    path = "/api/programmes/{programme_id:int}"
    tags = ["awards"]
    opt = ORGANIZER

    @get("/reviewers", summary="The expert panel with each expert's recusals and progress")
    async def panel(self, programme_id: FromPath[int]) -> PanelOut:
        return await review_panel.get_panel(programme_id)

    @post("/reviewers", status_code=200, summary="Add experts (role expert) to the panel; numbered in order")
    async def add_reviewers(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[ReviewersIn]
    ) -> PanelOut:
        return await review_panel.add_reviewers(actor_of(request.user), programme_id, data.expert_ids)

    @delete(
        "/reviewers/{user_id:int}", status_code=200, summary="Take an expert without sheets off the panel"
    )
    async def remove_reviewer(
        self, request: CurrentRequest, programme_id: FromPath[int], user_id: FromPath[int]
    ) -> PanelOut:
        return await review_panel.remove_reviewer(actor_of(request.user), programme_id, user_id)

    @get("/review-progress", summary="Sheets submitted per expert; nominations whose review is incomplete")
    async def progress(self, programme_id: FromPath[int]) -> ReviewProgressOut:
        return await review_scores.review_progress(programme_id)


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
