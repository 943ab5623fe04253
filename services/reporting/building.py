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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.indicators import assessments
from services.indicators.catalogue import Catalogue
from services.indicators.computing import compute_country
from services.indicators.evaluator import Period, Value
from services.indicators.events import REGIONAL_ASSESSMENTS, REGIONAL_VALUES
from services.indicators.persons import person_from_case
from services.indicators.profiles import profile_from, profile_stream
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
    PeriodFigures,
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


def regional_series(events: Sequence[RecordedEvent], period: str) -> list[CountrySeries]:
    """Each country's values for the reference year and before, as its node published them on
    its regional topic (after disclosure control; the latest publication of a country-year
    wins), with the indicators its confirmed profile measures by a national definition."""
    latest: dict[tuple[str, str], dict] = {}
    for event in events:
        if event.event_type == REGIONAL_VALUES and event.payload["period"] <= period:
            latest[(event.payload["country"], event.payload["period"])] = event.payload
    found = []
    for country in sorted({c for c, _ in latest}):
        mine = [latest[key] for key in sorted(latest) if key[0] == country]
        periods = tuple(PeriodFigures(p["period"], tuple(_value(v, p["period"])
                                                         for v in p["values"]))
                        for p in mine)  # fmt: skip
        profile = mine[-1].get("profile") or {}
        noncomparable = {c for c, status in profile.items() if status == "adapted_noncomparable"}
        found.append(CountrySeries(country, periods, frozenset(noncomparable)))
    return found


def regional_profile_versions(events: Sequence[RecordedEvent], period: str) -> dict[str, str]:
    """The confirmed national profile version each country's figures for the period rest on."""
    found: dict[str, str] = {}
    for event in events:
        payload = event.payload
        if (event.event_type == REGIONAL_VALUES and payload["period"] == period
                and payload.get("profile_version") is not None):  # fmt: skip
            found[payload["country"]] = str(payload["profile_version"])
    return dict(sorted(found.items()))


def national_profile_version(
    events: Sequence[RecordedEvent], catalogue: Catalogue, country: str
) -> dict[str, str]:
    """The country's national profile version confirmed in the pinned indicators log, if any."""
    stream = profile_stream(country, catalogue.catalog_version)
    mine = [event for event in events if event.stream_id == stream]
    confirmed = profile_from(country, catalogue.catalog_version, mine).confirmed_version
    return {country: str(confirmed.number)} if confirmed is not None else {}


def _value(v: dict, period: str) -> Value:
    return Value(v["indicator"], Period.calendar_year(int(period)),
                 tuple((str(a), str(b)) for a, b in v["cell"]), v["numerator"], v["denominator"],
                 v["value"], v["unit"], v["suppressed"], v["statistic"] or "count",
                 v["contributors"])  # fmt: skip


def regional_assessments(events: Sequence[RecordedEvent], period: str) -> tuple[Assessment, ...]:
    """The confirmed scores each node published for the reference year: the score and how many
    documents it rests on, which the national monitor keeps (what they say stays national)."""
    latest: dict[str, dict] = {}
    for event in events:
        if event.event_type == REGIONAL_ASSESSMENTS and str(event.payload["year"]) == period:
            latest[event.payload["country"]] = event.payload
    found = []
    for country in sorted(latest):
        for score in sorted(latest[country]["scores"], key=lambda s: s["code"]):
            items = score["evidence_items"]
            held = (EvidenceRef(f"{items} document{'s' if items != 1 else ''} of evidence, held by"
                                " the national monitor"),) if items else ()  # fmt: skip
            found.append(Assessment(
                score["code"], country,
                NOT_ASSESSED if score["not_assessed"] or score["score"] is None else score["score"],
                held))  # fmt: skip
    return tuple(found)


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


REGIONAL = "regional"  # the key of a regional report's replayed figures, all nodes together


def content_of(
    report: Report,
    catalogue: Catalogue,
    replayed: Mapping[str, Sequence[RecordedEvent]],
    pinned: Sequence[PinnedLog],
    published_at: datetime,
    code: str,
) -> ReportContent:
    """The report's content from its replayed basis: a national report's from the intake,
    indicators and reporting logs (by service), a regional report's from the figures of every
    node's regional topic (under `REGIONAL`)."""
    narrative = report.narrative
    conclusions = [p.strip() for p in narrative.get("conclusions", "").split("\n\n") if p.strip()]
    if report.kind == "national" and report.country:
        chosen = [report.country]
        values = series(catalogue, replayed.get("intake", ()), chosen, report.period)
        scores = assessments_of(replayed.get("indicators", ()), chosen, report.period)
        follow_up = follow_up_of(replayed.get(OWN, ()), report.country, report.period)
        profiles = national_profile_version(replayed.get("indicators", ()), catalogue,
                                            report.country)  # fmt: skip
    else:
        figures = replayed.get(REGIONAL, ())
        values = regional_series(figures, report.period)
        scores = regional_assessments(figures, report.period)
        follow_up = ()
        profiles = regional_profile_versions(figures, report.period)
    return ReportContent(
        report_id=report.report_id, version=report.version, kind=report.kind,
        title=report.title, country=report.country, period=report.period, catalogue=catalogue,
        values=tuple(values),
        basis=ReportBasis(tuple(LogBasis(p.origin, p.size, p.root) for p in pinned),
                          catalogue.catalog_version, profiles, code),
        published_at=published_at, summary=narrative.get("summary", ""),
        assessments=scores,
        conclusions=tuple(Finding(f"C{n}", text) for n, text in enumerate(conclusions, 1)),
        recommendations=tuple(Finding(r["id"], r["text"], tuple(r["indicators"]),
                                      tuple(r.get("addressees") or ()))
                              for r in narrative.get("recommendations", [])),
        good_practices=tuple(narrative.get("good_practices", [])),
        supersedes=Supersession(report.report_id, report.supersedes_version,
                                report.correction_reason or "")
        if report.supersedes_version else None,
        follow_up=follow_up,
    )  # fmt: skip


def render_all(content: ReportContent) -> Built:
    outputs = rendering.render_all(content)
    return Built(content, outputs, content_hashes(outputs))
