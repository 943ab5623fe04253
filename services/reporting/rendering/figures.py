"""Figures as a report prints and orders them, the same on every machine.

Numbers are rounded half up through `Decimal` (never through float formatting or the locale,
which differ between platforms); a float that holds a whole number prints as one, so a count
that travelled through JSON (12.0) and one computed again by an auditor (12) read alike.
Cells are ordered by the catalogue, not by the order the values arrived in: a report rebuilt
from a replay must lay out its tables exactly as the published one did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from services.indicators.catalogue import UNKNOWN, Catalogue, Disclosure
from services.indicators.evaluator import Cell, Value

Number = int | float
NO_DATA = "\u2014"  # em dash
MINUS = "\u2212"  # the minus sign, not the hyphen
# Decimals printed per unit; money is shown in whole euros, shares to one decimal.
DECIMALS = {"count": 0, "percent": 1, "days": 1, "months": 1, "EUR": 0, "score": 0}
SUFFIX = {"percent": "%", "days": " days", "months": " months", "EUR": " EUR"}
DIFFERENCE_SUFFIX = {"percent": " pp", "days": " days", "months": " months", "EUR": " EUR"}


def plain(number: Number | None) -> Number | None:
    """The number in its canonical type: a whole float becomes an int."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def decimal(number: Number) -> Decimal:
    # str() first: Decimal(0.15) would carry the float's binary expansion into the rounding.
    return Decimal(str(plain(number)))


def grouped(number: Number | Decimal, decimals: int) -> str:
    """`1,234.5`: rounded half up, comma thousands, point decimals (no locale yet)."""
    value = number if isinstance(number, Decimal) else decimal(number)
    if decimals == 0 and value == value.to_integral_value():
        return f"{int(value):,}"
    step = Decimal(1).scaleb(-decimals)
    return f"{value.quantize(step, rounding=ROUND_HALF_UP):,.{decimals}f}"


def amount(number: Number | None, unit: str) -> str:
    """A value in its unit (`45.5%`, `12.0 days`, `1,200 EUR`), or a dash when there is none."""
    if number is None:
        return NO_DATA
    return grouped(number, DECIMALS.get(unit, 1)) + SUFFIX.get(unit, "")


def count(number: Number | None) -> str:
    if number is None:
        return NO_DATA
    whole = decimal(number) == decimal(number).to_integral_value()
    return grouped(number, 0 if whole else 1)


def threshold(cell: Cell, disclosure: Disclosure) -> int:
    """The smallest published count for a cell (the disclosure-control rule of README §6.2)."""
    return disclosure.min_cell if len(cell) <= 1 else disclosure.k_cross


def suppressed(cell: Cell, disclosure: Disclosure) -> str:
    return f"suppressed (< {threshold(cell, disclosure)})"


def shown(value: Value | None, disclosure: Disclosure) -> str:
    """The printed value. A suppressed value shows the words only: its figures are blank, and
    even if a caller passed them filled they must not appear."""
    if value is None:
        return NO_DATA
    if value.suppressed:
        return suppressed(value.cell, disclosure)
    return amount(value.value, value.unit)


def parts(value: Value | None) -> str:
    """`numerator / denominator` for a share; empty where the value is the numerator."""
    if value is None or value.suppressed or value.denominator is None:
        return ""
    return f"{count(value.numerator)} / {count(value.denominator)}"


def difference(current: Number, previous: Number, unit: str) -> tuple[str, int]:
    """The change from `previous`, printed with its sign, and the sign (-1, 0, 1)."""
    delta = decimal(current) - decimal(previous)
    sign = (delta > 0) - (delta < 0)
    text = grouped(abs(delta), DECIMALS.get(unit, 1)) + DIFFERENCE_SUFFIX.get(unit, "")
    return ("+" if sign > 0 else MINUS if sign < 0 else "±") + text, sign


@dataclass(frozen=True)
class CellOrder:
    """Sort keys from the catalogue: indicators in catalogue order, breakdowns in the order
    the indicator lists them, categories in the order the breakdown lists them. Categories of
    an open list (countries) follow alphabetically, `unknown` last. Every key names its
    breakdowns and categories, so no two cells tie and the input order never shows."""

    catalogue: Catalogue

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {code: n for n, code in enumerate(self.catalogue.codes)}

    @cached_property
    def _breakdowns(self) -> dict[str, tuple[str, ...]]:
        return {i.code: i.disaggregations for i in self.catalogue.indicators}

    def indicator(self, code: str) -> int:
        return self._positions[code]

    def category(self, dimension: str, category: str) -> tuple[int, int, str]:
        d = self.catalogue.disaggregations.get(dimension)
        listed = d.categories if d is not None else ()
        if category in listed and category != UNKNOWN:
            return (0, listed.index(category), "")
        return (1, int(category == UNKNOWN), category)

    def cell(self, code: str, cell: Cell) -> tuple[object, ...]:
        listed = self._breakdowns[code]
        dims = tuple((listed.index(dim) if dim in listed else len(listed), dim) for dim, _ in cell)
        return (len(cell), dims, tuple(self.category(dim, cat) for dim, cat in cell))

    def values(self, values: Iterable[Value]) -> list[Value]:
        return sorted(
            values, key=lambda v: (self.indicator(v.indicator), self.cell(v.indicator, v.cell))
        )

    def cells(self, code: str, cells: Iterable[Cell]) -> list[Cell]:
        return sorted(set(cells), key=lambda cell: self.cell(code, cell))


def by_dimension(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    """One-way cells grouped by their breakdown, in the order given."""
    grouped_cells: dict[str, list[Cell]] = {}
    for cell in cells:
        if len(cell) == 1:
            grouped_cells.setdefault(cell[0][0], []).append(cell)
    return grouped_cells
