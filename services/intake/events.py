"""The intake service's event types: one marshmallow schema per type and version, in REGISTRY.

Payloads are pseudonymous. A person is a random `person_id`, never a name, number or address,
and no field takes free text (only codes, dates, numbers, booleans and ids), so nothing typed
into a form can carry an identifier into the log, which is kept forever.

Field names are the ones `shared/domain/indicators.yaml` reads, so the indicators service can
use payloads as they are: HTCDS system names (`prs_`, `vic_`, `cas_`) and `ext_` names for the
case-level fields, and the attribute names of its `events:` block (`date`, `forum`, ...) on the
`ext_` events. A schema checks each field alone and names the allowed values; rules between
fields or against the case (order of dates, child flag, amounts) are in `cases.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Range, Regexp

from services.intake import codes
from shared.backbone.registry import REGISTRY

# The HTCDS Excel template validates dates from 1900-01-01; anything earlier is a typing error.
EARLIEST_DATE = date(1900, 1, 1)
MAX_AGE = 120
COUNTRY_RULE = "Must be an ISO 3166-1 alpha-2 country code, or XK for Kosovo."


class Flag(fields.Boolean):
    """A JSON true or false; marshmallow's Boolean would also take "yes", 1 or "off"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Codes(fields.Field):
    """A multi-select picklist: a list of distinct codes. An error names the codes that are
    not allowed and lists the allowed ones, in one message for the whole field."""

    def __init__(self, allowed: Iterable[str], rule: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = frozenset(allowed)
        self.rule = rule or "Must be any of: " + ", ".join(allowed) + "."

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise ValidationError(f"Must be a list of codes. {self.rule}")
        unknown = [code for code in value if code not in self.allowed]
        if unknown:
            raise ValidationError(f"Not allowed: {', '.join(map(repr, unknown))}. {self.rule}")
        if len(set(value)) != len(value):
            raise ValidationError("Must not name a code twice.")
        return list(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else list(value)


def day(**kwargs: Any) -> fields.Date:
    return fields.Date(validate=Range(min=EARLIEST_DATE), **kwargs)


def one_of(allowed: Iterable[str], **kwargs: Any) -> fields.String:
    return fields.String(validate=OneOf(tuple(allowed)), **kwargs)


def country_code(**kwargs: Any) -> fields.String:
    return fields.String(validate=OneOf(sorted(codes.COUNTRIES), error=COUNTRY_RULE), **kwargs)


def country_codes(**kwargs: Any) -> Codes:
    return Codes(codes.COUNTRIES, rule=COUNTRY_RULE, **kwargs)


def whole(low: int, high: int, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=Range(min=low, max=high), **kwargs)


def eur(positive: bool = False, **kwargs: Any) -> fields.Float:
    """An amount in euro. Amounts in other currencies are converted at the decision date's
    rate; the original stays in `original_amount` and `original_currency`."""
    return fields.Float(validate=Range(min=0, min_inclusive=not positive), **kwargs)


def currency_code(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=Regexp(r"^[A-Z]{3}\Z", error="Must be an ISO 4217 code such as RSD or MKD."),
        **kwargs,
    )


# --- Opening a case (HTCDS core fields used for monitoring) ------------------------------------


@REGISTRY.event("intake.CaseOpened", version=1)
class CaseOpened(Schema):
    """A pseudonymous case with the HTCDS fields monitoring uses. Either a birth date or an
    estimated age (whole years at the identification date, else at first contact)."""

    person_id = fields.UUID(required=True)
    prs_Gender = one_of(codes.GENDER, required=True)
    prs_Birthdate = day()
    ext_EstimatedAge = whole(0, MAX_AGE)
    ext_IsChild = Flag()
    prs_Citizenship = country_codes()
    vic_TraffickingStatus = one_of(codes.TRAFFICKING_STATUS, required=True)
    vic_TraffickingStatusDecisionMakingOrg = one_of(codes.DECISION_MAKING_ORG)
    ext_IdentifyingBodyType = one_of(codes.IDENTIFYING_BODY_TYPE)
    ext_FirstContactDate = day()
    ext_DetectingAgencyType = one_of(codes.DETECTING_AGENCY_TYPE)
    ext_IdentificationDate = day()
    vic_TypeOfExploitation = Codes(codes.EXPLOITATION_CODES)
    vic_TypeOfSexExploitation = Codes(codes.TYPE_OF_SEX_EXPLOITATION)
    vic_ForcedLabourIndustry = Codes(codes.FORCED_LABOUR_INDUSTRY)
    vic_MethodsOfControl = Codes(codes.METHODS_OF_CONTROL)
    vic_MethodOfRecruitment = Codes(codes.METHOD_OF_RECRUITMENT)
    vic_RecruitmentWebsitesAndApps = Codes(codes.WEBSITES_AND_APPS)
    vic_ExploitationWebsitesAndApps = Codes(codes.WEBSITES_AND_APPS)
    vic_RelationshipToTrafficker = one_of(codes.RELATIONSHIP_TO_TRAFFICKER)
    vic_AgeWhenTrafficked = whole(0, MAX_AGE)
    # The countries of the HTCDS route (hte_Country by hte_Type), flattened: indicators read
    # ext_CountryOfExploitation directly (README §4.2).
    ext_CountryOfRecruitment = country_codes()
    ext_CountryOfExploitation = country_codes()
    cas_Status = one_of(codes.OPEN_CASE_STATUS, required=True)
    con_Consent = Flag()
    ext_Unaccompanied = Flag()
    ext_GuardianRequired = Flag()
    ext_NeedsInterpretation = Flag()
    ext_PreviouslyIdentified = Flag()


# --- Identification ----------------------------------------------------------------------------


@REGISTRY.event("intake.PresumedVictimRegistered", version=1)
class PresumedVictimRegistered(Schema):
    """The first contact with the referral mechanism: `date` is ext_FirstContactDate."""

    date = day(required=True)
    detecting_agency_type = one_of(codes.DETECTING_AGENCY_TYPE, required=True)


@REGISTRY.event("intake.TraffickingStatusDecided", version=1)
class TraffickingStatusDecided(Schema):
    """Sets vic_TraffickingStatus; the first ActualVictimOfTrafficking decision's `date` is
    ext_IdentificationDate, and `body_type` maps to the HTCDS decision-making organisation."""

    date = day(required=True)
    status = one_of(codes.TRAFFICKING_STATUS, required=True)
    body_type = one_of(codes.IDENTIFYING_BODY_TYPE, required=True)


# --- Referral and assistance -------------------------------------------------------------------


@REGISTRY.event("intake.ReferralMade", version=1)
class ReferralMade(Schema):
    """HTCDS cas_Incoming*/cas_Outgoing* as one event; `referred_org_type` is the other
    organisation's type, `country` the other country of a transnational referral."""

    date = day(required=True)
    direction = one_of(codes.REFERRAL_DIRECTION, required=True)
    scope = one_of(codes.REFERRAL_SCOPE, required=True)
    reason = one_of(codes.REASON_FOR_REFERRAL, required=True)
    referred_org_type = one_of(codes.ORGANISATION_TYPE)
    country = country_code()


@REGISTRY.event("intake.ServiceDelivered", version=1)
class ServiceDelivered(Schema):
    start_date = day(required=True)
    end_date = day()
    service_type = one_of(codes.SERVICE_TYPE, required=True)
    provider_type = one_of(codes.ORGANISATION_TYPE)


@REGISTRY.event("intake.ReflectionPeriodDecided", version=1)
class ReflectionPeriodDecided(Schema):
    date = day(required=True)
    decision = one_of(codes.REFLECTION_DECISION, required=True)
    start_date = day()
    length_days = whole(1, 366)


@REGISTRY.event("intake.ResidencePermitDecided", version=1)
class ResidencePermitDecided(Schema):
    date = day(required=True)
    decision = one_of(codes.PERMIT_DECISION, required=True)
    basis = one_of(codes.PERMIT_BASIS)
    valid_days = whole(1, 3660)


# --- Child victims -----------------------------------------------------------------------------


@REGISTRY.event("intake.GuardianAppointed", version=1)
class GuardianAppointed(Schema):
    date = day(required=True)


@REGISTRY.event("intake.ChildInterviewConducted", version=1)
class ChildInterviewConducted(Schema):
    date = day(required=True)
    child_sensitive = Flag(required=True)
    recorded = Flag(required=True)


# --- Criminal justice and compensation ---------------------------------------------------------


@REGISTRY.event("intake.VictimTestified", version=1)
class VictimTestified(Schema):
    date = day(required=True)
    protective_measures = Codes(codes.PROTECTIVE_MEASURES, required=True, validate=Length(min=1))


@REGISTRY.event("intake.CompensationClaimFiled", version=1)
class CompensationClaimFiled(Schema):
    """`claim_id` ties decisions and payments to the claim; indicators count distinct claims."""

    claim_id = fields.UUID(required=True)
    date = day(required=True)
    forum = one_of(codes.COMPENSATION_FORUM, required=True)
    amount_claimed_eur = eur()
    original_amount = eur()
    original_currency = currency_code()


@REGISTRY.event("intake.CompensationDecided", version=1)
class CompensationDecided(Schema):
    claim_id = fields.UUID(required=True)
    date = day(required=True)
    forum = one_of(codes.COMPENSATION_FORUM, required=True)
    outcome = one_of(codes.COMPENSATION_OUTCOME, required=True)
    final = Flag(required=True)
    amount_awarded_eur = eur()
    original_amount = eur()
    original_currency = currency_code()


@REGISTRY.event("intake.CompensationPaid", version=1)
class CompensationPaid(Schema):
    """`award_final_date` is set by the decider from the claim (the date its award became
    final, if it had when the payment was recorded); indicator CO-07 reads it."""

    claim_id = fields.UUID(required=True)
    date = day(required=True)
    amount_eur = eur(positive=True, required=True)
    payer = one_of(codes.PAYER, required=True)
    award_final_date = day()
    original_amount = eur(positive=True)
    original_currency = currency_code()


# --- Non-punishment ----------------------------------------------------------------------------


@REGISTRY.event("intake.VictimPenalised", version=1)
class VictimPenalised(Schema):
    date = day(required=True)
    domain = one_of(codes.OFFENCE_DOMAIN, required=True)
    measure = one_of(codes.PENALTY_MEASURE, required=True)
    linked_to_exploitation = Flag(required=True)


@REGISTRY.event("intake.NonPunishmentApplied", version=1)
class NonPunishmentApplied(Schema):
    date = day(required=True)
    domain = one_of(codes.OFFENCE_DOMAIN, required=True)
    stage = one_of(codes.NON_PUNISHMENT_STAGE, required=True)


# --- Return and reintegration ------------------------------------------------------------------


@REGISTRY.event("intake.ReturnCompleted", version=1)
class ReturnCompleted(Schema):
    date = day(required=True)
    direction = one_of(codes.RETURN_DIRECTION, required=True)
    country = country_code(required=True)
    risk_assessment_done = Flag(required=True)


@REGISTRY.event("intake.ReintegrationOutcomeRecorded", version=1)
class ReintegrationOutcomeRecorded(Schema):
    date = day(required=True)
    outcome = one_of(codes.REINTEGRATION_OUTCOME, required=True)
    at_case_closure = Flag(required=True)


# --- Closing, correcting, linking --------------------------------------------------------------


@REGISTRY.event("intake.CaseClosed", version=1)
class CaseClosed(Schema):
    ext_CaseClosedDate = day(required=True)
    cas_Status = one_of(codes.CLOSED_CASE_STATUS, required=True)


@REGISTRY.event("intake.PersonsLinked", version=1)
class PersonsLinked(Schema):
    """The case's person is the same victim as the persons of other cases: indicators count
    linked persons once (`count: person` counts distinct persons; ARCHITECTURE.md §5)."""

    date = day(required=True)
    linked_person_ids = fields.List(fields.UUID(), required=True, validate=Length(min=1))
    basis = one_of(codes.LINK_BASIS, required=True)


CASE_CORRECTED = "intake.CaseCorrected"
# Every type above can be corrected; a correction is corrected by superseding the original
# event again, never by superseding the correction.
CORRECTABLE_TYPES = tuple(
    sorted(
        name
        for (name, _), schema in REGISTRY.schemas.items()
        if type(schema).__module__ == __name__
    )
)


@REGISTRY.event(CASE_CORRECTED, version=1)
class CaseCorrected(Schema):
    """Supersedes earlier events of one type: their payloads count from now on with
    `corrected_fields` merged in (a null removes an optional field). Events are never edited."""

    superseded_event_ids = fields.List(fields.UUID(), required=True, validate=Length(min=1))
    corrected_event_type = one_of(CORRECTABLE_TYPES, required=True)
    corrected_fields = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        validate=Length(min=1, error="Must correct at least one field."),
    )
    reason = one_of(codes.CORRECTION_REASON, required=True)


INTAKE_TYPES = (*CORRECTABLE_TYPES, CASE_CORRECTED)
