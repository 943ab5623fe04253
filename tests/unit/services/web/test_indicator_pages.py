"""The monitoring pages' helpers: figures from the API answers, with the region's disclosure
control; the comparison's countries; a scoring form turned into the API's body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.support import NullTranslations
from flask import Flask, g

from services.web.languages import DEFAULT, Formats
from services.web.pages.assessments import form_errors, is_link, rows_of, scoring_body
from services.web.pages.comparison import CountryRow, country_rows, why_not_comparable
from services.web.pages.indicators import (
    breakdowns,
    latest,
    national_figures,
    regional_figures,
    shown,
    totals,
    trimmed,
)


def _row(period: str, value: float | None, cell: dict | None = None, hidden: bool = False,
         indicator: str = "ID-01") -> dict:  # fmt: skip
    return {"indicator": indicator, "period": period, "cell": cell or {}, "value": value,
            "numerator": value, "denominator": None, "regional_suppressed": hidden}  # fmt: skip


@pytest.fixture
def in_a_page() -> Iterator[None]:
    with Flask(__name__).app_context():
        g.translations, g.language, g.formats = NullTranslations(), DEFAULT, Formats(DEFAULT)
        yield


def test_a_suppressed_cell_keeps_no_figure_and_reads_suppressed_not_zero(in_a_page) -> None:
    [figure] = national_figures([_row("2024", 3.0, {"sex": "male"}, hidden=True)])
    assert figure.suppressed and figure.value is figure.numerator is None
    assert shown(figure, "count") == "suppressed"
    [zero] = national_figures([_row("2024", 0.0, {"sex": "unknown"})])
    assert shown(zero, "count") == "0"


def test_the_latest_figure_is_the_last_full_year() -> None:
    by_period = totals(national_figures([_row(p, 1.0) for p in ("2023", "2024", "2025")]), "ID-01")
    assert latest(by_period, 2025).period == "2024"
    assert latest({"2025": by_period["2025"]}, 2025).period == "2025"
    assert latest({}, 2025) is None


def test_breakdowns_are_one_way_in_the_catalogues_order() -> None:
    figures = national_figures([_row("2024", 5.0, {"sex": "female"}),
                                _row("2024", 5.0, {"age_group": "adult"}),
                                _row("2024", 5.0, {"age_group": "adult", "sex": "female"}),
                                _row("2023", 5.0, {"sex": "male"}),
                                _row("2024", 10.0)])  # fmt: skip
    found = breakdowns(figures, "ID-01", "2024", ["age_group", "sex"])
    assert [(d, [f.category for f in fs]) for d, fs in found] == [
        ("age_group", ["adult"]), ("sex", ["female"])]  # fmt: skip


def test_years_before_the_first_figure_are_left_out() -> None:
    by_period = totals(national_figures([_row("2022", 1.0)]), "ID-01")
    assert trimmed(["2020", "2021", "2022", "2023"], [by_period]) == ["2022", "2023"]


def test_the_hubs_answer_gives_one_countrys_figures() -> None:
    answer = {"indicator": "ID-01", "period": "2024", "countries": [
        {"country": "AL", "cell": {}, "value": 69.0, "suppressed": False},
        {"country": "ME", "cell": {}, "value": None, "suppressed": True}]}  # fmt: skip
    [mine] = regional_figures(answer, "ME")
    assert mine.suppressed and mine.period == "2024"


def test_the_comparison_lists_missing_countries_and_says_why_one_is_not_comparable(
    in_a_page,
) -> None:
    answer = {"countries": [
        {"country": "AL", "cell": {}, "value": 69.0, "comparable": True,
         "catalog_version": "2025.1", "profile_status": "adopted"},
        {"country": "RS", "cell": {}, "value": 44.0, "comparable": False,
         "catalog_version": "2025.1", "profile_status": "adapted_noncomparable"}]}  # fmt: skip
    rows, missing = country_rows(answer, ["AL", "BA", "ME", "MK", "RS"])
    assert [r.country for r in rows] == ["AL", "RS"] and missing == ["BA", "ME", "MK"]
    assert why_not_comparable(rows[0], "2025.1") == ""
    assert "not comparable" in why_not_comparable(rows[1], "2025.1")
    other = CountryRow("MK", 1.0, 1.0, None, False, False, "2024.9", "adopted")
    assert "2024.9" in why_not_comparable(other, "2025.1")


def test_a_scoring_form_becomes_the_apis_body_and_its_errors_name_the_form_rows() -> None:
    body, rows = scoring_body({"score": "2", "rationale": " In law and practice ",
                               "evidence.1.title": "Law on foreigners",
                               "evidence.1.date": "2024-01-31",
                               "evidence.2.title": "GRETA report",
                               "evidence.2.reference": "https://example.org/greta"})  # fmt: skip
    assert body["score"] == 2 and body["rationale"] == "In law and practice"
    assert body["evidence"] == [
        {"kind": "document", "title": "Law on foreigners", "reference": "Law on foreigners",
         "date": "2024-01-31"},
        {"kind": "document", "title": "GRETA report", "reference": "https://example.org/greta"},
    ]  # fmt: skip
    assert rows == [1, 2]
    errors = form_errors({"evidence.1.date": "Required.", "score": "x"}, rows)
    assert errors == {"evidence.2.date": "Required.", "score": "x"}


def test_not_assessed_is_sent_without_a_score_and_with_the_reason() -> None:
    body, _ = scoring_body({"score": "not_assessed", "not_assessed_reason": "No answer"})
    assert body["score"] is None and body["not_assessed_reason"] == "No answer"
    assert body["evidence"] == []


def test_only_web_addresses_become_links() -> None:
    assert is_link("https://example.org") and is_link("http://example.org")
    assert not is_link("javascript:alert(1)") and not is_link("Art. 12") and not is_link(None)


def test_every_qualitative_indicator_is_listed_scored_or_not() -> None:
    catalogue = [{"code": "ID-01", "kind": "quantitative"},
                 {"code": "ID-06", "kind": "qualitative"},
                 {"code": "ID-07", "kind": "qualitative"}]  # fmt: skip
    rows = rows_of(catalogue, [{"code": "ID-07", "status": "confirmed"}])
    assert [(i["code"], a and a["status"]) for i, a in rows] == [
        ("ID-06", None),
        ("ID-07", "confirmed"),
    ]
