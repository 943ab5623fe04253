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
        "events": [event_to_json(e) for e in record.events],
        "merged_from": list(record.merged_from),
    }


def event_to_json(event: PersonEvent) -> list[Any]:
    return [event.event_type, dict(event.attributes), _iso(event.date)]


def appended_events(events: Sequence[Any]) -> list[list[Any]] | None:
    """What `events` (the next ones of a case, in stream order) add to the case's person record
    when each only adds a fact (see intake's history_fact), as `record_to_json` writes events;
    None when one of them needs the record folded again from the case's whole history."""
    facts = [cases.history_fact(event) for event in events]
    if any(fact is None for fact in facts):
        return None
    return [event_to_json(person_event(fact)) for fact in facts if fact is not None]


def record_from_json(data: dict[str, Any], shared: dict[Any, Any] | None = None) -> PersonRecord:
    """`shared`: one dict for all the records of a load, so that equal event types, dates and
    attribute mappings are one object each. The values computer holds every record of a
    country with every event at once, and they repeat the same few codes and dates: each
    event read on its own took ~560 bytes, the country's whole history ~50 MB at 90,000
    events (bench/load.py, issue 10), a high-water mark the worker's RSS then kept; shared,
    ~160 bytes with dates and codes drawn at random, less where they repeat more."""
    memo: dict[Any, Any] = {} if shared is None else shared
    events = tuple(
        PersonEvent(_one(memo, kind), _one_mapping(memo, attributes), _one_date(memo, day))
        for kind, attributes, day in data["events"]
    )
    return PersonRecord(data["person_id"], data["fields"], events, tuple(data["merged_from"]))


def _one(memo: dict[Any, Any], value: Any) -> Any:
    return memo.setdefault(value, value)


def _one_date(memo: dict[Any, Any], day: str | None) -> date | None:
    if not day:
        return None
    found = memo.get(("date", day))
    if found is None:
        found = memo[("date", day)] = date.fromisoformat(day)
    return found


def _one_mapping(memo: dict[Any, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """The first of equal attribute mappings (read only, as PersonEvent's are); one with a
    value that cannot be a key (a list of codes, say) is kept as it is. Equal means of the
    same types too: 1, 1.0 and true are equal in Python, not in JSON."""
    try:
        key = ("attributes", *((k, type(v), v) for k, v in sorted(attributes.items())))
        shared: dict[str, Any] = memo.setdefault(key, attributes)
        return shared
    except TypeError:
        return attributes
