"""The indicators service's events. Only `indicators.RegionalValuesPublished`,
`indicators.ImplementationRatesPublished`, `indicators.RegionalAssessmentsPublished` and
`indicators.RegionalCheckpointPublished` leave the country (relayed to `<node>.regional`):
disclosure-controlled indicator values, counts of recommendations per follow-up status,
confirmed scores of qualitative indicators, and the signed checkpoint with the Merkle proofs
that lets the hub check those came from this node's log unaltered — nothing about a case or a
person."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.backbone.registry import REGISTRY

REGIONAL_VALUES = "indicators.RegionalValuesPublished"
RATES_RELAYED = "indicators.ImplementationRatesPublished"
REGIONAL_ASSESSMENTS = "indicators.RegionalAssessmentsPublished"
REGIONAL_CHECKPOINT = "indicators.RegionalCheckpointPublished"
# the regional figures, which a regional checkpoint proves, and the checkpoints themselves
REGIONAL_FIGURES = (REGIONAL_VALUES, RATES_RELAYED, REGIONAL_ASSESSMENTS)
REGIONAL_EVENTS = (*REGIONAL_FIGURES, REGIONAL_CHECKPOINT)
HEX_HASH = r"^[0-9a-f]{64}$"


class RegionalValue(Schema):
    indicator = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}-\d{2}"))
    cell = fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)),
                       required=True)  # fmt: skip
    numerator = fields.Float(allow_none=True, required=True)
    denominator = fields.Float(allow_none=True, required=True)
    value = fields.Float(allow_none=True, required=True)
    unit = fields.String(required=True)
    suppressed = fields.Boolean(required=True)
    statistic = fields.String(allow_none=True, required=True)
    contributors = fields.Integer(allow_none=True, required=True)


@REGISTRY.event(REGIONAL_VALUES)
class RegionalValuesPublished(Schema):
    """Every quantitative indicator of a country and period, after disclosure control, as the
    country's node computed it from its history up to `log_size` events of the intake log."""

    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    catalog_version = fields.String(required=True)
    intake_log_size = fields.Integer(required=True, validate=validate.Range(min=0))
    content_hash = fields.String(required=True, validate=validate.Length(equal=64))
    values = fields.List(fields.Nested(RegionalValue), required=True)
    # the country's confirmed national profile: each core indicator's status (adopted,
    # adapted, adapted_noncomparable, dropped), so the hub knows what compares; national
    # additions are never sent
    profile_version = fields.Integer(allow_none=True, load_default=None)
    profile = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class FollowUpCounts(Schema):
    implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    partly_implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    not_implemented = fields.Integer(required=True, validate=validate.Range(min=0))
    no_longer_relevant = fields.Integer(required=True, validate=validate.Range(min=0))
    not_assessed = fields.Integer(required=True, validate=validate.Range(min=0))


@REGISTRY.event(RATES_RELAYED)
class ImplementationRatesPublished(Schema):
    """A country's follow-up of recommendations for one reference year, as counts per status,
    copied from the reporting log (its `reporting.ImplementationRatesPublished` at
    `source_log_index`) so that the one regional relay carries it to the hub."""

    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    year = fields.Integer(required=True)
    total = fields.Integer(required=True, validate=validate.Range(min=0))
    counts = fields.Nested(FollowUpCounts, required=True)
    implementation_rate = fields.Float(allow_none=True, required=True)
    source_log_index = fields.Integer(required=True, validate=validate.Range(min=1))


class RegionalScore(Schema):
    """One confirmed assessment as the region sees it: the score and how much evidence it
    rests on, never who scored or reviewed it, why, or what the evidence says (those can name
    people)."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}-\d{2}$"))
    score = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0, max=2))
    not_assessed = fields.Boolean(required=True)
    evidence_items = fields.Integer(required=True, validate=validate.Range(min=0))
    confirmed_on = fields.Date(required=True)


@REGISTRY.event(REGIONAL_ASSESSMENTS)
class RegionalAssessmentsPublished(Schema):
    """Every confirmed qualitative assessment of a country and reference year, scored against
    `catalog_version`; a new one replaces the one before it (its stream is
    `regional-assessments-<CC>-<year>`), published only when the content hash changes."""

    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2999))
    catalog_version = fields.String(required=True, validate=validate.Length(min=1))
    content_hash = fields.String(required=True, validate=validate.Length(equal=64))
    scores = fields.List(fields.Nested(RegionalScore), required=True)
    # the status of each scored indicator in the country's confirmed national profile, as in
    # RegionalValuesPublished, so the hub knows what compares
    profile_version = fields.Integer(allow_none=True, load_default=None)
    profile = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class IncludedEvent(Schema):
    """One regional event and its RFC 6962 inclusion proof in the checkpoint's tree."""

    log_index = fields.Integer(required=True, validate=validate.Range(min=1))
    leaf_hash = fields.String(required=True, validate=validate.Regexp(HEX_HASH))
    proof = fields.List(fields.String(validate=validate.Regexp(HEX_HASH)), required=True)


@REGISTRY.event(REGIONAL_CHECKPOINT)
class RegionalCheckpointPublished(Schema):
    """A signed checkpoint of this node's indicators log (`note`, C2SP signed note, checkable
    with `verifier`), a consistency proof from the previous regional checkpoint's size (the log
    only grew), and an inclusion proof for every regional event since then: with these the hub
    and its auditors check, from the regional topic alone, that the figures they read are
    the ones this node's log holds, without seeing anything else of it."""

    origin = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2,8}\.indicators$"))
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    root = fields.String(required=True, validate=validate.Regexp(HEX_HASH))
    note = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    verifier = fields.String(required=True, validate=validate.Length(min=1, max=500))
    previous_size = fields.Integer(required=True, validate=validate.Range(min=0))
    consistency = fields.List(fields.String(validate=validate.Regexp(HEX_HASH)), required=True)
    included = fields.List(fields.Nested(IncludedEvent), required=True)
