"""The event envelope (ARCHITECTURE.md §4.1) and its canonical encodings.

`NewEvent` is what a command decides; the store turns it into a `RecordedEvent` by assigning
its stream version, log index, record time and leaf hash. The leaf hash covers an unambiguous
binary encoding of every envelope field plus the payload bytes exactly as stored, so changing
any stored byte of an event changes its leaf and therefore the Merkle root.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from shared.backbone import merkle


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8: one byte string per value (orjson's
    encoding; every writer and reader of the log uses this one function). Raises
    orjson.JSONEncodeError for what JSON cannot hold, e.g. integers beyond 64 bits.

    Copied to a bytes object of its own length: orjson (3.12 on) returns its write buffer
    unshrunk, at least 4 KB (3 KB of JSON took 32 KB). A projection holds a batch of up to
    5,000 events, each with its payload from here: 20 MB for payloads of ~100 bytes."""
    return bytes(memoryview(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)))


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, the precision PostgreSQL keeps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return moment


@dataclass(frozen=True)
class Actor:
    user: str | None = None
    organisation: str | None = None


SYSTEM = Actor(user="system", organisation=None)


@dataclass(frozen=True)
class NewEvent:
    """An event decided by a command, not yet recorded. `event_id` is its idempotency key."""

    event_type: str
    payload: dict[str, Any]
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    schema_version: int | None = None  # None: the registry's current version
    occurred_at: datetime = field(default_factory=utc_now)
    actor: Actor = SYSTEM
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to build
class RecordedEvent:
    event_id: uuid.UUID
    event_type: str
    schema_version: int
    stream_id: str
    stream_version: int
    origin: str
    log_index: int
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    correlation_id: uuid.UUID | None
    causation_id: uuid.UUID | None
    payload_bytes: bytes
    leaf_hash: bytes

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self.payload_bytes)
        return decoded

    def header(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "origin": self.origin,
            "log_index": self.log_index,
            "occurred_at": format_time(self.occurred_at),
            "recorded_at": format_time(self.recorded_at),
            "actor": {"user": self.actor.user, "organisation": self.actor.organisation},
            "correlation_id": _str_or_none(self.correlation_id),
            "causation_id": _str_or_none(self.causation_id),
        }

    def computed_leaf_hash(self) -> bytes:
        return merkle.leaf_hash(leaf_input(self))

    def to_json(self) -> bytes:
        """The Kafka record value: the whole envelope, payload included as JSON."""
        return canonical_json(
            {**self.header(), "payload": self.payload, "leaf_hash": self.leaf_hash.hex()}
        )

    @classmethod
    def from_json(cls, data: bytes) -> RecordedEvent:
        """Decodes a Kafka record value; raises ValueError, KeyError or TypeError if malformed."""
        doc = orjson.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("payload"), dict):
            raise ValueError("not an event envelope: expected an object with an object payload")
        actor = doc["actor"] or {}
        return cls(
            event_id=uuid.UUID(doc["event_id"]),
            event_type=str(doc["event_type"]),
            schema_version=int(doc["schema_version"]),
            stream_id=str(doc["stream_id"]),
            stream_version=int(doc["stream_version"]),
            origin=str(doc["origin"]),
            log_index=int(doc["log_index"]),
            occurred_at=parse_time(doc["occurred_at"]),
            recorded_at=parse_time(doc["recorded_at"]),
            actor=Actor(actor.get("user"), actor.get("organisation")),
            correlation_id=_uuid_or_none(doc.get("correlation_id")),
            causation_id=_uuid_or_none(doc.get("causation_id")),
            payload_bytes=canonical_json(doc["payload"]),
            leaf_hash=bytes.fromhex(doc["leaf_hash"]),
        )


LEAF_PREFIX = b"actnow.event.v1"
_NULL_TEXT = b"\xff\xff\xff\xff"


def content_digest(
    event_id: uuid.UUID,
    stream_id: str,
    event_type: str,
    schema_version: int,
    origin: str,
    occurred_at: datetime,
    actor: Actor,
    correlation_id: uuid.UUID | None,
    causation_id: uuid.UUID | None,
    payload_bytes: bytes,
) -> bytes:
    """SHA-256 over a length-prefixed encoding of every envelope field that the appender
    knows before taking the log lock, and of the payload bytes as stored."""
    parts = [
        event_id.bytes,
        _text(stream_id),
        _text(event_type),
        struct.pack(">i", schema_version),
        _text(origin),
        struct.pack(">q", _micros(occurred_at)),
        _NULL_TEXT if actor.user is None else _text(actor.user),
        _NULL_TEXT if actor.organisation is None else _text(actor.organisation),
        _optional_uuid(correlation_id),
        _optional_uuid(causation_id),
        struct.pack(">i", len(payload_bytes)),
        payload_bytes,
    ]
    return hashlib.sha256(b"".join(parts)).digest()


def leaf_input(event: RecordedEvent) -> bytes:
    """The bytes hashed into an event's Merkle leaf: the content digest plus the fields the
    store assigns under the log lock. The store computes the same in SQL (`event_leaf_hash`
    in shared/backbone/migrations); verification recomputes it here from the stored fields."""
    digest = content_digest(
        event.event_id, event.stream_id, event.event_type, event.schema_version, event.origin,
        event.occurred_at, event.actor, event.correlation_id, event.causation_id,
        event.payload_bytes,
    )  # fmt: skip
    return positioned_leaf_input(digest, event.log_index, event.stream_version, event.recorded_at)


def positioned_leaf_input(
    digest: bytes, log_index: int, stream_version: int, recorded_at: datetime
) -> bytes:
    """The content digest plus what the store assigns under the log lock."""
    return (
        LEAF_PREFIX + digest + struct.pack(">qiq", log_index, stream_version, _micros(recorded_at))
    )


def _text(value: str) -> bytes:
    encoded = value.encode()
    return struct.pack(">i", len(encoded)) + encoded


def _optional_uuid(value: uuid.UUID | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + value.bytes


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _str_or_none(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)
