"""Institutions' aggregate submissions: the `agg_` figures an institution holds for a country and
reference period (no personal data), with their provenance. A resubmission is a new version of
the same stream that supersedes the previous one; the history stays.

Stream: `submission-<country>-<organisation_id>-<period>`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from shared.backbone.envelope import NewEvent
from shared.backbone.registry import REGISTRY
from shared.errors import ValidationProblem

SUBMITTED = "intake.AggregateSubmitted"
PERIOD = re.compile(r"^(?P<year>(19|20)\d\d)(-Q(?P<quarter>[1-4]))?$")
CATALOGUE = (
    Path(__file__).resolve().parents[1] / "indicators" / "catalogue"
    / "ban-regional-core-2025.1-seed.yaml"
)  # fmt: skip


@dataclass(frozen=True)
class AggregateField:
    name: str
    type: str  # count | amount_eur | records
    breakdowns: tuple[str, ...]
    attributes: Mapping[str, Any]


@cache
def aggregate_fields() -> dict[str, AggregateField]:
    """The `agg_` fields of the regional core catalogue (the indicators service owns it)."""
    data = yaml.safe_load(CATALOGUE.read_text())
    return {
        name: AggregateField(name, spec["type"], tuple(spec.get("breakdowns", ())),
                             spec.get("attributes", {}))
        for name, spec in data["aggregate_fields"].items()
    }  # fmt: skip


class Document(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    reference = fields.String(validate=validate.Length(max=200))
    dated = fields.Date()


@REGISTRY.event(SUBMITTED, version=1)
class AggregateSubmitted(Schema):
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    organisation_id = fields.UUID(required=True)
    period = fields.String(required=True, validate=validate.Regexp(PERIOD.pattern))
    figures = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    document = fields.Nested(Document, required=True)
    supersedes_version = fields.Integer(allow_none=True, load_default=None)


def submission_stream(country: str, organisation_id: uuid.UUID | str, period: str) -> str:
    return f"submission-{country}-{organisation_id}-{period}"


def decide_submission(
    country: str,
    organisation_id: uuid.UUID,
    period: str,
    figures: Mapping[str, Any],
    document: Mapping[str, Any],
    current_version: int,
    today: date,
    **context: Any,
) -> NewEvent:
    """Checks every figure against the catalogue's aggregate fields; all errors at once."""
    errors: dict[str, list[str]] = {}
    match = PERIOD.match(period)
    if match is None:
        errors["period"] = ["A year (2024) or a quarter (2024-Q3)."]
    elif int(match["year"]) > today.year:
        errors["period"] = ["Must not be in the future."]
    if not figures:
        errors["figures"] = ["Submit at least one agg_ field."]
    known = aggregate_fields()
    for name, value in figures.items():
        spec = known.get(name)
        if spec is None:
            errors[f"figures.{name}"] = ["Unknown field; one of: " + ", ".join(sorted(known))]
            continue
        errors.update({f"figures.{name}{k}": v for k, v in _figure_errors(spec, value).items()})
    try:
        doc = Document().load(document)
    except ValidationError as exc:
        errors.update({f"document.{k}": v for k, v in exc.normalized_messages().items()})
        doc = {}
    if errors:
        raise ValidationProblem("the submission has invalid fields: " + ", ".join(sorted(errors)),
                                errors)  # fmt: skip
    payload = {
        "country": country, "organisation_id": str(organisation_id), "period": period,
        "figures": dict(figures), "document": Document().dump(doc),
        "supersedes_version": current_version or None,
    }  # fmt: skip
    return NewEvent(SUBMITTED, payload, **context)


def _figure_errors(spec: AggregateField, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {"": ['An object: {"total": n, "breakdowns": {...}} or {"records": [...]}.']}
    if spec.type == "records":
        return _records_errors(spec, value)
    errors: dict[str, list[str]] = {}
    total = value.get("total")
    if not _number(total, whole=spec.type == "count"):
        errors[".total"] = ["A whole number, 0 or more." if spec.type == "count"
                            else "An amount in EUR, 0 or more."]  # fmt: skip
    for dimension, cells in (value.get("breakdowns") or {}).items():
        if dimension not in spec.breakdowns:
            allowed = ", ".join(spec.breakdowns) or "none"
            errors[f".breakdowns.{dimension}"] = [
                f"Not a breakdown of this field; allowed: {allowed}."
            ]
            continue
        if not isinstance(cells, Mapping) or not all(_number(n, True) for n in cells.values()):
            errors[f".breakdowns.{dimension}"] = ["An object of category: whole number."]
        elif _number(total, True) and sum(cells.values()) > total:
            errors[f".breakdowns.{dimension}"] = [
                f"The cells add up to more than the total {total}."
            ]
    unknown = set(value) - {"total", "breakdowns"}
    if unknown:
        errors[""] = [f"Unknown keys {sorted(unknown)}; allowed: total, breakdowns."]
    return errors


def _records_errors(spec: AggregateField, value: Mapping[str, Any]) -> dict[str, list[str]]:
    records = value.get("records")
    if not isinstance(records, list):
        return {".records": ["A list of records."]}
    errors: dict[str, list[str]] = {}
    for number, record in enumerate(records):
        if not isinstance(record, Mapping):
            errors[f".records.{number}"] = ["An object."]
            continue
        for attribute, kind in spec.attributes.items():
            if attribute not in record:
                errors[f".records.{number}.{attribute}"] = ["Missing."]
            elif not _attribute_ok(kind, record[attribute]):
                errors[f".records.{number}.{attribute}"] = [f"Must be {_describe(kind)}."]
        for extra in set(record) - set(spec.attributes):
            errors[f".records.{number}.{extra}"] = [
                "Unknown attribute; allowed: " + ", ".join(spec.attributes) + "."]  # fmt: skip
    return errors


def _number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value >= 0 and (not whole or float(value).is_integer())


def _attribute_ok(kind: Any, value: Any) -> bool:
    if isinstance(kind, list):
        return value in kind
    if kind == "number":
        return _number(value, whole=False)
    if kind == "integer":
        return _number(value, whole=True)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str) and bool(value)  # a code list the indicators service checks


def _describe(kind: Any) -> str:
    if isinstance(kind, list):
        return "one of " + ", ".join(kind)
    return {"number": "a number, 0 or more", "integer": "a whole number, 0 or more",
            "boolean": "true or false"}.get(kind, f"a {kind} code")  # fmt: skip
