"""The dry run of an import: each row's command goes through `cases.open_case`, and its
follow-up events through `cases.record_event` on the case folded from that opening, exactly as
if they were being recorded. Every rule broken on any row is reported; nothing is recorded, so
the caller can commit all rows or none."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from services.intake import cases
from services.intake.importing.batch import Errors, ImportBatch, ImportRow
from services.intake.importing.columns import BY_FIELD, column_of_event, error_key
from shared.backbone.envelope import NewEvent
from shared.errors import ValidationProblem

INTAKE = "intake."


@dataclass(frozen=True)
class Recorded:
    """A decided event as the store would hand it back, for folding (cases.Recorded)."""

    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    stream_version: int
    occurred_at: datetime


def validate_batch(batch: ImportBatch, today: date) -> ImportBatch:
    """The batch with every row's errors: those found reading it and those the deciders
    find. Running it twice adds nothing."""
    return replace(batch, rows=tuple(_validated(row, today) for row in batch.rows))


def _validated(row: ImportRow, today: date) -> ImportRow:
    if row.command is None:
        return row
    found = _Found(row)
    stream: list[Recorded] = []
    try:
        _append(stream, cases.open_case(row.command, today))
    except ValidationProblem as problem:
        found.add_command_errors(problem.errors)
    for event in row.events:
        event_type, payload = INTAKE + event["type"], _payload(event)
        case = cases.state_from(stream)
        if case is None:
            # The case cannot be opened; still check each event's own fields.
            found.add_event_errors(event, cases.checked(None, event_type, payload, today).errors)
            continue
        try:
            _append(stream, cases.record_event(case, event_type, payload, today))
        except ValidationProblem as problem:
            found.add_event_errors(event, problem.errors)
    return replace(row, errors=found.errors)


def _payload(event: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name != "type"}


def _append(stream: list[Recorded], decided: Iterable[NewEvent]) -> None:
    for new in decided:
        stream.append(
            Recorded(new.event_id, new.event_type, new.payload, len(stream) + 1, new.occurred_at)
        )


class _Found:
    """The row's errors, the deciders' added under the column each field came from. A column
    whose answer could not be read is not reported again (the decider would only say it is
    missing), and a field the file has no column for says so."""

    def __init__(self, row: ImportRow) -> None:
        self.row = row
        self.errors: Errors = {key: list(messages) for key, messages in row.errors.items()}
        self.already = frozenset(row.errors)

    def add_command_errors(self, errors: Mapping[str, Any]) -> None:
        for field, messages in errors.items():
            column = BY_FIELD.get(field)
            self._add(field if column is None else column.field, messages)

    def add_event_errors(self, event: Mapping[str, Any], errors: Mapping[str, Any]) -> None:
        for name, messages in errors.items():
            column = column_of_event(event, name)
            field = f"{event['type']}.{name}" if column is None else column.field
            self._add(field, messages)

    def _add(self, field: str, messages: Any) -> None:
        title = self.row.columns.get(field)
        column = BY_FIELD.get(field)
        key = error_key(title or (column.label if column else field), field)
        if key in self.already:
            return
        listed = self.errors.setdefault(key, [])
        for message in _strings(messages):
            if title is None and column is not None:
                message += f" The file has no column for it: add one headed {column.label!r}."
            if message not in listed:
                listed.append(message)


def _strings(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{k}: {text}" for k, inner in messages.items() for text in _strings(inner)]
    if isinstance(messages, list):
        return [text for inner in messages for text in _strings(inner)]
    return [str(messages)]
