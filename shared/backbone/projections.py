"""Projections: read models built from the Kafka event topics, exactly once, rebuildable.

A `Projection` is pure: it turns a batch of events into set-based writes on its own tables.
The `ProjectionRunner` feeds it from a kafka-python consumer group and records its position
(next offset and highest log_index per partition) in the same PostgreSQL transaction as the
read-model change, so a redelivered record is a no-op and a crash loses nothing. Records that
cannot be decoded, name an unknown event type, carry an invalid payload or do not match their
leaf hash go to a dead-letter topic with the reason; the runner carries on.

Blue/green: each generation of a projection has its own tables (`<table>_g<n>`); the read side
uses views named `<table>` that point at the live generation. `start_rebuild` opens generation
n+1, a runner builds it from offset 0, and the views switch when it has caught up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from threading import Event as StopFlag
from typing import Protocol

import psycopg
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.backbone.envelope import RecordedEvent, canonical_json
from shared.backbone.metrics import DEAD_LETTERS, PROJECTION_APPLIED, PROJECTION_LAG
from shared.backbone.registry import EventRegistry, InvalidPayload, UnknownEventType
from shared.backbone.relay import ensure_topic

log = logging.getLogger(__name__)
# how long a running projection may go without partitions before it joins its group again
# (looked up at every turn of the loop, so a test can shorten it)
UNASSIGNED_PATIENCE = 30.0

Tables = Mapping[str, sql.Composable]  # logical table name -> this generation's table


class Projection(Protocol):
    name: str
    code_version: int
    topics: Sequence[str]
    # logical table name -> column definitions, e.g. "(stream_id text PRIMARY KEY, n int)"
    tables: Mapping[str, str]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        """Applies a batch of events in log order per stream; pure apart from its tables."""


class DeadLetter(Exception):
    """A record the projection cannot use; `reason` is a short machine-readable kind."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def decode_record(value: bytes | None, registry: EventRegistry) -> RecordedEvent:
    """Decodes and checks one Kafka record value, upcasting old payload versions."""
    if not value:
        raise DeadLetter("undecodable", "empty record value")
    try:
        event = RecordedEvent.from_json(value)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeadLetter("undecodable", f"{type(exc).__name__}: {exc}") from exc
    try:
        registry.validate(event.event_type, event.schema_version, event.payload)
    except UnknownEventType as exc:
        raise DeadLetter("unknown_event_type", str(exc)) from exc
    except InvalidPayload as exc:
        raise DeadLetter("invalid_payload", str(exc)) from exc
    if event.computed_leaf_hash() != event.leaf_hash:
        raise DeadLetter("leaf_hash_mismatch", f"event {event.event_id} was altered in transit")
    current = registry.current_version(event.event_type)
    if event.schema_version < current:
        version, payload = registry.upcast(event.event_type, event.schema_version, event.payload)
        event = replace(event, schema_version=version, payload_bytes=canonical_json(payload))
    return event


@dataclass(frozen=True)
class Generation:
    number: int
    state: str


def table_name(logical: str, generation: int) -> str:
    return f"{logical}_g{generation}"


def prepare_generation(
    pool: ConnectionPool, schema: str, projection: Projection, generation: int | None = None
) -> Generation:
    """The generation a runner should feed: the given one, else the one being built, else the
    live one; a first generation is created (with its views) when there is none."""
    with pool.connection() as conn, conn.transaction():
        _lock_projection(conn, schema, projection)
        rows = conn.execute(
            sql.SQL(
                "SELECT generation, state FROM {}.projection_generations WHERE projection = %s"
                " ORDER BY generation DESC"
            ).format(sql.Identifier(schema)),
            (projection.name,),
        ).fetchall()
        known = {number: state for number, state in rows}
        if generation is None:
            building = [n for n, s in rows if s == "building"]
            live = [n for n, s in rows if s == "live"]
            generation = (building or live or [1])[0]
        if generation not in known:
            _create_generation(conn, schema, projection, generation)
            known[generation] = "building"
            if not rows:  # nothing to protect yet: the views point here from the start
                _point_views(conn, schema, projection, generation)
        return Generation(generation, known[generation])


def _lock_projection(conn: psycopg.Connection, schema: str, projection: Projection) -> None:
    """Runners and rebuilds of one projection take turns at changing its generations."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.{projection.name}",))


def start_rebuild(pool: ConnectionPool, schema: str, projection: Projection) -> Generation:
    """Opens the next generation; a runner for it builds from offset 0."""
    with pool.connection() as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT coalesce(max(generation), 0) FROM {}.projection_generations"
                " WHERE projection = %s"
            ).format(sql.Identifier(schema)),
            (projection.name,),
        ).fetchone()
    return prepare_generation(pool, schema, projection, int(row[0]) + 1)  # type: ignore[index]


def _create_generation(
    conn: psycopg.Connection, schema: str, projection: Projection, generation: int
) -> None:
    for logical, columns in projection.tables.items():
        name = sql.Identifier(schema, table_name(logical, generation))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} " + columns).format(name))
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.projection_generations (projection, generation, code_version, state)"
            " VALUES (%s, %s, %s, 'building')"
        ).format(sql.Identifier(schema)),
        (projection.name, generation, projection.code_version),
    )


def _point_views(
    conn: psycopg.Connection, schema: str, projection: Projection, generation: int
) -> None:
    for logical in projection.tables:
        view = sql.Identifier(schema, logical)
        conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
        conn.execute(
            sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(
                view, sql.Identifier(schema, table_name(logical, generation))
            )
        )


def switch_live(pool: ConnectionPool, schema: str, projection: Projection, generation: int) -> None:
    """Points the views at this generation and retires the previous live one, atomically."""
    q = sql.Identifier(schema)
    with pool.connection() as conn, conn.transaction():
        _lock_projection(conn, schema, projection)
        _point_views(conn, schema, projection, generation)
        conn.execute(
            sql.SQL(
                "UPDATE {}.projection_generations SET state = 'retired'"
                " WHERE projection = %s AND state = 'live' AND generation <> %s"
            ).format(q),
            (projection.name, generation),
        )
        conn.execute(
            sql.SQL(
                "UPDATE {}.projection_generations SET state = 'live', live_at = now()"
                " WHERE projection = %s AND generation = %s"
            ).format(q),
            (projection.name, generation),
        )
    log.info("projection %s generation %s is live", projection.name, generation)


@contextmanager
def pipelined_transaction(conn: psycopg.Connection) -> Iterator[None]:
    """BEGIN, the block's statements and COMMIT sent together: one round trip to the server
    (psycopg's transaction() would add two). Rolled back if anything fails."""
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            yield
            conn.execute("COMMIT")
    except BaseException:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        raise


@dataclass
class RunStats:
    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    caught_up: bool = False


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        pool: ConnectionPool,
        schema: str,
        bootstrap: str,
        registry: EventRegistry,
        generation: int | None = None,
        batch_size: int = 5000,
        per_event: bool = False,
        group_prefix: str = "actnow",
    ) -> None:
        self.projection, self.pool, self.schema = projection, pool, schema
        self.bootstrap, self.registry = bootstrap, registry
        self.batch_size, self.per_event = batch_size, per_event
        self.generation = prepare_generation(pool, schema, projection, generation)
        number = self.generation.number
        self.group_id = f"{group_prefix}.{schema}.{projection.name}.g{number}"
        self.tables: Tables = {
            logical: sql.Identifier(schema, table_name(logical, number))
            for logical in projection.tables
        }
        self.stats = RunStats()
        self.retired = False  # a rebuilt generation went live: this one has nothing to serve
        # per partition: next offset to read and the highest log_index applied
        self._positions: dict[TopicPartition, tuple[int, int]] = {}
        self._consumer: KafkaConsumer | None = None
        self._dead_letters: KafkaProducer | None = None
        q = sql.Identifier(schema)
        self._sql = {
            "load": sql.SQL(
                "SELECT topic, partition, next_offset, log_index FROM {}.projection_positions"
                " WHERE projection = %s AND generation = %s"
            ).format(q),
            "save": sql.SQL(
                "INSERT INTO {}.projection_positions"
                " (projection, generation, topic, partition, next_offset, log_index)"
                " SELECT %s, %s, * FROM unnest(%s::text[], %s::int[], %s::int8[], %s::int8[])"
                " ON CONFLICT (projection, generation, topic, partition) DO UPDATE"
                " SET next_offset = excluded.next_offset, log_index = excluded.log_index"
            ).format(q),
            "heartbeat": sql.SQL(
                "UPDATE {}.projection_generations SET heartbeat_at = now(), lag = %s"
                " WHERE projection = %s AND generation = %s RETURNING state"
            ).format(q),
        }

    # --- running --------------------------------------------------------------------------
    def run(
        self, stop: StopFlag | None = None, until_caught_up: bool = False, timeout: float = 0
    ) -> RunStats:
        """Consumes until stop is set (or, with until_caught_up, until there is no lag)."""
        stop = stop or StopFlag()
        deadline = time.monotonic() + timeout if timeout else None
        consumer = self._open_consumer()
        last_beat = last_commit = 0.0
        unassigned_since = time.monotonic()
        try:
            while not stop.is_set() and not self.retired:
                if consumer.assignment():
                    unassigned_since = time.monotonic()
                elif time.monotonic() - unassigned_since > UNASSIGNED_PATIENCE:
                    # kafka-python 3.0.12 can leave a consumer without partitions for good: when
                    # poll() gives up during a join that metadata forced, the join's result is
                    # never applied (see test_projection_without_partitions.py). And a partition
                    # added to the topic goes to nobody before a metadata refresh (5 min). A new
                    # consumer mends both.
                    log.warning("projection %s has no partitions after %.0f s; subscribing again",
                                self.projection.name, UNASSIGNED_PATIENCE)  # fmt: skip
                    consumer.close()
                    consumer = self._open_consumer()
                    unassigned_since = time.monotonic()
                batch = consumer.poll(timeout_ms=500, max_records=self.batch_size)
                if batch:
                    self._handle(batch)
                    # Kafka's committed offsets are for operators' tools only (positions live
                    # with the read model), so they need not follow every batch
                    if time.monotonic() - last_commit > 5:
                        consumer.commit_async(self._kafka_offsets())
                        last_commit = time.monotonic()
                lag = self._lag()
                if lag is not None and (not batch or time.monotonic() - last_beat > 2):
                    self._heartbeat(lag)
                    last_beat = time.monotonic()
                if lag == 0:
                    self._caught_up()
                    if until_caught_up:
                        break
                if deadline and time.monotonic() > deadline:
                    raise TimeoutError(f"projection {self.projection.name} did not catch up")
        finally:
            self.close()
        return self.stats

    def _open_consumer(self) -> KafkaConsumer:
        # a topic nobody has written yet (another service's, not started) is made now, as its
        # relay would make it, rather than the consumer polling a topic that does not exist
        for topic in self.projection.topics:
            ensure_topic(self.bootstrap, topic, partitions=3)
        self._consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            # under load, let records gather for up to 100 ms into one fetch, hence one
            # transaction; an idle projection still sees a lone event within 100 ms
            fetch_min_bytes=64 * 1024,
            fetch_max_wait_ms=100,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
            client_id=self.group_id,
        )
        self._consumer.subscribe(
            list(self.projection.topics), listener=_SeekToStoredPositions(self)
        )
        return self._consumer

    def _load_positions(self, partitions: Sequence[TopicPartition]) -> None:
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["load"], (self.projection.name, self.generation.number))
            stored = {TopicPartition(t, p): (o, i) for t, p, o, i in rows.fetchall()}
        assert self._consumer is not None
        for tp in partitions:
            if tp in stored:
                self._positions[tp] = stored[tp]
                self._consumer.seek(tp, stored[tp][0])
            else:
                self._positions[tp] = (0, 0)
                self._consumer.seek_to_beginning(tp)

    def _handle(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        events: list[tuple[TopicPartition, ConsumerRecord, RecordedEvent]] = []
        dead: list[tuple[ConsumerRecord, DeadLetter]] = []
        positions = dict(self._positions)
        for tp, records in batch.items():
            highest = positions.get(tp, (0, 0))[1]
            for record in records:
                try:
                    event = decode_record(record.value, self.registry)
                except DeadLetter as letter:
                    dead.append((record, letter))
                    continue
                if event.log_index <= highest:
                    self.stats.duplicates += 1  # redelivered or re-sent by the relay
                    continue
                highest = event.log_index
                events.append((tp, record, event))
            positions[tp] = (records[-1].offset + 1, highest)
        if dead:
            self._send_dead_letters(dead)
        if self.per_event:
            self._apply_one_by_one(events, positions)
        else:
            self._apply_batch([e for _, _, e in events], positions)
        self._positions = positions

    def _apply_batch(
        self, events: list[RecordedEvent], positions: dict[TopicPartition, tuple[int, int]]
    ) -> None:
        with self.pool.connection() as conn, pipelined_transaction(conn):
            if events:
                self.projection.apply(conn, events, self.tables)
            self._save_positions(conn, positions)
        self.stats.applied += len(events)
        PROJECTION_APPLIED.labels(self.projection.name).inc(len(events))

    def _apply_one_by_one(
        self,
        events: list[tuple[TopicPartition, ConsumerRecord, RecordedEvent]],
        positions: dict[TopicPartition, tuple[int, int]],
    ) -> None:
        """One transaction per event, as most event-sourcing libraries do (for comparison)."""
        with self.pool.connection() as conn:
            for tp, record, event in events:
                with pipelined_transaction(conn):
                    self.projection.apply(conn, [event], self.tables)
                    self._save_positions(conn, {tp: (record.offset + 1, event.log_index)})
                self.stats.applied += 1
                PROJECTION_APPLIED.labels(self.projection.name).inc()
            with pipelined_transaction(conn):
                self._save_positions(conn, positions)

    def _save_positions(
        self, conn: psycopg.Connection, positions: Mapping[TopicPartition, tuple[int, int]]
    ) -> None:
        tps = list(positions)
        conn.execute(
            self._sql["save"],
            (self.projection.name, self.generation.number, [tp.topic for tp in tps],
             [tp.partition for tp in tps], [positions[tp][0] for tp in tps],
             [positions[tp][1] for tp in tps]),
        )  # fmt: skip

    def _send_dead_letters(self, dead: list[tuple[ConsumerRecord, DeadLetter]]) -> None:
        if self._dead_letters is None:
            self._dead_letters = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        topics = {f"{record.topic}.deadletter" for record, _ in dead}
        for topic in topics:
            ensure_topic(self.bootstrap, topic, 1)
        for record, letter in dead:
            log.warning(
                "dead letter from %s[%s]@%s: %s", record.topic, record.partition, record.offset,
                letter,
            )  # fmt: skip
            self._dead_letters.send(
                f"{record.topic}.deadletter",
                key=record.key,
                value=record.value,
                headers=[
                    ("reason", letter.reason.encode()),
                    ("detail", letter.detail[:1000].encode()),
                    ("projection", self.projection.name.encode()),
                    ("source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
                ],
            )
            DEAD_LETTERS.labels(self.projection.name, letter.reason).inc()
        # flushed before the positions move past them: a dead letter is never lost
        self._dead_letters.flush()
        self.stats.dead_letters += len(dead)

    def _kafka_offsets(self) -> dict[TopicPartition, OffsetAndMetadata]:
        return {tp: OffsetAndMetadata(o, "", -1) for tp, (o, _) in self._positions.items()}

    def _lag(self) -> int | None:
        """Records behind the end of the assigned partitions. The high-water marks that come
        with every fetch answer it without a request; only a partition not fetched yet needs
        the broker asked."""
        assert self._consumer is not None
        assigned = self._consumer.assignment()
        if not assigned:
            return None
        ends = {tp: self._consumer.highwater(tp) for tp in assigned}
        unknown = [tp for tp, end in ends.items() if end is None]
        if unknown:
            ends.update(self._consumer.end_offsets(unknown))
        lag = sum(max(0, end - self._consumer.position(tp)) for tp, end in ends.items())
        PROJECTION_LAG.labels(self.projection.name).set(lag)
        return lag

    def _heartbeat(self, lag: int) -> None:
        with self.pool.connection() as conn:
            row = conn.execute(
                self._sql["heartbeat"], (lag, self.projection.name, self.generation.number)
            ).fetchone()
        if row and row[0] == "retired":
            self.retired = True

    def _caught_up(self) -> None:
        self.stats.caught_up = True
        if self.generation.state == "building":
            switch_live(self.pool, self.schema, self.projection, self.generation.number)
            self.generation = Generation(self.generation.number, "live")

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._dead_letters is not None:
            self._dead_letters.close(timeout=10)
            self._dead_letters = None


class _SeekToStoredPositions(ConsumerRebalanceListener):
    """On assignment, resume from the positions stored with the read model, not Kafka's."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        for tp in revoked:
            self.runner._positions.pop(tp, None)

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self.runner._load_positions(assigned)


def query_read_model(
    pool: ConnectionPool,
    schema: str,
    projection: Projection,
    query: str,
    params: Sequence[object],
) -> list[dict[str, object]]:
    """Rows of a query on a projection's views (`{schema}` in the query names the schema).
    Before the worker has first run, the projection's empty tables are made, so a list is
    empty rather than an error."""
    statement = sql.SQL(query).format(schema=sql.Identifier(schema))
    for attempt in (1, 2):
        try:
            with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall()
        except psycopg.errors.UndefinedTable:
            if attempt == 2:
                raise
            prepare_generation(pool, schema, projection)
    raise AssertionError("unreachable")


def building_generation(pool: ConnectionPool, schema: str, projection: Projection) -> int | None:
    """The generation a rebuild is building, if one is."""
    with pool.connection() as conn:
        row = conn.execute(
            sql.SQL("SELECT max(generation) FROM {}.projection_generations"
                    " WHERE projection = %s AND state = 'building'").format(sql.Identifier(schema)),
            (projection.name,),
        ).fetchone()  # fmt: skip
    return int(row[0]) if row and row[0] is not None else None
