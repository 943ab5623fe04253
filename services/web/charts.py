"""The pages' charts as inline SVG: a trend line over periods and horizontal bars (countries, or
the categories of a breakdown), with labelled axes and a label on every value.

Drawn in Python so that the same figures give the same bytes: coordinates are computed in
`Decimal` and printed with one decimal. Nothing here translates or formats for a locale: the
caller passes every text (titles, value labels, the word for a suppressed cell) and a function
that writes the axis numbers. A chart is an image with a title (role="img"); the page puts a
table of the same figures beside it, which is the text alternative.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

Number = Decimal | float | int
Write = Callable[[Decimal], str]

FONT = "DejaVu Sans, Noto Sans, Arial, sans-serif"
LINE, MARKED, GRID, AXIS, MUTED = "#1f4e79", "#8a1c1c", "#d9d9d9", "#4a4a4a", "#4a4a4a"
TENTH = Decimal("0.1")
STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class TrendPoint:
    period: str  # the label under the axis
    value: Number | None  # None: not known or suppressed; not drawn, and it breaks the line
    label: str  # the value as the page prints it ("12", "34.5 %", "suppressed")
    provisional: bool = False  # the running year: an open dot, not joined to the line


@dataclass(frozen=True)
class Bar:
    label: str  # the category: a country, a sex, an age group
    value: Number | None  # None: no bar, only its label ("suppressed", "no figures")
    value_label: str
    marked: bool = False  # drawn hatched and with the mark's words: never by colour alone


@dataclass(frozen=True)
class Scale:
    low: Decimal
    high: Decimal
    step: Decimal

    @property
    def ticks(self) -> list[Decimal]:
        count = int((self.high - self.low) / self.step)
        return [_tidy(self.low + self.step * n) for n in range(count + 1)]

    def share(self, value: Decimal) -> Decimal:
        """Where a value lies between low (0) and high (1)."""
        return (value - self.low) / (self.high - self.low)


def _tidy(number: Decimal) -> Decimal:
    """20 rather than 2E+1, 0.5 rather than 0.50: the number a reader writes."""
    return Decimal(format(number.normalize(), "f"))


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _c(number: Decimal) -> str:
    """A coordinate: one decimal, half up, without a trailing '.0' for whole numbers."""
    text = str(number.quantize(TENTH, rounding=ROUND_HALF_UP))
    return text[:-2] if text.endswith(".0") else text


def _nice_step(span: Decimal, ticks: int, whole: bool) -> Decimal:
    raw = span / ticks
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for multiple in STEPS:
        step = multiple * magnitude
        if step >= raw and (not whole or step == step.to_integral_value()):
            return step
    return Decimal(10) * magnitude


def nice_scale(values: Sequence[Number | None], ticks: int = 5, whole: bool = False) -> Scale:
    """An axis from zero (or the lowest negative value) to a round number above the largest:
    counts and shares start at zero, or a change of one looks like a collapse. `whole`: the
    steps are whole numbers (counts)."""
    known = [_decimal(v) for v in values if v is not None]
    low, high = min([Decimal(0), *known]), max([Decimal(0), *known])
    if high == low:
        high = low + 1
    step = _nice_step(high - low, ticks, whole)
    top = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    bottom = -((-low / step).to_integral_value(rounding=ROUND_CEILING) * step)
    return Scale(bottom, top, step)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _safe_id(chart_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", chart_id) or "chart"


def _text(x: Decimal, y: Decimal, content: str, anchor: str = "middle", size: int = 11,
          colour: str = AXIS, extra: str = "") -> str:  # fmt: skip
    return (f'<text x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{colour}"{extra}>{escape(content)}</text>')  # fmt: skip


def _svg(chart_id: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    ident = _safe_id(chart_id)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'aria-labelledby="{ident}-title" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}">'
        f'<title id="{ident}-title">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


# --- trend ----------------------------------------------------------------------------------
TREND_WIDTH, TREND_HEIGHT = 520, 270
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 72, 16, 24, 56


def _trend_xs(n: int) -> list[Decimal]:
    width = Decimal(TREND_WIDTH - TREND_LEFT - TREND_RIGHT)
    return [TREND_LEFT + width * (2 * i + 1) / (2 * n) for i in range(n)]


def _trend_y(scale: Scale, value: Decimal) -> Decimal:
    height = Decimal(TREND_HEIGHT - TREND_TOP - TREND_BOTTOM)
    return TREND_HEIGHT - TREND_BOTTOM - scale.share(value) * height


def runs(points: Sequence[TrendPoint]) -> list[list[int]]:
    """The stretches of consecutive known points (their indexes): an unknown or suppressed
    period breaks the line, so no trend is drawn across a value nobody may see; a provisional
    point stands alone (a year half over is no fall)."""
    found: list[list[int]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            found.append([])
        elif point.provisional:
            found += [[index], []]
        else:
            found[-1].append(index)
    return [run for run in found if run]


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    chart_id: str,
    title: str,
    x_title: str,
    y_title: str,
    write: Write = _plain,
    whole: bool = False,
) -> Markup:
    """A line over the periods (oldest first) with a dot and a label on each known value and
    the label alone (e.g. "suppressed") where the value is not drawn."""
    scale = nice_scale([p.value for p in points], whole=whole)
    xs = _trend_xs(len(points)) if points else []
    ys = [None if p.value is None else _trend_y(scale, _decimal(p.value)) for p in points]
    body = _trend_axes(scale, write, x_title, y_title)
    for run in runs(points):
        if len(run) > 1:
            coords = " ".join(f"{_c(xs[i])},{_c(ys[i])}" for i in run)  # type: ignore[arg-type]
            body.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" '
                        'stroke-width="2" stroke-linejoin="round"/>')  # fmt: skip
    base = Decimal(TREND_HEIGHT - TREND_BOTTOM)
    for x, y, point in zip(xs, ys, points, strict=True):
        if y is None:
            body.append(_text(x, base - 6, point.label, size=10, colour=MUTED,
                              extra=' font-style="italic"'))  # fmt: skip
        else:
            fill = "#ffffff" if point.provisional else LINE
            body.append(f'<circle cx="{_c(x)}" cy="{_c(y)}" r="3.5" fill="{fill}" '
                        f'stroke="{LINE}" stroke-width="1.5"/>')  # fmt: skip
            body.append(_text(x, y - 8, point.label, colour="#1a1a1a"))
        body.append(_text(x, base + 16, point.period))
    return _svg(chart_id, title, TREND_WIDTH, TREND_HEIGHT, body)


def _trend_axes(scale: Scale, write: Write, x_title: str, y_title: str) -> list[str]:
    left, right = Decimal(TREND_LEFT), Decimal(TREND_WIDTH - TREND_RIGHT)
    base = Decimal(TREND_HEIGHT - TREND_BOTTOM)
    shapes = []
    for tick in scale.ticks:
        y = _trend_y(scale, tick)
        shapes.append(f'<line x1="{_c(left)}" y1="{_c(y)}" x2="{_c(right)}" y2="{_c(y)}" '
                      f'stroke="{GRID}" stroke-width="1"/>')  # fmt: skip
        shapes.append(_text(left - 6, y + 4, write(tick), anchor="end", size=10))
    shapes.append(f'<line x1="{_c(left)}" y1="{_c(base)}" x2="{_c(right)}" y2="{_c(base)}" '
                  f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    shapes.append(f'<line x1="{_c(left)}" y1="{TREND_TOP}" x2="{_c(left)}" y2="{_c(base)}" '
                  f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    middle_x = (left + right) / 2
    shapes.append(_text(middle_x, Decimal(TREND_HEIGHT - 8), x_title, size=12))
    middle_y = (Decimal(TREND_TOP) + base) / 2
    shapes.append(_text(Decimal(16), middle_y, y_title, size=12,
                        extra=f' transform="rotate(-90 16 {_c(middle_y)})"'))  # fmt: skip
    return shapes


# --- bars -----------------------------------------------------------------------------------
BAR_WIDTH, BAR_LABELS, BAR_RIGHT, BAR_TOP = 600, 180, 150, 12
ROW, THICKNESS, BAR_AXIS, LEGEND = 30, 18, 44, 26


def _hatch(ident: str) -> str:
    return (f'<defs><pattern id="{ident}-hatch" width="6" height="6" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MARKED}" stroke-width="3"/>'
            '</pattern></defs>')  # fmt: skip


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    axis_title: str,
    marked_label: str = "",
    write: Write = _plain,
    whole: bool = False,
) -> Markup:
    """One horizontal bar per category, its value label at its end. A marked bar (e.g. a
    country whose figure is not comparable) is hatched and its label says so in words; the
    legend under the axis explains the hatching."""
    ident = _safe_id(chart_id)
    scale = nice_scale([b.value for b in bars], whole=whole)
    marked = any(b.marked for b in bars)
    plot_bottom = BAR_TOP + ROW * len(bars)
    height = plot_bottom + BAR_AXIS + (LEGEND if marked else 0)
    body = [_hatch(ident)] if marked else []
    body += _bar_axis(scale, write, axis_title, plot_bottom)
    for n, bar in enumerate(bars):
        body += _bar(ident, scale, n, bar, marked_label)
    if marked:
        y = plot_bottom + BAR_AXIS + 4
        body.append(f'<rect x="{BAR_LABELS}" y="{y}" width="24" height="14" '
                    f'fill="url(#{ident}-hatch)" stroke="{MARKED}" stroke-width="1"/>')  # fmt: skip
        body.append(_text(Decimal(BAR_LABELS + 30), Decimal(y + 12), marked_label,
                          anchor="start"))  # fmt: skip
    return _svg(chart_id, title, BAR_WIDTH, height, body)


def _short(label: str, most: int = 26) -> str:
    """A category's name as it fits left of its bar (the table beside has it in full)."""
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def _bar_x(scale: Scale, value: Decimal) -> Decimal:
    return BAR_LABELS + scale.share(value) * (BAR_WIDTH - BAR_LABELS - BAR_RIGHT)


def _bar(ident: str, scale: Scale, n: int, bar: Bar, marked_label: str) -> list[str]:
    top = Decimal(BAR_TOP + ROW * n + (ROW - THICKNESS) / 2)
    middle = top + Decimal(THICKNESS) / 2 + 4
    shapes = [_text(Decimal(BAR_LABELS - 8), middle, _short(bar.label), anchor="end", size=12,
                    colour="#1a1a1a")]  # fmt: skip
    marked = bar.marked and marked_label
    label = f"{bar.value_label} ({marked_label})" if marked else bar.value_label
    if bar.value is None:
        shapes.append(_text(_bar_x(scale, Decimal(0)) + 6, middle, label, anchor="start",
                            size=11, colour=MUTED, extra=' font-style="italic"'))  # fmt: skip
        return shapes
    start, end = sorted((_bar_x(scale, Decimal(0)), _bar_x(scale, _decimal(bar.value))))
    fill = f"url(#{ident}-hatch)" if bar.marked else LINE
    stroke = MARKED if bar.marked else LINE
    shapes.append(
        f'<rect x="{_c(start)}" y="{_c(top)}" width="{_c(end - start)}" '
        f'height="{THICKNESS}" fill="{fill}" stroke="{stroke}" stroke-width="1"/>'
    )
    shapes.append(_text(end + 6, middle, label, anchor="start", colour="#1a1a1a"))
    return shapes


def _bar_axis(scale: Scale, write: Write, axis_title: str, plot_bottom: int) -> list[str]:
    shapes = []
    for tick in scale.ticks:
        x = _bar_x(scale, tick)
        shapes.append(f'<line x1="{_c(x)}" y1="{BAR_TOP}" x2="{_c(x)}" y2="{plot_bottom}" '
                      f'stroke="{GRID}" stroke-width="1"/>')  # fmt: skip
        shapes.append(_text(x, Decimal(plot_bottom + 15), write(tick), size=10))
    zero = _bar_x(scale, Decimal(0))
    shapes.append(f'<line x1="{_c(zero)}" y1="{BAR_TOP}" x2="{_c(zero)}" y2="{plot_bottom}" '
                  f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    middle = _bar_x(scale, (scale.low + scale.high) / 2)
    shapes.append(_text(middle, Decimal(plot_bottom + 34), axis_title, size=12))
    return shapes
