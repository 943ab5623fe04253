"""Each quantitative indicator of the seed catalogue on a few hand-built persons, the expected
figure worked out by hand in the comments. Reference period 2024, deployment MK. Test names
start with the indicator code; the last test checks that no quantitative indicator is left out.
"""

from __future__ import annotations

import sys
from datetime import date

from services.indicators.evaluator import PersonEvent, PersonRecord
from tests.unit.services.indicators.people import (
    ACTUAL,
    POSSIBLE,
    cells,
    event,
    identified,
    on,
    person,
    presumed,
    seed,
    total,
)

LAST_YEAR = date(2023, 6, 1)
IN_APRIL = on(4)


def service(kind: str, start: date = IN_APRIL) -> PersonEvent:
    return event("ServiceDelivered", service_type=kind, start_date=start)


def referral(
    when: date, direction: str, scope: str = "Domestic", reason: str = "Other"
) -> PersonEvent:
    return event("ReferralMade", when, direction=direction, scope=scope, reason=reason)


# --- identification ----------------------------------------------------------------------------


def test_id_01_counts_persons_identified_in_the_year() -> None:
    persons = [
        identified("a", when=on(3)),  # counts
        identified("b", when=date(2023, 12, 31)),  # identified last year
        identified("c", vic_TraffickingStatus=POSSIBLE),  # not identified
        identified("d", when=on(12, 31), prs_Gender="Masculine"),  # counts, last day
        identified("e", ext_IdentificationDate=None),  # no identification date
    ]
    # a and d: 2; by sex a female, d male.
    assert total("ID-01", persons).value == 2
    found = cells("ID-01", ("sex",), persons)
    assert (found[("female",)], found[("male",)]) == ((1, None), (1, None))


def test_id_02_counts_persons_first_in_contact_in_the_year() -> None:
    persons = [
        presumed("a", when=on(1, 1), ext_DetectingAgencyType="Police"),  # counts
        presumed("b", when=date(2023, 12, 31)),  # first contact last year
        identified("c", ext_FirstContactDate=on(2), ext_DetectingAgencyType="NGO"),  # counts
        person("d", vic_TraffickingStatus=POSSIBLE),  # no first contact date
    ]
    # a and c: 2; one detected by the police, one by an NGO.
    assert total("ID-02", persons).value == 2
    found = cells("ID-02", ("detecting_agency",), persons)
    assert (found[("Police",)], found[("NGO",)]) == ((1, None), (1, None))


def test_id_03_is_the_median_time_from_first_contact_to_identification() -> None:
    persons = [
        identified("a", ext_FirstContactDate=on(1, 1), when=on(1, 31)),  # 30 days
        identified("b", ext_FirstContactDate=date(2023, 12, 1), when=on(1, 10)),  # 30 + 10 = 40
        identified("c", ext_FirstContactDate=on(3, 1), when=on(3, 6)),  # 5 days
        identified("d", ext_FirstContactDate=None),  # no first contact: left out
        identified("e", when=date(2023, 5, 1)),  # identified last year: left out
    ]
    # 5, 30, 40: the median is 30 days, over 3 persons.
    value = total("ID-03", persons)
    assert (value.value, value.contributors, value.unit) == (30, 3, "days")


def test_id_04_is_the_share_of_identified_victims_first_detected_outside_the_police() -> None:
    persons = [
        identified("a", ext_DetectingAgencyType="Police"),
        identified("b", ext_DetectingAgencyType="NGO"),  # outside the police
        identified("c", ext_DetectingAgencyType="LabourInspectorate"),  # outside the police
        identified("d", ext_DetectingAgencyType="BorderPolice"),
        identified("e"),  # agency unknown: in neither part
        identified("f", ext_DetectingAgencyType="NGO", when=LAST_YEAR),  # not identified in 2024
    ]
    # b, c of a, b, c, d: 2 / 4 = 50.0 %.
    value = total("ID-04", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 4, 50.0)


def test_id_05_counts_nationals_identified_after_exploitation_abroad() -> None:
    persons = [
        identified("a", prs_Citizenship=["MK"], ext_CountryOfExploitation=["DE"]),  # counts
        identified("b", prs_Citizenship=["MK"], ext_CountryOfExploitation=["MK"]),  # at home
        identified("c", prs_Citizenship=["MK"], ext_CountryOfExploitation=["MK", "AT"]),  # partly
        identified("d", prs_Citizenship=["AL"], ext_CountryOfExploitation=["DE"]),  # not national
        identified("e", prs_Citizenship=["AL", "MK"], ext_CountryOfExploitation=["IT"]),  # counts
        identified("f", prs_Citizenship=["MK"]),  # where exploited is unknown
    ]
    # a, c, e: 3.
    assert total("ID-05", persons).value == 3
    by_country = cells("ID-05", ("country_of_exploitation",), persons)
    # a DE; c MK and AT; e IT (c counts under both of its countries).
    assert {k: v for k, v in by_country.items() if v[0]} == {
        ("AT",): (1, None),
        ("DE",): (1, None),
        ("IT",): (1, None),
        ("MK",): (1, None),
    }


# --- referral ----------------------------------------------------------------------------------


def test_rf_01_is_the_share_of_presumed_victims_referred_to_or_given_assistance() -> None:
    services = "AdditionalServicesRequired"
    persons = [
        presumed("a", referral(on(4), "Outgoing", reason=services)),  # referred out: counts
        presumed("b", referral(on(4), "Incoming", reason=services)),  # referred in: no
        presumed("c", service("MaterialAssistance")),  # assisted: counts
        presumed("d", referral(on(4), "Outgoing", reason="MigrationOrChangeOfLocation")),  # no
        presumed("e"),  # nothing
    ]
    # a, c of 5 registered in 2024: 2 / 5 = 40.0 %.
    value = total("RF-01", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 5, 40.0)


def test_rf_02_is_the_median_time_from_first_contact_to_the_first_referral() -> None:
    persons = [
        presumed("a", referral(on(1, 11), "Outgoing"), when=on(1, 1)),  # 10 days
        # first(ReferralMade.date) is the first referral of any direction: the incoming one on
        # 3 February, 2 days after first contact (the catalogue's grammar has no filter there).
        presumed(
            "b", referral(on(2, 3), "Incoming"), referral(on(2, 21), "Outgoing"), when=on(2, 1)
        ),
        presumed("c", referral(on(3, 5), "Incoming"), when=on(3, 1)),  # no outgoing: left out
        presumed("d", referral(on(3, 5), "Outgoing"), when=on(3, 1)),  # 4 days
    ]
    # 2, 4, 10: the median is 4 days.
    assert total("RF-02", persons).value == 4


def test_rf_04_counts_persons_referred_across_borders_in_the_year() -> None:
    persons = [
        presumed("a", referral(on(4), "Outgoing", scope="Transnational")),  # counts
        presumed("b", referral(on(4), "Outgoing", scope="Domestic")),  # domestic
        presumed("c", referral(LAST_YEAR, "Incoming", scope="Transnational")),  # last year
        presumed(
            "d",
            referral(on(2), "Incoming", scope="Transnational"),
            referral(on(9), "Outgoing", scope="Transnational"),
        ),  # counts once
    ]
    # a, d: 2. By direction: outgoing a and d (2), incoming d (1).
    assert total("RF-04", persons).value == 2
    found = cells("RF-04", ("direction",), persons)
    assert (found[("Outgoing",)], found[("Incoming",)]) == ((2, None), (1, None))


# --- assistance --------------------------------------------------------------------------------


def test_as_01_is_the_share_of_identified_victims_given_safe_accommodation() -> None:
    persons = [
        identified("a", service("Accommodation", on(4))),  # counts
        identified("b", service("Accommodation", date(2025, 1, 10))),  # after the year's end
        identified("c", service("Medical")),
        identified("d", service("Accommodation", date(2023, 11, 1)), when=on(1, 5)),  # counts
        identified("e", service("Accommodation"), when=LAST_YEAR),  # not identified in 2024
    ]
    # a, d of a, b, c, d: 2 / 4 = 50.0 %.
    value = total("AS-01", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 4, 50.0)


def test_as_02_is_the_share_of_identified_victims_given_medical_care() -> None:
    persons = [
        identified("a", service("Medical")),
        identified("b", service("Psychological")),
        identified("c"),
    ]
    # a of 3: 1 / 3 = 33.3 %.
    value = total("AS-02", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 3, 33.3)


def test_as_03_is_the_share_of_identified_victims_given_psychological_support() -> None:
    persons = [
        identified("a", service("Psychological")),
        identified("b", service("Psychological")),
        identified("c", service("Medical")),
    ]
    # a, b of 3: 2 / 3 = 66.66... rounds to 66.7 %.
    value = total("AS-03", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 3, 66.7)


def test_as_04_is_the_share_of_identified_victims_given_legal_aid() -> None:
    persons = [
        identified("a", service("LegalCounselling")),
        identified("b", service("LegalRepresentation")),
        identified("c", service("LegalCounselling"), service("LegalRepresentation")),  # once
        identified("d", service("Interpretation")),
        identified("e"),
    ]
    # a, b, c of 5: 3 / 5 = 60.0 %.
    value = total("AS-04", persons)
    assert (value.numerator, value.denominator, value.value) == (3, 5, 60.0)


def test_as_05_is_the_share_of_victims_needing_interpretation_who_got_it() -> None:
    persons = [
        identified("a", service("Interpretation"), ext_NeedsInterpretation=True),  # counts
        identified("b", ext_NeedsInterpretation=True),
        identified("c", service("Interpretation"), ext_NeedsInterpretation=False),  # no need
        identified("d", service("Medical"), ext_NeedsInterpretation=True),
    ]
    # a of a, b, d: 1 / 3 = 33.3 %.
    value = total("AS-05", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 3, 33.3)


def test_as_06_is_the_share_of_foreign_presumed_victims_granted_a_reflection_period() -> None:
    def reflection(decision: str, days: int | None = None) -> PersonEvent:
        extra = {"length_days": days} if days else {}
        return event("ReflectionPeriodDecided", on(4), decision=decision, **extra)

    persons = [
        presumed("a", reflection("Granted", 30), prs_Citizenship=["AL"]),  # 30 >= min_days 30
        presumed("b", reflection("Granted", 29), prs_Citizenship=["DE"]),  # too short
        presumed("c", reflection("Refused"), prs_Citizenship=["AL"]),
        presumed("d", reflection("Granted", 90), prs_Citizenship=["MK"]),  # national: left out
        presumed("e", reflection("Granted", 45), prs_Citizenship=["XK"]),  # counts
    ]
    # a, e of a, b, c, e: 2 / 4 = 50.0 %.
    value = total("AS-06", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 4, 50.0)


def test_as_07_is_the_share_of_residence_permit_decisions_that_granted_one() -> None:
    def permit(when: date, decision: str, basis: str | None = None) -> PersonEvent:
        return event(
            "ResidencePermitDecided", when, decision=decision, **({"basis": basis} if basis else {})
        )

    persons = [
        person("a", permit(on(3), "Granted", "Cooperation")),
        person("b", permit(on(3), "Refused")),
        person("c", permit(LAST_YEAR, "Granted", "Other")),  # decided last year
        person("d", permit(on(2), "Refused"), permit(on(8), "Granted", "PersonalSituation")),
    ]
    # Granted in 2024: a, d; decided in 2024: a, b, d: 2 / 3 = 66.7 %.
    value = total("AS-07", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 3, 66.7)
    # By basis, read from the decisions that counted: d's grant is PersonalSituation (its
    # refusal has no basis, which adds nothing while another counted decision has one); b's
    # only decision has none, so b is under unknown.
    assert cells("AS-07", ("permit_basis",), persons) == {
        ("Cooperation",): (1, 1),
        ("PersonalSituation",): (1, 1),
        ("Other",): (0, 0),
        ("unknown",): (0, 1),
    }


def test_as_08_is_the_public_funding_submitted() -> None:
    funding = {
        (): 125000.5,
        (("funding_recipient", "state_provider"),): 100000.5,
        (("funding_recipient", "cso_provider"),): 25000,
    }
    value = total("AS-08", aggregates={"agg_fin_AssistanceFundingEUR": funding})
    assert (value.value, value.unit) == (125000.5, "EUR")
    found = cells(
        "AS-08", ("funding_recipient",), aggregates={"agg_fin_AssistanceFundingEUR": funding}
    )
    assert found == {("state_provider",): (100000.5, None), ("cso_provider",): (25000, None)}


# --- child victims -----------------------------------------------------------------------------


def test_ch_01_counts_children_identified_in_the_year() -> None:
    persons = [
        identified(
            "a", prs_Birthdate=date(2010, 6, 1), ext_EstimatedAge=None, ext_Unaccompanied=True
        ),  # 13 on 2024-03-01: child
        identified("b", prs_Birthdate=date(2006, 3, 1), ext_EstimatedAge=None),  # 18 that day
        identified(
            "c", prs_Birthdate=date(2006, 3, 2), ext_EstimatedAge=None, ext_Unaccompanied=False
        ),  # 17, a day short of 18: child
        identified("d", ext_EstimatedAge=15),  # child, unaccompanied not recorded
        identified("e", ext_EstimatedAge=None),  # age unknown
    ]
    # a, c, d: 3; unaccompanied: a yes, c no, d unknown.
    assert total("CH-01", persons).value == 3
    assert cells("CH-01", ("unaccompanied",), persons) == {
        ("true",): (1, None),
        ("false",): (1, None),
        ("unknown",): (1, None),
    }


def test_ch_02_is_the_share_of_children_needing_a_guardian_who_got_one_within_three_days() -> None:
    def child(person_id: str, *events: PersonEvent, required: bool = True) -> PersonRecord:
        return identified(
            person_id,
            *events,
            ext_EstimatedAge=12,
            ext_FirstContactDate=on(3, 1),
            when=on(3, 10),
            ext_GuardianRequired=required,
        )

    persons = [
        child("a", event("GuardianAppointed", on(3, 4))),  # 3 days after first contact
        child("b", event("GuardianAppointed", on(3, 5))),  # 4 days: too late
        child("c"),  # none appointed
        child("d", event("GuardianAppointed", on(3, 2)), required=False),  # not needed
    ]
    # a of a, b, c: 1 / 3 = 33.3 %.
    value = total("CH-02", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 3, 33.3)


def test_ch_03_is_the_share_of_interviewed_children_heard_in_child_sensitive_conditions() -> None:
    def interview(sensitive: bool, recorded: bool) -> PersonEvent:
        return event("ChildInterviewConducted", on(5), child_sensitive=sensitive, recorded=recorded)

    persons = [
        identified("a", interview(True, True), ext_EstimatedAge=14),  # counts
        identified("b", interview(True, False), ext_EstimatedAge=14),  # not recorded
        identified("c", interview(False, False), interview(True, True), ext_EstimatedAge=16),
        identified("d", ext_EstimatedAge=16),  # not interviewed: in neither part
        identified("e", interview(True, True), ext_EstimatedAge=30),  # adult
    ]
    # a, c of a, b, c: 2 / 3 = 66.7 %.
    value = total("CH-03", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 3, 66.7)


def test_ch_04_is_the_share_of_identified_children_in_education() -> None:
    persons = [
        identified("a", service("Education"), ext_EstimatedAge=10),
        identified("b", ext_EstimatedAge=10),
        identified("c", service("VocationalTraining"), ext_EstimatedAge=16),
        identified("d", service("Education"), ext_EstimatedAge=17),
        identified("e", service("Education"), ext_EstimatedAge=19),  # adult
    ]
    # a, d of a, b, c, d: 2 / 4 = 50.0 %.
    value = total("CH-04", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 4, 50.0)


# --- non-punishment ----------------------------------------------------------------------------


def penalised(when: date, linked: bool, domain: str = "Misdemeanour") -> PersonEvent:
    return event(
        "VictimPenalised", when, domain=domain, measure="Fined", linked_to_exploitation=linked
    )


def spared(when: date, domain: str = "Criminal") -> PersonEvent:
    return event("NonPunishmentApplied", when, domain=domain, stage="Discontinued")


def test_np_03_counts_victims_penalised_for_acts_linked_to_their_exploitation() -> None:
    persons = [
        person("a", penalised(on(4), True), vic_TraffickingStatus=POSSIBLE),  # counts
        person("b", penalised(on(4), False), vic_TraffickingStatus=ACTUAL),  # not linked
        person("c", penalised(on(4), True), vic_TraffickingStatus="NotAVictimOfTrafficking"),
        person("d", penalised(LAST_YEAR, True), vic_TraffickingStatus=ACTUAL),  # last year
        person("e", penalised(on(6), True, "Immigration"), vic_TraffickingStatus=ACTUAL),
    ]
    # a, e: 2; a in misdemeanour, e in immigration proceedings.
    assert total("NP-03", persons).value == 2
    found = cells("NP-03", ("offence_domain",), persons)
    assert (found[("Misdemeanour",)], found[("Immigration",)], found[("Criminal",)]) == (
        (1, None),
        (1, None),
        (0, None),
    )


def test_np_04_is_the_share_of_victims_facing_proceedings_who_were_spared_punishment() -> None:
    persons = [
        person("a", spared(on(3))),  # spared: in both parts
        person("b", penalised(on(3), True)),  # penalised: denominator only
        person("c", penalised(on(3), False)),  # not linked to exploitation: neither
        person("d", spared(LAST_YEAR), penalised(on(3), True)),  # spared last year only
        person("e", spared(on(3)), penalised(on(5), True)),  # both parts
    ]
    # a, e of a, b, d, e: 2 / 4 = 50.0 %.
    value = total("NP-04", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 4, 50.0)


# --- compensation ------------------------------------------------------------------------------


def claim(when: date, forum: str, claim_id: str) -> PersonEvent:
    return event("CompensationClaimFiled", when, forum=forum, claim_id=claim_id)


def decided(
    when: date,
    outcome: str,
    final: bool,
    amount: float | None = None,
    forum: str = "CriminalAdhesion",
    claim_id: str = "k",
) -> PersonEvent:
    extra = {} if amount is None else {"amount_awarded_eur": amount}
    return event(
        "CompensationDecided",
        when,
        outcome=outcome,
        final=final,
        forum=forum,
        claim_id=claim_id,
        **extra,
    )


def paid(when: date, amount: float, payer: str, award_final: date | None = None) -> PersonEvent:
    extra = {} if award_final is None else {"award_final_date": award_final}
    return event("CompensationPaid", when, amount_eur=amount, payer=payer, claim_id="k", **extra)


def test_co_02_counts_victims_who_claimed_compensation_in_the_year() -> None:
    persons = [
        person("a", claim(on(2), "Civil", "a1")),
        person("b", claim(on(3), "CriminalAdhesion", "b1"), claim(on(9), "Labour", "b2")),
        person("c", claim(LAST_YEAR, "Civil", "c1")),  # last year
    ]
    # a, b: 2 persons (b once, with two claims). By forum: Civil a, CriminalAdhesion b,
    # Labour b.
    assert total("CO-02", persons).value == 2
    found = cells("CO-02", ("forum",), persons)
    assert [found[(f,)][0] for f in ("Civil", "CriminalAdhesion", "Labour", "StateScheme")] == [
        1,
        1,
        1,
        0,
    ]


def test_co_03_is_the_share_of_criminal_court_claims_decided_on_the_merits() -> None:
    persons = [
        person(
            "a",
            decided(on(3), "Awarded", False, 500, claim_id="k1"),  # first instance...
            decided(on(10), "Awarded", True, 500, claim_id="k1"),  # ...then final: one claim
            decided(on(4), "ReferredToCivil", True, claim_id="k2"),
        ),  # not on the merits
        person(
            "b",
            decided(on(5), "Rejected", True, claim_id="k3"),  # on the merits
            decided(on(5), "Awarded", True, 900, forum="Civil", claim_id="k4"),
        ),  # civil
        person("c", decided(LAST_YEAR, "Awarded", True, 100, claim_id="k5")),  # last year
    ]
    # Claims decided in criminal proceedings in 2024: k1, k2, k3; on the merits: k1, k3.
    # 2 / 3 = 66.7 %.
    value = total("CO-03", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 3, 66.7)


def test_co_04_counts_victims_with_a_final_award_in_the_year() -> None:
    persons = [
        person("a", decided(on(3), "Awarded", True, 100)),
        person("b", decided(on(3), "Awarded", False, 100)),  # not final
        person("c", decided(on(3), "Rejected", True)),
        person("d", decided(LAST_YEAR, "Awarded", True, 100)),  # last year
        person(
            "e",
            decided(on(3), "Awarded", True, 100, claim_id="e1"),
            decided(on(7), "Awarded", True, 50, forum="Civil", claim_id="e2"),
        ),
    ]
    # a, e: 2 (e once for two awards).
    assert total("CO-04", persons).value == 2


def test_co_05_adds_up_compensation_finally_awarded_in_the_year() -> None:
    persons = [
        person("a", decided(on(3), "Awarded", True, 1000.1, forum="Civil")),
        person("b", decided(on(3), "Awarded", False, 700)),  # not final
        person(
            "e",
            decided(on(5), "Awarded", True, 2000.2, claim_id="e1"),
            decided(on(6), "Awarded", True, 0.1, claim_id="e2"),
        ),
    ]
    # 1000.1 + 2000.2 + 0.1 = 3000.4 EUR from 2 victims; by forum Civil 1000.1, criminal
    # 2000.2 + 0.1 = 2000.3.
    value = total("CO-05", persons)
    assert (value.value, value.unit, value.contributors) == (3000.4, "EUR", 2)
    found = cells("CO-05", ("forum",), persons)
    assert (found[("Civil",)][0], found[("CriminalAdhesion",)][0]) == (1000.1, 2000.3)


def test_co_06_adds_up_compensation_paid_in_the_year() -> None:
    persons = [
        person("a", paid(on(2), 300, "Perpetrator"), paid(on(11), 150.5, "StateFund")),
        person("b", paid(LAST_YEAR, 200, "Perpetrator")),  # last year
    ]
    # 300 + 150.5 = 450.5 EUR; by payer 300 and 150.5.
    assert total("CO-06", persons).value == 450.5
    found = cells("CO-06", ("payer",), persons)
    assert (found[("Perpetrator",)][0], found[("StateFund",)][0]) == (300, 150.5)


def test_co_07_is_the_share_of_last_years_awards_paid_by_the_end_of_this_year() -> None:
    persons = [
        person(
            "a",
            decided(date(2023, 6, 1), "Awarded", True, 1000),
            paid(date(2023, 8, 1), 400, "Perpetrator", award_final=date(2023, 6, 1)),
            paid(on(5), 100, "Perpetrator", award_final=date(2023, 6, 1)),
            paid(date(2025, 1, 1), 100, "Perpetrator", award_final=date(2023, 6, 1)),
        ),
        person("b", decided(date(2023, 11, 1), "Awarded", True, 500)),  # nothing paid
        person(
            "c",
            decided(on(2), "Awarded", True, 800),  # final this year: next year's
            paid(on(3), 800, "StateFund", award_final=on(2)),
        ),
    ]
    # Awarded finally in 2023: 1000 + 500 = 1500. Paid on those by 2024-12-31: 400 + 100
    # (the 2025 payment is after the period): 500. 500 / 1500 = 33.3 %.
    value = total("CO-07", persons)
    assert (value.numerator, value.denominator, value.value) == (500, 1500, 33.3)


# --- criminal justice --------------------------------------------------------------------------


def test_cj_01_is_the_number_of_investigations_submitted() -> None:
    submitted = {
        "agg_cj_InvestigationsOpened": {
            (): 14,
            (("exploitation_type", "sexual"),): 9,
            (("exploitation_type", "labour"),): 5,
        }
    }
    assert total("CJ-01", aggregates=submitted).value == 14
    found = cells("CJ-01", ("exploitation_type",), aggregates=submitted)
    assert (found[("sexual",)], found[("labour",)], found[("begging",)]) == (
        (9, None),
        (5, None),
        (None, None),
    )


def test_cj_02_is_the_number_of_persons_indicted_submitted() -> None:
    submitted = {
        "agg_cj_PersonsIndicted": {
            (): 6,
            (("defendant_sex", "female"),): 1,
            (("defendant_sex", "male"),): 5,
        }
    }
    assert total("CJ-02", aggregates=submitted).value == 6
    assert cells("CJ-02", ("defendant_sex",), aggregates=submitted)[("male",)] == (5, None)


def test_cj_03_is_the_number_of_persons_finally_convicted_submitted() -> None:
    assert total("CJ-03", aggregates={"agg_cj_PersonsConvictedFinal": 4}).value == 4


def test_cj_04_is_the_share_of_final_convictions_with_unsuspended_prison() -> None:
    submitted = {
        "agg_cj_FinalConvictionsEffectiveImprisonment": 3,
        "agg_cj_PersonsConvictedFinal": 4,
    }
    # 3 / 4 = 75.0 %.
    value = total("CJ-04", aggregates=submitted)
    assert (value.numerator, value.denominator, value.value) == (3, 4, 75.0)


def test_cj_05_is_the_median_unsuspended_prison_term() -> None:
    def sentence(months: int, suspended: bool, kind: str = "SexualExploitation") -> dict:
        return {"prison_months": months, "suspended": suspended, "exploitation_type": kind}

    records = [
        sentence(36, False),
        sentence(24, True),
        sentence(60, False, "ForcedLabour"),
        sentence(48, False),
        sentence(12, False, "ForcedLabour"),
    ]
    submitted = {"agg_cj_FinalSentenceRecords": records}
    # Unsuspended: 12, 36, 48, 60: median (36 + 48) / 2 = 42 months, from 4 records.
    value = total("CJ-05", aggregates=submitted)
    assert (value.value, value.unit, value.contributors) == (42, "months", 4)
    found = cells("CJ-05", ("exploitation_type",), aggregates=submitted)
    # sexual: 36, 48 -> 42; labour: 12, 60 -> 36.
    assert (found[("sexual",)][0], found[("labour",)][0]) == (42, 36)


def test_cj_06_is_the_median_length_of_trafficking_trials() -> None:
    records = [{"days_indictment_to_final": d, "outcome": "Conviction"} for d in (400, 200, 900)]
    # 200, 400, 900: 400 days.
    assert total("CJ-06", aggregates={"agg_cj_FinalJudgmentRecords": records}).value == 400


def test_cj_07_is_the_share_of_trafficking_cases_ending_under_a_lesser_offence() -> None:
    submitted = {"agg_cj_THBCasesConcludedOtherOffence": 2, "agg_cj_THBCasesConcluded": 8}
    # 2 / 8 = 25.0 %.
    assert total("CJ-07", aggregates=submitted).value == 25.0


def test_cj_08_is_the_share_of_testifying_victims_given_a_protective_measure() -> None:
    def testified(when: date, *measures: str) -> PersonEvent:
        return event("VictimTestified", when, protective_measures=list(measures))

    persons = [
        person("a", testified(on(3), "VideoLink")),
        person("b", testified(on(3), "None")),  # no measure
        person("c", testified(LAST_YEAR, "ClosedHearing")),  # last year
        person("d", testified(on(6), "ClosedHearing", "NoConfrontation")),
    ]
    # a, d of a, b, d: 2 / 3 = 66.7 %.
    value = total("CJ-08", persons)
    assert (value.numerator, value.denominator, value.value) == (2, 3, 66.7)


# --- return and reintegration ------------------------------------------------------------------


def returned(when: date, direction: str, assessed: bool = True) -> PersonEvent:
    return event(
        "ReturnCompleted", when, direction=direction, country="AL", risk_assessment_done=assessed
    )


def test_rr_01_counts_victims_assisted_to_return_in_the_year() -> None:
    persons = [
        person("a", returned(on(4), "OutOfDeploymentCountry")),
        person("b", returned(LAST_YEAR, "OutOfDeploymentCountry")),  # last year
        person("c", returned(on(7), "IntoDeploymentCountry")),
    ]
    # a, c: 2; one each way.
    assert total("RR-01", persons).value == 2
    found = cells("RR-01", ("direction",), persons)
    assert (found[("OutOfDeploymentCountry",)], found[("IntoDeploymentCountry",)]) == (
        (1, None),
        (1, None),
    )


def test_rr_02_is_the_share_of_returns_preceded_by_a_risk_assessment() -> None:
    persons = [
        person("a", returned(on(4), "OutOfDeploymentCountry", assessed=True)),
        person("b", returned(on(4), "OutOfDeploymentCountry", assessed=False)),
        person("c", returned(LAST_YEAR, "IntoDeploymentCountry", assessed=True)),  # last year
    ]
    # a of a, b: 1 / 2 = 50.0 %.
    value = total("RR-02", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 2, 50.0)


def test_rr_03_is_the_share_of_victims_leaving_support_with_a_stable_situation() -> None:
    def outcome(kind: str, at_closure: bool) -> PersonEvent:
        return event(
            "ReintegrationOutcomeRecorded", on(10), outcome=kind, at_case_closure=at_closure
        )

    persons = [
        identified("a", outcome("Employment", True), ext_CaseClosedDate=on(10)),  # counts
        identified("b", outcome("None", True), ext_CaseClosedDate=on(10)),
        identified("c", outcome("Education", False), ext_CaseClosedDate=on(10)),  # not at closure
        identified("d", outcome("Employment", True), ext_CaseClosedDate=LAST_YEAR),  # last year
        presumed("e", outcome("Employment", True), ext_CaseClosedDate=on(10)),  # not identified
    ]
    # a of a, b, c: 1 / 3 = 33.3 %.
    value = total("RR-03", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 3, 33.3)


def test_rr_04_is_the_share_of_identified_victims_identified_before() -> None:
    persons = [
        identified("a", ext_PreviouslyIdentified=True),
        identified("b", ext_PreviouslyIdentified=False),
        identified("c"),  # not recorded
        identified("d", ext_PreviouslyIdentified=True, when=LAST_YEAR),  # last year
    ]
    # a of a, b, c: 1 / 3 = 33.3 %.
    value = total("RR-04", persons)
    assert (value.numerator, value.denominator, value.value) == (1, 3, 33.3)


# --- coordination and data ---------------------------------------------------------------------


def test_cd_07_is_the_share_of_greta_recommendations_implemented() -> None:
    submitted = {"agg_mon_GretaRecsImplemented": 7, "agg_mon_GretaRecsTotal": 30}
    # 7 / 30 = 23.33... rounds to 23.3 %.
    value = total("CD-07", aggregates=submitted)
    assert (value.numerator, value.denominator, value.value) == (7, 30, 23.3)


# --- Coverage ----------------------------------------------------------------------------------


def test_every_quantitative_seed_indicator_has_a_test_here() -> None:
    module = sys.modules[__name__]
    tested = {
        name.split("_")[1] + "-" + name.split("_")[2]
        for name in dir(module)
        if name.startswith("test_") and name.split("_")[2].isdigit()
    }
    quantitative = {i.code.lower() for i in seed().indicators if i.quantitative}
    assert quantitative - tested == set()
    assert len(quantitative) == 41
