"""Importing case records from the HTCDS Excel templates and from XLSForm submissions: each row
becomes a CaseOpened command with its follow-up events, identifying answers are split off,
every row's errors are named by row and column, and hostile or wrong files are refused whole.

Most workbooks here are built in the test with the templates' own header rows (TEMPLATE_NAMES,
TEMPLATE_LABELS); the tests that open the real templates read the copies in
`tests/fixtures/domain/htcds`.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services.intake import codes
from services.intake.importing import (
    IDENTIFYING_FIELDS,
    ImportBatch,
    ImportRow,
    Limits,
    read_htcds_excel,
    read_upload,
    read_xlsform_submissions,
    validate_batch,
)
from services.intake.importing.columns import (
    CONTROL,
    DECISION_MAKING_ORG,
    EXPLOITATION,
    GENDER,
    INDUSTRY,
    REASON,
    RECRUITMENT,
    SEX_EXPLOITATION,
    TRAFFICKING_STATUS,
)
from services.intake.importing.countries import COUNTRY_NAMES
from services.intake.importing.values import Options
from shared.errors import ValidationProblem

TODAY = date(2025, 6, 30)
HTCDS = Path(__file__).resolve().parents[3] / "fixtures" / "domain" / "htcds"
needs_htcds = pytest.mark.skipif(not HTCDS.is_dir(), reason=f"no HTCDS artefacts in {HTCDS}")
PLAIN_TEMPLATE = HTCDS / "HTCDS Excel Spreadsheet v2.0.xlsx"
VALIDATION_TEMPLATE = HTCDS / "HTCDS Excel Spreadsheet single select with validation v2.0.xlsx"

# Rows 1 (hidden) and 2 of both HTCDS Excel templates, as they are: row 1 misspells the
# decision-org field, orders the mailing columns unlike row 2, and names nothing above
# "Reason for Outgoing Referral"; column A numbers the empty rows and has no header.
TEMPLATE_NAMES = (
    None, "cas_CaseOwner", "prs_Salutation", "prs_FirstName", "prs_SecondName", "con_Consent",
    "prs_Birthdate", "prs_Gender", "prs_Citizenship", "prs_Title", "prs_Email", "prs_HomePhone",
    "prs_MobilePhone", "prs_MailingCity", "prs_MailingCountry", "prs_MailingState",
    "prs_MailingStreet", "prs_MailingPostalCode", "vic_TraffickingStatus",
    "vic_TraffickinStatusDecisionMakingOrg", "vic_MethodOfRecruitment",
    "vic_LocationOfRecruitment", "vic_MethodsOfControl", "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry", "vic_TypeOfSexExploitation", "vic_LocationOfExploitation",
    "cas_Status", "cas_ReferringOrganisation", "cas_IncomingReferralDate",
    "cas_ReferringPrimaryCaseWorker", "cas_ReasonForIncomingReferral",
    "cas_IncomingReferralDetails", "cas_ReferredOrganisation", "cas_ReferredPrimaryCaseWorker",
    None, "cas_OutgoingReferralDate", "cas_OutgoingReferralDetails", "cas_ReasonForCaseClosure",
)  # fmt: skip
TEMPLATE_LABELS = (
    None, "Case Owner", "Salutation", "First Name", "Second Name", "Consent", "Birthdate",
    "Gender", "Citizenship", "Title", "Email", "Home Phone", "Mobile Phone", "Mailing Street",
    "Mailing City", "Mailing State/Province", "Mailing Zip/Postal Code", "Mailing Country",
    "Trafficking Status", "Trafficking Status Decision Making Organization",
    "Method of Recruitment", "Location of Recruitment", "Methods of Control",
    "Type of Exploitation", "Forced Labour Industry", "Type of Sex Exploitation",
    "Location of Exploitation", "Status", "Referring Organisation", "Incoming Referral Date",
    "Referring Primary Case Worker", "Reason for Incoming Referral", "Incoming Referral Details",
    "Referred Organisation", "Referred Primary Case Worker", "Reason for Outgoing Referral",
    "Outgoing Referral Date", "Outgoing Referral Details", "Reason for Case Closure",
)  # fmt: skip
# Columns HTCDS lacks but opening a case needs, added right of the template's.
EXTRA = ("First Contact Date", "Identification Date", "Identifying Body Type",
         "Outgoing Referral Scope", "Case Closed Date")  # fmt: skip


def presumed(**changes: Any) -> dict[str, Any]:
    """A row of an adult presumed victim, by template label; a change of None blanks a cell."""
    row = {
        "First Name": "Ana",
        "Second Name": "Petrović",
        "Gender": "Feminine",
        "Birthdate": datetime(1999, 4, 2),
        "Citizenship": "Serbia",
        "Trafficking Status": "Possible victim of trafficking",
        "Type of Exploitation": "Forced labour",
        "Status": "Active",
        "First Contact Date": "2025-01-10",
        **changes,
    }
    return {label: value for label, value in row.items() if value is not None}


def template(
    *rows: Mapping[str, Any], variant: str = "plain", numbered: int = 10, first_row: int = 3
) -> bytes:
    """A workbook laid out as the HTCDS template `variant`, with `rows` under their labels
    from `first_row` on, and column A numbering `numbered` rows as the template does."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1" if variant == "plain" else "Case Sheet"
    if variant == "validation":
        book.create_sheet("about")["A1"] = "Microsoft Excel HTCDS 2.0"
        book.create_sheet("validation")["A1"] = "Validation Lookups"
    labels = [*TEMPLATE_LABELS, *EXTRA]
    sheet.append([*TEMPLATE_NAMES, *[None] * len(EXTRA)])
    sheet.row_dimensions[1].hidden = True
    sheet.append(labels)
    for number in range(1, numbered + 1):
        sheet.cell(number + 2, 1, number)
    for offset, row in enumerate(rows):
        for label, value in row.items():
            sheet.cell(first_row + offset, labels.index(label) + 1, value)
    return saved(book)


def sheet_of(header: list[Any], *rows: list[Any]) -> bytes:
    """A one-sheet workbook with one header row, as an organisation might make its own."""
    book = openpyxl.Workbook()
    for row in (header, *rows):
        book.active.append(row)
    return saved(book)


def saved(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def real_template(path: Path, sheet: str, *rows: Mapping[str, Any]) -> bytes:
    """The real HTCDS template with `rows` typed under its labels from row 3."""
    with warnings.catch_warnings():  # openpyxl drops the drop-down definitions, saying so
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path)
    cases = book[sheet]
    labels = [cell.value for cell in cases[2]]
    for offset, row in enumerate(rows):
        for label, value in row.items():
            cases.cell(3 + offset, labels.index(label) + 1, value)
    return saved(book)


def only_row(batch: ImportBatch) -> ImportRow:
    assert len(batch.rows) == 1
    return batch.rows[0]


def read(*rows: Mapping[str, Any], **options: Any) -> ImportRow:
    return only_row(read_htcds_excel(template(*rows, **options)))


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationProblem) as caught:
        call(*args, **kwargs)
    assert list(caught.value.errors) == ["file"]
    message: str = caught.value.errors["file"][0]
    return message


# --- The two Excel templates -------------------------------------------------------------------


def test_the_plain_template_is_read_into_a_case_opened_command() -> None:
    batch = read_htcds_excel(template(presumed()))
    row = only_row(batch)
    assert batch.format == "htcds-excel"
    assert (row.number, row.source_ref) == (3, "Sheet1!3")
    assert uuid.UUID(row.command.pop("person_id"))  # type: ignore[union-attr]
    assert row.command == {
        "prs_Gender": "Feminine",
        "prs_Birthdate": "1999-04-02",
        "prs_Citizenship": ["RS"],
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "vic_TypeOfExploitation": ["ForcedLabour"],
        "cas_Status": "Active",
        "ext_FirstContactDate": "2025-01-10",
    }
    assert row.errors == {}


def test_the_validation_template_is_recognised_by_its_lookup_sheet() -> None:
    batch = read_htcds_excel(template(presumed(), variant="validation"))
    assert batch.format == "htcds-excel-validation"
    assert only_row(batch).source_ref == "Case Sheet!3"


def test_each_row_gets_its_own_person_id_from_the_given_source() -> None:
    ids = iter([uuid.UUID(int=1), uuid.UUID(int=2)])
    batch = read_htcds_excel(template(presumed(), presumed()), new_person_id=lambda: next(ids))
    assert [row.command["person_id"] for row in batch.rows if row.command] == [
        str(uuid.UUID(int=1)),
        str(uuid.UUID(int=2)),
    ]


def test_a_sheet_with_only_system_names_as_its_header_is_read() -> None:
    data = sheet_of(
        ["prs_Gender", "vic_TraffickingStatus", "cas_Status", "ext_FirstContactDate"],
        ["Masculine", "PossibleVictimOfTrafficking", "FollowUp", date(2025, 1, 10)],
    )
    row = only_row(read_htcds_excel(data))
    assert row.number == 2
    assert row.command is not None
    assert row.command["cas_Status"] == "FollowUp"
    assert row.command["ext_FirstContactDate"] == "2025-01-10"


def test_the_misspelt_decision_org_header_is_read_as_the_standard_field() -> None:
    data = sheet_of(
        ["prs_Gender", "vic_TraffickingStatus", "vic_TraffickinStatusDecisionMakingOrg"],
        ["Feminine", "ActualVictimOfTrafficking", "Court or prosecution"],
    )
    row = only_row(read_htcds_excel(data))
    assert row.command is not None
    assert row.command["vic_TraffickingStatusDecisionMakingOrg"] == "CourtOrProsecution"


def test_blank_and_prenumbered_template_rows_are_skipped_and_rows_keep_their_sheet_number() -> None:
    batch = read_htcds_excel(template(presumed(), {}, {}, presumed(Gender="Masculine")))
    assert [row.number for row in batch.rows] == [3, 6]


def test_columns_that_are_not_imported_are_named_with_the_reason() -> None:
    data = sheet_of(
        ["Gender", "Trafficking Status", "Status", "Case Owner", "Favourite colour"],
        ["Feminine", "Possible victim of trafficking", "Active", "Marko", "blue"],
    )
    batch = read_htcds_excel(data)
    assert batch.ignored_columns == {
        "Case Owner": "names a case worker; not imported",
        "Favourite colour": "not a field the platform records; not imported",
    }
    assert "Marko" not in json.dumps([only_row(batch).command, only_row(batch).identifiers])


# --- Drop-down labels, multi-selects, countries, dates -----------------------------------------


def test_drop_down_labels_become_codes() -> None:
    row = read(
        presumed(
            **{
                "Gender": "Not Specified/Unknown",
                "Trafficking Status": "Actual victim of trafficking",
                "Trafficking Status Decision Making Organization": "Non-police governmental "
                "organization",
                "Status": "Follow up",
                "Method of Recruitment": "Through friends or social events",
            }
        )
    )
    assert row.command is not None
    assert row.command["prs_Gender"] == "NonSpecifiedUnknown"
    assert row.command["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"
    assert (
        row.command["vic_TraffickingStatusDecisionMakingOrg"] == "NonPoliceGovernmentalOrganization"
    )
    assert row.command["cas_Status"] == "FollowUp"
    assert row.command["vic_MethodOfRecruitment"] == ["ThroughFriendsOrSocialEvents"]


def test_labels_with_the_templates_stray_spaces_and_any_case_still_match() -> None:
    row = read(presumed(**{"Methods of Control": "Debt bondage ", "Gender": "FEMININE\xa0"}))
    assert row.command is not None
    assert row.command["vic_MethodsOfControl"] == ["DebtBondage"]
    assert row.command["prs_Gender"] == "Feminine"


def test_codes_are_accepted_as_well_as_labels() -> None:
    row = read(presumed(**{"Type of Exploitation": "SexualExploitation; ForcedLabour"}))
    assert row.command is not None
    assert row.command["vic_TypeOfExploitation"] == ["SexualExploitation", "ForcedLabour"]


def test_a_multi_select_cell_is_split_on_semicolons_and_line_breaks() -> None:
    cell = "Physical threats; Takes earnings\nWithholds documents;Takes earnings"
    row = read(presumed(**{"Methods of Control": cell}))
    assert row.command is not None
    assert row.command["vic_MethodsOfControl"] == [
        "PhysicalThreats",
        "TakesEarnings",
        "WithholdsDocuments",
    ]


def test_an_industry_label_holding_a_semicolon_is_one_answer_not_two() -> None:
    cell = "Water supply; sewerage, waste management and remediation; Construction"
    row = read(presumed(**{"Forced Labour Industry": cell}))
    assert row.command is not None
    assert row.command["vic_ForcedLabourIndustry"] == [
        "E_WaterSupplySewerageWasteManagement",
        "F_Construction",
    ]


def test_answers_separated_by_commas_are_reported_with_the_separator_to_use() -> None:
    row = read(presumed(**{"Type of Exploitation": "Forced labour, Forced begging"}))
    [message] = row.errors["Type of Exploitation (vic_TypeOfExploitation)"]
    assert "'Forced labour, Forced begging'" in message
    assert "Separate answers with ';'" in message


def test_citizenship_is_read_from_country_names_or_codes_and_kosovo_is_accepted() -> None:
    row = read(presumed(Citizenship="North Macedonia; Kosovo; al; Côte d'Ivoire"))
    assert row.command is not None
    assert row.command["prs_Citizenship"] == ["MK", "XK", "AL", "CI"]


def test_a_country_that_is_not_one_is_reported() -> None:
    row = read(presumed(Citizenship="Serbia; N/A"))
    [message] = row.errors["Citizenship (prs_Citizenship)"]
    assert "'N/A'" in message and "Serbia" not in message


def test_a_location_is_kept_only_as_its_country() -> None:
    row = read(
        presumed(**{"Location of Recruitment": "Albania", "Location of Exploitation": "Novi Sad"})
    )
    assert row.command is not None
    assert row.command["ext_CountryOfRecruitment"] == ["AL"]
    assert "ext_CountryOfExploitation" not in row.command
    [message] = row.errors["Location of Exploitation (ext_CountryOfExploitation)"]
    assert "Only the country is recorded" in message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2025, 1, 10, 0, 0), "2025-01-10"),
        (date(2025, 1, 10), "2025-01-10"),
        ("2025-01-10", "2025-01-10"),
        ("10.1.2025.", "2025-01-10"),
        ("10. 01. 2025", "2025-01-10"),
        ("25/01/2025", "2025-01-25"),
        ("01/25/2025", "2025-01-25"),
        ("05/05/2025", "2025-05-05"),
    ],
)
def test_dates_are_read_from_date_cells_and_from_text(cell: Any, expected: str) -> None:
    row = read(presumed(**{"First Contact Date": cell}))
    assert row.command is not None
    assert row.command["ext_FirstContactDate"] == expected


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("03/04/2020", "could be either of two dates"),
        (1999, "is not a date"),
        ("1999", "is not a date"),
        ("31.02.2020", "not a date of the calendar"),
        ("next week", "is not a date"),
    ],
)
def test_a_date_that_cannot_be_read_for_sure_is_reported(cell: Any, says: str) -> None:
    row = read(presumed(Birthdate=cell))
    [message] = row.errors["Birthdate (prs_Birthdate)"]
    assert says in message
    assert row.command is not None and "prs_Birthdate" not in row.command


def test_consent_is_read_as_yes_or_no() -> None:
    assert read(presumed(Consent="Yes")).command["con_Consent"] is True  # type: ignore[index]
    assert read(presumed(Consent=False)).command["con_Consent"] is False  # type: ignore[index]
    assert "Consent (con_Consent)" in read(presumed(Consent="maybe")).errors


# --- Identifiers -------------------------------------------------------------------------------


def test_identifying_columns_are_split_off_and_never_reach_the_command() -> None:
    row = read(
        presumed(
            **{
                "Salutation": "Ms",
                "Email": "ana@example.org",
                "Mobile Phone": 38761234567,
                "Mailing Zip/Postal Code": "21000",
            }
        )
    )
    assert row.identifiers == {
        "prs_Salutation": "Ms",
        "prs_FirstName": "Ana",
        "prs_SecondName": "Petrović",
        "prs_Email": "ana@example.org",
        "prs_MobilePhone": "38761234567",
        "prs_MailingPostalCode": "21000",
    }
    written = json.dumps([row.command, row.events])
    assert not any(value in written for value in row.identifiers.values())


def test_mailing_columns_follow_the_visible_labels_not_the_hidden_system_names() -> None:
    # Column N is prs_MailingCity in the hidden row 1 but "Mailing Street" in row 2.
    row = read(presumed(**{"Mailing Street": "Bulevar 12", "Mailing Country": "RS"}))
    assert row.identifiers["prs_MailingStreet"] == "Bulevar 12"
    assert row.identifiers["prs_MailingCountry"] == "RS"
    assert "prs_MailingCity" not in row.identifiers


def test_an_identifier_too_long_to_be_a_name_is_reported_not_kept() -> None:
    row = read(presumed(**{"First Name": "A" * 301}))
    assert "prs_FirstName" not in row.identifiers
    assert row.errors == {
        "First Name (prs_FirstName)": ["Is 301 characters long; at most 300 may be imported."]
    }


def test_only_the_htcds_person_identifying_fields_are_split_off() -> None:
    assert set(IDENTIFYING_FIELDS) == {
        "prs_Salutation",
        "prs_FirstName",
        "prs_MiddleName",
        "prs_SecondName",
        "prs_Title",
        "prs_IdentityNumber",
        "prs_Email",
        "prs_HomePhone",
        "prs_MobilePhone",
        "prs_MailingStreet",
        "prs_MailingCity",
        "prs_MailingState",
        "prs_MailingPostalCode",
        "prs_MailingCountry",
        "prs_MailingLatitude",
        "prs_MailingLongitude",
    }


# --- Follow-up events --------------------------------------------------------------------------


def test_an_outgoing_referral_becomes_a_referral_made_event() -> None:
    row = read(
        presumed(
            **{
                "Outgoing Referral Date": datetime(2025, 3, 1),
                "Reason for Outgoing Referral": "Migration Or Change Of Location",
                "Referred Organisation": "Law Enforcement",
                "Outgoing Referral Scope": "Domestic",
            }
        )
    )
    assert row.events == (
        {
            "type": "ReferralMade",
            "direction": "Outgoing",
            "date": "2025-03-01",
            "reason": "MigrationOrChangeOfLocation",
            "referred_org_type": "LawEnforcement",
            "scope": "Domestic",
        },
    )


def test_a_referred_organisation_s_name_is_not_kept() -> None:
    row = read(presumed(**{"Referred Organisation": "Sigurna kuća Novi Sad"}))
    assert row.events == ()
    assert row.errors == {}


def test_a_closed_case_is_opened_active_and_closed_by_an_event() -> None:
    row = read(presumed(Status="Closed", **{"Case Closed Date": "2025-05-01"}))
    assert row.command is not None
    assert row.command["cas_Status"] == "Active"
    assert row.events == (
        {"type": "CaseClosed", "cas_Status": "Closed", "ext_CaseClosedDate": "2025-05-01"},
    )


def test_a_closing_date_on_an_open_case_is_reported() -> None:
    row = read(presumed(**{"Case Closed Date": "2025-05-01"}))
    assert row.errors == {
        "Case Closed Date (ext_CaseClosedDate)": [
            "Only allowed when Status is Closed or ClosedReferred."
        ]
    }


# --- Validating a batch ------------------------------------------------------------------------


def test_a_broken_row_is_reported_with_its_row_number_and_column_while_good_rows_are_fine() -> None:
    data = template(presumed(), presumed(Gender="Femme", Status=None), presumed())
    batch = validate_batch(read_htcds_excel(data), TODAY)
    assert [row.number for row in batch.rows if row.ok] == [3, 5]
    [broken] = batch.rows_with_errors
    assert broken.number == 4
    assert set(broken.errors) == {"Gender (prs_Gender)", "Status (cas_Status)"}
    assert "'Femme' is not an option" in broken.errors["Gender (prs_Gender)"][0]
    assert broken.errors["Status (cas_Status)"] == ["Missing data for required field."]
    assert not batch.ok  # all rows or none


def test_a_batch_of_good_rows_may_be_committed() -> None:
    batch = validate_batch(read_htcds_excel(template(presumed(), presumed())), TODAY)
    assert batch.ok


def test_rules_across_fields_are_reported_under_the_column_they_concern() -> None:
    row = read(presumed(**{"First Contact Date": "2030-01-01"}))
    [checked] = validate_batch(ImportBatch((row,), "htcds-excel"), TODAY).rows
    assert checked.errors == {
        "First Contact Date (ext_FirstContactDate)": [
            "Must not be in the future (today is 2025-06-30)."
        ]
    }


def test_a_field_the_file_has_no_column_for_says_which_column_to_add() -> None:
    data = sheet_of(
        ["Gender", "Trafficking Status", "Status"],
        ["Feminine", "Possible victim of trafficking", "Active"],
    )
    [row] = validate_batch(read_htcds_excel(data), TODAY).rows
    assert row.errors == {
        "First Contact Date (ext_FirstContactDate)": [
            "Required when vic_TraffickingStatus is PossibleVictimOfTrafficking. "
            "The file has no column for it: add one headed 'First Contact Date'."
        ]
    }


def test_an_answer_that_could_not_be_read_is_not_reported_again_as_missing() -> None:
    [row] = validate_batch(read_htcds_excel(template(presumed(Gender="Femme"))), TODAY).rows
    assert len(row.errors["Gender (prs_Gender)"]) == 1


def test_follow_up_events_are_checked_on_the_case_they_follow() -> None:
    referred = {
        "Outgoing Referral Date": "2025-03-01",
        "Reason for Outgoing Referral": "Other",
        "Outgoing Referral Scope": "Domestic",
    }
    closed = {"Status": "Closed Referred", "Case Closed Date": "2025-04-01"}
    data = template(presumed(**referred, **closed), presumed(**closed))
    good, without_referral = validate_batch(read_htcds_excel(data), TODAY).rows
    assert good.errors == {}
    assert without_referral.errors == {
        "Status (cas_Status)": [
            "ClosedReferred needs an outgoing intake.ReferralMade on the case; "
            "otherwise use Closed."
        ]
    }


def test_an_event_before_the_first_contact_is_reported_under_its_column() -> None:
    row = read(
        presumed(
            **{
                "Outgoing Referral Date": "2024-12-01",
                "Reason for Outgoing Referral": "Other",
                "Outgoing Referral Scope": "Domestic",
            }
        )
    )
    [checked] = validate_batch(ImportBatch((row,), "htcds-excel"), TODAY).rows
    assert checked.errors == {
        "Outgoing Referral Date (cas_OutgoingReferralDate)": [
            "Must not be before ext_FirstContactDate (2025-01-10)."
        ]
    }


def test_the_events_of_a_row_that_cannot_be_opened_are_still_checked_alone() -> None:
    row = read(presumed(Gender=None, **{"Outgoing Referral Date": "2025-03-01"}))
    [checked] = validate_batch(ImportBatch((row,), "htcds-excel"), TODAY).rows
    assert "Gender (prs_Gender)" in checked.errors
    assert "Reason for Outgoing Referral (cas_ReasonForOutgoingReferral)" in checked.errors
    assert "Outgoing Referral Scope (ext_OutgoingReferralScope)" in checked.errors


def test_validating_twice_adds_nothing() -> None:
    once = validate_batch(read_htcds_excel(template(presumed(Gender="Femme", Status=None))), TODAY)
    assert validate_batch(once, TODAY).rows[0].errors == once.rows[0].errors


# --- Progress ----------------------------------------------------------------------------------


def test_progress_is_reported_as_rows_are_read_and_ends_complete() -> None:
    calls: list[tuple[int, int]] = []
    read_htcds_excel(template(presumed(), numbered=250), progress=lambda *call: calls.append(call))
    assert calls[-1][0] == calls[-1][1] == 250
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(done <= total for done, total in calls)
    assert len(calls) > 1


# --- Hostile and wrong files -------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = template(presumed())
    message = refusal(read_htcds_excel, data, limits=Limits(max_bytes=len(data) - 1))
    assert "may be imported at once" in message


def test_a_file_over_the_default_20_mb_is_refused() -> None:
    message = refusal(read_upload, b"PK\x03\x04" + bytes(20 * 1024 * 1024))
    assert "at most 20 MB" in message


def zip_bomb() -> bytes:
    """Looks like a workbook; one part inflates a thousand times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b" " * (8 * 1024 * 1024))
    return buffer.getvalue()


@pytest.fixture
def openpyxl_must_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("openpyxl opened a file that should have been refused")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)


@pytest.mark.usefixtures("openpyxl_must_not_open")
def test_a_zip_bomb_is_refused_before_openpyxl_opens_it() -> None:
    message = refusal(read_htcds_excel, zip_bomb())
    assert "zip bomb" in message


@pytest.mark.usefixtures("openpyxl_must_not_open")
def test_a_workbook_too_large_when_unzipped_is_refused_before_openpyxl_opens_it() -> None:
    data = template(presumed())
    message = refusal(read_htcds_excel, data, limits=Limits(max_unzipped_bytes=10_000))
    assert "unzips to" in message


def test_more_rows_than_the_limit_are_refused() -> None:
    data = template(presumed(), presumed(), presumed())
    message = refusal(read_htcds_excel, data, limits=Limits(max_rows=2))
    assert "more than 2 case rows" in message


def test_a_sheet_with_more_blank_rows_than_anyone_types_is_refused() -> None:
    data = template(presumed(), numbered=200)
    message = refusal(read_htcds_excel, data, limits=Limits(max_sheet_rows=150))
    assert message.startswith("The sheet has more than")


def test_a_workbook_whose_declared_dimension_understates_its_rows_is_read_to_the_end() -> None:
    data = template(presumed(), presumed(), presumed())
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as rewritten:
        for item in original.infolist():
            content = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(rb"<dimension [^>]*>", b'<dimension ref="A1"/>', content)
                assert count == 1
            rewritten.writestr(item, content)
    assert [row.number for row in read_htcds_excel(target.getvalue()).rows] == [3, 4, 5]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"%PDF-1.7 ...", "a PDF document"),
        (b"Gender;Status\nFeminine;Active\n", "plain text such as CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel 97-2003 workbook (.xls)"),
        (b'[{"prs_Gender": "Feminine"}]', "JSON"),
        (b"PK\x03\x04 not really a zip", "damaged zip archive"),
    ],
)
def test_content_that_is_not_a_workbook_is_refused_saying_what_it_is(
    data: bytes, says: str
) -> None:
    assert says in refusal(read_htcds_excel, data)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_an_excel_workbook_is_refused() -> None:
    docx = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})
    ods = zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    assert "not an Excel workbook" in refusal(read_htcds_excel, docx)
    assert "OpenDocument spreadsheet" in refusal(read_htcds_excel, ods)


def test_a_workbook_with_a_damaged_part_is_refused() -> None:
    data = zipped({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<workbook"})
    assert "could not be read" in refusal(read_htcds_excel, data)


def test_a_workbook_without_an_htcds_header_is_refused() -> None:
    data = sheet_of(["Name", "Age", "Town"], ["Ana", 26, "Novi Sad"])
    assert "No sheet has an HTCDS header row" in refusal(read_htcds_excel, data)


def test_a_header_of_only_columns_that_are_never_read_is_not_a_case_sheet() -> None:
    data = sheet_of(["Case Owner", "Case Comment", "Reason for Case Closure"], ["a", "b", "c"])
    assert "No sheet has an HTCDS header row" in refusal(read_htcds_excel, data)


def test_a_template_without_case_rows_is_refused() -> None:
    assert "no case rows" in refusal(read_htcds_excel, template())


def test_an_upload_is_read_by_its_content_not_its_name() -> None:
    assert read_upload(template(presumed())).format == "htcds-excel"
    assert read_upload(json.dumps([submission()]).encode()).format == "xlsform-json"
    assert "import an HTCDS Excel workbook" in refusal(read_upload, b"%PDF-1.4")


# --- XLSForm submissions (ODK, KoboToolbox) ----------------------------------------------------


def submission(**answers: Any) -> dict[str, Any]:
    """A KoboToolbox submission of the HTCDS XLSForm, questions in groups as a form may put
    them; a change of None leaves an answer out."""
    fields = {
        "_id": 4711,
        "_uuid": "0b8e7f0e-33c5-4b0c-9a8e-2f6f4f0b1c11",
        "meta/instanceID": "uuid:0b8e7f0e-33c5-4b0c-9a8e-2f6f4f0b1c11",
        "formhub/uuid": "c1d2",
        "start": "2025-02-01T09:00:00.000+01:00",
        "__version__": "vSmt4GQA3C9uBMLPEVfgND",
        "_attachments": [],
        "_submission_time": "2025-02-01T08:10:00",
        "person/prs_First_Name": "Ana",
        "person/prs_Title": "Mira",
        "person/prs_Gender": "Feminine",
        "person/prs_Birthdate": "1999-04-02",
        "person/prs_Citizenship": "AL",
        "victim/vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "victim/vic_TraffickingStatusDecisionMakingOrg": "Police",
        "victim/vic_Methods_of_Control": "DebtBondage  FalsePromises",
        "victim/vic_TypeOfExploitation": "SexualExploitation ForcedLabour",
        "victim/vic_TypeOfSexExploitation": "Prostitution",
        "con_Consent": "TRUE",
        "cas_Status": "Active",
        "ext_IdentificationDate": "2025-02-01",
        **answers,
    }
    return {name: value for name, value in fields.items() if value is not None}


def read_submissions(*submissions: Any, shape: str = "kobo") -> ImportBatch:
    export: Any = list(submissions)
    if shape == "kobo":
        export = {"count": len(submissions), "next": None, "results": export}
    return read_xlsform_submissions(json.dumps(export).encode())


def test_kobo_results_with_groups_and_select_multiple_are_read() -> None:
    batch = read_submissions(submission())
    row = only_row(batch)
    assert batch.format == "xlsform-kobo"
    assert row.command is not None
    assert row.command["prs_Gender"] == "Feminine"
    assert row.command["prs_Citizenship"] == ["AL"]
    assert row.command["vic_MethodsOfControl"] == ["DebtBondage", "FalsePromises"]
    assert row.command["vic_TypeOfExploitation"] == ["SexualExploitation", "ForcedLabour"]
    assert row.command["con_Consent"] is True
    assert row.errors == {}


def test_the_xlsform_s_trailing_space_choice_is_read_as_debt_bondage() -> None:
    row = only_row(
        read_submissions(submission(**{"victim/vic_Methods_of_Control": "DebtBondage "}))
    )
    assert row.command is not None
    assert row.command["vic_MethodsOfControl"] == ["DebtBondage"]


def test_submission_metadata_is_ignored_but_the_instance_id_is_the_source_reference() -> None:
    batch = read_submissions(submission())
    row = only_row(batch)
    assert row.source_ref == "uuid:0b8e7f0e-33c5-4b0c-9a8e-2f6f4f0b1c11"
    written = json.dumps([row.command, row.identifiers])
    assert "4711" not in written and "vSmt4GQA3C9uBMLPEVfgND" not in written
    assert batch.ignored_columns == {}


def test_the_xlsform_s_names_are_split_off_as_identifiers() -> None:
    row = only_row(read_submissions(submission()))
    # prs_Title is labelled "Second Name" in the XLSForm, so it is treated as a name.
    assert row.identifiers == {"prs_FirstName": "Ana", "prs_Title": "Mira"}
    assert "Ana" not in json.dumps(row.command)


def test_errors_in_a_submission_name_the_question_as_the_export_does() -> None:
    batch = read_submissions(submission(), submission(**{"person/prs_Gender": "Female"}))
    checked = validate_batch(batch, TODAY)
    assert checked.rows[0].ok
    assert checked.rows[1].number == 2
    assert list(checked.rows[1].errors) == ["person/prs_Gender (prs_Gender)"]


def test_a_free_text_incoming_referral_reason_is_read_as_other_and_its_text_dropped() -> None:
    row = only_row(
        read_submissions(
            submission(
                cas_IncomingReferralDate="2025-02-02",
                cas_ReasonForIncomingReferral="sent by the police in Subotica",
                ext_IncomingReferralScope="Domestic",
            )
        )
    )
    assert row.events == (
        {
            "type": "ReferralMade",
            "direction": "Incoming",
            "date": "2025-02-02",
            "reason": "Other",
            "scope": "Domestic",
        },
    )
    assert "Subotica" not in json.dumps(row.events)


def test_a_plain_list_of_submissions_with_odata_groups_is_read() -> None:
    odata = {
        "__id": "uuid:77",
        "__system": {"submitterName": "enumerator"},
        "person": {"prs_Gender": "Masculine"},
        "victim": {"vic_TraffickingStatus": "PossibleVictimOfTrafficking"},
        "cas_Status": "Active",
        "ext_FirstContactDate": "2025-01-10",
    }
    batch = read_xlsform_submissions(json.dumps({"value": [odata]}).encode())
    row = only_row(batch)
    assert (batch.format, row.source_ref) == ("xlsform-odata", "uuid:77")
    assert row.command is not None
    assert row.command["prs_Gender"] == "Masculine"
    assert validate_batch(batch, TODAY).ok


def test_a_question_answered_twice_is_reported() -> None:
    row = only_row(read_submissions(submission(prs_Gender="Masculine")))
    assert row.errors == {"prs_Gender": ["Answered twice (also as person/prs_Gender)."]}


def test_a_submission_that_is_not_an_object_is_reported_and_the_others_read() -> None:
    batch = read_submissions(submission(), "not a submission")
    assert batch.rows[0].errors == {}
    assert batch.rows[1].command is None
    assert batch.rows[1].errors == {
        "submission": ["Must be a JSON object of question names and answers."]
    }
    assert not validate_batch(batch, TODAY).ok


def test_progress_is_reported_for_each_submission() -> None:
    calls: list[tuple[int, int]] = []
    data = json.dumps([submission(), submission()]).encode()
    read_xlsform_submissions(data, progress=lambda *call: calls.append(call))
    assert calls == [(1, 2), (2, 2)]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"results": 3}', "Expected a JSON list of submissions"),
        (b"[{]", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[]", "no submissions"),
        (b"\xff\xfe[\x00]\x00", "not a JSON list"),
    ],
)
def test_json_that_is_not_a_submission_export_is_refused(data: bytes, says: str) -> None:
    assert says in refusal(read_xlsform_submissions, data)


def test_groups_nested_deeper_than_any_form_s_are_skipped_not_followed() -> None:
    nested: dict[str, Any] = {"prs_Gender": "Masculine"}
    for _ in range(900):
        nested = {"group": nested}
    row = only_row(read_submissions(submission(**{"deep": nested})))
    assert row.command is not None
    assert row.command["prs_Gender"] == "Feminine"


def test_more_submissions_than_the_limit_are_refused() -> None:
    data = json.dumps([submission()] * 3).encode()
    message = refusal(read_xlsform_submissions, data, limits=Limits(max_rows=2))
    assert "3 submissions" in message


def test_a_workbook_is_refused_by_the_submissions_reader() -> None:
    assert "a zip archive" in refusal(read_xlsform_submissions, template(presumed()))


# --- The real HTCDS artefacts ------------------------------------------------------------------


@needs_htcds
@pytest.mark.parametrize("path", [PLAIN_TEMPLATE, VALIDATION_TEMPLATE], ids=["plain", "validation"])
def test_the_header_rows_built_here_are_those_of_the_real_templates(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(max_row=2, max_col=39, values_only=True))
    assert rows == [TEMPLATE_NAMES, TEMPLATE_LABELS]


@needs_htcds
@pytest.mark.parametrize(
    ("path", "sheet", "variant"),
    [
        (PLAIN_TEMPLATE, "Sheet1", "htcds-excel"),
        (VALIDATION_TEMPLATE, "Case Sheet", "htcds-excel-validation"),
    ],
    ids=["plain", "validation"],
)
def test_rows_typed_into_the_real_templates_are_read_and_validated(
    path: Path, sheet: str, variant: str
) -> None:
    case = {
        "First Name": "Ana",
        "Mailing Street": "Bulevar 12",
        "Gender": "Feminine",
        "Birthdate": datetime(1999, 4, 2),
        "Citizenship": "Serbia",
        "Trafficking Status": "Actual victim of trafficking",
        "Trafficking Status Decision Making Organization": "Police",
        "Type of Exploitation": "Forced labour",
        "Forced Labour Industry": "Wholesale and retail trade; repair of motor vehicles and "
        "motorcycles",
        "Methods of Control": "Debt bondage ",
        "Status": "Active",
    }
    batch = read_htcds_excel(real_template(path, sheet, case))
    row = only_row(batch)
    assert (batch.format, row.source_ref) == (variant, f"{sheet}!3")
    assert row.identifiers == {"prs_FirstName": "Ana", "prs_MailingStreet": "Bulevar 12"}
    assert row.command is not None
    assert row.command["vic_ForcedLabourIndustry"] == [
        "G_WholesaleAndRetailTradeRepairOfMotorVehicles"
    ]
    [checked] = validate_batch(batch, TODAY).rows
    # HTCDS has no identification date; the template cannot open an identified case alone.
    assert list(checked.errors) == ["Identification Date (ext_IdentificationDate)"]


def validation_lookups() -> Iterator[tuple[str, list[str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(VALIDATION_TEMPLATE, read_only=True)
    columns = list(zip(*book["validation"].iter_rows(min_row=3, values_only=True), strict=False))
    for column in columns:
        if column[0] is not None:
            yield column[0], [value for value in column[1:] if isinstance(value, str)]


LOOKUP_LISTS = {
    "Gender": GENDER,
    "Method of Recruitment": RECRUITMENT,
    "Methods of Control": CONTROL,
    "Type of Exploitation": EXPLOITATION,
    "Forced Labour Industry": INDUSTRY,
    "Type of Sex Exploitation": SEX_EXPLOITATION,
    "Reason for Incoming Referral": REASON,
    "Reason for Outgoing Referral": REASON,
    "Trafficking Status": TRAFFICKING_STATUS,
    "Trafficking Status Decision Making Organization": DECISION_MAKING_ORG,
}


@needs_htcds
def test_every_drop_down_label_of_the_validation_template_reads_as_a_distinct_code() -> None:
    lookups = dict(validation_lookups())
    for name, options in LOOKUP_LISTS.items():
        found = [options.find(label) for label in lookups[name]]
        assert None not in found, name
        assert (
            len(set(found)) == len(found) == len(options.codes) - (name == "Type of Exploitation")
        )
    assert lookups["Status"] == ["Active", "Follow up", "Closed", "Closed Referred"]


@needs_htcds
def test_the_country_names_are_those_of_the_validation_template() -> None:
    lookups = dict(validation_lookups())
    assert dict(zip(lookups["Country Code"], lookups["Country"], strict=True)) == COUNTRY_NAMES


def xlsform_choices() -> dict[str, list[tuple[str, str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(HTCDS / "htcds_xlsform.xlsx", read_only=True)
    choices: dict[str, list[tuple[str, str]]] = {}
    for list_name, name, label in book["choices"].iter_rows(min_row=2, max_col=3, values_only=True):
        if list_name:
            choices.setdefault(list_name, []).append((name, label))
    return choices


@needs_htcds
@pytest.mark.parametrize(
    ("list_name", "options"),
    [
        ("gender", GENDER),
        ("methodofrecruitment", RECRUITMENT),
        ("methodsofcontrol", CONTROL),
        ("typeofexploitation", EXPLOITATION),
        ("forcedlabourindustry", INDUSTRY),
        ("typeofsexexploitation", SEX_EXPLOITATION),
        ("traffickingstatus", TRAFFICKING_STATUS),
        ("traffickingstatusdecisionmakingorg", DECISION_MAKING_ORG),
    ],
)
def test_every_xlsform_choice_reads_as_its_code_by_name_and_by_label(
    list_name: str, options: Options
) -> None:
    for name, label in xlsform_choices()[list_name]:
        expected = codes.XLSFORM_CHOICE_FIXES.get(name, name)
        assert options.find(name) == expected
        assert options.find(label) == expected
