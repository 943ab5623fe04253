"""The indicator catalogue (`indicators.yaml` format) loaded into frozen dataclasses, validated.

`parse_catalogue` reads the whole document and collects every problem before it raises one
`ValidationProblem`, whose `errors` map a path (`<indicator code>.<field path>` for indicators,
`<section>.<name>...` for the header) to messages naming the bad reference and what is allowed.
It checks that:

- codes are unique, match `CODE_PATTERN` and are not listed under `retired` (an optional list
  of codes this format did not have: README §2.1 says a retired code is never reused);
- areas, types, kinds, units, polarities and counted entities come from `vocabularies`;
- every population, derived field, case field, event, event attribute, `agg_` field, source,
  reference, parameter and code named anywhere resolves, and every condition parses
  (`expressions.py`) and fits the type of what it tests (a date for `in_period`, a number for
  `<`, a code of the field's picklist for `==`, a multi-select for `has`...);
- every breakdown an indicator lists can be computed for its numerator and denominator;
- qualitative indicators have a 0-2 scale and no numerator; percentages have a denominator.

Derived fields are the disaggregations computed from a case field (`sex`, `age_group`,
`citizenship_scope`...): expressions may test them by name, and `Disaggregation.categorise`
is the one place that turns a source value into categories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from services.indicators import expressions as ex
from shared.errors import ValidationProblem

SEED_PATH = Path(__file__).with_name("catalogue") / "ban-regional-core-2025.1-seed.yaml"
# Regional core codes: an area prefix and two digits (ID-01). National additions (RS-AS-90,
# README §2.1) belong to national profiles, not to this catalogue.
CODE_PATTERN = re.compile(r"^[A-Z]{2}-[0-9]{2}\Z")
STATISTICS = ("count", "sum", "median", "aggregate")
QUANTITATIVE, QUALITATIVE = "quantitative", "qualitative"
PERCENT, SCORE = "percent", "score"
UNKNOWN = "unknown"
AGGREGATE_BREAKDOWN = "aggregate breakdown"
DEPLOYMENT_COUNTRY = ex.DEPLOYMENT_COUNTRY
# How an entity other than a person is told apart: the attribute its events carry.
ENTITY_KEYS = {"claim": "claim_id"}
MEDIAN_OVER = ("person",)
HTCDS_PREFIXES = ("prs_", "vic_", "per_", "cas_", "cco_", "hte_", "spl_", "con_", "org_")
EXTENSION_PREFIX, AGGREGATE_PREFIX = "ext_", "agg_"
AGGREGATE_TYPES = ("count", "records", "amount_eur")
SCALE_SCORES = (0, 1, 2)
SCOPE_VALUES = ("national", "other_partner_country", "other", UNKNOWN)
LOCATION_VALUES = ("domestic", "abroad", UNKNOWN)

INDICATOR_KEYS = (
    "code", "area", "topic", "type", "kind", "title", "description", "parameters", "numerator",
    "denominator", "unit", "polarity", "disaggregations", "scale", "evidence", "source",
    "reference", "notes",
)  # fmt: skip
STATISTIC_KEYS = (*STATISTICS, "over", "population", "where")
DISAGGREGATION_KEYS = (
    "derived_from", "map", "bands", "values", "partner_countries", "multi_valued",
    "national_only", "hub_collapse", "hub_collapse_to",
)  # fmt: skip
AGGREGATE_KEYS = ("type", "unit_of_count", "submitted_by", "breakdowns", "attributes")
DOCUMENT_KEYS = (
    "schema_version", "catalog_id", "catalog_version", "status", "language", "reference_period",
    "conventions", "disclosure", "vocabularies", "populations", "htcds_fields",
    "extension_fields", "events", "aggregate_fields", "disaggregations", "sources", "references",
    "indicators", "retired",
)  # fmt: skip

# --- Types -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldType:
    """What a field, attribute or derived field holds. `multi` is None for a code list, which
    the format does not mark as single or multi-select (`has` and `==` are both accepted)."""

    kind: str  # date integer number boolean code country language id
    multi: bool | None = False
    codes: tuple[str, ...] = ()
    named: str | None = None  # the catalogue field whose vocabulary this is

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "number")

    def describe(self) -> str:
        return self.named or self.kind


SCALAR_TYPES = {
    "date": FieldType("date"),
    "integer": FieldType("integer"),
    "number": FieldType("number"),
    "boolean": FieldType("boolean"),
    "iso3166_alpha2": FieldType("country"),
    "iso3166_alpha2_multi": FieldType("country", multi=True),
    "iso639_2": FieldType("language"),
    "id": FieldType("id"),
}
BOOLEAN_LABELS = ("true", "false")

# --- The catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabularies:
    areas: tuple[str, ...]
    kinds: tuple[str, ...]
    types: tuple[str, ...]
    units: tuple[str, ...]
    polarity: tuple[str, ...]
    count_entities: tuple[str, ...]


@dataclass(frozen=True)
class Disclosure:
    min_cell: int  # one-way breakdowns, and money or durations at any level
    k_cross: int  # two-way or deeper breakdowns
    microdata_to_hub: bool = False


@dataclass(frozen=True)
class EventType:
    name: str
    attributes: Mapping[str, FieldType]


@dataclass(frozen=True)
class AggregateField:
    name: str
    type: str  # count records amount_eur
    unit_of_count: str | None
    submitted_by: tuple[str, ...]
    breakdowns: tuple[str, ...]
    attributes: Mapping[str, FieldType]


@dataclass(frozen=True)
class MapRule:
    """One category of a disaggregation's `map`: a list of source codes, or a bound such as
    `< 18` on a number; `takes_missing` if a missing source value (null) falls in it."""

    category: str
    codes: frozenset[str] = frozenset()
    bound: tuple[str, float] | None = None
    takes_missing: bool = False

    def matches(self, item: Any) -> bool:
        if self.bound is not None:
            if isinstance(item, bool) or not isinstance(item, int | float):
                return False
            return compare(item, self.bound[0], self.bound[1])
        return label(item) in self.codes


@dataclass(frozen=True)
class Band:
    label: str
    low: float
    high: float | None  # None: open-ended (48+)

    def contains(self, item: float) -> bool:
        return item >= self.low and (self.high is None or item <= self.high)


@dataclass(frozen=True)
class Disaggregation:
    """A breakdown dimension. `origin` says where a person's or event's category comes from:
    a case field (`field`, also usable in expressions as a derived field), event attributes
    (`event`: `derived_from` lists `<Event>.<attr>` alternatives), or an institution's
    aggregate submission (`aggregate`)."""

    name: str
    origin: str  # field event aggregate
    derived_from: tuple[str, ...]
    rule: str  # identity map bands citizenship_scope location aggregate
    categories: tuple[str, ...]  # only `unknown` for an open list (country codes)
    value_type: FieldType  # the type of the derived field
    rules: tuple[MapRule, ...] = ()
    bands: tuple[Band, ...] = ()
    partner_countries: frozenset[str] = frozenset()
    multi_valued: bool = False
    national_only: bool = False
    hub_collapse: Mapping[str, str] = field(default_factory=dict)
    hub_collapse_to: str | None = None

    def categorise(self, value: Any, deployment_country: str | None = None) -> tuple[str, ...]:
        """The categories a source value falls in: one, or several for a multi-select. A
        missing value falls in the map's null category, else in `unknown`."""
        items = [item for item in as_items(value) if item is not None and item != ""]
        if not items:
            missing = [rule.category for rule in self.rules if rule.takes_missing]
            return (missing[0] if missing else UNKNOWN,)
        if self.rule == "citizenship_scope":
            return (self._scope(items, deployment_country),)
        if self.rule == "location":
            if deployment_country is None:
                return (UNKNOWN,)
            at_home = all(item == deployment_country for item in items)
            return ("domestic" if at_home else "abroad",)
        found: list[str] = []
        for item in items:
            category = self._category(item)
            if category not in found:
                found.append(category)
        return tuple(found)

    def _category(self, item: Any) -> str:
        if self.rule == "map":
            return next((rule.category for rule in self.rules if rule.matches(item)), UNKNOWN)
        if self.rule == "bands":
            number = item if isinstance(item, int | float) and not isinstance(item, bool) else None
            found = [
                band.label for band in self.bands if number is not None and band.contains(number)
            ]
            return found[0] if found else UNKNOWN
        return label(item)

    def _scope(self, countries: list[Any], deployment_country: str | None) -> str:
        # A person with several citizenships falls in the closest scope they hold.
        if deployment_country is not None and deployment_country in countries:
            return "national"
        if any(country in self.partner_countries for country in countries):
            return "other_partner_country"
        return "other"


@dataclass(frozen=True)
class Population:
    name: str
    conditions: tuple[ex.Condition, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    """What a statistic runs over: persons, the events of one type (each a candidate; its
    attributes are read by `<Event>.<attr>` in the where list), the records of an `agg_`
    records field, or an aggregate figure."""

    kind: str  # person event records aggregate
    name: str | None = None


@dataclass(frozen=True)
class Statistic:
    """A numerator or denominator: `count`, `sum`, `median` or `aggregate` over a population
    and a where list (AND; an `AnyOf` is an OR group)."""

    kind: str
    subject: Subject
    entity: str | None = None  # count: person or claim; median: `over`
    ref: ex.Ref | None = None  # sum and median
    aggregate: str | None = None
    population: str | None = None
    where: tuple[ex.Condition, ...] = ()


@dataclass(frozen=True)
class ScaleLevel:
    score: int
    label: str
    meaning: str


@dataclass(frozen=True)
class Indicator:
    code: str
    area: str
    type: str
    kind: str
    title: str
    description: str
    unit: str
    polarity: str | None
    numerator: Statistic | None = None
    denominator: Statistic | None = None
    disaggregations: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    scale: tuple[ScaleLevel, ...] = ()
    evidence: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    reference: tuple[str, ...] = ()
    topic: str | None = None
    notes: str | None = None

    @property
    def quantitative(self) -> bool:
        return self.kind == QUANTITATIVE


@dataclass(frozen=True)
class Catalogue:
    catalog_id: str
    catalog_version: str
    schema_version: int
    status: str
    reference_period: str
    vocabularies: Vocabularies
    disclosure: Disclosure
    fields: Mapping[str, FieldType]
    events: Mapping[str, EventType]
    aggregate_fields: Mapping[str, AggregateField]
    disaggregations: Mapping[str, Disaggregation]
    populations: Mapping[str, Population]
    sources: Mapping[str, str]
    references: Mapping[str, Mapping[str, Any]]
    indicators: tuple[Indicator, ...]
    retired: tuple[str, ...] = ()

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(indicator.code for indicator in self.indicators)


# --- Small helpers shared with the evaluator ---------------------------------------------------


def label(value: Any) -> str:
    """A value as a category label: booleans as YAML spells them, the rest as text."""
    if isinstance(value, bool):
        return BOOLEAN_LABELS[0] if value else BOOLEAN_LABELS[1]
    return str(value)


def as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def compare(left: Any, operator: str, right: Any) -> bool:
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">=":
        return bool(left >= right)
    if operator == ">":
        return bool(left > right)
    if operator == "==":
        return bool(left == right)
    return bool(left != right)


def _allowed(names: Iterable[Any]) -> str:
    listed = [label(name) for name in names]
    return ", ".join(listed) if listed else "none"


class _Problems:
    """Every problem found, by path; nothing stops at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


def _mapping(p: _Problems, raw: Any, path: str, required: bool = True) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    if raw is not None or required:
        p.add(path, "Must be a mapping.")
    return {}


def _names(
    p: _Problems, raw: Any, path: str, allowed: Sequence[str] | None = None
) -> tuple[Any, ...]:
    """A list of names, each (if `allowed` is given) one of the allowed ones."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        p.add(path, "Must be a list.")
        return ()
    for item in raw:
        if allowed is not None and item not in allowed:
            p.add(path, f"Unknown {item!r}; allowed: {_allowed(allowed)}.")
    if len(set(map(label, raw))) != len(raw):
        p.add(path, "Must not name anything twice.")
    return tuple(raw)


def _text(p: _Problems, raw: Any, path: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        p.add(path, "Must be a non-empty text.")
        return ""
    return raw


def _unknown_keys(p: _Problems, raw: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
    for key in raw:
        if key not in keys:
            p.add(f"{path}.{key}", f"Unknown key {key!r}; allowed: {_allowed(keys)}.")


# --- Loading -----------------------------------------------------------------------------------


def load_catalogue(path: str | Path) -> Catalogue:
    with open(path, encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    return parse_catalogue(document)


def parse_catalogue(document: Any) -> Catalogue:
    p = _Problems()
    doc = _mapping(p, document, "catalogue")
    for key in doc:
        if key not in DOCUMENT_KEYS:  # a misspelt `retired` must not silently drop its check
            p.add(str(key), f"Unknown section {key!r}; allowed: {_allowed(DOCUMENT_KEYS)}.")
    vocabularies = _vocabularies(p, doc.get("vocabularies"))
    sources = {str(k): str(v) for k, v in _mapping(p, doc.get("sources"), "sources").items()}
    references = dict(_mapping(p, doc.get("references"), "references"))
    fields = _field_types(p, doc)
    events = _event_types(p, doc.get("events"), fields)
    aggregates = _aggregate_fields(p, doc.get("aggregate_fields"), fields, sources)
    disaggregations = _disaggregations(p, doc.get("disaggregations"), fields, events)
    _check_aggregate_breakdowns(p, aggregates, disaggregations)
    scope = _Scope(vocabularies, fields, events, aggregates, disaggregations, {})
    scope.populations.update(_populations(p, doc.get("populations"), scope))
    retired = _retired(p, doc.get("retired"))
    raw_indicators = doc.get("indicators")
    if not isinstance(raw_indicators, list):
        p.add("indicators", "Must be a list of indicators.")
        raw_indicators = []
    indicators = [
        _indicator(p, n, raw, scope, sources, references) for n, raw in enumerate(raw_indicators)
    ]
    _check_codes(p, indicators, retired)
    catalogue = Catalogue(
        catalog_id=_text(p, doc.get("catalog_id"), "catalog_id"),
        catalog_version=_text(p, str(doc.get("catalog_version") or ""), "catalog_version"),
        schema_version=_schema_version(p, doc.get("schema_version")),
        status=str(doc.get("status") or ""),
        reference_period=str(doc.get("reference_period") or "calendar_year"),
        vocabularies=vocabularies,
        disclosure=_disclosure(p, doc.get("disclosure")),
        fields=MappingProxyType(fields),
        events=MappingProxyType(events),
        aggregate_fields=MappingProxyType(aggregates),
        disaggregations=MappingProxyType(disaggregations),
        populations=MappingProxyType(scope.populations),
        sources=MappingProxyType(sources),
        references=MappingProxyType(references),
        indicators=tuple(indicator for indicator in indicators if indicator is not None),
        retired=retired,
    )
    if p.errors:
        name = f"{doc.get('catalog_id')} {doc.get('catalog_version')}"
        raise ValidationProblem(
            f"Catalogue {name} has {sum(map(len, p.errors.values()))} problem(s): "
            + ", ".join(sorted(p.errors)),
            p.errors,
        )
    return catalogue


def _schema_version(p: _Problems, raw: Any) -> int:
    if raw != 1:
        p.add("schema_version", f"Unsupported schema_version {raw!r}; this loader reads 1.")
    return 1


def _vocabularies(p: _Problems, raw: Any) -> Vocabularies:
    doc = _mapping(p, raw, "vocabularies")
    lists = {}
    for name in ("areas", "kinds", "types", "units", "polarity", "count_entities"):
        found = doc.get(name)
        if not isinstance(found, list) or not found:
            p.add(f"vocabularies.{name}", "Must be a non-empty list.")
            found = []
        lists[name] = tuple(str(item) for item in found)
    for kind in (QUANTITATIVE, QUALITATIVE):
        if kind not in lists["kinds"]:
            p.add("vocabularies.kinds", f"Must include {kind!r}: the loader treats it apart.")
    for entity in lists["count_entities"]:
        if entity != "person" and entity not in ENTITY_KEYS:
            p.add(
                "vocabularies.count_entities",
                f"Cannot count {entity!r}; countable: {_allowed(['person', *ENTITY_KEYS])}.",
            )
    return Vocabularies(**lists)


def _disclosure(p: _Problems, raw: Any) -> Disclosure:
    doc = _mapping(p, raw, "disclosure")
    found = {}
    for name in ("min_cell", "k_cross"):
        value = doc.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            p.add(f"disclosure.{name}", "Must be a whole number of at least 1.")
            value = 1
        found[name] = value
    microdata = doc.get("microdata_to_hub", False)
    if microdata is not False:
        p.add("disclosure.microdata_to_hub", "Must be false: no microdata crosses (README §6.2).")
    return Disclosure(found["min_cell"], found["k_cross"], False)


# --- Fields and events -------------------------------------------------------------------------


def _literal_type(spec: Any) -> FieldType | None:
    if isinstance(spec, list):
        return FieldType("code", None, tuple(label(item) for item in spec))
    if isinstance(spec, str):
        return SCALAR_TYPES.get(spec)
    return None


def _type_rule(fields: Mapping[str, FieldType]) -> str:
    return (
        "a list of codes, " + ", ".join(SCALAR_TYPES) + ", or a field of htcds_fields or "
        "extension_fields (" + _allowed(fields) + ")"
    )


def _field_types(p: _Problems, doc: Mapping[str, Any]) -> dict[str, FieldType]:
    raw: dict[str, tuple[str, Any]] = {}
    sections = (("htcds_fields", HTCDS_PREFIXES), ("extension_fields", (EXTENSION_PREFIX,)))
    for section, prefixes in sections:
        for name, spec in _mapping(p, doc.get(section), section).items():
            if not str(name).startswith(prefixes):
                p.add(f"{section}.{name}", f"Must start with one of: {_allowed(prefixes)}.")
            raw[str(name)] = (section, spec)
    types = {name: t for name, (_, spec) in raw.items() if (t := _literal_type(spec))}
    for name, (section, spec) in raw.items():
        if isinstance(spec, Mapping):
            _extension_codes(p, f"{section}.{name}", name, spec, types)
    for name, (section, spec) in raw.items():
        if name in types or isinstance(spec, Mapping):
            continue
        if isinstance(spec, str) and spec in types:
            types[name] = replace(types[spec], named=spec)
        else:
            p.add(f"{section}.{name}", f"Unknown type {spec!r}; allowed: {_type_rule(types)}.")
    return {name: replace(t, named=t.named or name) for name, t in types.items()}


def _extension_codes(
    p: _Problems, path: str, name: str, spec: Mapping[str, Any], types: dict[str, FieldType]
) -> None:
    """`{extends: <field>, codes: [...]}`: extra codes for an HTCDS picklist (README §4.3 adds
    ext_ForcedCriminality to vic_TypeOfExploitation and exports it as Other)."""
    _unknown_keys(p, spec, path, ("extends", "codes"))
    target, codes = spec.get("extends"), spec.get("codes")
    picklists = [field_name for field_name, t in types.items() if t.kind == "code"]
    if target not in picklists:
        p.add(f"{path}.extends", f"Unknown picklist {target!r}; allowed: {_allowed(picklists)}.")
        return
    if not isinstance(codes, list) or not codes:
        p.add(f"{path}.codes", "Must be a non-empty list of codes.")
        return
    extra = tuple(label(code) for code in codes)
    types[target] = replace(types[target], codes=types[target].codes + extra)
    types[name] = FieldType("code", None, extra)


def _event_types(p: _Problems, raw: Any, fields: Mapping[str, FieldType]) -> dict[str, EventType]:
    events = {}
    for name, attributes in _mapping(p, raw, "events").items():
        found = {}
        for attribute, spec in _mapping(p, attributes, f"events.{name}").items():
            attribute_type = _attribute_type(spec, fields)
            if attribute_type is None:
                p.add(
                    f"events.{name}.{attribute}",
                    f"Unknown type {spec!r}; allowed: {_type_rule(fields)}.",
                )
            else:
                found[str(attribute)] = attribute_type
        events[str(name)] = EventType(str(name), MappingProxyType(found))
    return events


def _attribute_type(spec: Any, fields: Mapping[str, FieldType]) -> FieldType | None:
    literal = _literal_type(spec)
    if literal is not None:
        return literal
    if isinstance(spec, str) and spec in fields:
        return fields[spec]
    return None


def _aggregate_fields(
    p: _Problems, raw: Any, fields: Mapping[str, FieldType], sources: Mapping[str, str]
) -> dict[str, AggregateField]:
    found = {}
    for name, spec in _mapping(p, raw, "aggregate_fields").items():
        path = f"aggregate_fields.{name}"
        if not str(name).startswith(AGGREGATE_PREFIX):
            p.add(path, f"Must start with {AGGREGATE_PREFIX!r}.")
        doc = _mapping(p, spec, path)
        _unknown_keys(p, doc, path, AGGREGATE_KEYS)
        kind = doc.get("type")
        if kind not in AGGREGATE_TYPES:
            p.add(f"{path}.type", f"Unknown type {kind!r}; allowed: {_allowed(AGGREGATE_TYPES)}.")
        attributes = {}
        for attribute, attribute_spec in _mapping(
            p, doc.get("attributes"), f"{path}.attributes", required=kind == "records"
        ).items():
            attribute_type = _attribute_type(attribute_spec, fields)
            if attribute_type is None:
                p.add(
                    f"{path}.attributes.{attribute}",
                    f"Unknown type {attribute_spec!r}; allowed: {_type_rule(fields)}.",
                )
            else:
                attributes[str(attribute)] = attribute_type
        if kind == "count" and not doc.get("unit_of_count"):
            p.add(f"{path}.unit_of_count", "Required for a count: what one unit is.")
        found[str(name)] = AggregateField(
            str(name),
            str(kind),
            doc.get("unit_of_count"),
            _names(p, doc.get("submitted_by"), f"{path}.submitted_by", list(sources)),
            _names(p, doc.get("breakdowns"), f"{path}.breakdowns"),
            MappingProxyType(attributes),
        )
    return found


def _check_aggregate_breakdowns(
    p: _Problems,
    aggregates: Mapping[str, AggregateField],
    disaggregations: Mapping[str, Disaggregation],
) -> None:
    for aggregate in aggregates.values():
        for name in aggregate.breakdowns:
            if name not in disaggregations:
                p.add(
                    f"aggregate_fields.{aggregate.name}.breakdowns",
                    f"Unknown disaggregation {name!r}; allowed: {_allowed(disaggregations)}.",
                )


# --- Disaggregations ---------------------------------------------------------------------------

_BOUND = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)\s*\Z")
_BAND = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|(\+))\s*\Z")


def _disaggregations(
    p: _Problems, raw: Any, fields: Mapping[str, FieldType], events: Mapping[str, EventType]
) -> dict[str, Disaggregation]:
    found = {}
    for name, spec in _mapping(p, raw, "disaggregations").items():
        path = f"disaggregations.{name}"
        doc = _mapping(p, spec, path)
        _unknown_keys(p, doc, path, DISAGGREGATION_KEYS)
        if not isinstance(doc.get("multi_valued", False), bool):
            p.add(f"{path}.multi_valued", "Must be true or false.")
        derived_from = doc.get("derived_from")
        if derived_from == AGGREGATE_BREAKDOWN:
            made = _aggregate_breakdown(p, path, str(name), doc)
        elif isinstance(derived_from, str) and "." in derived_from:
            made = _event_breakdown(p, path, str(name), derived_from, events)
        elif isinstance(derived_from, str) and derived_from in fields:
            made = _field_breakdown(p, path, str(name), doc, fields[derived_from], derived_from)
        else:
            p.add(
                f"{path}.derived_from",
                f"Unknown source {derived_from!r}; allowed: a field ({_allowed(fields)}), "
                f"<Event>.<attr> alternatives joined by '|', or {AGGREGATE_BREAKDOWN!r}.",
            )
            made = None
        if made is not None:
            found[str(name)] = _with_hub_rules(p, path, made, doc)
    for disaggregation in found.values():
        target = disaggregation.hub_collapse_to
        if target is not None and (
            target not in found or found[target].derived_from != disaggregation.derived_from
        ):
            same_source = [
                other.name
                for other in found.values()
                if other.derived_from == disaggregation.derived_from and other is not disaggregation
            ]
            p.add(
                f"disaggregations.{disaggregation.name}.hub_collapse_to",
                f"Unknown disaggregation {target!r} of the same source; allowed: "
                f"{_allowed(same_source)}.",
            )
    return found


def _with_hub_rules(
    p: _Problems, path: str, made: Disaggregation, doc: Mapping[str, Any]
) -> Disaggregation:
    collapse = dict(_mapping(p, doc.get("hub_collapse"), f"{path}.hub_collapse", required=False))
    for source, target in collapse.items():
        for category in (source, target):
            if made.categories and category not in made.categories:
                p.add(
                    f"{path}.hub_collapse",
                    f"Unknown category {category!r}; allowed: {_allowed(made.categories)}.",
                )
    national_only = doc.get("national_only", False)
    if not isinstance(national_only, bool):
        p.add(f"{path}.national_only", "Must be true or false.")
    return replace(
        made,
        hub_collapse=MappingProxyType({str(k): str(v) for k, v in collapse.items()}),
        hub_collapse_to=doc.get("hub_collapse_to"),
        national_only=bool(national_only),
    )


def _aggregate_breakdown(
    p: _Problems, path: str, name: str, doc: Mapping[str, Any]
) -> Disaggregation | None:
    values = doc.get("values")
    if not isinstance(values, list) or not values:
        p.add(f"{path}.values", "Required for an aggregate breakdown: the categories submitted.")
        return None
    categories = tuple(label(value) for value in values)
    return Disaggregation(
        name, "aggregate", (), "aggregate", categories, FieldType("code", False, categories)
    )


def _event_breakdown(
    p: _Problems, path: str, name: str, derived_from: str, events: Mapping[str, EventType]
) -> Disaggregation | None:
    alternatives = tuple(part.strip() for part in derived_from.split("|"))
    codes: list[str] = []
    for alternative in alternatives:
        owner, _, attribute = alternative.partition(".")
        event = events.get(owner)
        if event is None:
            p.add(f"{path}.derived_from", f"Unknown event {owner!r}; allowed: {_allowed(events)}.")
        elif attribute not in event.attributes:
            p.add(
                f"{path}.derived_from",
                f"Unknown attribute {attribute!r} of {owner}; allowed: "
                f"{_allowed(event.attributes)}.",
            )
        else:
            codes += [code for code in event.attributes[attribute].codes if code not in codes]
    categories = (*codes, UNKNOWN) if codes else ()
    return Disaggregation(
        name, "event", alternatives, "identity", categories, FieldType("code", None, categories)
    )


def _field_breakdown(
    p: _Problems,
    path: str,
    name: str,
    doc: Mapping[str, Any],
    source: FieldType,
    source_name: str,
) -> Disaggregation | None:
    # A person falls in several categories if the catalogue says so (multi_valued) or the
    # source is a marked multi-select (iso3166_alpha2_multi); otherwise in one.
    multi = doc.get("multi_valued") is True or source.multi is True
    base = Disaggregation(name, "field", (source_name,), "identity", (), source, multi_valued=multi)
    if "map" in doc:
        return _mapped(p, f"{path}.map", base, doc.get("map"), source)
    if "bands" in doc:
        return _banded(p, f"{path}.bands", base, doc.get("bands"), source)
    values = doc.get("values")
    if values is None or values == "iso3166_alpha2":
        return _identity(p, f"{path}.values", base, values, source)
    if not isinstance(values, list) or not values:
        p.add(f"{path}.values", "Must be a list of categories, or iso3166_alpha2.")
        return None
    categories = tuple(label(value) for value in values)
    if source.kind == "country":
        return _country_scope(p, path, base, categories, doc.get("partner_countries"))
    allowed = _source_values(source)
    for category in categories:
        if category != UNKNOWN and category not in allowed:
            p.add(
                f"{path}.values",
                f"{category!r} is not a value of {source_name}; allowed: {_allowed(allowed)}.",
            )
    return _coded(base, categories)


def _coded(base: Disaggregation, categories: Sequence[str], **changes: Any) -> Disaggregation:
    """Categories as a code list (with `unknown` for a missing value); the derived field holds
    one of them, or several if the breakdown is multi-valued."""
    with_unknown = tuple(categories) + (() if UNKNOWN in categories else (UNKNOWN,))
    made = replace(base, categories=with_unknown, **changes)
    return replace(
        made, value_type=FieldType("code", made.multi_valued, with_unknown, named=base.name)
    )


def _source_values(source: FieldType) -> tuple[str, ...]:
    if source.kind == "boolean":
        return BOOLEAN_LABELS
    return source.codes


def _identity(
    p: _Problems, path: str, base: Disaggregation, values: Any, source: FieldType
) -> Disaggregation | None:
    if values == "iso3166_alpha2" or source.kind == "country":
        if source.kind != "country":
            p.add(path, f"iso3166_alpha2 needs a country field, not {source.describe()}.")
        # An open list: the countries found, plus `unknown` for persons without one.
        return replace(base, categories=(UNKNOWN,), value_type=replace(source, named=base.name))
    allowed = _source_values(source)
    if not allowed:
        p.add(path, f"Needs values, a map or bands: {source.describe()} has no code list.")
        return None
    return _coded(base, allowed)


def _country_scope(
    p: _Problems, path: str, base: Disaggregation, categories: tuple[str, ...], partners: Any
) -> Disaggregation | None:
    """Two ways to sort country codes: by citizenship scope (with partner_countries) or by
    whether the country is the deployment country (domestic / abroad)."""
    if partners is not None:
        if set(categories) != set(SCOPE_VALUES):
            p.add(f"{path}.values", f"With partner_countries, must be: {_allowed(SCOPE_VALUES)}.")
        if not isinstance(partners, list) or not all(
            isinstance(code, str) and re.fullmatch("[A-Z]{2}", code) for code in partners
        ):
            p.add(f"{path}.partner_countries", "Must be a list of ISO 3166 alpha-2 codes.")
            partners = []
        return _coded(
            base,
            categories,
            rule="citizenship_scope",
            partner_countries=frozenset(partners),
            multi_valued=False,
        )
    if set(categories) != set(LOCATION_VALUES):
        p.add(
            f"{path}.values",
            f"A country field sorts into {_allowed(LOCATION_VALUES)}, into "
            f"{_allowed(SCOPE_VALUES)} (with partner_countries), or into its codes "
            "(values: iso3166_alpha2).",
        )
    return _coded(base, categories, rule="location", multi_valued=False)


def _mapped(
    p: _Problems, path: str, base: Disaggregation, raw: Any, source: FieldType
) -> Disaggregation | None:
    doc = _mapping(p, raw, path)
    allowed = _source_values(source)
    rules: list[MapRule] = []
    seen: dict[str, str] = {}
    for category, entry in doc.items():
        rule = _map_rule(p, f"{path}.{category}", label(category), entry, source, allowed)
        for code in rule.codes:
            if code in seen and not base.multi_valued:
                p.add(f"{path}.{category}", f"{code!r} is already under {seen[code]!r}.")
            seen.setdefault(code, rule.category)
        rules.append(rule)
    categories = [rule.category for rule in rules]
    return _coded(base, categories, rule="map", rules=tuple(rules))


def _map_rule(
    p: _Problems, path: str, category: str, entry: Any, source: FieldType, allowed: Sequence[str]
) -> MapRule:
    if entry is None:
        return MapRule(category, takes_missing=True)
    if isinstance(entry, str):
        bound = _BOUND.match(entry)
        if bound is None or not source.numeric:
            p.add(path, f"A bound like '< 18' needs a number field, not {source.describe()}.")
            return MapRule(category)
        return MapRule(category, bound=(bound.group(1), float(bound.group(2))))
    if not isinstance(entry, list):
        p.add(path, "Must be a list of source codes, a bound such as '< 18', or null.")
        return MapRule(category)
    for code in entry:
        if code is not None and label(code) not in allowed:
            p.add(
                path,
                f"{label(code)!r} is not a value of {source.describe()}; allowed: "
                f"{_allowed(allowed)}.",
            )
    codes = frozenset(label(code) for code in entry if code is not None)
    return MapRule(category, codes, takes_missing=None in entry)


def _banded(
    p: _Problems, path: str, base: Disaggregation, raw: Any, source: FieldType
) -> Disaggregation | None:
    if not source.numeric:
        p.add(path, f"Bands need a number field, not {source.describe()}.")
        return None
    bands: list[Band] = []
    for text in raw if isinstance(raw, list) else [raw]:
        match = _BAND.match(str(text))
        if match is None:
            p.add(path, f"Band {text!r} must look like '18-20' or '48+'.")
            continue
        low = float(match.group(1))
        high = None if match.group(3) else float(match.group(2))
        previous = bands[-1] if bands else None
        after_open = previous is not None and previous.high is None
        if (
            (high is not None and high < low)
            or after_open
            or (previous is not None and previous.high is not None and low <= previous.high)
        ):
            p.add(path, f"Band {text!r} must start above the previous band and not be empty.")
        bands.append(Band(str(text), low, high))
    return _coded(base, [band.label for band in bands], rule="bands", bands=tuple(bands))


# --- Expressions against the catalogue ---------------------------------------------------------


@dataclass
class _Scope:
    """What names resolve to; shared by populations and indicators."""

    vocabularies: Vocabularies
    fields: Mapping[str, FieldType]
    events: Mapping[str, EventType]
    aggregates: Mapping[str, AggregateField]
    disaggregations: Mapping[str, Disaggregation]
    populations: dict[str, Population]

    @property
    def derived(self) -> dict[str, FieldType]:
        return {
            name: d.value_type for name, d in self.disaggregations.items() if d.origin == "field"
        }

    def person_field(self, name: str) -> FieldType | None:
        return self.fields.get(name) or self.derived.get(name)


@dataclass
class _Checker:
    """Resolves every ref of a condition and checks each value against the ref's type. Top-
    level `<Owner>.<attr>` refs must name the statistic's subject (its event type or records
    field); inside `exists <Event>(...)`, bare names are that event's attributes first."""

    scope: _Scope
    subject: Subject
    parameters: Mapping[str, Any]
    problems: list[str] = field(default_factory=list)

    def condition(self, condition: ex.Condition, event: str | None = None) -> None:
        if isinstance(condition, ex.AnyOf):
            for inner in condition.conditions:
                self.condition(inner, event)
        elif isinstance(condition, ex.EventExists):
            self._event_call(condition)
        else:
            ref_type = self.ref(condition.ref, event)
            if ref_type is not None:
                self._test(condition, ref_type)

    def _event_call(self, condition: ex.EventExists) -> None:
        if condition.event not in self.scope.events:
            self.problems.append(
                f"Unknown event {condition.event!r}; allowed: {_allowed(self.scope.events)}."
            )
            return
        for inner in condition.conditions:
            self.condition(inner, condition.event)

    def ref(self, ref: ex.Ref, event: str | None) -> FieldType | None:
        if isinstance(ref, ex.DaysBetween):
            ends = [self.ref(ref.start, event), self.ref(ref.end, event)]
            for end in ends:
                if end is not None and end.kind != "date":
                    self.problems.append(f"days_between takes dates, not {end.describe()}.")
            return FieldType("integer")
        if isinstance(ref, ex.First):
            return self._event_attribute(ref.event, ref.attribute, "first(...)")
        if isinstance(ref, ex.Attribute):
            return self._owned(ref, event)
        return self._name(ref.name, event)

    def _name(self, name: str, event: str | None) -> FieldType | None:
        if event is not None and name in self.scope.events[event].attributes:
            return self.scope.events[event].attributes[name]
        if self.subject.kind == "records":
            self.problems.append(
                f"Unknown ref {name!r}: {self.subject.name} records have no person; write "
                f"{self.subject.name}.<attr>."
            )
            return None
        found = self.scope.person_field(name)
        if found is None:
            inside = ""
            if event is not None:
                attributes = _allowed(self.scope.events[event].attributes)
                inside = f", or an attribute of {event} ({attributes})"
            self.problems.append(
                f"Unknown field {name!r}; allowed: a case field ({_allowed(self.scope.fields)}),"
                f" a derived field ({_allowed(self.scope.derived)}){inside}."
            )
        return found

    def _owned(self, ref: ex.Attribute, event: str | None) -> FieldType | None:
        subject = self.subject
        if ref.owner not in self.scope.events and ref.owner not in self.scope.aggregates:
            self.problems.append(
                f"Unknown event or agg_ field {ref.owner!r} in {ref.owner}.{ref.name}; allowed "
                f"events: {_allowed(self.scope.events)}; records fields: "
                f"{_allowed(n for n, a in self.scope.aggregates.items() if a.type == 'records')}."
            )
            return None
        if (
            event is not None
            or subject.kind not in ("event", "records")
            or (subject.name != ref.owner)
        ):
            self.problems.append(
                f"{ref.owner}.{ref.name} can only be tested in a statistic over {ref.owner} "
                f"(this one is over {subject.name or subject.kind}); use exists "
                f"{ref.owner}(...) to test a person's events."
            )
            return None
        if ref.owner in self.scope.events:
            return self._event_attribute(ref.owner, ref.name, f"{ref.owner}.{ref.name}")
        attributes = self.scope.aggregates[ref.owner].attributes
        if ref.name not in attributes:
            self.problems.append(
                f"Unknown attribute {ref.name!r} of {ref.owner}; allowed: {_allowed(attributes)}."
            )
        return attributes.get(ref.name)

    def _event_attribute(self, owner: str, name: str, where: str) -> FieldType | None:
        event = self.scope.events.get(owner)
        if event is None:
            self.problems.append(
                f"Unknown event {owner!r} in {where}; allowed: {_allowed(self.scope.events)}."
            )
            return None
        if name not in event.attributes:
            self.problems.append(
                f"Unknown attribute {name!r} of {owner} in {where}; allowed: "
                f"{_allowed(event.attributes)}."
            )
        return event.attributes.get(name)

    def _test(self, condition: ex.Condition, ref_type: FieldType) -> None:
        what = ref_type.describe()
        if isinstance(condition, ex.PeriodTest) and ref_type.kind != "date":
            self.problems.append(f"{condition.operator} needs a date, but {what} is not one.")
        if isinstance(condition, ex.Membership) and condition.operator in ("has", "has_any"):
            if ref_type.multi is False:
                self.problems.append(
                    f"{condition.operator} needs a multi-select; {what} holds one value "
                    "(use == or in)."
                )
        elif isinstance(condition, ex.Membership | ex.Comparison) and ref_type.multi is True:
            self.problems.append(f"{what} is a multi-select: use has or has_any.")
        if isinstance(condition, ex.Comparison) and condition.operator in ex.ORDERING:
            self._ordering(condition.operand, ref_type)
            return
        for operand in ex.operands_of(condition):
            self._operand(operand, ref_type)

    def _ordering(self, operand: ex.Operand, ref_type: FieldType) -> None:
        if isinstance(operand, ex.PeriodEnd):
            if ref_type.kind != "date":
                self.problems.append(f"period_end is a date; {ref_type.describe()} is not one.")
            return
        if not ref_type.numeric:
            self.problems.append(f"<, <=, >=, > need a number; {ref_type.describe()} is not one.")
            return
        self._operand(operand, ref_type)

    def _operand(self, operand: ex.Operand, ref_type: FieldType) -> None:
        if isinstance(operand, ex.Parameter):
            if operand.name == DEPLOYMENT_COUNTRY:
                if ref_type.kind != "country":
                    self.problems.append(
                        f"{{{DEPLOYMENT_COUNTRY}}} is a country code; {ref_type.describe()} "
                        "is not a country field."
                    )
                return
            elif operand.name in self.parameters:
                operand = ex.literal(self.parameters[operand.name])
            else:
                self.problems.append(
                    f"Unknown parameter {{{operand.name}}}; allowed: "
                    f"{_allowed([*self.parameters, DEPLOYMENT_COUNTRY])}."
                )
                return
        problem = _misfit(operand, ref_type)
        if problem:
            self.problems.append(problem)


def _misfit(operand: ex.Operand, ref_type: FieldType) -> str | None:
    """Why an operand cannot be a value of the type, or None if it can."""
    what = ref_type.describe()
    if isinstance(operand, ex.Number):
        return None if ref_type.numeric else f"{operand.value} is a number; {what} is not."
    if isinstance(operand, ex.Flag):
        if ref_type.kind == "boolean" or set(BOOLEAN_LABELS) <= set(ref_type.codes):
            return None
        return f"{label(operand.value)} is a boolean; {what} is not."
    if not isinstance(operand, ex.Code):
        return f"{operand} is not a value of {what}."
    if ref_type.kind == "code":
        if ref_type.codes and operand.value not in ref_type.codes:
            return (
                f"{operand.value!r} is not a value of {what}; allowed: {_allowed(ref_type.codes)}."
            )
        return None
    if ref_type.kind == "country":
        if re.fullmatch("[A-Z]{2}", operand.value):
            return None
        return f"{operand.value!r} is not an ISO 3166 alpha-2 code (the values of {what})."
    return f"{operand.value!r} is not a value of {what} ({ref_type.kind})."


def _top_level_refs(condition: ex.Condition) -> Iterator[ex.Ref]:
    """Refs outside any `exists <Event>(...)`: those that read the statistic's subject."""
    if isinstance(condition, ex.AnyOf):
        for inner in condition.conditions:
            yield from _top_level_refs(inner)
    else:
        for ref in ex.refs_of(condition):
            yield from ex.ref_parts(ref)


def _witness_events(conditions: Iterable[ex.Condition]) -> set[str]:
    """Event types whose matching events a person-level statistic can be broken down by."""
    found: set[str] = set()
    for condition in conditions:
        if isinstance(condition, ex.EventExists) and not condition.negated:
            found.add(condition.event)
        elif isinstance(condition, ex.AnyOf):
            found |= _witness_events(condition.conditions)
    return found


def _parse_where(p: _Problems, path: str, raw: Any) -> list[ex.Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        p.add(path, "Must be a list of conditions (AND); {any_of: [...]} is an OR group.")
        return []
    found = []
    for n, item in enumerate(raw):
        condition = _parse_item(p, f"{path}[{n}]", item)
        if condition is not None:
            found.append(condition)
    return found


def _parse_item(p: _Problems, path: str, item: Any) -> ex.Condition | None:
    if isinstance(item, Mapping):
        if set(item) != {"any_of"} or not isinstance(item["any_of"], list) or not item["any_of"]:
            p.add(path, "A group must be {any_of: [<condition>, ...]} with at least one item.")
            return None
        inner = _parse_where(p, f"{path}.any_of", item["any_of"])
        return ex.AnyOf(tuple(inner)) if len(inner) == len(item["any_of"]) else None
    try:
        return ex.parse_condition(item)
    except ex.ExpressionError as error:
        p.add(path, f"Cannot parse: {error}.")
        return None


def _populations(p: _Problems, raw: Any, scope: _Scope) -> dict[str, Population]:
    found = {}
    for name, items in _mapping(p, raw, "populations").items():
        path = f"populations.{name}"
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            p.add(path, "Must be a list of conditions (text).")
            continue
        conditions = _parse_where(p, path, items)
        checker = _Checker(scope, Subject("person"), {})
        for n, condition in enumerate(conditions):
            checker.condition(condition)
            for problem in checker.problems:
                p.add(f"{path}[{n}]", problem)
            checker.problems.clear()
        found[str(name)] = Population(str(name), tuple(conditions), tuple(items))
    return found


def _retired(p: _Problems, raw: Any) -> tuple[str, ...]:
    codes = _names(p, raw, "retired")
    for code in codes:
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            p.add("retired", f"{code!r} does not match the code pattern {CODE_PATTERN.pattern}.")
    return tuple(str(code) for code in codes)


# --- Indicators --------------------------------------------------------------------------------


def _indicator(
    p: _Problems,
    n: int,
    raw: Any,
    scope: _Scope,
    sources: Mapping[str, str],
    references: Mapping[str, Any],
) -> Indicator | None:
    if not isinstance(raw, Mapping):
        p.add(f"indicators[{n}]", "Must be a mapping.")
        return None
    code = raw.get("code")
    at = code if isinstance(code, str) and CODE_PATTERN.match(code) else f"indicators[{n}]"
    _unknown_keys(p, raw, at, INDICATOR_KEYS)
    vocab = scope.vocabularies
    kind = _one_of(p, f"{at}.kind", raw.get("kind"), vocab.kinds)
    parameters = _parameters(p, at, raw.get("parameters"))
    indicator = Indicator(
        code=str(code),
        area=_one_of(p, f"{at}.area", raw.get("area"), vocab.areas),
        type=_one_of(p, f"{at}.type", raw.get("type"), vocab.types),
        kind=kind,
        title=_text(p, raw.get("title"), f"{at}.title"),
        description=_text(p, raw.get("description"), f"{at}.description"),
        unit=str(raw.get("unit") or (SCORE if kind == QUALITATIVE else "")),
        polarity=raw.get("polarity"),
        parameters=MappingProxyType(parameters),
        source=_names(p, raw.get("source"), f"{at}.source", list(sources)),
        reference=_references(p, f"{at}.reference", raw.get("reference"), references),
        topic=raw.get("topic"),
        notes=raw.get("notes"),
    )
    if kind == QUALITATIVE:
        return _qualitative(p, at, raw, indicator, scope)
    if kind == QUANTITATIVE:
        return _quantitative(p, at, raw, indicator, scope)
    return indicator


def _one_of(p: _Problems, path: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        p.add(path, f"Unknown {value!r}; allowed: {_allowed(allowed)}.")
    return str(value)


def _parameters(p: _Problems, at: str, raw: Any) -> dict[str, Any]:
    found = dict(_mapping(p, raw, f"{at}.parameters", required=False))
    for name, value in found.items():
        if name == DEPLOYMENT_COUNTRY:
            p.add(f"{at}.parameters.{name}", "Reserved: the deployment fills it in.")
        if not isinstance(value, str | int | float | bool):
            p.add(f"{at}.parameters.{name}", "Must be a single code, number or boolean.")
    return found


def _references(
    p: _Problems, path: str, raw: Any, references: Mapping[str, Any]
) -> tuple[str, ...]:
    found = _names(p, raw, path)
    for item in found:
        key = str(item).split(":", 1)[0]
        if key not in references:
            p.add(path, f"Unknown reference {key!r} in {item!r}; allowed: {_allowed(references)}.")
    return tuple(str(item) for item in found)


def _qualitative(
    p: _Problems, at: str, raw: Mapping[str, Any], indicator: Indicator, scope: _Scope
) -> Indicator:
    for key in ("numerator", "denominator"):
        if key in raw:
            p.add(f"{at}.{key}", "A qualitative indicator is scored, not computed: remove it.")
    if indicator.unit != SCORE:
        p.add(f"{at}.unit", f"A qualitative indicator's unit is {SCORE!r}.")
    if raw.get("disaggregations"):
        p.add(f"{at}.disaggregations", "A score has no breakdowns.")
    if indicator.polarity is not None:
        _one_of(p, f"{at}.polarity", indicator.polarity, scope.vocabularies.polarity)
    scale = _scale(p, f"{at}.scale", raw.get("scale"))
    evidence = _names(p, raw.get("evidence"), f"{at}.evidence")
    if not evidence:
        p.add(f"{at}.evidence", "List at least one kind of evidence a score rests on.")
    return replace(indicator, scale=scale, evidence=tuple(map(str, evidence)))


def _scale(p: _Problems, path: str, raw: Any) -> tuple[ScaleLevel, ...]:
    if not isinstance(raw, list):
        p.add(path, f"Required: one level per score {_allowed(SCALE_SCORES)}.")
        return ()
    levels = []
    for n, level in enumerate(raw):
        doc = _mapping(p, level, f"{path}[{n}]")
        levels.append(
            ScaleLevel(
                doc.get("score"),  # type: ignore[arg-type]  # checked just below
                _text(p, doc.get("label"), f"{path}[{n}].label"),
                _text(p, doc.get("meaning"), f"{path}[{n}].meaning"),
            )
        )
    scores = [level.score for level in levels]
    if scores != list(SCALE_SCORES):
        p.add(path, f"Scores must be {_allowed(SCALE_SCORES)} in order; found {_allowed(scores)}.")
    return tuple(levels)


def _quantitative(
    p: _Problems, at: str, raw: Mapping[str, Any], indicator: Indicator, scope: _Scope
) -> Indicator:
    vocab = scope.vocabularies
    _one_of(p, f"{at}.unit", raw.get("unit"), [u for u in vocab.units if u != SCORE])
    _one_of(p, f"{at}.polarity", indicator.polarity, vocab.polarity)
    for key in ("scale", "evidence"):
        if key in raw:
            p.add(f"{at}.{key}", "Only qualitative indicators are scored.")
    numerator = _statistic(p, f"{at}.numerator", raw.get("numerator"), scope, indicator)
    denominator = None
    if "denominator" in raw:
        denominator = _statistic(p, f"{at}.denominator", raw["denominator"], scope, indicator)
    if indicator.unit == PERCENT and "denominator" not in raw:
        p.add(f"{at}.denominator", "Required: a percentage is numerator / denominator * 100.")
    if indicator.unit != PERCENT and "denominator" in raw:
        p.add(f"{at}.unit", f"Must be {PERCENT!r} when there is a denominator.")
    if raw.get("disaggregations") is None:
        p.add(f"{at}.disaggregations", "Required: a list (empty if there are none).")
    names = _names(
        p, raw.get("disaggregations"), f"{at}.disaggregations", list(scope.disaggregations)
    )
    parts = {"numerator": numerator, "denominator": denominator}
    for name in names:
        if name in scope.disaggregations:
            for part_name, part in parts.items():
                problem = _breakdown_problem(scope, scope.disaggregations[name], part)
                if problem:
                    p.add(
                        f"{at}.disaggregations.{name}", f"Cannot split the {part_name}: {problem}"
                    )
    return replace(
        indicator, numerator=numerator, denominator=denominator, disaggregations=tuple(names)
    )


def _statistic(
    p: _Problems, path: str, raw: Any, scope: _Scope, indicator: Indicator
) -> Statistic | None:
    doc = _mapping(p, raw, path)
    if not doc:
        return None
    _unknown_keys(p, doc, path, STATISTIC_KEYS)
    kinds = [kind for kind in STATISTICS if kind in doc]
    if len(kinds) != 1:
        p.add(path, f"Must name exactly one statistic of: {_allowed(STATISTICS)}.")
        return None
    kind = kinds[0]
    where = _parse_where(p, f"{path}.where", doc.get("where"))
    population = doc.get("population")
    if population is not None and population not in scope.populations:
        p.add(
            f"{path}.population",
            f"Unknown population {population!r}; allowed: {_allowed(scope.populations)}.",
        )
    if kind == "aggregate":
        return _aggregate_statistic(p, path, doc, scope)
    ref = None
    if kind in ("sum", "median"):
        try:
            ref = ex.parse_ref(doc[kind])
        except ex.ExpressionError as error:
            p.add(f"{path}.{kind}", f"Cannot parse: {error}.")
            return None
    entity = doc.get("count") if kind == "count" else doc.get("over")
    if "over" in doc and kind != "median":
        p.add(f"{path}.over", "Only a median takes over: a count names its entity itself.")
    subject = _subject(p, path, kind, entity, ref, where, scope)
    if subject is None:
        return None
    if subject.kind == "records" and population is not None:
        p.add(f"{path}.population", f"A population selects persons; {subject.name} has none.")
    checker = _Checker(scope, subject, indicator.parameters)
    if ref is not None:
        ref_type = checker.ref(ref, None)
        if ref_type is not None and not ref_type.numeric:
            checker.problems.append(f"{kind} needs a number; {ref_type.describe()} is not one.")
        for problem in checker.problems:
            p.add(f"{path}.{kind}", problem)
        checker.problems.clear()
    for n, condition in enumerate(where):
        checker.condition(condition)
        for problem in checker.problems:
            p.add(f"{path}.where[{n}]", problem)
        checker.problems.clear()
    return Statistic(kind, subject, entity, ref, None, population, tuple(where))


def _aggregate_statistic(
    p: _Problems, path: str, doc: Mapping[str, Any], scope: _Scope
) -> Statistic | None:
    name = doc.get("aggregate")
    figures = [n for n, a in scope.aggregates.items() if a.type != "records"]
    if name not in figures:
        p.add(
            f"{path}.aggregate",
            f"Unknown agg_ figure {name!r}; allowed: {_allowed(figures)} (records fields are "
            "summarised with median or sum).",
        )
        return None
    for key in ("where", "population", "over"):
        if key in doc:
            p.add(f"{path}.{key}", "An aggregate is taken as submitted: it has no conditions.")
    return Statistic("aggregate", Subject("aggregate", name), aggregate=name)


def _subject(
    p: _Problems,
    path: str,
    kind: str,
    entity: Any,
    ref: ex.Ref | None,
    where: Sequence[ex.Condition],
    scope: _Scope,
) -> Subject | None:
    """What the statistic runs over: the owner of its `<Owner>.<attr>` refs if any, else
    persons. A median needs `over: person` unless its ref names an event or records field."""
    owners = [
        r.owner
        for condition in where
        for r in _top_level_refs(condition)
        if isinstance(r, ex.Attribute)
    ]
    if isinstance(ref, ex.Attribute) and not (kind == "median" and entity is not None):
        owners.insert(0, ref.owner)
    if len(set(owners)) > 1:
        p.add(
            path,
            f"Tests attributes of several owners ({_allowed(dict.fromkeys(owners))}); "
            "a statistic runs over one event type or records field.",
        )
        return None
    owner = owners[0] if owners else None
    if kind == "count":
        return _count_subject(p, path, entity, owner, scope)
    if kind == "median" and entity is not None:
        if entity not in MEDIAN_OVER:
            p.add(f"{path}.over", f"Unknown {entity!r}; allowed: {_allowed(MEDIAN_OVER)}.")
            return None
        return Subject("person")
    if owner is None:
        p.add(
            f"{path}.{kind}", f"{kind} needs <Event>.<attr>, agg_<records>.<attr> or over: person."
        )
        return None
    if owner in scope.aggregates:
        return Subject("records", owner)
    return Subject("event", owner)


def _count_subject(
    p: _Problems, path: str, entity: Any, owner: str | None, scope: _Scope
) -> Subject | None:
    allowed = scope.vocabularies.count_entities
    if entity not in allowed:
        p.add(f"{path}.count", f"Unknown entity {entity!r}; allowed: {_allowed(allowed)}.")
        return None
    if owner is not None and owner not in scope.events:
        p.add(path, f"count runs over persons or events; {owner} is neither.")
        return None
    if entity in ENTITY_KEYS:
        key = ENTITY_KEYS[entity]
        if owner is None:
            p.add(f"{path}.count", f"Counting {entity}s needs conditions on <Event>.<attr>.")
            return None
        if key not in scope.events[owner].attributes:
            p.add(
                f"{path}.count",
                f"Counting {entity}s needs a {key} attribute on {owner}; it has: "
                f"{_allowed(scope.events[owner].attributes)}.",
            )
            return None
    return Subject("event", owner) if owner else Subject("person")


def _breakdown_problem(scope: _Scope, d: Disaggregation, part: Statistic | None) -> str | None:
    """Why this breakdown cannot be computed for a numerator or denominator, or None."""
    if part is None:
        return None
    subject = part.subject
    if subject.kind == "aggregate":
        aggregate = scope.aggregates[str(subject.name)]
        if d.name in aggregate.breakdowns:
            return None
        return (
            f"{aggregate.name} is submitted without a {d.name} breakdown (its breakdowns: "
            f"{_allowed(aggregate.breakdowns)})."
        )
    if d.origin == "aggregate":
        return f"{d.name} only exists in aggregate submissions."
    if subject.kind == "records":
        attributes = scope.aggregates[str(subject.name)].attributes
        if d.origin == "field" and any(t.named == d.derived_from[0] for t in attributes.values()):
            return None
        return f"{subject.name} records have no {d.derived_from[0]} attribute."
    if d.origin == "field":
        return None
    owners = {alternative.partition(".")[0] for alternative in d.derived_from}
    if subject.kind == "event" and subject.name in owners:
        return None
    population = scope.populations.get(part.population or "")
    witnesses = _witness_events([*part.where, *(population.conditions if population else ())])
    if witnesses & owners:
        return None
    over = f"{subject.name} events" if subject.name else "persons"
    return (
        f"{d.name} comes from {' | '.join(d.derived_from)}; it runs over {over} and selects no "
        f"{' or '.join(sorted(owners))} event with exists (which would carry the value)."
    )


def _check_codes(p: _Problems, indicators: list[Indicator | None], retired: Sequence[str]) -> None:
    seen: set[str] = set()
    for n, indicator in enumerate(indicators):
        if indicator is None:
            continue
        code = indicator.code
        if not CODE_PATTERN.match(code):
            p.add(f"indicators[{n}].code", f"{code!r} does not match {CODE_PATTERN.pattern}.")
        elif code in seen:
            p.add(f"{code}.code", f"{code} is used by more than one indicator.")
        elif code in retired:
            p.add(f"{code}.code", f"{code} is retired (listed under retired) and is never reused.")
        seen.add(code)


def check_succession(earlier: Catalogue, later: Catalogue) -> None:
    """A later version of the same catalogue keeps every code: each earlier code is still an
    indicator or listed as retired, and a retired code stays retired and unused."""
    errors: dict[str, list[str]] = {}
    if earlier.catalog_id != later.catalog_id:
        errors["catalog_id"] = [f"Must stay {earlier.catalog_id!r}."]
    for code in earlier.codes:
        if code not in later.codes and code not in later.retired:
            errors.setdefault("retired", []).append(
                f"{code} is gone from {later.catalog_version}: list it under retired."
            )
    for code in earlier.retired:
        if code not in later.retired:
            errors.setdefault("retired", []).append(f"{code} was retired; it must stay listed.")
        if code in later.codes:
            errors.setdefault(f"{code}.code", []).append(
                f"{code} was retired in {earlier.catalog_version} and is never reused."
            )
    if errors:
        raise ValidationProblem(
            f"{later.catalog_version} does not follow {earlier.catalog_version}", errors
        )
