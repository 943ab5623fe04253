"""Trend sparklines as inline SVG, drawn in Python so that the same figures give the same bytes.

Coordinates are computed in `Decimal` from the values and printed with one decimal, so a chart
does not depend on float arithmetic or formatting. A chart carries no text: the figures it
draws are printed beside it (the accessible alternative), and the SVG is hidden from screen
readers so they are not read twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup

from services.reporting.rendering.figures import Number, decimal

WIDTH, HEIGHT, PAD = 96, 24, 3
LINE, MARK, BASE = "#1f4e79", "#c0504d", "#b0b0b0"
TENTH = Decimal("0.1")


def _coordinate(number: Decimal) -> str:
    return str(number.quantize(TENTH, rounding=ROUND_HALF_UP))


def _xs(n: int) -> list[Decimal]:
    if n == 1:
        return [Decimal(WIDTH) / 2]
    step = Decimal(WIDTH - 2 * PAD) / (n - 1)
    return [PAD + step * i for i in range(n)]


def _ys(points: Sequence[Number | None]) -> list[Decimal | None]:
    """Heights from zero (counts and shares start there: a chart that starts at the minimum
    makes a change of one look like a collapse) to the largest value."""
    known = [decimal(p) for p in points if p is not None]
    low = min([Decimal(0), *known])
    high = max([Decimal(0), *known])
    span = (high - low) or Decimal(1)
    bottom, height = Decimal(HEIGHT - PAD), Decimal(HEIGHT - 2 * PAD)
    return [None if p is None else bottom - (decimal(p) - low) / span * height for p in points]


def _runs(xs: Sequence[Decimal], ys: Sequence[Decimal | None]) -> list[list[tuple[str, str]]]:
    """Stretches of consecutive known points; a missing or suppressed year breaks the line."""
    runs: list[list[tuple[str, str]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            runs.append([])
        else:
            runs[-1].append((_coordinate(x), _coordinate(y)))
    return [run for run in runs if run]


def sparkline(points: Sequence[Number | None]) -> Markup:
    """A line over the periods (oldest first), a dot on each isolated point and on the last
    known one; empty if nothing is known."""
    xs, ys = _xs(len(points)), _ys(points) if points else []
    base = _coordinate(Decimal(HEIGHT - PAD))
    shapes = [f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{BASE}" '
              'stroke-width="0.5"/>']  # fmt: skip
    runs = _runs(xs, ys) if points else []
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" '
                          'stroke-width="1.5" stroke-linejoin="round"/>')  # fmt: skip
        else:
            shapes.append(_dot(run[0], LINE))
    if runs:
        shapes.append(_dot(runs[-1][-1], MARK))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" aria-hidden="true" focusable="false">'
        + "".join(shapes)
        + "</svg>"
    )


def _dot(point: tuple[str, str], colour: str) -> str:
    return f'<circle cx="{point[0]}" cy="{point[1]}" r="1.8" fill="{colour}"/>'
