"""Downloads: a figure as XLSX, and the term report (the figures of a union congress report) as text and PDF.

The PDF draws the same SVG charts as the page (fpdf2 renders SVG, its ``<text>`` in the CJK font registered
under :data:`PDF_FONT`), and finds that font the way the awards certificates do
(``awards.certificates.cjk_font``).
"""

from __future__ import annotations

import datetime as dt
import io
import re

from awards.certificates import cjk_font
from core import spreadsheets
from reports import charts
from reports.schemas import Dashboard, Figure

PDF_FONT = "cjk"
ISSUER = "北京经济技术开发区总工会"
REPORT_FIGURES = (
    "trend_by_year",
    "competitions_by_industry",
    "entries_by_industry",
    "entries_by_gender",
    "entries_by_age_band",
    "honours_by_programme",
    "union_participation",
    "skill_promotions",
)


def _text_cell(cell: object, value: object) -> None:
    """Labels are text whatever they start with (a name like "=1+1" never becomes a formula)."""
    spreadsheets.put(cell, value)


def figure_workbook(figure: Figure, start: dt.date, end: dt.date) -> bytes:
    from openpyxl.styles import Font

    book = spreadsheets.new_book()
    sheet = book.active
    assert sheet is not None
    sheet.title = "数据"
    _text_cell(sheet.cell(row=1, column=1), figure.title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    _text_cell(sheet.cell(row=2, column=1), f"统计期：{start.isoformat()} 至 {end.isoformat()}")
    for column, name in enumerate(["项目", *figure.columns], start=1):
        _text_cell(sheet.cell(row=4, column=column), name)
        sheet.cell(row=4, column=column).font = Font(bold=True)
    for index, row in enumerate(figure.rows, start=5):
        _text_cell(sheet.cell(row=index, column=1), row.label)
        for column, value in enumerate(row.values, start=2):
            sheet.cell(row=index, column=column, value=value)
    total_row = len(figure.rows) + 5
    if figure.chart != "line" and "‰" not in "".join(figure.columns):
        _text_cell(sheet.cell(row=total_row, column=1), "合计")
        for column in range(len(figure.columns)):
            sheet.cell(row=total_row, column=column + 2, value=sum(r.values[column] for r in figure.rows))
    if figure.note:
        _text_cell(sheet.cell(row=total_row + 2, column=1), figure.note)
    sheet.column_dimensions["A"].width = 36
    sheet.freeze_panes = "B5"
    return spreadsheets.xlsx_bytes(book)


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def report_paragraphs(dashboard: Dashboard) -> list[str]:
    """The figures of the report in the words a congress report uses; every number is the dashboard's."""
    h = dashboard.headline
    honours = next(f for f in dashboard.figures if f.name == "honours_by_programme")
    named = "、".join(f"“{r.label}”{r.values[0]:,}名" for r in honours.rows) or "无"
    share = f"{h.unions_took_part * 100 / h.unions:.1f}%" if h.unions else "—"
    return [
        f"统计期自{_day(dashboard.start)}至{_day(dashboard.end)}。",
        f"共举办职业技能竞赛{h.competitions:,}场，职工报名{h.registrations:,}人次，实际参赛{h.participants:,}人次"
        f"（{h.people:,}人），{h.winners:,}人次获奖。",
        f"评选表彰{h.honours:,}名：{named}。",
        f"全区{h.unions:,}个基层工会中，{h.unions_took_part:,}个参与了竞赛或评选推荐（{share}），"
        f"{h.unions - h.unions_took_part:,}个未参与；{h.enterprises_took_part:,}家企业有职工参赛。",
        _promotions_sentence(dashboard),
    ]


def _promotions_sentence(dashboard: Dashboard) -> str:
    figure = next((f for f in dashboard.figures if f.name == "skill_promotions"), None)
    levels = "、".join(f"{r.label}{r.values[0]:,}人次" for r in figure.rows if r.values[0]) if figure else ""
    total = dashboard.headline.promotions
    return f"通过竞赛晋升职业技能等级{total:,}人次" + (f"（晋升为{levels}）。" if levels else "。")


def report_pdf(dashboard: Dashboard, title: str) -> bytes:
    """The term report as an A4 PDF: title, the figures in words, then each chart."""
    from fpdf import FPDF

    path, face = cjk_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author(ISSUER)
    pdf.set_creator("亦城职工技能竞赛与工匠评选平台")
    pdf.add_font(PDF_FONT, "", path, collection_font_number=face)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(PDF_FONT, size=18)
    pdf.multi_cell(0, 10, title, align="C", wrapmode="CHAR")
    pdf.ln(4)
    pdf.set_font(PDF_FONT, size=12)
    for paragraph in report_paragraphs(dashboard):
        pdf.multi_cell(0, 7, "　　" + paragraph, wrapmode="CHAR")
        pdf.ln(1)
    figures = {f.name: f for f in dashboard.figures}
    for name in REPORT_FIGURES:
        # fpdf2 draws no <title> (the page's accessible name): left out rather than warned about each time.
        svg = re.sub(r"<title>.*?</title>", "", charts.chart(figures[name], PDF_FONT)).encode()
        height = 180 * _svg_height(svg) / charts.WIDTH
        if pdf.get_y() + height > pdf.h - 15:
            pdf.add_page()
        pdf.ln(4)
        pdf.image(io.BytesIO(svg), x=15, w=180)
    return bytes(pdf.output())


def _svg_height(svg: bytes) -> float:
    marker = b'height="'
    start = svg.index(marker) + len(marker)
    return float(svg[start : svg.index(b'"', start)])
