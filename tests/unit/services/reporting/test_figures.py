"""Figures print the same on every machine: rounded half up, whole floats as whole numbers,
suppressed values as words, cells in catalogue order whatever order they came in."""

from __future__ import annotations

import random
from dataclasses import replace

from services.indicators.catalogue import Disclosure
from services.reporting.rendering import figures as fig
from tests.unit.services.reporting.samples import count, figures_of, hidden, seed, share

RULES = Disclosure(min_cell=5, k_cross=11)


def test_shares_are_rounded_half_up_to_one_decimal_not_to_the_nearest_float() -> None:
    assert round(0.15, 1) == 0.1  # what float rounding would print
    assert fig.amount(0.15, "percent") == "0.2%"
    assert fig.amount(72.25, "percent") == "72.3%"
    assert fig.amount(75, "percent") == "75.0%"


def test_a_whole_float_prints_as_the_whole_number_it_holds() -> None:
    assert fig.amount(12.0, "count") == fig.amount(12, "count") == "12"
    assert fig.plain(12.0) == 12 and isinstance(fig.plain(12.0), int)
    assert fig.plain(2.5) == 2.5


def test_units_are_printed_with_their_decimals_and_grouped_thousands() -> None:
    assert fig.amount(1234567, "count") == "1,234,567"
    assert fig.amount(12500.4, "EUR") == "12,500 EUR"
    assert fig.amount(37, "days") == "37.0 days"
    assert fig.amount(None, "count") == "\u2014"


def test_a_suppressed_value_shows_the_threshold_of_its_cell_and_no_figure() -> None:
    one_way = hidden("ID-01", "2024", {"sex": "male"})
    two_way = replace(one_way, cell=(("sex", "male"), ("age_group", "child")))
    assert fig.shown(one_way, RULES) == "suppressed (< 5)"
    assert fig.shown(two_way, RULES) == "suppressed (< 11)"
    assert fig.parts(replace(share("RF-01", "2024", 3, 9), suppressed=True)) == ""


def test_parts_are_shown_for_shares_only() -> None:
    assert fig.parts(share("RF-01", "2024", 18, 24)) == "18 / 24"
    assert fig.parts(count("ID-01", "2024", 41)) == ""


def test_a_change_carries_its_sign_and_unit() -> None:
    assert fig.difference(41, 36, "count") == ("+5", 1)
    assert fig.difference(35.5, 36.5, "days") == ("\u22121.0 days", -1)
    assert fig.difference(75.0, 75, "percent") == ("\u00b10.0 pp", 0)


def test_cells_are_ordered_by_the_catalogue_whatever_order_they_arrive_in() -> None:
    values = list(figures_of("MK").periods[-1].values)
    order = fig.CellOrder(seed())
    expected = order.values(values)
    for attempt in range(5):
        random.Random(attempt).shuffle(values)
        assert order.values(values) == expected
    codes = [v.indicator for v in expected]
    assert codes == sorted(codes, key=seed().codes.index)
    sexes = [v.cell[0][1] for v in expected if v.indicator == "ID-01" and v.cell]
    assert sexes == ["female", "male", "trans_or_nonconforming", "unknown"]


def test_categories_of_an_open_list_follow_alphabetically_with_unknown_last() -> None:
    order = fig.CellOrder(seed())
    cells = [(("citizenship", c),) for c in ("unknown", "RS", "AL", "UA")]
    assert [c[0][1] for c in order.cells("ID-01", cells)] == ["AL", "RS", "UA", "unknown"]
