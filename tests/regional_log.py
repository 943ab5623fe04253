"""A node's indicators log in memory, as the regional topic shows it: regional figures and the
regional checkpoints that prove them, signed with a key of its own (for the tests of the hub's
chain checks)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.indicators.events import REGIONAL_CHECKPOINT, REGIONAL_VALUES
from services.indicators.regional_checkpoints import Figure, checkpoint_payload
from shared.backbone import merkle
from shared.backbone.checkpoints import Checkpoint, CheckpointSigner
from shared.backbone.envelope import Actor, RecordedEvent, canonical_json
from shared.backbone.tamper import SignedCheckpoint

ORIGIN = "mk.indicators"
TOPIC = "mk.regional"
MOMENT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def values_payload(period: str, value: float, profile: dict | None = None) -> dict:
    return {"country": "MK", "period": period, "catalog_version": "2025.1", "intake_log_size": 9,
            "content_hash": "0" * 64, "profile_version": 1, "profile": profile or {},
            "values": [{"indicator": "ID-01", "cell": [], "numerator": value,
                        "denominator": None, "value": value, "unit": "persons",
                        "suppressed": False, "statistic": "count",
                        "contributors": int(value)}]}  # fmt: skip


class NodeLog:
    """A node's indicators log in memory: other events (which stay at home) as bare leaf hashes,
    regional figures and regional checkpoints as events, and the topic the hub receives."""

    def __init__(self, signer: CheckpointSigner | None = None) -> None:
        self.signer = signer or CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.leaves: list[bytes] = []
        self.topic: list[RecordedEvent] = []
        self.unproven: list[Figure] = []
        self.last_size = 0

    def other(self, count: int = 1) -> None:
        for _ in range(count):
            self.leaves.append(merkle.leaf_hash(uuid.uuid4().bytes))

    def event(self, event_type: str, payload: dict) -> RecordedEvent:
        index = len(self.leaves) + 1
        found = RecordedEvent(
            uuid.uuid4(), event_type, 1, f"s-{index}", 1, ORIGIN, index, MOMENT, MOMENT,
            Actor(user="indicators"), None, None, canonical_json(payload), b"",
        )  # fmt: skip
        found = replace(found, leaf_hash=found.computed_leaf_hash())
        self.leaves.append(found.leaf_hash)
        self.topic.append(found)
        return found

    def figure(self, period: str = "2024", value: float = 12.0) -> RecordedEvent:
        found = self.event(REGIONAL_VALUES, values_payload(period, value))
        self.unproven.append(Figure(found.log_index, found.leaf_hash))
        return found

    def checkpoint(self) -> RecordedEvent:
        size = len(self.leaves)
        signed = Checkpoint(ORIGIN, size, merkle.root_from_leaf_hashes(self.leaves))
        payload = checkpoint_payload(
            SignedCheckpoint(signed, self.signer.sign(signed)),
            self.signer.verifier.to_string(), self.last_size, list(self.leaves), self.unproven,
        )  # fmt: skip
        self.unproven, self.last_size = [], size
        return self.event(REGIONAL_CHECKPOINT, payload)
