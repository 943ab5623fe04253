"""What a report rests on, pinned: for each log it reads, a signed checkpoint (origin, tree
size, Merkle root) of that service — the reporting service's own log among them, for the
follow-up of recommendations; and the events of the log up to that size, replayed from Kafka
(the history auditors replay too) and checked against the pinned root before use."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import g, has_request_context
from kafka import KafkaConsumer, TopicPartition

from shared.backbone import merkle
from shared.backbone.checkpoints import CheckpointError, verifier_from_string, verify_signed
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import DeadLetter, decode_record
from shared.backbone.registry import EventRegistry
from shared.backbone.store import EventStore
from shared.backbone.tamper import latest_checkpoint, published_verifiers
from shared.errors import Problem


class BasisError(Problem):
    status = 502
    title = "Basis not available"
    type_slug = "basis-unavailable"


@dataclass(frozen=True)
class PinnedLog:
    origin: str
    size: int
    root: str  # hex
    note: str  # the C2SP signed note
    verifier: str  # the signer's key, C2SP vkey form

    def as_dict(self) -> dict[str, object]:
        return {"origin": self.origin, "size": self.size, "root": self.root, "note": self.note,
                "verifier": self.verifier}  # fmt: skip


def fetch_json(url: str, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if has_request_context() and g.get("correlation_id"):  # one action, followed across services
        headers["X-Correlation-Id"] = str(g.correlation_id)
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise BasisError(f"{url} did not answer: {exc}") from exc


def pin(service_url: str, token: str) -> PinnedLog:
    """The service's latest signed checkpoint, checked against the key it publishes."""
    found = fetch_json(f"{service_url}/api/v1/audit/checkpoint", token)
    return _pinned(found["note"], found["verifiers"], service_url)


def pin_own(store: EventStore, covering: int = 0, wait: float = 0.0) -> PinnedLog | None:
    """This service's own latest signed checkpoint (what its audit endpoint would answer), once
    it covers the first `covering` events: the signer (in the worker, which alone holds the
    key) signs every few seconds, so a short wait is allowed. None when nothing needs covering
    and no checkpoint has been signed yet."""
    give_up = time.monotonic() + wait
    while True:
        try:
            latest = latest_checkpoint(store)
        except CheckpointError as exc:
            raise BasisError(f"the latest checkpoint of {store.origin} cannot be trusted:"
                             f" {exc}") from exc  # fmt: skip
        if latest is not None and latest.checkpoint.size >= covering:
            return _pinned(latest.note, published_verifiers(store), store.origin)
        if latest is None and covering == 0:
            return None
        if time.monotonic() > give_up:
            raise BasisError(f"no signed checkpoint of {store.origin} covers its first"
                             f" {covering} events yet: try again in a few seconds")  # fmt: skip
        time.sleep(0.5)


def _pinned(note: str, verifiers: list[str], where: str) -> PinnedLog:
    for verifier in verifiers:
        trusted = verifier_from_string(verifier)
        try:
            checkpoint = verify_signed(note, trusted.key_name, trusted.public_key)
        except ValueError:
            continue
        return PinnedLog(checkpoint.origin, checkpoint.size, checkpoint.root.hex(), note,
                         verifier)  # fmt: skip
    raise BasisError(f"the checkpoint of {where} is not signed by a key it publishes")


def check_note(pinned: PinnedLog) -> str | None:
    """Why the pinned note does not hold, if it does not."""
    trusted = verifier_from_string(pinned.verifier)
    try:
        checkpoint = verify_signed(pinned.note, trusted.key_name, trusted.public_key)
    except ValueError as exc:
        return f"the signature of the pinned checkpoint of {pinned.origin} fails: {exc}"
    if (checkpoint.origin, checkpoint.size, checkpoint.root.hex()) != (
        pinned.origin, pinned.size, pinned.root,
    ):  # fmt: skip
        return f"the pinned checkpoint of {pinned.origin} does not say what the report records"
    return None


def replay(
    bootstrap: str,
    topic: str,
    pinned: PinnedLog,
    registry: EventRegistry,
    progress: Callable[[int, int], None] = lambda done, total: None,
    timeout: float = 300.0,
) -> list[RecordedEvent]:
    """The events of the log up to the pinned size, from Kafka, in log order. Raises when they
    are not all there, do not decode, or their Merkle root is not the pinned one. A checkpoint
    may be signed a moment before the relay has published its last events: a short wait for
    them is allowed before they count as missing."""
    give_up = time.monotonic() + RELAY_GRACE
    while True:
        try:
            return _replay_once(bootstrap, topic, pinned, registry, progress, timeout)
        except MissingEvents:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.5)


RELAY_GRACE = 15.0  # seconds a replay waits for events the relay has not published yet


class MissingEvents(BasisError):
    pass


class NoSuchTopic(BasisError):
    pass


def _replay_once(
    bootstrap: str,
    topic: str,
    pinned: PinnedLog,
    registry: EventRegistry,
    progress: Callable[[int, int], None],
    timeout: float,
) -> list[RecordedEvent]:
    found: dict[int, RecordedEvent] = {}
    for event in topic_events(bootstrap, topic, registry, timeout):
        if event.log_index <= pinned.size:
            found[event.log_index] = event  # the relay may have sent it twice
            if len(found) % 10_000 == 0:
                progress(len(found), pinned.size)
    progress(min(len(found), pinned.size), pinned.size)
    missing = pinned.size - len(found)
    if missing:
        raise MissingEvents(f"{missing} events of the pinned {pinned.size} are not on {topic}")
    events = [found[i] for i in range(1, pinned.size + 1)]
    root = merkle.root_from_leaf_hashes([e.leaf_hash for e in events]).hex()
    if root != pinned.root:
        raise BasisError(f"the events replayed from {topic} do not give the pinned root of"
                         f" {pinned.origin}: {root[:16]}... instead of"
                         f" {pinned.root[:16]}...")  # fmt: skip
    return events


def topic_events(
    bootstrap: str, topic: str, registry: EventRegistry, timeout: float = 300.0
) -> Iterator[RecordedEvent]:
    """Every event on the topic, from the beginning of each partition to where it ends now.
    Raises when a record does not decode or its leaf hash does not recompute (`decode_record`
    checks it), or when reading takes longer than `timeout` seconds."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             fetch_max_bytes=64 * 1024 * 1024,
                             max_partition_fetch_bytes=16 * 1024 * 1024)  # fmt: skip
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            raise NoSuchTopic(f"the topic {topic} does not exist")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise BasisError(f"reading {topic} took longer than {timeout:.0f} s")
            for records in consumer.poll(timeout_ms=500, max_records=10_000).values():
                for record in records:
                    if record.offset >= ends[TopicPartition(record.topic, record.partition)]:
                        continue  # written after the read began: not part of this reading
                    try:
                        yield decode_record(record.value, registry)
                    except DeadLetter as letter:
                        raise BasisError(f"{topic} offset {record.offset}: {letter}") from letter
    finally:
        consumer.close()
