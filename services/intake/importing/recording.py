"""Recording a checked import: every row's case (its opening, follow-up events, sealed
identifiers and links) in one append of many streams, so that all rows are recorded or none."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.intake import cases
from services.intake.importing.batch import ImportBatch, ImportRow
from services.intake.persons import PersonVault
from services.intake.projections import case_stream
from shared.backbone.envelope import NewEvent
from shared.backbone.store import EventStore, ExpectedVersion, StreamWrite
from shared.errors import ValidationProblem

# the template's identifying columns, in the vault's terms (linkage reads these names)
IDENTIFIER_MAP = {
    "prs_FirstName": "given_name",
    "prs_SecondName": "family_name",
    "prs_IdentityNumber": "document_number",
}
ADDRESS_PARTS = ("prs_MailingStreet", "prs_MailingCity", "prs_MailingState",
                 "prs_MailingPostalCode", "prs_MailingCountry")  # fmt: skip
PHONES = ("prs_MobilePhone", "prs_HomePhone")


@dataclass(frozen=True)
class Recorded:
    cases: list[str]
    events: int
    linked: int


def vault_identifiers(row: ImportRow) -> dict[str, str]:
    """The row's identifiers as the vault keeps them; the birth date comes from the case so
    that name and birth date can link the person."""
    found = {ours: row.identifiers[theirs] for theirs, ours in IDENTIFIER_MAP.items()
             if row.identifiers.get(theirs)}  # fmt: skip
    address = ", ".join(row.identifiers[p] for p in ADDRESS_PARTS if row.identifiers.get(p))
    if address:
        found["address"] = address[:300]
    phone = next((row.identifiers[p] for p in PHONES if row.identifiers.get(p)), None)
    if phone:
        found["phone"] = phone
    if found and row.command and row.command.get("prs_Birthdate"):
        found["birth_date"] = str(row.command["prs_Birthdate"])
    return found


def decided_events(row: ImportRow, today: date, **context: Any) -> list[NewEvent]:
    """The row's opening and follow-up events, each decided on the case as it stands."""
    assert row.command is not None
    events = cases.open_case(row.command, today, **context)
    case = cases.after_decided(None, events)
    for follow_up in row.events:
        payload = {k: v for k, v in follow_up.items() if k != "type"}
        decided = cases.record_event(case, f"intake.{follow_up['type']}", payload, today,
                                     **context)  # fmt: skip
        events += decided
        case = cases.after_decided(case, decided)
    return events


def record_batch(
    store: EventStore,
    vault: PersonVault,
    batch: ImportBatch,
    country: str,
    today: date,
    progress: Callable[[int, int], None] = lambda done, total: None,
    **context: Any,
) -> Recorded:
    if not batch.ok:
        raise ValidationProblem(
            f"{len(batch.rows_with_errors)} rows have errors: nothing was imported",
            {f"row {row.number}": [f"{k}: {' '.join(v)}" for k, v in row.errors.items()]
             for row in batch.rows_with_errors},
        )  # fmt: skip
    writes, enrolled, case_ids, linked = [], [], [], 0
    try:
        for number, row in enumerate(batch.rows, start=1):
            case_id = f"{country}-{uuid.uuid4()}"
            events = decided_events(row, today, **context)
            identifiers = vault_identifiers(row)
            if identifiers:
                person_id = str(events[0].payload["person_id"])
                enrolment = vault.enrol(person_id, case_id, identifiers, today, **context)
                enrolled.append(person_id)
                events += enrolment.events
                linked += bool(enrolment.linked_person_ids)
            writes.append(StreamWrite(case_stream(case_id), ExpectedVersion.NO_STREAM, events))
            case_ids.append(case_id)
            progress(number, len(batch.rows))
        store.append_many(writes)
    except Exception:
        for person_id in enrolled:  # all or nothing: the vault forgets what was enrolled
            vault.forget(person_id)
        raise
    return Recorded(case_ids, sum(len(w.events) for w in writes), linked)


def errors_report(batch: ImportBatch) -> list[Mapping[str, Any]]:
    return [{"row": row.number, "source": row.source_ref, "errors": row.errors}
            for row in batch.rows_with_errors]  # fmt: skip
