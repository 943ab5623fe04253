"""Exporting case records: one row per case in a stable column order, multi-selects joined with
"; ", nothing that identifies a person, the same bytes for the same cases, and an HTCDS workbook
that the import reads back to the same codes."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from typing import Any

import openpyxl

from services.intake.events import CaseOpened
from services.intake.exporting import (
    EXPORTED,
    EXPORTS,
    HEADER,
    LABELS,
    WRITTEN_AT,
    ExportedCase,
    csv_bytes,
    htcds_bytes,
    template_label,
    xlsx_bytes,
)
from services.intake.importing import IDENTIFYING_FIELDS, read_htcds_excel, validate_batch
from services.intake.importing.columns import BY_FIELD
from services.intake.importing.countries import COUNTRY_NAMES
from tests.unit.services.intake.test_cases import TODAY, Stream, identified, presumed

# Every picklist with a label table, with codes whose labels differ from them (the ISIC titles
# hold a ";" of their own, the separator between answers).
RICH = presumed(
    prs_Citizenship=["MK", "XK"],
    vic_TraffickingStatusDecisionMakingOrg="NonPoliceGovernmentalOrganization",
    vic_TypeOfExploitation=["ForcedLabour", "SexualExploitation", "ext_ForcedCriminality"],
    vic_ForcedLabourIndustry=["E_WaterSupplySewerageWasteManagement", "F_Construction"],
    vic_TypeOfSexExploitation=["RemoteInteractiveServices"],
    vic_MethodsOfControl=["DebtBondage", "WithholdsDocuments"],
    vic_MethodOfRecruitment=["ThroughOnlineSocialNetworks"],
    vic_RecruitmentWebsitesAndApps=["FacebookMessenger"],
    ext_CountryOfRecruitment=["MK"],
    ext_CountryOfExploitation=["DE", "AT"],
    con_Consent=True,
    ext_NeedsInterpretation=False,
    vic_AgeWhenTrafficked=24,
)
IDENTIFYING = {"prs_FirstName": "Ana", "prs_SecondName": "Petrović", "prs_MobilePhone": "07012345"}


def exported(case_id: str, command: dict[str, Any], *events: dict[str, Any]) -> ExportedCase:
    stream = Stream(command)
    for event in events:
        stream.record(**event)
    return ExportedCase.of(case_id, stream.case)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def sheet_rows(data: bytes) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.values)


def test_the_columns_are_the_case_id_then_the_opening_fields_in_import_order() -> None:
    opening = set(CaseOpened().fields) - {"person_id"}
    assert HEADER[0] == "case_id"
    assert set(HEADER[1:]) == opening | {"ext_CaseClosedDate"}
    assert list(HEADER[1:]) == [column.field for column in EXPORTED]
    assert len(set(HEADER)) == len(HEADER)


def test_a_csv_has_one_row_per_case_in_case_id_order_with_crlf_line_ends() -> None:
    data = csv_bytes([exported("MK-b", presumed()), exported("MK-a", identified())])
    assert data.startswith(b"case_id,con_Consent,") and data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    rows = csv_rows(data)
    assert [row["case_id"] for row in rows] == ["MK-a", "MK-b"]
    assert rows[0]["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"
    assert rows[1]["prs_Birthdate"] == "1999-04-02" and rows[1]["ext_IdentificationDate"] == ""


def test_multi_selects_are_joined_with_a_semicolon_and_a_space() -> None:
    (row,) = csv_rows(csv_bytes([exported("MK-1", RICH)]))
    assert (
        row["vic_TypeOfExploitation"] == "ForcedLabour; SexualExploitation; ext_ForcedCriminality"
    )
    assert row["prs_Citizenship"] == "MK; XK"
    assert (row["con_Consent"], row["ext_NeedsInterpretation"]) == ("true", "false")
    (_, cells) = sheet_rows(xlsx_bytes([exported("MK-1", RICH)]))
    assert cells[HEADER.index("vic_MethodsOfControl")] == "DebtBondage; WithholdsDocuments"


def test_a_case_is_exported_as_it_stands_now_not_as_it_was_opened() -> None:
    case = exported(
        "MK-1",
        presumed(),
        {"name": "TraffickingStatusDecided", "date": "2025-02-20",
         "status": "ActualVictimOfTrafficking", "body_type": "Police"},
        {"name": "CaseClosed", "ext_CaseClosedDate": "2025-06-01", "cas_Status": "Closed"},
    )  # fmt: skip
    (row,) = csv_rows(csv_bytes([case]))
    assert row["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"
    assert row["ext_IdentificationDate"] == "2025-02-20"
    assert (row["cas_Status"], row["ext_CaseClosedDate"]) == ("Closed", "2025-06-01")


def test_no_direct_identifier_or_person_id_is_exported_even_when_the_fields_hold_one() -> None:
    case = exported("MK-1", presumed())
    leaky = ExportedCase(case.case_id, {**case.fields, **IDENTIFYING}, case.status,
                         case.trafficking_status)  # fmt: skip
    person_id = str(case.fields["person_id"])
    assert not set(IDENTIFYING_FIELDS) & {column.field for column in EXPORTED}
    for export in EXPORTS.values():
        data = export.write([leaky])
        text = data.decode() if export.extension == "csv" else str(sheet_rows(data))
        for secret in (*IDENTIFYING.values(), person_id, *IDENTIFYING):
            assert secret not in text, (export.extension, secret)


def test_the_xlsx_table_has_typed_dates_numbers_and_flags() -> None:
    header, cells = sheet_rows(xlsx_bytes([exported("MK-1", RICH)]))
    assert header == HEADER
    row = dict(zip(header, cells, strict=True))
    assert row["prs_Birthdate"] == datetime(1999, 4, 2)
    assert (row["vic_AgeWhenTrafficked"], row["con_Consent"]) == (24, True)
    assert row["prs_Gender"] == "Feminine"  # codes, not labels, in the plain table


def test_the_htcds_workbook_has_the_templates_two_header_rows_and_its_labels() -> None:
    names, titles, cells = sheet_rows(htcds_bytes([exported("MK-1", RICH)]))
    assert list(names[1:]) == [column.field for column in EXPORTED]
    assert list(titles[1:]) == [column.label for column in EXPORTED]
    row = dict(zip(names, cells, strict=True))
    assert row["vic_TypeOfExploitation"] == "Forced labour; Sexual exploitation; Forced criminality"
    assert row["prs_Citizenship"] == "North Macedonia; XK"
    assert row["vic_TraffickingStatus"] == "Possible victim of trafficking"
    book = openpyxl.load_workbook(io.BytesIO(htcds_bytes([])))
    assert book.sheetnames == ["Sheet1"] and book.active.row_dimensions[1].hidden


def test_an_htcds_export_imports_back_to_the_same_codes() -> None:
    cases = [
        exported("MK-1", RICH),
        exported(
            "MK-2",
            identified(
                prs_Birthdate=None, ext_EstimatedAge=15, ext_IsChild=True, ext_Unaccompanied=True
            ),
        ),
        exported(
            "MK-3",
            presumed(),
            {
                "name": "CaseClosed",
                "ext_CaseClosedDate": "2025-06-01",
                "cas_Status": "Closed",
            },
        ),
    ]
    batch = validate_batch(read_htcds_excel(htcds_bytes(cases)), TODAY)
    assert batch.ok, [row.errors for row in batch.rows]
    for case, row in zip(cases, batch.rows, strict=True):
        assert row.command is not None and not row.identifiers
        sent = {name: value for name, value in case.values().items() if value is not None}
        closure = sent.pop("ext_CaseClosedDate", None)
        if closure is not None:  # a closed case is opened Active and closed by an event
            assert row.events == (
                {"type": "CaseClosed", "cas_Status": sent.pop("cas_Status"),
                 "ext_CaseClosedDate": closure},
            )  # fmt: skip
            assert row.command.pop("cas_Status") == "Active"
        assert {name: row.command[name] for name in sent} == sent
    assert list(batch.ignored_columns) == ["Case ID"]


def test_every_label_written_reads_back_as_its_code() -> None:
    for field, table in LABELS.items():
        column = BY_FIELD[field]
        for code in table:
            read = column.read(template_label(field, code))
            assert read == ([code] if column.multiple else code), (field, code)
    for code in COUNTRY_NAMES:
        assert BY_FIELD["prs_Citizenship"].read(template_label("prs_Citizenship", code)) == [code]


def test_the_same_cases_give_the_same_bytes_in_any_order_with_no_clock_in_them() -> None:
    cases = [exported("MK-2", RICH), exported("MK-1", identified())]
    for export in EXPORTS.values():
        assert export.write(cases) == export.write(cases[::-1]), export.extension
    archive = zipfile.ZipFile(io.BytesIO(htcds_bytes(cases)))
    assert {entry.date_time for entry in archive.infolist()} == {WRITTEN_AT.timetuple()[:6]}
    assert str(WRITTEN_AT.year) in archive.read("docProps/core.xml").decode()


def test_an_export_of_no_cases_is_a_header_alone() -> None:
    assert csv_rows(csv_bytes([])) == []
    assert sheet_rows(xlsx_bytes([])) == [HEADER]
