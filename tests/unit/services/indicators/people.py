"""Hand-built person records for the indicator tests: a few persons, dates in 2024 (the
reference period) unless a test says otherwise, deployment country MK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

from services.indicators.catalogue import SEED_PATH, Catalogue, load_catalogue
from services.indicators.evaluator import (
    AggregateInput,
    Evaluation,
    Period,
    PersonEvent,
    PersonRecord,
    Value,
)

YEAR = 2024
PERIOD = Period.calendar_year(YEAR)
COUNTRY = "MK"
IN_MARCH = date(YEAR, 3, 1)
ACTUAL = "ActualVictimOfTrafficking"
POSSIBLE = "PossibleVictimOfTrafficking"


@cache
def seed() -> Catalogue:
    return load_catalogue(SEED_PATH)


def on(month: int, day: int = 1, year: int = YEAR) -> date:
    return date(year, month, day)


def event(event_type: str, when: date | None = None, **attributes: Any) -> PersonEvent:
    """An event dated `when` (its `date` attribute), or by its `start_date` for a service."""
    if when is not None:
        attributes.setdefault("date", when)
    return PersonEvent(event_type, attributes, when or attributes.get("start_date"))


def person(person_id: str, *events: PersonEvent, **fields: Any) -> PersonRecord:
    return PersonRecord(person_id, fields, events)


def identified(
    person_id: str, *events: PersonEvent, when: date = IN_MARCH, **fields: Any
) -> PersonRecord:
    """An identified victim: identified on `when`, first contact ten days before, an adult
    woman unless the fields say otherwise."""
    defaults = {
        "vic_TraffickingStatus": ACTUAL,
        "ext_IdentificationDate": when,
        "ext_FirstContactDate": when - timedelta(days=10),
        "prs_Gender": "Feminine",
        "ext_EstimatedAge": 30,
    }
    return person(person_id, *events, **{**defaults, **fields})


def presumed(
    person_id: str, *events: PersonEvent, when: date = IN_MARCH, **fields: Any
) -> PersonRecord:
    """A presumed victim first in contact on `when`, an adult woman unless fields say not."""
    defaults = {
        "vic_TraffickingStatus": POSSIBLE,
        "ext_FirstContactDate": when,
        "prs_Gender": "Feminine",
        "ext_EstimatedAge": 30,
    }
    return person(person_id, *events, **{**defaults, **fields})


def evaluation(
    persons: Sequence[PersonRecord] = (),
    aggregates: Mapping[str, AggregateInput] | None = None,
    period: Period = PERIOD,
) -> Evaluation:
    return Evaluation(seed(), persons, period, COUNTRY, aggregates)


def total(
    code: str,
    persons: Sequence[PersonRecord] = (),
    aggregates: Mapping[str, AggregateInput] | None = None,
    period: Period = PERIOD,
) -> Value:
    return evaluation(persons, aggregates, period).total(code)


def cells(
    code: str,
    by: Sequence[str],
    persons: Sequence[PersonRecord] = (),
    aggregates: Mapping[str, AggregateInput] | None = None,
) -> dict[tuple[str, ...], tuple[Any, Any]]:
    """(category, ...) -> (numerator, denominator), for compact assertions."""
    found = evaluation(persons, aggregates).cells(code, by)
    return {
        tuple(category for _, category in value.cell): (value.numerator, value.denominator)
        for value in found
    }
