"""The event registry: stable type names, one schema per type and version, upcasters, and
golden payloads that every registered type and version must keep accepting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marshmallow import Schema, fields

import services.registry  # noqa: F401  (every service's event types)
from shared.backbone.registry import REGISTRY, EventRegistry, InvalidPayload, UnknownEventType

GOLDEN = Path(__file__).parent / "golden"


def referral_registry() -> EventRegistry:
    """intake.ReferralMade in two versions: v2 split `to` into organisation and type."""
    registry = EventRegistry()

    @registry.event("intake.ReferralMade", version=1)
    class ReferralMadeV1(Schema):
        to = fields.String(required=True)
        days = fields.Integer(required=True)

    @registry.event("intake.ReferralMade", version=2)
    class ReferralMadeV2(Schema):
        to_organisation = fields.String(required=True)
        organisation_type = fields.String(required=True)
        days_after_identification = fields.Integer(required=True)

    @registry.upcaster("intake.ReferralMade", from_version=1)
    def split_recipient(payload: dict) -> dict:
        return {"to_organisation": payload["to"], "organisation_type": "unknown",
                "days_after_identification": payload["days"]}  # fmt: skip

    return registry


def test_the_current_version_is_the_highest_registered() -> None:
    assert referral_registry().current_version("intake.ReferralMade") == 2


def test_an_old_payload_is_upcast_to_the_current_version() -> None:
    version, payload = referral_registry().upcast(
        "intake.ReferralMade", 1, {"to": "shelter", "days": 3}
    )
    assert version == 2
    assert payload == {"to_organisation": "shelter", "organisation_type": "unknown",
                       "days_after_identification": 3}  # fmt: skip


def test_an_unknown_event_type_is_refused_by_name() -> None:
    with pytest.raises(UnknownEventType, match=r"unknown event type 'intake\.Nope'"):
        referral_registry().validate("intake.Nope", 1, {})


def test_an_unknown_version_of_a_known_type_is_refused() -> None:
    with pytest.raises(UnknownEventType, match="has no schema version 7"):
        referral_registry().validate("intake.ReferralMade", 7, {})


def test_an_invalid_payload_names_every_bad_field() -> None:
    with pytest.raises(InvalidPayload) as caught:
        referral_registry().validate("intake.ReferralMade", 2, {"to_organisation": 5, "x": 1})
    assert set(caught.value.errors) == {"to_organisation", "organisation_type",
                                        "days_after_identification", "x"}  # fmt: skip


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidPayload, match=r"invalid intake\.ReferralMade payload"):
        referral_registry().validate("intake.ReferralMade", 2, ["a", "list"])


@pytest.mark.parametrize("name", ["ReferralMade", "intake.referralMade", "services.intake.X",
                                  "billing.InvoiceSent"])  # fmt: skip
def test_event_type_names_must_be_service_dot_event_name(name: str) -> None:
    with pytest.raises(ValueError, match=r"is not of the form <service>\.<EventName>"):
        EventRegistry().register(name, 1, Schema)


def test_a_type_and_version_cannot_be_registered_twice() -> None:
    registry = referral_registry()
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("intake.ReferralMade", 1, Schema)


def test_golden_payloads_of_the_example_types_still_validate_and_upcast() -> None:
    registry = referral_registry()
    for path in sorted(GOLDEN.glob("example.ReferralMade.v*.json")):
        golden = json.loads(path.read_text())
        version = int(path.stem.rsplit(".v", 1)[1])
        registry.validate("intake.ReferralMade", version, golden["payload"])
        assert registry.upcast("intake.ReferralMade", version, golden["payload"]) == (
            2,
            golden["current"],
        )


def test_every_registered_event_type_and_version_has_a_golden_payload_that_validates() -> None:
    # Recorded history must stay readable: a schema change that rejects an old payload, or a
    # new version without an upcaster, fails here.
    for event_type, version in sorted(REGISTRY.schemas):
        path = GOLDEN / f"{event_type}.v{version}.json"
        assert path.exists(), f"no golden payload for {event_type} v{version}: add {path.name}"
        golden = json.loads(path.read_text())
        REGISTRY.validate(event_type, version, golden["payload"])
        assert REGISTRY.upcast(event_type, version, golden["payload"])[1] == golden["current"]
