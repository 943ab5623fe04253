"""Person records as the intake history read model stores them (JSON) and as the values
computer reads them back: equal event types, dates and attributes are shared between the
records of one load (bench/load.py, issue 10), and nothing read back changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from services.indicators.evaluator import PersonEvent, PersonRecord
from services.indicators.persons import record_from_json, record_to_json

SERVICE = {"start_date": "2025-03-01", "service_type": "Medical", "provider_type": "NGO"}


def stored(person_id: str, *events: tuple[str, dict[str, Any], str | None]) -> dict[str, Any]:
    """A record as the read model holds it: through JSON and back."""
    record = PersonRecord(person_id, {"prs_Gender": "Feminine"},
                          tuple(PersonEvent(k, a, date.fromisoformat(d) if d else None)
                                for k, a, d in events))  # fmt: skip
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(record_to_json(record)))
    return loaded


def test_equal_values_are_one_object_across_the_records_of_a_load() -> None:
    shared: dict[Any, Any] = {}
    first = record_from_json(stored("a", ("ServiceDelivered", SERVICE, "2025-03-01")), shared)
    second = record_from_json(stored("b", ("ServiceDelivered", dict(SERVICE), "2025-03-01")),
                              shared)  # fmt: skip
    one, other = first.events[0], second.events[0]
    assert one.attributes is other.attributes
    assert one.date is other.date and one.event_type is other.event_type
    assert one == other == PersonEvent("ServiceDelivered", SERVICE, date(2025, 3, 1))


def test_values_equal_in_python_but_not_in_json_stay_apart() -> None:
    shared: dict[Any, Any] = {}
    events = [("ClaimFiled", {"amount": value}, None) for value in (1, 1.0, True)]
    read = record_from_json(stored("a", *events), shared).events
    assert [type(e.attributes["amount"]) for e in read] == [int, float, bool]
    assert read[0].date is None


def test_attributes_with_lists_are_read_as_they_are() -> None:
    linked = {"linked_person_ids": ["b", "c"]}
    read = record_from_json(stored("a", ("PersonsLinked", linked, "2025-04-01")), {})
    assert read.events[0].attributes == linked


def test_a_record_read_alone_is_the_record_stored() -> None:
    data = stored("a", ("ServiceDelivered", SERVICE, "2025-03-01"), ("CaseClosed", {}, None))
    read = record_from_json(data)
    assert record_to_json(read) == data
