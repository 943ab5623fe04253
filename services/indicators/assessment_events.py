"""The events of national profiles and qualitative assessments. None of them leaves the country:
a profile's national additions and an assessment's scorers, reviewers, rationale and evidence
are the country's own business. What the region sees of them — each core indicator's profile
status and each confirmed score — goes out in the regional events of `events.py`."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.identity.events import COUNTRIES
from services.indicators.assessments import (
    CONFIRMED,
    DOCUMENT,
    EVIDENCE_KINDS,
    FILE,
    RETURNED,
    SCORED,
    SHA256,
)
from services.indicators.catalogue import CODE_PATTERN
from services.indicators.profiles import (
    INDICATOR_SET,
    KINDS,
    LANGUAGES,
    NATIONAL_CODE,
    PROFILE_CONFIRMED,
    STATUSES,
)
from shared.backbone.registry import REGISTRY

COUNTRY = validate.OneOf(COUNTRIES)
CORE_CODE = validate.Regexp(CODE_PATTERN)
ANY_CODE = validate.Regexp(rf"{CODE_PATTERN.pattern}|{NATIONAL_CODE.pattern}")
USERNAME = validate.Length(min=1, max=64)


def language_texts() -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                       values=fields.String(validate=validate.Length(min=1)),
                       required=True)  # fmt: skip


class CodeMappingPayload(Schema):
    field = fields.String(required=True)
    national_code = fields.String(required=True, validate=validate.Length(min=1))
    core_code = fields.String(required=True)


@REGISTRY.event(INDICATOR_SET)
class ProfileIndicatorSet(Schema):
    """One indicator's status in a version of a country's profile for a catalogue version."""

    country = fields.String(required=True, validate=COUNTRY)
    catalog_version = fields.String(required=True, validate=validate.Length(min=1))
    profile_version = fields.Integer(required=True, validate=validate.Range(min=1))
    code = fields.String(required=True, validate=ANY_CODE)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    titles = language_texts()
    scale_texts = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[0-9]$")),
                              values=language_texts(), required=True)  # fmt: skip
    legal_basis = fields.String(allow_none=True)
    institution = fields.String(allow_none=True)
    mappings = fields.List(fields.Nested(CodeMappingPayload), required=True)
    difference = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    kind = fields.String(allow_none=True, validate=validate.OneOf(KINDS))


@REGISTRY.event(PROFILE_CONFIRMED)
class ProfileConfirmed(Schema):
    """Freezes a profile version; `statuses` lists every indicator's status in it (a core
    indicator the profile did not mention is adopted)."""

    country = fields.String(required=True, validate=COUNTRY)
    catalog_version = fields.String(required=True, validate=validate.Length(min=1))
    profile_version = fields.Integer(required=True, validate=validate.Range(min=1))
    statuses = fields.Dict(keys=fields.String(validate=ANY_CODE),
                           values=fields.String(validate=validate.OneOf(STATUSES)),
                           required=True)  # fmt: skip
    confirmed_by = fields.String(required=True, validate=USERNAME)


class EvidencePayload(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    title = fields.String()
    reference = fields.String()
    date = fields.Date()
    sha256 = fields.String(validate=validate.Regexp(SHA256))
    name = fields.String()

    @validates_schema
    def has_what_its_kind_needs(self, data: dict, **_: object) -> None:
        needed = {DOCUMENT: ("title", "reference", "date"), FILE: ("sha256", "name")}
        missing = [name for name in needed.get(data.get("kind", ""), ()) if not data.get(name)]
        if missing:
            raise ValidationError({name: ["Required for this kind."] for name in missing})


@REGISTRY.event(SCORED)
class AssessmentScored(Schema):
    """A score (or `not assessed`, with the reason) for one qualitative indicator, country and
    reference year, with its evidence; it awaits review."""

    country = fields.String(required=True, validate=COUNTRY)
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2999))
    code = fields.String(required=True, validate=CORE_CODE)
    catalog_version = fields.String(required=True, validate=validate.Length(min=1))
    score = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0))
    not_assessed_reason = fields.String(required=True, allow_none=True)
    rationale = fields.String(allow_none=True)
    evidence = fields.List(fields.Nested(EvidencePayload), required=True)
    scored_by = fields.String(required=True, validate=USERNAME)


class Review(Schema):
    country = fields.String(required=True, validate=COUNTRY)
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2999))
    code = fields.String(required=True, validate=CORE_CODE)
    score_version = fields.Integer(required=True, validate=validate.Range(min=1))
    score = fields.Integer(required=True, allow_none=True)
    reviewed_by = fields.String(required=True, validate=USERNAME)
    comment = fields.String(allow_none=True)


@REGISTRY.event(CONFIRMED)
class AssessmentConfirmed(Review):
    """A reviewer accepted the scoring at `score_version` of the stream."""


@REGISTRY.event(RETURNED)
class AssessmentReturned(Review):
    """A reviewer sent the scoring at `score_version` back; the comment says why."""

    comment = fields.String(required=True, validate=validate.Length(min=1))
