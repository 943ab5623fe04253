"""Form fields generated from the marshmallow schemas the APIs validate with, so a form asks
for exactly what the service accepts; the service's answer (errors by field name) is shown
next to the field it names. Turning the posted strings into typed values is the only
checking done here: the service decides what is valid."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, fields
from marshmallow.validate import OneOf, Range
from werkzeug.datastructures import MultiDict

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text, number, date, select, multiselect, checkbox, textarea
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str | None = None
    hint: str = ""
    parse: str = "text"  # how the posted string becomes JSON: text, int, float, flag, codes
    extra: Mapping[str, Any] = field(default_factory=dict)


def _allowed(schema_field: fields.Field) -> tuple[str, ...]:
    allowed = getattr(schema_field, "allowed", None)  # the intake Codes multi-select
    if allowed is not None:
        return tuple(sorted(allowed))
    for validator in _validators(schema_field):
        if isinstance(validator, OneOf):
            return tuple(str(choice) for choice in validator.choices)
    return ()


def _validators(schema_field: fields.Field) -> list[Any]:
    return list(getattr(schema_field, "validators", []) or [])


def _range(schema_field: fields.Field) -> tuple[float | None, float | None]:
    for validator in _validators(schema_field):
        if isinstance(validator, Range):
            return _number(validator.min), _number(validator.max)
    return None, None


def _number(bound: Any) -> float | None:
    """A bound the browser can check (dates and other bounds are left to the service)."""
    return bound if isinstance(bound, int | float) and not isinstance(bound, bool) else None


def spec_of(
    name: str, schema_field: fields.Field, label: Translate, choice_label: Translate
) -> FieldSpec:
    required = bool(schema_field.required)
    choices = tuple(Choice(value, choice_label(value)) for value in _allowed(schema_field))
    low, high = _range(schema_field)
    if getattr(schema_field, "allowed", None) is not None or isinstance(schema_field, fields.List):
        return FieldSpec(name, label(name), "multiselect", required, choices, parse="codes")
    if isinstance(schema_field, fields.Boolean):
        return FieldSpec(name, label(name), "checkbox", required, parse="flag")
    if isinstance(schema_field, fields.Date):
        return FieldSpec(name, label(name), "date", required)
    if isinstance(schema_field, fields.Integer):
        return FieldSpec(name, label(name), "number", required, minimum=low, maximum=high,
                         parse="int")  # fmt: skip
    if isinstance(schema_field, fields.Float | fields.Decimal):
        return FieldSpec(name, label(name), "number", required, minimum=low, maximum=high,
                         step="0.01", parse="float")  # fmt: skip
    if choices:
        return FieldSpec(name, label(name), "select", required, choices)
    return FieldSpec(name, label(name), "text", required)


def form_of(
    schema: Schema | type[Schema],
    label: Translate,
    choice_label: Translate,
    leave_out: Iterable[str] = (),
) -> list[FieldSpec]:
    """The fields of a schema in declaration order, required ones first."""
    instance = schema() if isinstance(schema, type) else schema
    skipped = set(leave_out)
    typed = [(name, f) for name, f in instance.fields.items() if not f.dump_only]
    specs = [spec_of(name, f, label, choice_label) for name, f in typed if name not in skipped]
    return sorted(specs, key=lambda spec: not spec.required)


def payload_of(specs: Iterable[FieldSpec], posted: MultiDict[str, str]) -> dict[str, Any]:
    """The JSON body a form's posted values stand for. An empty field is left out; a value that
    is not a number stays a string, so the service names it in its answer."""
    body: dict[str, Any] = {}
    for spec in specs:
        if spec.parse == "codes":
            values = [value for value in posted.getlist(spec.name) if value]
            if values:
                body[spec.name] = values
            continue
        raw = posted.get(spec.name, "").strip()
        if spec.parse == "flag":
            if raw:
                body[spec.name] = raw in ("true", "on", "1")
            continue
        if raw == "":
            continue
        body[spec.name] = _typed(raw, spec.parse)
    return body


def _typed(raw: str, parse: str) -> Any:
    try:
        if parse == "int":
            return int(raw)
        if parse == "float":
            return float(raw.replace(",", "."))
    except ValueError:
        return raw
    return raw


def shown_values(specs: Iterable[FieldSpec], posted: MultiDict[str, str]) -> dict[str, Any]:
    """What to put back into a form after an error, so nothing typed is lost."""
    shown: dict[str, Any] = {}
    for spec in specs:
        shown[spec.name] = (posted.getlist(spec.name) if spec.parse == "codes"
                            else posted.get(spec.name, ""))  # fmt: skip
    return shown
