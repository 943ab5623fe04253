"""Disclosure control (README §6.2): small cells are suppressed, and enough others with them
that a suppressed cell cannot be recomputed from a total; suppressed cells stay, blanked."""

from __future__ import annotations

from services.indicators.catalogue import Disclosure
from services.indicators.evaluator import Value, disclosure_control
from tests.unit.services.indicators.people import PERIOD, cells, evaluation, identified, seed

RULES = Disclosure(min_cell=5, k_cross=11)


def count(cell: dict[str, str], n: int, of: int | None = None, code: str = "ID-01") -> Value:
    return Value(code, PERIOD, tuple(cell.items()), n, of, n, "count", contributors=of or n)


def money(cell: dict[str, str], amount: float, persons: int) -> Value:
    return Value(
        "CO-05",
        PERIOD,
        tuple(cell.items()),
        amount,
        None,
        amount,
        "EUR",
        statistic="sum",
        contributors=persons,
    )


def median(cell: dict[str, str], days: float, persons: int) -> Value:
    return Value(
        "ID-03",
        PERIOD,
        tuple(cell.items()),
        days,
        None,
        days,
        "days",
        statistic="median",
        contributors=persons,
    )


def hidden(values: list[Value]) -> list[str]:
    """The categories suppressed, for one-way cells."""
    return [value.cell[-1][1] for value in values if value.suppressed]


def by_sex(**counts: int) -> list[Value]:
    return [count({"sex": sex}, n) for sex, n in counts.items()]


def test_a_one_way_cell_below_min_cell_is_suppressed_and_kept_blank() -> None:
    found = disclosure_control(
        by_sex(female=12, male=3, trans_or_nonconforming=6, unknown=7), RULES
    )
    assert len(found) == 4
    male = found[1]
    assert male.suppressed and (male.numerator, male.denominator, male.value) == (None, None, None)
    assert male.cell == (("sex", "male"),)


def test_a_lone_suppressed_cell_takes_the_smallest_other_cell_with_it() -> None:
    # male (3) alone could be recomputed as total 28 - 12 - 6 - 7; trans (6) is the smallest
    # other cell, and 3 + 6 = 9 hidden persons are not a small cell.
    found = disclosure_control(
        by_sex(female=12, male=3, trans_or_nonconforming=6, unknown=7), RULES
    )
    assert hidden(found) == ["male", "trans_or_nonconforming"]
    assert [v.numerator for v in found if not v.suppressed] == [12, 7]


def test_two_small_cells_that_are_small_together_take_a_third() -> None:
    # male 1 + unknown 2 = 3 hidden persons is still below 5: the next smallest (trans 6) goes.
    found = disclosure_control(
        by_sex(female=20, male=1, trans_or_nonconforming=6, unknown=2), RULES
    )
    assert hidden(found) == ["male", "trans_or_nonconforming", "unknown"]


def test_two_small_cells_that_together_reach_the_threshold_need_nothing_more() -> None:
    found = disclosure_control(
        by_sex(female=20, male=3, trans_or_nonconforming=9, unknown=4), RULES
    )
    assert hidden(found) == ["male", "unknown"]


def test_zero_cells_are_published_and_hidden_only_when_nothing_else_is_left() -> None:
    # Zeros say no one is in the cell. female (3) and male (0): the only other cell is the
    # zero, so it is hidden too; both together still reveal 3 persons, as the total does.
    found = disclosure_control(by_sex(female=3, male=0), RULES)
    assert hidden(found) == ["female", "male"]
    untouched = disclosure_control(by_sex(female=8, male=0, unknown=6), RULES)
    assert hidden(untouched) == []


def test_cells_of_at_least_min_cell_are_published_as_they_are() -> None:
    values = by_sex(female=5, male=5)
    assert disclosure_control(values, RULES) == values


def test_totals_of_counts_are_published() -> None:
    total = count({}, 2)
    assert disclosure_control([total], RULES) == [total]


def test_a_two_way_cell_needs_k_cross() -> None:
    # 10 persons is enough for a one-way cell (>= 5) but not for a two-way one (< 11).
    one_way = count({"sex": "female"}, 10)
    two_way = [
        count({"sex": "female", "age_group": a}, n)
        for a, n in (("child", 10), ("adult", 30), ("unknown", 12))
    ]
    found = disclosure_control([one_way, *two_way], RULES)
    assert not found[0].suppressed
    assert [v.suppressed for v in found[1:]] == [True, False, True]


def test_no_row_or_column_of_a_two_way_table_keeps_a_lone_suppressed_cell() -> None:
    counts = {
        ("female", "child"): 3,
        ("female", "adult"): 40,
        ("female", "unknown"): 20,
        ("male", "child"): 15,
        ("male", "adult"): 30,
        ("male", "unknown"): 25,
    }
    table = [count({"sex": s, "age_group": a}, n) for (s, a), n in counts.items()]
    found = disclosure_control(table, RULES)
    lines: dict[tuple[str, str], list[bool]] = {}
    for value in found:
        (_, sex), (_, age) = value.cell
        lines.setdefault(("sex", sex), []).append(value.suppressed)
        lines.setdefault(("age", age), []).append(value.suppressed)
    assert all(sum(line) != 1 for line in lines.values()), lines
    # female-child (3) is hidden with its row's smallest (female-unknown 20) and its column's
    # (male-child 15); male-unknown then completes the male row and the unknown column.
    assert [v.suppressed for v in found] == [True, False, True, True, False, True]


def test_a_percentage_is_suppressed_when_few_persons_are_without() -> None:
    # 18 of 20 women got the service: the 2 who did not are a small group. Its complement is
    # the cell with the fewest persons, unknown (12): pooled, 24 of 32, 8 without.
    found = disclosure_control(
        [
            count({"sex": "female"}, 18, 20),
            count({"sex": "male"}, 9, 14),
            count({"sex": "unknown"}, 6, 12),
        ],
        RULES,
    )
    assert [v.suppressed for v in found] == [True, False, True]


def test_pooled_suppressed_percentages_must_not_leave_few_persons_without() -> None:
    # female 18/20 is hidden with male 9/9 (the fewest persons); pooled, 27 of 29 still leaves
    # 2 without, so unknown goes too.
    found = disclosure_control(
        [
            count({"sex": "female"}, 18, 20),
            count({"sex": "male"}, 9, 9),
            count({"sex": "unknown"}, 6, 12),
        ],
        RULES,
    )
    assert [v.suppressed for v in found] == [True, True, True]


def test_money_linked_to_fewer_than_min_cell_persons_is_suppressed_even_as_a_total() -> None:
    found = disclosure_control([money({}, 9000.0, persons=3), money({}, 20000.0, persons=5)], RULES)
    assert [v.suppressed for v in found] == [True, False]


def test_sums_by_category_get_complementary_suppression_by_persons() -> None:
    found = disclosure_control(
        [
            money({"forum": "Civil"}, 1000.0, 2),
            money({"forum": "Labour"}, 50.0, 6),
            money({"forum": "CriminalAdhesion"}, 900.0, 8),
        ],
        RULES,
    )
    assert hidden(found) == ["Civil", "Labour"]


def test_a_median_of_few_values_is_suppressed_but_needs_no_complement() -> None:
    found = disclosure_control(
        [median({"age_group": "child"}, 30, 4), median({"age_group": "adult"}, 45, 9)], RULES
    )
    assert hidden(found) == ["child"]


def test_aggregate_figures_from_institutions_are_left_alone() -> None:
    values = evaluation(
        [],
        {
            "agg_cj_PersonsIndicted": {
                (): 3,
                (("defendant_sex", "female"),): 1,
                (("defendant_sex", "male"),): 2,
            }
        },
    )
    table = values.cells("CJ-02", ("defendant_sex",))
    assert disclosure_control(table, seed().disclosure) == table


def test_computed_cells_go_through_disclosure_control_with_the_catalogue_rules() -> None:
    persons = [identified(f"f{n}") for n in range(7)] + [identified("m", prs_Gender="Masculine")]
    assert cells("ID-01", ("sex",), persons)[("male",)] == (1, None)
    found = disclosure_control(evaluation(persons).cells("ID-01", ("sex",)), seed().disclosure)
    # male (1) is hidden, and female (7) with it: the zero cells alone would not hide it.
    assert hidden(found) == ["female", "male"]
