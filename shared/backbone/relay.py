"""The relay: publishes a service's event log to Kafka, in log order, never losing an event.

It tails `events` by log_index and publishes each event to `<origin>.events` (key = stream id,
so one stream's events stay in order on one partition) with the idempotent producer and
acks=all. Its position in `relay_position` advances only after the broker has acknowledged
every event up to it; killed at any moment, the relay restarts from there. Events sent but not
yet recorded as sent are sent again: consumers deduplicate by (partition, log_index).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from threading import Event as StopFlag

import psycopg
from kafka import KafkaAdminClient, KafkaProducer
from psycopg import sql

from shared.backbone.envelope import RecordedEvent
from shared.backbone.metrics import RELAY_LAG, RELAY_PUBLISHED
from shared.backbone.store import EventStore

log = logging.getLogger(__name__)


SAVE_EVERY = 0.25  # seconds between position saves while busy
GATHER = 0.005  # seconds the relay waits after a batch, so that busy appends travel together


def events_topic(origin: str) -> str:
    return f"{origin}.events"


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Creates the topic if it is missing; the event log is history, so it is kept forever."""
    with KafkaAdminClient(bootstrap_servers=bootstrap, client_id="actnow-admin") as admin:
        admin.create_topics(
            {topic: {"num_partitions": partitions, "replication_factor": 1,
                     "configs": {"retention.ms": "-1"}}},
            wait_for_metadata=True, raise_errors=False,
        )  # fmt: skip


class Relay:
    def __init__(
        self,
        store: EventStore,
        bootstrap: str,
        partitions: int = 3,
        batch_size: int = 2000,
        topic: str | None = None,
        event_types: Collection[str] | None = None,
    ) -> None:
        """Publishes the log to `topic`; with `event_types`, only events of those types (a
        topic that may leave the country carries nothing else)."""
        self.store, self.bootstrap = store, bootstrap
        self.event_types = frozenset(event_types) if event_types is not None else None
        self.topic = topic or events_topic(store.origin)
        self.partitions, self.batch_size = partitions, batch_size
        q = sql.Identifier(store.schema)
        self._sql = {
            "position": sql.SQL("SELECT log_index FROM {}.relay_position WHERE topic = %s")
            .format(q)
            .as_string(None),
            "save": sql.SQL(
                "INSERT INTO {}.relay_position (topic, log_index, heartbeat_at)"
                " VALUES (%s, %s, now()) ON CONFLICT (topic) DO UPDATE"
                " SET log_index = excluded.log_index, heartbeat_at = now()"
            )
            .format(q)
            .as_string(None),
        }
        self._producer: KafkaProducer | None = None

    def position(self) -> int:
        with self.store.pool.connection() as conn:
            row = conn.execute(self._sql["position"], (self.topic,)).fetchone()
        return int(row[0]) if row else 0

    def run(self, stop: StopFlag, poll_interval: float = 1.0) -> None:
        """Publishes until stop is set; NOTIFY wakes it when events are appended."""
        ensure_topic(self.bootstrap, self.topic, self.partitions)
        position = saved = self.position()
        last_save = 0.0
        with psycopg.connect(self.store.pool.conninfo, autocommit=True) as listener:
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.store.channel)))
            while not stop.is_set():
                events = self.store.read_all(after=position, limit=self.batch_size)
                if events:
                    wanted = self._wanted(events)
                    if wanted:
                        self.publish(wanted)
                    position = events[-1].log_index
                    # the saved position may trail what was published: after a crash the
                    # relay sends those again and consumers drop them by log_index
                    if time.monotonic() - last_save > SAVE_EVERY:
                        self._save(position)
                        saved, last_save = position, time.monotonic()
                    if len(events) == self.batch_size:  # a full page: more may be waiting
                        RELAY_LAG.labels(self.topic).set(max(0, self.store.head().size - position))
                        continue
                    time.sleep(GATHER)  # let appends under load pile up into one batch
                    continue
                if saved != position or time.monotonic() - last_save > poll_interval:
                    self._save(position)  # also the heartbeat readiness looks at
                    saved, last_save = position, time.monotonic()
                RELAY_LAG.labels(self.topic).set(0)
                for _ in listener.notifies(timeout=poll_interval, stop_after=1):
                    pass
        self.close()

    def _wanted(self, events: list[RecordedEvent]) -> list[RecordedEvent]:
        if self.event_types is None:
            return events
        return [event for event in events if event.event_type in self.event_types]

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Sends the events and returns once the broker has acknowledged all of them."""
        producer = self._producer or self._new_producer()
        futures = [
            producer.send(
                self.topic,
                key=event.stream_id.encode(),
                value=event.to_json(),
                headers=[
                    ("event_type", event.event_type.encode()),
                    ("schema_version", str(event.schema_version).encode()),
                    ("event_id", str(event.event_id).encode()),
                ],
            )
            for event in events
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises the send's error: the position must not advance
        RELAY_PUBLISHED.labels(self.topic).inc(len(events))

    def _new_producer(self) -> KafkaProducer:
        self._producer = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            batch_size=256 * 1024,
            max_request_size=8 * 1024 * 1024,
            client_id=f"relay-{self.store.origin}",
        )
        return self._producer

    def _save(self, position: int) -> None:
        with self.store.pool.connection() as conn:
            conn.execute(self._sql["save"], (self.topic, position))

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)
            self._producer = None
