"""HTTP routes of score entry: thin; parse, authorize (by ``opt``), call the use case's module.

- ``/api/competitions/{id}/...``: the organizer sets the rubric, the panel, recusals, log-in links and
  imported marks (judges may read the rubric of their own competition).
- ``/api/judge/...``: a judge's tablet: their contestants (station and blind code only), sheets, sign.
- ``/api/chief/...``: the chief judge: progress, tolerance flags, stage sign-off, disqualification.
- ``/api/scoring/corrections``: corrections after submission or sign-off (chief judge or organizer).
- pages: ``/judge`` (tablet), ``/judge/login`` (one-time link: scoring.link_routes), ``/judge/chief``,
  ``/organizer/scoring``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import actor_of, allow
from competitions.sheets import MAX_UPLOAD_BYTES
from core.errors import none_if_absent
from core.openapi import errors
from core.pages import page
from scoring import (
    absences,
    chief,
    corrections,
    entry,
    link_routes,
    links,
    mark_import,
    panel,
    results_routes,
    rounds_routes,
    rules,
    scheme,
    signoff,
    standings_routes,
    tablet,
)
from scoring.schemas import (
    AbsenceIn,
    AcceptFlagIn,
    ChiefOverview,
    ConflictIn,
    ContestantFactsOut,
    ContestantRow,
    CorrectionIn,
    DisqualifyIn,
    FlagOut,
    ImportedMarkOut,
    ImportResult,
    JudgeCompetitionOut,
    JudgesIn,
    LinkOut,
    OwnConflictIn,
    PanelOut,
    RevokeOut,
    SchemeIn,
    SchemeOut,
    SheetIn,
    SheetOut,
    SheetSummary,
    SignIn,
    SignoffOut,
    SignOut,
    TimeUsedIn,
)

CurrentRequest = Request[CurrentUser, Any, Any]
SIGNED_OFF = "该裁判已为该选手评分且阶段已签字确认，不能更改回避：code = stage_signed_off"
# The file's stated limit (competitions.sheets.MAX_UPLOAD_BYTES, shown on the page) plus the form around it.
MAX_IMPORT_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


class MyCompetition(msgspec.Struct, kw_only=True):
    competition_id: int
    title: str
    occupation: str
    state: str
    judge_no: int
    is_chief: bool


class ScoringSetupController(Controller):
    """The organizer's side: rubric, panel, recusal, links, imported marks."""

    path = "/api/competitions/{competition_id:int}"
    tags = ["scoring"]
    opt = allow(Role.ORGANIZER)

    @get(
        "/scoring",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="The competition's scoring rules (judges: their own competitions only)",
    )
    async def get_scheme(self, request: CurrentRequest, competition_id: FromPath[int]) -> SchemeOut | None:
        # null before the first rubric is saved (not a 404: "none yet" is the page's normal state)
        return await none_if_absent(scheme.get_scheme(request.user, competition_id), "no_scheme")

    @put("/scoring", summary="Set the scoring rules (version-checked; 409 once the first mark is in)")
    async def put_scheme(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[SchemeIn]
    ) -> SchemeOut:
        return await scheme.put_scheme(actor_of(request.user), competition_id, data)

    @get("/scoring/template", summary="A starting rubric built from the competition's stages")
    async def scheme_template(self, competition_id: FromPath[int]) -> rules.CompetitionRules:
        return await scheme.get_scheme_template(competition_id)

    @get("/judges", summary="The panel: judges, chief, modules, recusals, panel problems")
    async def get_panel(self, competition_id: FromPath[int]) -> PanelOut:
        return await panel.get_panel(competition_id)

    @post("/judges", status_code=200, summary="Add judges (or change chief / modules); the panel is checked")
    async def assign_judges(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[JudgesIn]
    ) -> PanelOut:
        return await panel.assign_judges(actor_of(request.user), competition_id, data.judges)

    @delete("/judges/{judge_id:int}", status_code=200, summary="Take a judge without marks off the panel")
    async def remove_judge(
        self, request: CurrentRequest, competition_id: FromPath[int], judge_id: FromPath[int]
    ) -> PanelOut:
        return await panel.remove_judge(actor_of(request.user), competition_id, judge_id)

    @post(
        "/judges/{judge_id:int}/conflicts",
        status_code=200,
        summary="Record a judge's declared conflict",
        responses=errors({409: SIGNED_OFF}),
    )
    async def declare_conflict(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        judge_id: FromPath[int],
        data: JSONBody[ConflictIn],
    ) -> PanelOut:
        return await panel.declare_conflict(
            actor_of(request.user),
            competition_id,
            judge_id,
            data.registration_id,
            data.registration_no,
            data.reason,
        )

    @delete(
        "/judges/{judge_id:int}/conflicts/{registration_id:int}",
        status_code=200,
        summary="Withdraw a declared conflict entered by mistake",
        responses=errors({409: SIGNED_OFF}),
    )
    async def withdraw_conflict(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        judge_id: FromPath[int],
        registration_id: FromPath[int],
    ) -> PanelOut:
        return await panel.withdraw_conflict(
            actor_of(request.user), competition_id, judge_id, registration_id
        )

    @post("/judges/{judge_id:int}/absences", status_code=200, summary="Record a judge absent (缺席)")
    async def record_absence(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        judge_id: FromPath[int],
        data: JSONBody[AbsenceIn],
    ) -> PanelOut:
        await absences.record_absence(actor_of(request.user), competition_id, judge_id, data)
        return await panel.get_panel(competition_id)

    @delete("/absences/{absence_id:int}", status_code=200, summary="Withdraw an absence entered by mistake")
    async def withdraw_absence(
        self, request: CurrentRequest, competition_id: FromPath[int], absence_id: FromPath[int]
    ) -> PanelOut:
        await absences.withdraw_absence(actor_of(request.user), competition_id, absence_id)
        return await panel.get_panel(competition_id)

    @post("/recusals/refresh", status_code=200, summary="Record employer recusals (e.g. after the draw)")
    async def refresh_recusals(self, request: CurrentRequest, competition_id: FromPath[int]) -> PanelOut:
        return await panel.refresh_recusals_now(actor_of(request.user), competition_id)

    @post("/judges/{judge_id:int}/link", status_code=201, summary="A one-time log-in link and QR code")
    async def create_link(
        self, request: CurrentRequest, competition_id: FromPath[int], judge_id: FromPath[int]
    ) -> LinkOut:
        created = await links.create_links(
            actor_of(request.user), competition_id, [judge_id], str(request.base_url)
        )
        return created[0]

    @post("/judges/links", status_code=201, summary="One-time log-in links for every judge (printable sheet)")
    async def create_links(self, request: CurrentRequest, competition_id: FromPath[int]) -> list[LinkOut]:
        return await links.create_links(actor_of(request.user), competition_id, None, str(request.base_url))

    @post(
        "/judges/{judge_id:int}/link/revoke", status_code=200, summary="Revoke a judge's links and sessions"
    )
    async def revoke_link(
        self, request: CurrentRequest, competition_id: FromPath[int], judge_id: FromPath[int]
    ) -> RevokeOut:
        return RevokeOut(revoked=await links.revoke_links(actor_of(request.user), competition_id, judge_id))

    @post(
        "/stages/{stage_id:int}/imported-marks",
        status_code=200,
        request_max_body_size=MAX_IMPORT_BYTES,
        summary="Import a stage's marks (XLSX/CSV by blind code or registration number); all or nothing",
    )
    async def import_marks(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        stage_id: FromPath[int],
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportResult:
        content = await data.read()
        return await mark_import.import_marks(actor_of(request.user), competition_id, stage_id, content)

    @get("/stages/{stage_id:int}/imported-marks", summary="A stage's imported marks")
    async def list_imported_marks(
        self, competition_id: FromPath[int], stage_id: FromPath[int]
    ) -> list[ImportedMarkOut]:
        return await mark_import.imported_marks(competition_id, stage_id)


class JudgeController(Controller):
    """The judge's tablet: contestants by station and blind code, sheets, signing."""

    path = "/api/judge"
    tags = ["scoring"]
    opt = allow(Role.JUDGE)

    @get("/competitions", summary="The competitions this judge is on")
    async def my_competitions(self, request: CurrentRequest) -> list[MyCompetition]:
        return [MyCompetition(**row) for row in await tablet.my_competitions(request.user)]

    @get("/competitions/{competition_id:int}", summary="Judge number, chief flag and the rubric to mark")
    async def competition(
        self, request: CurrentRequest, competition_id: FromPath[int]
    ) -> JudgeCompetitionOut:
        return await tablet.judge_competition(request.user, competition_id)

    @get(
        "/competitions/{competition_id:int}/sheets",
        summary="Contestants to mark (station, blind code, progress); recused ones absent",
    )
    async def sheets(self, request: CurrentRequest, competition_id: FromPath[int]) -> list[ContestantRow]:
        return await tablet.judge_sheets(request.user, competition_id)

    @get(
        "/competitions/{competition_id:int}/stages/{stage_id:int}/sheets/{blind_code:str}",
        summary="One of my sheets (version 0 before the first write)",
    )
    async def sheet(
        self,
        request: CurrentRequest,
        competition_id: FromPath[int],
        stage_id: FromPath[int],
        blind_code: FromPath[str],
    ) -> SheetOut:
        return await entry.get_sheet(request.user, competition_id, stage_id, blind_code)

    @put("/sheets", summary="Save or submit marks: idempotent by client_id, version-checked, one transaction")
    async def put_sheet(self, request: CurrentRequest, data: JSONBody[SheetIn]) -> Response[SheetOut]:
        out, replayed = await entry.put_sheet(request.user, actor_of(request.user), data)
        return Response(out, headers={"x-replayed": "1" if replayed else "0"})

    @post("/sheets/{sheet_id:int}/sign", status_code=200, summary="Sign my submitted sheet (locks it)")
    async def sign_sheet(
        self, request: CurrentRequest, sheet_id: FromPath[int], data: JSONBody[SignIn | None] = None
    ) -> SignOut:
        version = data.version if data is not None else None
        keep = data is not None and data.keep_marks
        return await signoff.sign_sheet(
            request.user, actor_of(request.user), sheet_id, version, keep_marks=keep
        )

    @post(
        "/competitions/{competition_id:int}/stages/{stage_id:int}/sign",
        status_code=200,
        summary="Sign all my submitted sheets of a stage (those with open tolerance flags are skipped)",
    )
    async def sign_stage(
        self, request: CurrentRequest, competition_id: FromPath[int], stage_id: FromPath[int]
    ) -> SignOut:
        return await signoff.sign_stage_sheets(request.user, actor_of(request.user), competition_id, stage_id)

    @post(
        "/competitions/{competition_id:int}/conflicts",
        status_code=204,
        summary="Declare my own conflict with a contestant (by blind code): I am recused from them",
        responses=errors({409: SIGNED_OFF}),
    )
    async def declare_conflict(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[OwnConflictIn]
    ) -> None:
        await panel.declare_own_conflict(
            request.user, actor_of(request.user), competition_id, data.blind_code, data.reason
        )


class ChiefController(Controller):
    """The chief judge (裁判长): progress, tolerance flags, sign-off, disqualification."""

    path = "/api/chief"
    tags = ["scoring"]
    opt = allow(Role.JUDGE)

    @get(
        "/competitions/{competition_id:int}/sheets",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Every judge's sheets by judge number (chief or organizer), to review and correct",
    )
    async def sheets(
        self, request: CurrentRequest, competition_id: FromPath[int], blind_code: FromQuery[str | None] = None
    ) -> list[SheetSummary]:
        return await chief.chief_sheets(request.user, competition_id, blind_code)

    @get(
        "/competitions/{competition_id:int}",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Progress per judge and stage, flagged aspects, contestants' status (chief or organizer)",
    )
    async def overview(self, request: CurrentRequest, competition_id: FromPath[int]) -> ChiefOverview:
        return await chief.chief_overview(request.user, competition_id)

    @post(
        "/competitions/{competition_id:int}/stages/{stage_id:int}/signoff",
        status_code=200,
        summary="Sign off a stage (409 with open flags / unsigned sheets)",
        responses=errors({409: "仍有未处理的分差标记或未签字的评分表，或已签字确认：code 说明原因"}),
    )
    async def signoff(
        self, request: CurrentRequest, competition_id: FromPath[int], stage_id: FromPath[int]
    ) -> SignoffOut:
        return await signoff.signoff_stage(request.user, actor_of(request.user), competition_id, stage_id)

    @post(
        "/competitions/{competition_id:int}/judges/{judge_id:int}/link",
        status_code=201,
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Re-issue a judge's one-time link at the venue (chief or organizer); unused ones die",
    )
    async def reissue_link(
        self, request: CurrentRequest, competition_id: FromPath[int], judge_id: FromPath[int]
    ) -> LinkOut:
        return await links.reissue_link(
            request.user, actor_of(request.user), competition_id, judge_id, str(request.base_url)
        )

    @post("/flags/{flag_id:int}/accept", status_code=200, summary="Accept a tolerance flag with a reason")
    async def accept_flag(
        self, request: CurrentRequest, flag_id: FromPath[int], data: JSONBody[AcceptFlagIn]
    ) -> FlagOut:
        return await signoff.accept_flag(request.user, actor_of(request.user), flag_id, data.reason)

    @post(
        "/competitions/{competition_id:int}/disqualifications",
        status_code=200,
        summary="Disqualify (or reinstate) a contestant, with a reason; marks stay on record",
    )
    async def disqualify(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[DisqualifyIn]
    ) -> ContestantFactsOut:
        return await corrections.disqualify(request.user, actor_of(request.user), competition_id, data)

    @put(
        "/competitions/{competition_id:int}/time-used",
        opt=allow(Role.ORGANIZER, Role.JUDGE),
        summary="Record a contestant's time used (a tie-break)",
    )
    async def time_used(
        self, request: CurrentRequest, competition_id: FromPath[int], data: JSONBody[TimeUsedIn]
    ) -> ContestantFactsOut:
        return await corrections.set_time_used(request.user, actor_of(request.user), competition_id, data)


class CorrectionController(Controller):
    path = "/api/scoring/corrections"
    tags = ["scoring"]
    opt = allow(Role.ORGANIZER, Role.JUDGE)

    @post("/", status_code=200, summary="Correct a mark after submission or sign-off (chief or organizer)")
    async def correct(self, request: CurrentRequest, data: JSONBody[CorrectionIn]) -> SheetSummary:
        return await corrections.correct_mark(request.user, actor_of(request.user), data)


PAGES = [
    page("/judge", "judge.html", "Judge tablet page"),
    page("/judge/chief", "chief.html", "Chief judge page"),
    page("/organizer/scoring", "organizer-scoring.html", "Organizer: rubric, judges, links"),
    page(
        "/organizer/scoring/links", "organizer-scoring-links.html", "Organizer: printable judge log-in sheet"
    ),
]

# What app.py mounts: score entry's routes, then the results half's (scoring.results_routes), then teams'
# and promotion's (scoring.standings_routes), then rounds' (scoring.rounds_routes).
ROUTES: list[Any] = [
    ScoringSetupController,
    JudgeController,
    ChiefController,
    CorrectionController,
    *link_routes.ROUTES,
    *PAGES,
    *results_routes.ROUTES,
    *standings_routes.ROUTES,
    *rounds_routes.ROUTES,
]
