"""HTTP routes of results: live board and events, unblinding, publication and history, exports, appeals,
the arbitration group, the public boards and the open document, and their pages.

Thin: parse, authorize by ``opt`` (finer checks in the use cases), call the use case's module. Public
reads are ``PUBLIC_READ`` (no CSRF cookie) and return the cached bytes as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import PUBLIC_READ, actor_of, allow
from core.openapi import CSV, XLSX, download
from core.pages import page
from scoring import (
    appeals,
    arbitration,
    export,
    live,
    public_boards,
    publication,
    results,
    results_table,
    team_table,
)
from scoring.results_schemas import (
    AnswerIn,
    AppealIn,
    AppealOut,
    ArbitrationSeat,
    LiveBoard,
    MemberIn,
    MemberOut,
    MyAppeals,
    PublicationOut,
    PublishIn,
    UnblindOut,
)

CurrentRequest = Request[CurrentUser, Any, Any]
STAFF = (Role.ORGANIZER, Role.JUDGE, Role.EXPERT, Role.UNION_OFFICER)
KEEPALIVE_S = 20.0
PUBLIC_EVENTS = frozenset({"published", "corrected", "unblinded", "marks"})


async def _relay(channel: str, kinds: frozenset[str] | None = None) -> AsyncIterator[ServerSentEventMessage]:
    """A channel's events as SSE messages (``event: <kind>``), a comment every ``KEEPALIVE_S`` so proxies
    keep the connection; ``ready`` once the subscription is in place."""
    async with live.subscribe(channel) as events:
        yield ServerSentEventMessage(event="ready", data="{}", retry=3000)
        iterator = aiter(events)
        pending: asyncio.Task[bytes] = asyncio.ensure_future(anext(iterator))
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_S)
                if not done:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                payload = pending.result()
                pending = asyncio.ensure_future(anext(iterator))
                try:
                    event = msgspec.json.decode(payload, type=live.Event)
                except msgspec.ValidationError:
                    continue
                if kinds is not None and event.kind not in kinds:
                    continue
                yield ServerSentEventMessage(event=event.kind, data=msgspec.json.encode(event).decode())
        finally:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending


def _json(body: bytes) -> Response[bytes]:
    return Response(content=body, media_type=MediaType.JSON)


class ResultsController(Controller):
    path = "/api/competitions/{competition_id:int}"
    tags = ["results"]
    opt = allow(Role.ORGANIZER)

    @get(
        "/results/live",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Live leaderboard by blind code with completeness (names after unblinding, organizers only)",
    )
    async def live_board(self, request: CurrentRequest, competition_id: FromPath[int]) -> LiveBoard:
        return await results.live_board(request.user, competition_id)

    @get(
        "/results/events",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Server-Sent Events: marks, unblinded, published, corrected (the live board refetches)",
    )
    async def events(self, request: CurrentRequest, competition_id: FromPath[int]) -> ServerSentEvent:
        await results.check_live_access(request.user, competition_id)
        return ServerSentEvent(_relay(live.competition_channel(competition_id)))

    @post("/results/unblind", summary="解密: reveal names once every stage is signed off (audited)")
    async def unblind(self, request: CurrentRequest, competition_id: FromPath[int]) -> UnblindOut:
        return await publication.unblind(actor_of(request.user), competition_id)

    @post(
        "/results/publish",
        summary="Publish the next version (previous_version guards concurrency; a republish needs a reason)",
    )
    async def publish(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[PublishIn]
    ) -> PublicationOut:
        return await publication.publish(actor_of(request.user), competition_id, data)

    @get("/results/publications", summary="Every published version with who, when, why and what changed")
    async def publications(self, competition_id: FromPath[int]) -> list[PublicationOut]:
        return await publication.publications(competition_id)

    @get("/results/publications/{version:int}", summary="One published version exactly as the public saw it")
    async def publication(self, competition_id: FromPath[int], version: FromPath[int]) -> Response[bytes]:
        return _json(await publication.publication(competition_id, version))

    @get(
        "/results/export.xlsx",
        summary="Results as XLSX (current results, or a published version)",
        responses=download(XLSX),
    )
    async def export_xlsx(
        self, competition_id: FromPath[int], version: Annotated[int | None, QueryParameter(ge=1)] = None
    ) -> Response[bytes]:
        title, header, rows, note, decimals = await results_table.export_rows(competition_id, version)
        more = await team_table.extra_sheets(competition_id, version)
        return Response(
            content=export.xlsx_bytes(title, header, rows, note=note, decimals=decimals, more=more),
            media_type=export.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="results-{competition_id}.xlsx"'},
        )

    @get(
        "/results/export.csv",
        summary="Results as CSV, UTF-8 with BOM (current, or a published version)",
        responses=download(CSV),
    )
    async def export_csv(
        self, competition_id: FromPath[int], version: Annotated[int | None, QueryParameter(ge=1)] = None
    ) -> Response[bytes]:
        _, header, rows, _, _ = await results_table.export_rows(competition_id, version)
        return Response(
            content=export.csv_bytes(header, rows),
            media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="results-{competition_id}.csv"'},
        )

    @get("/arbitration", summary="The supervision and arbitration group (监督仲裁组)")
    async def members(self, competition_id: FromPath[int]) -> list[MemberOut]:
        return await arbitration.members(competition_id)

    @post("/arbitration", summary="Name a member of the arbitration group (any staff user; audited)")
    async def add_member(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[MemberIn]
    ) -> list[MemberOut]:
        return await arbitration.add_member(actor_of(request.user), competition_id, data)

    @delete("/arbitration/{user_id:int}", status_code=204, summary="Remove a member (audited)")
    async def remove_member(
        self, request: CurrentRequest, competition_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        await arbitration.remove_member(actor_of(request.user), competition_id, user_id)

    @get(
        "/appeals",
        opt=allow(*STAFF),
        summary="Every appeal of the competition (organizers and arbitration members)",
    )
    async def appeals(self, request: CurrentRequest, competition_id: FromPath[int]) -> list[AppealOut]:
        return await appeals.list_appeals(request.user, competition_id)

    @get(
        "/appeals/mine",
        opt=allow(Role.CONTESTANT),
        summary="A contestant's own entry: appeal windows and their appeals with the answers",
    )
    async def my_appeals(self, request: CurrentRequest, competition_id: FromPath[int]) -> MyAppeals:
        return await appeals.my_appeals(request.user, competition_id)


class AppealController(Controller):
    path = "/api/appeals"
    tags = ["results"]

    @post(
        "/",
        opt=allow(Role.CONTESTANT),
        summary="Lodge an appeal on one's own result, within the window after the stage ends (申诉)",
    )
    async def lodge(self, request: CurrentRequest, data: JSONBody[AppealIn]) -> AppealOut:
        return await appeals.lodge_appeal(actor_of(request.user), request.user, data)

    @post(
        "/{appeal_id:int}/answer",
        opt=allow(*STAFF),
        status_code=200,
        summary="The arbitration group's final answer: upheld with a correction, or dismissed (audited)",
    )
    async def answer(
        self, request: CurrentRequest, appeal_id: FromPath[int], data: JSONBody[AnswerIn]
    ) -> AppealOut:
        return await appeals.answer_appeal(actor_of(request.user), request.user, appeal_id, data)


@get("/api/arbitration/mine", opt=allow(*STAFF), tags=["results"], summary="Competitions I arbitrate")
async def my_arbitration(request: CurrentRequest) -> list[ArbitrationSeat]:
    return await arbitration.my_seats(request.user)


class PublicResultsController(Controller):
    """No log-in, no CSRF cookie, no personal data: what the public and the venue screen read."""

    path = "/api/public"
    tags = ["public results"]
    opt = PUBLIC_READ

    @get("/results", summary="Competitions with published results (latest version each)")
    async def published(self) -> Response[bytes]:
        return _json(await public_boards.published_competitions())

    @get(
        "/competitions/{competition_id:int}/leaderboard",
        summary="The published leaderboard (latest version), from the cache; 404 before publication",
    )
    async def leaderboard(self, competition_id: FromPath[int]) -> Response[bytes]:
        return _json(await public_boards.public_leaderboard(competition_id))

    @get(
        "/competitions/{competition_id:int}/provisional",
        summary="Provisional board by blind code only (score, completeness): the venue screen",
    )
    async def provisional(self, competition_id: FromPath[int]) -> Response[bytes]:
        return _json(await public_boards.provisional_board(competition_id))

    @get(
        "/competitions/{competition_id:int}/open-document.json",
        summary="The open results document: rules and every mark by blind code and judge number",
    )
    async def open_document(self, competition_id: FromPath[int]) -> Response[bytes]:
        return _json(await public_boards.open_document(competition_id))

    @get(
        "/competitions/{competition_id:int}/events",
        summary="Server-Sent Events for the public board and the venue screen (no personal data)",
    )
    async def events(self, competition_id: FromPath[int]) -> ServerSentEvent:
        await results.competition_head(competition_id)  # 404 for an unknown competition
        return ServerSentEvent(_relay(live.competition_channel(competition_id), PUBLIC_EVENTS))


PAGES = [
    page("/results", "results.html", "Published results (public)"),
    page("/results/{competition_id:int}", "leaderboard.html", "A competition's leaderboard (public, live)"),
    page("/bigscreen/{competition_id:int}", "bigscreen.html", "The venue big screen (大屏)"),
    page(
        "/results/{competition_id:int}/appeal", "results-appeal.html", "Appeals: lodge (contestant), answer"
    ),
    page(
        "/organizer/competitions/{competition_id:int}/results",
        "results-organizer.html",
        "Organizer results: live board, unblinding, publication, appeals",
    ),
    page(
        "/organizer/competitions/{competition_id:int}/results/print",
        "results-print.html",
        "Printable results",
    ),
]

ROUTES = [ResultsController, AppealController, my_arbitration, PublicResultsController, *PAGES]
