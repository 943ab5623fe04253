"""Reading submissions of the HTCDS XLSForm (`htcds_xlsform.xlsx`) as ODK and KoboToolbox
export them as JSON: a list of submissions, KoboToolbox's `{"results": [...]}`, or ODK
Central's OData `{"value": [...]}`.

A submission maps each question's name to its answer. Names may carry the path of the groups
they are in (`group_x/prs_Gender`, or nested objects in OData); the last part is the question.
The form renames three fields (`prs_First_Name`, `prs_Second_Name`, `vic_Methods_of_Control`,
codes.py), separates select_multiple answers with spaces (so the `DebtBondage ` choice's
trailing space is harmless), asks citizenship as a select_one, and asks the incoming referral
reason as free text. Metadata (`_id`, `_uuid`, `meta/instanceID`, `start`, ...) is not an answer;
the submission's instance id is kept as the row's source reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from services.intake.importing.batch import LIMITS, ImportBatch, ImportRow, Limits, Progress, refuse
from services.intake.importing.columns import (
    REASON,
    Answer,
    Column,
    column_named,
    dropped_because,
    error_key,
    read_answers,
)
from services.intake.importing.guards import load_json
from services.intake.importing.values import or_other

SHAPES = {"results": "xlsform-kobo", "value": "xlsform-odata"}
LIST = "xlsform-json"
# The first of these a submission has is its source reference.
REFERENCES = ("instanceID", "_uuid", "__id", "_id")
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "simserial",
    "subscriberid",
    "phonenumber",
    "audit",
    "instanceID",
    "instanceName",
    "deprecatedID",
    "rootUuid",
}
MAX_GROUP_DEPTH = 20
# The form asks these as free text where the field standard has a picklist.
FREE_TEXT_READERS = {"cas_ReasonForIncomingReferral": or_other(REASON)}


def read_xlsform_submissions(
    data: bytes,
    *,
    limits: Limits = LIMITS,
    progress: Progress | None = None,
    new_person_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> ImportBatch:
    """Reads each submission of an ODK/KoboToolbox JSON export into an ImportRow."""
    submissions, shape = _submissions(load_json(data, limits))
    if not submissions:
        refuse("The file holds no submissions.")
    if len(submissions) > limits.max_rows:
        refuse(
            f"The file holds {len(submissions)} submissions; at most {limits.max_rows} may be "
            "imported at once."
        )
    ignored: dict[str, str] = {}
    rows = []
    for number, submission in enumerate(submissions, 1):
        rows.append(_row(number, submission, ignored, str(new_person_id())))
        if progress is not None:
            progress(number, len(submissions))
    return ImportBatch(tuple(rows), shape, ignored)


def _submissions(loaded: Any) -> tuple[list[Any], str]:
    if isinstance(loaded, list):
        return loaded, LIST
    if isinstance(loaded, dict):
        for key, shape in SHAPES.items():
            if isinstance(loaded.get(key), list):
                return loaded[key], shape
    refuse(
        "Expected a JSON list of submissions, or an export object with them under 'results' "
        "(KoboToolbox) or 'value' (ODK Central)."
    )


def _row(number: int, submission: Any, ignored: dict[str, str], person_id: str) -> ImportRow:
    if not isinstance(submission, dict):
        return ImportRow(
            number,
            f"submission {number}",
            None,
            errors={"submission": ["Must be a JSON object of question names and answers."]},
        )
    answers, references, errors = [], {}, {}
    seen: dict[str, str] = {}
    for path, raw in _leaves(submission):
        name = path.rsplit("/", 1)[-1]
        if _is_metadata(path, name):
            references.setdefault(name, str(raw))
            continue
        column = _column(name)
        if column is None:
            ignored.setdefault(path, dropped_because(name) or "not a question of the HTCDS form")
        elif column.field in seen:
            errors[error_key(path, column.field)] = [
                f"Answered twice (also as {seen[column.field]})."
            ]
        else:
            seen[column.field] = path
            answers.append(Answer(column, path, _split(column, raw)))
    content = read_answers(answers, person_id)
    reference = next((references[name] for name in REFERENCES if name in references), None)
    return ImportRow(
        number,
        reference or f"submission {number}",
        content.command,
        content.events,
        {**content.errors, **errors},
        content.identifiers,
        seen,
    )


def _leaves(answers: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Each answer with its path; OData nests groups as objects. Repeat groups (lists) are
    not part of the HTCDS form and are skipped, like Kobo's `_attachments`, and so are
    objects nested deeper than a form's groups go (a crafted file could exhaust the stack)."""
    for key, value in answers.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if key != "__system" and depth < MAX_GROUP_DEPTH:  # __system: ODK Central metadata
                yield from _leaves(value, f"{path}/", depth + 1)
        elif not isinstance(value, list):
            yield path, value


def _is_metadata(path: str, name: str) -> bool:
    return name.startswith("_") or name in METADATA or path.startswith(("meta/", "formhub/"))


def _column(name: str) -> Column | None:
    column = column_named(name)
    if column is not None and column.field in FREE_TEXT_READERS:
        return replace(column, read=FREE_TEXT_READERS[column.field])
    return column


def _split(column: Column, raw: Any) -> Any:
    """select_multiple answers are one string of space-separated choice names."""
    if column.multiple and isinstance(raw, str):
        return raw.split()
    return raw
