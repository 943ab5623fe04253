"""The monitoring cycle pages' pure helpers: the years and deadlines offered, the opening form's
body, where the service's errors go, and the reminders' order."""

from __future__ import annotations

from datetime import date

from services.web.pages.cycles import (
    asked_of,
    at_fields,
    may_refuse,
    open_body,
    reminders_of,
    suggested_deadlines,
    year_to_open,
    years_offered,
)


def test_the_years_offered_start_with_the_last_complete_year() -> None:
    assert years_offered(date(2026, 11, 30))[:3] == [2025, 2024, 2023]


def test_the_year_suggested_is_the_newest_without_a_cycle() -> None:
    assert year_to_open([2025, 2024, 2023], [2025]) == 2024
    assert year_to_open([2025, 2024], [2025, 2024]) == 2025


def test_suggested_deadlines_follow_each_other_and_never_fall_in_the_reference_year() -> None:
    early = suggested_deadlines(2025, date(2025, 6, 1))
    assert early["requests_due"] == "2026-01-31"
    late = suggested_deadlines(2025, date(2026, 11, 30))
    assert late["requests_due"] == "2026-12-30"
    assert late["requests_due"] < late["scoring_due"] < late["report_due"]


def test_an_empty_date_is_left_out_of_the_opening_body_so_the_service_names_it() -> None:
    body = open_body({"requests_due": "2026-01-31", "scoring_due": " ", "report_due": "x",
                      "profile_version": "2"})  # fmt: skip
    assert body == {"requests_due": "2026-01-31", "report_due": "x", "profile_version": 2}


def test_errors_of_fields_the_form_lacks_go_to_the_form_as_a_whole() -> None:
    found = at_fields({"requests_due": "After 2025.", "profile_version": "Confirm it first."},
                      ("year", "requests_due"))  # fmt: skip
    assert found == {"requests_due": "After 2025.", "form": "Confirm it first."}


def test_reminders_list_only_overdue_requests_the_longest_overdue_first() -> None:
    requests = [
        {"organisation_name": "Court", "status": "overdue", "days_overdue": 3},
        {"organisation_name": "Police", "status": "sent", "days_overdue": 0},
        {"organisation_name": "Prosecution", "status": "overdue", "days_overdue": 12},
    ]
    assert [r["organisation_name"] for r in reminders_of(requests)] == ["Prosecution", "Court"]


def test_a_refused_or_answered_request_cannot_be_refused_again() -> None:
    assert may_refuse("sent") and may_refuse("overdue") and may_refuse("partly_answered")
    assert not may_refuse("refused") and not may_refuse("answered")


def test_an_indicator_names_the_organisations_asked_for_its_figures() -> None:
    requests = [{"request_id": "a", "organisation_name": "Police"},
                {"request_id": "b", "organisation_name": "Court"}]  # fmt: skip
    assert asked_of({"requests": ["b", "a", "c"]}, requests) == ["Court", "Police"]
    assert asked_of({"requests": []}, requests) == []
