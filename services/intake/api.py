"""The intake service's HTTP contract: case records and their events, institutions' aggregate
submissions, and the log of who read which case."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for
from marshmallow import Schema, fields, validate
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.intake import cases
from services.intake.cases import Case
from services.intake.events import CASE_CORRECTED
from services.intake.exporting import EXPORTS, ExportedCase
from services.intake.importing import read_upload, validate_batch
from services.intake.importing.recording import errors_report, record_batch
from services.intake.persons import (
    PersonVault,
    checked_identifiers,
    current_links,
    unlink,
)
from services.intake.projections import (
    CaseViews,
    SubmissionViews,
    case_stream,
    country_of,
)
from services.intake.schemas import (
    COUNTRY,
    AccessOut,
    AccessQuery,
    CaseIn,
    CaseOut,
    CasePage,
    CaseQuery,
    ErasureIn,
    EventBatchIn,
    EventIn,
    EventsRecorded,
    IdentifiersOut,
    ImportQuery,
    ImportReport,
    SubmissionIn,
    SubmissionOut,
    SubmissionQuery,
    UnlinkIn,
)
from services.intake.submissions import decide_submission, submission_stream
from services.registry import REGISTRY
from shared.auth import Principal, authenticated
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.backbone.projections import query_read_model
from shared.backbone.store import EventStore, ExpectedVersion
from shared.blueprint import Blueprint
from shared.db import fetch_dicts
from shared.errors import Forbidden, NotFound, PreconditionFailed, ValidationProblem
from shared.settings import Settings
from shared.web import etag, event_context, if_match_version, stream_precondition

# who may see case records: the people working the cases, and the monitors who check them
CASE_WRITERS = ("case_worker",)
CASE_READERS = ("case_worker", "monitor")
SUBMITTERS = ("data_provider", "monitor")
SUBMISSION_READERS = ("data_provider", "monitor", "reviewer", "national_admin")
# case files come from the case workers and from the institutions that keep HTCDS records
# themselves (police, social welfare, labour inspectorates: their data providers)
IMPORTERS = ("case_worker", "data_provider")


@dataclass(frozen=True)
class Intake:
    settings: Settings
    pool: ConnectionPool
    store: EventStore
    vault: PersonVault
    cache: CaseCache = field(default_factory=lambda: CaseCache())

    def views(self) -> CaseViews:
        return CaseViews(self.settings.events_topic("intake"))

    def submission_views(self) -> SubmissionViews:
        return SubmissionViews(self.settings.events_topic("intake"))


def intake() -> Intake:
    return current_app.extensions["actnow.intake"]


def _require(principal: Principal, roles: tuple[str, ...], country: str) -> None:
    if not principal.may(roles, country):
        raise Forbidden(f"this needs the role {' or '.join(roles)} for {country}")


def _served_country(country: str | None, field: str = "country") -> str:
    served = intake().settings.countries
    chosen = country or (served[0] if len(served) == 1 else None)
    if chosen is None:
        raise ValidationProblem(
            "this node records several countries: name one", {field: [f"One of {list(served)}."]}
        )
    if chosen not in served:
        raise ValidationProblem(
            f"this node does not record {chosen}", {field: [f"One of {list(served)}."]}
        )
    return chosen


# --- cases ----------------------------------------------------------------------------------
blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Case records")


@blp.route("/cases", methods=["POST"])
@blp.arguments(CaseIn)
@blp.response(201, CaseOut)
def open_case(body: dict[str, Any]) -> Response:
    """Opens a pseudonymous case with its HTCDS fields (case_worker of the country)."""
    principal = authenticated()
    country = _served_country(body.pop("country", None))
    _require(principal, CASE_WRITERS, country)
    raw_identifiers = body.pop("identifiers", None)
    identifiers = checked_identifiers(raw_identifiers) if raw_identifiers is not None else None
    body.setdefault("person_id", str(uuid.uuid4()))
    context = event_context(principal)
    events = cases.open_case(body, date.today(), **context)
    case_id = f"{country}-{uuid.uuid4()}"
    person_id = str(body["person_id"])
    service = intake()
    if identifiers:
        events += service.vault.enrol(person_id, case_id, identifiers, date.today(),
                                      **context).events  # fmt: skip
    try:
        service.store.append(case_stream(case_id), ExpectedVersion.NO_STREAM, events)
    except Exception:
        if identifiers:  # nothing half-written: the key and hashes go with the refused case
            service.vault.forget(person_id)
        raise
    case = _read_case(case_id)
    response = _case_response(case_id, case)
    response.status_code = 201
    response.headers["Location"] = url_for("cases.get_case", case_id=case_id)
    return response


@blp.route("/cases/export")
@blp.arguments(
    Schema.from_dict(
        {
            "country": fields.String(validate=COUNTRY),
            "format": fields.String(load_default="csv", validate=validate.OneOf(tuple(EXPORTS))),
        },
        name="ExportQuery",
    ),
    location="query",
)
@blp.response(200, description="The file: CSV, XLSX, or the HTCDS 2.0 Excel template's layout")
def export_cases(query: dict[str, Any]) -> Response:
    """The case records of one country as a file (`format=csv`, `xlsx`, or `htcds`, which the
    import reads back), each case as it stands now and without direct identifiers (case_worker
    or monitor of the country; read model: may lag ~1 s). Every exported case is recorded in
    the access log."""
    principal = authenticated()
    country = _served_country(query.get("country"))
    _require(principal, CASE_READERS, country)
    service = intake()
    listed = query_read_model(
        service.pool, service.settings.schema, service.views(),
        "SELECT case_id FROM {schema}.case_list WHERE country = %s ORDER BY case_id", (country,),
    )  # fmt: skip
    exported = [ExportedCase.of(row["case_id"], _read_state(row["case_id"]))
                for row in listed]  # fmt: skip
    chosen = EXPORTS[query["format"]]
    data = chosen.write(exported)
    for case in exported:  # logged before a byte is sent: no export goes unrecorded
        _log_access(principal, case.case_id, "export")
    filename = f"cases-{country}-{date.today().isoformat()}.{chosen.extension}"
    return Response(data, content_type=chosen.media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
    })  # fmt: skip


@blp.route("/cases/<case_id>")
@blp.response(200, CaseOut)
def get_case(case_id: str) -> Response:
    """The case as its history says now (corrections applied), with every event; the read is
    recorded in the access log."""
    principal = authenticated()
    _require(principal, CASE_READERS, country_of(case_id))
    case = _read_case(case_id)
    _log_access(principal, case_id, "read")
    return _case_response(case_id, case)


@blp.route("/cases/<case_id>/events", methods=["POST"])
@blp.arguments(EventIn)
@blp.response(201, EventsRecorded)
def record_event(body: dict[str, Any], case_id: str) -> Response:
    """Records one event on the case: `{"type": "ReferralMade", ...}`. With If-Match, only if
    the case is still at that version."""
    return _record_events(case_id, [body])


@blp.route("/cases/<case_id>/events/batch", methods=["POST"])
@blp.arguments(EventBatchIn)
@blp.response(201, EventsRecorded)
def record_events(body: dict[str, Any], case_id: str) -> Response:
    """Records several events on the case in order, all or none (`{"events": [...]}`, up to
    100): each is decided on the case as the ones before it leave it. An error names the event
    by its place in the list (`events.2.date`)."""
    return _record_events(case_id, body["events"])


def _full_type(event_type: object) -> str:
    name = str(event_type)
    return name if name.startswith("intake.") else f"intake.{name}"


def _record_events(case_id: str, bodies: list[dict[str, Any]]) -> Response:
    principal = authenticated()
    _require(principal, CASE_WRITERS, country_of(case_id))
    # the recorded events are not needed to decide, nor is the history but for a correction
    correcting = any(_full_type(body["type"]) == CASE_CORRECTED for body in bodies)
    case = _read_state(case_id, whole=correcting)
    expected = if_match_version()
    if expected is not None and expected != case.version:
        raise PreconditionFailed(
            f"the case is at version {case.version}, not {expected}: read it again",
            {"If-Match": [f"Current ETag is {etag(case.version)}."]},
        )
    context = event_context(principal)
    decided: list[NewEvent] = []
    state = case
    for number, body in enumerate(bodies):
        fields_ = dict(body)
        full_type = _full_type(fields_.pop("type"))
        try:
            events = cases.record_event(state, full_type, fields_, date.today(), **context)
        except ValidationProblem as problem:
            if len(bodies) == 1:
                raise
            raise ValidationProblem(
                f"event {number} of the batch is refused: {problem.detail}; nothing was recorded",
                {f"events.{number}.{name}": messages for name, messages in problem.errors.items()},
            ) from problem
        decided += events
        state = cases.after_decided(state, events)  # as it will be once recorded
    with stream_precondition(expected):
        result = intake().store.append(case_stream(case_id), case.version, decided)
    if result.already_recorded:  # a retry of events recorded before: show the case as it is
        record = _read_case(case_id)
        return _recorded_response(case_id, record.case, record.events[-len(decided) :])
    intake().cache.put(case_id, state)
    return _recorded_response(case_id, state, _just_appended(case.version, decided))


@blp.route("/cases/<case_id>/identifiers")
@blp.response(200, IdentifiersOut)
def read_identifiers(case_id: str) -> dict[str, Any]:
    """The person's direct identifiers, decrypted (case_worker; recorded in the access log)."""
    principal = authenticated()
    _require(principal, CASE_WRITERS, country_of(case_id))
    record = _read_case(case_id)
    _log_access(principal, case_id, "read_identifiers")
    return {
        "person_id": record.case.person_id,
        "identifiers": intake().vault.identifiers(record.case.person_id, record.events),
    }


@blp.route("/cases/<case_id>/unlink", methods=["POST"])
@blp.arguments(UnlinkIn)
@blp.response(200, CaseOut)
def unlink_persons(body: dict[str, Any], case_id: str) -> Response:
    """Reverses links to persons found or confirmed earlier (case_worker)."""
    principal = authenticated()
    _require(principal, CASE_WRITERS, country_of(case_id))
    record = _read_case(case_id)
    event = unlink(record.case.person_id, current_links(record.events),
                   [str(p) for p in body["person_ids"]], body["reason"], date.today(),
                   **event_context(principal))  # fmt: skip
    with stream_precondition(if_match_version()):
        intake().store.append(case_stream(case_id), record.case.version, [event])
    return _case_response(case_id, _read_case(case_id))


@blp.route("/persons/<uuid:person_id>/erasure", methods=["POST"])
@blp.arguments(ErasureIn)
@blp.response(204)
def erase_person(body: dict[str, Any], person_id: uuid.UUID) -> Response:
    """Erases a person (national_admin): the key of their identifiers and their linkage hashes
    are deleted and `PersonErased` is recorded; the case's other facts stay, pseudonymous."""
    principal = authenticated()
    service = intake()
    case_id = service.vault.case_of(str(person_id))
    if case_id is None:
        raise NotFound("no identifiers are held for this person", {"person_id": ["Unknown."]})
    _require(principal, ("national_admin",), country_of(case_id))
    service.vault.erase(service.store, str(person_id), case_id, body["reason"], principal.user,
                        **event_context(principal))  # fmt: skip
    return Response(status=204)


@blp.route("/cases")
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CasePage)
def list_cases(query: dict[str, Any]) -> dict[str, Any]:
    """Case summaries of one country, by case id, a page at a time (read model: may lag ~1 s)."""
    principal = authenticated()
    country = _served_country(query.get("country"))
    _require(principal, CASE_READERS, country)
    conditions, params = ["country = %s"], [country]
    for name in ("status", "trafficking_status", "is_child"):
        if name in query:
            conditions.append(f"{name} = %s")
            params.append(query[name])
    if "identified_from" in query:
        conditions.append("identification_date >= %s")
        params.append(query["identified_from"])
    if "identified_to" in query:
        conditions.append("identification_date <= %s")
        params.append(query["identified_to"])
    if "after" in query:
        conditions.append("case_id > %s")
        params.append(query["after"])
    service = intake()
    rows = query_read_model(
        service.pool, service.settings.schema, service.views(),
        "SELECT case_id, country, person_id::text, status, trafficking_status, gender, is_child,"
        " age, first_contact_date, identification_date, closed_date, exploitation, events,"
        f" version FROM {{schema}}.case_list WHERE {' AND '.join(conditions)}"
        " ORDER BY case_id LIMIT %s",
        (*params, query["limit"]),
    )  # fmt: skip
    full = len(rows) == query["limit"]
    return {"cases": rows, "next_after": rows[-1]["case_id"] if full else None}


@blp.route("/access-log")
@blp.arguments(AccessQuery, location="query")
@blp.response(200, AccessOut(many=True))
def access_log(query: dict[str, Any]) -> list[dict[str, Any]]:
    """Who read which case record of a country, newest first (national_admin)."""
    principal = authenticated()
    _require(principal, ("national_admin",), query["country"])
    conditions, params = ["case_id LIKE %s"], [f"{query['country']}-%"]
    for name in ("case_id", "username"):
        if name in query:
            conditions.append(f"{name} = %s")
            params.append(query[name])
    service = intake()
    statement = sql.SQL(
        "SELECT at, username, organisation, case_id, action FROM {}.access_log"
        f" WHERE {' AND '.join(conditions)} ORDER BY at DESC, id DESC LIMIT %s"
    ).format(sql.Identifier(service.settings.schema))
    return fetch_dicts(service.pool, statement, (*params, query["limit"]))


@dataclass(frozen=True)
class CaseRecord:
    """A case as decided on (`case`: corrections applied) and as recorded (`events`)."""

    case: Case
    events: list[RecordedEvent]


class CaseCache:
    """Recently used cases of this process, as folded summaries (`cases.summary`: the fields
    the rules decide on, the opening, not the rest of the history), not their recorded events:
    those are what a read that shows them reads from the store. A read still asks the store
    for events after the cached version (one indexed query), so a case is never stale; only the
    fold of the history already seen is saved.

    A summary's size does not grow with the history. Whole histories did: under sustained
    intake to 300 cases (bench/load.py) a bound on facts held kept a gunicorn worker within
    150 MB only by evicting, and each eviction cost a whole-history fold on the next event of
    the case, so the cost per event grew with the run. A correction, the one decision that
    needs the whole history, folds the stream (`_read_state(whole=True)`)."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._items: OrderedDict[str, Case] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, case_id: str) -> Case | None:
        with self._lock:
            case = self._items.get(case_id)
            if case is not None:
                self._items.move_to_end(case_id)
            return case

    def put(self, case_id: str, case: Case) -> None:
        kept = cases.summary(case)
        with self._lock:
            self._items.pop(case_id, None)
            self._items[case_id] = kept
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class JustAppended:
    """An event this process has just appended, shaped as the case views read recorded ones;
    saves reading back what was just written."""

    event_id: uuid.UUID
    event_type: str
    stream_version: int
    occurred_at: datetime
    payload: dict[str, Any]
    schema_version: int = 1


def _just_appended(version: int, appended: list[NewEvent]) -> list[JustAppended]:
    """`appended`, recorded after `version`, as the case views read recorded events."""
    return [JustAppended(e.event_id, e.event_type, version + n, e.occurred_at, e.payload,
                         e.schema_version or REGISTRY.current_version(e.event_type))
            for n, e in enumerate(appended, start=1)]  # fmt: skip


def _read_state(case_id: str, recorded: list[RecordedEvent] | None = None,
                whole: bool = False) -> Case:  # fmt: skip
    """The case as decided on: the cached summary advanced by the events recorded since, else
    the whole stream folded. `recorded`: the whole stream, when the caller has read it.
    `whole`: with its whole history (`Case.elided` 0), as a correction is decided on."""
    service = intake()
    stream = case_stream(case_id)
    cached = None if whole else service.cache.get(case_id)
    if recorded and cached is not None and cached.version > recorded[-1].stream_version:
        # appended to since the caller read `recorded`: fold what it shows (cached as it is,
        # it is advanced again from the store on the next read)
        cached = None
    case = None
    if cached is not None:
        if recorded is None:
            new = service.store.read_stream(stream, from_version=cached.version + 1)
        else:
            new = [event for event in recorded if event.stream_version > cached.version]
        if not new:
            return cached
        case = cases.state_after(cached, new)  # None after a correction: fold it all again
    if case is None:
        case = cases.state_from(service.store.read_stream(stream) if recorded is None
                                else recorded)  # fmt: skip
    if case is None:
        raise NotFound(f"there is no case {case_id!r}", {"case_id": ["Unknown."]})
    service.cache.put(case_id, case)
    return case


def _read_case(case_id: str) -> CaseRecord:
    """The case with every recorded event (read from the store; the fold from the cache)."""
    events = intake().store.read_stream(case_stream(case_id))
    return CaseRecord(_read_state(case_id, events), events)


def _recorded_response(case_id: str, case: Case, recorded: Sequence[RecordedEvent | JustAppended]
                       ) -> Response:  # fmt: skip
    """What a recorded event changed: the case's state now and the events just recorded (the
    whole history is one GET away)."""
    body = EventsRecorded().dump({
        "case_id": case_id, "version": case.version, "status": case.status,
        "trafficking_status": case.trafficking_status, "is_child": case.is_child,
        "age": case.age, "fields_": dict(case.history[0].payload),
        "recorded": [_event_out(event, set()) for event in recorded],
    })  # fmt: skip
    response = jsonify(body)
    response.status_code = 201
    response.headers["ETag"] = etag(case.version)
    response.headers["Location"] = url_for("cases.get_case", case_id=case_id)
    return response


def _event_out(event: RecordedEvent | JustAppended, superseded: set[str]) -> dict[str, Any]:
    return {"event_id": event.event_id, "type": event.event_type.removeprefix("intake."),
            "version": event.stream_version, "occurred_at": event.occurred_at,
            "fields_": event.payload, "superseded": str(event.event_id) in superseded}  # fmt: skip


def _case_response(case_id: str, record: CaseRecord) -> Response:
    """The effective fields of the case, and every recorded event as it was recorded, with the
    superseded ones marked (history is shown, never rewritten)."""
    case = record.case
    superseded = {
        str(event_id)
        for event in record.events
        if event.event_type == "intake.CaseCorrected"
        for event_id in event.payload["superseded_event_ids"]
    }
    body = CaseOut().dump({
        "case_id": case_id, "country": country_of(case_id), "person_id": case.person_id,
        "version": case.version, "status": case.status,
        "trafficking_status": case.trafficking_status, "is_child": case.is_child,
        "age": case.age, "fields_": dict(case.history[0].payload),
        "linked_person_ids": current_links(record.events),
        "events": [_event_out(event, superseded) for event in record.events],
    })  # fmt: skip
    response = jsonify(body)
    response.headers["ETag"] = etag(case.version)
    return response


def _log_access(principal: Principal, case_id: str, action: str) -> None:
    service = intake()
    statement = sql.SQL(
        "INSERT INTO {}.access_log (username, organisation, case_id, action, correlation_id)"
        " VALUES (%s, %s, %s, %s, %s)"
    ).format(sql.Identifier(service.settings.schema))
    with service.pool.connection() as conn:
        conn.execute(statement, (principal.user, principal.organisation or None, case_id, action,
                                 g.get("correlation_id")))  # fmt: skip


# --- aggregate submissions ------------------------------------------------------------------
submissions = Blueprint("submissions", __name__, url_prefix="/api/v1",
                        description="Institutions' aggregate figures")  # fmt: skip


@submissions.route("/submissions", methods=["POST"])
@submissions.arguments(SubmissionIn)
@submissions.response(201, SubmissionOut)
def submit(body: dict[str, Any]) -> Response:
    """An institution's agg_ figures for a reference period (data_provider or monitor of the
    country). Submitting again for the same institution and period supersedes, keeping the
    history; send If-Match to be sure you supersede the version you saw."""
    principal = authenticated()
    country = _served_country(body.get("country"))
    _require(principal, SUBMITTERS, country)
    stream = submission_stream(country, body["organisation_id"], body["period"])
    store = intake().store
    current = store.read_stream(stream)
    version = current[-1].stream_version if current else 0
    expected = if_match_version()
    if expected is not None and expected != version:
        raise PreconditionFailed(
            f"the submission is at version {version}, not {expected}",
            {"If-Match": [f"Current ETag is {etag(version)}."]},
        )
    event = decide_submission(country, body["organisation_id"], body["period"], body["figures"],
                              body["document"], version, date.today(),
                              **event_context(principal))  # fmt: skip
    with stream_precondition(expected):
        result = store.append(stream, version or ExpectedVersion.NO_STREAM, [event])
    response = jsonify(SubmissionOut().dump({
        "submission_id": stream, "version": result.stream_version, **event.payload,
        "submitted_by": principal.user, "submitted_at": event.occurred_at,
    }))  # fmt: skip
    response.status_code = 201
    response.headers["ETag"] = etag(result.stream_version)
    return response


@submissions.route("/submissions")
@submissions.arguments(SubmissionQuery, location="query")
@submissions.response(200, SubmissionOut(many=True))
def list_submissions(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The current submissions of a country (with `history=true`, every version)."""
    principal = authenticated()
    country = _served_country(query.get("country"))
    _require(principal, SUBMISSION_READERS, country)
    conditions, params = ["s.country = %s"], [country]
    if "period" in query:
        conditions.append("s.period = %s")
        params.append(query["period"])
    if not query["history"]:
        conditions.append(
            "s.version = (SELECT max(version) FROM {schema}.submission_versions"
            " WHERE submission_id = s.submission_id)"
        )
    service = intake()
    return query_read_model(
        service.pool, service.settings.schema, service.submission_views(),
        "SELECT submission_id, version, country, organisation_id::text, period, figures,"
        " document, submitted_by, submitted_at FROM {schema}.submission_versions s"
        f" WHERE {' AND '.join(conditions)} ORDER BY period, submission_id, version",
        params,
    )  # fmt: skip


# --- imports --------------------------------------------------------------------------------
imports = Blueprint("imports", __name__, url_prefix="/api/v1",
                    description="HTCDS Excel and XLSForm imports")  # fmt: skip


@imports.route("/imports", methods=["POST"])
@imports.arguments(ImportQuery, location="query")
@imports.response(200, ImportReport)
@imports.alt_response(201, schema=ImportReport, description="Imported (commit=true)")
@imports.alt_response(422, description="Rows with errors; nothing was imported")
def import_cases(query: dict[str, Any]) -> Response:
    """Imports cases from an HTCDS 2.0 Excel workbook (either template) or a JSON export of
    HTCDS XLSForm submissions, sent as the `file` field of a multipart form or as the body.
    Without `commit=true` it is a dry run that reports every row's errors; a commit imports
    all rows or none (case_worker or data_provider of the country)."""
    principal = authenticated()
    country = _served_country(query.get("country"))
    _require(principal, IMPORTERS, country)
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    batch = validate_batch(read_upload(data), date.today())
    report = {"format": batch.format, "rows": len(batch.rows),
              "rows_with_errors": errors_report(batch),
              "ignored_columns": dict(batch.ignored_columns), "committed": False}  # fmt: skip
    if not query["commit"]:
        return jsonify(ImportReport().dump(report))
    if not batch.ok:
        raise ValidationProblem(
            f"{len(batch.rows_with_errors)} of {len(batch.rows)} rows have errors: nothing was"
            " imported", {"file": [f"Row {row['row']}: " + "; ".join(
                f"{k}: {' '.join(v)}" for k, v in row["errors"].items())
                for row in report["rows_with_errors"]] or ["No rows."]},
        )  # fmt: skip
    service = intake()
    recorded = record_batch(service.store, service.vault, batch, country, date.today(),
                            **event_context(principal))  # fmt: skip
    response = jsonify(ImportReport().dump({**report, "committed": True,
                                            "case_ids": recorded.cases,
                                            "events": recorded.events,
                                            "linked": recorded.linked}))  # fmt: skip
    response.status_code = 201
    return response
