"""Routes: the organizers' dashboard and term report, the public statistics, the open data feed, the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

import anyio
import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from accounts.rules import Role
from accounts.security import PUBLIC_READ, allow
from core.errors import NotFound
from core.pages import page
from reports import charts, dashboard, exports, lists, open_data
from reports.dashboard import PUBLIC_FIGURES, Computed
from reports.schemas import (
    Dashboard,
    ListPage,
    OpenChange,
    OpenCompetition,
    OpenPage,
    OpenProgramme,
    OpenResults,
    PublicStatistics,
)

Day = FromQuery[dt.date | None]
# A statistics year: the platform holds nothing before 2000, and a date past 9999 does not exist.
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100)]
Cursor = FromQuery[str | None]
Since = FromQuery[dt.datetime | None]
SVG = "image/svg+xml; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _json(body: bytes, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(body, media_type=MediaType.JSON, headers=headers)


def _download(content: bytes, filename: str, media_type: str, ascii_name: str) -> Response[bytes]:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


async def _computed(start: dt.date | None, end: dt.date | None, year: int | None) -> Computed:
    return await dashboard.computed(dashboard.period_of(start, end, year))


def _docs(container: type) -> dict[int, ResponseSpec]:
    return {200: ResponseSpec(data_container=container, generate_examples=False, description="OK")}


class ReportsController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    opt = allow(Role.ORGANIZER)

    @get("/dashboard", summary="Every figure of a period (a year, or start..end)", responses=_docs(Dashboard))
    async def get_dashboard(
        self, start: Day = None, end: Day = None,
        year: Year = None,
    ) -> Response[bytes]:  # fmt: skip
        return _json((await _computed(start, end, year)).body)

    @get("/figures/{name:str}/chart.svg", summary="One figure as an SVG chart", media_type=SVG)
    async def figure_svg(
        self, name: FromPath[str], start: Day = None, end: Day = None,
        year: Year = None,
    ) -> Response[str]:  # fmt: skip
        figure = (await _computed(start, end, year)).figure(name)
        return Response(charts.chart(figure), media_type=SVG)

    @get("/figures/{name:str}/table.xlsx", summary="One figure as an XLSX table", media_type=XLSX)
    async def figure_xlsx(
        self, name: FromPath[str], start: Day = None, end: Day = None,
        year: Year = None,
    ) -> Response[bytes]:  # fmt: skip
        computed = await _computed(start, end, year)
        figure = computed.figure(name)
        content = await anyio.to_thread.run_sync(figure_workbook, figure, computed)
        span = f"{computed.period.start:%Y%m%d}-{computed.period.end:%Y%m%d}"
        return _download(content, f"{figure.title}-{span}.xlsx", XLSX, f"{name}-{span}.xlsx")

    @get("/list", summary="The rows one number counts, a page at a time")
    async def list_rows(
        self, of: FromQuery[str], dimension: FromQuery[str], key: FromQuery[str] = "",
        page_no: FromQuery[int] = 1,
        start: Day = None, end: Day = None,
        year: Year = None,
    ) -> ListPage:  # fmt: skip
        return await lists.list_rows(await _computed(start, end, year), of, dimension, key, page_no)

    @get(
        "/term-report.pdf",
        summary="The term report (congress report figures) as a PDF",
        media_type="application/pdf",
    )
    async def term_report_pdf(
        self, start: Day = None, end: Day = None,
        year: Year = None, title: FromQuery[str] = "工会工作统计报告",
    ) -> Response[bytes]:  # fmt: skip
        computed = await _computed(start, end, year)
        content = await anyio.to_thread.run_sync(exports.report_pdf, computed.dashboard, title[:60])
        span = f"{computed.period.start:%Y%m%d}-{computed.period.end:%Y%m%d}"
        return _download(content, f"{title[:60]}-{span}.pdf", "application/pdf", f"term-report-{span}.pdf")

    @get("/term-report", summary="The term report as text paragraphs (the page renders charts beside them)")
    async def term_report(
        self, start: Day = None, end: Day = None,
        year: Year = None,
    ) -> dict[str, object]:  # fmt: skip
        computed = await _computed(start, end, year)
        return {
            "start": computed.period.start,
            "end": computed.period.end,
            "paragraphs": exports.report_paragraphs(computed.dashboard),
            "figures": list(exports.REPORT_FIGURES),
            "headline": computed.dashboard.headline,
        }


def figure_workbook(figure: object, computed: Computed) -> bytes:
    return exports.figure_workbook(figure, computed.period.start, computed.period.end)  # type: ignore[arg-type]


class PublicStatisticsController(Controller):
    path = "/api/public/statistics"
    tags = ["reports"]
    opt = PUBLIC_READ

    @get(
        "/", summary="Aggregate statistics of a period (public; no names)", responses=_docs(PublicStatistics)
    )
    async def statistics(
        self, start: Day = None, end: Day = None,
        year: Year = None,
    ) -> Response[bytes]:  # fmt: skip
        computed = await _computed(start, end, year)
        return _json(msgspec.json.encode(dashboard.public_statistics(computed)))

    @get("/figures/{name:str}/chart.svg", summary="A public figure as an SVG chart", media_type=SVG)
    async def figure_svg(
        self, name: FromPath[str], start: Day = None, end: Day = None,
        year: Year = None,
    ) -> Response[str]:  # fmt: skip
        if name not in PUBLIC_FIGURES:
            raise NotFound(f"没有该公开统计图表：{name}", code="figure_not_found", field="name")
        figure = (await _computed(start, end, year)).figure(name)
        return Response(charts.chart(figure), media_type=SVG)


def _conditional(request: Request, body: bytes) -> Response[bytes]:
    """The body with its ETag, or 304 when the client already holds it."""
    tag = open_data.etag(body)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60"}
    if request.headers.get("if-none-match") in (tag, f"W/{tag}"):
        return Response(b"", status_code=304, headers=headers)
    return _json(body, headers)


class OpenDataController(Controller):
    """Version 1 of the open data feed: public, read-only, paginated by cursor, with ETags."""

    path = "/api/open/v1"
    tags = ["open data v1"]
    opt = PUBLIC_READ

    @get("/competitions", summary="Competitions with published results, by id", responses=_docs(OpenPage))
    async def competitions(
        self,
        request: Request,
        cursor: Cursor = None,
        limit: FromQuery[int] = open_data.DEFAULT_LIMIT,
    ) -> Response[bytes]:
        return _conditional(request, await open_data.competitions(cursor, limit))

    @get(
        "/competitions/{competition_id:int}/results",
        summary="Latest published results",
        responses=_docs(OpenResults),
    )
    async def results(self, request: Request, competition_id: FromPath[int]) -> Response[bytes]:
        return _conditional(request, await open_data.results(competition_id))

    @get("/honours", summary="Award programmes with a published honour roll", responses=_docs(OpenPage))
    async def programmes(
        self,
        request: Request,
        cursor: Cursor = None,
        limit: FromQuery[int] = open_data.DEFAULT_LIMIT,
    ) -> Response[bytes]:
        return _conditional(request, await open_data.programmes(cursor, limit))

    @get(
        "/honours/{programme_id:int}",
        summary="An honour roll, by certificate number",
        responses=_docs(OpenPage),
    )
    async def honours(
        self, request: Request, programme_id: FromPath[int], cursor: Cursor = None,
        limit: FromQuery[int] = open_data.DEFAULT_LIMIT,
    ) -> Response[bytes]:  # fmt: skip
        return _conditional(request, await open_data.honours(programme_id, cursor, limit))

    @get(
        "/changes",
        summary="What was published or corrected since a time (UTC), oldest first",
        responses=_docs(OpenPage),
    )
    async def changes(
        self, request: Request, since: Since = None, cursor: Cursor = None,
        limit: FromQuery[int] = open_data.DEFAULT_LIMIT,
    ) -> Response[bytes]:  # fmt: skip
        return _conditional(request, await open_data.changes(since, cursor, limit))


# Named for the OpenAPI document: the items of each open collection.
OPEN_ITEM_TYPES = (OpenCompetition, OpenProgramme, OpenChange)

PAGES = [
    page("/reports", "reports.html", "Dashboard page (organizers)"),
    page("/reports/term", "term-report.html", "Term report page (organizers)"),
    page("/statistics", "statistics.html", "Public statistics page"),
]

ROUTES = [ReportsController, PublicStatisticsController, OpenDataController, *PAGES]
