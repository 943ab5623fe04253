"""The recommendation pages' pure helpers: the forms' bodies, the follow-up of a year, the
hub's order of countries, and the four-eyes refusal shown in the service's words."""

from __future__ import annotations

from services.web.backend import ServiceError
from services.web.pages.recommendations import (
    _refusal,
    follow_up_body,
    follow_up_of,
    greta_body,
    listed,
    rate_percent,
    sorted_rates,
    years,
)


def test_the_years_start_with_the_last_complete_year() -> None:
    assert years(2026)[:2] == [2025, 2024]


def test_names_are_read_one_a_line_or_separated_by_commas() -> None:
    assert listed("Ministry of Interior\n Police ; Courts,\n\n") == [
        "Ministry of Interior", "Police", "Courts"]  # fmt: skip


def test_the_greta_body_keeps_a_year_that_is_no_number_for_the_service_to_name() -> None:
    body = greta_body({"round": " 3 ", "paragraph": "112", "year": "20x3", "text": "Do it.",
                       "addressees": "Police", "indicators": "as-06, ID-01"}, "MK")  # fmt: skip
    assert body == {"country": "MK", "round": "3", "paragraph": "112", "year": "20x3",
                    "text": "Do it.", "addressees": ["Police"],
                    "indicators": ["AS-06", "ID-01"]}  # fmt: skip
    assert greta_body({"year": "2023"}, "AL")["year"] == 2023


def test_an_assessment_sends_only_the_evidence_rows_filled_in_and_says_which_they_were() -> None:
    form = {"status": "implemented", "note": " ", "evidence.1.title": "Law",
            "evidence.1.date": "2025-01-02"}  # fmt: skip
    body, rows = follow_up_body(form)
    law = {"kind": "document", "title": "Law", "reference": "Law", "date": "2025-01-02"}
    assert body == {"status": "implemented", "note": None, "evidence": [law]}
    assert rows == [1]


def test_the_follow_up_of_a_year_is_found_by_its_year() -> None:
    recommendation = {"follow_ups": [{"year": 2024, "status": "x"}, {"year": 2025, "status": "y"}]}
    assert follow_up_of(recommendation, 2025) == {"year": 2025, "status": "y"}
    assert follow_up_of(recommendation, 2023) is None


def test_the_hub_lists_the_highest_rate_first_and_countries_without_one_last() -> None:
    rows = [{"country": "RS", "implementation_rate": None},
            {"country": "AL", "implementation_rate": 0.25},
            {"country": "MK", "implementation_rate": 0.5}]  # fmt: skip
    assert [r["country"] for r in sorted_rates(rows)] == ["MK", "AL", "RS"]
    assert rate_percent(0.3333) == 33.3 and rate_percent(None) is None


def test_a_reviewer_who_assessed_it_sees_the_services_refusal_as_a_whole() -> None:
    error = ServiceError(403, "the person who assessed a recommendation may not review it",
                         {"reviewed_by": ["Must not be the person who assessed it."]})  # fmt: skip
    assert _refusal(error) == {
        "form": "the person who assessed a recommendation may not review it"}  # fmt: skip
