"""Forms generated from the intake schemas, and the posted values turned into API bodies."""

from werkzeug.datastructures import MultiDict

from services.intake.cases import schema_of
from services.web.forms import form_of, payload_of, shown_values


def _form(event_type: str) -> list:
    return form_of(schema_of(event_type), str.upper, str, leave_out=("person_id",))


def _spec(specs: list, name: str):
    return next(spec for spec in specs if spec.name == name)


def test_the_case_form_asks_for_what_the_case_schema_accepts_required_fields_first() -> None:
    specs = _form("intake.CaseOpened")
    names = [spec.name for spec in specs]
    assert "person_id" not in names
    assert names[:3] == ["prs_Gender", "vic_TraffickingStatus", "cas_Status"]
    assert all(spec.required for spec in specs[:3])


def test_picklists_become_selects_and_multi_selects_with_the_schemas_codes() -> None:
    specs = _form("intake.CaseOpened")
    gender = _spec(specs, "prs_Gender")
    assert gender.kind == "select" and "Feminine" in [c.value for c in gender.choices]
    assert _spec(specs, "vic_TypeOfExploitation").kind == "multiselect"


def test_ranges_dates_and_flags_get_their_input_kinds() -> None:
    specs = _form("intake.CaseOpened")
    age = _spec(specs, "ext_EstimatedAge")
    assert (age.kind, age.minimum, age.maximum) == ("number", 0, 120)
    assert _spec(specs, "ext_FirstContactDate").kind == "date"
    assert _spec(specs, "ext_Unaccompanied").kind == "checkbox"
    assert _spec(specs, "prs_Gender").label == "PRS_GENDER"  # through the translator given


def test_a_posted_form_becomes_the_json_body_the_service_expects() -> None:
    specs = _form("intake.CaseOpened")
    posted = MultiDict([("prs_Gender", "Feminine"), ("ext_EstimatedAge", "30"),
                        ("vic_TypeOfExploitation", "ForcedLabour"),
                        ("vic_TypeOfExploitation", "SexualExploitation"),
                        ("ext_Unaccompanied", "true"), ("ext_FirstContactDate", ""),
                        ("csrf_token", "x")])  # fmt: skip
    assert payload_of(specs, posted) == {
        "prs_Gender": "Feminine", "ext_EstimatedAge": 30,
        "vic_TypeOfExploitation": ["ForcedLabour", "SexualExploitation"],
        "ext_Unaccompanied": True,
    }  # fmt: skip


def test_a_number_that_is_not_one_is_sent_as_typed_so_the_service_names_the_field() -> None:
    specs = _form("intake.CaseOpened")
    assert payload_of(specs, MultiDict([("ext_EstimatedAge", "thirty")])) == {
        "ext_EstimatedAge": "thirty"
    }


def test_amounts_accept_a_decimal_comma() -> None:
    specs = _form("intake.CompensationPaid")
    assert payload_of(specs, MultiDict([("amount_eur", "1250,50")]))["amount_eur"] == 1250.5


def test_what_was_typed_is_shown_again_after_an_error() -> None:
    specs = _form("intake.CaseOpened")
    posted = MultiDict([("ext_EstimatedAge", "300"), ("prs_Citizenship", "MK"),
                        ("prs_Citizenship", "AL")])  # fmt: skip
    shown = shown_values(specs, posted)
    assert shown["ext_EstimatedAge"] == "300"
    assert shown["prs_Citizenship"] == ["MK", "AL"]
