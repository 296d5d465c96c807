"""HTTP routes of rounds (轮次): read them (organizers, the competition's judges), close one (organizers).

Thin: parse, authorize by ``opt``, call :mod:`scoring.rounds`.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import actor_of, allow
from core.openapi import errors
from scoring import rounds
from scoring.rounds_schemas import RoundCloseIn, RoundsOut

CurrentRequest = Request[CurrentUser, Any, Any]


class RoundController(Controller):
    path = "/api/competitions/{competition_id:int}/rounds"
    tags = ["rounds"]
    opt = allow(Role.ORGANIZER)

    @get(
        "/",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="The declared rounds, each closed round's standing and the next round's starting order",
    )
    async def list_rounds(self, request: CurrentRequest, competition_id: FromPath[int]) -> RoundsOut:
        return await rounds.read_rounds(request.user, competition_id)

    @post(
        "/{round_id:str}/close",
        status_code=200,
        summary="结束本轮: record who goes through the cut (未晋级 get no later sheets) and the next order",
        responses=errors({409: "the round is closed, the last, after an open round, or has marks missing"}),
    )
    async def close_round(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        round_id: FromPath[str],
        data: JSONBody[RoundCloseIn],
    ) -> RoundsOut:
        return await rounds.close_round(actor_of(request.user), competition_id, round_id, data)


ROUTES: list[Any] = [RoundController]
