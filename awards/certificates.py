"""Each awardee's certificate (荣誉证书): an A4 PDF (fpdf2) carrying public facts only (name, employer,
award, number, the day), for organizers and the awardee's own account.

The CJK font is embedded as a subset: Noto Serif CJK SC from Debian's ``fonts-noto-cjk`` (fpdf2 reads the
.ttc collection and picks the Simplified Chinese face), falling back to Noto Sans CJK, WenQuanYi or AR PL
(see :data:`FONT_CANDIDATES`)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import anyio
import msgspec

from accounts.rules import Role
from accounts.schemas import CurrentUser
from awards import notice
from awards.rules import certificate_body
from awards.schemas import KIND_NAMES
from awards.tables import Nomination
from core.errors import DomainError, NotFound, ServiceUnavailable

ISSUER = "北京经济技术开发区总工会"


# (path, face name to look for in a collection): the first file present wins.
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN"),
)


class FontMissing(ServiceUnavailable):
    """No CJK font on the machine: 503 naming the package to install (Debian's fonts-noto-cjk)."""

    code = "font_missing"


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """The CJK font file and the face index in it (fpdf2 reads .ttc collections by face index)."""
    from fontTools.ttLib import TTCollection

    for path, face in FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        if not path.endswith((".ttc", ".otc")):
            return path, 0
        names = [f["name"].getDebugName(1) for f in TTCollection(path, lazy=True).fonts]
        return path, names.index(face) if face in names else 0
    raise FontMissing("没有可用的中文字体（请安装 fonts-noto-cjk）")


@lru_cache(maxsize=1)
def _font_characters() -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    path, face = cjk_font()
    font = TTCollection(path, lazy=True).fonts[face] if path.endswith((".ttc", ".otc")) else TTFont(path)
    return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` the certificate font cannot draw (a rare name character such as 𪛖)."""
    return list(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in _font_characters()))


class CertificateData(msgspec.Struct, frozen=True, kw_only=True):
    certificate_no: str
    name: str
    employer_name: str
    programme_name: str
    year: int
    award: str
    awarded_on: dt.date
    issuer: str = ISSUER
    body: str = ""  # the sentence after the name; "" = the programme's (certificate_body)


_CN_DIGITS = "〇一二三四五六七八九"


def chinese_date(day: dt.date) -> str:
    """二〇二六年十二月八日: the date as certificates print it."""

    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        tens, units = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[units] if units else "")

    year = "".join(_CN_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{small(day.month)}月{small(day.day)}日"


@lru_cache(maxsize=256)
def render_certificate(data: CertificateData) -> bytes:
    """One A4 landscape certificate (pure; cached: rendering embeds a font subset, about a second)."""
    from fpdf import FPDF

    path, face = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"荣誉证书 {data.certificate_no}")
    pdf.set_author(data.issuer)
    pdf.set_creator("亦城职工技能竞赛与工匠评选平台")
    pdf.add_font("cjk", "", path, collection_font_number=face)
    pdf.add_page()
    red, gold = (180, 35, 42), (196, 150, 64)
    pdf.set_draw_color(*red)
    pdf.set_line_width(2.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_draw_color(*gold)
    pdf.set_line_width(0.8)
    pdf.rect(16, 16, 265, 178)

    pdf.set_text_color(*red)
    pdf.set_font("cjk", size=46)
    pdf.set_char_spacing(12)
    pdf.set_xy(16, 34)
    pdf.cell(265, 22, "荣誉证书", align="C")
    pdf.set_char_spacing(0)

    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cjk", size=22)
    pdf.set_xy(40, 76)
    pdf.cell(217, 12, f"{data.name} 同志：", align="L")
    pdf.set_font("cjk", size=17)
    pdf.set_xy(52, 94)
    body = data.body or certificate_body(data.programme_name, data.award)
    pdf.multi_cell(205, 11, body, align="L", wrapmode="CHAR")
    pdf.set_x(52)
    pdf.cell(205, 11, "特发此证，以资鼓励。", align="L")
    pdf.set_font("cjk", size=13)
    pdf.set_xy(52, 140)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(205, 8, f"工作单位：{data.employer_name}", align="L")

    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cjk", size=17)
    pdf.set_xy(150, 160)
    pdf.cell(110, 10, data.issuer, align="C")
    pdf.set_xy(150, 171)
    pdf.cell(110, 10, chinese_date(data.awarded_on), align="C")
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(30, 178)
    pdf.cell(100, 8, f"证书编号：{data.certificate_no}", align="L")
    return bytes(pdf.output())


async def certificate_pdf(viewer: CurrentUser, nomination_id: int) -> tuple[bytes, str]:
    """An awardee's certificate: organizers, and the awardee's own contestant account (else 404)."""
    row = (
        await Nomination.select(
            Nomination.id,
            Nomination.person,
            Nomination.status,
            Nomination.certificate_no,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.name.as_alias("employer_name"),
            Nomination.programme.name.as_alias("programme_name"),
            Nomination.programme.year.as_alias("year"),
            Nomination.programme.kind.as_alias("kind"),
            Nomination.programme.awarded_on.as_alias("awarded_on"),
            Nomination.programme.issuing_body.as_alias("issuing_body"),
        )
        .where(Nomination.id == nomination_id)
        .first()
    )
    allowed = row is not None and (
        viewer.role == Role.ORGANIZER or (viewer.person_id is not None and viewer.person_id == row["person"])
    )
    if row is None or not allowed or row["status"] != "awarded" or not row["certificate_no"]:
        raise NotFound("没有该获奖证书", code="no_certificate", field="nomination_id")
    data = CertificateData(
        certificate_no=row["certificate_no"],
        name=row["name"],
        employer_name=row["employer_name"] or "",
        programme_name=row["programme_name"],
        year=row["year"],
        award=KIND_NAMES.get(row["kind"], row["kind"]),
        awarded_on=row["awarded_on"] or notice.today(),
        issuer=row["issuing_body"] or ISSUER,
    )
    missing = missing_glyphs(data.name + data.employer_name)
    if missing:
        raise DomainError(
            f"证书字体缺少「{'、'.join(missing)}」的字形，姓名或单位无法正确印出；"
            "请管理员安装包含这些字的字体（如思源宋体扩展字库）后再下载，或线下制作证书",
            code="glyph_missing",
            field="name",
            status=409,
            detail={"characters": missing, "font": cjk_font()[0]},
        )
    content = await anyio.to_thread.run_sync(render_certificate, data)
    return content, f"荣誉证书-{data.certificate_no}-{data.name}.pdf"
