"""Opening a case and recording events on it: the deciders refuse what breaks a rule, naming
every bad field at once, and the state folded from the stream (corrections included) is what
the indicators read."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.intake import cases as cases_module
from services.intake.cases import Case, open_case, record_event, state_from
from services.intake.events import INTAKE_TYPES
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent, canonical_json
from shared.backbone.registry import REGISTRY
from shared.errors import ValidationProblem

TODAY = date(2025, 6, 30)
PERSON = "3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c"
OTHER_PERSON = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"


def presumed(**changes: Any) -> dict[str, Any]:
    """An adult presumed victim (26 at first contact); a change of None removes the field."""
    command = {
        "person_id": PERSON,
        "prs_Gender": "Feminine",
        "prs_Birthdate": "1999-04-02",
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "ext_FirstContactDate": "2025-01-10",
        "ext_DetectingAgencyType": "LabourInspectorate",
        "vic_TypeOfExploitation": ["ForcedLabour"],
        "cas_Status": "Active",
        **changes,
    }
    return {name: value for name, value in command.items() if value is not None}


def identified(**changes: Any) -> dict[str, Any]:
    identification = {
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "ext_IdentificationDate": "2025-02-20",
        "ext_IdentifyingBodyType": "Police",
    }
    return presumed(**{**identification, **changes})


def refused_opening(command: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationProblem) as caught:
        open_case(command, TODAY)
    errors: dict[str, list[str]] = caught.value.errors
    return errors


@dataclass
class Recorded:
    """Shaped like shared.backbone.envelope.RecordedEvent where the deciders read it."""

    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    stream_version: int
    occurred_at: datetime


class Stream:
    """A case stream in memory: what the store would append, validated as the store does."""

    def __init__(self, command: dict[str, Any]) -> None:
        self.events: list[Recorded] = []
        self.append(open_case(command, TODAY))

    def append(self, decided: list[NewEvent]) -> list[NewEvent]:
        for new in decided:
            REGISTRY.validate(new.event_type, 1, new.payload)
            self.events.append(
                Recorded(
                    new.event_id, new.event_type, new.payload, len(self.events) + 1, new.occurred_at
                )
            )
        return decided

    @property
    def case(self) -> Case:
        case = state_from(self.events)
        assert case is not None
        return case

    def record(self, name: str, **payload: Any) -> dict[str, Any]:
        """Records one event and returns its payload as decided."""
        return self.append(record_event(self.case, f"intake.{name}", payload, TODAY))[0].payload

    def refused(self, name: str, **payload: Any) -> dict[str, list[str]]:
        with pytest.raises(ValidationProblem) as caught:
            record_event(self.case, f"intake.{name}", payload, TODAY)
        errors: dict[str, list[str]] = caught.value.errors
        return errors

    def id_of(self, name: str, nth: int = 0) -> str:
        return str([e for e in self.events if e.event_type == f"intake.{name}"][nth].event_id)


def awarded(amount: float = 1000.0, final: bool = True) -> tuple[Stream, str]:
    """An identified victim whose criminal-court claim was awarded `amount` EUR."""
    stream = Stream(identified())
    claim = stream.record("CompensationClaimFiled", date="2025-03-01", forum="CriminalAdhesion")
    stream.record(
        "CompensationDecided",
        claim_id=claim["claim_id"],
        date="2025-04-01",
        forum="CriminalAdhesion",
        outcome="Awarded",
        final=final,
        amount_awarded_eur=amount,
    )
    return stream, claim["claim_id"]


# --- Opening a case ----------------------------------------------------------------------------


def test_a_case_opens_with_one_case_opened_event_the_registry_accepts() -> None:
    decided = open_case(presumed(), TODAY)
    assert [new.event_type for new in decided] == ["intake.CaseOpened"]
    REGISTRY.validate("intake.CaseOpened", 1, decided[0].payload)
    assert decided[0].payload == presumed()


def test_the_actor_and_correlation_id_are_passed_to_the_events() -> None:
    actor, correlation = Actor("cw-7", "org-3"), uuid.uuid4()
    (new,) = open_case(presumed(), TODAY, actor=actor, correlation_id=correlation)
    assert (new.actor, new.correlation_id) == (actor, correlation)
    stream = Stream(presumed())
    testimony = {"date": "2025-02-01", "protective_measures": ["VideoLink"]}
    (recorded,) = record_event(
        stream.case,
        "intake.VictimTestified",
        testimony,
        TODAY,
        actor=actor,
        causation_id=correlation,
    )
    assert (recorded.actor, recorded.causation_id) == (actor, correlation)


def test_the_htcds_decision_org_is_filled_in_from_the_identifying_body() -> None:
    (new,) = open_case(identified(ext_IdentifyingBodyType="Prosecution"), TODAY)
    assert new.payload["vic_TraffickingStatusDecisionMakingOrg"] == "CourtOrProsecution"


def test_an_identifying_body_and_decision_org_that_disagree_are_refused() -> None:
    command = identified(vic_TraffickingStatusDecisionMakingOrg="NGO")
    assert refused_opening(command) == {
        "vic_TraffickingStatusDecisionMakingOrg": [
            "Must be Police when ext_IdentifyingBodyType is Police "
            "(the fixed mapping of identifying bodies to HTCDS codes)."
        ]
    }


def test_a_bad_code_names_the_field_and_lists_the_allowed_values() -> None:
    assert refused_opening(presumed(prs_Gender="Female")) == {
        "prs_Gender": [
            "Must be one of: Feminine, Masculine, TransgenderFeminine, TransgenderMasculine, "
            "NonConforming, NonSpecifiedUnknown."
        ]
    }


def test_a_name_or_any_field_outside_the_schema_is_refused() -> None:
    assert refused_opening(presumed(prs_FirstName="Ana")) == {"prs_FirstName": ["Unknown field."]}


def test_a_command_that_is_not_an_object_is_refused() -> None:
    assert refused_opening(["not", "an", "object"]) == {"payload": ["Must be a JSON object."]}


@pytest.mark.parametrize("name", ["prs_Birthdate", "ext_FirstContactDate"])
def test_a_date_in_the_future_is_refused_naming_the_field(name: str) -> None:
    errors = refused_opening(presumed(**{name: "2025-07-01"}))
    assert errors[name] == ["Must not be in the future (today is 2025-06-30)."]


def test_identification_before_first_contact_is_refused() -> None:
    errors = refused_opening(identified(ext_IdentificationDate="2025-01-09"))
    assert errors == {
        "ext_IdentificationDate": ["Must not be before ext_FirstContactDate (2025-01-10)."]
    }


def test_a_birth_date_after_first_contact_is_refused() -> None:
    errors = refused_opening(presumed(prs_Birthdate="2025-01-11"))
    assert errors["ext_FirstContactDate"] == ["Must not be before prs_Birthdate (2025-01-11)."]


def test_an_identified_victim_needs_an_identification_date_and_who_decided() -> None:
    command = identified(ext_IdentificationDate=None, ext_IdentifyingBodyType=None)
    assert refused_opening(command) == {
        "ext_IdentificationDate": [
            "Required when vic_TraffickingStatus is ActualVictimOfTrafficking."
        ],
        "ext_IdentifyingBodyType": [
            "Required (or vic_TraffickingStatusDecisionMakingOrg) when vic_TraffickingStatus "
            "is ActualVictimOfTrafficking."
        ],
    }


def test_a_presumed_victim_needs_a_first_contact_and_has_no_identification_date() -> None:
    command = presumed(ext_FirstContactDate=None, ext_IdentificationDate="2025-02-01")
    assert refused_opening(command) == {
        "ext_FirstContactDate": [
            "Required when vic_TraffickingStatus is PossibleVictimOfTrafficking.",
            "Required when ext_DetectingAgencyType is given.",
        ],
        "ext_IdentificationDate": [
            "Only allowed when vic_TraffickingStatus is ActualVictimOfTrafficking."
        ],
    }


def test_an_identified_victim_may_be_opened_without_a_first_contact() -> None:
    command = identified(ext_FirstContactDate=None, ext_DetectingAgencyType=None)
    case = state_from(Stream(command).events)
    assert case is not None and case.first_contact_date is None
    assert case.identification_date == date(2025, 2, 20)


@pytest.mark.parametrize(
    ("birth", "flag", "refused"),
    [
        ("2007-02-21", True, False),  # 17 on the identification date: a child
        ("2007-02-20", True, True),  # 18 that day: an adult
        ("2007-02-20", False, False),
        ("2007-02-21", False, True),
    ],
)
def test_the_child_flag_must_match_the_age_on_the_identification_date(
    birth: str, flag: bool, refused: bool
) -> None:
    command = identified(prs_Birthdate=birth, ext_IsChild=flag)
    if refused:
        (message,) = refused_opening(command)["ext_IsChild"]
        assert message.startswith(f"Must be {str(not flag).lower()}: the person was")
        assert "on ext_IdentificationDate (2025-02-20), and a child is under 18." in message
    else:
        assert open_case(command, TODAY)


def test_the_child_flag_of_a_presumed_victim_follows_the_age_at_first_contact() -> None:
    errors = refused_opening(presumed(prs_Birthdate="2007-01-11", ext_IsChild=False))
    assert errors == {
        "ext_IsChild": [
            "Must be true: the person was 17 on ext_FirstContactDate (2025-01-10), and a child "
            "is under 18."
        ]
    }


def test_the_child_flag_is_checked_against_an_estimated_age() -> None:
    command = presumed(prs_Birthdate=None, ext_EstimatedAge=15, ext_IsChild=False)
    assert refused_opening(command)["ext_IsChild"] == [
        "Must be true: the person was 15 by ext_EstimatedAge, and a child is under 18."
    ]


def test_a_birth_date_and_an_estimated_age_together_are_refused() -> None:
    assert refused_opening(presumed(ext_EstimatedAge=25)) == {
        "ext_EstimatedAge": ["Only allowed when prs_Birthdate is unknown: give one or the other."]
    }


def test_the_age_when_trafficked_cannot_exceed_the_age_at_identification() -> None:
    errors = refused_opening(identified(vic_AgeWhenTrafficked=26))
    assert errors == {
        "vic_AgeWhenTrafficked": [
            "Must not be above the person's age on ext_IdentificationDate (2025-02-20) (25)."
        ]
    }


@pytest.mark.parametrize("name", ["ext_Unaccompanied", "ext_GuardianRequired"])
def test_an_adult_is_neither_unaccompanied_nor_in_need_of_a_guardian(name: str) -> None:
    assert refused_opening(presumed(**{name: True})) == {
        name: ["Only true for a child (under 18); this is an adult."]
    }
    assert open_case(presumed(**{name: False}), TODAY)


def test_exploitation_subtypes_need_their_type_of_exploitation() -> None:
    command = presumed(
        vic_TypeOfExploitation=["ForcedBegging"],
        vic_TypeOfSexExploitation=["Prostitution"],
        vic_ForcedLabourIndustry=["F_Construction"],
    )
    assert refused_opening(command) == {
        "vic_TypeOfSexExploitation": [
            "Only allowed when vic_TypeOfExploitation has SexualExploitation."
        ],
        "vic_ForcedLabourIndustry": [
            "Only allowed when vic_TypeOfExploitation has any of: ForcedLabour, ChildLabour, "
            "Servitude."
        ],
    }


def test_every_error_of_a_command_is_reported_at_once() -> None:
    command = presumed(
        prs_Gender="F",
        prs_Citizenship=["XX"],
        ext_FirstContactDate="2030-01-01",
        ext_IsChild="yes",
        vic_TypeOfExploitation=["Servitude"],
        vic_TypeOfSexExploitation=["Prostitution"],
        cas_Status="Closed",
    )
    assert set(refused_opening(command)) == {
        "prs_Gender",
        "prs_Citizenship",
        "ext_FirstContactDate",
        "ext_IsChild",
        "vic_TypeOfSexExploitation",
        "cas_Status",
    }


def test_a_field_that_failed_its_own_validation_gets_no_cross_field_message() -> None:
    errors = refused_opening(identified(ext_IdentificationDate="20-02-2025"))
    assert errors == {"ext_IdentificationDate": ["Not a valid date."]}


def test_kosovo_is_a_country_code() -> None:
    command = presumed(prs_Citizenship=["XK"], ext_CountryOfExploitation=["XK", "RS"])
    assert open_case(command, TODAY)[0].payload["prs_Citizenship"] == ["XK"]


# --- Recording events --------------------------------------------------------------------------


def test_only_the_intake_event_types_can_be_recorded_and_the_error_lists_them() -> None:
    case = Stream(presumed()).case
    for event_type in ("intake.CaseOpened", "intake.Nope", "identity.RoleGranted"):
        with pytest.raises(ValidationProblem) as caught:
            record_event(case, event_type, {}, TODAY)
        (message,) = caught.value.errors["event_type"]
        assert message.startswith("Must be one of: ") and "intake.ReferralMade" in message
        assert "intake.CaseOpened" not in message


def test_every_decided_event_names_its_fields_like_the_command() -> None:
    stream = Stream(presumed())
    payload = stream.record(
        "ServiceDelivered",
        start_date="2025-01-12",
        service_type="Accommodation",
        provider_type="NGO",
    )
    assert payload == {
        "start_date": "2025-01-12",
        "service_type": "Accommodation",
        "provider_type": "NGO",
    }


def test_an_event_on_a_closed_case_is_refused_but_corrections_and_links_are_taken() -> None:
    stream = Stream(presumed())
    stream.record("CaseClosed", ext_CaseClosedDate="2025-05-01", cas_Status="Closed")
    assert stream.refused(
        "NonPunishmentApplied", date="2025-05-02", domain="Criminal", stage="Discontinued"
    ) == {
        "cas_Status": [
            "The case is Closed since 2025-05-01; a closed case only takes intake.CaseCorrected "
            "and intake.PersonsLinked."
        ]
    }
    stream.record(
        "PersonsLinked", date="2025-06-01", linked_person_ids=[OTHER_PERSON], basis="KeyedHashMatch"
    )
    stream.record(
        "CaseCorrected",
        superseded_event_ids=[stream.id_of("CaseOpened")],
        corrected_event_type="intake.CaseOpened",
        corrected_fields={"prs_Gender": "NonSpecifiedUnknown"},
        reason="DataEntryError",
    )
    assert stream.case.linked_person_ids == {OTHER_PERSON}
    assert not stream.case.is_open


def test_the_first_contact_is_registered_once() -> None:
    stream = Stream(identified(ext_FirstContactDate=None, ext_DetectingAgencyType=None))
    assert stream.refused(
        "PresumedVictimRegistered", date="2025-02-21", detecting_agency_type="Helpline"
    ) == {"date": ["Must not be after ext_IdentificationDate (2025-02-20)."]}
    stream.record("PresumedVictimRegistered", date="2025-02-01", detecting_agency_type="Helpline")
    assert stream.case.first_contact_date == date(2025, 2, 1)
    assert stream.case.detecting_agency_type == "Helpline"
    assert stream.refused(
        "PresumedVictimRegistered", date="2025-02-01", detecting_agency_type="Helpline"
    ) == {
        "date": [
            "ext_FirstContactDate is already 2025-02-01; correct it with intake.CaseCorrected "
            "instead."
        ]
    }


def test_a_status_decision_sets_status_org_and_the_first_identification_date() -> None:
    stream = Stream(presumed())
    stream.record(
        "TraffickingStatusDecided",
        date="2025-03-01",
        status="ActualVictimOfTrafficking",
        body_type="IdentificationOffice",
    )
    stream.record(
        "TraffickingStatusDecided",
        date="2025-04-01",
        status="ActualVictimOfTrafficking",
        body_type="Court",
    )
    case = stream.case
    assert case.trafficking_status == "ActualVictimOfTrafficking"
    assert case.decision_making_org == "CourtOrProsecution"
    assert case.identification_date == date(2025, 3, 1)
    assert case.age == 25


def test_a_status_decision_before_first_contact_or_an_earlier_decision_is_refused() -> None:
    stream = Stream(identified())
    errors = stream.refused(
        "TraffickingStatusDecided",
        date="2025-01-09",
        status="NotAVictimOfTrafficking",
        body_type="Court",
    )
    assert errors == {
        "date": [
            "Must not be before ext_FirstContactDate (2025-01-10).",
            "Must not be before the previous trafficking status decision (2025-02-20).",
        ]
    }


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("TraffickingStatusDecided", {"status": "ActualVictimOfTrafficking", "body_type": "NGO"}),
        (
            "ReferralMade",
            {"direction": "Outgoing", "scope": "Domestic", "reason": "AdditionalServicesRequired"},
        ),
        ("ReflectionPeriodDecided", {"decision": "NotRequested"}),
        ("ResidencePermitDecided", {"decision": "Refused"}),
        ("GuardianAppointed", {}),
        ("ChildInterviewConducted", {"child_sensitive": True, "recorded": False}),
        (
            "ReturnCompleted",
            {"direction": "IntoDeploymentCountry", "country": "AL", "risk_assessment_done": True},
        ),
        ("ReintegrationOutcomeRecorded", {"outcome": "None", "at_case_closure": False}),
    ],
)
def test_assistance_and_protection_before_the_first_contact_are_refused(
    name: str, payload: dict[str, Any]
) -> None:
    stream = Stream(presumed(prs_Birthdate=None))
    errors = stream.refused(name, date="2025-01-09", **payload)
    assert errors == {"date": ["Must not be before ext_FirstContactDate (2025-01-10)."]}


def test_a_service_starting_before_first_contact_is_refused() -> None:
    errors = Stream(presumed()).refused(
        "ServiceDelivered", start_date="2025-01-01", service_type="Medical"
    )
    assert errors == {"start_date": ["Must not be before ext_FirstContactDate (2025-01-10)."]}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        (
            "VictimPenalised",
            {"domain": "Immigration", "measure": "Expelled", "linked_to_exploitation": True},
        ),
        ("VictimTestified", {"protective_measures": ["ClosedHearing"]}),
        ("CompensationClaimFiled", {"forum": "Civil"}),
    ],
)
def test_justice_events_may_precede_the_first_contact(name: str, payload: dict[str, Any]) -> None:
    # Victims are often fined, expelled or heard as witnesses before anyone identifies them.
    stream = Stream(presumed())
    stream.record(name, date="2024-11-05", **payload)
    assert stream.case.latest_date == date(2025, 1, 10)


def test_no_event_is_dated_before_the_birth_date() -> None:
    errors = Stream(presumed()).refused(
        "VictimPenalised",
        date="1999-04-01",
        domain="Criminal",
        measure="Charged",
        linked_to_exploitation=False,
    )
    assert errors == {"date": ["Must not be before prs_Birthdate (1999-04-02)."]}


def test_an_event_dated_in_the_future_is_refused() -> None:
    errors = Stream(presumed()).refused(
        "NonPunishmentApplied", date="2025-07-01", domain="Criminal", stage="Acquitted"
    )
    assert errors == {"date": ["Must not be in the future (today is 2025-06-30)."]}


def test_a_transnational_referral_names_the_other_country_and_a_domestic_one_does_not() -> None:
    stream = Stream(presumed())
    base = {"date": "2025-01-15", "direction": "Outgoing", "reason": "MigrationOrChangeOfLocation"}
    assert stream.refused("ReferralMade", scope="Transnational", **base) == {
        "country": ["Required when scope is Transnational."]
    }
    assert stream.refused("ReferralMade", scope="Domestic", country="RS", **base) == {
        "country": ["Only allowed when scope is Transnational."]
    }
    stream.record("ReferralMade", scope="Transnational", country="XK", **base)
    assert stream.case.outgoing_referrals == 1


def test_a_service_cannot_end_before_it_starts() -> None:
    errors = Stream(presumed()).refused(
        "ServiceDelivered",
        start_date="2025-02-01",
        end_date="2025-01-31",
        service_type="Psychological",
    )
    assert errors == {"end_date": ["Must not be before start_date (2025-02-01)."]}


def test_a_granted_reflection_period_has_a_length_and_a_refused_one_has_none() -> None:
    stream = Stream(presumed())
    assert stream.refused("ReflectionPeriodDecided", date="2025-01-11", decision="Granted") == {
        "length_days": ["Required when decision is Granted."]
    }
    errors = stream.refused(
        "ReflectionPeriodDecided",
        date="2025-01-11",
        decision="Refused",
        length_days=30,
        start_date="2025-01-11",
    )
    assert errors == {
        "length_days": ["Only allowed when decision is Granted."],
        "start_date": ["Only allowed when decision is Granted."],
    }
    stream.record("ReflectionPeriodDecided", date="2025-01-11", decision="Granted", length_days=30)


def test_a_granted_residence_permit_has_a_basis_and_a_validity() -> None:
    stream = Stream(presumed())
    assert stream.refused("ResidencePermitDecided", date="2025-03-01", decision="Granted") == {
        "basis": ["Required when decision is Granted."],
        "valid_days": ["Required when decision is Granted."],
    }
    errors = stream.refused(
        "ResidencePermitDecided", date="2025-03-01", decision="Refused", valid_days=180
    )
    assert errors == {"valid_days": ["Only allowed when decision is Granted."]}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("GuardianAppointed", {}),
        ("ChildInterviewConducted", {"child_sensitive": True, "recorded": True}),
    ],
)
def test_guardians_and_child_interviews_are_refused_for_an_adult(
    name: str, payload: dict[str, Any]
) -> None:
    assert Stream(presumed()).refused(name, date="2025-01-12", **payload) == {
        "ext_IsChild": [
            "Guardians and child interviews are for children (under 18); this case records an "
            "adult (age 25)."
        ]
    }
    child = Stream(presumed(prs_Birthdate="2010-05-05", ext_IsChild=True))
    child.record(name, date="2025-01-12", **payload)
    # Age unknown: a person presumed to be a child is treated as one (Directive 2011/36 Art. 13).
    unknown_age = Stream(presumed(prs_Birthdate=None))
    unknown_age.record(name, date="2025-01-12", **payload)


def test_no_protective_measure_cannot_be_combined_with_a_measure() -> None:
    errors = Stream(presumed()).refused(
        "VictimTestified", date="2025-03-03", protective_measures=["None", "VideoLink"]
    )
    assert errors == {
        "protective_measures": ["None means no measure: it cannot be combined with others."]
    }


# --- Compensation ------------------------------------------------------------------------------


def test_a_claim_gets_an_id_unless_it_has_one_and_an_id_is_filed_once() -> None:
    stream = Stream(presumed())
    claim = stream.record("CompensationClaimFiled", date="2025-02-01", forum="Labour")
    assert uuid.UUID(claim["claim_id"])
    errors = stream.refused(
        "CompensationClaimFiled", claim_id=claim["claim_id"], date="2025-02-02", forum="Civil"
    )
    assert errors == {"claim_id": ["A claim with this id is already filed on the case."]}


def test_a_decision_on_an_unknown_claim_is_refused() -> None:
    errors = Stream(presumed()).refused(
        "CompensationDecided",
        claim_id=str(uuid.uuid4()),
        date="2025-04-01",
        forum="Civil",
        outcome="Rejected",
        final=False,
    )
    assert errors == {
        "claim_id": [
            "No claim with this id on the case: record intake.CompensationClaimFiled first."
        ]
    }


def test_a_decision_before_the_claim_or_in_another_forum_is_refused() -> None:
    stream = Stream(presumed())
    claim = stream.record("CompensationClaimFiled", date="2025-03-01", forum="Civil")
    errors = stream.refused(
        "CompensationDecided",
        claim_id=claim["claim_id"],
        date="2025-02-28",
        forum="Labour",
        outcome="Rejected",
        final=True,
    )
    assert errors == {
        "date": ["Must not be before the claim's filing date (2025-03-01)."],
        "forum": ["Must be Civil, the forum the claim was filed in."],
    }


def test_an_award_has_an_amount_and_a_rejection_has_none() -> None:
    stream = Stream(presumed())
    claim = stream.record("CompensationClaimFiled", date="2025-03-01", forum="StateScheme")
    base = {
        "claim_id": claim["claim_id"],
        "date": "2025-03-02",
        "forum": "StateScheme",
        "final": False,
    }
    assert stream.refused("CompensationDecided", outcome="Awarded", **base) == {
        "amount_awarded_eur": ["Required when outcome is Awarded."]
    }
    errors = stream.refused(
        "CompensationDecided", outcome="Rejected", amount_awarded_eur=10, **base
    )
    assert errors == {"amount_awarded_eur": ["Only allowed when outcome is Awarded or Settled."]}


def test_only_a_criminal_court_refers_a_claim_to_civil_proceedings() -> None:
    stream = Stream(presumed())
    claim = stream.record("CompensationClaimFiled", date="2025-03-01", forum="Labour")
    errors = stream.refused(
        "CompensationDecided",
        claim_id=claim["claim_id"],
        date="2025-03-02",
        forum="Labour",
        outcome="ReferredToCivil",
        final=True,
    )
    assert errors == {
        "outcome": ["ReferredToCivil is only an outcome of a CriminalAdhesion claim."]
    }


def test_a_finally_decided_claim_is_not_decided_again_but_an_appeal_is() -> None:
    stream, claim_id = awarded(final=False)
    stream.record(
        "CompensationDecided",
        claim_id=claim_id,
        date="2025-05-01",
        forum="CriminalAdhesion",
        outcome="Awarded",
        final=True,
        amount_awarded_eur=800,
    )
    errors = stream.refused(
        "CompensationDecided",
        claim_id=claim_id,
        date="2025-05-02",
        forum="CriminalAdhesion",
        outcome="Rejected",
        final=True,
    )
    assert errors == {"claim_id": ["The claim was finally decided on 2025-05-01; it is closed."]}


def test_a_payment_before_the_award_is_refused_naming_the_field() -> None:
    stream, claim_id = awarded()
    errors = stream.refused(
        "CompensationPaid",
        claim_id=claim_id,
        date="2025-03-31",
        amount_eur=100,
        payer="Perpetrator",
    )
    assert errors == {"date": ["Must not be before the award's date (2025-04-01)."]}


def test_a_payment_without_an_award_is_refused() -> None:
    stream = Stream(presumed())
    claim = stream.record("CompensationClaimFiled", date="2025-03-01", forum="Civil")
    errors = stream.refused(
        "CompensationPaid",
        claim_id=claim["claim_id"],
        date="2025-03-02",
        amount_eur=100,
        payer="Perpetrator",
    )
    assert errors == {
        "claim_id": [
            "The claim has no award to pay: its latest decision is not taken (payable: Awarded, "
            "Settled with amount_awarded_eur)."
        ]
    }


def test_payments_above_the_award_are_refused_naming_what_is_still_due() -> None:
    stream, claim_id = awarded(amount=0.3)
    for cents in (0.1, 0.2):  # 0.1 + 0.2 exceeds 0.3 in binary floating point, not in money
        stream.record(
            "CompensationPaid",
            claim_id=claim_id,
            date="2025-04-02",
            amount_eur=cents,
            payer="StateFund",
        )
    errors = stream.refused(
        "CompensationPaid", claim_id=claim_id, date="2025-04-03", amount_eur=0.01, payer="StateFund"
    )
    assert errors == {
        "amount_eur": [
            "Must not exceed the 0.00 EUR still due (0.30 EUR awarded, 0.30 EUR already paid)."
        ]
    }


def test_a_payment_carries_the_date_its_award_became_final() -> None:
    stream, claim_id = awarded(final=False)
    early = stream.record(
        "CompensationPaid",
        claim_id=claim_id,
        date="2025-04-02",
        amount_eur=100,
        payer="Perpetrator",
    )
    assert "award_final_date" not in early
    stream.record(
        "CompensationDecided",
        claim_id=claim_id,
        date="2025-05-01",
        forum="CriminalAdhesion",
        outcome="Awarded",
        final=True,
        amount_awarded_eur=1000,
    )
    later = stream.record(
        "CompensationPaid", claim_id=claim_id, date="2025-05-02", amount_eur=100, payer="StateFund"
    )
    assert later["award_final_date"] == "2025-05-01"
    errors = stream.refused(
        "CompensationPaid",
        claim_id=claim_id,
        date="2025-05-02",
        amount_eur=1,
        payer="StateFund",
        award_final_date="2025-05-01",
    )
    assert errors == {"award_final_date": ["Set from the claim's final award: leave it out."]}


def test_an_original_amount_comes_with_its_currency_and_is_not_in_euro() -> None:
    stream = Stream(presumed())
    assert stream.refused(
        "CompensationClaimFiled", date="2025-03-01", forum="Civil", original_amount=120000
    ) == {
        "original_currency": ["Required when original_amount is given."],
        "amount_claimed_eur": [
            "Required when original_amount is given (converted at the decision date's rate)."
        ],
    }
    assert stream.refused(
        "CompensationClaimFiled",
        date="2025-03-01",
        forum="Civil",
        amount_claimed_eur=10,
        original_amount=10,
        original_currency="EUR",
    ) == {
        "original_currency": [
            "Leave out for amounts in EUR: it keeps the amount before conversion."
        ]
    }


def test_a_later_award_cannot_fall_below_what_was_paid() -> None:
    stream, claim_id = awarded(final=False)
    stream.record(
        "CompensationPaid",
        claim_id=claim_id,
        date="2025-04-02",
        amount_eur=600,
        payer="Perpetrator",
    )
    errors = stream.refused(
        "CompensationDecided",
        claim_id=claim_id,
        date="2025-05-01",
        forum="CriminalAdhesion",
        outcome="Awarded",
        final=True,
        amount_awarded_eur=500,
    )
    assert errors == {"amount_awarded_eur": ["Must not be below the 600.00 EUR already paid."]}


# --- Closing and linking -----------------------------------------------------------------------


def test_a_case_closes_on_or_after_its_latest_date() -> None:
    stream = Stream(presumed())
    stream.record(
        "ServiceDelivered",
        start_date="2025-02-01",
        end_date="2025-03-15",
        service_type="Accommodation",
    )
    errors = stream.refused("CaseClosed", ext_CaseClosedDate="2025-03-14", cas_Status="Closed")
    assert errors == {
        "ext_CaseClosedDate": [
            "Must not be before the latest date recorded on the case (2025-03-15)."
        ]
    }
    stream.record("CaseClosed", ext_CaseClosedDate="2025-03-15", cas_Status="Closed")
    assert (stream.case.status, stream.case.closed_date) == ("Closed", date(2025, 3, 15))


def test_closed_referred_needs_an_outgoing_referral() -> None:
    stream = Stream(presumed())
    stream.record(
        "ReferralMade", date="2025-01-10", direction="Incoming", scope="Domestic", reason="Other"
    )
    errors = stream.refused(
        "CaseClosed", ext_CaseClosedDate="2025-03-14", cas_Status="ClosedReferred"
    )
    assert errors == {
        "cas_Status": [
            "ClosedReferred needs an outgoing intake.ReferralMade on the case; otherwise use "
            "Closed."
        ]
    }


def test_a_person_is_linked_to_other_persons_never_to_itself_or_twice() -> None:
    stream = Stream(presumed())
    assert stream.refused(
        "PersonsLinked", date="2025-02-01", linked_person_ids=[PERSON], basis="CaseWorkerConfirmed"
    ) == {"linked_person_ids": ["Must not name the case's own person_id."]}
    stream.record(
        "PersonsLinked", date="2025-02-01", linked_person_ids=[OTHER_PERSON], basis="KeyedHashMatch"
    )
    errors = stream.refused(
        "PersonsLinked",
        date="2025-02-02",
        linked_person_ids=[OTHER_PERSON.upper()],
        basis="KeyedHashMatch",
    )
    assert errors == {"linked_person_ids": [f"Already linked: {OTHER_PERSON}."]}


# --- Corrections -------------------------------------------------------------------------------


def correct(stream: Stream, name: str, fields: dict[str, Any], nth: int = 0) -> list[NewEvent]:
    decided = record_event(
        stream.case,
        "intake.CaseCorrected",
        {
            "superseded_event_ids": [stream.id_of(name, nth)],
            "corrected_event_type": f"intake.{name}",
            "corrected_fields": fields,
            "reason": "DataEntryError",
        },
        TODAY,
    )
    return stream.append(decided)


def refused_correction(stream: Stream, name: str, fields: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationProblem) as caught:
        correct(stream, name, fields)
    errors: dict[str, list[str]] = caught.value.errors
    return errors


def test_a_correction_supersedes_values_without_editing_the_event() -> None:
    stream = Stream(presumed())
    original = dict(stream.events[0].payload)
    correct(stream, "CaseOpened", {"prs_Birthdate": None, "ext_EstimatedAge": 30})
    assert stream.events[0].payload == original
    case = stream.case
    assert (case.birth_date, case.estimated_age, case.age) == (None, 30, 30)
    assert case.version == 2
    assert case.history[0].payload["ext_EstimatedAge"] == 30


def test_a_correction_of_a_correction_supersedes_the_original_event_again() -> None:
    stream = Stream(presumed())
    correct(stream, "CaseOpened", {"ext_FirstContactDate": "2025-01-05"})
    correct(stream, "CaseOpened", {"ext_FirstContactDate": "2025-01-07"})
    assert stream.case.first_contact_date == date(2025, 1, 7)
    errors = refused_correction(stream, "CaseCorrected", {"reason": "Other"})
    assert errors["superseded_event_ids"] == [
        f"No event {stream.id_of('CaseCorrected')} on this case to correct (to correct a "
        "correction, supersede the original event again)."
    ]
    assert errors["corrected_event_type"][0].startswith("Must be one of: intake.CaseClosed, ")


def test_a_correction_naming_an_event_that_is_not_of_the_case_or_of_its_type_is_refused() -> None:
    stream = Stream(presumed())
    stranger = str(uuid.uuid4())
    with pytest.raises(ValidationProblem) as caught:
        record_event(
            stream.case,
            "intake.CaseCorrected",
            {
                "superseded_event_ids": [stranger, stream.id_of("CaseOpened")],
                "corrected_event_type": "intake.GuardianAppointed",
                "corrected_fields": {"date": "2025-01-11"},
                "reason": "NewInformation",
            },
            TODAY,
        )
    assert caught.value.errors == {
        "superseded_event_ids": [
            f"No event {stranger} on this case to correct (to correct a correction, supersede "
            "the original event again)."
        ],
        "corrected_event_type": [
            f"Must be intake.CaseOpened, the type of {stream.id_of('CaseOpened')}."
        ],
    }


def test_a_correction_that_breaks_a_rule_names_the_corrected_field() -> None:
    stream = Stream(identified())
    errors = refused_correction(
        stream, "CaseOpened", {"ext_IdentificationDate": "2025-01-01", "prs_Gender": "F"}
    )
    assert set(errors) == {"corrected_fields.ext_IdentificationDate", "corrected_fields.prs_Gender"}
    assert errors["corrected_fields.ext_IdentificationDate"] == [
        "Must not be before ext_FirstContactDate (2025-01-10)."
    ]


def test_a_correction_that_would_invalidate_a_later_event_is_refused() -> None:
    stream, claim_id = awarded(amount=1000)
    paid = stream.record(
        "CompensationPaid", claim_id=claim_id, date="2025-04-02", amount_eur=900, payer="StateFund"
    )
    payment = stream.id_of("CompensationPaid")
    errors = refused_correction(stream, "CompensationDecided", {"amount_awarded_eur": 800})
    assert errors == {
        "corrected_fields": [
            f"Would make intake.CompensationPaid {payment} invalid: amount_eur: Must not exceed "
            "the 800.00 EUR still due (800.00 EUR awarded, 0.00 EUR already paid)."
        ]
    }
    assert paid["amount_eur"] == 900


def test_keys_that_link_events_and_persons_cannot_be_corrected() -> None:
    stream, _ = awarded()
    errors = refused_correction(stream, "CompensationDecided", {"claim_id": str(uuid.uuid4())})
    assert errors == {
        "corrected_fields.claim_id": ["Cannot be corrected: file the claim again instead."]
    }
    errors = refused_correction(stream, "CaseOpened", {"person_id": OTHER_PERSON})
    assert errors == {
        "corrected_fields.person_id": [
            "Cannot be corrected: link persons with intake.PersonsLinked instead."
        ]
    }


def test_correcting_the_date_of_a_final_award_corrects_the_payments_that_follow_it() -> None:
    stream, claim_id = awarded()
    stream.record(
        "CompensationPaid", claim_id=claim_id, date="2025-04-10", amount_eur=100, payer="StateFund"
    )
    main, follow_up = correct(stream, "CompensationDecided", {"date": "2025-04-05"})
    assert follow_up.event_type == "intake.CaseCorrected"
    assert follow_up.causation_id == main.event_id
    assert follow_up.payload == {
        "superseded_event_ids": [stream.id_of("CompensationPaid")],
        "corrected_event_type": "intake.CompensationPaid",
        "corrected_fields": {"award_final_date": "2025-04-05"},
        "reason": "DataEntryError",
    }
    (payment,) = [f for f in stream.case.history if f.event_type == "intake.CompensationPaid"]
    assert payment.payload["award_final_date"] == "2025-04-05"
    assert correct(stream, "CompensationDecided", {"final": False})[1].payload[
        "corrected_fields"
    ] == {"award_final_date": None}


# --- Folding the stream ------------------------------------------------------------------------


def test_an_empty_stream_has_no_case() -> None:
    assert state_from([]) is None


def test_a_stream_must_begin_with_case_opened() -> None:
    stray = Recorded(
        uuid.uuid4(), "intake.GuardianAppointed", {"date": "2025-01-01"}, 1, datetime.now(UTC)
    )
    with pytest.raises(ValueError, match=r"must begin with intake\.CaseOpened"):
        state_from([stray])


def test_events_of_other_types_leave_the_case_as_it_is() -> None:
    stream = Stream(presumed())
    erased = Recorded(uuid.uuid4(), "intake.PersonErased", {}, 2, datetime.now(UTC))
    case = state_from([*stream.events, erased])
    assert case is not None
    assert case.version == 2
    assert len(case.history) == 1


def test_the_state_folds_recorded_events_from_the_store() -> None:
    stream, claim_id = awarded(amount=250)
    recorded = [
        RecordedEvent(
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=1,
            stream_id="case-1",
            stream_version=event.stream_version,
            origin="mk.intake",
            log_index=event.stream_version,
            occurred_at=event.occurred_at,
            recorded_at=event.occurred_at,
            actor=Actor("cw-1", "org-1"),
            correlation_id=None,
            causation_id=None,
            payload_bytes=canonical_json(event.payload),
            leaf_hash=b"",
        )
        for event in stream.events
    ]
    case = state_from(recorded)
    assert case is not None
    assert case.version == 3
    assert case.identification_date == date(2025, 2, 20)
    assert case.claims[claim_id].awarded_eur == 250
    assert case.claims[claim_id].final_award_date == date(2025, 4, 1)


# --- A whole case ------------------------------------------------------------------------------

GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "backbone" / "golden"
# The order in which a case worker would record them; each golden payload fits the case.
LIFE = [
    "PresumedVictimRegistered",
    "TraffickingStatusDecided",
    "GuardianAppointed",
    "ReferralMade",
    "ServiceDelivered",
    "ReflectionPeriodDecided",
    "ChildInterviewConducted",
    "ResidencePermitDecided",
    "VictimPenalised",
    "NonPunishmentApplied",
    "VictimTestified",
    "CompensationClaimFiled",
    "CompensationDecided",
    "CompensationPaid",
    "PersonsLinked",
    "ReturnCompleted",
    "ReintegrationOutcomeRecorded",
    "CaseCorrected",
    "CaseClosed",
]


def golden(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((GOLDEN / f"intake.{name}.v1.json").read_text())["payload"]
    return payload


def test_every_event_type_is_recorded_on_a_case_as_its_golden_payload_says() -> None:
    opening = golden("CaseOpened")
    del opening["ext_FirstContactDate"], opening["ext_DetectingAgencyType"]
    stream = Stream(opening)
    assert stream.events[0].payload == opening
    for name in LIFE:
        payload = golden(name)
        if name == "CompensationPaid":
            del payload["award_final_date"]  # the decider sets it: expect the golden one back
        if name == "CaseCorrected":
            payload["superseded_event_ids"] = [stream.id_of("CaseOpened")]
        expected = {**golden(name), **payload} if name == "CaseCorrected" else golden(name)
        assert stream.record(name, **payload) == expected, name
    case = stream.case
    assert sorted({e.event_type for e in stream.events}) == sorted(INTAKE_TYPES)
    assert (case.status, case.closed_date) == ("ClosedReferred", date(2025, 5, 31))
    assert (case.age, case.is_child, case.first_contact_date) == (16, True, date(2024, 2, 3))
    assert case.decision_making_org == "Other"  # MultiAgencyTeam decided last


def test_corrected_values_are_stored_as_their_event_type_stores_them() -> None:
    stream = Stream(presumed())
    stream.record(
        "PersonsLinked", date="2025-02-01", linked_person_ids=[OTHER_PERSON], basis="KeyedHashMatch"
    )
    hex_upper = OTHER_PERSON.replace("-", "").upper()
    (correction,) = correct(stream, "PersonsLinked", {"linked_person_ids": [hex_upper]})
    assert correction.payload["corrected_fields"] == {"linked_person_ids": [OTHER_PERSON]}
    stream.record("CompensationClaimFiled", date="2025-03-01", forum="Civil")
    (correction,) = correct(stream, "CompensationClaimFiled", {"amount_claimed_eur": 8500})
    assert correction.payload["corrected_fields"] == {"amount_claimed_eur": 8500.0}


def test_advancing_a_folded_case_by_new_events_equals_folding_the_whole_stream() -> None:
    stream, claim_id = awarded(1000.0)
    stream.record("CompensationPaid", claim_id=claim_id, date="2025-05-01", amount_eur=400.0,
                  payer="Perpetrator")  # fmt: skip
    for split in range(1, len(stream.events)):
        head = state_from(stream.events[:split])
        assert head is not None
        advanced = cases_module.state_after(head, stream.events[split:])
        assert advanced == state_from(stream.events)


def test_advancing_past_a_correction_asks_for_a_whole_fold() -> None:
    stream = Stream(identified())
    opened = stream.id_of("CaseOpened")
    head = stream.case
    fix = {"prs_Gender": "Masculine"}
    stream.record("CaseCorrected", superseded_event_ids=[opened], reason="DataEntryError",
                  corrected_event_type="intake.CaseOpened", corrected_fields=fix)  # fmt: skip
    assert cases_module.state_after(head, stream.events[1:]) is None


def test_a_summary_decides_everything_but_a_correction_as_the_whole_history_does() -> None:
    stream, claim_id = awarded()
    summary = cases_module.summary(stream.case)
    assert summary.history == stream.case.history[:1] and summary.elided == 2
    paid = {"claim_id": claim_id, "date": "2025-05-01", "amount_eur": 400.0, "payer": "Perpetrator"}
    decided = record_event(summary, "intake.CompensationPaid", paid, TODAY)
    assert decided[0].payload == record_event(stream.case, "intake.CompensationPaid", paid,
                                              TODAY)[0].payload  # fmt: skip
    advanced = cases_module.after_decided(summary, decided)
    stream.append(decided)
    assert advanced.elided == 2
    assert cases_module.summary(advanced) == cases_module.summary(stream.case)


def test_a_correction_is_not_decided_on_a_summary() -> None:
    stream = Stream(identified())
    stream.record("ServiceDelivered", start_date="2025-03-01", service_type="Medical",
                  provider_type="NGO")  # fmt: skip
    opened = stream.id_of("CaseOpened")
    fix = {"reason": "DataEntryError", "superseded_event_ids": [opened],
           "corrected_event_type": "intake.CaseOpened",
           "corrected_fields": {"prs_Gender": "Masculine"}}  # fmt: skip
    with pytest.raises(ValueError, match="whole history"):
        record_event(cases_module.summary(stream.case), "intake.CaseCorrected", fix, TODAY)
    assert record_event(stream.case, "intake.CaseCorrected", fix, TODAY)
