"""A data request's Excel workbook and letter: the workbook, filled in, reads back as a
submission the intake service accepts; a cell in error is named; the letter is written in each
national language and in English, and printed as PDF."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from services.indicators import letters
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.cycles import Cycle, DataRequest, request_id_for
from services.indicators.profiles import ProfileEntry, ProfileVersion, resolved
from services.indicators.workbooks import (
    FIGURES_SHEET,
    REQUEST_SHEET,
    request_workbook,
    submission_from_workbook,
)
from services.intake.submissions import decide_submission
from shared.errors import ValidationProblem

CATALOGUE = load_catalogue(SEED_PATH)
COURT = str(uuid.uuid4())
CYCLE = Cycle("MK", 2025, CATALOGUE.catalog_version, 1, date(2026, 3, 31), date(2026, 5, 31),
              date(2026, 9, 30), "mk.admin", datetime(2026, 1, 10, tzinfo=UTC))  # fmt: skip
REQUEST = DataRequest(
    request_id_for("MK", 2025, COURT), COURT, "Основен суд Скопје", "courts",
    ("agg_cj_FinalConvictionsEffectiveImprisonment", "agg_cj_FinalSentenceRecords",
     "agg_cj_PersonsConvictedFinal"), ("CJ-03", "CJ-04", "CJ-05"), date(2026, 3, 31), "mk",
    "mk.monitor", datetime(2026, 1, 12, 9, tzinfo=UTC),
)  # fmt: skip


def filled(**cells: object) -> bytes:
    """The request's workbook with the document described and `cells` (by field, or
    field.dimension.category) filled in, and two sentence records."""
    book = load_workbook(io.BytesIO(request_workbook(CATALOGUE, CYCLE, REQUEST)))
    request_sheet = book[REQUEST_SHEET]
    for row in request_sheet.iter_rows(min_row=2):
        if row[0].value == "document_title":
            row[1].value = "Annual court statistics 2025"
        if row[0].value == "document_dated":
            row[1].value = date(2026, 2, 1)
    for row in book[FIGURES_SHEET].iter_rows(min_row=2):
        key = ".".join(str(c.value) for c in row[:3] if c.value)
        if key in cells:
            row[3].value = cells[key]
    records = book["agg_cj_FinalSentenceRecords"]
    records.append((24, False, "SexualExploitation"))
    records.append((12, "yes", "ForcedLabour"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_filled_workbook_reads_back_as_a_submission_the_intake_service_accepts() -> None:
    data = filled(**{"agg_cj_PersonsConvictedFinal": 7,
                     "agg_cj_PersonsConvictedFinal.defendant_sex.female": 2,
                     "agg_cj_PersonsConvictedFinal.exploitation_type.SexualExploitation": 5,
                     "agg_cj_FinalConvictionsEffectiveImprisonment": "5"})  # fmt: skip
    body = submission_from_workbook(CATALOGUE, data)
    assert (body["country"], body["organisation_id"], body["period"]) == ("MK", COURT, "2025")
    assert body["figures"]["agg_cj_PersonsConvictedFinal"] == {
        "total": 7, "breakdowns": {"defendant_sex": {"female": 2},
                                   "exploitation_type": {"SexualExploitation": 5}}}  # fmt: skip
    assert body["figures"]["agg_cj_FinalConvictionsEffectiveImprisonment"] == {"total": 5}
    assert body["figures"]["agg_cj_FinalSentenceRecords"]["records"][1] == {
        "prison_months": 12.0, "suspended": True, "exploitation_type": "ForcedLabour"}  # fmt: skip
    assert body["document"] == {"title": "Annual court statistics 2025", "dated": "2026-02-01"}
    event = decide_submission(body["country"], uuid.UUID(body["organisation_id"]),
                              body["period"], body["figures"], body["document"], 0,
                              date(2026, 2, 2))  # fmt: skip
    assert set(event.payload["figures"]) == set(REQUEST.fields)


def test_a_workbook_filled_in_part_submits_only_what_was_filled_in() -> None:
    body = submission_from_workbook(CATALOGUE, filled(agg_cj_PersonsConvictedFinal=3))
    assert set(body["figures"]) == {"agg_cj_PersonsConvictedFinal", "agg_cj_FinalSentenceRecords"}


def test_a_cell_in_error_is_named_by_its_sheet_and_cell() -> None:
    with pytest.raises(ValidationProblem) as problem:
        submission_from_workbook(CATALOGUE, filled(agg_cj_PersonsConvictedFinal=-1))
    [where] = problem.value.errors
    assert where.startswith(f"{FIGURES_SHEET}!D")
    with pytest.raises(ValidationProblem) as problem:
        submission_from_workbook(CATALOGUE, b"not a workbook")
    assert set(problem.value.errors) == {"file"}


@pytest.mark.parametrize("language", ["en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr"])
def test_the_letter_is_written_in_each_national_language(language: str) -> None:
    page = letters.letter_html(CATALOGUE, CYCLE, REQUEST, resolved(CATALOGUE, None), language)
    text = page.decode()
    subject = letters.TEXTS[language]["subject"].format(year=2025)
    assert subject in text and "agg_cj_PersonsConvictedFinal" in text
    assert "Основен суд Скопје" in text
    assert letters.formatted_date(REQUEST.deadline, language) in text


def test_serbian_latin_is_transliterated_letter_for_letter_from_cyrillic() -> None:
    assert letters.serbian_latin("Љубазно молимо, џеп, Њиш, ћирилица") == (
        "Ljubazno molimo, džep, Njiš, ćirilica")  # fmt: skip
    assert letters.TEXTS["sr-Latn"]["closing"] == "S poštovanjem,"


def test_the_letter_names_the_national_title_of_an_adapted_indicator() -> None:
    adapted = ProfileEntry(
        "CJ-03",
        "adapted",
        {"mk": "Правосилно осудени лица"},
        legal_basis="Criminal Code, art. 418-a",
        institution="courts",
    )
    profile = resolved(CATALOGUE, ProfileVersion(1, {"CJ-03": adapted}))
    assert (
        "Правосилно осудени лица"
        in letters.letter_html(CATALOGUE, CYCLE, REQUEST, profile).decode()
    )


def test_the_letter_is_printed_as_pdf_the_same_each_time() -> None:
    pdf = letters.letter_pdf(CATALOGUE, CYCLE, REQUEST, resolved(CATALOGUE, None))
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
    assert letters.letter_pdf(CATALOGUE, CYCLE, REQUEST, resolved(CATALOGUE, None)) == pdf
