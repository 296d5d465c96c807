"""A contestant's own certificates: the honours they were awarded (programme certificates,
:mod:`awards.certificates`) and the prizes of published competition results (read through
``scoring.published``, the typed function: awards never reads scoring's tables), each with a download.

Only the logged-in person's own: the person comes from the session, never from the request."""

from __future__ import annotations

import anyio

from accounts.schemas import CurrentUser
from accounts.tables import Person
from awards.certificates import CertificateData, missing_glyphs, render_certificate
from awards.rules import prize_body
from awards.schemas import KIND_NAMES, MyCertificates, MyHonour, MyPrize
from awards.tables import Nomination
from core.db import SHANGHAI
from core.errors import DomainError, NotFound
from scoring.published import PublishedResult, published_results

# Who issues a competition's prize certificates (the competitions are the zone union's).
PRIZE_ISSUER = "北京经济技术开发区总工会"


async def my_certificates(viewer: CurrentUser) -> MyCertificates:
    """The logged-in person's honours and prizes (empty lists for an account without a person)."""
    if viewer.person_id is None:
        return MyCertificates(honours=[], prizes=[])
    rows = (
        await Nomination.select(
            Nomination.id,
            Nomination.certificate_no,
            Nomination.programme.as_alias("programme_id"),
            Nomination.programme.name.as_alias("programme_name"),
            Nomination.programme.kind.as_alias("kind"),
            Nomination.programme.awarded_on.as_alias("awarded_on"),
        )
        .where(
            (Nomination.person == viewer.person_id)
            & (Nomination.status == "awarded")
            & Nomination.certificate_no.is_not_null()
        )
        .order_by(Nomination.id)
    )
    honours = [
        MyHonour(
            programme_id=r["programme_id"],
            programme_name=r["programme_name"],
            award=KIND_NAMES.get(r["kind"], r["kind"]),
            certificate_no=r["certificate_no"],
            awarded_on=r["awarded_on"],
            download_url=f"/api/nominations/{r['id']}/certificate.pdf",
        )
        for r in rows
    ]
    prizes = [
        MyPrize(
            competition_id=p.competition_id,
            competition_title=p.competition_title,
            prize=p.prize or "",
            rank=p.rank,
            final_score=str(p.final_score),
            published_at=p.published_at,
            download_url=f"/api/my/prize-certificates/{p.competition_id}/certificate.pdf",
        )
        for p in await _my_prizes(viewer.person_id)
    ]
    return MyCertificates(honours=honours, prizes=prizes)


async def _my_prizes(person_id: int, competition_id: int | None = None) -> list[PublishedResult]:
    results = await published_results(
        None if competition_id is None else [competition_id], person_ids=[person_id]
    )
    return [r for r in results if r.tier is not None and r.prize]


def prize_number(result: PublishedResult) -> str:
    """``YC2026-JS12-0034``: year, competition, person: stable across republications."""
    return f"YC{result.year}-JS{result.competition_id}-{result.person_id:04d}"


async def prize_certificate_pdf(viewer: CurrentUser, competition_id: int) -> tuple[bytes, str]:
    """The logged-in person's prize certificate of one competition's latest published result (else 404)."""
    found = [] if viewer.person_id is None else await _my_prizes(viewer.person_id, competition_id)
    if not found:
        raise NotFound("您在该竞赛没有获奖证书", code="no_certificate", field="competition_id")
    result = found[0]
    person = (
        await Person.select(Person.name, Person.employer.name.as_alias("employer_name"))
        .where(Person.id == viewer.person_id)
        .first()
    )
    assert person is not None, "a published result names a person who exists"
    data = CertificateData(
        certificate_no=prize_number(result),
        name=person["name"],
        employer_name=person["employer_name"] or "",
        programme_name=result.competition_title,
        year=result.year,
        award=result.prize or "",
        awarded_on=result.published_at.astimezone(SHANGHAI).date(),
        issuer=PRIZE_ISSUER,
        body=prize_body(result.competition_title, result.prize or ""),
    )
    missing = missing_glyphs(data.name)
    if missing:
        raise DomainError(
            f"证书字体缺少「{'、'.join(missing)}」的字形，请联系组织者线下制作证书",
            code="glyph_missing",
            field="name",
            status=409,
            detail={"characters": missing},
        )
    content = await anyio.to_thread.run_sync(render_certificate, data)
    return content, f"获奖证书-{data.certificate_no}.pdf"
