"""HTTP routes of named teams, team results as CSV and skill-level promotion (organizers).

Thin: parse, authorize by ``opt``, call :mod:`scoring.teams`, :mod:`scoring.team_table` or
:mod:`scoring.promotion`. Team results and the organisation award also travel on the live and public
boards and in the results workbook (:mod:`scoring.results_routes`).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import actor_of, allow
from core.openapi import CSV, XLSX, download
from core.pages import page
from scoring import export, promotion, team_table, teams
from scoring.standings_schemas import ConfirmIn, PromotionList, TeamIn, TeamOut

CurrentRequest = Request[CurrentUser, Any, Any]


class TeamController(Controller):
    path = "/api/competitions/{competition_id:int}/teams"
    tags = ["teams"]
    opt = allow(Role.ORGANIZER)

    @get("/", summary="Named teams (团体) of the competition, with their members")
    async def list_teams(self, competition_id: FromPath[int]) -> list[TeamOut]:
        return await teams.list_teams(competition_id)

    @post("/", summary="Declare a named team of accepted contestants (before scoring starts; audited)")
    async def create_team(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[TeamIn]
    ) -> TeamOut:
        return await teams.create_team(actor_of(request.user), competition_id, data)

    @put("/{team_id:int}", summary="Change a team's name, union or members (version-checked; audited)")
    async def update_team(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        team_id: FromPath[int],
        data: JSONBody[TeamIn],
    ) -> TeamOut:
        return await teams.update_team(actor_of(request.user), competition_id, team_id, data)

    @delete("/{team_id:int}", status_code=204, summary="Remove a team (version-checked; audited)")
    async def delete_team(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        team_id: FromPath[int],
        version: Annotated[int, QueryParameter(ge=1)],
    ) -> None:
        await teams.delete_team(actor_of(request.user), competition_id, team_id, version)


class StandingsController(Controller):
    path = "/api/competitions/{competition_id:int}/results"
    tags = ["results"]
    opt = allow(Role.ORGANIZER)

    @get(
        "/teams/export.csv",
        summary="Team results as CSV, UTF-8 with BOM (a published version, or current once unblinded)",
        responses=download(CSV),
    )
    async def teams_csv(
        self, competition_id: FromPath[int], version: Annotated[int | None, QueryParameter(ge=1)] = None
    ) -> Response[bytes]:
        rows, _ = await team_table.team_parts(competition_id, version)
        return Response(
            content=export.csv_bytes(team_table.TEAM_HEADER, team_table.team_table(rows)),
            media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="teams-{competition_id}.csv"'},
        )

    @get(
        "/promotions", summary="The skill-level promotion list of the latest published version (技能等级晋升)"
    )
    async def promotions(self, competition_id: FromPath[int]) -> PromotionList:
        return await promotion.promotion_list(competition_id)

    @post(
        "/promotions/confirm",
        status_code=200,
        summary="Confirm the promotion list once: levels raised, each person's history records it (audited)",
    )
    async def confirm(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[ConfirmIn]
    ) -> PromotionList:
        return await promotion.confirm(actor_of(request.user), competition_id, data)

    @get(
        "/promotions/export.xlsx",
        summary="The confirmed promotions for the human resources bureau, full ID numbers (audited)",
        responses=download(XLSX),
    )
    async def hr_workbook(self, request: CurrentRequest, competition_id: FromPath[int]) -> Response[bytes]:
        content, name = await promotion.hr_workbook(actor_of(request.user), competition_id)
        return Response(
            content=content,
            media_type=export.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


PAGES = [
    page(
        "/organizer/competitions/{competition_id:int}/teams", "results-teams.html", "Organizer: named teams"
    ),
    page(
        "/organizer/competitions/{competition_id:int}/results/promotions",
        "results-promotions.html",
        "Organizer: skill-level promotion list, confirmation, the bureau's workbook",
    ),
]

ROUTES = [TeamController, StandingsController, *PAGES]
