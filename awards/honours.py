"""The award (表彰): the final list, the public honour roll, its XLSX export and each awardee's certificate.

Entering 已表彰 (through ``awards.service.transition_programme``; the check below runs in its transaction) is
refused while any objection is pending, before the public notice has ended, or without a shortlist. It
marks everyone still on the list ``awarded``, numbers their certificates (``YC2026-GJ-0001``: year, award,
serial in list order) and records the day.

The honour roll, the XLSX and the certificate carry public facts only: name, employer, award, number.
Certificates are PDF (fpdf2) with a CJK font embedded as a subset: Noto Serif CJK SC from Debian's
``fonts-noto-cjk`` (fpdf2 reads the .ttc collection and picks the Simplified Chinese face), falling back to
Noto Sans CJK, WenQuanYi or AR PL (see :data:`FONT_CANDIDATES`).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
import msgspec

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from awards import notice, review
from awards import service as awards_service
from awards.later_schemas import AwardIn, HonourItem, HonourRoll
from awards.rules import ProgrammeState
from awards.schemas import KIND_NAMES, TransitionIn
from awards.tables import Nomination, Objection, Programme
from core.errors import Conflict, DomainError, NotFound

ISSUER = "北京经济技术开发区总工会"
KIND_CODES = {
    "craftsman": "GJ",  # 工匠
    "model_worker": "LM",  # 劳模
    "advanced_worker": "XJ",  # 先进
    "good_employee": "HZG",  # 好职工
    "good_manager": "HJL",  # 好经理
    "collective": "JT",  # 集体
}
PUBLISHED_STATES = frozenset({ProgrammeState.AWARDED, ProgrammeState.ARCHIVED})


# ------------------------------------------------------------------------------------------------ award


async def _certificate_prefix(row: dict[str, Any]) -> str:
    prefix = f"YC{row['year']}-{KIND_CODES.get(row['kind'], 'RY')}"
    taken = await Nomination.exists().where(
        Nomination.certificate_no.like(f"{prefix}-%") & (Nomination.programme != row["id"])
    )
    # A second programme of the same kind and year gets its id in the prefix, so numbers never collide.
    return f"{prefix}{row['id']}" if taken else prefix


@awards_service.on_transition(ProgrammeState.AWARDED)
async def enter_awarded(actor: Actor, row: dict[str, Any]) -> None:
    """Inside the transition to 已表彰: the checks, then the statuses, certificate numbers and the day."""
    pending = await Objection.count().where(
        (Objection.programme == row["id"]) & (Objection.status == "pending")
    )
    if pending:
        raise Conflict(
            f"还有 {pending} 件异议未处理，处理完毕后方可表彰",
            code="objections_pending",
            field="target",
            detail={"pending": pending},
        )
    end = row["notice_ends_on"]
    today = notice.today()
    if end is None or today <= end:
        raise Conflict(
            "公示期尚未结束，公示期满后方可表彰"
            if end is None
            else f"公示期至 {end.isoformat()} 结束，公示期满后方可表彰",
            code="notice_not_ended",
            field="target",
            detail={"notice_ends_on": None if end is None else end.isoformat()},
        )
    report = await notice.stored_report(row)
    on_list = {
        r["id"]
        for r in await Nomination.select(Nomination.id).where(
            (Nomination.programme == row["id"]) & (Nomination.status == "shortlisted")
        )
    }
    entries = [e for e in (report.selected if report else []) if e.nomination_id in on_list]
    if not entries:
        raise Conflict("建议名单为空，不能表彰", code="empty_shortlist", field="target")
    prefix = await _certificate_prefix(row)
    numbered = []
    for serial, entry in enumerate(entries, start=1):
        number = f"{prefix}-{serial:04d}"
        await Nomination.update(
            {
                Nomination.status: "awarded",
                Nomination.certificate_no: number,
                Nomination.version: Nomination.version + 1,
            }
        ).where(Nomination.id == entry.nomination_id)
        numbered.append(msgspec.structs.replace(entry, status="awarded", certificate_no=number))
    await Programme.update({Programme.awarded_on: today}).where(Programme.id == row["id"])
    assert report is not None
    await notice.store_report(row["id"], msgspec.structs.replace(report, selected=numbered))
    await audit.record(
        actor,
        "programme.award",
        "programme",
        row["id"],
        after={
            "awarded": len(numbered),
            "certificates": [numbered[0].certificate_no, numbered[-1].certificate_no],
            "awarded_on": today.isoformat(),
        },
    )


async def award(actor: Actor, programme_id: int, data: AwardIn) -> HonourRoll:
    await awards_service.transition_programme(
        actor,
        programme_id,
        TransitionIn(target=ProgrammeState.AWARDED, version=data.version, reason=data.reason.strip()),
    )
    return await honour_roll(programme_id)


# ------------------------------------------------------------------------------------------- honour roll


async def honour_roll(programme_id: int) -> HonourRoll:
    """The public honour roll: name, employer and award; 404 until the programme is awarded."""
    row = await review.programme_row(programme_id)
    if row["state"] not in PUBLISHED_STATES:
        raise NotFound("该评选尚未公布表彰名单", code="not_published", field="programme_id")
    award_name = KIND_NAMES.get(row["kind"], row["kind"])
    rows = (
        await Nomination.select(
            Nomination.certificate_no,
            Nomination.person.name.as_alias("name"),
            Nomination.person.employer.name.as_alias("employer_name"),
        )
        .where((Nomination.programme == programme_id) & (Nomination.status == "awarded"))
        .order_by(Nomination.certificate_no)
    )
    return HonourRoll(
        programme_id=programme_id,
        name=row["name"],
        year=row["year"],
        kind_name=award_name,
        awarded_on=row["awarded_on"],
        items=[
            HonourItem(
                certificate_no=r["certificate_no"] or "",
                name=r["name"],
                employer_name=r["employer_name"],
                award=award_name,
            )
            for r in rows
        ],
    )


def _text_cell(cell: Any, value: str) -> None:
    """A cell that is text whatever it starts with (a name like "=1+1" never becomes a formula)."""
    cell.value = value
    cell.data_type = "s"


def honours_workbook(roll: HonourRoll) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "表彰名单"
    title = f"{roll.name}表彰名单"
    _text_cell(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    headers = ["序号", "证书编号", "姓名", "工作单位", "荣誉称号"]
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column)
        _text_cell(cell, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for index, item in enumerate(roll.items, start=1):
        row = index + 2
        sheet.cell(row=row, column=1, value=index)
        for column, value in enumerate(
            (item.certificate_no, item.name, item.employer_name or "", item.award), start=2
        ):
            _text_cell(sheet.cell(row=row, column=column), value)
    for column, width in zip("ABCDE", (6, 18, 12, 36, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def honours_xlsx(programme_id: int) -> tuple[bytes, str]:
    roll = await honour_roll(programme_id)
    content = await anyio.to_thread.run_sync(honours_workbook, roll)
    return content, f"{roll.name}表彰名单.xlsx"


# ------------------------------------------------------------------------------------------- certificate

# (path, face name to look for in a collection): the first file present wins.
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN"),
)


class FontMissing(RuntimeError):
    """No CJK font on the machine: install Debian's fonts-noto-cjk."""


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
    body = (
        f"在“{data.programme_name}”评选活动中，经推荐、资格审查、专家评审和社会公示，被评为“{data.award}”。"
    )
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
