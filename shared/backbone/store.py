"""The PostgreSQL event store of one service: outbox for the relay and audit log for auditors.

`append` checks the expected stream version, assigns dense log indexes in commit order, hashes
each event into the Merkle tree kept in `log_head`, and notifies tailing readers — all in one
transaction. Re-sending events whose `event_id`s are already recorded returns their original
positions and records nothing.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Event as StopFlag
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.backbone import merkle
from shared.backbone.envelope import (
    Actor,
    NewEvent,
    RecordedEvent,
    canonical_json,
    content_digest,
    positioned_leaf_input,
)
from shared.backbone.metrics import APPEND_SECONDS, EVENTS_APPENDED
from shared.backbone.registry import EventRegistry, InvalidPayload
from shared.errors import Conflict


class ExpectedVersion(enum.Enum):
    ANY = "any"
    NO_STREAM = "no stream"
    STREAM_EXISTS = "stream exists"


Expected = int | ExpectedVersion


class ConcurrencyError(Conflict):
    """The stream is not at the version the writer expected (HTTP 409, or 412 with If-Match)."""

    def __init__(self, stream_id: str, expected: Expected, actual: int) -> None:
        shown = expected.value if isinstance(expected, ExpectedVersion) else f"version {expected}"
        super().__init__(
            f"stream {stream_id} is at version {actual}, expected {shown}",
            {"expected_version": [f"Stream is at version {actual}."]},
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class DuplicateEventIds(Conflict):
    """Part of a batch was recorded before: re-send all of it or none of it."""


@dataclass(frozen=True)
class StreamWrite:
    stream_id: str
    expected: Expected
    events: Sequence[NewEvent]


@dataclass(frozen=True)
class PreparedEvent:
    """A validated event with its payload bytes and content digest, placed in its write."""

    write: int  # 1-based number of its stream write
    offset: int  # 1-based position within that write
    event: NewEvent
    schema_version: int
    payload: bytes
    digest: bytes


@dataclass(frozen=True)
class PreparedBatch:
    streams: list[str]
    expected: list[int]
    events: list[PreparedEvent]


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    stream_version: int  # the stream's version after the append
    log_indexes: tuple[int, ...]
    already_recorded: bool = False


@dataclass(frozen=True)
class LogHead:
    size: int
    compact_range: merkle.CompactRange

    @property
    def root(self) -> bytes:
        return self.compact_range.root()


# Batches larger than this are appended by COPY with hashing in Python; smaller ones in one
# statement with hashing in PL/pgSQL (measured: bench/RESULTS.md).
COPY_THRESHOLD = 8

COPY_TYPES = [
    "int8", "uuid", "text", "int4", "text", "int4", "text", "timestamptz", "timestamptz",
    "text", "text", "uuid", "uuid", "bytea", "bytea",
]  # fmt: skip

COLUMNS = (
    "log_index, event_id, stream_id, stream_version, event_type, schema_version, origin,"
    " occurred_at, recorded_at, actor_user, actor_org, correlation_id, causation_id,"
    " payload, leaf_hash"
)


class EventStore:
    def __init__(
        self, pool: ConnectionPool, schema: str, origin: str, registry: EventRegistry
    ) -> None:
        self.pool, self.schema, self.origin, self.registry = pool, schema, origin, registry
        self.channel = f"{schema}_events"
        q = sql.Identifier(schema)
        self._sql: dict[str, Any] = {
            "append_one": sql.SQL(
                "SELECT * FROM {}.append_events(ARRAY[%s]::text[], ARRAY[%s]::int4[], '{{1}}',"
                " '{{1}}', ARRAY[%s]::uuid[], ARRAY[%s]::text[], ARRAY[%s]::int4[],"
                " ARRAY[%s]::timestamptz[], ARRAY[%s]::text[], ARRAY[%s]::text[],"
                " ARRAY[%s]::uuid[], ARRAY[%s]::uuid[], ARRAY[%s]::bytea[], ARRAY[%s]::bytea[],"
                " %s, %s)"
            ).format(q),
            "lock": sql.SQL("SELECT * FROM {}.lock_log_and_check(%s, %s, %s::uuid[])").format(q),
            "copy": sql.SQL("COPY {}.events (" + COLUMNS + ") FROM STDIN (FORMAT BINARY)").format(
                q
            ),
            "head_and_notify": sql.SQL(
                "WITH head AS (UPDATE {}.log_head SET size = %s, compact_range = %s)"
                " SELECT pg_notify(%s, %s)"
            ).format(q),
            "append": sql.SQL(
                "SELECT * FROM {}.append_events(" + ", ".join(["%s"] * 16) + ")"
            ).format(q),
            "read_stream": sql.SQL(
                "SELECT " + COLUMNS + " FROM {}.events WHERE stream_id = %s"
                " AND stream_version >= %s ORDER BY stream_version"
            ).format(q),
            "read_all": sql.SQL(
                "SELECT " + COLUMNS + " FROM {}.events WHERE log_index > %s"
                " ORDER BY log_index LIMIT %s"
            ).format(q),
            "read_head": sql.SQL("SELECT size, compact_range FROM {}.log_head").format(q),
        }
        # rendered once: psycopg would otherwise compose the SQL again on every call
        self._sql = {name: query.as_string(None) for name, query in self._sql.items()}  # fmt: skip

    # --- writing --------------------------------------------------------------------------
    def append(
        self, stream_id: str, expected: Expected, events: Sequence[NewEvent]
    ) -> AppendResult:
        return self.append_many([StreamWrite(stream_id, expected, events)])[0]

    def append_many(self, writes: Sequence[StreamWrite]) -> list[AppendResult]:
        """Appends to one or more streams in one transaction: all of it is recorded or none."""
        batch = self._prepare(writes)
        started = time.perf_counter()
        try:
            if len(batch.events) > COPY_THRESHOLD:
                outcome = self._append_by_copy(batch)
            else:
                outcome = self._append_in_one_statement(batch)
        except psycopg.Error as exc:
            raise _translate(exc, writes) from exc
        APPEND_SECONDS.labels(self.origin).observe(time.perf_counter() - started)
        log_size, base_versions, *known = outcome
        if base_versions is None:
            return _already_recorded(writes, known)
        EVENTS_APPENDED.labels(self.origin).inc(len(batch.events))
        return _appended(writes, log_size, base_versions)

    def _prepare(self, writes: Sequence[StreamWrite]) -> PreparedBatch:
        streams = [w.stream_id for w in writes]
        if len(set(streams)) != len(streams):
            raise Conflict("a stream appears twice in one append; give it one write")
        if not all(w.events for w in writes):
            raise Conflict("every stream write in an append needs at least one event")
        events = []
        for number, write in enumerate(writes, start=1):
            for offset, event in enumerate(write.events, start=1):
                version = event.schema_version or self.registry.current_version(event.event_type)
                self.registry.validate(event.event_type, version, event.payload)
                payload = _encoded(event)
                digest = content_digest(
                    event.event_id, write.stream_id, event.event_type, version, self.origin,
                    event.occurred_at, event.actor, event.correlation_id, event.causation_id,
                    payload,
                )  # fmt: skip
                events.append(PreparedEvent(number, offset, event, version, payload, digest))
        if len({e.event.event_id for e in events}) != len(events):
            raise DuplicateEventIds("the same event_id appears twice in one append")
        return PreparedBatch(streams, [_expected_code(w.expected) for w in writes], events)

    def _append_in_one_statement(self, batch: PreparedBatch) -> tuple[Any, ...]:
        """Small batches: the database function does everything in one round trip."""
        if len(batch.events) == 1:
            # scalar parameters: cheaper to send than a dozen one-element arrays
            (e,) = batch.events
            query = self._sql["append_one"]
            args: tuple[Any, ...] = (
                batch.streams[0], batch.expected[0], e.event.event_id, e.event.event_type,
                e.schema_version, e.event.occurred_at, e.event.actor.user,
                e.event.actor.organisation, e.event.correlation_id, e.event.causation_id,
                e.payload, e.digest, self.origin, self.channel,
            )  # fmt: skip
        else:
            query = self._sql["append"]
            columns = list(zip(*(_columns(e) for e in batch.events), strict=True))
            args = (batch.streams, batch.expected, *map(list, columns), self.origin, self.channel)
        with self.pool.connection() as conn:
            row = conn.execute(query, args).fetchone()
        assert row is not None
        return tuple(row)

    def _append_by_copy(self, batch: PreparedBatch) -> tuple[Any, ...]:
        """Large batches: lock and check in the database, then hash and extend the compact
        range here and COPY the rows, all in one transaction holding the log lock.

        Re-sent events are rare, so the lock is first taken without probing every event_id.
        A re-send then shows up as a version conflict or a UNIQUE(event_id) violation, and
        only then are the ids looked up: a re-send returns the originals, as on the other path.
        """
        try:
            return self._copy_under_lock(batch)
        except psycopg.Error as exc:
            duplicate = (
                isinstance(exc, psycopg.errors.UniqueViolation)
                and exc.diag.constraint_name == "events_event_id_key"
            )
            if not duplicate and exc.sqlstate != "AN409":
                raise
        ids = [e.event.event_id for e in batch.events]
        with self.pool.connection() as conn, conn.transaction():
            checked = conn.execute(self._sql["lock"], (batch.streams, batch.expected, ids))
            log_size, _, _, base_versions, *known = checked.fetchone()  # type: ignore[misc]
        if base_versions is None:
            return (log_size, None, *known)
        return self._copy_under_lock(batch)  # the conflict was a race that has passed

    def _copy_under_lock(self, batch: PreparedBatch) -> tuple[Any, ...]:
        # Four round trips: BEGIN + lock (pipelined), COPY, head + notify + COMMIT (pipelined).
        with self.pool.connection() as conn:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    checked = conn.execute(self._sql["lock"], (batch.streams, batch.expected, []))
                log_size, range_bytes, recorded_at, base_versions, *_ = checked.fetchone()  # type: ignore[misc]
                rows, compact = self._rows(batch, log_size, range_bytes, recorded_at, base_versions)
                with conn.cursor() as cur, cur.copy(self._sql["copy"]) as copy:
                    copy.set_types(COPY_TYPES)
                    for row in rows:
                        copy.write_row(row)
                with conn.pipeline():
                    conn.execute(
                        self._sql["head_and_notify"],
                        (compact.size, compact.to_bytes(), self.channel, str(compact.size)),
                    )
                    conn.execute("COMMIT")
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                raise
        return (compact.size, base_versions)

    def _rows(
        self,
        batch: PreparedBatch,
        log_size: int,
        range_bytes: bytes,
        recorded_at: datetime,
        base_versions: list[int],
    ) -> tuple[list[tuple[Any, ...]], merkle.CompactRange]:
        """The batch's rows with positions and leaf hashes, and the extended compact range."""
        rows, leaves = [], []
        for index, e in enumerate(batch.events, start=log_size + 1):
            version = base_versions[e.write - 1] + e.offset
            leaf = merkle.leaf_hash(positioned_leaf_input(e.digest, index, version, recorded_at))
            leaves.append(leaf)
            rows.append((
                index, e.event.event_id, batch.streams[e.write - 1], version,
                e.event.event_type, e.schema_version, self.origin, e.event.occurred_at,
                recorded_at, e.event.actor.user, e.event.actor.organisation,
                e.event.correlation_id, e.event.causation_id, e.payload, leaf,
            ))  # fmt: skip
        return rows, merkle.CompactRange.from_bytes(range_bytes).extend(leaves)

    # --- reading --------------------------------------------------------------------------
    def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["read_stream"], (stream_id, from_version)).fetchall()
        return [_recorded(row) for row in rows]

    def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events with log_index > after, in log order; at most limit of them."""
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["read_all"], (after, limit), binary=True).fetchall()
        return [_recorded(row) for row in rows]

    def head(self) -> LogHead:
        with self.pool.connection() as conn:
            size, range_bytes = conn.execute(self._sql["read_head"]).fetchone()  # type: ignore[misc]
        return LogHead(size, merkle.CompactRange.from_bytes(range_bytes))

    def subscribe(
        self,
        after: int = 0,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        stop: StopFlag | None = None,
    ) -> Iterator[list[RecordedEvent]]:
        """Tails the log from after: yields batches in log order, forever (until stop is set).

        NOTIFY from appenders wakes the reader at once; polling every poll_interval is the
        fallback when a notification is lost (e.g. across a reconnect)."""
        stop = stop or StopFlag()
        with psycopg.connect(self.pool.conninfo, autocommit=True) as listener:
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            while not stop.is_set():
                events = self.read_all(after, batch_size)
                if events:
                    after = events[-1].log_index
                    yield events
                    continue
                for _ in listener.notifies(timeout=poll_interval, stop_after=1):
                    pass


def _encoded(event: NewEvent) -> bytes:
    try:
        return canonical_json(event.payload)
    except orjson.JSONEncodeError as exc:
        raise InvalidPayload(
            f"invalid {event.event_type} payload: {exc}", {"payload": [str(exc)]}
        ) from exc


def _expected_code(expected: Expected) -> int:
    codes = {
        ExpectedVersion.ANY: -1,
        ExpectedVersion.NO_STREAM: -2,
        ExpectedVersion.STREAM_EXISTS: -3,
    }
    if isinstance(expected, ExpectedVersion):
        return codes[expected]
    if expected < 0:
        raise Conflict(
            f"expected version {expected} is negative", {"expected_version": ["Must be >= 0."]}
        )
    return expected


def _translate(exc: psycopg.Error, writes: Sequence[StreamWrite]) -> Exception:
    """Turns the append function's own SQLSTATEs into domain errors; others pass through."""
    diag = exc.diag
    if exc.sqlstate == "AN409":
        stream_id, actual = diag.message_detail or "", int(diag.message_hint or 0)
        expected = next(w.expected for w in writes if w.stream_id == stream_id)
        return ConcurrencyError(stream_id, expected, actual)
    if exc.sqlstate == "AN422":
        return DuplicateEventIds(diag.message_primary or "events were recorded before")
    return exc


def _appended(
    writes: Sequence[StreamWrite], log_size: int, base_versions: list[int]
) -> list[AppendResult]:
    results, index = [], log_size - sum(len(w.events) for w in writes)
    for write, base in zip(writes, base_versions, strict=True):
        count = len(write.events)
        results.append(
            AppendResult(write.stream_id, base + count, tuple(range(index + 1, index + count + 1)))
        )
        index += count
    return results


def _already_recorded(writes: Sequence[StreamWrite], known: list[Any]) -> list[AppendResult]:
    ids, streams, versions, indexes = known
    known = {event_id: n for n, event_id in enumerate(ids)}
    results = []
    for write in writes:
        own = [known[event.event_id] for event in write.events]
        if any(streams[n] != write.stream_id for n in own):
            raise DuplicateEventIds("an event_id was recorded before in another stream")
        results.append(
            AppendResult(
                write.stream_id,
                max(versions[n] for n in own),
                tuple(indexes[n] for n in own),
                already_recorded=True,
            )
        )
    return results


def _recorded(row: tuple[Any, ...]) -> RecordedEvent:
    (log_index, event_id, stream_id, stream_version, event_type, schema_version, origin,
     occurred_at, recorded_at, actor_user, actor_org, correlation_id, causation_id,
     payload, leaf) = row  # fmt: skip
    return RecordedEvent(
        event_id, event_type, schema_version, stream_id, stream_version, origin, log_index,
        occurred_at, recorded_at, Actor(actor_user, actor_org), correlation_id, causation_id,
        bytes(payload), bytes(leaf),
    )  # fmt: skip


def _columns(e: PreparedEvent) -> tuple[Any, ...]:
    """One event's values in the order of append_events' e_* array parameters."""
    event = e.event
    return (
        e.write, e.offset, event.event_id, event.event_type, e.schema_version, event.occurred_at,
        event.actor.user, event.actor.organisation, event.correlation_id, event.causation_id,
        e.payload, e.digest,
    )  # fmt: skip
