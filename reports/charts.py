"""Charts as SVG text: pure functions of a figure, drawn the same for the page and for the PDF.

Every chart writes its numbers beside the marks (people read them, and the PDF has no tooltip), escapes
every label, and takes the font family as an argument: the page names system CJK fonts, the PDF names the
font registered with fpdf2 (which draws SVG ``<text>`` with it).

- ``bar``: horizontal bars of one column, the largest rows first (at most :data:`MAX_BARS`, the rest summed);
- ``share``: one 100 % bar split by row, with each share's count and per cent;
- ``line``: a small panel per column over the years (columns differ by orders of magnitude);
- ``table``: figures too long to draw whole get the bar chart of their top rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reports.schemas import Figure, FigureRow

WEB_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
WIDTH = 640
MAX_BARS = 12
PALETTE = ("#b4232a", "#d9822b", "#2b6cb0", "#2f855a", "#6b46c1", "#718096", "#b7791f", "#319795")
INK, MUTED, GRID = "#1a202c", "#4a5568", "#e2e8f0"


def _text(
    x: float, y: float, text: str, font: str, *, size: int = 12, anchor: str = "start", fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{escape(font)}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _svg(height: float, title: str, body: Sequence[str], font: str) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}">'
    )
    return "".join(
        (head, f"<title>{escape(title)}</title>", _text(0, 18, title, font, size=15), *body, "</svg>")
    )


def _top(rows: Sequence[FigureRow], column: int, limit: int) -> list[tuple[str, int]]:
    """The largest rows of a column, the rest summed into one "其他" row."""
    ordered = sorted(rows, key=lambda r: -r.values[column])
    top = [(r.label, r.values[column]) for r in ordered[:limit]]
    rest = sum(r.values[column] for r in ordered[limit:])
    return [*top, ("其他", rest)] if len(ordered) > limit else top


def bar_chart(figure: Figure, font: str = WEB_FONT, column: int | None = None) -> str:
    """Horizontal bars of ``column`` (the figure's participants for entry figures, else its first column)."""
    column = _main_column(figure) if column is None else column
    bars = _top(figure.rows, column, MAX_BARS) if figure.chart != "bar" or len(figure.rows) > MAX_BARS else [
        (r.label, r.values[column]) for r in figure.rows
    ]  # fmt: skip
    label_w, top, step = 190, 44, 26
    scale = (
        (WIDTH - label_w - 70) / max([v for _, v in bars] or [1]) if bars and max(v for _, v in bars) else 0
    )
    body = [_text(0, 36, figure.columns[column], font, size=11, fill=MUTED)]
    for index, (label, value) in enumerate(bars):
        y = top + index * step
        short = label if len(label) <= 14 else label[:13] + "…"
        body.append(_text(label_w - 8, y + 15, short, font, anchor="end"))
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{value * scale:.1f}" height="16" fill="{PALETTE[0]}"/>'
        )
        body.append(_text(label_w + value * scale + 6, y + 15, f"{value:,}", font))
    if not bars:
        body.append(_text(0, top + 16, "本期没有数据", font, fill=MUTED))
    return _svg(top + max(len(bars), 1) * step + 10, figure.title, body, font)


def share_chart(figure: Figure, font: str = WEB_FONT, column: int | None = None) -> str:
    """One bar of 100 %, a segment per row, and a legend with counts and per cent."""
    column = _main_column(figure) if column is None else column
    parts = _top(figure.rows, column, len(PALETTE) - 1)
    total = sum(v for _, v in parts)
    body, x = [], 0.0
    for index, (_, value) in enumerate(parts):
        width = WIDTH * value / total if total else 0
        color = PALETTE[index % len(PALETTE)]
        body.append(f'<rect x="{x:.1f}" y="34" width="{width:.1f}" height="28" fill="{color}"/>')
        x += width
    for index, (label, value) in enumerate(parts):
        y = 84 + index * 22
        share = f"{value * 100 / total:.1f}%" if total else "—"
        body.append(
            f'<rect x="0" y="{y - 11}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        body.append(_text(18, y, f"{label}  {value:,}（{share}）", font))
    if not total:
        body.append(_text(0, 84, "本期没有数据", font, fill=MUTED))
    return _svg(84 + max(len(parts), 1) * 22, figure.title, body, font)


def line_chart(figure: Figure, font: str = WEB_FONT) -> str:
    """A panel per column: its line over the rows (years), each point labelled with its value."""
    panel_h, left, right = 96, 90, WIDTH - 30
    body = []
    xs = [left + (right - left) * i / max(len(figure.rows) - 1, 1) for i in range(len(figure.rows))]
    for c, name in enumerate(figure.columns):
        top = 34 + c * panel_h
        values = [r.values[c] for r in figure.rows]
        high = max(values or [0]) or 1
        ys = [top + 66 - 48 * v / high for v in values]
        body.append(_text(0, top + 40, name, font, size=12, fill=MUTED))
        body.append(f'<line x1="{left}" y1="{top + 66}" x2="{right}" y2="{top + 66}" stroke="{GRID}"/>')
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        color = PALETTE[c % len(PALETTE)]
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y, v in zip(xs, ys, values, strict=True):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
            body.append(_text(x, y - 7, f"{v:,}", font, size=11, anchor="middle"))
    bottom = 34 + len(figure.columns) * panel_h
    body += [
        _text(x, bottom, r.label, font, size=11, anchor="middle")
        for x, r in zip(xs, figure.rows, strict=True)
    ]
    return _svg(bottom + 10, figure.title, body, font)


def _main_column(figure: Figure) -> int:
    """Entry figures are drawn by participants (参赛人次), others by their first column."""
    return figure.columns.index("参赛人次") if "参赛人次" in figure.columns else 0


def chart(figure: Figure, font: str = WEB_FONT) -> str:
    if figure.chart == "line":
        return line_chart(figure, font)
    if figure.chart == "share":
        return share_chart(figure, font)
    return bar_chart(figure, font)
