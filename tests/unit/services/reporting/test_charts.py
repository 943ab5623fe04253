"""Sparklines are drawn from the figures alone: the same figures give the same SVG, a missing
year breaks the line, and the chart holds no text (the figures are printed beside it)."""

from __future__ import annotations

import re

from services.reporting.rendering.charts import HEIGHT, sparkline


def points(svg: str) -> list[tuple[float, float]]:
    found = re.findall(r'points="([^"]*)"', svg)
    return [tuple(map(float, pair.split(","))) for run in found for pair in run.split()]


def test_the_same_figures_draw_the_same_chart() -> None:
    assert sparkline([31, 36, 41.0]) == sparkline([31.0, 36, 41])


def test_a_larger_value_is_drawn_higher() -> None:
    drawn = points(sparkline([10, 20, 5]))
    assert drawn[1][1] < drawn[0][1] < drawn[2][1]


def test_heights_start_at_zero_so_a_small_change_does_not_look_like_a_collapse() -> None:
    drawn = points(sparkline([100, 99]))
    assert drawn[0][1] < drawn[1][1] < drawn[0][1] + 1
    assert all(y < HEIGHT for _, y in drawn)


def test_a_missing_or_suppressed_year_breaks_the_line() -> None:
    svg = sparkline([4, 5, None, 7, 8])
    assert svg.count("<polyline") == 2
    assert sparkline([None, None]).count("<polyline") == 0
    assert "<circle" not in sparkline([None, None])


def test_the_chart_holds_no_text_and_is_hidden_from_screen_readers() -> None:
    svg = sparkline([1, 2, 3])
    assert 'aria-hidden="true"' in svg
    assert "<text" not in svg and "<title" not in svg
