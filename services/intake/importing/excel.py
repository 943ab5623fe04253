"""Reading the HTCDS 2.0 Excel templates: `HTCDS Excel Spreadsheet v2.0.xlsx` (sheet `Sheet1`,
typed cells) and `... single select with validation v2.0.xlsx` (sheet `Case Sheet` with
drop-downs filled from its `validation` sheet).

Both have the same layout: a hidden row 1 of system names, a row 2 of labels, data from row 3,
and a column A numbering a thousand empty rows. The two header rows disagree on the mailing
columns (row 1 has City, Country, State, Street, PostalCode where row 2 has Street, City,
State, Zip, Country) and row 1 has no name above "Reason for Outgoing Referral"; people type
under the labels they see, so where header rows disagree the lowest one (nearest the data)
wins. A sheet of ours or a user's may have either row alone, and any sheet name.

The drop-downs hold labels ("Forced labour", "Debt bondage " with its trailing space, country
names for citizenship); typed cells may hold codes or labels and separate several answers with
`;`. Dates are date cells or text (values.a_date).
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from services.intake.importing.batch import (
    LIMITS,
    ImportBatch,
    ImportRow,
    Limits,
    Progress,
    refuse,
)
from services.intake.importing.columns import (
    Answer,
    Column,
    column_named,
    dropped_because,
    read_answers,
)
from services.intake.importing.guards import check_workbook_archive
from services.intake.importing.values import is_blank
from shared.errors import ValidationProblem

PLAIN, VALIDATION = "htcds-excel", "htcds-excel-validation"
HEADER_ROWS = 5  # header rows are looked for among the first rows of a sheet
MIN_HEADER_MATCHES = 3  # cells naming a known column before a row counts as a header
MAX_COLUMNS = 300  # the templates have 40; columns further right are not read
PROGRESS_EVERY = 100


@dataclass(frozen=True)
class Header:
    """The header of the case sheet: the row data starts below, and what each column is."""

    last_row: int
    columns: tuple[tuple[int, Column, str], ...]  # (0-based index, column, title in the file)
    ignored: dict[str, str]
    width: int

    @property
    def titles(self) -> dict[str, str]:
        return {column.field: title for _, column, title in self.columns}


def read_htcds_excel(
    data: bytes,
    *,
    limits: Limits = LIMITS,
    progress: Progress | None = None,
    new_person_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> ImportBatch:
    """Reads the case rows of an HTCDS Excel workbook (either template, or a sheet with the
    same headers), one ImportRow per non-blank row below the header."""
    check_workbook_archive(data, limits)  # before openpyxl inflates anything
    with _unreadable_refused(), warnings.catch_warnings():
        # openpyxl warns that it drops the validation template's drop-down definitions;
        # they are not needed to read the cells.
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
        try:
            sheet, header = _case_sheet(book)
            rows = tuple(_rows(sheet, header, limits, progress, new_person_id))
            variant = VALIDATION if "validation" in book.sheetnames else PLAIN
        finally:
            book.close()
    if not rows:
        refuse(f"The sheet {sheet.title!r} has no case rows below its header.")
    return ImportBatch(rows, variant, header.ignored)


@contextmanager
def _unreadable_refused() -> Iterator[None]:
    """Whatever a damaged or crafted workbook makes the XML and zip parsers raise becomes one
    refusal; our own refusals pass through."""
    try:
        yield
    except ValidationProblem:
        raise
    except Exception as error:
        refuse(f"The workbook could not be read ({type(error).__name__}); save it again in Excel.")


def _case_sheet(book: Any) -> tuple[Any, Header]:
    for sheet in book.worksheets:
        header = _header(sheet)
        if header is not None:
            return sheet, header
    refuse(
        "No sheet has an HTCDS header row (system names such as prs_Gender, or labels such "
        f"as Gender) in its first {HEADER_ROWS} rows."
    )


def _header(sheet: Any) -> Header | None:
    top = list(sheet.iter_rows(max_row=HEADER_ROWS, max_col=MAX_COLUMNS, values_only=True))
    found = [(number, row) for number, row in enumerate(top, 1) if _is_header(row)]
    rows = [row for _, row in reversed(found)]  # the lowest header row first: it wins
    columns, ignored, taken = [], {}, {}
    for index in range(max((len(row) for row in rows), default=0)):
        titles = [str(row[index]).strip() for row in rows if _named(row, index)]
        if not titles:
            continue  # no header, no data: the template's row numbers in column A
        title, column = _decisive(titles)
        if column is None:
            ignored[title] = (
                dropped_because(title) or "not a field the platform records; not imported"
            )
        elif column.field in taken:
            ignored[title] = f"same field as column {taken[column.field]}; not imported"
        else:
            taken[column.field] = get_column_letter(index + 1)
            columns.append((index, column, title))
    if not columns:
        return None
    width = max(index for index, _, _ in columns) + 1
    return Header(found[-1][0], tuple(columns), ignored, width)


def _decisive(titles: list[str]) -> tuple[str, Column | None]:
    """The lowest title the import knows (as read or as dropped) says what the column is."""
    for title in titles:
        if column_named(title) or dropped_because(title):
            return title, column_named(title)
    return titles[0], None


def _named(row: Sequence[Any], index: int) -> bool:
    return index < len(row) and isinstance(row[index], str) and bool(row[index].strip())


def _is_header(row: Sequence[Any]) -> bool:
    names = [str(cell) for cell in row if isinstance(cell, str)]
    hits = sum(1 for name in names if column_named(name) or dropped_because(name))
    return hits >= MIN_HEADER_MATCHES


def _rows(
    sheet: Any,
    header: Header,
    limits: Limits,
    progress: Progress | None,
    new_person_id: Callable[[], uuid.UUID],
) -> Iterator[ImportRow]:
    expected = max((sheet.max_row or 0) - header.last_row, 0)
    # The dimension a writer declares may understate the sheet; read to its real end.
    sheet.reset_dimensions()
    titles = header.titles
    scanned = cases = 0
    cells = sheet.iter_rows(min_row=header.last_row + 1, max_col=header.width, values_only=True)
    for number, values in enumerate(cells, header.last_row + 1):
        scanned += 1
        if scanned > limits.max_sheet_rows:
            refuse(f"The sheet has more than {limits.max_sheet_rows} rows below its header.")
        if progress is not None and scanned % PROGRESS_EVERY == 0:
            progress(scanned, max(expected, scanned))
        answers = [
            Answer(column, title, _cell(values, index)) for index, column, title in header.columns
        ]
        if all(is_blank(answer.raw) for answer in answers):
            continue  # nothing in a column that is read (the template's numbered empty rows)
        cases += 1
        if cases > limits.max_rows:
            refuse(
                f"The sheet has more than {limits.max_rows} case rows; split it into smaller files."
            )
        content = read_answers(answers, str(new_person_id()))
        yield ImportRow(
            number,
            f"{sheet.title}!{number}",
            content.command,
            content.events,
            content.errors,
            content.identifiers,
            titles,
        )
    if progress is not None:
        progress(scanned, scanned)


def _cell(values: Sequence[Any], index: int) -> Any:
    return values[index] if index < len(values) else None
