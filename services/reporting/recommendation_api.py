"""The HTTP contract of recommendations and their follow-up across years.

A single recommendation is read from its streams (current, with an ETag); lists come from the
`recommendations` read model and may lag by about a second. Writers: a monitor of the country
enters GRETA recommendations and assesses follow-up; a reviewer of the country (not the one who
assessed) confirms or returns. Confirming also records the country-year's implementation rate
in the same transaction; the indicators worker carries that aggregate to the regional hub,
whose read model `GET /regional/recommendations` serves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields, validate

from services.reporting import recommendations as recs
from services.reporting import workflow
from services.reporting.api import Reporting, reporting, reporting_log
from services.reporting.events import FOLLOW_UP_CONFIRMED, FOLLOW_UP_STATUSES, EvidenceItem
from services.reporting.projections import Recommendations, RegionalImplementationRates
from services.reporting.recommendations import GretaCommand, Recommendation
from shared.auth import REGIONAL, Principal, authenticated
from shared.backbone.envelope import NewEvent
from shared.backbone.projections import query_read_model
from shared.backbone.store import ConcurrencyError, ExpectedVersion, StreamWrite
from shared.blueprint import Blueprint
from shared.errors import Forbidden, NotFound, PreconditionFailed
from shared.web import etag, event_context, if_match_version, stream_precondition

COUNTRY = validate.Regexp(r"^[A-Z]{2}$")
REGIONAL_READERS = ("regional_analyst", "auditor", "platform_admin")


# --- schemas --------------------------------------------------------------------------------
class GretaIn(Schema):
    country = fields.String(required=True, validate=COUNTRY)
    round = fields.String(required=True, validate=validate.Length(min=1, max=50))
    paragraph = fields.String(required=True, validate=validate.Length(min=1, max=50))
    year = fields.Integer(required=True, metadata={"description": "Year of the GRETA report"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    addressees = fields.List(fields.String(), load_default=list, validate=validate.Length(max=20))
    indicators = fields.List(fields.String(), load_default=list)


class AssessIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_STATUSES))
    evidence = fields.List(fields.Nested(EvidenceItem), required=True)
    note = fields.String(allow_none=True, load_default=None)


class ReviewIn(Schema):
    comment = fields.String(allow_none=True, load_default=None)


class RecommendationQuery(Schema):
    country = fields.String(validate=COUNTRY)
    source = fields.String(validate=validate.OneOf(recs.SOURCES))
    year = fields.Integer(metadata={"description": "The cycle (reference year) that follows"
                                                   " them up: only those due in it"})  # fmt: skip
    status = fields.String(
        validate=validate.OneOf(recs.STATUSES),
        metadata={"description": "With year: the status in that year; else the latest confirmed"},
    )


class FollowUpOut(Schema):
    year = fields.Integer()
    status = fields.String()
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.Dict())
    assessed_by = fields.String()
    state = fields.String(metadata={"description": "awaiting_review, confirmed or returned"})
    reviewed_by = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)


class RecommendationOut(Schema):
    recommendation_id = fields.String()
    country = fields.String()
    source = fields.String()
    issued_year = fields.Integer()
    reference = fields.String()
    text = fields.String()
    addressees = fields.List(fields.String())
    indicators = fields.List(fields.String())
    report_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "Latest confirmed status, or not_assessed"})
    status_in_year = fields.String(metadata={"description": "With ?year: the status in it"})
    follow_ups = fields.List(fields.Nested(FollowUpOut))
    history = fields.List(fields.Dict())


class RatesQuery(Schema):
    country = fields.String(required=True, validate=COUNTRY)
    year = fields.Integer(required=True)


class CountsOut(Schema):
    implemented = fields.Integer()
    partly_implemented = fields.Integer()
    not_implemented = fields.Integer()
    no_longer_relevant = fields.Integer()
    not_assessed = fields.Integer()


class RatesOut(Schema):
    country = fields.String()
    year = fields.Integer()
    total = fields.Integer()
    counts = fields.Nested(CountsOut)
    implementation_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Implemented share of those assessed as still relevant"},
    )


class RegionalQuery(Schema):
    year = fields.Integer(required=True)


class RegionalRatesOut(Schema):
    year = fields.Integer()
    countries = fields.List(fields.Nested(RatesOut))


recommendations_blp = Blueprint("recommendations", __name__, url_prefix="/api/v1",
                                description="Recommendations and their follow-up")  # fmt: skip


# --- reading --------------------------------------------------------------------------------
@recommendations_blp.route("/recommendations")
@recommendations_blp.arguments(RecommendationQuery, location="query")
@recommendations_blp.response(200, RecommendationOut(many=True))
def list_recommendations(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The recommendations the caller may read; with `year`, those its cycle follows up."""
    principal = authenticated()
    service = reporting()
    where, params = [], []
    for name in ("country", "source"):
        if name in query:
            where.append(f"{name} = %s")
            params.append(query[name])
    rows = query_read_model(
        service.pool, service.settings.schema, Recommendations(""),
        "SELECT state FROM {schema}.recommendations"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY country, issued_year, recommendation_id", params)  # fmt: skip
    found = []
    year = query.get("year")
    for row in rows:
        r = recs.from_json(row["state"])  # type: ignore[arg-type]
        if not principal.may(recs.READERS, r.country) or (year and not r.due_in(year)):
            continue
        status = r.status_in(year) if year else r.status
        if query.get("status", status) == status:
            found.append(_out(r, year))
    return found


@recommendations_blp.route("/recommendations/<recommendation_id>")
@recommendations_blp.response(200, RecommendationOut)
def get_recommendation(recommendation_id: str) -> Response:
    principal = authenticated()
    r = _current(recommendation_id)
    if r is None:
        raise NotFound(f"there is no recommendation {recommendation_id!r}",
                       {"recommendation_id": ["Unknown."]})  # fmt: skip
    if not principal.may(recs.READERS, r.country):
        raise Forbidden(f"this recommendation of {r.country} is not in your scope")
    return _response(r)


@recommendations_blp.route("/recommendations/rates")
@recommendations_blp.arguments(RatesQuery, location="query")
@recommendations_blp.response(200, RatesOut)
def national_rates(query: dict[str, Any]) -> dict[str, Any]:
    """A country's implementation rate for a reference year, from the reporting log now."""
    principal = authenticated()
    if not principal.may(recs.READERS, query["country"]):
        raise Forbidden(f"this needs a role for {query['country']}")
    ledger = recs.ledger_from(reporting_log(reporting()))
    return recs.rates(ledger.values(), query["country"], query["year"])


@recommendations_blp.route("/regional/recommendations")
@recommendations_blp.arguments(RegionalQuery, location="query")
@recommendations_blp.response(200, RegionalRatesOut)
def regional_rates(query: dict[str, Any]) -> dict[str, Any]:
    """At the hub: each country's implementation rate for the year, as its node published it
    on the regional topic (counts only)."""
    principal = authenticated()
    if not any(g.role in REGIONAL_READERS and g.scope == REGIONAL for g in principal.grants):
        raise Forbidden("this needs a regional role: regional_analyst, auditor or platform_admin")
    service = reporting()
    rows = query_read_model(
        service.pool, service.settings.schema, RegionalImplementationRates(()),
        "SELECT * FROM {schema}.regional_implementation_rates WHERE year = %s ORDER BY country",
        (query["year"],))  # fmt: skip
    counts = ("implemented", "partly_implemented", "not_implemented", "no_longer_relevant",
              "not_assessed")  # fmt: skip
    return {"year": query["year"], "countries": [
        {"country": row["country"], "year": row["year"], "total": row["total"],
         "counts": {name: row[name] for name in counts},
         "implementation_rate": row["implementation_rate"]} for row in rows]}  # fmt: skip


# --- writing --------------------------------------------------------------------------------
@recommendations_blp.route("/recommendations", methods=["POST"])
@recommendations_blp.arguments(GretaIn)
@recommendations_blp.response(201, RecommendationOut)
def enter_recommendation(body: dict[str, Any]) -> Response:
    """Enters a GRETA recommendation for the country (a monitor of it)."""
    principal = authenticated()
    service = reporting()
    country = body.pop("country")
    rid = f"greta-{country.lower()}-{uuid.uuid4().hex[:10]}"
    events = recs.enter(principal, service.catalogue, country, rid, GretaCommand(**body),
                        date.today(), **event_context(principal))  # fmt: skip
    service.store.append(recs.recommendation_stream(rid), ExpectedVersion.NO_STREAM, events)
    response = _response(_found(rid))
    response.status_code = 201
    response.headers["Location"] = url_for("recommendations.get_recommendation",
                                           recommendation_id=rid)  # fmt: skip
    return response


@recommendations_blp.route("/recommendations/<recommendation_id>/follow-ups/<int:year>",
                           methods=["PUT"])  # fmt: skip
@recommendations_blp.arguments(AssessIn)
@recommendations_blp.response(200, RecommendationOut)
def assess(body: dict[str, Any], recommendation_id: str, year: int) -> Response:
    """Assesses what became of the recommendation by the end of reference year `year`
    (implemented, partly, not implemented, no longer relevant), with at least one evidence
    item; again while it awaits review or after it was returned."""
    return _command(
        recommendation_id,
        year,
        lambda p, r, c: recs.assess(
            p, r, year, body["status"], body["evidence"], body["note"], date.today(), **c
        ),
    )


@recommendations_blp.route(
    "/recommendations/<recommendation_id>/follow-ups/<int:year>/confirmation", methods=["POST"]
)
@recommendations_blp.arguments(ReviewIn)
@recommendations_blp.response(200, RecommendationOut)
def confirm(body: dict[str, Any], recommendation_id: str, year: int) -> Response:
    """Confirms the year's assessment (a reviewer of the country who did not assess it)."""
    return _command(
        recommendation_id, year, lambda p, r, c: recs.confirm(p, r, year, body["comment"], **c)
    )


@recommendations_blp.route(
    "/recommendations/<recommendation_id>/follow-ups/<int:year>/return", methods=["POST"]
)
@recommendations_blp.arguments(ReviewIn)
@recommendations_blp.response(200, RecommendationOut)
def send_back(body: dict[str, Any], recommendation_id: str, year: int) -> Response:
    """Returns the year's assessment to the monitors; the comment says what to change."""
    return _command(
        recommendation_id, year, lambda p, r, c: recs.send_back(p, r, year, body["comment"], **c)
    )


# --- helpers --------------------------------------------------------------------------------
Decision = Callable[[Principal, Recommendation | None, dict[str, Any]], Sequence[NewEvent]]
ATTEMPTS = 3  # a confirmation races others of the country only over its rates stream


def _command(recommendation_id: str, year: int, decide: Decision) -> Response:
    principal = authenticated()
    service = reporting()
    expected = if_match_version()
    for attempt in range(1, ATTEMPTS + 1):
        current = _current(recommendation_id)
        if expected is not None and current is not None and expected != current.version:
            raise PreconditionFailed(f"the recommendation is at version {current.version}, not"
                                     f" {expected}: read it again")  # fmt: skip
        events = list(decide(principal, current, event_context(principal)))
        assert current is not None  # a decision about an unknown recommendation raised
        writes = [StreamWrite(recs.recommendation_stream(recommendation_id),
                              current.version or ExpectedVersion.NO_STREAM, events)]  # fmt: skip
        if any(e.event_type == FOLLOW_UP_CONFIRMED for e in events):
            writes += _rates_write(service, current, events, year, principal)
        try:
            with stream_precondition(expected):
                service.store.append_many(writes)
            break
        except ConcurrencyError:
            if expected is not None or attempt == ATTEMPTS:
                raise
    return _response(_found(recommendation_id))


def _rates_write(service: Reporting, current: Recommendation, events: Sequence[NewEvent],
                 year: int, principal: Principal) -> list[StreamWrite]:  # fmt: skip
    """The country-year's rates as they stand once `events` are recorded, if they changed."""
    stream = recs.rates_stream(current.country, year)
    published = service.store.read_stream(stream)
    ledger = recs.ledger_from(reporting_log(service))
    changed: Recommendation | None = current
    for n, event in enumerate(events, 1):
        changed = recs.evolve(changed, event.event_type, event.payload, current.version + n)
    if changed is not None:
        ledger[changed.recommendation_id] = changed
    last = published[-1].payload if published else None
    new = recs.rates_changed(ledger.values(), current.country, year, last,
                             **event_context(principal))  # fmt: skip
    if not new:
        return []
    return [StreamWrite(stream, len(published) or ExpectedVersion.NO_STREAM, new)]


def _current(recommendation_id: str) -> Recommendation | None:
    """A recommendation from its own stream, and a report's from the report's streams."""
    store = reporting().store
    events = store.read_stream(recs.recommendation_stream(recommendation_id))
    base: Recommendation | None = None
    report_id = recommendation_id.rpartition("-")[0]
    if not events or events[0].event_type != recs.RECOMMENDATION_ENTERED:
        report = workflow.report_from(store.read_stream(workflow.report_stream(report_id)))
        if report is None:
            return None
        header = {"kind": report.kind, "country": report.country, "period": report.period,
                  "title": report.title}  # fmt: skip
        for published in report.published:
            for issued in recs.issued_in(report_id, header, published):
                if issued.recommendation_id == recommendation_id:
                    base = issued
        if base is None:
            return None
    for event in events:
        base = recs.evolve(base, event.event_type, event.payload, event.stream_version)
    return base


def _found(recommendation_id: str) -> Recommendation:
    found = _current(recommendation_id)
    if found is None:
        raise NotFound(f"there is no recommendation {recommendation_id!r}",
                       {"recommendation_id": ["Unknown."]})  # fmt: skip
    return found


def _out(r: Recommendation, year: int | None = None) -> dict[str, Any]:
    found = {**recs.to_json(r), "status": r.status}
    if year:
        found["status_in_year"] = r.status_in(year)
    return found


def _response(r: Recommendation) -> Response:
    response = jsonify(RecommendationOut().dump(_out(r)))
    response.headers["ETag"] = etag(r.version)
    return response
