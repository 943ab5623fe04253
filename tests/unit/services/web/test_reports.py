"""What the report pages offer and how they name the verification's steps."""

from __future__ import annotations

from typing import Any

from services.web.pages.reports import actions_for, sorted_reports, step_label
from shared.auth import Grant, Principal


def _person(user: str, *grants: tuple[str, str]) -> Principal:
    return Principal(user, "org", tuple(Grant(role, scope) for role, scope in grants))


def _report(status: str, kind: str = "national", drafted_by: str = "mk.monitor") -> dict[str, Any]:
    return {"report_id": "r1", "kind": kind, "country": "MK" if kind == "national" else None,
            "period": "2024", "title": "A report", "version": 1, "status": status,
            "drafted_by": drafted_by}  # fmt: skip


def _names(principal: Principal, report: dict[str, Any]) -> list[str]:
    return [action.name for action in actions_for(principal, report)]


def test_the_author_may_submit_a_draft_and_nothing_else() -> None:
    assert _names(_person("mk.monitor", ("monitor", "MK")), _report("draft")) == ["submit"]


def test_a_reviewer_may_comment_return_or_approve_a_report_in_review() -> None:
    reviewer = _person("mk.reviewer", ("reviewer", "MK"))
    assert _names(reviewer, _report("in_review")) == ["comment", "return", "approve"]


def test_whoever_drafted_a_report_may_not_review_it() -> None:
    both = _person("mk.monitor", ("monitor", "MK"), ("reviewer", "MK"))
    assert _names(both, _report("in_review")) == []


def test_an_approved_report_is_published_by_its_authors_and_a_published_one_corrected() -> None:
    monitor = _person("mk.monitor", ("monitor", "MK"))
    assert _names(monitor, _report("approved")) == ["publish"]
    assert _names(monitor, _report("published")) == ["correct"]


def test_an_auditor_is_offered_no_workflow_step() -> None:
    auditor = _person("mk.auditor", ("auditor", "MK"))
    for status in ("draft", "in_review", "approved", "published"):
        assert _names(auditor, _report(status)) == []


def test_a_monitor_of_another_country_is_offered_nothing() -> None:
    assert _names(_person("al.monitor", ("monitor", "AL")), _report("draft")) == []


def test_the_regional_report_is_written_by_a_regional_analyst() -> None:
    analyst = _person("hub.analyst", ("regional_analyst", "regional"))
    assert _names(analyst, _report("returned", "regional", "hub.analyst")) == ["submit"]


def test_verification_steps_are_named_with_the_log_they_check() -> None:
    assert step_label("checkpoint mk.intake") == ("The signed checkpoint of %(log)s", "mk.intake")
    assert step_label("stored outputs") == ("The stored files match the signed hashes", "")
    assert step_label("something new") == ("something new", "")


def test_reports_are_listed_newest_period_first_the_regional_one_leading() -> None:
    reports = [_report("published") | {"period": "2023"},
               _report("published") | {"country": "AL"},
               _report("published", "regional")]  # fmt: skip
    ordered = sorted_reports(reports)
    assert [(r["period"], r["kind"], r["country"]) for r in ordered] == [
        ("2024", "regional", None),
        ("2024", "national", "AL"),
        ("2023", "national", "MK"),
    ]
