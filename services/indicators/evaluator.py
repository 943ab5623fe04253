"""Computes quantitative indicators: person records and aggregate submissions in, `Value`s out.

Pure functions and frozen dataclasses; no I/O. A projection builds `PersonRecord`s from intake
events (the case fields it folds, plus the person's events) and calls `Evaluation`:

    evaluation = Evaluation(catalogue, persons, Period.calendar_year(2024), "MK", aggregates)
    evaluation.total("AS-02")                    # one Value, cell ()
    evaluation.cells("AS-02", ("sex",))           # one Value per category of sex
    disclosure_control(values, catalogue.disclosure)

Rules this module decides (the catalogue does not say):

- Linked persons (intake `PersonsLinked`) are merged into one record before anything is counted
  (`merge_linked`; the field rule is in its docstring).
- Derived fields are always computed from their source fields (`with_derived_fields`), never
  taken from the input, so a record cannot carry a stale `age_group`.
- A test of a missing value is false, except `missing` (and `not exists`).
- Percentages are rounded half up to one decimal; both parts are kept.
- Disclosure control: see `disclosure_control`.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Protocol

from services.indicators import expressions as ex
from services.indicators.catalogue import (
    UNKNOWN,
    Catalogue,
    Disaggregation,
    Disclosure,
    Indicator,
    Statistic,
    as_items,
    compare,
    label,
)
from shared.errors import ValidationProblem

Cell = tuple[tuple[str, str], ...]
Number = int | float
EVENT_PREFIX = "intake."
LINK_EVENT = "PersonsLinked"
AGE_FIELD = "ext_AgeAtIdentification"

# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reference period, both days included (calendar year by default)."""

    start: date
    end: date

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    def previous(self) -> Period:
        if self == Period.calendar_year(self.start.year):
            return Period.calendar_year(self.start.year - 1)
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.start - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        if self == Period.calendar_year(self.start.year):
            return str(self.start.year)
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass(frozen=True)
class PersonEvent:
    """One event of a person: its type without the `intake.` prefix, its payload, its date."""

    event_type: str
    attributes: Mapping[str, Any]
    date: date | None = None


@dataclass(frozen=True)
class PersonRecord:
    """A pseudonymous person: the case-state fields (HTCDS and ext_ names) and their events.
    `merged_from` lists the person ids a merged record stands for."""

    person_id: str
    fields: Mapping[str, Any]
    events: tuple[PersonEvent, ...] = ()
    merged_from: tuple[str, ...] = ()


class Recorded(Protocol):
    """What `person_event` needs of a recorded event (RecordedEvent, intake's Fact)."""

    @property
    def event_type(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def occurred_at(self) -> datetime: ...


def as_date(value: Any) -> date | None:
    """Dates arrive as `date`s or as the ISO text of JSON payloads."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def person_event(recorded: Recorded) -> PersonEvent:
    """An intake event as the evaluator reads it. Its date is the payload's `date` (or a
    service's `start_date`), else the day it occurred."""
    payload = dict(recorded.payload)
    day = as_date(payload.get("date")) or as_date(payload.get("start_date"))
    return PersonEvent(
        recorded.event_type.removeprefix(EVENT_PREFIX),
        MappingProxyType(payload),
        day or recorded.occurred_at.date(),
    )


def person_record(
    person_id: str, fields: Mapping[str, Any], events: Iterable[Recorded | PersonEvent] = ()
) -> PersonRecord:
    """Pass the effective history (corrections applied, e.g. intake's `Fact`s)."""
    converted = [e if isinstance(e, PersonEvent) else person_event(e) for e in events]
    return PersonRecord(str(person_id), MappingProxyType(dict(fields)), tuple(converted))


# --- Outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One figure of an indicator for a period and a cell (() is the total). A suppressed
    value keeps its place with its figures blanked. `statistic` is the numerator's
    (count, sum, median, aggregate); `contributors` the persons (or submitted records) the
    figures rest on, None for institutions' aggregate figures."""

    indicator: str
    period: Period
    cell: Cell
    numerator: Number | None
    denominator: Number | None
    value: Number | None
    unit: str
    suppressed: bool = False
    statistic: str = "count"
    contributors: int | None = None


# --- Derived fields ----------------------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _age(fields: Mapping[str, Any]) -> int | None:
    """README §4.2: whole years at identification (else at first contact), or the estimate
    entered when the birth date is unknown."""
    birth = as_date(fields.get("prs_Birthdate"))
    reference = as_date(fields.get("ext_IdentificationDate")) or as_date(
        fields.get("ext_FirstContactDate")
    )
    if birth is not None and reference is not None and birth <= reference:
        return age_on(birth, reference)
    estimate = fields.get("ext_EstimatedAge")
    return estimate if isinstance(estimate, int) and not isinstance(estimate, bool) else None


def with_derived_fields(
    catalogue: Catalogue, record: PersonRecord, deployment_country: str
) -> PersonRecord:
    """Adds ext_AgeAtIdentification (if not given) and every derived field the catalogue
    defines: one category, or a tuple of them for a multi-valued breakdown."""
    fields = dict(record.fields)
    if fields.get(AGE_FIELD) is None:
        fields[AGE_FIELD] = _age(fields)
    for d in catalogue.disaggregations.values():
        if d.origin == "field":
            categories = d.categorise(fields.get(d.derived_from[0]), deployment_country)
            fields[d.name] = categories if d.multi_valued else categories[0]
    return replace(record, fields=MappingProxyType(fields))


# --- Linked persons ----------------------------------------------------------------------------

STATUS_STRENGTH = {
    "ActualVictimOfTrafficking": 3,
    "PossibleVictimOfTrafficking": 2,
    "NotAVictimOfTrafficking": 1,
}
FIRST_CONTACT_FIELDS = ("ext_FirstContactDate", "ext_DetectingAgencyType")
IDENTIFICATION_FIELDS = (
    "ext_IdentificationDate",
    "ext_IdentifyingBodyType",
    "vic_TraffickingStatusDecisionMakingOrg",
)


def merge_linked(records: Iterable[PersonRecord]) -> list[PersonRecord]:
    """One record per person: records joined by a `PersonsLinked` event (in either record,
    transitively: union-find) or sharing a person_id become one, so `count: person` counts
    them once. Linked ids without a record here are ignored.

    The merged record takes the smallest person_id, all members' events (by date), and its
    fields member by member, newest member first (the member whose latest date is latest):
    - ext_FirstContactDate and ext_DetectingAgencyType, together, from the member with the
      earliest first contact: the person's first contact with the referral mechanism;
    - vic_TraffickingStatus: the strongest (Actual > Possible > NotA): an identification by
      any institution makes the person an identified victim;
    - ext_IdentificationDate, ext_IdentifyingBodyType and the decision-making org, together,
      from the member identified last: a re-identified person counts in the year of the new
      identification (RR-04), a duplicate report of one identification changes nothing;
    - multi-selects (lists): the union; booleans: true if any member says true;
    - any other field: the newest member's value, else the next member's.
    """
    ordered = list(records)
    parent = {record.person_id: record.person_id for record in ordered}

    def root(person_id: str) -> str:
        while parent[person_id] != person_id:
            parent[person_id] = parent[parent[person_id]]
            person_id = parent[person_id]
        return person_id

    for record in ordered:
        for event in record.events:
            if event.event_type == LINK_EVENT:
                for other in as_items(event.attributes.get("linked_person_ids")):
                    if str(other) in parent:
                        a, b = sorted((root(record.person_id), root(str(other))))
                        parent[b] = a
    groups: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in ordered:
        groups[root(record.person_id)].append(record)
    return [members[0] if len(members) == 1 else _merged(members) for members in groups.values()]


def _latest_day(record: PersonRecord) -> date:
    days = [
        as_date(record.fields.get(name)) for name in (*FIRST_CONTACT_FIELDS, *IDENTIFICATION_FIELDS)
    ]
    days += [event.date for event in record.events]
    return max((day for day in days if day is not None), default=date.min)


def _merged(members: list[PersonRecord]) -> PersonRecord:
    newest = sorted(members, key=lambda r: r.person_id)
    newest.sort(key=_latest_day, reverse=True)
    names = list(dict.fromkeys(name for r in newest for name in r.fields))
    fields = {name: _merged_value(name, newest) for name in names}
    by_contact = _chosen(newest, "ext_FirstContactDate", earliest=True)
    by_identification = _chosen(newest, "ext_IdentificationDate", earliest=False)
    for name in FIRST_CONTACT_FIELDS:
        fields[name] = by_contact.fields.get(name, fields.get(name))
    for name in IDENTIFICATION_FIELDS:
        fields[name] = by_identification.fields.get(name, fields.get(name))
    statuses = [
        r.fields["vic_TraffickingStatus"] for r in newest if r.fields.get("vic_TraffickingStatus")
    ]
    if statuses:
        fields["vic_TraffickingStatus"] = max(statuses, key=lambda s: STATUS_STRENGTH.get(s, 0))
    events = sorted((e for r in newest for e in r.events), key=_event_order)
    ids = tuple(sorted({i for r in members for i in (r.merged_from or (r.person_id,))}))
    return PersonRecord(ids[0], MappingProxyType(fields), tuple(events), ids)


def _chosen(newest: list[PersonRecord], date_field: str, earliest: bool) -> PersonRecord:
    dated = [r for r in newest if as_date(r.fields.get(date_field)) is not None]
    if not dated:
        return newest[0]
    pick = min if earliest else max
    return pick(dated, key=lambda r: as_date(r.fields[date_field]))  # type: ignore[arg-type,return-value]


def _merged_value(name: str, newest: list[PersonRecord]) -> Any:
    values = [r.fields[name] for r in newest if r.fields.get(name) is not None]
    if not values:
        return None
    if all(isinstance(v, list | tuple) for v in values):
        return list(dict.fromkeys(item for v in values for item in v))
    if all(isinstance(v, bool) for v in values):
        return any(values)
    return values[0]


def _event_order(event: PersonEvent) -> date:
    return event.date or date.max


# --- Conditions --------------------------------------------------------------------------------

Witnesses = tuple[PersonEvent, ...]
Focus = PersonEvent | Mapping[str, Any] | None


@dataclass(frozen=True)
class _Context:
    catalogue: Catalogue
    period: Period
    deployment_country: str

    @property
    def previous(self) -> Period:
        return self.period.previous()


def _all(
    conditions: Iterable[ex.Condition],
    person: PersonRecord | None,
    ctx: _Context,
    focus: Focus = None,
    scope_event: PersonEvent | None = None,
) -> Witnesses | None:
    """None if a condition fails; else the events that made `exists` conditions true (a
    breakdown by an event attribute reads them)."""
    found: list[PersonEvent] = []
    for condition in conditions:
        witnesses = _holds(condition, person, ctx, focus, scope_event)
        if witnesses is None:
            return None
        found += witnesses
    return tuple(found)


def _holds(
    condition: ex.Condition,
    person: PersonRecord | None,
    ctx: _Context,
    focus: Focus,
    scope_event: PersonEvent | None,
) -> Witnesses | None:
    if isinstance(condition, ex.AnyOf):
        found = [
            w
            for inner in condition.conditions
            if (w := _holds(inner, person, ctx, focus, scope_event)) is not None
        ]
        return tuple(itertools.chain.from_iterable(found)) if found else None
    if isinstance(condition, ex.EventExists):
        return _exists(condition, person, ctx, focus)
    value = _value(condition.ref, person, ctx, focus, scope_event)
    return () if _test(condition, value, ctx) else None


def _exists(
    condition: ex.EventExists, person: PersonRecord | None, ctx: _Context, focus: Focus
) -> Witnesses | None:
    matching: list[PersonEvent] = []
    for event in person.events if person is not None else ():
        if event.event_type == condition.event:
            inner = _all(condition.conditions, person, ctx, focus, event)
            if inner is not None:
                matching += [event, *inner]
    if condition.negated:
        return None if matching else ()
    return tuple(matching) if matching else None


def _value(
    ref: ex.Ref,
    person: PersonRecord | None,
    ctx: _Context,
    focus: Focus,
    scope_event: PersonEvent | None,
) -> Any:
    if isinstance(ref, ex.Name):
        # Inside <Event>(...), a name the catalogue declares for that event is the event's
        # attribute even when this event lacks it (optional); otherwise a case field.
        event_type = ctx.catalogue.events.get(scope_event.event_type) if scope_event else None
        if scope_event is not None and event_type and ref.name in event_type.attributes:
            return scope_event.attributes.get(ref.name)
        return person.fields.get(ref.name) if person is not None else None
    if isinstance(ref, ex.Attribute):
        if isinstance(focus, PersonEvent):
            return focus.attributes.get(ref.name)
        return focus.get(ref.name) if isinstance(focus, Mapping) else None
    if isinstance(ref, ex.DaysBetween):
        start = as_date(_value(ref.start, person, ctx, focus, scope_event))
        end = as_date(_value(ref.end, person, ctx, focus, scope_event))
        return None if start is None or end is None else (end - start).days
    return _first(ref, person)


def _first(ref: ex.First, person: PersonRecord | None) -> Any:
    """The attribute of the person's earliest event of the type that has it."""
    events = [
        event
        for event in (person.events if person is not None else ())
        if event.event_type == ref.event and event.attributes.get(ref.attribute) is not None
    ]
    return min(events, key=_event_order).attributes[ref.attribute] if events else None


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def _norm(value: Any) -> Any:
    """Booleans compare as their labels, so a derived `true` category equals `true`."""
    if isinstance(value, list | tuple):
        return tuple(_norm(item) for item in value)
    return label(value) if isinstance(value, bool) else value


def _operand(operand: ex.Operand, ctx: _Context) -> Any:
    if isinstance(operand, ex.PeriodEnd):
        return ctx.period.end
    if isinstance(operand, ex.Parameter):
        raise ValueError(f"parameter {{{operand.name}}} was not bound before evaluation")
    return operand.value


def _test(condition: ex.Condition, value: Any, ctx: _Context) -> bool:
    if isinstance(condition, ex.Presence):
        return _present(value) == condition.present
    if not _present(value):
        return False
    if isinstance(condition, ex.PeriodTest):
        period = ctx.period if condition.operator == "in_period" else ctx.previous
        return as_date(value) in period
    if isinstance(condition, ex.Membership):
        wanted = {_norm(_operand(v, ctx)) for v in condition.values}
        if condition.operator in ("has", "has_any"):
            return bool(wanted & {_norm(item) for item in as_items(value)})
        inside = _norm(value) in wanted
        return inside if condition.operator == "in" else not inside
    assert isinstance(condition, ex.Comparison)
    if isinstance(condition.operand, ex.PeriodEnd):
        day = as_date(value)
        return day is not None and compare(day, condition.operator, ctx.period.end)
    right = _operand(condition.operand, ctx)
    if condition.operator in ex.ORDERING:
        both = _is_number(value) and _is_number(right)
        return both and compare(value, condition.operator, right)
    return compare(_norm(value), condition.operator, _norm(right))


# --- Statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Contribution:
    """One counted entity (a person, a claim, an event or a submitted record)."""

    key: Hashable
    person_id: str | None
    value: Any
    categories: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Figure:
    amount: Number | None
    persons: frozenset[str] = frozenset()  # whose data the amount rests on
    records: int = 0  # submitted records it rests on


AggregateInput = Number | Mapping[Cell, Number] | Sequence[Mapping[str, Any]]


class Evaluation:
    """Indicators of one catalogue over one set of persons, one period and one deployment.

    `aggregates` maps each `agg_` field to what institutions submitted for the period: a
    number (the total), a mapping from cell to number (`()` is the total; a cell is a tuple of
    (breakdown, category) pairs, e.g. `(("exploitation_type", "sexual"),)`), or for a records
    field the list of records (dicts of its attributes)."""

    def __init__(
        self,
        catalogue: Catalogue,
        persons: Iterable[PersonRecord],
        period: Period,
        deployment_country: str,
        aggregates: Mapping[str, AggregateInput] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.period = period
        self.ctx = _Context(catalogue, period, deployment_country)
        self.aggregates = dict(aggregates or {})
        self.persons = [
            with_derived_fields(catalogue, person, deployment_country)
            for person in merge_linked(persons)
        ]

    def total(self, code: str) -> Value:
        return self.cells(code, ())[0]

    def table(self, code: str) -> list[Value]:
        """The total, then one one-way breakdown per disaggregation the indicator lists."""
        indicator = self._indicator(code)
        values = self.cells(code, ())
        for name in indicator.disaggregations:
            values += self.cells(code, (name,))
        return values

    def cells(self, code: str, by: Sequence[str]) -> list[Value]:
        """One Value per combination of the categories of `by` (empty cells included, so a
        table is complete; open lists such as countries show the values found)."""
        indicator = self._indicator(code)
        unknown = [name for name in by if name not in indicator.disaggregations]
        if unknown or len(set(by)) != len(by):
            raise ValidationProblem(
                f"{code} cannot be broken down by {', '.join(by)}",
                {"by": [f"Allowed, once each: {', '.join(indicator.disaggregations) or 'none'}."]},
            )
        dims = [self.catalogue.disaggregations[name] for name in by]
        numerator = self._figures(indicator, indicator.numerator, dims)
        denominator = (
            self._figures(indicator, indicator.denominator, dims)
            if indicator.denominator is not None
            else None
        )
        observed = set(numerator) | set(denominator or {})
        return [
            self._value(indicator, cell, numerator, denominator) for cell in _cells(dims, observed)
        ]

    def _indicator(self, code: str) -> Indicator:
        try:
            indicator = self.catalogue.indicator(code)
        except KeyError:
            raise ValidationProblem(
                f"No indicator {code} in {self.catalogue.catalog_version}",
                {"indicator": [f"Unknown {code!r}; allowed: {', '.join(self.catalogue.codes)}."]},
            ) from None
        if not indicator.quantitative or indicator.numerator is None:
            raise ValidationProblem(
                f"{code} is {indicator.kind}: it is scored, not computed",
                {"indicator": ["Must be a quantitative indicator."]},
            )
        return indicator

    def _value(
        self,
        indicator: Indicator,
        cell: Cell,
        numerator: Mapping[Cell, _Figure],
        denominator: Mapping[Cell, _Figure] | None,
    ) -> Value:
        assert indicator.numerator is not None
        empty = _empty(indicator.numerator.kind)
        top = numerator.get(cell, empty)
        persons = set(top.persons)
        bottom = None
        if denominator is not None and indicator.denominator is not None:
            bottom = denominator.get(cell, _empty(indicator.denominator.kind))
            persons |= bottom.persons
        records = top.records + (bottom.records if bottom else 0)
        aggregate = indicator.numerator.kind == "aggregate"
        return Value(
            indicator=indicator.code,
            period=self.period,
            cell=cell,
            numerator=top.amount,
            denominator=bottom.amount if bottom else None,
            value=percent(top.amount, bottom.amount) if bottom else top.amount,
            unit=indicator.unit,
            statistic=indicator.numerator.kind,
            contributors=None if aggregate else (len(persons) or records),
        )

    def _figures(
        self, indicator: Indicator, statistic: Statistic | None, dims: Sequence[Disaggregation]
    ) -> dict[Cell, _Figure]:
        assert statistic is not None
        if statistic.kind == "aggregate":
            return _submitted(self.aggregates.get(str(statistic.aggregate)), dims)
        groups: dict[Cell, dict[Hashable, _Contribution]] = defaultdict(dict)
        names = [d.name for d in dims]
        for contribution in self._contributions(indicator, statistic, dims):
            combos = itertools.product(*(contribution.categories[name] for name in names))
            for combo in combos:
                groups[tuple(zip(names, combo, strict=True))][contribution.key] = contribution
        if not dims:
            groups.setdefault((), {})
        return {
            cell: _figure(statistic.kind, list(found.values())) for cell, found in groups.items()
        }

    def _contributions(
        self, indicator: Indicator, statistic: Statistic, dims: Sequence[Disaggregation]
    ) -> Iterable[_Contribution]:
        conditions = _bound_conditions(self.catalogue, indicator, statistic, self.ctx)
        subject = statistic.subject
        if subject.kind == "records":
            rows = self.aggregates.get(str(subject.name)) or ()
            for n, row in enumerate(rows if isinstance(rows, list | tuple) else ()):
                if _all(conditions, None, self.ctx, row) is not None:
                    value = (
                        _value(statistic.ref, None, self.ctx, row, None) if statistic.ref else None
                    )
                    categories = {
                        d.name: self._row_categories(d, str(subject.name), row) for d in dims
                    }
                    yield _Contribution(("record", n), None, value, categories)
            return
        for person in self.persons:
            if subject.kind == "person":
                yield from self._of_person(person, statistic, conditions, dims)
            else:
                yield from self._of_events(person, statistic, conditions, dims)

    def _of_person(
        self,
        person: PersonRecord,
        statistic: Statistic,
        conditions: Sequence[ex.Condition],
        dims: Sequence[Disaggregation],
    ) -> Iterable[_Contribution]:
        witnesses = _all(conditions, person, self.ctx)
        if witnesses is not None:
            value = _value(statistic.ref, person, self.ctx, None, None) if statistic.ref else None
            categories = {d.name: self._categories(d, person, None, witnesses) for d in dims}
            yield _Contribution(person.person_id, person.person_id, value, categories)

    def _of_events(
        self,
        person: PersonRecord,
        statistic: Statistic,
        conditions: Sequence[ex.Condition],
        dims: Sequence[Disaggregation],
    ) -> Iterable[_Contribution]:
        for n, event in enumerate(person.events):
            if event.event_type != statistic.subject.name:
                continue
            witnesses = _all(conditions, person, self.ctx, event)
            if witnesses is None:
                continue
            value = _value(statistic.ref, person, self.ctx, event, None) if statistic.ref else None
            categories = {d.name: self._categories(d, person, event, witnesses) for d in dims}
            yield _Contribution(
                _entity_key(statistic, person, n, event), person.person_id, value, categories
            )

    def _categories(
        self,
        d: Disaggregation,
        person: PersonRecord,
        focus: PersonEvent | None,
        witnesses: Witnesses,
    ) -> tuple[str, ...]:
        if d.origin == "field":
            return tuple(as_items(person.fields.get(d.name))) or (UNKNOWN,)
        # An event breakdown reads the event the statistic runs over, else the events that
        # made its `exists` conditions true (e.g. the direction of the returns counted). An
        # event without the attribute adds nothing; `unknown` only if none of them has it.
        sources = [alternative.split(".", 1) for alternative in d.derived_from]
        events = [focus] if focus and focus.event_type in {o for o, _ in sources} else witnesses
        found = [
            label(event.attributes[attribute])
            for event in events
            for owner, attribute in sources
            if event.event_type == owner and event.attributes.get(attribute) is not None
        ]
        return tuple(dict.fromkeys(found)) or (UNKNOWN,)

    def _row_categories(
        self, d: Disaggregation, field_name: str, row: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """A submitted record is sorted by its attribute typed as the breakdown's source
        (agg_cj_FinalSentenceRecords.exploitation_type is a vic_TypeOfExploitation)."""
        attributes = self.catalogue.aggregate_fields[field_name].attributes
        names = [n for n, t in attributes.items() if t.named == d.derived_from[0]]
        value = row.get(names[0]) if names else None
        return d.categorise(value, self.ctx.deployment_country)


def _bound_conditions(
    catalogue: Catalogue, indicator: Indicator, statistic: Statistic, ctx: _Context
) -> tuple[ex.Condition, ...]:
    """The population's conditions and the where list, with {parameters} filled in."""
    values = {**indicator.parameters, ex.DEPLOYMENT_COUNTRY: ctx.deployment_country}
    population = catalogue.populations.get(statistic.population or "")
    conditions = (*(population.conditions if population else ()), *statistic.where)
    return tuple(ex.bind(condition, values) for condition in conditions)


def _entity_key(statistic: Statistic, person: PersonRecord, n: int, event: PersonEvent) -> Hashable:
    """Distinct entities: a person once, a claim once (however many decisions it had), and
    otherwise each event."""
    if statistic.entity == "person":
        return person.person_id
    if statistic.entity == "claim" and event.attributes.get("claim_id") is not None:
        return ("claim", str(event.attributes["claim_id"]))
    return ("event", person.person_id, n)


def _empty(kind: str) -> _Figure:
    return _figure(kind, []) if kind != "aggregate" else _Figure(None)


def _figure(kind: str, entities: list[_Contribution]) -> _Figure:
    persons = frozenset(e.person_id for e in entities if e.person_id is not None)
    records = sum(1 for e in entities if e.person_id is None)
    if kind == "count":
        return _Figure(len(entities), persons, records)
    numbers = [e for e in entities if _is_number(e.value)]
    persons = frozenset(e.person_id for e in numbers if e.person_id is not None)
    records = sum(1 for e in numbers if e.person_id is None)
    if kind == "sum":
        # Through str: Decimal(0.1) would carry a binary float's error into the total.
        total = sum((Decimal(str(e.value)) for e in numbers), Decimal(0))
        return _Figure(float(total), persons, records)
    middle = statistics.median(e.value for e in numbers) if numbers else None
    return _Figure(middle, persons, records)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _submitted(
    submitted: AggregateInput | None, dims: Sequence[Disaggregation]
) -> dict[Cell, _Figure]:
    """An institution's figures for the cells asked for; a cell not submitted is missing."""
    if isinstance(submitted, int | float):
        return {} if dims else {(): _Figure(submitted)}
    if not isinstance(submitted, Mapping):  # missing, or records given for a figure
        return {}
    names = [d.name for d in dims]
    found = {}
    for cell, amount in submitted.items():
        pairs = dict(cell)
        if set(pairs) == set(names):
            found[tuple((name, label(pairs[name])) for name in names)] = _Figure(amount)
    return found


def _cells(dims: Sequence[Disaggregation], observed: Iterable[Cell]) -> list[Cell]:
    names = [d.name for d in dims]
    per_dim = []
    for n, d in enumerate(dims):
        extra = sorted({cell[n][1] for cell in observed} - set(d.categories))
        known = [category for category in d.categories if category != UNKNOWN]
        per_dim.append([*known, *extra, *([UNKNOWN] if UNKNOWN in d.categories else [])])
    return [tuple(zip(names, combo, strict=True)) for combo in itertools.product(*per_dim)]


def percent(numerator: Number | None, denominator: Number | None) -> float | None:
    """numerator / denominator * 100, rounded half up to one decimal; None if undefined."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    exact = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def evaluate(
    catalogue: Catalogue,
    code: str,
    persons: Iterable[PersonRecord],
    period: Period,
    deployment_country: str,
    aggregates: Mapping[str, AggregateInput] | None = None,
    by: Sequence[str] = (),
) -> list[Value]:
    """One indicator's cells for `by` (the total alone when `by` is empty)."""
    evaluation = Evaluation(catalogue, persons, period, deployment_country, aggregates)
    return evaluation.cells(code, by)


# --- Disclosure control ------------------------------------------------------------------------


def disclosure_control(values: Sequence[Value], disclosure: Disclosure) -> list[Value]:
    """Suppresses what could single out persons (README §6.2) and returns every value in
    order, suppressed ones marked and blanked.

    Threshold: `min_cell` for totals and one-way cells, `k_cross` for two-way and deeper.
    Primary: a count cell (not a total) any of whose published counts (numerator, denominator,
    and for a percentage the persons without: denominator - numerator) is between 1 and the
    threshold - 1; a sum or median, total included, resting on fewer contributors than the
    threshold. Zero cells stay: they are not a person. Aggregate figures from institutions
    carry no personal data and are left alone.
    Complementary: count and sum cells add up along each line of a table (all categories of
    one breakdown, the others fixed) to a published margin. In each line the suppressed cells
    must be none, or at least two that pooled are not a small cell themselves; otherwise the
    smallest published cell of the line (non-zero first) is suppressed too, until that holds
    or the line is all suppressed. Repeated over all lines until nothing changes. Medians do
    not add up, so they need no complement. A multi-valued breakdown (exploitation_type) is
    treated the same way, as most persons fall in one category.
    """
    hidden = {n for n, value in enumerate(values) if _primary(value, disclosure)}
    lines = _lines(values)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if _complement(values, line, hidden, disclosure):
                changed = True
    return [_blank(value) if n in hidden else value for n, value in enumerate(values)]


def _threshold(cell: Cell, disclosure: Disclosure) -> int:
    return disclosure.min_cell if len(cell) <= 1 else disclosure.k_cross


def _small(number: Number | None, threshold: int) -> bool:
    return number is not None and 0 < number < threshold


def _published_counts(numerator: Number | None, denominator: Number | None) -> list[Number | None]:
    counts = [numerator, denominator]
    if numerator is not None and denominator is not None:
        counts.append(denominator - numerator)
    return counts


def _primary(value: Value, disclosure: Disclosure) -> bool:
    if value.suppressed:
        return True
    threshold = _threshold(value.cell, disclosure)
    if value.statistic == "count":
        counts = _published_counts(value.numerator, value.denominator)
        return bool(value.cell) and any(_small(n, threshold) for n in counts)
    if value.statistic in ("sum", "median"):
        return _small(value.contributors, threshold)
    return False


def _lines(values: Sequence[Value]) -> list[list[int]]:
    """Index groups of additive cells that sum to one margin: per table (indicator, period,
    breakdowns) and per breakdown, the cells that agree on every other breakdown."""
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for n, value in enumerate(values):
        if not value.cell or value.statistic not in ("count", "sum"):
            continue
        dims = tuple(name for name, _ in value.cell)
        for position in range(len(dims)):
            rest = value.cell[:position] + value.cell[position + 1 :]
            groups[(value.indicator, value.period, dims, position, rest)].append(n)
    return list(groups.values())


def _complement(values: Sequence[Value], line: list[int], hidden: set[int], d: Disclosure) -> bool:
    """Hides one more cell of the line if its suppressed cells could be recomputed or are
    small together; says whether it did."""
    suppressed = [n for n in line if n in hidden]
    if not suppressed:
        return False
    threshold = _threshold(values[line[0]].cell, d)
    if len(suppressed) >= 2 and not _pooled_small(values, suppressed, threshold):
        return False
    candidates = sorted((n for n in line if n not in hidden), key=lambda n: _size(values[n]))
    if not candidates:
        return False
    hidden.add(candidates[0])
    return True


def _pooled_small(values: Sequence[Value], found: list[int], threshold: int) -> bool:
    if values[found[0]].statistic == "sum":
        return _small(sum(values[n].contributors or 0 for n in found), threshold)
    numerator = sum(values[n].numerator or 0 for n in found)
    denominators = [values[n].denominator for n in found]
    denominator = None if None in denominators else sum(d or 0 for d in denominators)
    return any(_small(n, threshold) for n in _published_counts(numerator, denominator))


def _size(value: Value) -> tuple[bool, Number]:
    """Order of complementary candidates: the smallest non-zero cell first, zeros last."""
    size = value.contributors if value.statistic == "sum" else value.denominator
    size = value.numerator if size is None else size
    return (not size, size or 0)


def _blank(value: Value) -> Value:
    return replace(
        value, numerator=None, denominator=None, value=None, contributors=None, suppressed=True
    )
