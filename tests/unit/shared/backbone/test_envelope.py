"""The envelope's encodings: Kafka JSON round trip and a leaf encoding that never changes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from shared.backbone import merkle
from shared.backbone.envelope import (
    Actor,
    RecordedEvent,
    canonical_json,
    content_digest,
    leaf_input,
)

EVENT = RecordedEvent(
    event_id=uuid.UUID("0b7e6d52-3f0a-4c55-9d3e-6a1f2b9c8d01"),
    event_type="intake.ReferralMade",
    schema_version=2,
    stream_id="case-42",
    stream_version=3,
    origin="mk.intake",
    log_index=1234,
    occurred_at=datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
    recorded_at=datetime(2026, 3, 1, 9, 30, 1, 654321, tzinfo=UTC),
    actor=Actor("cw-7", "org-lastavica"),
    correlation_id=uuid.UUID("6f1d7c1e-1111-4222-8333-944455556666"),
    causation_id=None,
    payload_bytes=canonical_json({"to_organisation": "Шелтер", "days_after_identification": 12}),
    leaf_hash=b"",
)


def test_canonical_json_sorts_keys_and_keeps_non_ascii_text() -> None:
    assert canonical_json({"b": 1, "a": "ш"}) == '{"a":"ш","b":1}'.encode()


def test_the_leaf_encoding_of_a_fixed_event_never_changes() -> None:
    # Changing the encoding would make every recorded log fail verification: this pins it.
    assert merkle.leaf_hash(leaf_input(EVENT)).hex() == GOLDEN_LEAF


def test_every_field_is_covered_by_the_leaf() -> None:
    base = merkle.leaf_hash(leaf_input(EVENT))
    changes = {
        "event_id": uuid.uuid4(), "event_type": "intake.ReferralWithdrawn", "schema_version": 1,
        "stream_id": "case-43", "stream_version": 4, "origin": "al.intake", "log_index": 1235,
        "occurred_at": datetime(2026, 3, 1, tzinfo=UTC),
        "recorded_at": datetime(2026, 3, 2, tzinfo=UTC),
        "actor": Actor("cw-8", "org-lastavica"), "correlation_id": None,
        "causation_id": uuid.uuid4(), "payload_bytes": b'{"x":1}',
    }  # fmt: skip
    for field, value in changes.items():
        assert merkle.leaf_hash(leaf_input(replace(EVENT, **{field: value}))) != base, field


def test_a_null_actor_differs_from_an_empty_one() -> None:
    args = (EVENT.event_id, "s", "intake.X", 1, "mk.intake", EVENT.occurred_at)
    empty = content_digest(*args, Actor("", ""), None, None, b"{}")
    null = content_digest(*args, Actor(None, None), None, None, b"{}")
    assert empty != null


def test_the_kafka_value_round_trips_to_the_same_event() -> None:
    event = replace(EVENT, leaf_hash=merkle.leaf_hash(leaf_input(EVENT)))
    decoded = RecordedEvent.from_json(event.to_json())
    assert decoded == event
    assert decoded.computed_leaf_hash() == event.leaf_hash


GOLDEN_LEAF = "d56451d088348c29cef976c6583f9b20110ae9ae9cd4143dbd57d02293c42c43"
