"""Routes of the award: the organizer awards the final list; the public reads the honour roll (and its
spreadsheet); organizers and the awardee download the certificate."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from accounts.rules import Role
from accounts.security import PUBLIC_READ, actor_of, allow
from awards import certificates, honours, my_certificates
from awards.routes.shared import ORGANIZER, CurrentRequest, disposition
from awards.schemas import AwardIn, HonourRoll, MyCertificates
from core.openapi import PDF, XLSX, download


class AwardController(Controller):
    path = "/api/programmes/{programme_id:int}"
    tags = ["awards"]
    opt = ORGANIZER

    @post("/award", status_code=200, summary="Award the final list (refused while objections are pending)")
    async def award(
        self, request: CurrentRequest, programme_id: FromPath[int], data: JSONBody[AwardIn]
    ) -> HonourRoll:
        return await honours.award(actor_of(request.user), programme_id, data)


class PublicHonoursController(Controller):
    path = "/api/public/programmes/{programme_id:int}"
    tags = ["awards"]

    @get("/honours", opt=PUBLIC_READ, summary="The honour roll: name, employer, award")
    async def honours(self, programme_id: FromPath[int]) -> HonourRoll:
        return await honours.honour_roll(programme_id)

    @get(
        "/honours.xlsx",
        opt=PUBLIC_READ,
        summary="The honour roll as a spreadsheet",
        responses=download(XLSX),
    )
    async def honours_xlsx(self, programme_id: FromPath[int]) -> Response[bytes]:
        content, filename = await honours.honours_xlsx(programme_id)
        return Response(
            content,
            media_type=XLSX,
            headers={"content-disposition": disposition(filename)},
        )


def _certificate_response(content: bytes, filename: str) -> Response[bytes]:
    """A certificate shown in the browser's PDF viewer; personal, so never cached on the way."""
    return Response(
        content,
        media_type=PDF,
        headers={
            "content-disposition": disposition(filename, "inline"),
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-store",
        },
    )


@get(
    "/api/nominations/{nomination_id:int}/certificate.pdf",
    opt=allow(Role.ORGANIZER, Role.CONTESTANT),
    tags=["awards"],
    summary="An awardee's certificate (PDF): organizers, and the awardee's own account",
    responses=download(PDF, disposition="inline"),
)
async def certificate(request: CurrentRequest, nomination_id: FromPath[int]) -> Response[bytes]:
    return _certificate_response(*await certificates.certificate_pdf(request.user, nomination_id))


class MyCertificatesController(Controller):
    """The logged-in contestant's own honours and prize certificates."""

    path = "/api/my"
    tags = ["awards"]
    opt = allow(Role.CONTESTANT)

    @get("/certificates", summary="My honours and competition prizes, each with its certificate's download")
    async def mine(self, request: CurrentRequest) -> MyCertificates:
        return await my_certificates.my_certificates(request.user)

    @get(
        "/prize-certificates/{competition_id:int}/certificate.pdf",
        summary="My prize certificate of a competition (PDF)",
        responses=download(PDF, disposition="inline"),
    )
    async def prize_certificate(
        self, request: CurrentRequest, competition_id: FromPath[int]
    ) -> Response[bytes]:
        return _certificate_response(
            *await my_certificates.prize_certificate_pdf(request.user, competition_id)
        )
