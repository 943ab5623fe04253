"""The one registry of event types: a marshmallow schema per type and version, and upcasters.

Event types are stable strings `<service>.<EventName>` (never Python paths, so renaming code
never breaks history). Payloads are validated against their schema at append; old versions are
read through upcasters `(type, from_version) -> fn(payload) -> payload` to the current version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from shared.errors import ValidationProblem

EVENT_TYPE = re.compile(
    r"^(identity|intake|indicators|reporting|backbone|test)\.[A-Z][A-Za-z0-9]+$"
)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(ValidationProblem):
    """An event type (or version) that the registry does not know."""


class InvalidPayload(ValidationProblem):
    """A payload that does not match its event type's schema; `errors` names the fields."""


@dataclass
class EventRegistry:
    schemas: dict[tuple[str, int], Schema] = field(default_factory=dict)
    upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)

    def register(self, event_type: str, version: int, schema: type[Schema]) -> None:
        if not EVENT_TYPE.match(event_type):
            raise ValueError(f"event type {event_type!r} is not of the form <service>.<EventName>")
        if (event_type, version) in self.schemas:
            raise ValueError(f"{event_type} v{version} is registered twice")
        self.schemas[(event_type, version)] = schema()
        self.current[event_type] = max(version, self.current.get(event_type, 0))

    def event(self, event_type: str, version: int = 1) -> Callable[[type[Schema]], type[Schema]]:
        """Class decorator: `@registry.event("intake.ReferralMade")` on the payload schema."""

        def register(schema: type[Schema]) -> type[Schema]:
            self.register(event_type, version, schema)
            return schema

        return register

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        def register(fn: Upcaster) -> Upcaster:
            self.upcasters[(event_type, from_version)] = fn
            return fn

        return register

    def current_version(self, event_type: str) -> int:
        try:
            return self.current[event_type]
        except KeyError:
            raise UnknownEventType(
                f"unknown event type {event_type!r}", {"event_type": ["Unknown event type."]}
            ) from None

    def validate(self, event_type: str, version: int, payload: Any) -> None:
        schema = self.schemas.get((event_type, version))
        if schema is None:
            self.current_version(event_type)  # raises for an unknown type
            raise UnknownEventType(
                f"{event_type} has no schema version {version}",
                {"schema_version": [f"Unknown version {version}."]},
            )
        if not isinstance(payload, dict):
            raise InvalidPayload(
                f"invalid {event_type} payload", {"payload": ["Must be a JSON object."]}
            )
        errors = schema.validate(payload)
        if errors:
            raise InvalidPayload(
                f"invalid {event_type} payload: " + ", ".join(sorted(map(str, errors))), errors
            )

    def upcast(self, event_type: str, version: int, payload: dict[str, Any]) -> tuple[int, dict]:
        """Brings an old payload to the current version, one step at a time."""
        target = self.current_version(event_type)
        while version < target:
            step = self.upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventType(f"no upcaster for {event_type} from version {version}")
            payload, version = step(payload), version + 1
        return version, payload


REGISTRY = EventRegistry()
