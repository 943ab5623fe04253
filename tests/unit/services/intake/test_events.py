"""The intake event types: every payload field checks itself and names the allowed values, no
field can hold a name or free text, and field names are the ones indicators.yaml reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from services.intake import codes
from services.intake.events import CORRECTABLE_TYPES, INTAKE_TYPES, Codes, Flag
from shared.backbone.registry import REGISTRY, InvalidPayload

GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "backbone" / "golden"
CATALOGUE = Path(__file__).resolve().parents[3] / "fixtures" / "domain" / "indicators.yaml"


def schema(event_type: str) -> Schema:
    return REGISTRY.schemas[(event_type, 1)]


def golden(event_type: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((GOLDEN / f"{event_type}.v1.json").read_text())["payload"]
    return payload


def errors_of(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(InvalidPayload) as caught:
        REGISTRY.validate(event_type, 1, payload)
    return caught.value.errors


def allowed(field: fields.Field) -> tuple[str, ...] | None:
    if isinstance(field, Codes):
        return tuple(sorted(field.allowed))
    choices = [v.choices for v in field.validators if isinstance(v, OneOf)]
    return tuple(choices[0]) if choices else None


CODE_FIELDS = [
    (event_type, name)
    for event_type in INTAKE_TYPES
    for name, field in schema(event_type).fields.items()
    if allowed(field) is not None
]


def test_the_intake_types_are_the_domain_events_plus_opening_closing_correcting_linking() -> None:
    names = {event_type.removeprefix("intake.") for event_type in INTAKE_TYPES}
    assert names == {
        "CaseOpened",
        "PresumedVictimRegistered",
        "TraffickingStatusDecided",
        "ReferralMade",
        "ServiceDelivered",
        "ReflectionPeriodDecided",
        "ResidencePermitDecided",
        "GuardianAppointed",
        "ChildInterviewConducted",
        "VictimTestified",
        "CompensationClaimFiled",
        "CompensationDecided",
        "CompensationPaid",
        "VictimPenalised",
        "NonPunishmentApplied",
        "ReturnCompleted",
        "ReintegrationOutcomeRecorded",
        "CaseClosed",
        "CaseCorrected",
        "PersonsLinked",
    }
    assert "intake.CaseCorrected" not in CORRECTABLE_TYPES


@pytest.mark.parametrize("event_type", INTAKE_TYPES)
def test_the_golden_payload_of_each_type_is_valid(event_type: str) -> None:
    REGISTRY.validate(event_type, 1, golden(event_type))


@pytest.mark.parametrize("event_type", INTAKE_TYPES)
def test_an_empty_payload_names_every_required_field(event_type: str) -> None:
    required = {name for name, field in schema(event_type).fields.items() if field.required}
    assert required
    assert set(errors_of(event_type, {})) == required


@pytest.mark.parametrize(("event_type", "name"), CODE_FIELDS)
def test_a_bad_code_names_the_field_and_the_allowed_values(event_type: str, name: str) -> None:
    field = schema(event_type).fields[name]
    bad = ["NotACode"] if isinstance(field, Codes) else "NotACode"
    message = " ".join(errors_of(event_type, {**golden(event_type), name: bad})[name])
    if allowed(field) == tuple(sorted(codes.COUNTRIES)):
        assert "ISO 3166-1 alpha-2" in message and "XK" in message
    else:
        assert all(code in message for code in allowed(field) or ())


@pytest.mark.parametrize("event_type", INTAKE_TYPES)
def test_an_unknown_field_such_as_a_name_is_refused(event_type: str) -> None:
    payload = {**golden(event_type), "prs_FirstName": "Ana"}
    assert errors_of(event_type, payload) == {"prs_FirstName": ["Unknown field."]}


@pytest.mark.parametrize("event_type", INTAKE_TYPES)
def test_no_field_takes_free_text(event_type: str) -> None:
    # Strings are codes (a choice list or a pattern); corrections carry fields of other types,
    # which the decider validates against those types.
    for name, field in schema(event_type).fields.items():
        if isinstance(field, fields.String):
            assert field.validators, f"{event_type}.{name} takes free text"
        if isinstance(field, fields.Dict):
            assert (event_type, name) == ("intake.CaseCorrected", "corrected_fields")


def test_a_multi_select_names_the_codes_it_refuses_and_refuses_repeats() -> None:
    payload = golden("intake.CaseOpened")
    found = errors_of("intake.CaseOpened", {**payload, "vic_MethodsOfControl": ["DebtBondage "]})
    assert found["vic_MethodsOfControl"][0].startswith("Not allowed: 'DebtBondage '. Must be any")
    repeated = {**payload, "vic_TypeOfExploitation": ["ForcedLabour", "ForcedLabour"]}
    found = errors_of("intake.CaseOpened", repeated)
    assert found == {"vic_TypeOfExploitation": ["Must not name a code twice."]}
    found = errors_of("intake.CaseOpened", {**payload, "prs_Citizenship": "RS"})
    assert found["prs_Citizenship"][0].startswith("Must be a list of codes.")


def test_a_flag_is_a_json_boolean_not_a_word_or_a_number() -> None:
    payload = golden("intake.ChildInterviewConducted")
    for value in ("yes", 1, "true", None):
        found = errors_of("intake.ChildInterviewConducted", {**payload, "recorded": value})
        assert list(found) == ["recorded"]


def test_dates_before_1900_are_refused_like_the_htcds_template_does() -> None:
    found = errors_of("intake.GuardianAppointed", {"date": "1899-12-31"})
    assert found == {"date": ["Must be greater than or equal to 1900-01-01."]}


def test_ages_and_amounts_are_bounded() -> None:
    opened = golden("intake.CaseOpened")
    for age in (121, -1, 16.5, "16"):
        found = errors_of("intake.CaseOpened", {**opened, "vic_AgeWhenTrafficked": age})
        assert list(found) == ["vic_AgeWhenTrafficked"]
    paid = golden("intake.CompensationPaid")
    assert set(errors_of("intake.CompensationPaid", {**paid, "amount_eur": 0})) == {"amount_eur"}
    decided = golden("intake.CompensationDecided")
    found = errors_of("intake.CompensationDecided", {**decided, "original_currency": "eur"})
    assert found == {"original_currency": ["Must be an ISO 4217 code such as RSD or MKD."]}


def test_a_correction_names_at_least_one_superseded_event_and_one_field() -> None:
    payload = {**golden("intake.CaseCorrected"), "superseded_event_ids": [], "corrected_fields": {}}
    found = errors_of("intake.CaseCorrected", payload)
    assert found["corrected_fields"] == ["Must correct at least one field."]
    assert "superseded_event_ids" in found


@pytest.mark.skipif(not CATALOGUE.is_file(), reason=f"no {CATALOGUE}")
def test_event_attributes_are_named_and_coded_as_indicators_yaml_reads_them() -> None:
    catalogue = yaml.safe_load(CATALOGUE.read_text())
    vocabularies = {
        "ext_DetectingAgencyType": codes.DETECTING_AGENCY_TYPE,
        "ext_IdentifyingBodyType": codes.IDENTIFYING_BODY_TYPE,
        "vic_TraffickingStatus": codes.TRAFFICKING_STATUS,
        "cas_ReasonForOutgoingReferral": codes.REASON_FOR_REFERRAL,
        "org_Type": codes.ORGANISATION_TYPE,
        "iso3166_alpha2": tuple(sorted(codes.COUNTRIES)),
    }
    kinds = {
        "date": fields.Date,
        "integer": fields.Integer,
        "number": fields.Float,
        "boolean": Flag,
    }
    for event, attributes in catalogue["events"].items():
        declared = schema(f"intake.{event}").fields
        for name, kind in attributes.items():
            assert name in declared, f"{event}.{name}"
            if isinstance(kind, list):
                assert sorted(allowed(declared[name]) or ()) == sorted(kind), f"{event}.{name}"
            elif kind in vocabularies:
                assert sorted(allowed(declared[name]) or ()) == sorted(vocabularies[kind])
            else:
                assert isinstance(declared[name], kinds[kind]), f"{event}.{name}"


@pytest.mark.skipif(not CATALOGUE.is_file(), reason=f"no {CATALOGUE}")
def test_case_fields_carry_the_htcds_and_ext_names_indicators_yaml_reads() -> None:
    catalogue = yaml.safe_load(CATALOGUE.read_text())
    named = set(catalogue["htcds_fields"]) | set(catalogue["extension_fields"])
    # Derived in the indicators service, or recorded on other events.
    elsewhere = {
        "prs_PrimaryLanguage",
        "hte_Type",
        "hte_Country",
        "cas_ReasonForOutgoingReferral",
        "spl_Type",
        "ext_AgeAtIdentification",
        "ext_CaseClosedDate",
        "ext_ExtraExploitationCodes",
    }
    assert named - elsewhere <= set(schema("intake.CaseOpened").fields)
    assert "ext_CaseClosedDate" in schema("intake.CaseClosed").fields
