"""A report's workflow as pure decisions: draft -> (edits) -> review (comments) -> approved by a
reviewer who did not draft it -> published; returned drafts go back to editing; a published
version never changes, a correction is the next version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from services.reporting.events import (
    APPROVED,
    COMMENTED,
    DRAFTED,
    NARRATIVE_EDITED,
    PUBLISHED,
    RETURNED,
    SUBMITTED,
)
from shared.auth import REGIONAL, Principal
from shared.backbone.envelope import NewEvent
from shared.errors import Conflict, Forbidden, ValidationProblem

DRAFT, IN_REVIEW, RETURNED_STATUS, APPROVED_STATUS, PUBLISHED_STATUS = (
    "draft", "in_review", "returned", "approved", "published")  # fmt: skip
EDITABLE = (DRAFT, RETURNED_STATUS)


def report_stream(report_id: str) -> str:
    return f"report-{report_id}"


@dataclass(frozen=True)
class Report:
    report_id: str
    kind: str
    country: str | None
    period: str
    title: str
    version: int
    status: str
    drafted_by: str
    narrative: dict[str, Any] = field(default_factory=dict)
    comments: tuple[dict[str, Any], ...] = ()
    supersedes_version: int | None = None
    correction_reason: str | None = None
    published: tuple[dict[str, Any], ...] = ()  # the ReportPublished payloads, by version
    stream_version: int = 0


def report_from(events: Sequence[Any]) -> Report | None:
    report: Report | None = None
    for event in events:
        p = event.payload
        if event.event_type == DRAFTED:
            report = Report(p["report_id"], p["kind"], p.get("country"), p["period"], p["title"],
                            p["version"], DRAFT, event.actor.user or "",
                            narrative=dict(report.narrative) if report else {},
                            supersedes_version=p.get("supersedes_version"),
                            correction_reason=p.get("correction_reason"),
                            published=report.published if report else ())  # fmt: skip
        elif report is None:
            continue
        elif event.event_type == NARRATIVE_EDITED:
            changes = {k: v for k, v in p.items() if k != "version"}
            report = replace(report, narrative={**report.narrative, **changes})
        elif event.event_type == SUBMITTED:
            report = replace(report, status=IN_REVIEW)
        elif event.event_type == COMMENTED:
            comment = {"section": p["section"], "comment": p["comment"],
                       "by": event.actor.user, "at": event.occurred_at.isoformat()}  # fmt: skip
            report = replace(report, comments=(*report.comments, comment))
        elif event.event_type == RETURNED:
            report = replace(report, status=RETURNED_STATUS)
        elif event.event_type == APPROVED:
            report = replace(report, status=APPROVED_STATUS)
        elif event.event_type == PUBLISHED:
            report = replace(report, status=PUBLISHED_STATUS, published=(*report.published, p))
        report = replace(report, stream_version=event.stream_version)
    return report


# --- who may do what ------------------------------------------------------------------------
def _authors(kind: str) -> tuple[str, ...]:
    return ("monitor",) if kind == "national" else ("regional_analyst",)


def _scope(kind: str, country: str | None) -> str | None:
    return country if kind == "national" else REGIONAL


def check_author(principal: Principal, kind: str, country: str | None) -> None:
    roles = _authors(kind)
    scope = _scope(kind, country)
    if not principal.may(roles, scope) or (kind == "regional" and not _regional(principal, roles)):
        raise Forbidden(f"this needs the role {' or '.join(roles)} for {scope}")


def check_reviewer(principal: Principal, report: Report) -> None:
    if report.kind == "national":
        allowed = principal.may(("reviewer",), report.country)
    else:  # the regional report is reviewed by another regional analyst or a platform admin
        allowed = _regional(principal, ("regional_analyst", "platform_admin"))
    if not allowed:
        raise Forbidden("this needs a reviewer of the report's scope")
    if principal.user == report.drafted_by:
        raise Forbidden("the person who drafted a report cannot review or approve it")


def may_read(principal: Principal, report: Report) -> bool:
    readers = ("monitor", "reviewer", "national_admin", "auditor", "regional_analyst")
    if report.status == PUBLISHED_STATUS or report.published:
        return principal.may(readers, report.country) or principal.has_role("auditor")
    return principal.may(("monitor", "reviewer"), _scope(report.kind, report.country)) or (
        report.kind == "regional" and _regional(principal, ("regional_analyst",))
    )


def _regional(principal: Principal, roles: tuple[str, ...]) -> bool:
    return any(g.role in roles and g.scope == REGIONAL for g in principal.grants)


# --- decisions ------------------------------------------------------------------------------
def draft(principal: Principal, report_id: str, kind: str, country: str | None, period: str,
          title: str, **context: Any) -> list[NewEvent]:  # fmt: skip
    if kind == "national" and not country:
        raise ValidationProblem("a national report names its country",
                                {"country": ["Required for a national report."]})  # fmt: skip
    if kind == "regional":
        country = None
    check_author(principal, kind, country)
    payload = {"report_id": report_id, "version": 1, "kind": kind, "country": country,
               "period": period, "title": title.strip(), "supersedes_version": None,
               "correction_reason": None}  # fmt: skip
    return [NewEvent(DRAFTED, payload, **context)]


def edit(principal: Principal, report: Report, changes: dict[str, Any], **context: Any
         ) -> list[NewEvent]:  # fmt: skip
    check_author(principal, report.kind, report.country)
    _require_status(report, EDITABLE, "edited")
    if not changes:
        raise ValidationProblem("nothing to change", {"summary": ["Send at least one section."]})
    return [NewEvent(NARRATIVE_EDITED, {"version": report.version, **changes}, **context)]


def submit(principal: Principal, report: Report, **context: Any) -> list[NewEvent]:
    check_author(principal, report.kind, report.country)
    _require_status(report, EDITABLE, "submitted for review")
    return [NewEvent(SUBMITTED, {"version": report.version}, **context)]


def comment(principal: Principal, report: Report, section: str, text: str, **context: Any
            ) -> list[NewEvent]:  # fmt: skip
    check_reviewer(principal, report)
    _require_status(report, (IN_REVIEW,), "commented on")
    payload = {"version": report.version, "section": section, "comment": text}
    return [NewEvent(COMMENTED, payload, **context)]


def send_back(principal: Principal, report: Report, reason: str, **context: Any
              ) -> list[NewEvent]:  # fmt: skip
    check_reviewer(principal, report)
    _require_status(report, (IN_REVIEW,), "returned")
    return [NewEvent(RETURNED, {"version": report.version, "reason": reason}, **context)]


def approve(principal: Principal, report: Report, **context: Any) -> list[NewEvent]:
    check_reviewer(principal, report)
    _require_status(report, (IN_REVIEW,), "approved")
    return [NewEvent(APPROVED, {"version": report.version}, **context)]


def check_publishable(principal: Principal, report: Report) -> None:
    check_author(principal, report.kind, report.country)
    _require_status(report, (APPROVED_STATUS,), "published")


def correct(principal: Principal, report: Report, reason: str, **context: Any) -> list[NewEvent]:
    """The next version of a published report, carrying its narrative over to be corrected."""
    check_author(principal, report.kind, report.country)
    _require_status(report, (PUBLISHED_STATUS,), "corrected")
    if not reason.strip():
        raise ValidationProblem("a correction says why", {"reason": ["Required."]})
    version = report.version + 1
    drafted = {"report_id": report.report_id, "version": version, "kind": report.kind,
               "country": report.country, "period": report.period, "title": report.title,
               "supersedes_version": report.version,
               "correction_reason": reason.strip()}  # fmt: skip
    events = [NewEvent(DRAFTED, drafted, **context)]
    if report.narrative:
        events.append(NewEvent(NARRATIVE_EDITED, {"version": version, **report.narrative},
                               **context))  # fmt: skip
    return events


def _require_status(report: Report, allowed: tuple[str, ...], action: str) -> None:
    if report.status not in allowed:
        raise Conflict(f"version {report.version} is {report.status.replace('_', ' ')}: it"
                       f" cannot be {action} now", {"status": [report.status]})  # fmt: skip
