"""The HTTP contract of monitoring cycles and data requests.

A cycle and its requests are read from the cycle's stream (current, with an ETag to send back
in If-Match); a request's status is derived on reading from the institution's submissions and
the date (`as_of`, today without it), so it is current even before the follow-up task has
recorded it. Lists of cycles come from the read model and may lag by about a second.

Who: national_admin or monitor open a cycle; monitor or national_admin generate requests;
monitor, or the data_provider of the institution asked, record a refusal; a data_provider sees
only its own organisation's requests, and nothing of another country.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate
from psycopg import sql

from services.identity.events import COUNTRIES
from services.indicators import cycles, profiles
from services.indicators.api import indicators
from services.indicators.assessment_api import event_store, known_country
from services.indicators.assessment_views import Assessments
from services.indicators.cycle_views import Institutions, MonitoringCycles, submitted_fields
from services.indicators.cycles import (
    AssessmentSeen,
    Cycle,
    DataRequest,
    GenerateCommand,
    OpenCommand,
    RequestStatus,
)
from services.indicators.letters import letter_pdf
from services.indicators.profiles import ProfileEntry
from services.indicators.workbooks import request_workbook, submission_from_workbook
from shared.auth import Principal, authenticated
from shared.backbone.envelope import NewEvent
from shared.backbone.projections import query_read_model
from shared.backbone.store import ExpectedVersion
from shared.blueprint import Blueprint
from shared.db import fetch_dicts
from shared.errors import Forbidden, NotFound, PreconditionFailed, ValidationProblem
from shared.web import etag, event_context, if_match_version, stream_precondition

# who reads a cycle's state; a data_provider reads only its own requests
STATE_READERS = ("monitor", "reviewer", "national_admin", "auditor", "platform_admin")
REQUEST_READERS = (*STATE_READERS, "data_provider")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- schemas --------------------------------------------------------------------------------
class OpenIn(Schema):
    requests_due = fields.Date(required=True, metadata={"description": "Requests answered by"})
    scoring_due = fields.Date(required=True, metadata={"description": "Qualitative scores by"})
    report_due = fields.Date(required=True, metadata={"description": "National report by"})
    profile_version = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "A confirmed profile version; the latest confirmed without it"})  # fmt: skip


class GenerateIn(Schema):
    deadline = fields.Date(metadata={"description": "The cycle's requests_due without it"})
    language = fields.String(validate=validate.OneOf(cycles.LETTER_LANGUAGES), metadata={
        "description": "The letters' language; the national language without it"})  # fmt: skip
    organisations = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Institution (a catalogue source such as `courts`, or the institution"
                       " an adapted indicator names) -> the organisation id to ask"})  # fmt: skip


class RefusalIn(Schema):
    reason = fields.String(required=True)


class AsOfQuery(Schema):
    as_of = fields.Date(metadata={"description": "Statuses as of this day (today without it)"})


class RequestsQuery(AsOfQuery):
    status = fields.String(validate=validate.OneOf(cycles.REQUEST_STATUSES))


class LetterQuery(Schema):
    language = fields.String(validate=validate.OneOf(cycles.LETTER_LANGUAGES), metadata={
        "description": "The request's language without it"})  # fmt: skip


class CountryQuery(Schema):
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))


class RequestOut(Schema):
    request_id = fields.String()
    country = fields.String()
    year = fields.Integer()
    organisation_id = fields.String()
    organisation_name = fields.String()
    institution = fields.String(metadata={"description": "As the profile or catalogue names it"})
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    indicators = fields.List(fields.String())
    deadline = fields.Date()
    language = fields.String()
    sent_by = fields.String()
    sent_at = fields.DateTime()
    status = fields.String(metadata={"description": ", ".join(cycles.REQUEST_STATUSES)})
    answered_fields = fields.List(fields.String())
    missing_fields = fields.List(fields.String())
    days_overdue = fields.Integer()
    refusal_reason = fields.String(allow_none=True)
    refused_by = fields.String(allow_none=True)
    refused_at = fields.DateTime(allow_none=True)


class UnaddressedOut(Schema):
    institution = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    indicators = fields.List(fields.String())
    candidates = fields.List(fields.String(), metadata={
        "description": "Organisations that fit equally: name one in `organisations`"})  # fmt: skip


class GeneratedOut(Schema):
    requests = fields.List(fields.Nested(RequestOut), metadata={"description": "Sent now"})
    unaddressed = fields.List(fields.Nested(UnaddressedOut))
    version = fields.Integer()


class IndicatorStateOut(Schema):
    code = fields.String()
    title = fields.String(allow_none=True)
    kind = fields.String()
    profile_status = fields.String()
    state = fields.String(metadata={"description": ", ".join(cycles.INDICATOR_STATES)})
    reason = fields.String(allow_none=True, metadata={
        "description": "missing: " + ", ".join(cycles.MISSING_REASONS)})  # fmt: skip
    detail = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    requests = fields.List(fields.String())


class EvidenceSuggestionOut(Schema):
    indicators = fields.List(fields.String())
    request_id = fields.String()
    status = fields.String()
    evidence = fields.Dict(metadata={"description": "An evidence item for the assessment"})


class CycleOut(Schema):
    country = fields.String()
    year = fields.Integer()
    catalog_version = fields.String()
    profile_version = fields.Integer()
    requests_due = fields.Date()
    scoring_due = fields.Date()
    report_due = fields.Date()
    opened_by = fields.String()
    opened_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "The stream version (the ETag)"})


class CycleStateOut(CycleOut):
    as_of = fields.Date()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "Indicators by state"})  # fmt: skip
    requests_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    indicators = fields.List(fields.Nested(IndicatorStateOut))
    requests = fields.List(fields.Nested(RequestOut))
    reminders = fields.List(fields.Nested(RequestOut))
    evidence_suggestions = fields.List(fields.Nested(EvidenceSuggestionOut))


class CycleSummaryOut(CycleOut):
    requests = fields.Integer()
    answered = fields.Integer()
    refused = fields.Integer()
    overdue = fields.Integer(metadata={"description": "As recorded by the follow-up"})


class SubmissionBody(Schema):
    country = fields.String()
    organisation_id = fields.String()
    period = fields.String()
    figures = fields.Dict()
    document = fields.Dict()


cycles_blp = Blueprint(
    "cycles", __name__, url_prefix="/api/v1",
    description="Monitoring cycles and data requests to institutions",
)  # fmt: skip

CYCLE = "/cycles/<country>/<int:year>"
REQUEST = f"{CYCLE}/requests/<request_id>"


# --- cycles ---------------------------------------------------------------------------------
@cycles_blp.route(CYCLE, methods=["POST"])
@cycles_blp.arguments(OpenIn)
@cycles_blp.response(201, CycleOut)
def open_cycle(body: dict[str, Any], country: str, year: int) -> Response:
    """Opens the monitoring cycle of a reference year (national_admin or monitor of the
    country), under the service's catalogue and a confirmed version of the national profile."""
    principal = authenticated()
    country = known_country(country)
    if not principal.may(cycles.OPENERS, country):
        raise Forbidden(f"this needs the role national_admin or monitor for {country}")
    current = _cycle(country, year)
    profile = _profile(country)
    confirmed = [v.number for v in profile.versions if v.confirmed]
    command = OpenCommand(body["requests_due"], body["scoring_due"], body["report_due"],
                          body.get("profile_version"))  # fmt: skip
    events = cycles.open_cycle(principal, indicators().catalogue, current, country, year,
                               confirmed, command, date.today(),
                               **event_context(principal))  # fmt: skip
    cycle = _appended(country, year, None, events)
    response = _with_etag(CycleOut().dump(_cycle_out(cycle)), cycle.version)
    response.status_code = 201
    return response


@cycles_blp.route("/cycles")
@cycles_blp.arguments(CountryQuery, location="query")
@cycles_blp.response(200, CycleSummaryOut(many=True))
def list_cycles(query: dict[str, Any]) -> list[dict[str, Any]]:
    """A country's cycles, newest first, with their requests counted (read model)."""
    principal = authenticated()
    _require(principal, REQUEST_READERS, query["country"])
    service = indicators()
    views = MonitoringCycles(service.settings.events_topic("indicators"))
    return query_read_model(
        service.pool, service.settings.schema, views,
        "SELECT c.*, (SELECT count(*) FROM {schema}.data_requests r WHERE r.country = c.country"
        " AND r.year = c.year) AS requests, (SELECT count(*) FROM {schema}.data_requests r"
        " WHERE r.country = c.country AND r.year = c.year AND r.status = 'answered')"
        " AS answered, (SELECT count(*) FROM {schema}.data_requests r WHERE r.country ="
        " c.country AND r.year = c.year AND r.status = 'refused') AS refused,"
        " (SELECT count(*) FROM {schema}.data_requests r WHERE r.country = c.country"
        " AND r.year = c.year AND r.status = 'overdue') AS overdue"
        " FROM {schema}.cycles c WHERE c.country = %s ORDER BY c.year DESC",
        (query["country"],),
    )  # fmt: skip


@cycles_blp.route(CYCLE)
@cycles_blp.arguments(AsOfQuery, location="query")
@cycles_blp.response(200, CycleStateOut)
def get_cycle(query: dict[str, Any], country: str, year: int) -> Response:
    """The cycle at a glance: for each indicator of its profile, whether it has data, is
    scored, or is missing and why; the requests with their statuses, the reminders (requests
    overdue) and the evidence that refusals and non-answers give the coordination
    indicators."""
    principal = authenticated()
    country = known_country(country)
    _require(principal, STATE_READERS, country)
    cycle = _existing(country, year)
    today = query.get("as_of") or date.today()
    service = indicators()
    catalogue = service.catalogue
    entries = _entries(cycle)
    by_organisation = submitted_fields(service.pool, service.settings.schema, service.history,
                                       country, year)  # fmt: skip
    statuses = _statuses(cycle, by_organisation, today)
    submitted = {name for names in by_organisation.values() for name in names}
    computed, assessed = _computed(country, year), _assessed(country, year)
    states = cycles.indicator_states(catalogue, entries, cycle, statuses, submitted, computed,
                                     assessed)  # fmt: skip
    requests = [_request_out(cycle, r, statuses[r.request_id]) for r in _sorted(cycle)]
    summary = {state: sum(s.state == state for s in states) for state in cycles.INDICATOR_STATES}
    by_status = {status: sum(s.status == status for s in statuses.values())
                 for status in cycles.REQUEST_STATUSES}  # fmt: skip
    body = {**_cycle_out(cycle), "as_of": today, "summary": summary,
            "requests_by_status": by_status,
            "indicators": [{**asdict(s), "title": _title(s.code, entries)} for s in states],
            "requests": requests,
            "reminders": [r for r in requests if r["status"] == cycles.OVERDUE],
            "evidence_suggestions": cycles.coordination_evidence(catalogue, cycle, statuses,
                                                                 today)}  # fmt: skip
    return _with_etag(CycleStateOut().dump(body), cycle.version)


# --- requests -------------------------------------------------------------------------------
@cycles_blp.route(f"{CYCLE}/requests", methods=["POST"])
@cycles_blp.arguments(GenerateIn)
@cycles_blp.response(201, GeneratedOut)
def generate_requests(body: dict[str, Any], country: str, year: int) -> Response:
    """Sends a request to each institution holding the cycle's `agg_` fields, as the cycle's
    profile maps them (monitor or national_admin). Institutions asked already are not asked
    again; holders no organisation could be found for are listed as `unaddressed`."""
    principal = authenticated()
    country = known_country(country)
    if not principal.may(cycles.REQUESTERS, country):
        raise Forbidden(f"this needs the role monitor or national_admin for {country}")
    cycle = _existing(country, year)
    _check_if_match(cycle.version)
    command = GenerateCommand(body.get("deadline"), body.get("language"),
                              body.get("organisations") or {})  # fmt: skip
    events, unaddressed = cycles.generate_requests(
        principal, indicators().catalogue, cycle, _entries(cycle), _organisations(country),
        command, date.today(), **event_context(principal),
    )  # fmt: skip
    cycle = _appended(country, year, cycle, events)
    sent = {e.payload["request_id"] for e in events}
    statuses = _statuses(cycle, {}, date.today())
    body_out = {"requests": [_request_out(cycle, r, statuses[r.request_id])
                             for r in _sorted(cycle) if r.request_id in sent],
                "unaddressed": [asdict(u) for u in unaddressed],
                "version": cycle.version}  # fmt: skip
    response = _with_etag(GeneratedOut().dump(body_out), cycle.version)
    response.status_code = 201 if events else 200
    return response


@cycles_blp.route(f"{CYCLE}/requests")
@cycles_blp.arguments(RequestsQuery, location="query")
@cycles_blp.response(200, RequestOut(many=True))
def list_requests(query: dict[str, Any], country: str, year: int) -> list[dict[str, Any]]:
    """The cycle's requests with their statuses as of `as_of` (a data_provider: its own
    organisation's only)."""
    principal = authenticated()
    country = known_country(country)
    _require(principal, REQUEST_READERS, country)
    cycle = _existing(country, year)
    rows = _visible_requests(principal, cycle, query.get("as_of") or date.today())
    return [r for r in rows if query.get("status") in (None, r["status"])]


@cycles_blp.route(f"{CYCLE}/reminders")
@cycles_blp.arguments(AsOfQuery, location="query")
@cycles_blp.response(200, RequestOut(many=True))
def reminders(query: dict[str, Any], country: str, year: int) -> list[dict[str, Any]]:
    """The requests to remind institutions of (monitor or national_admin): overdue as of
    `as_of`, the longest overdue first, with the fields still missing."""
    principal = authenticated()
    country = known_country(country)
    _require(principal, cycles.REQUESTERS, country)
    cycle = _existing(country, year)
    rows = _visible_requests(principal, cycle, query.get("as_of") or date.today())
    overdue = [r for r in rows if r["status"] == cycles.OVERDUE]
    return sorted(overdue, key=lambda r: -int(r["days_overdue"]))


@cycles_blp.route(REQUEST)
@cycles_blp.arguments(AsOfQuery, location="query")
@cycles_blp.response(200, RequestOut)
def get_request(query: dict[str, Any], country: str, year: int, request_id: str) -> Response:
    _, cycle, data_request = _readable_request(country, year, request_id)
    status = _statuses(cycle, _submitted(cycle), query.get("as_of") or date.today())
    body = _request_out(cycle, data_request, status[request_id])
    return _with_etag(RequestOut().dump(body), cycle.version)


@cycles_blp.route(f"{REQUEST}/refusal", methods=["POST"])
@cycles_blp.arguments(RefusalIn)
@cycles_blp.response(200, RequestOut)
def refuse_request(body: dict[str, Any], country: str, year: int, request_id: str) -> Response:
    """Records that the institution refused the request, and why (the monitor, or the
    data_provider of the institution asked)."""
    principal = authenticated()
    country = known_country(country)
    _require(principal, ("monitor", "data_provider"), country)
    cycle = _existing(country, year)
    _visible(principal, cycle, request_id)
    _check_if_match(cycle.version)
    events = cycles.refuse(principal, cycle, request_id, body["reason"],
                           **event_context(principal))  # fmt: skip
    cycle = _appended(country, year, cycle, events)
    status = _statuses(cycle, _submitted(cycle), date.today())
    out = _request_out(cycle, cycle.request(request_id), status[request_id])
    return _with_etag(RequestOut().dump(out), cycle.version)


@cycles_blp.route(f"{REQUEST}/workbook")
@cycles_blp.response(200, description="The request's Excel workbook (.xlsx)")
def download_workbook(country: str, year: int, request_id: str) -> Response:
    """The Excel workbook the institution fills in; it reads back as a submission."""
    _, cycle, data_request = _readable_request(country, year, request_id)
    content = request_workbook(indicators().catalogue, cycle, data_request)
    name = f"request-{country}-{year}-{request_id[:8]}.xlsx"
    return _file(content, XLSX, name)


@cycles_blp.route(f"{REQUEST}/workbook", methods=["POST"])
@cycles_blp.response(200, SubmissionBody)
def read_workbook(country: str, year: int, request_id: str) -> dict[str, Any]:
    """A filled workbook (the `file` field of a multipart form, or the body) read back as the
    body of `POST /api/v1/submissions`: nothing is recorded here, the submission is."""
    _, cycle, data_request = _readable_request(country, year, request_id)
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    body = submission_from_workbook(indicators().catalogue, data)
    expected = (cycle.country, data_request.organisation_id, cycle.period)
    if (body["country"], body["organisation_id"], body["period"]) != expected:
        raise ValidationProblem("the workbook was generated for another request",
                                {"file": ["Country, organisation or period differ."]})  # fmt: skip
    return body


@cycles_blp.route(f"{REQUEST}/letter")
@cycles_blp.arguments(LetterQuery, location="query")
@cycles_blp.response(200, description="The request letter (PDF)")
def download_letter(query: dict[str, Any], country: str, year: int, request_id: str) -> Response:
    """The request letter as PDF, in the request's language (or `language`)."""
    _, cycle, data_request = _readable_request(country, year, request_id)
    pdf = letter_pdf(indicators().catalogue, cycle, data_request, _entries(cycle),
                     query.get("language"))  # fmt: skip
    language = query.get("language") or data_request.language
    return _file(pdf, "application/pdf", f"request-{country}-{year}-{language}.pdf")


# --- helpers --------------------------------------------------------------------------------
def _require(principal: Principal, roles: Sequence[str], country: str) -> None:
    if not principal.may(roles, country):
        raise Forbidden(f"this needs the role {' or '.join(roles)} for {country}")


def _check_if_match(version: int) -> None:
    expected = if_match_version()
    if expected is not None and expected != version:
        raise PreconditionFailed(
            f"the cycle is at version {version}, not {expected}: read it again",
            {"If-Match": [f"Current ETag is {etag(version)}."]},
        )


def _cycle(country: str, year: int) -> Cycle | None:
    return cycles.cycle_from(event_store().read_stream(cycles.cycle_stream(country, year)))


def _existing(country: str, year: int) -> Cycle:
    cycle = _cycle(country, year)
    if cycle is None:
        raise NotFound(f"no cycle is open for {country} {year}", {"year": ["No cycle open."]})
    return cycle


def _appended(country: str, year: int, cycle: Cycle | None, events: Sequence[NewEvent]) -> Cycle:
    if events:
        expected = cycle.version if cycle else ExpectedVersion.NO_STREAM
        with stream_precondition(if_match_version()):
            event_store().append(cycles.cycle_stream(country, year), expected, events)
    found = _cycle(country, year) if events else cycle
    assert found is not None  # opened now, or before
    return found


def _profile(country: str) -> profiles.Profile:
    catalog_version = indicators().catalogue.catalog_version
    stream = profiles.profile_stream(country, catalog_version)
    return profiles.profile_from(country, catalog_version, event_store().read_stream(stream))


def _entries(cycle: Cycle) -> dict[str, ProfileEntry]:
    """The indicators of the profile version the cycle was opened with."""
    version = _profile(cycle.country).version(cycle.profile_version)
    return profiles.resolved(indicators().catalogue, version)


def _organisations(country: str) -> list[cycles.Organisation]:
    service = indicators()
    rows = query_read_model(
        service.pool, service.settings.schema,
        Institutions(service.settings.events_topic("identity")),
        "SELECT organisation_id::text AS organisation_id, name, type FROM {schema}.institutions"
        " WHERE country = %s ORDER BY name",
        (country,),
    )  # fmt: skip
    return [cycles.Organisation(str(r["organisation_id"]), str(r["name"]), str(r["type"]))
            for r in rows]  # fmt: skip


def _submitted(cycle: Cycle) -> dict[str, set[str]]:
    service = indicators()
    return submitted_fields(service.pool, service.settings.schema, service.history,
                            cycle.country, cycle.year)  # fmt: skip


def _statuses(
    cycle: Cycle, submitted: Mapping[str, set[str]], today: date
) -> dict[str, RequestStatus]:
    return {r.request_id: cycles.request_status(r, submitted.get(r.organisation_id, set()), today)
            for r in cycle.requests.values()}  # fmt: skip


def _computed(country: str, year: int) -> set[str]:
    """The indicators with a value computed for the year (the values computer's table). A year
    computed only because an institution submitted figures, with no case record behind any
    value, has no case data: its zero counts say nothing."""
    service = indicators()
    rows = fetch_dicts(
        service.pool,
        sql.SQL("SELECT indicator, bool_or(contributors > 0) AS cases FROM {}.indicator_values"
                " WHERE country = %s AND period = %s AND cell = '' AND numerator IS NOT NULL"
                " GROUP BY indicator").format(sql.Identifier(service.settings.schema)),
        (country, str(year)),
    )  # fmt: skip
    if not any(r["cases"] for r in rows):
        return set()
    return {str(r["indicator"]) for r in rows}


def _assessed(country: str, year: int) -> dict[str, AssessmentSeen]:
    service = indicators()
    rows = query_read_model(
        service.pool, service.settings.schema,
        Assessments(service.settings.events_topic("indicators")),
        "SELECT code, status, score, not_assessed_reason FROM {schema}.assessments"
        " WHERE country = %s AND year = %s",
        (country, year),
    )  # fmt: skip
    return {str(r["code"]): AssessmentSeen(str(r["status"]), r["score"],  # type: ignore[arg-type]
                                           r["not_assessed_reason"])  # type: ignore[arg-type]
            for r in rows}  # fmt: skip


def _sorted(cycle: Cycle) -> list[DataRequest]:
    return sorted(cycle.requests.values(), key=lambda r: (r.organisation_name, r.request_id))


def _visible(principal: Principal, cycle: Cycle, request_id: str) -> DataRequest:
    """The request, if the caller may see it: a data_provider sees only its own
    organisation's (another's is not found, so its existence is not told either)."""
    data_request = cycle.request(request_id)
    if principal.may(STATE_READERS, cycle.country):
        return data_request
    if not cycles.is_own_request(principal, cycle.country, data_request):
        raise NotFound(f"no request {request_id} of your organisation in this cycle",
                       {"request_id": ["No such request for your organisation."]})  # fmt: skip
    return data_request


def _visible_requests(principal: Principal, cycle: Cycle, today: date) -> list[dict[str, Any]]:
    statuses = _statuses(cycle, _submitted(cycle), today)
    everything = principal.may(STATE_READERS, cycle.country)
    return [_request_out(cycle, r, statuses[r.request_id]) for r in _sorted(cycle)
            if everything or cycles.is_own_request(principal, cycle.country, r)]  # fmt: skip


def _readable_request(
    country: str, year: int, request_id: str
) -> tuple[Principal, Cycle, DataRequest]:
    principal = authenticated()
    country = known_country(country)
    _require(principal, REQUEST_READERS, country)
    cycle = _existing(country, year)
    return principal, cycle, _visible(principal, cycle, request_id)


def _cycle_out(cycle: Cycle) -> dict[str, Any]:
    return {"country": cycle.country, "year": cycle.year,
            "catalog_version": cycle.catalog_version, "profile_version": cycle.profile_version,
            "requests_due": cycle.requests_due, "scoring_due": cycle.scoring_due,
            "report_due": cycle.report_due, "opened_by": cycle.opened_by,
            "opened_at": cycle.opened_at, "version": cycle.version}  # fmt: skip


def _request_out(cycle: Cycle, r: DataRequest, status: RequestStatus) -> dict[str, Any]:
    refusal = r.refusal
    return {"request_id": r.request_id, "country": cycle.country, "year": cycle.year,
            "organisation_id": r.organisation_id, "organisation_name": r.organisation_name,
            "institution": r.institution, "fields": list(r.fields),
            "indicators": list(r.indicators), "deadline": r.deadline, "language": r.language,
            "sent_by": r.sent_by, "sent_at": r.sent_at, "status": status.status,
            "answered_fields": list(status.answered_fields),
            "missing_fields": list(status.missing_fields), "days_overdue": status.days_overdue,
            "refusal_reason": refusal.reason if refusal else None,
            "refused_by": refusal.by if refusal else None,
            "refused_at": refusal.at if refusal else None}  # fmt: skip


def _title(code: str, entries: Mapping[str, ProfileEntry]) -> str | None:
    try:
        return indicators().catalogue.indicator(code).title
    except KeyError:
        entry = entries.get(code)
        return next(iter(entry.titles.values()), None) if entry and entry.titles else None


def _with_etag(body: dict[str, Any], version: int) -> Response:
    response = jsonify(body)
    response.headers["ETag"] = etag(version)
    return response


def _file(content: bytes, mimetype: str, name: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
