"""What an import produces: one `ImportRow` per case row or submission, in an `ImportBatch`,
and the limits that keep a hostile upload from exhausting the service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from shared.errors import ValidationProblem

MB = 1024 * 1024

# Called as rows are read with (rows read so far, rows expected in all).
Progress = Callable[[int, int], None]
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class Limits:
    """How much an upload may hold. An xlsx is a zip archive, so its members are checked too:
    their declared sizes bound what `zipfile` will ever inflate (it stops at the declared
    size), which is why checking them before opening the workbook is enough."""

    max_bytes: int = 20 * MB
    max_rows: int = 50_000
    # Rows scanned below the header, blank ones included (the HTCDS template numbers a thousand
    # empty rows): past this a sheet is refused rather than read for minutes.
    max_sheet_rows: int = 110_000
    # A 50,000-row HTCDS sheet unzips to about 90 MB of XML; text XML compresses 5-20 times,
    # a zip bomb a thousand times and more.
    max_unzipped_bytes: int = 300 * MB
    max_ratio: int = 100
    max_members: int = 1_000


LIMITS = Limits()


@dataclass(frozen=True)
class ImportRow:
    """One case of the file. `command` is the intake.CaseOpened command as read (fields that
    could not be read are left out and named in `errors`); `events` are the follow-up intake
    events the row implies, each as {"type": "ReferralMade", ...payload}. `identifiers` holds
    the person-identifying answers, which never go into a command. `errors` are keyed by the
    column as the file names it and our field, e.g. "Gender (prs_Gender)"; `columns` maps each
    of our fields the row had a column for to that column's name in the file."""

    number: int
    source_ref: str
    command: dict[str, Any] | None
    events: tuple[dict[str, Any], ...] = ()
    errors: Errors = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.errors


@dataclass(frozen=True)
class ImportBatch:
    """The rows of one upload. `format` says which layout was read; `ignored_columns` names
    each column (or submission field) that was not imported, with the reason."""

    rows: tuple[ImportRow, ...]
    format: str
    ignored_columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the whole batch may be committed: an import is all rows or none."""
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def rows_with_errors(self) -> tuple[ImportRow, ...]:
        return tuple(row for row in self.rows if row.errors)


def refuse(message: str) -> NoReturn:
    """Refuses the whole file; the message tells the person uploading it what to do."""
    raise ValidationProblem(f"File refused: {message}", {"file": [message]})
