"""Exporting the case records a caller may see: as CSV, as a plain XLSX table, or as a workbook
laid out like the HTCDS 2.0 plain Excel template, which `importing.read_htcds_excel` reads back.

Pure functions, no I/O. A case is exported as it stands now: its effective opening fields
(corrections applied) with the case-level facts later events changed (status, trafficking
status and its decision-making organisation, first contact, identification, closure) laid
over them. Only the columns in `EXPORTED` are written; nothing else in a payload is, so direct
identifiers (sealed in the person vault, never in a payload) cannot reach a file even if one
were to turn up in the fields. The same cases give the same bytes: rows go in case-id order and
the workbooks carry no timestamps.

    data = EXPORTS["htcds"].write([ExportedCase.of(case_id, case), ...])

Human Trafficking Case Data Standard (HTCDS) by IOM, CC BY 4.0.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.writer.excel import ExcelWriter

from services.intake.cases import Case
from services.intake.importing import labels
from services.intake.importing.columns import (
    CLOSURE,
    COLUMNS,
    COMMAND,
    IDENTIFYING_FIELDS,
    Column,
)
from services.intake.importing.countries import COUNTRY_NAMES
from services.intake.importing.values import a_date

CASE_ID, CASE_ID_LABEL = "ext_CaseId", "Case ID"
SEPARATOR = "; "  # between the answers of a multi-select, as the template's typed cells have them
# The workbooks' one time, in the document properties and on every zip entry: the earliest a
# zip entry can carry. No clock goes into the bytes.
WRITTEN_AT = datetime(1980, 1, 1)

# The columns of an export: the case's fields as the HTCDS import reads them, in its order.
# Identifying columns (goes_to IDENTIFIER) and referral columns are not among them.
EXPORTED: tuple[Column, ...] = tuple(c for c in COLUMNS if c.goes_to in (COMMAND, CLOSURE))
if any(column.field in IDENTIFYING_FIELDS for column in EXPORTED):
    raise ValueError("a direct identifier would be exported")

# The template's labels for each picklist's codes (labels.py, read the other way); a code
# without a label is its own label.
LABELS: dict[str, Mapping[str, str]] = {
    "prs_Gender": labels.GENDER,
    "vic_TraffickingStatus": labels.TRAFFICKING_STATUS,
    "vic_TraffickingStatusDecisionMakingOrg": labels.DECISION_MAKING_ORG,
    "vic_MethodOfRecruitment": labels.METHOD_OF_RECRUITMENT,
    "vic_MethodsOfControl": labels.METHODS_OF_CONTROL,
    "vic_TypeOfExploitation": labels.TYPE_OF_EXPLOITATION,
    "vic_ForcedLabourIndustry": labels.FORCED_LABOUR_INDUSTRY,
    "vic_TypeOfSexExploitation": labels.TYPE_OF_SEX_EXPLOITATION,
    "vic_RecruitmentWebsitesAndApps": labels.WEBSITES_AND_APPS,
    "vic_ExploitationWebsitesAndApps": labels.WEBSITES_AND_APPS,
    "cas_Status": labels.CASE_STATUS,
}
# Columns of country codes, written as the validation template's country names.
COUNTRY_FIELDS = ("prs_Citizenship", "ext_CountryOfRecruitment", "ext_CountryOfExploitation")
DATE_FIELDS = tuple(column.field for column in EXPORTED if column.read is a_date)
HEADER = ("case_id", *(column.field for column in EXPORTED))  # of the CSV and XLSX tables


@dataclass(frozen=True)
class ExportedCase:
    """One case as exported: `fields` are its effective opening fields; the others are where
    the case stands now, as its later events left it."""

    case_id: str
    fields: Mapping[str, Any]
    status: str
    trafficking_status: str
    decision_making_org: str | None = None
    first_contact_date: date | None = None
    detecting_agency_type: str | None = None
    identification_date: date | None = None
    closed_date: date | None = None

    @classmethod
    def of(cls, case_id: str, case: Case) -> ExportedCase:
        return cls(
            case_id,
            dict(case.history[0].payload),
            case.status,
            case.trafficking_status,
            case.decision_making_org,
            case.first_contact_date,
            case.detecting_agency_type,
            case.identification_date,
            case.closed_date,
        )

    def values(self) -> dict[str, Any]:
        """The value of each exported column (None where the case has none)."""
        now = {
            "cas_Status": self.status,
            "vic_TraffickingStatus": self.trafficking_status,
            "vic_TraffickingStatusDecisionMakingOrg": self.decision_making_org,
            "ext_FirstContactDate": self.first_contact_date,
            "ext_DetectingAgencyType": self.detecting_agency_type,
            "ext_IdentificationDate": self.identification_date,
            "ext_CaseClosedDate": self.closed_date,
        }
        merged = {**self.fields, **{name: value for name, value in now.items() if value}}
        return {column.field: _plain(merged.get(column.field)) for column in EXPORTED}


def _plain(value: Any) -> Any:
    """JSON-shaped: dates as ISO text, as payloads hold them."""
    return value.isoformat() if isinstance(value, date) else value


def _in_order(cases: Iterable[ExportedCase]) -> list[ExportedCase]:
    return sorted(cases, key=lambda case: case.case_id)


# --- CSV and XLSX: codes, one header row of our field names -----------------------------------


def csv_bytes(cases: Iterable[ExportedCase]) -> bytes:
    """RFC 4180: comma-separated, CRLF line ends, fields quoted only when they must be; UTF-8."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for case in _in_order(cases):
        writer.writerow([case.case_id, *(_text(v) for v in case.values().values())])
    return buffer.getvalue().encode()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return SEPARATOR.join(map(str, value))
    return str(value)


def xlsx_bytes(cases: Iterable[ExportedCase]) -> bytes:
    """The CSV's table as a workbook, with dates, numbers and flags as typed cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(HEADER)
    for case in _in_order(cases):
        values = case.values()
        sheet.append(
            [case.case_id, *(_cell(name, value, _codes) for name, value in values.items())]
        )
    sheet.freeze_panes = "A2"
    _date_format(sheet, first_row=2, first_column=2)
    return _saved(book)


# --- HTCDS: the plain template's layout, labels for codes -------------------------------------


def htcds_bytes(cases: Iterable[ExportedCase]) -> bytes:
    """Sheet1 as in `HTCDS Excel Spreadsheet v2.0.xlsx`: a hidden row 1 of system names, a row 2
    of labels, a case a row from row 3. Column A holds the case id, where the template numbers
    its rows; the import lists it as a column it does not read."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([CASE_ID, *(column.field for column in EXPORTED)])
    sheet.append([CASE_ID_LABEL, *(column.label for column in EXPORTED)])
    sheet.row_dimensions[1].hidden = True
    for case in _in_order(cases):
        values = case.values()
        sheet.append(
            [case.case_id, *(_cell(name, value, template_label) for name, value in values.items())]
        )
    _date_format(sheet, first_row=3, first_column=2)
    return _saved(book)


def template_label(field: str, code: str) -> str:
    """How the HTCDS template shows `code` in the column `field`."""
    if field in COUNTRY_FIELDS:
        return COUNTRY_NAMES.get(code, code)  # XK: the artefacts have no Kosovo; the code reads
    return LABELS.get(field, {}).get(code, code)


def _codes(field: str, code: str) -> str:
    return code


def _cell(field: str, value: Any, word: Callable[[str, str], str]) -> Any:
    """A typed cell: a date, number or flag as itself, a code as `word` spells it, several
    codes joined by the separator."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, list):
        return SEPARATOR.join(word(field, str(code)) for code in value)
    if field in DATE_FIELDS:
        return date.fromisoformat(str(value))
    return word(field, str(value))


def _date_format(sheet: Any, first_row: int, first_column: int) -> None:
    for row in sheet.iter_rows(min_row=first_row, min_col=first_column):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def _saved(book: Any) -> bytes:
    """The workbook's bytes with no clock in them: openpyxl's `save` stamps the document's
    modified time, and zip entries the time they were written, so the writer is called
    directly and its entries written again at WRITTEN_AT."""
    book.properties.created = book.properties.modified = WRITTEN_AT
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(written) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            stamped = zipfile.ZipInfo(entry.filename, date_time=WRITTEN_AT.timetuple()[:6])
            stamped.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stamped, source.read(entry))
    return fixed.getvalue()


# --- Formats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    write: Callable[[Sequence[ExportedCase]], bytes]
    media_type: str
    extension: str


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = {
    "csv": ExportFormat(csv_bytes, "text/csv; charset=utf-8", "csv"),
    "xlsx": ExportFormat(xlsx_bytes, XLSX_TYPE, "xlsx"),
    "htcds": ExportFormat(htcds_bytes, XLSX_TYPE, "htcds.xlsx"),
}
