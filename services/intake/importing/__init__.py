"""Importing case records from the files organisations keep them in: the HTCDS 2.0 Excel
templates (both variants) and ODK/KoboToolbox submissions of the HTCDS XLSForm.

Pure functions, no I/O: a reader turns an upload's bytes into an `ImportBatch` of rows, each
with its intake.CaseOpened command, the follow-up events it implies, the identifying answers
split off (never in a command), and every error found, named by column. `validate_batch` runs
the intake deciders over each row without recording anything, so a dry run reports every
row's errors and a commit can import all rows or none. A hostile or wrong file is refused as
a whole with a `ValidationProblem` naming `file`.

    batch = validate_batch(read_upload(data), today)
    if batch.ok: ...  # record each row's open_case and record_event results

Human Trafficking Case Data Standard (HTCDS) by IOM, CC BY 4.0.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.intake.importing.batch import LIMITS, ImportBatch, ImportRow, Limits, Progress, refuse
from services.intake.importing.columns import IDENTIFYING_FIELDS
from services.intake.importing.deciding import validate_batch
from services.intake.importing.excel import read_htcds_excel
from services.intake.importing.guards import ZIP_MAGIC, check_size, describe, looks_like_json
from services.intake.importing.xlsform import read_xlsform_submissions

__all__ = [
    "IDENTIFYING_FIELDS",
    "LIMITS",
    "ImportBatch",
    "ImportRow",
    "Limits",
    "Progress",
    "read_htcds_excel",
    "read_upload",
    "read_xlsform_submissions",
    "validate_batch",
]


def read_upload(
    data: bytes,
    *,
    limits: Limits = LIMITS,
    progress: Progress | None = None,
    new_person_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> ImportBatch:
    """Reads an upload as whichever of the two it is, judged by its content, not its name."""
    check_size(data, limits)
    if data.startswith(ZIP_MAGIC):
        reader = read_htcds_excel
    elif looks_like_json(data):
        reader = read_xlsform_submissions
    else:
        refuse(
            f"The file is {describe(data)}: import an HTCDS Excel workbook (.xlsx) or a JSON "
            "export of HTCDS XLSForm submissions."
        )
    return reader(data, limits=limits, progress=progress, new_person_id=new_person_id)
