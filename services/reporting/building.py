"""Building a report version from its pinned basis: the intake history replayed from Kafka up to
the pinned checkpoint, the indicator values computed from it as the indicators service computes
them, the confirmed scores of the indicators log, the follow-up of earlier recommendations as
the reporting log itself recorded it, the narrative as approved, rendered to every format. The
same basis and narrative always give the same bytes, which is what lets an auditor re-derive a
published report."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.indicators import assessments
from services.indicators.catalogue import Catalogue
from services.indicators.computing import compute_country
from services.indicators.persons import person_from_case
from services.intake.projections import CASE_STREAM_PREFIX, case_id_of, country_of
from services.intake.submissions import SUBMITTED
from services.reporting import recommendations, rendering
from services.reporting.basis import PinnedLog
from services.reporting.rendering import (
    NOT_ASSESSED,
    Assessment,
    CountrySeries,
    EvidenceRef,
    Finding,
    FollowUpItem,
    LogBasis,
    ReportBasis,
    ReportContent,
    Supersession,
    content_hashes,
)
from services.reporting.workflow import Report
from shared.backbone.envelope import RecordedEvent
from shared.stack.processes import ROOT

FORMATS = ("html", "pdf", "csv", "xlsx", "json")
SOURCES = ("intake", "indicators")  # the logs a report reads, when their services are known
OWN = "reporting"  # and a national report, the reporting log (the follow-up of recommendations)


def source_service(origin: str) -> str:
    """`mk.intake` -> `intake`."""
    return origin.split(".", 1)[1]


def code_version() -> str:
    """The code that renders: ACTNOW_CODE_VERSION (containers), else the git revision."""
    pinned = os.environ.get("ACTNOW_CODE_VERSION")
    if pinned:
        return pinned
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                               text=True, timeout=5, check=True)  # fmt: skip
        return found.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@dataclass(frozen=True)
class Built:
    content: ReportContent
    outputs: dict[str, bytes]
    hashes: dict[str, str]


def series(
    catalogue: Catalogue, events: Sequence[RecordedEvent], countries: Sequence[str], period: str
) -> list[CountrySeries]:
    """Each country's values (after disclosure control) for the reference year and before."""
    streams: dict[str, list[RecordedEvent]] = defaultdict(list)
    submissions = []
    for event in events:
        if event.stream_id.startswith(CASE_STREAM_PREFIX):
            streams[case_id_of(event.stream_id)].append(event)
        elif event.event_type == SUBMITTED:
            submissions.append({**event.payload, "recorded_at": event.recorded_at})
    found = []
    last_day = date(int(period), 12, 31)
    for country in countries:
        records = [r for case_id, evs in streams.items() if country_of(case_id) == country
                   for r in [person_from_case(evs)] if r is not None]  # fmt: skip
        mine = [s for s in submissions if s["country"] == country]
        computed = [p for p in compute_country(catalogue, records, mine, country, last_day)
                    if p.period <= period]  # fmt: skip
        found.append(CountrySeries.from_computed(country, computed))
    return found


def assessments_of(
    events: Sequence[RecordedEvent], countries: Sequence[str], period: str
) -> tuple[Assessment, ...]:
    """The qualitative scores a reviewer confirmed for the countries and reference year, as the
    indicators log recorded them."""
    streams: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in events:
        if event.stream_id.startswith(assessments.STREAM_PREFIX):
            streams[event.stream_id].append(event)
    found = []
    for stream in sorted(streams):
        state = assessments.assessment_from(streams[stream])
        if (state is None or state.status != assessments.ACCEPTED
                or state.country not in countries or str(state.year) != period):  # fmt: skip
            continue
        scoring = state.scoring
        evidence = tuple(EvidenceRef(e.title or e.name or "file", e.reference,
                                     e.date.isoformat() if e.date else None, e.sha256)
                         for e in scoring.evidence)  # fmt: skip
        score = scoring.score if scoring.score is not None else NOT_ASSESSED
        found.append(Assessment(state.code, state.country, score, evidence, scoring.rationale,
                                scoring.not_assessed_reason))  # fmt: skip
    return tuple(found)


def follow_up_of(
    events: Sequence[RecordedEvent], country: str, period: str
) -> tuple[FollowUpItem, ...]:
    """The country's recommendations made before the reference year and still open in it, with
    the status a reviewer confirmed for that year, as the reporting log recorded them."""
    year = int(period)
    found = []
    for r in recommendations.due_in(recommendations.ledger_from(events).values(), country, year):
        done = r.follow_up(year)
        confirmed = done if done is not None and done.state == recommendations.CONFIRMED else None
        evidence = tuple(EvidenceRef(e.title or e.name or "file", e.reference,
                                     e.date.isoformat() if e.date else None, e.sha256)
                         for e in confirmed.evidence) if confirmed else ()  # fmt: skip
        found.append(FollowUpItem(r.recommendation_id, r.source, r.reference, str(r.issued_year),
                                  r.text, r.status_in(year), r.addressees, r.indicators,
                                  evidence, confirmed.note if confirmed else None))  # fmt: skip
    return tuple(found)


def content_of(
    report: Report,
    catalogue: Catalogue,
    events: Sequence[RecordedEvent],
    pinned: Sequence[PinnedLog],
    countries: Sequence[str],
    published_at: datetime,
    code: str,
    indicator_events: Sequence[RecordedEvent] = (),
    reporting_events: Sequence[RecordedEvent] = (),
) -> ReportContent:
    narrative = report.narrative
    chosen = [report.country] if report.kind == "national" and report.country else countries
    conclusions = [p.strip() for p in narrative.get("conclusions", "").split("\n\n") if p.strip()]
    return ReportContent(
        report_id=report.report_id, version=report.version, kind=report.kind,
        title=report.title, country=report.country, period=report.period, catalogue=catalogue,
        values=tuple(series(catalogue, events, chosen, report.period)),
        basis=ReportBasis(tuple(LogBasis(p.origin, p.size, p.root) for p in pinned),
                          catalogue.catalog_version, {}, code),
        published_at=published_at, summary=narrative.get("summary", ""),
        assessments=assessments_of(indicator_events, chosen, report.period),
        conclusions=tuple(Finding(f"C{n}", text) for n, text in enumerate(conclusions, 1)),
        recommendations=tuple(Finding(r["id"], r["text"], tuple(r["indicators"]),
                                      tuple(r.get("addressees") or ()))
                              for r in narrative.get("recommendations", [])),
        good_practices=tuple(narrative.get("good_practices", [])),
        supersedes=Supersession(report.report_id, report.supersedes_version,
                                report.correction_reason or "")
        if report.supersedes_version else None,
        follow_up=follow_up_of(reporting_events, report.country, report.period)
        if report.kind == "national" and report.country else (),
    )  # fmt: skip


def render_all(content: ReportContent) -> Built:
    outputs = rendering.render_all(content)
    return Built(content, outputs, content_hashes(outputs))
