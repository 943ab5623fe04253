"""The Excel workbook of a data request: the institution fills it in and it reads back as the
body of `POST /api/v1/submissions` (the intake import reads HTCDS case workbooks only, not
aggregate figures, so the workbook follows the submission's own fields).

Sheets:
- `Request`: what the submission is about (country, organisation, period — not to be changed)
  and the document the figures come from (title, reference, date — to fill in);
- `Figures`: one row per count or amount field and breakdown cell: `field`, `breakdown`,
  `category`, `value` (to fill in; a blank value is not submitted), with the unit and the
  indicators it serves;
- one sheet per `agg_` records field: its name in A1, the attributes in row 2, a record a row.

A field left blank is not submitted, so a workbook filled in part answers the request in part.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.indicators.catalogue import AggregateField, Catalogue
from services.indicators.cycles import Cycle, DataRequest, aggregate_fields_of
from shared.errors import ValidationProblem

REQUEST_SHEET, FIGURES_SHEET = "Request", "Figures"
FIGURE_COLUMNS = ("field", "breakdown", "category", "value", "unit", "indicators")
TO_FILL = PatternFill("solid", fgColor="FFF2CC")
BOLD = Font(bold=True)
# the Request sheet: key, value, what it is (values of the first six are set, not filled in)
FIXED_KEYS = ("request_id", "country", "organisation_id", "organisation", "period", "deadline")
DOCUMENT_KEYS = ("document_title", "document_reference", "document_dated")
TRUE, FALSE = ("true", "yes", "1", "da", "po", "да"), ("false", "no", "0", "ne", "jo", "не")


def breakdown_codes(catalogue: Catalogue, dimension: str) -> tuple[str, ...]:
    """The codes an institution submits a breakdown by: the source codes of a dimension
    derived from a case field (`SexualExploitation`, which the values computer groups), or the
    categories of a breakdown that exists only in submissions (`female`)."""
    disaggregation = catalogue.disaggregations[dimension]
    if disaggregation.origin == "aggregate":
        return disaggregation.categories
    for source in disaggregation.derived_from:
        found = catalogue.fields.get(source)
        if found is not None and found.codes:
            return found.codes
    return tuple(c for c in disaggregation.categories if c != "unknown")


def request_workbook(catalogue: Catalogue, cycle: Cycle, request: DataRequest) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = REQUEST_SHEET
    _request_sheet(sheet, cycle, request)
    figures = book.create_sheet(FIGURES_SHEET)
    figures.append(FIGURE_COLUMNS)
    for cell in figures[1]:
        cell.font = BOLD
    serves = _indicators_by_field(catalogue, request)
    for name in request.fields:
        spec = catalogue.aggregate_fields[name]
        if spec.type == "records":
            _records_sheet(book.create_sheet(_sheet_title(name)), spec)
            continue
        unit = spec.unit_of_count or ("EUR" if spec.type == "amount_eur" else spec.type)
        rows = [("", "")] + [(d, code) for d in spec.breakdowns
                             for code in breakdown_codes(catalogue, d)]  # fmt: skip
        for dimension, code in rows:
            figures.append((name, dimension, code, None, unit, ", ".join(serves[name])))
            figures.cell(figures.max_row, 4).fill = TO_FILL
    for column, width in zip("ABCDEF", (40, 18, 32, 12, 12, 20), strict=True):
        figures.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _request_sheet(sheet: Worksheet, cycle: Cycle, request: DataRequest) -> None:
    rows: list[tuple[str, Any, str]] = [
        ("request_id", request.request_id, "Do not change"),
        ("country", cycle.country, "Do not change"),
        ("organisation_id", request.organisation_id, "Do not change"),
        ("organisation", request.organisation_name, "Do not change"),
        ("period", cycle.period, "The reference year; do not change"),
        ("deadline", request.deadline, "Answer by this date"),
        ("document_title", None, "Required: the document the figures come from"),
        ("document_reference", None, "Its reference number or URL"),
        ("document_dated", None, "Its date (YYYY-MM-DD)"),
    ]
    sheet.append(("key", "value", "note"))
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        sheet.append(row)
        if row[0] in DOCUMENT_KEYS:
            sheet.cell(sheet.max_row, 2).fill = TO_FILL
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 44
    sheet.column_dimensions["C"].width = 48


def _records_sheet(sheet: Worksheet, spec: AggregateField) -> None:
    hints = "; ".join(f"{a}: {', '.join(k.codes) if k.codes else k.kind}"
                      for a, k in spec.attributes.items())  # fmt: skip
    sheet.append((spec.name, f"One record a row from row 3 ({hints})"))
    sheet.append(tuple(spec.attributes))
    for number, attribute in enumerate(spec.attributes, start=1):
        sheet.cell(2, number).font = BOLD
        sheet.cell(3, number).fill = TO_FILL
        sheet.column_dimensions[get_column_letter(number)].width = max(18, len(attribute) + 2)


def _sheet_title(name: str) -> str:
    return name[:31]  # Excel's limit; the full name is in A1


def _indicators_by_field(catalogue: Catalogue, request: DataRequest) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {name: [] for name in request.fields}
    for code in request.indicators:
        for name in aggregate_fields_of(catalogue.indicator(code)):
            if name in found:
                found[name].append(code)
    return found


# --- reading a filled workbook back ---------------------------------------------------------
def submission_from_workbook(catalogue: Catalogue, data: bytes) -> dict[str, Any]:
    """The body of `POST /api/v1/submissions` a filled workbook stands for; every problem is
    named by its sheet and cell before one ValidationProblem is raised."""
    try:
        book = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        problem = {"file": [f"Not readable: {type(exc).__name__}."]}
        raise ValidationProblem("the file is not an Excel workbook (.xlsx)", problem) from None
    errors: dict[str, list[str]] = {}
    if REQUEST_SHEET not in book.sheetnames or FIGURES_SHEET not in book.sheetnames:
        raise ValidationProblem("the workbook is not one generated for a data request",
                                {"file": [f"Needs the sheets {REQUEST_SHEET} and"
                                          f" {FIGURES_SHEET}."]})  # fmt: skip
    keys = {str(row[0]): (row[1], n) for n, row in
            enumerate(book[REQUEST_SHEET].iter_rows(min_row=2, values_only=True), start=2)
            if row and row[0]}  # fmt: skip
    figures: dict[str, Any] = {}
    _read_figures(catalogue, book[FIGURES_SHEET], figures, errors)
    for sheet in book.worksheets:
        name = sheet.cell(1, 1).value
        if isinstance(name, str) and name in catalogue.aggregate_fields:
            _read_records(catalogue.aggregate_fields[name], sheet, figures, errors)
    document = _document(keys, errors)
    for key in ("country", "organisation_id", "period"):
        if not _text(keys.get(key, (None, 0))[0]):
            _add(errors, f"{REQUEST_SHEET}!B", f"{key} is missing: use the workbook as generated.")
    if errors:
        raise ValidationProblem(
            f"the workbook has invalid cells: {', '.join(sorted(errors))}", errors
        )
    return {"country": _text(keys["country"][0]),
            "organisation_id": _text(keys["organisation_id"][0]),
            "period": _text(keys["period"][0]), "figures": figures,
            "document": document}  # fmt: skip


def _read_figures(
    catalogue: Catalogue, sheet: Worksheet, figures: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    for number, row in _rows(sheet, 2):
        name, dimension, category, value = (list(row) + [None] * 4)[:4]
        if not name or value is None or value == "":
            continue
        where = f"{FIGURES_SHEET}!D{number}"
        spec = catalogue.aggregate_fields.get(str(name))
        if spec is None or spec.type == "records":
            _add(errors, f"{FIGURES_SHEET}!A{number}", "Not a count or amount field.")
            continue
        amount = _amount(value, whole=spec.type == "count")
        if amount is None:
            _add(errors, where, "A whole number, 0 or more." if spec.type == "count"
                 else "An amount in EUR, 0 or more.")  # fmt: skip
            continue
        figure = figures.setdefault(str(name), {})
        if not dimension:
            figure["total"] = amount
        else:
            cells = figure.setdefault("breakdowns", {}).setdefault(str(dimension), {})
            cells[str(category)] = amount
    for name, figure in figures.items():
        if "total" not in figure:
            _add(errors, f"{FIGURES_SHEET}!{name}", "Breakdown cells need the total too.")


def _read_records(
    spec: AggregateField, sheet: Worksheet, figures: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    header = [str(c) if c else "" for c in next(sheet.iter_rows(min_row=2, max_row=2,
                                                                values_only=True), ())]  # fmt: skip
    records = []
    for number, row in _rows(sheet, 3):
        record: dict[str, Any] = {}
        for column, value in enumerate(row):
            attribute = header[column] if column < len(header) else ""
            kind = spec.attributes.get(attribute)
            if kind is None or value is None or value == "":
                continue
            converted = _attribute(kind.kind, value)
            if converted is None:
                _add(errors, f"{sheet.title}!{sheet.cell(number, column + 1).coordinate}",
                     f"Must be {kind.kind}.")  # fmt: skip
                continue
            record[attribute] = converted
        if record:
            records.append(record)
    if records:
        figures[spec.name] = {"records": records}


def _rows(sheet: Worksheet, first: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, row in enumerate(sheet.iter_rows(min_row=first, values_only=True), start=first):
        if any(value not in (None, "") for value in row):
            yield number, row


def _document(keys: Mapping[str, tuple[Any, int]], errors: dict[str, list[str]]) -> dict:
    title, row = keys.get("document_title", (None, 0))
    document: dict[str, Any] = {}
    if not _text(title):
        _add(errors, f"{REQUEST_SHEET}!B{row or 8}", "Required: the document's title.")
    else:
        document["title"] = _text(title)
    reference = _text(keys.get("document_reference", (None, 0))[0])
    if reference:
        document["reference"] = reference
    dated, row = keys.get("document_dated", (None, 0))
    if isinstance(dated, datetime):
        dated = dated.date()
    if isinstance(dated, str) and dated.strip():
        try:
            dated = date.fromisoformat(dated.strip())
        except ValueError:
            _add(errors, f"{REQUEST_SHEET}!B{row}", "A date (YYYY-MM-DD).")
            dated = None
    if isinstance(dated, date):
        document["dated"] = dated.isoformat()
    return document


def _amount(value: Any, whole: bool) -> int | float | None:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    if whole:
        return int(value) if float(value).is_integer() else None
    return float(value)


def _attribute(kind: str, value: Any) -> Any:
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        return True if text in TRUE else False if text in FALSE else None
    if kind in ("number", "integer"):
        return _amount(value, whole=kind == "integer")
    text = _text(value)
    return text or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)
