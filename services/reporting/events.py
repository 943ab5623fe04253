"""The reporting service's events: a report's life from draft to publication, and its
corrections. Stream: `report-<report_id>`; each version of a report (1, 2, ...) is drafted,
reviewed, approved and published in turn; a published version is never changed, a correction is
the next version, which says what it supersedes and why.

The follow-up of recommendations across years (stream `recommendation-<id>`): a GRETA
recommendation entered by a monitor, and for each later reference year an assessment of what
became of it, confirmed or returned by a reviewer. Stream `implementation-rates-<CC>-<year>`:
the counts per status of a country's cycle, the aggregate the regional hub sees."""

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
RECOMMENDATION_ENTERED = "reporting.RecommendationEntered"
FOLLOW_UP_ASSESSED = "reporting.FollowUpAssessed"
FOLLOW_UP_CONFIRMED = "reporting.FollowUpConfirmed"
FOLLOW_UP_RETURNED = "reporting.FollowUpReturned"
RATES_PUBLISHED = "reporting.ImplementationRatesPublished"
KINDS = ("national", "regional")
SECTIONS = ("summary", "conclusions", "recommendations", "good_practices")
TEXT = validate.Length(max=20000)
FOLLOW_UP_STATUSES = ("implemented", "partly_implemented", "not_implemented",
                      "no_longer_relevant")  # fmt: skip
INDICATOR_CODE = validate.Regexp(r"^[A-Z]{2}-\d{2}")
ADDRESSEES = validate.Length(max=20)


class Recommendation(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^R\d{1,3}$"))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    indicators = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z]{2}-\d{2}")),
                             required=True, validate=validate.Length(min=1))  # fmt: skip
    # the institutions it is addressed to (optional: reports drafted before follow-up began
    # have none)
    addressees = fields.List(fields.String(validate=validate.Length(min=1, max=300)),
                             validate=ADDRESSEES)  # fmt: skip


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


# --- the follow-up of recommendations -------------------------------------------------------
class EvidenceItem(Schema):
    """A document (title, reference or URL, date) or an uploaded file named by its SHA-256, as
    for qualitative assessments."""

    kind = fields.String(required=True, validate=validate.OneOf(("document", "file")))
    title = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    date = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


@REGISTRY.event(RECOMMENDATION_ENTERED)
class RecommendationEntered(Schema):
    """A recommendation from outside the tool's reports (GRETA), entered by a monitor."""

    recommendation_id = fields.String(required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    source = fields.String(required=True, validate=validate.OneOf(("GRETA",)))
    round = fields.String(required=True, validate=validate.Length(min=1, max=50))
    paragraph = fields.String(required=True, validate=validate.Length(min=1, max=50))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    addressees = fields.List(fields.String(), required=True, validate=ADDRESSEES)
    indicators = fields.List(fields.String(validate=INDICATOR_CODE), required=True)
    entered_by = fields.String(required=True)


@REGISTRY.event(FOLLOW_UP_ASSESSED)
class FollowUpAssessed(Schema):
    """What became of a recommendation by the end of reference year `year`."""

    recommendation_id = fields.String(required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    year = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_STATUSES))
    evidence = fields.List(fields.Nested(EvidenceItem), required=True,
                           validate=validate.Length(min=1))  # fmt: skip
    note = fields.String(allow_none=True, required=True)
    assessed_by = fields.String(required=True)


class FollowUpReview(Schema):
    recommendation_id = fields.String(required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    year = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_STATUSES))
    assessed_version = fields.Integer(required=True)  # the FollowUpAssessed it reviews
    reviewed_by = fields.String(required=True)
    comment = fields.String(allow_none=True, required=True)


@REGISTRY.event(FOLLOW_UP_CONFIRMED)
class FollowUpConfirmed(FollowUpReview):
    pass


@REGISTRY.event(FOLLOW_UP_RETURNED)
class FollowUpReturned(FollowUpReview):
    """A reviewer sends the assessment back; `comment` says what to change."""


class StatusCounts(Schema):
    implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    partly_implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    not_implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    no_longer_relevant = fields.Integer(required=True, validate=validate.Range(min=0))
    not_assessed = fields.Integer(required=True, validate=validate.Range(min=0))


@REGISTRY.event(RATES_PUBLISHED)
class ImplementationRatesPublished(Schema):
    """A country's follow-up for one reference year as counts per confirmed status: an
    aggregate for the regional hub, with no text, name or case in it."""

    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    year = fields.Integer(required=True)
    total = fields.Integer(required=True, validate=validate.Range(min=0))
    counts = fields.Nested(StatusCounts, required=True)
    implementation_rate = fields.Float(allow_none=True, required=True)
