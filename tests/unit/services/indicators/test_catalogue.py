"""Loading and validating the catalogue: the seed loads, and each kind of bad reference is
reported under `<indicator code>.<field path>` with a message naming it and what is allowed,
all problems at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import yaml

from services.indicators.catalogue import (
    SEED_PATH,
    Catalogue,
    Subject,
    check_succession,
    load_catalogue,
    parse_catalogue,
)
from services.indicators.expressions import AnyOf, Comparison, EventExists, Name, Parameter
from shared.errors import ValidationProblem

Document = dict[str, Any]


@cache
def _seed_document() -> Document:
    with open(SEED_PATH, encoding="utf-8") as stream:
        document: Document = yaml.safe_load(stream)
    return document


def seed_document() -> Document:
    return copy.deepcopy(_seed_document())


def indicator(document: Document, code: str) -> dict[str, Any]:
    return next(item for item in document["indicators"] if item["code"] == code)


def problems(change: Callable[[Document], None]) -> dict[str, list[str]]:
    document = seed_document()
    change(document)
    with pytest.raises(ValidationProblem) as caught:
        parse_catalogue(document)
    assert caught.value.status == 422
    return caught.value.errors


def only(errors: dict[str, list[str]], path: str) -> str:
    """The single message of the single path the change broke."""
    assert list(errors) == [path], errors
    assert len(errors[path]) == 1, errors[path]
    return errors[path][0]


# --- The seed ----------------------------------------------------------------------------------


def test_the_seed_loads_with_59_indicators_41_quantitative_and_18_qualitative() -> None:
    catalogue = load_catalogue(SEED_PATH)
    assert isinstance(catalogue, Catalogue)
    assert (catalogue.catalog_id, catalogue.catalog_version) == ("ban-regional-core", "2025.1-seed")
    assert len(catalogue.indicators) == 59
    assert sum(i.quantitative for i in catalogue.indicators) == 41
    assert catalogue.disclosure.min_cell == 5 and catalogue.disclosure.k_cross == 11


def test_the_seed_copy_keeps_its_attribution_header() -> None:
    header = SEED_PATH.read_text(encoding="utf-8").splitlines()[:4]
    assert header[-1] == (
        "# HTCDS field names and picklist codes: Human Trafficking Case Data Standard (HTCDS) "
        "by IOM, CC BY 4.0."
    )


def test_every_condition_of_the_seed_is_parsed_at_load() -> None:
    catalogue = load_catalogue(SEED_PATH)
    rf01 = catalogue.indicator("RF-01").numerator
    assert rf01 is not None and isinstance(rf01.where[0], AnyOf)
    assert [type(c) for c in rf01.where[0].conditions] == [EventExists, EventExists]
    as06 = catalogue.indicator("AS-06").numerator
    assert as06 is not None and isinstance(as06.where[0], EventExists)
    assert as06.where[0].conditions[1] == Comparison(
        Name("length_days"), ">=", Parameter("min_days")
    )
    written = sum(
        len(part.get("where", []))
        for item in _seed_document()["indicators"]
        for part in (item.get("numerator") or {}, item.get("denominator") or {})
    )
    parsed = sum(
        len(part.where)
        for i in catalogue.indicators
        for part in (i.numerator, i.denominator)
        if part is not None
    )
    assert parsed == written > 0


def test_statistics_know_what_they_run_over() -> None:
    catalogue = load_catalogue(SEED_PATH)
    subjects = {
        code: catalogue.indicator(code).numerator.subject  # type: ignore[union-attr]
        for code in ("ID-01", "CO-03", "CO-05", "CJ-05", "CJ-01")
    }
    assert subjects == {
        "ID-01": Subject("person"),
        "CO-03": Subject("event", "CompensationDecided"),
        "CO-05": Subject("event", "CompensationDecided"),
        "CJ-05": Subject("records", "agg_cj_FinalSentenceRecords"),
        "CJ-01": Subject("aggregate", "agg_cj_InvestigationsOpened"),
    }


def test_the_seed_as_published_reports_the_references_that_do_not_resolve() -> None:
    """The copy fixes these (each marked `# seed copy:`); undo the fixes and the validator
    finds each one in the published file."""

    def as_published(document: Document) -> None:
        del document["htcds_fields"]["org_Type"]
        document["extension_fields"]["ext_ExtraExploitationCodes"] = ["ext_ForcedCriminality"]
        for name in ("CompensationClaimFiled", "CompensationDecided", "CompensationPaid"):
            del document["events"][name]["claim_id"]
        del document["aggregate_fields"]["agg_cj_FinalConvictionsEffectiveImprisonment"][
            "breakdowns"
        ]
        indicator(document, "CO-07")["disaggregations"] = ["forum"]

    errors = problems(as_published)
    assert sorted(errors) == [
        "CJ-04.disaggregations.exploitation_type",
        "CO-03.denominator.count",
        "CO-03.numerator.count",
        "CO-07.disaggregations.forum",
        "disaggregations.exploitation_type.map.forced_criminality",
        "events.ReferralMade.referred_org_type",
        "events.ServiceDelivered.provider_type",
    ]
    assert "Unknown type 'org_Type'" in errors["events.ReferralMade.referred_org_type"][0]
    assert (
        "'ext_ForcedCriminality' is not a value of vic_TypeOfExploitation"
        in (errors["disaggregations.exploitation_type.map.forced_criminality"][0])
    )
    assert (
        "needs a claim_id attribute on CompensationDecided" in (errors["CO-03.numerator.count"][0])
    )
    assert (
        "agg_cj_FinalConvictionsEffectiveImprisonment is submitted without"
        in (errors["CJ-04.disaggregations.exploitation_type"][0])
    )
    assert "runs over CompensationPaid events" in errors["CO-07.disaggregations.forum"][0]


# --- References that do not resolve ------------------------------------------------------------


def test_an_unknown_population_is_named_with_the_populations_allowed() -> None:
    message = only(
        problems(lambda d: indicator(d, "ID-01")["numerator"].update(population="victims")),
        "ID-01.numerator.population",
    )
    assert "Unknown population 'victims'" in message
    assert "identified_in_period, presumed_registered_in_period" in message


def test_an_unknown_field_in_a_where_list_is_named() -> None:
    def change(d: Document) -> None:
        indicator(d, "ID-04")["numerator"]["where"] = ["ext_DetectingAgency not_in [Police]"]

    message = only(problems(change), "ID-04.numerator.where[0]")
    assert "Unknown field 'ext_DetectingAgency'" in message
    assert "ext_DetectingAgencyType" in message and "a derived field (sex, age_group" in message


def test_an_unknown_derived_category_is_named_with_the_categories_allowed() -> None:
    def change(d: Document) -> None:
        d["populations"]["child_identified_in_period"][2] = "age_group == minor"

    message = only(problems(change), "populations.child_identified_in_period[2]")
    assert message == "'minor' is not a value of age_group; allowed: child, adult, unknown."


def test_an_unknown_event_is_named_with_the_events_allowed() -> None:
    def change(d: Document) -> None:
        indicator(d, "CH-03")["denominator"]["where"] = ["exists ChildInterview()"]

    message = only(problems(change), "CH-03.denominator.where[0]")
    assert "Unknown event 'ChildInterview'" in message and "ChildInterviewConducted" in message


def test_an_unknown_event_attribute_is_named_with_the_attributes_allowed() -> None:
    def change(d: Document) -> None:
        indicator(d, "RR-02")["numerator"]["where"] = [
            "exists ReturnCompleted(date in_period; risk_assessed == true)"
        ]

    message = only(problems(change), "RR-02.numerator.where[0]")
    assert "Unknown field 'risk_assessed'" in message
    assert "an attribute of ReturnCompleted (date, direction, country, risk_assessment_done)" in (
        message
    )


def test_another_events_attribute_inside_an_event_call_is_refused() -> None:
    def change(d: Document) -> None:
        indicator(d, "CH-04")["numerator"]["where"] = [
            "exists ServiceDelivered(ReturnCompleted.date in_period)"
        ]

    message = only(problems(change), "CH-04.numerator.where[0]")
    assert message.startswith(
        "ReturnCompleted.date can only be tested in a statistic over ReturnCompleted (this one "
        "is over person); use exists ReturnCompleted(...)"
    )


def test_a_statistic_runs_over_one_event_type() -> None:
    def change(d: Document) -> None:
        indicator(d, "CO-06")["numerator"]["where"] = ["CompensationDecided.final == true"]

    message = only(problems(change), "CO-06.numerator")
    assert message.startswith(
        "Tests attributes of several owners (CompensationPaid, CompensationDecided)"
    )


def test_an_unknown_aggregate_field_is_named_with_the_figures_allowed() -> None:
    message = only(
        problems(
            lambda d: indicator(d, "CJ-03").update(numerator={"aggregate": "agg_cj_Convicted"})
        ),
        "CJ-03.numerator.aggregate",
    )
    assert "Unknown agg_ figure 'agg_cj_Convicted'" in message
    assert "agg_cj_PersonsConvictedFinal" in message


def test_an_unknown_records_attribute_is_named_with_the_attributes_allowed() -> None:
    def change(d: Document) -> None:
        indicator(d, "CJ-05")["numerator"]["median"] = "agg_cj_FinalSentenceRecords.months"

    message = only(problems(change), "CJ-05.numerator.median")
    assert message == (
        "Unknown attribute 'months' of agg_cj_FinalSentenceRecords; allowed: prison_months, "
        "suspended, exploitation_type."
    )


def test_an_undeclared_parameter_is_named_with_the_parameters_allowed() -> None:
    def change(d: Document) -> None:
        indicator(d, "AS-06")["numerator"]["where"] = [
            "exists ReflectionPeriodDecided(length_days >= {minimum_days})"
        ]

    message = only(problems(change), "AS-06.numerator.where[0]")
    assert message == ("Unknown parameter {minimum_days}; allowed: min_days, deployment_country.")


def test_a_parameter_value_must_fit_the_field_it_is_compared_with() -> None:
    message = only(
        problems(lambda d: indicator(d, "AS-06").update(parameters={"min_days": "thirty"})),
        "AS-06.numerator.where[0]",
    )
    assert "'thirty' is not a value of integer" in message


def test_a_code_outside_the_fields_picklist_is_named_with_the_codes_allowed() -> None:
    def change(d: Document) -> None:
        d["populations"]["identified_in_period"][0] = "vic_TraffickingStatus == Victim"

    message = only(problems(change), "populations.identified_in_period[0]")
    assert message == (
        "'Victim' is not a value of vic_TraffickingStatus; allowed: PossibleVictimOfTrafficking,"
        " ActualVictimOfTrafficking, NotAVictimOfTrafficking."
    )


def test_a_code_outside_an_event_attributes_list_is_named() -> None:
    def change(d: Document) -> None:
        indicator(d, "CJ-08")["numerator"]["where"] = [
            "exists VictimTestified(protective_measures has_any [Screen])"
        ]

    message = only(problems(change), "CJ-08.numerator.where[0]")
    assert "'Screen' is not a value of" in message and "NoConfrontation, VideoLink" in message


def test_a_map_code_outside_the_source_picklist_is_named() -> None:
    def change(d: Document) -> None:
        d["disaggregations"]["sex"]["map"]["female"] = ["Female"]

    message = only(problems(change), "disaggregations.sex.map.female")
    assert "'Female' is not a value of prs_Gender; allowed: Feminine, Masculine" in message


def test_an_unknown_disaggregation_is_named_with_the_disaggregations_allowed() -> None:
    message = only(
        problems(lambda d: indicator(d, "ID-01").update(disaggregations=["gender"])),
        "ID-01.disaggregations",
    )
    assert "Unknown 'gender'; allowed: sex, age_group, age_band" in message


def test_a_breakdown_the_statistic_cannot_carry_is_refused_for_each_part() -> None:
    errors = problems(lambda d: indicator(d, "AS-02").update(disaggregations=["payer"]))
    numerator, denominator = errors["AS-02.disaggregations.payer"]
    assert numerator.startswith(
        "Cannot split the numerator: payer comes from CompensationPaid.payer"
    )
    assert "selects no CompensationPaid event with exists" in numerator
    assert denominator.startswith("Cannot split the denominator: payer comes from")


def test_an_aggregate_breakdown_cannot_split_case_data() -> None:
    errors = problems(lambda d: indicator(d, "ID-01").update(disaggregations=["defendant_sex"]))
    assert errors["ID-01.disaggregations.defendant_sex"] == [
        "Cannot split the numerator: defendant_sex only exists in aggregate submissions."
    ]


def test_an_aggregate_field_may_only_list_known_breakdowns() -> None:
    def change(d: Document) -> None:
        d["aggregate_fields"]["agg_cj_PersonsIndicted"]["breakdowns"] = ["defendant_age"]
        indicator(d, "CJ-02")["disaggregations"] = []

    message = only(problems(change), "aggregate_fields.agg_cj_PersonsIndicted.breakdowns")
    assert "Unknown disaggregation 'defendant_age'" in message


def test_unknown_sources_and_references_are_named() -> None:
    def change(d: Document) -> None:
        indicator(d, "ID-02")["source"] = ["ngo_service_providers", "ngos"]
        indicator(d, "ID-02")["reference"] = ["OSCE_NRM_2022:pillar 1", "OSCE_2004:p. 3"]

    errors = problems(change)
    assert "Unknown 'ngos'; allowed: police, border_police" in errors["ID-02.source"][0]
    assert "Unknown reference 'OSCE_2004' in 'OSCE_2004:p. 3'" in errors["ID-02.reference"][0]


def test_an_unknown_key_is_reported_rather_than_ignored() -> None:
    def change(d: Document) -> None:
        item = indicator(d, "RR-04")
        item["denomintor"] = item.pop("denominator")

    errors = problems(change)
    assert "Unknown key 'denomintor'" in errors["RR-04.denomintor"][0]
    assert errors["RR-04.denominator"] == [
        "Required: a percentage is numerator / denominator * 100."
    ]


# --- Vocabularies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad", "allowed"),
    [
        ("area", "prevention", "identification, referral, assistance"),
        ("type", "input", "structural, process, outcome"),
        ("kind", "mixed", "quantitative, qualitative"),
        ("unit", "persons", "count, percent, days, months, EUR"),
        ("polarity", "good", "higher_is_better, lower_is_better, context"),
    ],
)
def test_a_value_outside_a_vocabulary_is_named_with_the_vocabulary(
    key: str, bad: str, allowed: str
) -> None:
    errors = problems(lambda d: indicator(d, "ID-02").update({key: bad}))
    assert f"Unknown {bad!r}; allowed: {allowed}" in errors[f"ID-02.{key}"][0]


def test_a_count_of_an_unknown_entity_is_named_with_the_entities_allowed() -> None:
    message = only(
        problems(lambda d: indicator(d, "ID-01")["numerator"].update(count="case")),
        "ID-01.numerator.count",
    )
    assert message == "Unknown entity 'case'; allowed: person, claim."


# --- Types of what is tested -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("ext_Unaccompanied has true", "has needs a multi-select; ext_Unaccompanied holds one"),
        ("prs_Citizenship == MK", "prs_Citizenship is a multi-select: use has or has_any."),
        ("vic_TraffickingStatus in_period", "in_period needs a date, but vic_TraffickingStatus"),
        ("ext_IdentificationDate >= 3", "<, <=, >=, > need a number; ext_IdentificationDate"),
        ("vic_TraffickingStatus == 3", "3 is a number; vic_TraffickingStatus is not."),
        ("ext_NeedsInterpretation == yes", "'yes' is not a value of ext_NeedsInterpretation"),
        ("prs_Citizenship has Serbia", "'Serbia' is not an ISO 3166 alpha-2 code"),
        ("exploitation_type has {deployment_country}", "{deployment_country} is a country code"),
    ],
)
def test_a_test_must_fit_the_type_of_its_ref(condition: str, message: str) -> None:
    errors = problems(lambda d: indicator(d, "RR-04")["numerator"].update(where=[condition]))
    assert message in errors["RR-04.numerator.where[0]"][0]


def test_a_parse_error_is_reported_under_its_path_with_the_position() -> None:
    def change(d: Document) -> None:
        indicator(d, "RF-01")["numerator"]["where"][0]["any_of"][1] = "exists ServiceDelivered("

    message = only(problems(change), "RF-01.numerator.where[0].any_of[1]")
    assert message.startswith("Cannot parse: expected a field, <Event>.<attr>")
    assert "found the end at position 24 of 'exists ServiceDelivered('" in message


def test_a_sum_needs_a_number() -> None:
    message = only(
        problems(lambda d: indicator(d, "CO-06")["numerator"].update(sum="CompensationPaid.payer")),
        "CO-06.numerator.sum",
    )
    assert "sum needs a number" in message


# --- Codes -------------------------------------------------------------------------------------


def test_codes_are_unique() -> None:
    errors = problems(lambda d: indicator(d, "ID-02").update(code="ID-01"))
    assert errors["ID-01.code"] == ["ID-01 is used by more than one indicator."]


def test_codes_follow_the_pattern_of_the_file() -> None:
    errors = problems(lambda d: indicator(d, "ID-02").update(code="ID-2"))
    assert any("'ID-2' does not match" in m for m in errors["indicators[1].code"])


def test_a_retired_code_is_never_reused() -> None:
    def change(d: Document) -> None:
        d["retired"] = ["AS-11", "ID-08"]

    message = only(problems(change), "ID-08.code")
    assert message == "ID-08 is retired (listed under retired) and is never reused."


def test_a_misspelt_section_is_reported_rather_than_ignored() -> None:
    message = only(problems(lambda d: d.update(retird=["AS-11"])), "retird")
    assert message.startswith("Unknown section 'retird'; allowed: schema_version, catalog_id")


def test_retired_codes_follow_the_code_pattern() -> None:
    message = only(problems(lambda d: d.update(retired=["AS11"])), "retired")
    assert "'AS11' does not match the code pattern" in message


def test_a_retired_code_that_is_not_reused_is_fine() -> None:
    document = seed_document()
    document["retired"] = ["AS-11"]
    assert parse_catalogue(document).retired == ("AS-11",)


def test_a_later_version_lists_a_dropped_code_as_retired() -> None:
    earlier = load_catalogue(SEED_PATH)
    document = seed_document()
    document["catalog_version"] = "2026.1"
    document["indicators"] = [i for i in document["indicators"] if i["code"] != "CD-07"]
    later = parse_catalogue(document)
    with pytest.raises(ValidationProblem) as caught:
        check_succession(earlier, later)
    assert caught.value.errors == {"retired": ["CD-07 is gone from 2026.1: list it under retired."]}
    document["retired"] = ["CD-07"]
    check_succession(earlier, parse_catalogue(document))


def test_a_later_version_never_brings_a_retired_code_back() -> None:
    document = seed_document()
    document["indicators"] = [i for i in document["indicators"] if i["code"] != "CD-07"]
    document["retired"] = ["CD-07"]
    earlier = parse_catalogue(document)
    with pytest.raises(ValidationProblem) as caught:
        check_succession(earlier, load_catalogue(SEED_PATH))
    assert caught.value.errors["CD-07.code"] == [
        "CD-07 was retired in 2025.1-seed and is never reused."
    ]


# --- Kinds of indicator ------------------------------------------------------------------------


def test_a_qualitative_indicator_has_a_zero_to_two_scale() -> None:
    def change(d: Document) -> None:
        indicator(d, "ID-06")["scale"].append({"score": 3, "label": "beyond", "meaning": "more"})

    message = only(problems(change), "ID-06.scale")
    assert message == "Scores must be 0, 1, 2 in order; found 0, 1, 2, 3."


def test_a_qualitative_indicator_is_scored_not_computed() -> None:
    errors = problems(
        lambda d: indicator(d, "CD-01").update(numerator={"count": "person"}, evidence=[])
    )
    assert errors["CD-01.numerator"] == [
        "A qualitative indicator is scored, not computed: remove it."
    ]
    assert errors["CD-01.evidence"] == ["List at least one kind of evidence a score rests on."]


def test_a_percentage_needs_a_denominator_and_only_a_percentage_has_one() -> None:
    errors = problems(lambda d: indicator(d, "AS-02").pop("denominator"))
    assert errors == {
        "AS-02.denominator": ["Required: a percentage is numerator / denominator * 100."]
    }
    errors = problems(lambda d: indicator(d, "AS-02").update(unit="count"))
    assert errors == {"AS-02.unit": ["Must be 'percent' when there is a denominator."]}


# --- Everything at once ------------------------------------------------------------------------


def test_all_problems_are_reported_together() -> None:
    def change(d: Document) -> None:
        indicator(d, "ID-01")["area"] = "detection"
        indicator(d, "CO-05")["numerator"]["where"][0] = "CompensationDecided.outcome == Won"
        d["disclosure"]["k_cross"] = 0

    errors = problems(change)
    assert sorted(errors) == ["CO-05.numerator.where[0]", "ID-01.area", "disclosure.k_cross"]


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValidationProblem) as caught:
        parse_catalogue(["not", "a", "catalogue"])
    assert caught.value.errors["catalogue"] == ["Must be a mapping."]
