"""The reporting service's HTTP contract: reports from draft to publication, their outputs, and
their verification."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from marshmallow import Schema, fields, validate
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.indicators.catalogue import Catalogue
from services.reporting import recommendations, workflow
from services.reporting.basis import PinnedLog, pin, pin_own, replay
from services.reporting.building import (
    FORMATS,
    REGIONAL,
    SOURCES,
    code_version,
    content_of,
    render_all,
    source_service,
)
from services.reporting.events import KINDS, PUBLISHED, SECTIONS, Recommendation
from services.reporting.regional_basis import pin_regional, regional_topic
from services.reporting.signing import ReportSigner
from services.reporting.verification import verify_report
from services.reporting.workflow import Report
from shared.auth import Principal, authenticated
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.backbone.registry import EventRegistry
from shared.backbone.store import EventStore, ExpectedVersion
from shared.blueprint import Blueprint
from shared.errors import Conflict, Forbidden, NotFound
from shared.settings import Settings
from shared.web import etag, event_context, if_match_version, stream_precondition

MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "csv": "text/csv; charset=utf-8", "json": "application/json",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


@dataclass(frozen=True)
class Reporting:
    settings: Settings
    pool: ConnectionPool
    store: EventStore
    catalogue: Catalogue
    signer: ReportSigner
    registry: EventRegistry


def reporting() -> Reporting:
    return current_app.extensions["actnow.reporting"]


class ReportIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))


class NarrativeIn(Schema):
    summary = fields.String(validate=validate.Length(max=20000))
    conclusions = fields.String(validate=validate.Length(max=20000))
    recommendations = fields.List(fields.Nested(Recommendation))
    good_practices = fields.List(fields.String(validate=validate.Length(min=1, max=5000)))


class CommentIn(Schema):
    section = fields.String(required=True, validate=validate.OneOf(SECTIONS))
    comment = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ReportOut(Schema):
    report_id = fields.String()
    kind = fields.String()
    country = fields.String(allow_none=True)
    period = fields.String()
    title = fields.String()
    version = fields.Integer()
    status = fields.String()
    drafted_by = fields.String()
    narrative = fields.Dict()
    comments = fields.List(fields.Dict())
    supersedes_version = fields.Integer(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    published = fields.List(fields.Dict())


class ReportVerificationOut(Schema):
    ok = fields.Boolean()
    steps = fields.List(fields.Dict())


blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports")
# the workflow's answer to a step its state does not allow (or a concurrent step got there first)
WRONG_STATE = "The report's state does not allow this now, or it changed meanwhile"


@blp.route("/reports", methods=["POST"])
@blp.arguments(ReportIn)
@blp.response(201, ReportOut)
def draft_report(body: dict[str, Any]) -> Response:
    """Drafts a national report (monitor of the country) or the regional one (regional
    analyst)."""
    principal = authenticated()
    report_id = uuid.uuid4().hex[:12]
    events = workflow.draft(principal, report_id, body["kind"], body.get("country"),
                            body["period"], body["title"], **event_context(principal))  # fmt: skip
    settings = reporting().settings
    if body["kind"] == "regional":
        regional_sources_of(settings)
    elif body.get("country") and body["country"] not in settings.countries:
        raise Conflict(f"a national report on {body['country']} is made at its national node;"
                       " this one keeps the history of "
                       f"{', '.join(settings.countries) or 'no country'}",
                       {"country": ["Draft it at the country's node."]})  # fmt: skip
    reporting().store.append(workflow.report_stream(report_id), ExpectedVersion.NO_STREAM, events)
    response = _report_response(_report_or_404(report_id))
    response.status_code = 201
    response.headers["Location"] = url_for("reports.get_report", report_id=report_id)
    return response


class ReportQuery(Schema):
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    kind = fields.String(validate=validate.OneOf(KINDS))


@blp.route("/reports")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportOut(many=True))
def list_reports(query: dict[str, Any]) -> list[Report]:
    """The reports the caller may read (reports are few: each is folded from its stream)."""
    principal = authenticated()
    service = reporting()
    with service.pool.connection() as conn:
        streams = [row[0] for row in conn.execute(
            sql.SQL("SELECT stream_id FROM {}.events WHERE event_type = %s AND stream_version = 1"
                    " ORDER BY log_index").format(sql.Identifier(service.settings.schema)),
            ("reporting.ReportDrafted",))]  # fmt: skip
    found = [workflow.report_from(service.store.read_stream(stream)) for stream in streams]
    return [r for r in found if r is not None and workflow.may_read(principal, r)
            and query.get("country", r.country) == r.country
            and query.get("kind", r.kind) == r.kind]  # fmt: skip


@blp.route("/reports/<report_id>")
@blp.response(200, ReportOut)
def get_report(report_id: str) -> Response:
    principal = authenticated()
    report = _report_or_404(report_id)
    if not workflow.may_read(principal, report):
        raise Forbidden("this report is not in your scope")
    return _report_response(report)


@blp.route("/reports/<report_id>/narrative", methods=["PATCH"])
@blp.arguments(NarrativeIn)
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def edit_narrative(body: dict[str, Any], report_id: str) -> Response:
    """Changes narrative sections of the draft (versioned: every edit is an event)."""
    return _command(report_id, lambda p, r, c: workflow.edit(p, r, body, **c))


@blp.route("/reports/<report_id>/submission", methods=["POST"])
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def submit_report(report_id: str) -> Response:
    return _command(report_id, lambda p, r, c: workflow.submit(p, r, **c))


@blp.route("/reports/<report_id>/comments", methods=["POST"])
@blp.arguments(CommentIn)
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def comment_report(body: dict[str, Any], report_id: str) -> Response:
    return _command(report_id, lambda p, r, c: workflow.comment(
        p, r, body["section"], body["comment"], **c))  # fmt: skip


@blp.route("/reports/<report_id>/return", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def return_report(body: dict[str, Any], report_id: str) -> Response:
    return _command(report_id, lambda p, r, c: workflow.send_back(p, r, body["reason"], **c))


@blp.route("/reports/<report_id>/approval", methods=["POST"])
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def approve_report(report_id: str) -> Response:
    """Approves the version in review (a reviewer who did not draft it)."""
    return _command(report_id, lambda p, r, c: workflow.approve(p, r, **c))


@blp.route("/reports/<report_id>/corrections", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
def correct_report(body: dict[str, Any], report_id: str) -> Response:
    """Starts the next version of a published report; the published one stays as it is."""
    return _command(report_id, lambda p, r, c: workflow.correct(p, r, body["reason"], **c))


@blp.route("/reports/<report_id>/publication", methods=["POST"])
@blp.response(200, ReportOut)
@blp.alt_response(409, description=WRONG_STATE)
@blp.alt_response(502, description="A log the report reads could not be pinned; try again")
def publish_report(report_id: str) -> Response:
    """Publishes the approved version: pins the signed checkpoints of the logs it reads,
    replays them from Kafka, computes the values, renders every format, signs and records the
    hashes."""
    principal = authenticated()
    service = reporting()
    report = _report_or_404(report_id)
    workflow.check_publishable(principal, report)
    pinned, replayed = basis_of(service, report, _bearer())
    published_at = datetime.now(UTC).replace(microsecond=0)
    code = code_version()
    built = render_all(content_of(report, service.catalogue, replayed, pinned, published_at,
                                  code))  # fmt: skip
    record = {
        "version": report.version, "published_at": published_at.isoformat(),
        "narrative": report.narrative, "supersedes_version": report.supersedes_version,
        "correction_reason": report.correction_reason, "sources": [p.as_dict() for p in pinned],
        "catalog_version": service.catalogue.catalog_version,
        "profile_versions": dict(built.content.basis.profile_versions),
        "code_version": code, "hashes": built.hashes, "signer": service.signer.verifier,
    }  # fmt: skip
    payload = {**record, "signature": service.signer.sign(record)}
    _store_outputs(report_id, report.version, built.outputs)
    with stream_precondition(None):
        event = NewEvent(PUBLISHED, payload, **event_context(principal))
        service.store.append(workflow.report_stream(report_id), report.stream_version, [event])
    return _report_response(_report_or_404(report_id))


@blp.route("/reports/<report_id>/versions/<int:version>/<fmt>")
def report_output(report_id: str, version: int, fmt: str) -> Response:
    """A published version as HTML, PDF, CSV, XLSX or JSON, byte for byte as published."""
    principal = authenticated()
    report = _report_or_404(report_id)
    if not workflow.may_read(principal, report):
        raise Forbidden("this report is not in your scope")
    if fmt not in FORMATS:
        raise NotFound(f"no format {fmt!r}", {"format": [f"One of {', '.join(FORMATS)}."]})
    with reporting().pool.connection() as conn:
        row = conn.execute(
            sql.SQL("SELECT content FROM {}.report_outputs WHERE report_id = %s AND version = %s"
                    " AND format = %s").format(sql.Identifier(reporting().settings.schema)),
            (report_id, version, fmt),
        ).fetchone()  # fmt: skip
    if row is None:
        raise NotFound(f"version {version} of {report_id} has not been published")
    response = Response(bytes(row[0]), mimetype=MEDIA[fmt].split(";")[0])
    response.headers["Content-Type"] = MEDIA[fmt]
    if fmt != "html":
        response.headers["Content-Disposition"] = (
            f'attachment; filename="report-{report_id}-v{version}.{fmt}"')  # fmt: skip
    return response


@blp.route("/reports/<report_id>/verification")
@blp.response(200, ReportVerificationOut)
def verification(report_id: str) -> dict[str, Any]:
    """Re-derives the latest published version from its pinned basis and says what holds."""
    principal = authenticated()
    report = _report_or_404(report_id)
    if not (principal.has_role("auditor") or workflow.may_read(principal, report)):
        raise Forbidden("this report is not in your scope")
    result = verify_report(reporting(), report, _bearer())
    return {"ok": result.ok, "steps": [s.__dict__ for s in result.steps]}


def basis_of(service: Reporting, report: Report, token: str
             ) -> tuple[list[PinnedLog], dict[str, list[RecordedEvent]]]:  # fmt: skip
    """The pinned checkpoints a report rests on and what they give, replayed from Kafka: for a
    national report the intake and indicators logs and, for its follow-up of earlier
    recommendations, the reporting log itself; for a regional report each national node's
    regional topic (the figures the latest regional checkpoint of the node proves)."""
    settings = service.settings
    if report.kind != "national":
        pinned, replayed = [], {}
        for node in regional_sources_of(settings):
            log, figures = pin_regional(settings.kafka_bootstrap,
                                        regional_topic(settings.topic_prefix, node),
                                        service.registry, wait=REGIONAL_WAIT)  # fmt: skip
            pinned.append(log)
            replayed.setdefault(REGIONAL, []).extend(figures)
        return pinned, replayed
    known = dict(settings.service_urls)
    pinned = [pin(known[name], token) for name in SOURCES if name in known]
    basis = recommendations.follow_up_basis(reporting_log(service), report.country or "")
    own = pin_own(service.store, basis, wait=min(settings.checkpoint_interval + 5, 30))
    pinned += [own] if own is not None else []
    return pinned, {source_service(p.origin): replay(
        settings.kafka_bootstrap, settings.events_topic(source_service(p.origin)), p,
        service.registry) for p in pinned}  # fmt: skip


REGIONAL_WAIT = 30.0  # seconds a publication waits for a node to prove its latest figures


def regional_sources_of(settings: Settings) -> tuple[str, ...]:
    """The nodes whose regional topics this service reads: a regional report is made only where
    they arrive (the hub, or a node that is its own hub)."""
    if not settings.regional_sources:
        raise Conflict(
            "a regional report is made at the regional hub, from the national"
            " nodes' regional topics; this service reads none (REGIONAL_SOURCES)",
            {"kind": ["Regional reports are drafted and published at the hub."]},
        )
    return settings.regional_sources


# --- helpers --------------------------------------------------------------------------------
Decision = Callable[[Principal, Report, dict[str, Any]], Sequence[NewEvent]]


def _command(report_id: str, decide: Decision) -> Response:
    principal = authenticated()
    report = _report_or_404(report_id)
    expected = if_match_version()
    events = decide(principal, report, event_context(principal))
    with stream_precondition(expected):
        reporting().store.append(workflow.report_stream(report_id),
                                 expected if expected is not None else report.stream_version,
                                 events)  # fmt: skip
    return _report_response(_report_or_404(report_id))


def reporting_log(service: Reporting) -> Iterator[RecordedEvent]:
    """The reporting log from the start (reports and recommendations are few)."""
    after = 0
    while page := service.store.read_all(after=after, limit=5000):
        yield from page
        after = page[-1].log_index


def _report_or_404(report_id: str) -> Report:
    report = workflow.report_from(reporting().store.read_stream(workflow.report_stream(report_id)))
    if report is None:
        raise NotFound(f"there is no report {report_id!r}", {"report_id": ["Unknown."]})
    return report


def _report_response(report: Report) -> Response:
    response = jsonify(ReportOut().dump(report.__dict__))
    response.headers["ETag"] = etag(report.stream_version)
    return response


def _store_outputs(report_id: str, version: int, outputs: dict[str, bytes]) -> None:
    with reporting().pool.connection() as conn, conn.transaction():
        for fmt, content in outputs.items():
            conn.execute(
                sql.SQL("INSERT INTO {}.report_outputs VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING")
                .format(sql.Identifier(reporting().settings.schema)),
                (report_id, version, fmt, content, hashlib.sha256(content).hexdigest()),
            )  # fmt: skip


def _bearer() -> str:
    """The caller's own token, to ask the other services for their checkpoints as them."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header.split(" ", 1)[1].strip()
    return request.cookies.get("actnow_session", "")
