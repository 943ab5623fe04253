"""The pages' inline SVG charts: the same figures give the same bytes, a suppressed value is
left out and breaks the line, the axes say what they show, a non-comparable bar is marked."""

from __future__ import annotations

import re
from decimal import Decimal

from services.web.charts import Bar, TrendPoint, bar_chart, nice_scale, runs, trend_chart

POINTS = [TrendPoint("2021", 25, "25"), TrendPoint("2022", None, "suppressed"),
          TrendPoint("2023", 20, "20"), TrendPoint("2024", 30.5, "30.5")]  # fmt: skip


def _trend(points: list[TrendPoint] = POINTS) -> str:
    return str(trend_chart(points, chart_id="ID-01", title="Victims identified, MK",
                           x_title="Year", y_title="Number", whole=True))  # fmt: skip


def test_the_same_figures_draw_the_same_bytes() -> None:
    assert _trend().encode() == _trend().encode()
    bars = [Bar("Albania", 69, "69"), Bar("Serbia", 44, "44", marked=True)]
    first = bar_chart(bars, chart_id="c", title="t", axis_title="Number", marked_label="x")
    assert str(first) == str(bar_chart(bars, chart_id="c", title="t", axis_title="Number",
                                       marked_label="x"))  # fmt: skip


def test_a_suppressed_year_breaks_the_line_and_is_labelled_not_drawn() -> None:
    svg = _trend()
    assert runs(POINTS) == [[0], [2, 3]]
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 1 and len(lines[0].split()) == 2, "only 2023-2024 are joined"
    assert svg.count("<circle") == 3
    assert ">suppressed</text>" in svg


def test_the_running_year_stands_apart_from_the_line() -> None:
    points = [TrendPoint("2024", 30, "30"), TrendPoint("2025", 26, "26"),
              TrendPoint("2026", 1, "1", provisional=True)]  # fmt: skip
    assert runs(points) == [[0, 1], [2]]
    assert 'fill="#ffffff"' in _trend(points)


def test_the_axes_are_labelled_with_their_titles_periods_and_ticks() -> None:
    svg = _trend()
    for text in ("Year", "Number", "2021", "2024", ">0<", ">40<", ">30.5<"):
        assert text in svg
    assert 'role="img"' in svg and '<title id="ID-01-title">Victims identified, MK</title>' in svg


def test_an_axis_starts_at_zero_and_ends_on_a_round_number() -> None:
    assert nice_scale([97.3]).ticks == [Decimal(n) for n in (0, 20, 40, 60, 80, 100)]
    assert nice_scale([3], whole=True).ticks == [Decimal(n) for n in (0, 1, 2, 3)]
    assert nice_scale([]).high == 1


def test_a_non_comparable_bar_is_hatched_and_says_so_in_words() -> None:
    bars = [Bar("Albania", 69, "69"), Bar("Bosnia and Herzegovina", 43, "43", marked=True),
            Bar("Montenegro", None, "suppressed")]  # fmt: skip
    svg = str(bar_chart(bars, chart_id="cmp", title="t", axis_title="Number",
                        marked_label="not comparable"))  # fmt: skip
    assert '<pattern id="cmp-hatch"' in svg
    assert svg.count('fill="url(#cmp-hatch)"') == 2, "the bar and its legend"
    assert ">43 (not comparable)</text>" in svg
    assert svg.count("<rect") == 1 + 2 + 1, "the pattern's ground, two bars, the legend"
    assert ">suppressed</text>" in svg


def test_labels_are_escaped() -> None:
    svg = str(bar_chart([Bar("A & <B>", 1, "1")], chart_id="x", title="<t>", axis_title="n"))
    assert "A &amp; &lt;B&gt;" in svg and "&lt;t&gt;" in svg
