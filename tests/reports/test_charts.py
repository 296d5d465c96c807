"""The SVG charts: well-formed, each number beside its mark, labels escaped, no data said as such."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from reports import charts
from reports.schemas import Figure, FigureRow

NS = "{http://www.w3.org/2000/svg}"


def _figure(chart: str, rows: list[tuple[str, list[int]]], columns: list[str] | None = None) -> Figure:
    figure_rows = [FigureRow(key=str(i), label=label, values=v) for i, (label, v) in enumerate(rows)]
    return Figure(name="f", title="标题 <&>", chart=chart, columns=columns or ["竞赛场次"], rows=figure_rows)  # type: ignore[arg-type]


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{NS}text")]


def test_bars_write_each_value_and_escape_labels() -> None:
    svg = charts.chart(_figure("bar", [("A<b>", [1200]), ("B&C", [30])]))
    texts = _texts(svg)
    assert "1,200" in texts and "30" in texts and "A<b>" in texts and "B&C" in texts
    assert len(ET.fromstring(svg).findall(f"{NS}rect")) == 2


def test_long_figures_draw_their_top_rows_and_sum_the_rest() -> None:
    rows = [(f"工会{i}", [i]) for i in range(1, 31)]
    texts = _texts(charts.chart(_figure("table", rows)))
    assert "其他" in texts
    assert f"{sum(range(1, 31 - charts.MAX_BARS)):,}" in texts


def test_shares_give_count_and_per_cent() -> None:
    texts = _texts(charts.chart(_figure("share", [("男", [3]), ("女", [1])])))
    assert "男  3（75.0%）" in texts and "女  1（25.0%）" in texts


def test_lines_label_every_point() -> None:
    figure = _figure("line", [("2024年", [5, 100]), ("2025年", [7, 90])], columns=["竞赛场次", "报名人次"])
    texts = _texts(charts.chart(figure))
    assert {"5", "7", "100", "90", "2024年", "2025年"} <= set(texts)


def test_an_empty_figure_says_so() -> None:
    assert "本期没有数据" in _texts(charts.chart(_figure("bar", [])))
    assert "本期没有数据" in _texts(charts.chart(_figure("share", [])))


@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.lists(st.integers(0, 10**6), min_size=1, max_size=1)), max_size=30
    )
)
def test_any_figure_is_well_formed_svg(rows: list[tuple[str, list[int]]]) -> None:
    clean = [("".join(c for c in label if c.isprintable()), values) for label, values in rows]
    for kind in ("bar", "share", "table"):
        ET.fromstring(charts.chart(_figure(kind, clean), font="cjk"))
