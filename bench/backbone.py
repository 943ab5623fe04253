"""Benchmark: our event store (`shared.backbone.store`) against the peer `eventsourcing` 9.5.6.

What it measures (events per second, higher is better):

- B1   append 1 event per transaction, each to a new stream, with 1 and with 4 writer threads
       (peer: `app.save(Case(...))`, a new aggregate with its one created event; 4 threads
       share one application).
- B1c  100 events per transaction, one new stream / aggregate per transaction.
- B2   read all and decode a prefilled log of 100,000 events in pages of 10,000 (ours:
       `read_all` and `.payload` of each event; peer: `recorder.select_notifications` and
       `mapper.to_domain_event` of each notification).
- B3   rebuild a projection of those 100,000 events, counting events per type into a table,
       from start until caught up. Peer: `eventsourcing.projection.ProjectionRunner` with a
       `PostgresTrackingRecorder` view (the documented PostgreSQL materialised-view pattern:
       the count and the tracking record in one transaction per event). Ours: `ours_b3`.
- Ceilings on the same server: raw INSERT of 1 row per autocommit transaction, raw
  `INSERT ... SELECT FROM unnest(...)` of 100 rows per transaction, raw binary COPY of 100 rows
  per transaction and in one big COPY, all into a copy of our events table (`LIKE ... INCLUDING
  ALL`: same columns, constraints and indexes); and the kafka-python consume rate of 100,000
  records (~300 bytes) on a throwaway broker (kafka-python defaults apart from the fetch sizes),
  plus the same for our real event envelopes and for the raw records with check_crcs=False
  (without the optional `crc32c` package kafka-python checks CRC32C in pure Python).

How: one throwaway PostgreSQL (default settings) holds database `ours` (one event-store schema
per case) and database `peer` (one application, hence one table, per case); one throwaway
Kafka broker. Every round runs each measurement ours then peer (A/B alternating), each preceded
by a CHECKPOINT, an OS sync and a garbage collection; the table shows the median over the
rounds. Event payloads are equivalent on both sides: to_organisation (str), days (int), note
(str). Prefills (not timed) use large batches. Everything is stopped and deleted at the end,
also on failure. The raw ceiling table is emptied before each ceiling measurement.

Run: `.venv/bin/python bench/backbone.py [--quick] [--rounds N] [--markdown PATH]`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.projection import ProjectionRunner as PeerProjectionRunner
from marshmallow import Schema, fields
from psycopg import sql
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

from shared.backbone.envelope import NewEvent, canonical_json
from shared.backbone.projections import ProjectionRunner
from shared.backbone.registry import EventRegistry
from shared.backbone.store import COLUMNS, COPY_TYPES, EventStore, ExpectedVersion, StreamWrite
from shared.db import BACKBONE_MIGRATIONS, create_pool, migrate, migrations_in
from shared.stack.kafka import LocalKafka
from shared.stack.postgres import LocalPostgres

# kafka-python 3.0 loads its protocol schemas through a deprecated importlib API
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"kafka\..*")
from kafka import KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

PAGE = 10_000  # B2 page size, both sides
BATCH = 100  # B1c events per transaction; raw ceilings' rows per transaction
ORIGIN = "bench.intake"
RAW_RECORD_BYTES = 300


# --- sizes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    rounds: int
    b1: int  # appends per side per round (each of the 1- and 4-writer cases)
    b1c: int  # transactions of BATCH events per side per round
    log: int  # events prefilled for B2/B3 on each side, and Kafka records
    raw_rows: int  # rows for the single-row INSERT ceiling per round
    raw_batches: int  # transactions of BATCH rows for the unnest / COPY ceilings per round


FULL = Sizes(rounds=5, b1=4_000, b1c=200, log=100_000, raw_rows=4_000, raw_batches=200)
QUICK = Sizes(rounds=1, b1=400, b1c=20, log=10_000, raw_rows=400, raw_batches=20)


# --- our side: event types --------------------------------------------------------------------
class ReferralFields(Schema):
    to_organisation = fields.String(required=True)
    days = fields.Integer(required=True)
    note = fields.String(required=True)


def bench_registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register("intake.CaseOpened", 1, ReferralFields)
    registry.register("intake.ReferralMade", 1, ReferralFields)
    return registry


def referral(i: int) -> dict[str, Any]:
    return {"to_organisation": f"org-{i % 97}", "days": i % 365, "note": "referred after screening"}


def stream_events(n: int) -> list[NewEvent]:
    """A case stream of n events: opened, then referrals."""
    return [
        NewEvent("intake.CaseOpened" if i == 0 else "intake.ReferralMade", referral(i))
        for i in range(n)
    ]


# --- the peer's side: aggregate, applications, materialised view, projection -----------------
class Case(Aggregate):
    """The peer's stream: one aggregate per case, with the same three payload fields."""

    @event("Opened")
    def __init__(self, to_organisation: str, days: int, note: str) -> None:
        self.referrals = 0

    @event("Referred")
    def refer(self, to_organisation: str, days: int, note: str) -> None:
        self.referrals += 1


def new_case(n: int) -> Case:
    """A case aggregate with n pending events: opened, then referrals."""
    case = Case(**referral(0))
    for i in range(1, n):
        case.refer(**referral(i))
    return case


class PeerWrites(Application[UUID]):
    """B1 (table peerwrites_events)."""


class PeerBatches(Application[UUID]):
    """B1c (table peerbatches_events)."""


class PeerLog(Application[UUID]):
    """B2 and B3: the prefilled log (table peerlog_events)."""


class PeerEventCounts(PostgresTrackingRecorder):
    """Materialised view: events per type, updated with its tracking record per transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.counts_table_name = self.tracking_table_name.replace("_tracking", "_counts")
        self.check_identifier_length(self.counts_table_name)
        schema, table = Identifier(self.datastore.schema), Identifier(self.counts_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (event_type text PRIMARY KEY, n bigint)"
            ).format(schema, table)
        )
        self.incr_statement = SQL(
            "INSERT INTO {0}.{1} VALUES (%s, 1) ON CONFLICT (event_type) DO UPDATE"
            " SET n = {0}.{1}.n + 1"
        ).format(schema, table)
        self.select_statement = SQL("SELECT event_type, n FROM {0}.{1}").format(schema, table)

    def incr_count(self, event_type: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(self.incr_statement, (event_type,), prepare=True)

    def counts(self) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_statement)
            return {row["event_type"]: row["n"] for row in curs.fetchall()}


class PeerCountProjection(Projection[PeerEventCounts]):
    name = "peercounts"  # tables peercounts_tracking and peercounts_counts

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.incr_count(type(domain_event).__qualname__, tracking)


PEER_VIEW_TABLES = ("peercounts_tracking", "peercounts_counts")


# --- the benchmark context --------------------------------------------------------------------
@dataclass
class Bench:
    sizes: Sizes
    pg: LocalPostgres
    ours_url: str
    peer_url: str
    admin: psycopg.Connection[Any]  # autocommit, database `ours`: CHECKPOINT, DDL
    pool: ConnectionPool  # ours: autocommit connections, shared by every store
    registry: EventRegistry
    b1_store: EventStore
    b1c_store: EventStore
    log_store: EventStore  # sizes.log events: B2 reads them, B3 projects them
    log_schema: str
    peer_writes: PeerWrites
    peer_batches: PeerBatches
    peer_log: PeerLog
    peer_log_last_id: int  # the peer's last notification id in peerlog_events
    kafka: LocalKafka
    raw_topic: str  # sizes.log records of RAW_RECORD_BYTES
    events_topic: str  # our log's sizes.log envelopes (RecordedEvent.to_json), in log order
    envelope_bytes: float  # their mean size
    next_raw_index: int = 0
    notes: list[str] = field(default_factory=list)


Runner = Callable[[Bench], float | None]


def timed(fn: Callable[[], int]) -> float:
    """Runs fn (which returns how many events it handled) and returns events per second."""
    gc.collect()
    started = time.perf_counter()
    count = fn()
    return count / (time.perf_counter() - started)


def in_threads(threads: int, work: Callable[[int], int]) -> int:
    """Runs work(thread_number) in threads started together; returns the summed counts."""
    counts = [0] * threads
    errors: list[BaseException] = []
    gate = threading.Barrier(threads)

    def run(k: int) -> None:
        try:
            gate.wait()
            counts[k] = work(k)
        except BaseException as exc:  # re-raised below, in the calling thread
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts)


# --- B1 / B1c ---------------------------------------------------------------------------------
def ours_b1(ctx: Bench, threads: int) -> float:
    per = ctx.sizes.b1 // threads
    store = ctx.b1_store

    def work(_: int) -> int:
        for i in range(per):
            store.append(
                f"case-{uuid.uuid4()}",
                ExpectedVersion.NO_STREAM,
                [NewEvent("intake.CaseOpened", referral(i))],
            )
        return per

    return timed(lambda: in_threads(threads, work))


def peer_b1(ctx: Bench, threads: int) -> float:
    per = ctx.sizes.b1 // threads
    app = ctx.peer_writes

    def work(_: int) -> int:
        for i in range(per):
            app.save(Case(**referral(i)))
        return per

    return timed(lambda: in_threads(threads, work))


def ours_b1c(ctx: Bench) -> float:
    def work() -> int:
        for _ in range(ctx.sizes.b1c):
            ctx.b1c_store.append(
                f"case-{uuid.uuid4()}", ExpectedVersion.NO_STREAM, stream_events(BATCH)
            )
        return ctx.sizes.b1c * BATCH

    return timed(work)


def peer_b1c(ctx: Bench) -> float:
    def work() -> int:
        for _ in range(ctx.sizes.b1c):
            ctx.peer_batches.save(new_case(BATCH))
        return ctx.sizes.b1c * BATCH

    return timed(work)


# --- B2 ---------------------------------------------------------------------------------------
def ours_b2(ctx: Bench) -> float:
    def work() -> int:
        after, count = 0, 0
        while True:
            events = ctx.log_store.read_all(after, PAGE)
            for e in events:
                e.payload  # noqa: B018 - decoding is what is measured
            count += len(events)
            if len(events) < PAGE:
                return check_count("B2 ours", count, ctx.sizes.log)
            after = events[-1].log_index

    return timed(work)


def peer_b2(ctx: Bench) -> float:
    recorder, mapper = ctx.peer_log.recorder, ctx.peer_log.mapper

    def work() -> int:
        start, count = 0, 0
        while True:
            notifications = recorder.select_notifications(
                start=start, limit=PAGE, inclusive_of_start=False
            )
            for n in notifications:
                mapper.to_domain_event(n)
            count += len(notifications)
            if len(notifications) < PAGE:
                return check_count("B2 peer", count, ctx.sizes.log)
            start = notifications[-1].id

    return timed(work)


def check_count(what: str, got: int, wanted: int) -> int:
    if got != wanted:
        raise RuntimeError(f"{what}: handled {got} events, expected {wanted}")
    return got


# --- B3 ---------------------------------------------------------------------------------------
class EventCounts:
    """Counts events per type, like the peer's view; set-based upserts per batch."""

    code_version = 1
    tables: ClassVar[dict[str, str]] = {
        "event_counts": "(event_type text PRIMARY KEY, n bigint NOT NULL)"
    }

    def __init__(self, name: str, topic: str) -> None:
        self.name, self.topics = name, [topic]

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any], tables: Any) -> None:
        counts = Counter(e.event_type for e in events)
        conn.execute(
            sql.SQL(
                "INSERT INTO {} SELECT * FROM unnest(%s::text[], %s::int8[])"
                " ON CONFLICT (event_type) DO UPDATE SET n = {}.n + excluded.n"
            ).format(tables["event_counts"], tables["event_counts"]),
            (list(counts), list(counts.values())),
        )


def ours_b3(ctx: Bench, mode: str) -> float | None:
    """B3 ours: the ProjectionRunner rebuilds a projection of the log from Kafka offset 0 (a new
    projection and consumer group each round) until it has caught up; events per second.

    mode "batched": one transaction per poll (up to 5,000 events); "per-event": one per event."""
    projection = EventCounts(
        f"b3_{mode.replace('-', '_')}_{uuid.uuid4().hex[:8]}", ctx.events_topic
    )

    def work() -> int:
        runner = ProjectionRunner(
            projection, ctx.pool, ctx.log_schema, ctx.kafka.bootstrap, ctx.registry,
            per_event=(mode == "per-event"), group_prefix="bench",
        )  # fmt: skip
        stats = runner.run(until_caught_up=True, timeout=1800)
        return check_count(f"B3 ours {mode}", stats.applied, ctx.sizes.log)

    return timed(work)


def peer_b3(ctx: Bench) -> float:
    """The peer's ProjectionRunner from an empty view until it has tracked the last event."""
    with psycopg.connect(ctx.peer_url, autocommit=True) as conn:
        for table in PEER_VIEW_TABLES:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS public.{}").format(Identifier(table)))
    gc.collect()
    started = time.perf_counter()
    runner = PeerProjectionRunner(
        application_class=PeerLog,
        projection_class=PeerCountProjection,
        view_class=PeerEventCounts,
    )
    try:
        with runner:
            deadline = time.monotonic() + 3600
            while True:
                done = runner.view.max_tracking_id(PeerLog.name)
                if done is not None and done >= ctx.peer_log_last_id:
                    break
                if runner.is_interrupted.is_set():
                    runner.run_forever(timeout=0)  # re-raises the processing thread's error
                    raise RuntimeError("the peer's projection runner stopped early")
                if time.monotonic() > deadline:
                    raise TimeoutError("the peer's projection did not catch up in an hour")
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            counts = runner.view.counts()
    finally:
        runner.view.datastore.close()
    check_count("B3 peer", sum(counts.values()), ctx.sizes.log)
    return ctx.sizes.log / elapsed


# --- ceilings ---------------------------------------------------------------------------------
RAW_INSERT = f"INSERT INTO raw.events ({COLUMNS}) VALUES ({', '.join(['%s'] * 15)})"
RAW_UNNEST = (
    f"INSERT INTO raw.events ({COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in COPY_TYPES)
    + ")"
)
RAW_COPY = f"COPY raw.events ({COLUMNS}) FROM STDIN (FORMAT BINARY)"


def raw_rows(ctx: Bench, n: int) -> list[tuple[Any, ...]]:
    """n rows shaped like ours (prepared before timing: the ceilings time the database).
    The raw table is emptied first, so every round's ceiling starts from the same table."""
    ctx.admin.execute("TRUNCATE raw.events")
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        ctx.next_raw_index += 1
        rows.append((
            ctx.next_raw_index, uuid.uuid4(), f"case-{uuid.uuid4()}", 1, "intake.CaseOpened", 1,
            ORIGIN, now, now, "system", None, None, None, canonical_json(referral(i)),
            os.urandom(32),
        ))  # fmt: skip
    return rows


def ceiling_insert(ctx: Bench) -> float:
    rows = raw_rows(ctx, ctx.sizes.raw_rows)

    def work() -> int:
        with ctx.pool.connection() as conn:
            for row in rows:
                conn.execute(RAW_INSERT, row)
        return len(rows)

    return timed(work)


def ceiling_unnest(ctx: Bench) -> float:
    rows = raw_rows(ctx, ctx.sizes.raw_batches * BATCH)
    batches = [
        [list(column) for column in zip(*rows[i : i + BATCH], strict=True)]
        for i in range(0, len(rows), BATCH)
    ]

    def work() -> int:
        with ctx.pool.connection() as conn:
            for columns in batches:
                conn.execute(RAW_UNNEST, columns)
        return len(batches) * BATCH

    return timed(work)


def copy_rows(conn: psycopg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    with conn.transaction(), conn.cursor() as cur, cur.copy(RAW_COPY) as copy:
        copy.set_types(COPY_TYPES)
        for row in rows:
            copy.write_row(row)


def ceiling_copy_batches(ctx: Bench) -> float:
    rows = raw_rows(ctx, ctx.sizes.raw_batches * BATCH)
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]

    def work() -> int:
        with ctx.pool.connection() as conn:
            for rows in batches:
                copy_rows(conn, rows)
        return len(batches) * BATCH

    return timed(work)


def ceiling_copy_big(ctx: Bench) -> float:
    rows = raw_rows(ctx, ctx.sizes.log)

    def work() -> int:
        with ctx.pool.connection() as conn:
            copy_rows(conn, rows)
        return len(rows)

    return timed(work)


def kafka_consume(ctx: Bench, topic: str, check_crcs: bool = True) -> float:
    """kafka-python consumer in a new group: joins, seeks to offset 0, then is timed reading
    every record with poll() (the group join is not timed). check_crcs=True is kafka-python's
    default; without the optional `crc32c` package it checks CRC32C in pure Python."""
    consumer = KafkaConsumer(
        bootstrap_servers=ctx.kafka.bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=5_000,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        check_crcs=check_crcs,
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        while not consumer.assignment():
            consumer.poll(timeout_ms=100, max_records=1)
            if time.monotonic() > deadline:
                raise TimeoutError("the benchmark consumer was assigned no partition")
        consumer.seek_to_beginning()
        last_offset = ctx.sizes.log - 1

        def work() -> int:
            count, seen = 0, -1
            limit = time.monotonic() + 600
            while seen < last_offset:
                for records in consumer.poll(timeout_ms=1_000).values():
                    count += len(records)
                    seen = max(seen, records[-1].offset)
                if time.monotonic() > limit:
                    raise TimeoutError(f"consumed only {count} records of {topic}")
            return check_count(f"consume {topic}", count, ctx.sizes.log)

        return timed(work)
    finally:
        consumer.close()


# --- what is measured -------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    min_ratio: float  # ours / peer
    ceiling: str | None = None  # and ours >= min_fraction of this ceiling
    min_fraction: float = 0.0

    def describe(self) -> str:
        text = f"≥{self.min_ratio:g}x"
        if self.ceiling:
            text += f" and ≥{self.min_fraction:.0%} of {self.ceiling}"
        return text


@dataclass(frozen=True)
class Measurement:
    label: str
    ours: Runner
    peer: Runner | None  # None: the peer's samples of `peer_from` are compared
    target: Target
    peer_from: str | None = None


MEASUREMENTS: dict[str, Measurement] = {
    "B1 1 writer": Measurement(
        "B1 append 1 event/tx, new stream, 1 writer",
        partial(ours_b1, threads=1),
        partial(peer_b1, threads=1),
        Target(1.5),
    ),
    "B1 4 writers": Measurement(
        "B1 append 1 event/tx, new stream, 4 writers",
        partial(ours_b1, threads=4),
        partial(peer_b1, threads=4),
        Target(1.5),
    ),
    "B1c": Measurement("B1c append 100 events/tx, new stream", ours_b1c, peer_b1c, Target(2)),
    "B2": Measurement("B2 read all + decode, pages of 10,000", ours_b2, peer_b2, Target(2)),
    "B3 batched": Measurement(
        "B3 projection rebuild, batched (peer: ProjectionRunner)",
        partial(ours_b3, mode="batched"),
        peer_b3,
        Target(25, "kafka consume", 0.30),
    ),
    "B3 per-event": Measurement(
        "B3 projection rebuild, per-event (peer: ProjectionRunner)",
        partial(ours_b3, mode="per-event"),
        None,
        Target(1.2),
        peer_from="B3 batched",
    ),
}

CEILINGS: dict[str, tuple[str, Runner]] = {
    "insert": ("PostgreSQL INSERT, 1 row/tx (autocommit)", ceiling_insert),
    "unnest": ("PostgreSQL INSERT … SELECT FROM unnest, 100 rows/tx", ceiling_unnest),
    "copy 100": ("PostgreSQL COPY binary, 100 rows/tx", ceiling_copy_batches),
    "copy big": ("PostgreSQL COPY binary, one COPY of all rows", ceiling_copy_big),
    "kafka consume": (
        f"kafka-python consume, {RAW_RECORD_BYTES}-byte records",
        lambda ctx: kafka_consume(ctx, ctx.raw_topic),
    ),
    "kafka envelopes": (
        "kafka-python consume, our event envelopes",
        lambda ctx: kafka_consume(ctx, ctx.events_topic),
    ),
    "kafka no crc": (
        f"kafka-python consume, {RAW_RECORD_BYTES}-byte records, check_crcs=False",
        lambda ctx: kafka_consume(ctx, ctx.raw_topic, check_crcs=False),
    ),
}


# --- set-up -----------------------------------------------------------------------------------
def new_schema(url: str, name: str) -> str:
    migrate(url, name, migrations_in(BACKBONE_MIGRATIONS))
    return name


def prefill_ours(store: EventStore, n: int, per_append: int = 1_000) -> None:
    """n events as streams of BATCH events, per_append events per transaction."""
    streams = per_append // BATCH
    for _ in range(n // per_append):
        store.append_many([
            StreamWrite(f"case-{uuid.uuid4()}", ExpectedVersion.NO_STREAM, stream_events(BATCH))
            for _ in range(streams)
        ])  # fmt: skip


def prefill_peer(app: PeerLog, n: int, per_save: int = 1_000) -> None:
    for _ in range(n // per_save):
        app.save(*[new_case(BATCH) for _ in range(per_save // BATCH)])


@contextlib.contextmanager
def peer_environment(pg: LocalPostgres, dbname: str) -> Iterator[None]:
    """The peer is configured by POSTGRES_* environment variables (restored afterwards)."""
    settings = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": str(pg.port),
        "POSTGRES_USER": "actnow",
        "POSTGRES_PASSWORD": "unused",  # the throwaway cluster trusts loopback connections
    }
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fill_topics(ctx_kafka: LocalKafka, log_store: EventStore, n: int) -> tuple[str, str, float]:
    """Creates the raw topic (n records of RAW_RECORD_BYTES) and the envelope topic (the log's
    n events as `RecordedEvent.to_json`), one partition each."""
    raw_topic, events_topic = "bench.raw", "bench.events"
    admin = KafkaAdminClient(bootstrap_servers=ctx_kafka.bootstrap)
    try:
        admin.create_topics(
            [NewTopic(raw_topic, 1, 1), NewTopic(events_topic, 1, 1)], timeout_ms=30_000
        )
    finally:
        admin.close()
    producer = KafkaProducer(
        bootstrap_servers=ctx_kafka.bootstrap, acks=1, linger_ms=20, batch_size=1024 * 1024
    )
    try:
        for _ in range(n):
            producer.send(raw_topic, os.urandom(RAW_RECORD_BYTES))
        after, total_bytes, sent = 0, 0, 0
        while True:
            events = log_store.read_all(after, PAGE)
            for e in events:
                value = e.to_json()
                total_bytes += len(value)
                producer.send(events_topic, value)
            sent += len(events)
            if len(events) < PAGE:
                break
            after = events[-1].log_index
        producer.flush(timeout=300)
    finally:
        producer.close()
    check_count("envelopes sent", sent, n)
    return raw_topic, events_topic, total_bytes / max(sent, 1)


def vacuum(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def setup(stack: contextlib.ExitStack, sizes: Sizes) -> Bench:
    step = Progress()
    pg_dir = tempfile.mkdtemp(prefix="bench-pg-")
    stack.callback(shutil.rmtree, pg_dir, ignore_errors=True)
    pg = LocalPostgres(Path(pg_dir))
    stack.callback(pg.destroy)
    pg.start()
    for database in ("ours", "peer"):
        pg.create_database(database)
    ours_url, peer_url = pg.url("ours"), pg.url("peer")
    step("PostgreSQL started")

    kafka_dir = tempfile.mkdtemp(prefix="bench-kafka-")
    stack.callback(shutil.rmtree, kafka_dir, ignore_errors=True)
    kafka = LocalKafka(Path(kafka_dir))
    stack.callback(kafka.stop)
    kafka.start()
    step("Kafka started")

    admin = stack.enter_context(psycopg.connect(ours_url, autocommit=True))
    # the services' own pool settings (shared.db.create_pool)
    pool = stack.enter_context(create_pool(ours_url, max_size=8, name="bench"))
    pool.wait()
    registry = bench_registry()
    stores = {
        name: EventStore(pool, new_schema(ours_url, name), ORIGIN, registry)
        for name in ("b1", "b1c", "log")
    }
    admin.execute("CREATE SCHEMA raw")
    admin.execute("CREATE TABLE raw.events (LIKE log.events INCLUDING ALL)")

    stack.enter_context(peer_environment(pg, "peer"))
    peer_writes, peer_batches, peer_log = PeerWrites(), PeerBatches(), PeerLog()
    for app in (peer_writes, peer_batches, peer_log):
        stack.callback(app.close)
    step("schemas and applications created")

    prefill_ours(stores["log"], sizes.log)
    step(f"ours prefilled with {sizes.log:,} events")
    prefill_peer(peer_log, sizes.log)
    last_id = peer_log.recorder.max_notification_id() or 0
    step(f"peer prefilled with {sizes.log:,} events")
    vacuum(ours_url)
    vacuum(peer_url)
    step("VACUUM ANALYZE on both databases")

    raw_topic, events_topic, envelope_bytes = fill_topics(kafka, stores["log"], sizes.log)
    step(f"Kafka topics filled ({sizes.log:,} records each)")
    return Bench(
        sizes=sizes, pg=pg, ours_url=ours_url, peer_url=peer_url, admin=admin, pool=pool,
        registry=registry, b1_store=stores["b1"], b1c_store=stores["b1c"],
        log_store=stores["log"], log_schema="log", peer_writes=peer_writes,
        peer_batches=peer_batches, peer_log=peer_log, peer_log_last_id=last_id, kafka=kafka,
        raw_topic=raw_topic, events_topic=events_topic, envelope_bytes=envelope_bytes,
    )  # fmt: skip


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, what: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f} s] {what}", flush=True)


# --- running ----------------------------------------------------------------------------------
Samples = dict[str, list[float]]


def settle(ctx: Bench) -> None:
    """Before each timed measurement: flush PostgreSQL's dirty buffers and the OS page cache
    (e.g. the broker's log), so that no measurement pays for an earlier one's writes."""
    ctx.admin.execute("CHECKPOINT")
    os.sync()


def run_rounds(ctx: Bench) -> tuple[dict[str, dict[str, list[float]]], Samples]:
    results: dict[str, dict[str, list[float]]] = {
        key: {"ours": [], "peer": []} for key in MEASUREMENTS
    }
    ceilings: Samples = {key: [] for key in CEILINGS}
    step = Progress()
    for number in range(1, ctx.sizes.rounds + 1):
        for key, m in MEASUREMENTS.items():
            for side, runner in (("ours", m.ours), ("peer", m.peer)):
                if runner is None:
                    continue
                settle(ctx)
                value = runner(ctx)
                if value is not None:
                    results[key][side].append(value)
                    step(f"round {number}: {key} {side}: {value:,.0f} events/s")
        for key, (_, runner) in CEILINGS.items():
            settle(ctx)
            value = runner(ctx)
            assert value is not None
            ceilings[key].append(value)
            step(f"round {number}: ceiling {key}: {value:,.0f} events/s")
    return results, ceilings


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def rate(value: float | None) -> str:
    return "pending" if value is None else f"{value:,.0f}"


def report(
    ctx: Bench, results: dict[str, dict[str, list[float]]], ceilings: Samples, took: float
) -> tuple[list[list[str]], list[list[str]], list[str]]:
    ceiling_medians = {key: median(values) for key, values in ceilings.items()}
    rows = []
    for key, m in MEASUREMENTS.items():
        ours = median(results[key]["ours"])
        peer = median(results[m.peer_from or key]["peer"])
        ratio = None if ours is None or not peer else ours / peer
        cap = ceiling_medians[m.target.ceiling] if m.target.ceiling else None
        if ours is None or ratio is None:
            met = "pending"
        elif ratio < m.target.min_ratio:
            met = "NO"
        elif cap is not None and ours < m.target.min_fraction * cap:
            met = "NO (ceiling)"
        else:
            met = "yes"
        shown_ratio = "—" if ratio is None else f"{ratio:.2f}x"
        rows.append([m.label, rate(ours), rate(peer), shown_ratio, m.target.describe(), met])
    ceiling_rows = [
        [label, rate(ceiling_medians[key]), spread(ceilings[key])]
        for key, (label, _) in CEILINGS.items()
    ]
    with ctx.pool.connection() as conn:
        server = conn.execute("SHOW server_version").fetchone()
    facts = [
        f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"Python {platform.python_version()}, PostgreSQL {server[0] if server else '?'}"
        f" (default settings), eventsourcing {version('eventsourcing')},"
        f" psycopg {version('psycopg')}, kafka-python {version('kafka-python')}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"rounds: {ctx.sizes.rounds} (median shown; A/B order ours then peer),"
        f" B1 {ctx.sizes.b1:,} appends, B1c {ctx.sizes.b1c:,}x{BATCH} events,"
        f" B2/B3 {ctx.sizes.log:,} events, Kafka {ctx.sizes.log:,} records"
        f" ({RAW_RECORD_BYTES} B raw; envelopes {ctx.envelope_bytes:.0f} B mean)",
        f"run took {took:.0f} s",
    ]
    return rows, ceiling_rows, facts


def spread(values: Sequence[float]) -> str:
    return f"{min(values):,.0f} - {max(values):,.0f}" if values else "—"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for row in rows:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


MAIN_HEADER = ["measurement (events/s)", "ours", "peer", "ours/peer", "target", "met?"]
CEILING_HEADER = ["ceiling (same server)", "events/s", "rounds min - max"]


def details(results: dict[str, dict[str, list[float]]], ceilings: Samples) -> list[str]:
    lines = []
    for key, sides in results.items():
        for side, values in sides.items():
            if values:
                lines.append(f"{key} {side}: " + ", ".join(f"{v:,.0f}" for v in values))
    for key, values in ceilings.items():
        lines.append(f"ceiling {key}: " + ", ".join(f"{v:,.0f}" for v in values))
    return lines


def interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 round: smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (default 5, or 1 with --quick)")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.rounds:
        sizes = Sizes(**{**sizes.__dict__, "rounds": args.rounds})
    started = time.perf_counter()
    # SIGTERM (and SIGINT, which background jobs inherit as ignored) unwind through the clean-up
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, interrupted)
    with contextlib.ExitStack() as stack:
        ctx = setup(stack, sizes)
        results, ceilings = run_rounds(ctx)
        rows, ceiling_rows, facts = report(ctx, results, ceilings, time.perf_counter() - started)
    print()
    print(text_table(MAIN_HEADER, rows))
    print()
    print(text_table(CEILING_HEADER, ceiling_rows))
    print()
    for line in facts:
        print(line)
    print()
    print("per round:")
    for line in details(results, ceilings):
        print("  " + line)
    if args.markdown:
        body = [
            f"# Backbone benchmark: ours vs eventsourcing {version('eventsourcing')}",
            "",
            markdown_table(MAIN_HEADER, rows),
            "",
            markdown_table(CEILING_HEADER, ceiling_rows),
            "",
            *(f"- {line}" for line in facts),
            "",
            "Per round:",
            "",
            *(f"- {line}" for line in details(results, ceilings)),
            "",
        ]
        args.markdown.write_text("\n".join(body))
        print(f"\nwritten: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
