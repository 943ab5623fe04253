"""The expression grammar of indicators.yaml: one or more tests per rule of
`conventions.expression_grammar`, and parse errors that name the text and the position."""

from __future__ import annotations

import pytest

from services.indicators.expressions import (
    AnyOf,
    Attribute,
    Code,
    Comparison,
    DaysBetween,
    EventExists,
    ExpressionError,
    First,
    Flag,
    Membership,
    Name,
    Number,
    Parameter,
    PeriodEnd,
    PeriodTest,
    Presence,
    bind,
    parameters_in,
    parse_condition,
    parse_ref,
)

# --- <ref> == <Value> | <ref> != <Value> -------------------------------------------------------


def test_equality_compares_a_field_with_a_code() -> None:
    assert parse_condition("vic_TraffickingStatus == ActualVictimOfTrafficking") == Comparison(
        Name("vic_TraffickingStatus"), "==", Code("ActualVictimOfTrafficking")
    )


def test_inequality_compares_a_derived_field_with_a_category() -> None:
    assert parse_condition("citizenship_scope != national") == Comparison(
        Name("citizenship_scope"), "!=", Code("national")
    )


def test_true_and_false_are_booleans_not_codes() -> None:
    assert parse_condition("ext_PreviouslyIdentified == true") == Comparison(
        Name("ext_PreviouslyIdentified"), "==", Flag(True)
    )
    assert parse_condition("suspended == false") == Comparison(Name("suspended"), "==", Flag(False))


# --- <ref> in [A, B] | <ref> not_in [A, B] -----------------------------------------------------


def test_in_lists_the_codes_allowed() -> None:
    parsed = parse_condition("vic_TraffickingStatus in [PossibleVictimOfTrafficking, Actual]")
    assert parsed == Membership(
        Name("vic_TraffickingStatus"), "in", (Code("PossibleVictimOfTrafficking"), Code("Actual"))
    )


def test_not_in_lists_the_codes_excluded() -> None:
    parsed = parse_condition("ext_DetectingAgencyType not_in [Police, BorderPolice]")
    assert parsed == Membership(
        Name("ext_DetectingAgencyType"), "not_in", (Code("Police"), Code("BorderPolice"))
    )


# --- <ref> has <Value> | <ref> has_any [A, B] --------------------------------------------------


def test_has_tests_one_value_of_a_multi_select() -> None:
    assert parse_condition("prs_Citizenship has MK") == Membership(
        Name("prs_Citizenship"), "has", (Code("MK"),)
    )


def test_has_any_tests_several_values_of_a_multi_select() -> None:
    parsed = parse_condition("protective_measures has_any [VideoLink, ClosedHearing]")
    assert parsed == Membership(
        Name("protective_measures"), "has_any", (Code("VideoLink"), Code("ClosedHearing"))
    )


# --- <ref> in_period | in_previous_period | <= period_end --------------------------------------


def test_in_period_tests_a_date_against_the_reference_period() -> None:
    assert parse_condition("ext_IdentificationDate in_period") == PeriodTest(
        Name("ext_IdentificationDate"), "in_period"
    )


def test_in_previous_period_tests_a_date_against_the_period_before() -> None:
    assert parse_condition("CompensationPaid.award_final_date in_previous_period") == PeriodTest(
        Attribute("CompensationPaid", "award_final_date"), "in_previous_period"
    )


def test_period_end_is_the_last_day_of_the_period() -> None:
    assert parse_condition("start_date <= period_end") == Comparison(
        Name("start_date"), "<=", PeriodEnd()
    )


def test_period_end_is_only_ordered_never_equated() -> None:
    with pytest.raises(ExpressionError, match="period_end can only be compared"):
        parse_condition("start_date == period_end")


# --- <ref> exists | <ref> missing --------------------------------------------------------------


def test_exists_after_a_ref_tests_that_it_has_a_value() -> None:
    assert parse_condition("ext_FirstContactDate exists") == Presence(
        Name("ext_FirstContactDate"), True
    )


def test_missing_tests_that_a_ref_has_no_value() -> None:
    assert parse_condition("ext_FirstContactDate missing") == Presence(
        Name("ext_FirstContactDate"), False
    )


# --- <ref> < n | <= n | >= n | > n -------------------------------------------------------------


@pytest.mark.parametrize("operator", ["<", "<=", ">=", ">"])
def test_a_number_can_be_ordered(operator: str) -> None:
    assert parse_condition(f"length_days {operator} 30") == Comparison(
        Name("length_days"), operator, Number(30)
    )


def test_numbers_may_have_decimals_and_a_sign() -> None:
    assert parse_condition("amount > 12.5") == Comparison(Name("amount"), ">", Number(12.5))
    assert parse_condition("amount > -3") == Comparison(Name("amount"), ">", Number(-3))


def test_a_code_cannot_be_ordered() -> None:
    with pytest.raises(ExpressionError, match="< needs a number") as caught:
        parse_condition("vic_TraffickingStatus < Actual")
    assert caught.value.position == len("vic_TraffickingStatus ")


# --- exists <Event>(<cond>; <cond>) | not exists <Event>(...) ----------------------------------


def test_exists_with_conditions_separated_by_semicolons() -> None:
    parsed = parse_condition(
        "exists ReferralMade(direction == Outgoing; reason == AdditionalServicesRequired)"
    )
    assert parsed == EventExists(
        "ReferralMade",
        (
            Comparison(Name("direction"), "==", Code("Outgoing")),
            Comparison(Name("reason"), "==", Code("AdditionalServicesRequired")),
        ),
    )


def test_exists_with_empty_parentheses_asks_for_any_such_event() -> None:
    assert parse_condition("exists ServiceDelivered()") == EventExists("ServiceDelivered", ())


def test_not_exists_asks_for_no_such_event() -> None:
    assert parse_condition("not exists GuardianAppointed(date in_period)") == EventExists(
        "GuardianAppointed", (PeriodTest(Name("date"), "in_period"),), negated=True
    )


def test_conditions_inside_an_event_may_use_every_test() -> None:
    parsed = parse_condition(
        "exists VictimTestified(date in_period; protective_measures has_any [VideoLink])"
    )
    assert isinstance(parsed, EventExists)
    assert [type(condition) for condition in parsed.conditions] == [PeriodTest, Membership]


def test_an_event_call_must_be_closed() -> None:
    with pytest.raises(ExpressionError, match=r"expected ';' or '\)'") as caught:
        parse_condition("exists ServiceDelivered(service_type == Medical")
    assert caught.value.position == len("exists ServiceDelivered(service_type == Medical")


def test_exists_needs_an_event_type() -> None:
    with pytest.raises(ExpressionError, match="expected an event type after 'exists'"):
        parse_condition("exists (date in_period)")


# --- days_between(<date ref>, <date ref>) and first(<Event>.<attr>) as refs --------------------


def test_days_between_two_fields_is_a_ref() -> None:
    assert parse_ref("days_between(ext_FirstContactDate, ext_IdentificationDate)") == DaysBetween(
        Name("ext_FirstContactDate"), Name("ext_IdentificationDate")
    )


def test_first_takes_an_attribute_of_the_earliest_event() -> None:
    assert parse_ref("days_between(ext_FirstContactDate, first(ReferralMade.date))") == (
        DaysBetween(Name("ext_FirstContactDate"), First("ReferralMade", "date"))
    )


def test_days_between_may_be_compared_inside_an_event() -> None:
    parsed = parse_condition(
        "exists GuardianAppointed(days_between(ext_FirstContactDate, date) <= {max_days})"
    )
    assert parsed == EventExists(
        "GuardianAppointed",
        (
            Comparison(
                DaysBetween(Name("ext_FirstContactDate"), Name("date")), "<=", Parameter("max_days")
            ),
        ),
    )


def test_first_needs_event_dot_attribute() -> None:
    with pytest.raises(ExpressionError, match=r"expected '\.'"):
        parse_ref("first(ReferralMade)")


def test_an_event_or_records_attribute_is_owner_dot_name() -> None:
    assert parse_ref("agg_cj_FinalSentenceRecords.prison_months") == Attribute(
        "agg_cj_FinalSentenceRecords", "prison_months"
    )


# --- {name} parameters and {deployment_country} ------------------------------------------------


def test_a_parameter_is_kept_until_bound() -> None:
    parsed = parse_condition("exists ReflectionPeriodDecided(length_days >= {min_days})")
    assert list(parameters_in(parsed)) == ["min_days"]
    bound = bind(parsed, {"min_days": 30})
    assert bound == EventExists(
        "ReflectionPeriodDecided", (Comparison(Name("length_days"), ">=", Number(30)),)
    )


def test_deployment_country_is_bound_like_any_parameter() -> None:
    parsed = parse_condition("prs_Citizenship has {deployment_country}")
    assert bind(parsed, {"deployment_country": "MK"}) == Membership(
        Name("prs_Citizenship"), "has", (Code("MK"),)
    )


def test_binding_reaches_lists_and_groups_and_leaves_unknown_parameters() -> None:
    group = AnyOf((parse_condition("x in [A, {b}]"), parse_condition("y == {c}")))
    bound = bind(group, {"b": "B", "c": True})
    assert bound == AnyOf(
        (
            Membership(Name("x"), "in", (Code("A"), Code("B"))),
            Comparison(Name("y"), "==", Flag(True)),
        )
    )
    assert list(parameters_in(bind(group, {"b": "B"}))) == ["c"]


# --- Errors name the expression and the position -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("ext_IdentificationDate ==", 25, "expected a value"),
        ("ext_IdentificationDate = 3", 23, "unexpected character '='"),
        ("vic_TypeOfExploitation in [A, B", 31, "expected ',' or ']'"),
        ("ext_IdentificationDate in_period extra", 33, "expected the end of the expression"),
        ("ext_IdentificationDate during", 23, "expected an operator"),
        ("== Actual", 0, "expected a field"),
        ("", 0, "expected a condition"),
    ],
)
def test_a_parse_error_names_the_expression_and_the_position(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_condition(text)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)
    assert f"at position {position}" in str(caught.value)


def test_a_ref_is_parsed_alone_with_nothing_after_it() -> None:
    with pytest.raises(ExpressionError, match="expected the end") as caught:
        parse_ref("CompensationPaid.amount_eur > 3")
    assert caught.value.position == len("CompensationPaid.amount_eur ")
