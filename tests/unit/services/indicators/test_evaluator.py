"""What conditions mean for a person, what each statistic computes, how derived fields and
breakdowns are formed. Expected figures are worked out by hand in the comments."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
import yaml

from services.indicators.catalogue import SEED_PATH, Catalogue, parse_catalogue
from services.indicators.evaluator import (
    Evaluation,
    Period,
    PersonEvent,
    PersonRecord,
    percent,
    person_event,
    person_record,
    with_derived_fields,
)
from shared.backbone.envelope import Actor, RecordedEvent
from shared.errors import ValidationProblem
from tests.unit.services.indicators.people import (
    ACTUAL,
    COUNTRY,
    PERIOD,
    POSSIBLE,
    cells,
    evaluation,
    event,
    identified,
    on,
    person,
    presumed,
    seed,
    total,
)


def variant(code: str, part: str, where: list[Any]) -> Catalogue:
    """The seed with one indicator's where list replaced: for grammar rules no seed indicator
    uses (not exists, missing)."""
    with open(SEED_PATH, encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    item = next(i for i in document["indicators"] if i["code"] == code)
    item[part] = {**copy.deepcopy(item[part]), "where": where}
    return parse_catalogue(document)


def derived(**fields: Any) -> dict[str, Any]:
    return dict(with_derived_fields(seed(), person("p", **fields), COUNTRY).fields)


# --- Periods -----------------------------------------------------------------------------------


def test_a_calendar_year_includes_both_its_first_and_last_day() -> None:
    assert date(2024, 1, 1) in PERIOD and date(2024, 12, 31) in PERIOD
    assert date(2023, 12, 31) not in PERIOD and date(2025, 1, 1) not in PERIOD
    assert str(PERIOD) == "2024"


def test_the_previous_period_of_a_year_is_the_year_before_and_of_a_span_the_span_before() -> None:
    assert PERIOD.previous() == Period.calendar_year(2023)
    half = Period(date(2024, 7, 1), date(2024, 12, 31))
    # July-December is 184 days. 1 January 2024 is 182 days before 1 July (31 + 29 + 31 + 30 +
    # 31 + 30, a leap year), so the 184 days before 1 July start on 30 December 2023.
    assert half.previous() == Period(date(2023, 12, 30), date(2024, 6, 30))


# --- Conditions --------------------------------------------------------------------------------


def test_in_period_counts_only_dates_inside_the_period() -> None:
    persons = [
        identified("on-first-day", when=on(1, 1)),
        identified("on-last-day", when=on(12, 31)),
        identified("day-before", when=date(2023, 12, 31)),
        identified("day-after", when=date(2025, 1, 1)),
    ]
    assert total("ID-01", persons).value == 2


def test_dates_given_as_iso_text_are_read_as_dates() -> None:
    as_text = person(
        "text",
        vic_TraffickingStatus="ActualVictimOfTrafficking",
        ext_IdentificationDate="2024-06-30",
    )
    assert total("ID-01", [as_text]).value == 1


def test_a_test_of_a_missing_value_is_false_even_for_not_in() -> None:
    # ID-04: persons whose detecting agency is not police; a person without one is in neither
    # part (the denominator asks that it exists).
    value = total(
        "ID-04", [identified("no-agency"), identified("ngo", ext_DetectingAgencyType="NGO")]
    )
    assert (value.numerator, value.denominator) == (1, 1)


def test_missing_selects_persons_without_the_value() -> None:
    catalogue = variant("ID-02", "numerator", ["ext_DetectingAgencyType missing"])
    persons = [presumed("no-agency"), presumed("police", ext_DetectingAgencyType="Police")]
    assert Evaluation(catalogue, persons, PERIOD, COUNTRY).total("ID-02").value == 1


def test_exists_after_a_field_selects_persons_with_the_value() -> None:
    # ID-03 counts only identified persons whose first contact date exists.
    persons = [identified("dated"), identified("undated", ext_FirstContactDate=None)]
    assert total("ID-03", persons).contributors == 1


def test_not_exists_selects_persons_without_such_an_event() -> None:
    catalogue = variant(
        "AS-02", "numerator", ["not exists ServiceDelivered(service_type == Medical)"]
    )
    medical = event("ServiceDelivered", start_date=on(4), service_type="Medical")
    shelter = event("ServiceDelivered", start_date=on(4), service_type="Accommodation")
    persons = [identified("medical", medical), identified("shelter", shelter), identified("none")]
    value = Evaluation(catalogue, persons, PERIOD, COUNTRY).total("AS-02")
    assert (value.numerator, value.denominator) == (2, 3)


def test_every_condition_inside_exists_must_hold_for_the_same_event() -> None:
    # RF-01: an outgoing referral for another reason and an incoming one for services are two
    # events, neither of which meets both conditions.
    split = presumed(
        "split",
        event("ReferralMade", on(4), direction="Outgoing", reason="Other", scope="Domestic"),
        event(
            "ReferralMade",
            on(5),
            direction="Incoming",
            reason="AdditionalServicesRequired",
            scope="Domestic",
        ),
    )
    assert total("RF-01", [split]).numerator == 0


def test_has_tests_membership_of_a_multi_select() -> None:
    # ID-05 asks prs_Citizenship has {deployment_country}: MK among two citizenships counts.
    dual = identified("dual", prs_Citizenship=["AL", "MK"], ext_CountryOfExploitation=["DE"])
    only_al = identified("al", prs_Citizenship=["AL"], ext_CountryOfExploitation=["DE"])
    assert total("ID-05", [dual, only_al]).value == 1


def test_the_deployment_country_fills_in_its_parameter() -> None:
    persons = [identified("rs", prs_Citizenship=["RS"], ext_CountryOfExploitation=["DE"])]
    assert total("ID-05", persons).value == 0
    assert Evaluation(seed(), persons, PERIOD, "RS").total("ID-05").value == 1


def test_a_parameter_comes_from_the_indicator() -> None:
    # AS-06: min_days is 30; 30 days counts, 29 does not.
    granted = [
        presumed(
            f"p{days}",
            event("ReflectionPeriodDecided", on(4), decision="Granted", length_days=days),
            prs_Citizenship=["AL"],
        )
        for days in (29, 30)
    ]
    value = total("AS-06", granted)
    assert (value.numerator, value.denominator) == (1, 2)


def test_ordering_a_missing_number_is_false() -> None:
    no_length = presumed(
        "p", event("ReflectionPeriodDecided", on(4), decision="Granted"), prs_Citizenship=["AL"]
    )
    assert total("AS-06", [no_length]).numerator == 0


# --- Statistics --------------------------------------------------------------------------------


def test_count_counts_each_person_once_however_many_events_match() -> None:
    twice = person(
        "twice",
        event("CompensationClaimFiled", on(2), forum="Civil", claim_id="a"),
        event("CompensationClaimFiled", on(5), forum="Labour", claim_id="b"),
    )
    assert total("CO-02", [twice]).value == 1


def test_count_of_claims_counts_each_claim_once_however_many_decisions_it_had() -> None:
    decided = [
        event(
            "CompensationDecided",
            on(3),
            claim_id="k1",
            forum="CriminalAdhesion",
            outcome="Awarded",
            final=False,
            amount_awarded_eur=10,
        ),
        event(
            "CompensationDecided",
            on(9),
            claim_id="k1",
            forum="CriminalAdhesion",
            outcome="Awarded",
            final=True,
            amount_awarded_eur=10,
        ),
        event(
            "CompensationDecided",
            on(9),
            claim_id="k2",
            forum="CriminalAdhesion",
            outcome="Rejected",
            final=True,
        ),
    ]
    value = total("CO-03", [person("a", *decided)])
    # k1 (two decisions) and k2: two claims, of one person.
    assert (value.numerator, value.denominator, value.contributors) == (2, 2, 1)


def test_sum_adds_the_amounts_of_matching_events_exactly() -> None:
    paid = [
        event("CompensationPaid", on(2), amount_eur=0.1, payer="Perpetrator", claim_id="a"),
        event("CompensationPaid", on(3), amount_eur=0.2, payer="Perpetrator", claim_id="a"),
        event(
            "CompensationPaid", date(2023, 5, 1), amount_eur=100, payer="StateFund", claim_id="b"
        ),
    ]
    # 0.1 + 0.2 = 0.3 exactly (in binary floating point it would be 0.30000000000000004);
    # the 2023 payment is outside the period.
    assert total("CO-06", [person("a", *paid)]).value == 0.3


def test_median_of_an_odd_number_of_values_is_the_middle_one() -> None:
    # ID-03: 10, 20 and 90 days from first contact to identification: median 20.
    persons = [
        identified(f"p{days}", ext_FirstContactDate=on(1, 1), when=on(1, 1 + days))
        for days in (10, 20)
    ] + [identified("p90", ext_FirstContactDate=on(1, 1), when=on(3, 31))]
    assert total("ID-03", persons).value == 20


def test_median_of_an_even_number_of_values_is_the_mean_of_the_two_middle_ones() -> None:
    # 10 and 25 days: (10 + 25) / 2 = 17.5.
    persons = [
        identified(f"p{days}", ext_FirstContactDate=on(1, 1), when=on(1, 1 + days))
        for days in (10, 25)
    ]
    value = total("ID-03", persons)
    assert (value.value, value.contributors) == (17.5, 2)


def test_median_of_nothing_is_undefined() -> None:
    assert total("ID-03", []).value is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 8, 12.5),
        (1, 16, 6.3),
        (2, 3, 66.7),
        (1, 3, 33.3),
        (3, 3, 100.0),
        (0, 4, 0.0),
        (1, 0, None),
        (None, 4, None),
    ],
)
def test_percent_is_rounded_half_up_to_one_decimal(
    numerator: int | None, denominator: int, expected: float | None
) -> None:
    # 1/16 = 6.25 % rounds up to 6.3 (Python's round() would give 6.2).
    assert percent(numerator, denominator) == expected


def test_a_percentage_keeps_both_its_parts() -> None:
    medical = event("ServiceDelivered", start_date=on(4), service_type="Medical")
    value = total("AS-02", [identified("a", medical), identified("b"), identified("c")])
    assert (value.numerator, value.denominator, value.value, value.unit) == (1, 3, 33.3, "percent")


def test_an_aggregate_is_taken_from_the_submission() -> None:
    value = total("CJ-03", aggregates={"agg_cj_PersonsConvictedFinal": 12})
    assert (value.numerator, value.value, value.statistic, value.contributors) == (
        12,
        12,
        "aggregate",
        None,
    )


def test_an_aggregate_not_submitted_is_missing_not_zero() -> None:
    value = total("CJ-04", aggregates={"agg_cj_PersonsConvictedFinal": 4})
    assert (value.numerator, value.denominator, value.value) == (None, 4, None)


def test_an_aggregate_breakdown_is_taken_from_the_submitted_cells() -> None:
    submitted = {
        "agg_cj_PersonsIndicted": {
            (): 7,
            (("defendant_sex", "female"),): 2,
            (("defendant_sex", "male"),): 5,
        }
    }
    found = cells("CJ-02", ("defendant_sex",), aggregates=submitted)
    assert found == {("female",): (2, None), ("male",): (5, None), ("unknown",): (None, None)}


# --- Derived fields ----------------------------------------------------------------------------


def test_sex_collapses_gender_codes_and_a_missing_gender_is_unknown() -> None:
    assert derived(prs_Gender="Feminine")["sex"] == "female"
    assert derived(prs_Gender="TransgenderMasculine")["sex"] == "trans_or_nonconforming"
    assert derived(prs_Gender="NonSpecifiedUnknown")["sex"] == "unknown"
    assert derived()["sex"] == "unknown"


def test_age_is_whole_years_at_identification_else_at_first_contact_else_the_estimate() -> None:
    born = date(2006, 3, 2)
    # 2024-03-01 is the day before the 18th birthday.
    assert derived(prs_Birthdate=born, ext_IdentificationDate=on(3, 1))["age_group"] == "child"
    assert derived(prs_Birthdate=born, ext_IdentificationDate=on(3, 2))["age_group"] == "adult"
    assert (
        derived(prs_Birthdate=born, ext_FirstContactDate=on(3, 1))["ext_AgeAtIdentification"] == 17
    )
    assert derived(ext_EstimatedAge=40)["age_group"] == "adult"
    assert derived()["age_group"] == "unknown"


def test_age_bands_follow_ctdc() -> None:
    bands = {age: derived(ext_AgeAtIdentification=age)["age_band"] for age in (0, 8, 9, 17, 48, 90)}
    assert bands == {0: "0-8", 8: "0-8", 9: "9-17", 17: "9-17", 48: "48+", 90: "48+"}


def test_citizenship_scope_sorts_citizenships_from_the_deployment_outward() -> None:
    assert derived(prs_Citizenship=["DE", "MK"])["citizenship_scope"] == "national"
    assert derived(prs_Citizenship=["XK"])["citizenship_scope"] == "other_partner_country"
    assert derived(prs_Citizenship=["UA"])["citizenship_scope"] == "other"
    assert derived(prs_Citizenship=[])["citizenship_scope"] == "unknown"


def test_exploitation_is_domestic_only_if_every_country_is_the_deployment() -> None:
    assert derived(ext_CountryOfExploitation=["MK"])["exploitation_scope"] == "domestic"
    assert derived(ext_CountryOfExploitation=["MK", "AT"])["exploitation_scope"] == "abroad"
    assert derived()["exploitation_scope"] == "unknown"


def test_exploitation_type_is_multi_valued_and_knows_forced_criminality() -> None:
    fields = derived(vic_TypeOfExploitation=["ForcedLabour", "Servitude", "ext_ForcedCriminality"])
    assert fields["exploitation_type"] == ("labour", "forced_criminality")


def test_a_boolean_field_breaks_down_into_true_false_and_unknown() -> None:
    values = [derived(ext_Unaccompanied=v)["unaccompanied"] for v in (True, False, None)]
    assert values == ["true", "false", "unknown"]


def test_derived_fields_are_computed_never_taken_from_the_record() -> None:
    assert derived(ext_EstimatedAge=40, age_group="child")["age_group"] == "adult"


# --- Breakdowns --------------------------------------------------------------------------------


def test_a_breakdown_lists_every_category_even_empty_ones() -> None:
    persons = [
        identified("f"),
        identified("m", prs_Gender="Masculine"),
        identified("m2", prs_Gender="Masculine"),
    ]
    assert cells("ID-01", ("sex",), persons) == {
        ("female",): (1, None),
        ("male",): (2, None),
        ("trans_or_nonconforming",): (0, None),
        ("unknown",): (0, None),
    }


def test_a_multi_valued_breakdown_counts_a_person_in_each_of_their_groups() -> None:
    both = identified("both", vic_TypeOfExploitation=["SexualExploitation", "ForcedBegging"])
    found = cells("ID-01", ("exploitation_type",), [both])
    assert found[("sexual",)] == (1, None) and found[("begging",)] == (1, None)
    assert sum(n for n, _ in found.values()) == 2  # more than the one person: totals can exceed


def test_an_open_breakdown_shows_the_values_found_and_unknown() -> None:
    persons = [
        identified("a", prs_Citizenship=["AL", "XK"]),
        identified("b", prs_Citizenship=["AL"]),
    ]
    assert cells("ID-01", ("citizenship",), persons) == {
        ("AL",): (2, None),
        ("XK",): (1, None),
        ("unknown",): (0, None),
    }


def test_an_event_breakdown_reads_the_events_that_made_the_person_count() -> None:
    # RR-01 counts persons with a return in the period; the direction is the counted return's.
    out = person(
        "out",
        event(
            "ReturnCompleted",
            on(4),
            direction="OutOfDeploymentCountry",
            country="AL",
            risk_assessment_done=True,
        ),
    )
    back = person(
        "back",
        event(
            "ReturnCompleted",
            on(4),
            direction="IntoDeploymentCountry",
            country="DE",
            risk_assessment_done=False,
        ),
        event(
            "ReturnCompleted",
            date(2023, 4, 1),
            direction="OutOfDeploymentCountry",
            country="DE",
            risk_assessment_done=False,
        ),
    )
    found = cells("RR-01", ("direction",), [out, back])
    assert found[("OutOfDeploymentCountry",)] == (1, None)  # back's 2023 return does not count
    assert found[("IntoDeploymentCountry",)] == (1, None)


def test_two_breakdowns_give_every_combination_of_their_categories() -> None:
    girl = identified("girl", ext_EstimatedAge=15)
    man = identified("man", prs_Gender="Masculine")
    found = cells("ID-01", ("sex", "age_group"), [girl, man])
    assert len(found) == 4 * 3
    assert found[("female", "child")] == (1, None) and found[("male", "adult")] == (1, None)
    assert found[("female", "adult")] == (0, None)


def test_a_breakdown_the_indicator_does_not_list_is_refused() -> None:
    with pytest.raises(ValidationProblem) as caught:
        evaluation([]).cells("ID-01", ("detecting_agency",))
    assert caught.value.errors == {
        "by": [
            "Allowed, once each: sex, age_group, citizenship, exploitation_type, "
            "exploitation_scope."
        ]
    }


def test_a_qualitative_indicator_is_not_computed() -> None:
    with pytest.raises(ValidationProblem, match="ID-06 is qualitative"):
        evaluation([]).total("ID-06")


def test_a_table_is_the_total_then_each_one_way_breakdown() -> None:
    values = evaluation([identified("a")]).table("CH-04")
    assert values[0].cell == () and {v.cell[0][0] for v in values[1:]} == {"sex", "citizenship"}


# --- From intake events ------------------------------------------------------------------------


def recorded(event_type: str, payload: dict[str, Any], version: int = 1) -> RecordedEvent:
    moment = datetime(2024, 6, version, 12, tzinfo=UTC)
    return RecordedEvent(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id="case-1",
        stream_version=version,
        origin="mk.intake",
        log_index=version,
        occurred_at=moment,
        recorded_at=moment,
        actor=Actor(),
        correlation_id=None,
        causation_id=None,
        payload_bytes=orjson.dumps(payload),
        leaf_hash=b"",
    )


def test_an_intake_event_loses_its_prefix_and_is_dated_by_its_payload() -> None:
    found = person_event(recorded("intake.GuardianAppointed", {"date": "2024-02-03"}))
    assert found == PersonEvent("GuardianAppointed", {"date": "2024-02-03"}, date(2024, 2, 3))


def test_a_service_is_dated_by_its_start_and_an_undated_event_by_when_it_occurred() -> None:
    service = recorded(
        "intake.ServiceDelivered", {"start_date": "2024-04-05", "service_type": "Medical"}
    )
    assert person_event(service).date == date(2024, 4, 5)
    assert person_event(recorded("intake.Other", {}, version=7)).date == date(2024, 6, 7)


def test_a_person_record_built_from_recorded_events_is_evaluated() -> None:
    events = [
        recorded(
            "intake.ServiceDelivered", {"start_date": "2024-04-05", "service_type": "Medical"}
        ),
    ]
    fields = {
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "ext_IdentificationDate": "2024-03-01",
    }
    value = total("AS-02", [person_record("p1", fields, events)])
    assert (value.numerator, value.denominator) == (1, 1)


# --- Invariants over the whole seed ------------------------------------------------------------


def varied_persons() -> list[PersonRecord]:
    """Thirty persons whose fields and events cycle through the seed's codes."""
    genders = ["Feminine", "Masculine", "NonConforming", None]
    agencies = ["Police", "NGO", "LabourInspectorate", None]
    services = ["Accommodation", "Medical", "Education", "Interpretation", "LegalCounselling"]
    persons = []
    for n in range(30):
        events = [
            event("ServiceDelivered", start_date=on(1 + n % 12), service_type=services[n % 5]),
            event("ReferralMade", on(1 + n % 12, 20), direction=("Outgoing", "Incoming")[n % 2],
                  scope=("Domestic", "Transnational")[n % 3 == 0],
                  reason="AdditionalServicesRequired"),
            event("ReturnCompleted", on(1 + n % 12, 25), country="AL",
                  direction=("OutOfDeploymentCountry", "IntoDeploymentCountry")[n % 2],
                  risk_assessment_done=n % 3 == 0),
            event("CompensationDecided", on(1 + n % 12, 26), claim_id=f"k{n}",
                  forum=("CriminalAdhesion", "Civil")[n % 2],
                  outcome=("Awarded", "Rejected", "ReferredToCivil")[n % 3], final=n % 2 == 0,
                  amount_awarded_eur=100.0 * n),
        ]  # fmt: skip
        fields = {
            "vic_TraffickingStatus": (ACTUAL, POSSIBLE)[n % 4 == 3],
            "ext_FirstContactDate": on(1 + n % 12, 1),
            "ext_IdentificationDate": on(1 + n % 12, 15) if n % 4 != 3 else None,
            "prs_Gender": genders[n % 4],
            "ext_EstimatedAge": 10 + 3 * n % 40 if n % 7 else None,
            "prs_Citizenship": [["MK"], ["AL"], ["MK", "XK"], [], ["UA"]][n % 5],
            "vic_TypeOfExploitation": [["SexualExploitation"], ["ForcedLabour", "Servitude"],
                                       ["ext_ForcedCriminality"], []][n % 4],
            "ext_CountryOfExploitation": [["MK"], ["DE"], ["MK", "AT"], []][n % 4],
            "ext_DetectingAgencyType": agencies[n % 4],
            "ext_NeedsInterpretation": n % 2 == 0,
            "ext_GuardianRequired": n % 3 == 0,
            "ext_Unaccompanied": (True, False, None)[n % 3],
            "ext_PreviouslyIdentified": n % 5 == 0,
            "ext_CaseClosedDate": on(12, 1) if n % 2 else None,
        }  # fmt: skip
        persons.append(person(f"p{n:02}", *events, **fields))
    return persons


SINGLE_VALUED = {"sex", "age_group", "age_band", "citizenship_scope", "exploitation_scope",
                 "detecting_agency", "unaccompanied"}  # fmt: skip


def test_every_quantitative_indicator_computes_every_breakdown_consistently() -> None:
    engine = evaluation(varied_persons())
    for indicator in seed().indicators:
        numerator = indicator.numerator
        if numerator is None or numerator.kind == "aggregate":
            continue
        values = engine.table(indicator.code)
        total_count = values[0].numerator
        for dimension in indicator.disaggregations:
            table = [v.numerator or 0 for v in values if v.cell and v.cell[0][0] == dimension]
            assert table, (indicator.code, dimension)
            if dimension in SINGLE_VALUED and numerator.kind == "count":
                # A person falls in exactly one category: the cells add up to the total.
                assert sum(table) == total_count, (indicator.code, dimension)
        if indicator.unit == "percent" and numerator.kind == "count":
            shares = [(v.numerator or 0, v.denominator or 0) for v in values]
            assert all(top <= bottom for top, bottom in shares), indicator.code
    # 30 persons; those with n % 4 == 3 (3, 7, 11, 15, 19, 23, 27: 7 persons) are presumed
    # only, so 23 were identified, all in 2024.
    assert engine.total("ID-01").value == 23
