"""From an intake case stream to the person record the evaluator reads.

The case-level fields are the effective opening (corrections applied) with what later events
decided laid over it, exactly as intake's own deciders fold them (`services.intake.cases`): the
trafficking status and who decided it, the first-contact and identification dates, the case
status and closing date. The events are the case's effective facts; links are those in force
(links minus later unlinks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.indicators.evaluator import PersonEvent, PersonRecord, person_event, person_record
from services.intake import cases
from services.intake.persons import current_links


def person_from_case(events: Sequence[Any]) -> PersonRecord | None:
    """`events`: the case stream as recorded (RecordedEvent-like), in stream order."""
    case = cases.state_from(events)
    if case is None:
        return None
    fields: dict[str, Any] = dict(case.history[0].payload)
    decided = {
        "vic_TraffickingStatus": case.trafficking_status,
        "vic_TraffickingStatusDecisionMakingOrg": case.decision_making_org,
        "ext_FirstContactDate": _iso(case.first_contact_date),
        "ext_DetectingAgencyType": case.detecting_agency_type,
        "ext_IdentificationDate": _iso(case.identification_date),
        "cas_Status": case.status,
        "ext_CaseClosedDate": _iso(case.closed_date),
    }
    fields.update({name: value for name, value in decided.items() if value is not None})
    facts: list[PersonEvent] = [
        person_event(fact) for fact in case.history[1:]
        if fact.event_type != cases.PERSONS_LINKED
    ]  # fmt: skip
    linked = current_links(events)
    if linked:  # one event standing for the links in force
        last = max((f.payload.get("date") for f in case.history
                    if f.event_type == cases.PERSONS_LINKED), default=None)  # fmt: skip
        facts.append(PersonEvent("PersonsLinked", {"linked_person_ids": linked},
                                 date.fromisoformat(last) if last else None))  # fmt: skip
    return person_record(case.person_id, fields, facts)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def record_to_json(record: PersonRecord) -> dict[str, Any]:
    return {
        "person_id": record.person_id,
        "fields": dict(record.fields),
        "events": [[e.event_type, dict(e.attributes), _iso(e.date)] for e in record.events],
        "merged_from": list(record.merged_from),
    }


def record_from_json(data: dict[str, Any]) -> PersonRecord:
    events = tuple(
        PersonEvent(kind, attributes, date.fromisoformat(day) if day else None)
        for kind, attributes, day in data["events"]
    )
    return PersonRecord(data["person_id"], data["fields"], events, tuple(data["merged_from"]))
