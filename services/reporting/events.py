"""The reporting service's events: a report's life from draft to publication, and its
corrections. Stream: `report-<report_id>`; each version of a report (1, 2, ...) is drafted,
reviewed, approved and published in turn; a published version is never changed, a correction is
the next version, which says what it supersedes and why."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.backbone.registry import REGISTRY

DRAFTED = "reporting.ReportDrafted"
NARRATIVE_EDITED = "reporting.NarrativeEdited"
SUBMITTED = "reporting.ReportSubmitted"
COMMENTED = "reporting.ReviewCommented"
RETURNED = "reporting.ReportReturned"
APPROVED = "reporting.ReportApproved"
PUBLISHED = "reporting.ReportPublished"
KINDS = ("national", "regional")
SECTIONS = ("summary", "conclusions", "recommendations", "good_practices")
TEXT = validate.Length(max=20000)


class Recommendation(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^R\d{1,3}$"))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    indicators = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z]{2}-\d{2}")),
                             required=True, validate=validate.Length(min=1))  # fmt: skip


@REGISTRY.event(DRAFTED)
class ReportDrafted(Schema):
    report_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))
    supersedes_version = fields.Integer(allow_none=True)
    correction_reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


@REGISTRY.event(NARRATIVE_EDITED)
class NarrativeEdited(Schema):
    version = fields.Integer(required=True)
    summary = fields.String(validate=TEXT)
    conclusions = fields.String(validate=TEXT)
    recommendations = fields.List(fields.Nested(Recommendation))
    good_practices = fields.List(fields.String(validate=validate.Length(min=1, max=5000)))


@REGISTRY.event(SUBMITTED)
class ReportSubmitted(Schema):
    version = fields.Integer(required=True)


@REGISTRY.event(COMMENTED)
class ReviewCommented(Schema):
    version = fields.Integer(required=True)
    section = fields.String(required=True, validate=validate.OneOf(SECTIONS))
    comment = fields.String(required=True, validate=validate.Length(min=1, max=5000))


@REGISTRY.event(RETURNED)
class ReportReturned(Schema):
    version = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


@REGISTRY.event(APPROVED)
class ReportApproved(Schema):
    version = fields.Integer(required=True)


class SourceLog(Schema):
    origin = fields.String(required=True)
    size = fields.Integer(required=True)
    root = fields.String(required=True, validate=validate.Length(equal=64))
    note = fields.String(required=True)
    verifier = fields.String(required=True)


@REGISTRY.event(PUBLISHED)
class ReportPublished(Schema):
    """What was published and what it rests on; `signature` is the reporting service's Ed25519
    signature over the canonical JSON of everything else in this payload."""

    version = fields.Integer(required=True)
    published_at = fields.String(required=True)
    # the narrative and supersession as published: a later version must not change how this
    # one re-renders
    narrative = fields.Dict(required=True)
    supersedes_version = fields.Integer(allow_none=True, required=True)
    correction_reason = fields.String(allow_none=True, required=True)
    sources = fields.List(fields.Nested(SourceLog), required=True)
    catalog_version = fields.String(required=True)
    profile_versions = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    code_version = fields.String(required=True)
    hashes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    signer = fields.String(required=True)
    signature = fields.String(required=True)
