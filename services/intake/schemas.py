"""Request and response bodies of the intake API (they are also its OpenAPI). The case fields
themselves are validated by the event schemas in `services.intake.events`, so the API and the
recorded events can never disagree."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="A country code such as MK.")


class CaseIn(Schema):
    """The HTCDS fields of `intake.CaseOpened` (see its schema), plus the case's country."""

    class Meta:
        unknown = INCLUDE

    country = fields.String(validate=COUNTRY, metadata={"description": "Default: the node's"})


class EventIn(Schema):
    """`{"type": "ReferralMade", ...its fields}`: one of the intake event types."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)


class EventBatchIn(Schema):
    events = fields.List(fields.Nested(EventIn), required=True,
                         validate=validate.Length(min=1, max=100))  # fmt: skip


class EventOut(Schema):
    event_id = fields.UUID()
    type = fields.String()
    version = fields.Integer()
    occurred_at = fields.DateTime()
    fields_ = fields.Dict(data_key="fields")
    superseded = fields.Boolean()


class CaseOut(Schema):
    case_id = fields.String()
    country = fields.String()
    person_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    trafficking_status = fields.String()
    is_child = fields.Boolean(allow_none=True)
    age = fields.Integer(allow_none=True)
    fields_ = fields.Dict(data_key="fields")
    linked_person_ids = fields.List(fields.String())
    events = fields.List(fields.Nested(EventOut))


class CaseSummary(Schema):
    case_id = fields.String()
    country = fields.String()
    person_id = fields.String()
    status = fields.String()
    trafficking_status = fields.String()
    gender = fields.String(allow_none=True)
    is_child = fields.Boolean(allow_none=True)
    age = fields.Integer(allow_none=True)
    first_contact_date = fields.Date(allow_none=True)
    identification_date = fields.Date(allow_none=True)
    closed_date = fields.Date(allow_none=True)
    exploitation = fields.List(fields.String())
    events = fields.Integer()
    version = fields.Integer()


class CaseQuery(Schema):
    country = fields.String(validate=COUNTRY)
    status = fields.String()
    trafficking_status = fields.String()
    is_child = fields.Boolean()
    identified_from = fields.Date()
    identified_to = fields.Date()
    after = fields.String(metadata={"description": "Continue after this case id"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class CasePage(Schema):
    cases = fields.List(fields.Nested(CaseSummary))
    next_after = fields.String(allow_none=True)


class SubmissionIn(Schema):
    country = fields.String(validate=COUNTRY)
    organisation_id = fields.UUID(required=True)
    period = fields.String(required=True)
    figures = fields.Dict(required=True)
    document = fields.Dict(required=True)


class SubmissionOut(Schema):
    submission_id = fields.String()
    version = fields.Integer()
    country = fields.String()
    organisation_id = fields.String()
    period = fields.String()
    figures = fields.Dict()
    document = fields.Dict()
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime()


class SubmissionQuery(Schema):
    country = fields.String(validate=COUNTRY)
    period = fields.String()
    history = fields.Boolean(load_default=False)


class AccessQuery(Schema):
    country = fields.String(validate=COUNTRY, required=True)
    case_id = fields.String()
    username = fields.String()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=5000))


class AccessOut(Schema):
    at = fields.DateTime()
    username = fields.String()
    organisation = fields.String(allow_none=True)
    case_id = fields.String()
    action = fields.String()


class IdentifiersOut(Schema):
    person_id = fields.String()
    identifiers = fields.Dict(keys=fields.String(), values=fields.String())


class UnlinkIn(Schema):
    person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.OneOf(
        ("DifferentPersons", "HashCollision", "DataEntryError", "Other")))  # fmt: skip


class ErasureIn(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(
        ("DataSubjectRequest", "RetentionExpired", "RecordedInError", "Other")))  # fmt: skip


class EventsRecorded(Schema):
    case_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    trafficking_status = fields.String()
    is_child = fields.Boolean(allow_none=True)
    age = fields.Integer(allow_none=True)
    fields_ = fields.Dict(data_key="fields")
    recorded = fields.List(fields.Nested(EventOut))


class ImportQuery(Schema):
    country = fields.String(validate=COUNTRY)
    commit = fields.Boolean(load_default=False)


class ImportReport(Schema):
    format = fields.String()
    rows = fields.Integer()
    rows_with_errors = fields.List(fields.Dict())
    ignored_columns = fields.Dict()
    committed = fields.Boolean()
    case_ids = fields.List(fields.String())
    events = fields.Integer()
    linked = fields.Integer()
