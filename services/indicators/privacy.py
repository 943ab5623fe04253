"""The privacy scan (issue 10): every record on the hub's topics is read and checked against
the promise that only disclosure-controlled aggregates leave a country.

A record breaks the promise when it is not an event envelope, when a regional topic carries an
event type other than the regional ones, when any key of its payload names a case-level field
(HTCDS and `ext_` fields, person or case ids, names, birth dates, documents), when its payload
holds fields its schema does not define, when it names a person as the actor, or when a cell
of its values is below its disclosure threshold (the rules the hub re-checks on receipt).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.indicators.events import REGIONAL_EVENTS, REGIONAL_VALUES
from services.indicators.projections import disclosure_breach
from shared.backbone.envelope import RecordedEvent
from shared.backbone.registry import EventRegistry
from shared.errors import ValidationProblem

# keys that only a case record has: HTCDS prefixes, ext_ fields, identifiers of people
CASE_LEVEL = re.compile(
    r"^(prs|vic|cas|con|spl|hte|org|ext)_|person|case_id|birth|name$|surname|identifier|"
    r"document_number|passport|address|phone|email",
    re.IGNORECASE,
)
# who may be the actor of a regional record: a service, never a person's account
SERVICE_ACTORS = frozenset({"system", "indicators", "reporting", "intake", "identity"})
# Kafka's and MirrorMaker's own bookkeeping topics hold no events
INTERNAL = re.compile(r"^(__|mm2-|heartbeats$)|\.checkpoints\.internal$|^connect-")


@dataclass(frozen=True)
class Finding:
    topic: str
    offset: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.topic}@{self.offset}: {self.rule}: {self.detail}"


@dataclass
class Scan:
    records: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings


def case_level_keys(value: Any, path: str = "") -> Iterator[str]:
    """Every key, at any depth, that names a case-level field."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if CASE_LEVEL.search(str(key)):
                yield where
            yield from case_level_keys(inner, where)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from case_level_keys(inner, f"{path}[{index}]")


def scan_record(
    topic: str,
    offset: int,
    value: bytes,
    registry: EventRegistry,
    min_cell: int,
    k_cross: int,
) -> list[Finding]:
    found: list[Finding] = []

    def finding(rule: str, detail: str) -> None:
        found.append(Finding(topic, offset, rule, detail))

    try:
        event = RecordedEvent.from_json(value)
    except (ValueError, KeyError, TypeError) as exc:
        finding("unreadable", f"not an event envelope ({exc})")
        return found
    payload = event.payload
    for key in case_level_keys(payload):
        finding("case-level field", key)
    regional = topic.endswith(".regional")
    if regional and event.event_type not in REGIONAL_EVENTS:
        finding("not a regional event", event.event_type)
    if event.actor.user not in SERVICE_ACTORS and event.actor.user is not None:
        finding("names a person", f"actor {event.actor.user!r}")
    if regional and event.event_type in REGIONAL_EVENTS:
        try:
            # a schema refuses fields it does not define (marshmallow's default, RAISE)
            registry.validate(event.event_type, event.schema_version, payload)
        except ValidationProblem as problem:
            finding("outside its schema", f"{problem.detail} {problem.errors}"[:300])
            return found
        if event.event_type == REGIONAL_VALUES:
            breach = disclosure_breach(payload["values"], min_cell, k_cross)
            if breach:
                finding("below the disclosure threshold", breach)
    return found


def scan(
    records: Iterable[tuple[str, int, bytes]],
    registry: EventRegistry,
    min_cell: int,
    k_cross: int,
) -> Scan:
    """Scans (topic, offset, value) records; the caller reads them from the hub's Kafka."""
    result = Scan()
    for topic, offset, value in records:
        if INTERNAL.search(topic):
            continue
        result.records += 1
        result.by_topic[topic] = result.by_topic.get(topic, 0) + 1
        result.findings += scan_record(topic, offset, value, registry, min_cell, k_cross)
    return result


def read_all(
    bootstrap: str, wanted: Callable[[str], bool] = lambda topic: True
) -> Iterator[tuple[str, int, bytes]]:
    """Every record of the cluster's topics (all but Kafka's own, those `wanted`), from the
    first to the last one there now."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=5000)  # fmt: skip
    try:
        names = sorted(t for t in consumer.topics() if not INTERNAL.search(t) and wanted(t))
        partitions = [TopicPartition(t, p) for t in names
                      for p in sorted(consumer.partitions_for_topic(t) or ())]  # fmt: skip
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=2000)
            if not batch:
                break  # nothing more arrives: what is there has been read
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield tp.topic, record.offset, record.value
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()
