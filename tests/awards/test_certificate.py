"""The certificate: a PDF whose Chinese text is really there (embedded CJK font), for the organizer and the
awardee's own account only."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import shutil
from asyncio.subprocess import PIPE
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from accounts.tables import User
from awards import certificates
from tests.awards.pipeline_factories import award_on, open_notice_on, person, shortlisted
from tests.helpers import login, new_client, pdf_text


@pytest.fixture
async def awarded(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    built = await shortlisted(
        organizer,
        world,
        [person("欧阳振华"), person("李二", 1)],
        {"欧阳振华": 90, "李二": 80},
        total_awards=1,
    )
    pid = built["programme_id"]
    await open_notice_on(organizer, monkeypatch, pid)
    await award_on(organizer, monkeypatch, pid)
    return built


async def test_the_certificate_has_the_chinese_text_in_an_embedded_font(
    organizer: httpx.AsyncClient, awarded: dict[str, Any]
) -> None:
    nomination_id = awarded["nominations"]["欧阳振华"]
    response = await organizer.get(f"/api/nominations/{nomination_id}/certificate.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for expected in (
        "荣誉证书",
        "欧阳振华同志",
        "“亦城工匠”",
        "甲公司",
        "YC2026-GJ-0001",
        "二〇二六年十月十三日",
    ):
        assert expected in text, (expected, text)
    fonts = PdfReader(io.BytesIO(response.content)).pages[0]["/Resources"]["/Font"]
    descriptor = (
        next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    )
    assert "CJK" in str(descriptor["/FontName"]) and (
        "/FontFile3" in descriptor or "/FontFile2" in descriptor
    )


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
async def test_the_certificate_renders_to_an_image(
    organizer: httpx.AsyncClient, awarded: dict[str, Any]
) -> None:
    response = await organizer.get(f"/api/nominations/{awarded['nominations']['欧阳振华']}/certificate.pdf")
    process = await asyncio.create_subprocess_exec(
        "pdftoppm", "-png", "-r", "30", "-singlefile", "-", stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    out, _ = await process.communicate(response.content)
    assert process.returncode == 0 and out.startswith(b"\x89PNG")


async def test_only_the_awardee_and_organizers_get_the_certificate(
    app: Any, organizer: httpx.AsyncClient, awarded: dict[str, Any], world: dict[str, Any]
) -> None:
    nomination_id = awarded["nominations"]["欧阳振华"]
    path = f"/api/nominations/{nomination_id}/certificate.pdf"
    async with new_client(app) as contestant:
        await login(contestant, "contestant")  # the world's contestant is someone else
        other = await contestant.get(path)
        assert other.status_code == 404 and other.json()["code"] == "no_certificate"
        await User.update({User.person: awarded["people"]["欧阳振华"]}).where(
            User.id == world["users"]["contestant"]
        )
        own = await contestant.get(path)
        assert own.status_code == 200 and "欧阳振华" in pdf_text(own.content)
    not_awarded = await organizer.get(f"/api/nominations/{awarded['nominations']['李二']}/certificate.pdf")
    assert not_awarded.status_code == 404
    async with new_client(app) as anonymous:
        assert (await anonymous.get(path)).status_code == 401
    async with new_client(app) as expert:
        await login(expert, "expert")
        assert (await expert.get(path)).status_code == 403


def test_chinese_dates_as_certificates_print_them() -> None:
    assert certificates.chinese_date(dt.date(2026, 12, 8)) == "二〇二六年十二月八日"
    assert certificates.chinese_date(dt.date(2027, 10, 21)) == "二〇二七年十月二十一日"
    assert certificates.chinese_date(dt.date(2030, 1, 30)) == "二〇三〇年一月三十日"


async def test_names_outside_the_basic_plane_and_with_a_middle_dot_are_printed(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = await shortlisted(
        organizer,
        world,
        [person("𠮷田·买买提"), person("王𪛖", 1)],
        {"𠮷田·买买提": 90, "王𪛖": 85},
        total_awards=2,
    )
    pid = built["programme_id"]
    await open_notice_on(organizer, monkeypatch, pid)
    await award_on(organizer, monkeypatch, pid)
    printed = await organizer.get(f"/api/nominations/{built['nominations']['𠮷田·买买提']}/certificate.pdf")
    assert printed.status_code == 200, printed.text
    assert "𠮷田·买买提同志" in pdf_text(printed.content)
    # 𪛖 (U+2A6D6) is a valid name character the certificate font has no glyph for: said plainly, not a
    # certificate with an empty box in the name.
    assert certificates.missing_glyphs("王𪛖") == ["𪛖"]
    refused = await organizer.get(f"/api/nominations/{built['nominations']['王𪛖']}/certificate.pdf")
    assert refused.status_code == 409
    assert refused.json()["code"] == "glyph_missing" and "𪛖" in refused.json()["message"]
    roll = (await organizer.get(f"/api/public/programmes/{pid}/honours")).json()
    assert {"𠮷田·买买提", "王𪛖"} <= {item["name"] for item in roll["items"]}


async def test_without_a_chinese_font_the_certificate_is_503_naming_the_package(
    organizer: httpx.AsyncClient, awarded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(certificates, "FONT_CANDIDATES", (("/nonexistent/font.ttc", "Noto Sans CJK SC"),))
    caches = (certificates.cjk_font, certificates.render_certificate)
    for cached in caches:  # a certificate rendered by an earlier test would be answered from the cache
        cached.cache_clear()
    try:
        nomination_id = awarded["nominations"]["欧阳振华"]
        response = await organizer.get(f"/api/nominations/{nomination_id}/certificate.pdf")
    finally:
        for cached in caches:
            cached.cache_clear()
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "font_missing"
    assert "fonts-noto-cjk" in body["message"]


def test_a_programme_named_with_its_activity_word_and_quotes_prints_once() -> None:
    data = certificates.CertificateData(
        certificate_no="YC2026-HZG-0001",
        name="王三",
        employer_name="乙公司",
        programme_name="2026 年度亦城“爱企业的好职工”评选",
        year=2026,
        award="爱企业的好职工",
        awarded_on=dt.date(2026, 10, 13),
    )
    text = pdf_text(certificates.render_certificate(data))
    assert "在“2026年度亦城‘爱企业的好职工’评选”活动中" in text, text
    assert "评选”评选" not in text and "““" not in text
