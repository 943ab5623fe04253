"""The submission form built from the catalogue's agg_ fields, and the posted form turned into
the body of POST /api/v1/submissions."""

from werkzeug.datastructures import MultiDict

from services.intake.submissions import aggregate_fields
from services.web import aggregates

CAT = aggregates.catalogue()


def _form(profile: list | None = None) -> list[aggregates.Figure]:
    return aggregates.submission_form(CAT, aggregates.fields_in_use(CAT, profile), str)


def _figure(name: str) -> aggregates.Figure:
    return next(figure for figure in _form() if figure.name == name)


def test_without_a_profile_the_form_asks_for_every_agg_field_the_core_indicators_read() -> None:
    names = [figure.name for figure in _form()]
    assert set(names) == set(aggregate_fields())  # what the intake service accepts
    assert _figure("agg_cj_PersonsIndicted").indicators == ("CJ-02",)


def test_a_country_that_drops_an_indicator_is_not_asked_for_the_figures_only_it_reads() -> None:
    profile = [{"code": indicator.code, "status": "adopted"} for indicator in CAT.indicators]
    profile = [{**e, "status": "dropped"} if e["code"] == "CD-07" else e for e in profile]
    names = [figure.name for figure in _form(profile)]
    assert "agg_mon_GretaRecsTotal" not in names and "agg_cj_PersonsIndicted" in names


def test_a_count_has_a_whole_number_total_with_its_unit_and_a_cell_per_breakdown_code() -> None:
    indicted = _figure("agg_cj_PersonsIndicted")
    assert indicted.total is not None and indicted.total.parse == "int"
    assert (indicted.unit, indicted.total.hint) == ("defendants", "defendants")
    sex, exploitation = indicted.breakdowns
    assert [cell.name.rsplit(".", 1)[1] for cell in sex.cells] == ["female", "male", "unknown"]
    # derived from a case field: the HTCDS codes, which the values computer groups
    assert "figures.agg_cj_PersonsIndicted.breakdowns.exploitation_type.SexualExploitation" in [
        cell.name for cell in exploitation.cells
    ]
    assert exploitation.cells[1].label == "Sexual exploitation"


def test_an_amount_takes_cents_and_records_fields_get_typed_columns() -> None:
    funding = _figure("agg_fin_AssistanceFundingEUR")
    assert funding.total is not None and funding.total.step == "0.01" and funding.unit == "EUR"
    sentences = _figure("agg_cj_FinalSentenceRecords")
    kinds = {attribute.name: attribute.kind for attribute in sentences.attributes}
    assert kinds == {"prison_months": "number", "suspended": "boolean", "exploitation_type": "code"}
    assert sentences.total is None and sentences.records


def test_a_posted_form_becomes_the_submission_body_leaving_empty_figures_out() -> None:
    form = _form()
    posted = MultiDict({
        "period": "2024", "document.title": "Annual report 2024", "document.reference": "",
        "figures.agg_cj_PersonsIndicted.total": "7",
        "figures.agg_cj_PersonsIndicted.breakdowns.defendant_sex.female": "3",
        "figures.agg_cj_PersonsIndicted.breakdowns.defendant_sex.male": "",
        "figures.agg_fin_AssistanceFundingEUR.total": "1 250,50",
        "figures.agg_cj_InvestigationsOpened.total": "",
        "csrf_token": "x",
    })  # fmt: skip
    values = aggregates.values_posted(form, posted)
    body = aggregates.submission_body(form, values, "MK", "org-1")
    assert body == {
        "country": "MK", "organisation_id": "org-1", "period": "2024",
        "document": {"title": "Annual report 2024"},
        "figures": {
            "agg_cj_PersonsIndicted": {"total": 7, "breakdowns": {"defendant_sex": {"female": 3}}},
            "agg_fin_AssistanceFundingEUR": {"total": 1250.5},
        },
    }  # fmt: skip


def test_a_value_that_is_not_a_number_is_sent_as_typed_for_the_service_to_name() -> None:
    form = _form()
    posted = MultiDict({"figures.agg_cj_PersonsIndicted.total": "seven",
                        "figures.agg_cj_THBCasesConcluded.total": "2.5"})  # fmt: skip
    figures = aggregates.submission_body(form, aggregates.values_posted(form, posted), "MK", "o")
    assert figures["figures"]["agg_cj_PersonsIndicted"] == {"total": "seven"}
    assert figures["figures"]["agg_cj_THBCasesConcluded"] == {"total": "2.5"}


def test_empty_record_rows_are_dropped_and_the_rest_renumbered_as_the_service_will_name_them(
) -> None:  # fmt: skip
    form = _form()
    base = "figures.agg_cj_FinalSentenceRecords.records"
    posted = MultiDict({
        f"{base}.0.prison_months": "", f"{base}.0.suspended": "",
        f"{base}.1.prison_months": "24", f"{base}.1.suspended": "false",
        f"{base}.1.exploitation_type": "ForcedLabour", f"{base}.2.suspended": "true",
    })  # fmt: skip
    values = aggregates.values_posted(form, posted)
    assert values.records["agg_cj_FinalSentenceRecords"][0]["prison_months"] == "24"
    body = aggregates.submission_body(form, values, "MK", "o")
    assert body["figures"]["agg_cj_FinalSentenceRecords"] == {"records": [
        {"prison_months": 24, "suspended": False, "exploitation_type": "ForcedLabour"},
        {"suspended": True},
    ]}  # fmt: skip
    assert aggregates.records_shown(values.records["agg_cj_FinalSentenceRecords"], True) == 7


def test_a_resubmission_starts_from_the_figures_recorded_before() -> None:
    submission = {
        "period": "2023", "document": {"title": "Yearbook", "dated": "2024-02-01"},
        "figures": {
            "agg_cj_PersonsIndicted": {"total": 4, "breakdowns": {"defendant_sex": {"male": 4}}},
            "agg_cj_FinalJudgmentRecords": {"records": [
                {"days_indictment_to_final": 300, "outcome": "Conviction"}]},
        },
    }  # fmt: skip
    values = aggregates.values_of(submission)
    assert values.inputs["figures.agg_cj_PersonsIndicted.breakdowns.defendant_sex.male"] == "4"
    assert values.inputs["document.dated"] == "2024-02-01"
    form = _form()
    again = aggregates.submission_body(form, values, "MK", "o")
    assert again["figures"] == submission["figures"] and again["period"] == "2023"


def test_errors_of_single_records_get_a_label_naming_the_figure_the_row_and_the_column() -> None:
    key = "figures.agg_cj_FinalJudgmentRecords.records.2.outcome"
    labels = aggregates.input_labels(aggregates.document_inputs(str), _form(), [key], str)
    assert labels[key] == "Final judgments, record 3: Outcome"
    assert labels["figures.agg_cj_PersonsIndicted.total"] == "Persons indicted: Total"
    assert labels["document.title"] == "Document the figures come from"


def test_a_submission_is_told_in_the_forms_words_and_order() -> None:
    told = aggregates.told({
        "agg_cj_FinalSentenceRecords": {"records": [{}, {}]},
        "agg_cj_InvestigationsOpened": {"total": 13, "breakdowns": {
            "exploitation_type": {"ForcedLabour": 5, "SexualExploitation": 8}}},
    }, _form(), str)  # fmt: skip
    assert [t.name for t in told] == ["agg_cj_InvestigationsOpened", "agg_cj_FinalSentenceRecords"]
    assert told[0].cells == (("Type of exploitation",
                              (("Forced labour", 5), ("Sexual exploitation", 8))),)  # fmt: skip
    assert told[1].records == 2 and told[0].unit == "cases"
