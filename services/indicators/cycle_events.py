"""The events of monitoring cycles and data requests. None of them leaves the country: which
institution refused what is the country's own business until the monitor's report says so."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.identity.events import COUNTRIES
from services.indicators.cycles import (
    CYCLE_OPENED,
    LETTER_LANGUAGES,
    REQUEST_ANSWERED,
    REQUEST_OVERDUE,
    REQUEST_PARTLY_ANSWERED,
    REQUEST_REFUSED,
    REQUEST_SENT,
)
from shared.backbone.registry import REGISTRY

COUNTRY = validate.OneOf(COUNTRIES)
YEAR = validate.Range(min=1900, max=2999)
USERNAME = validate.Length(min=1, max=64)
AGG_FIELD = validate.Regexp(r"^agg_[A-Za-z0-9_]+$")


class CycleEvent(Schema):
    country = fields.String(required=True, validate=COUNTRY)
    year = fields.Integer(required=True, validate=YEAR)


class RequestEvent(CycleEvent):
    request_id = fields.UUID(required=True)


@REGISTRY.event(CYCLE_OPENED)
class CycleOpened(CycleEvent):
    """The monitoring cycle of a country's reference year, under a catalogue version and a
    confirmed version of the national profile, with its deadlines."""

    catalog_version = fields.String(required=True, validate=validate.Length(min=1))
    profile_version = fields.Integer(required=True, validate=validate.Range(min=1))
    requests_due = fields.Date(required=True)
    scoring_due = fields.Date(required=True)
    report_due = fields.Date(required=True)
    opened_by = fields.String(required=True, validate=USERNAME)


@REGISTRY.event(REQUEST_SENT)
class DataRequestSent(RequestEvent):
    """A request to one institution for the `agg_` fields it holds, naming the indicators they
    serve, with a deadline and the language of its letter."""

    organisation_id = fields.UUID(required=True)
    organisation_name = fields.String(required=True, validate=validate.Length(min=1))
    institution = fields.String(required=True, validate=validate.Length(min=1))
    fields_ = fields.List(fields.String(validate=AGG_FIELD), required=True,
                          data_key="fields", attribute="fields")  # fmt: skip
    indicators = fields.List(fields.String(), required=True)
    deadline = fields.Date(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LETTER_LANGUAGES))
    sent_by = fields.String(required=True, validate=USERNAME)


@REGISTRY.event(REQUEST_ANSWERED)
class DataRequestAnswered(RequestEvent):
    """The institution's submissions for the year cover every requested field."""

    answered_fields = fields.List(fields.String(validate=AGG_FIELD), required=True)


@REGISTRY.event(REQUEST_PARTLY_ANSWERED)
class DataRequestPartlyAnswered(RequestEvent):
    """The institution's submissions cover some of the requested fields (more than before)."""

    answered_fields = fields.List(fields.String(validate=AGG_FIELD), required=True)
    missing_fields = fields.List(fields.String(validate=AGG_FIELD), required=True)


@REGISTRY.event(REQUEST_REFUSED)
class DataRequestRefused(RequestEvent):
    """The institution refused (said by its data_provider, or by the monitor who received the
    refusal), and why."""

    reason = fields.String(required=True, validate=validate.Length(min=1))
    refused_by = fields.String(required=True, validate=USERNAME)


@REGISTRY.event(REQUEST_OVERDUE)
class DataRequestOverdue(RequestEvent):
    """The deadline passed with fields still missing (noticed by the follow-up task)."""

    deadline = fields.Date(required=True)
    noticed_on = fields.Date(required=True)
    missing_fields = fields.List(fields.String(validate=AGG_FIELD), required=True)
