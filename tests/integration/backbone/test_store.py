"""The PostgreSQL event store: expected versions, idempotent re-sends, atomic batches,
validation at append, a dense log in commit order, and the Merkle head kept in step."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from shared.backbone import merkle
from shared.backbone.envelope import Actor, NewEvent
from shared.backbone.registry import InvalidPayload, UnknownEventType
from shared.backbone.store import (
    ConcurrencyError,
    DuplicateEventIds,
    EventStore,
    ExpectedVersion,
    StreamWrite,
)
from shared.db import create_pool

from .conftest import example_registry


def opened(country: str = "MK") -> NewEvent:
    return NewEvent("intake.CaseOpened", {"country": country, "gender": "f"},
                    actor=Actor("cw-1", "org-1"))  # fmt: skip


def referral(days: int = 3) -> NewEvent:
    payload = {"to_organisation": "shelter", "days_after_identification": days}
    return NewEvent("intake.ReferralMade", payload)


def count_events(store: EventStore) -> int:
    with store.pool.connection() as conn:
        query = sql.SQL("SELECT count(*) FROM {}.events").format(sql.Identifier(store.schema))
        return conn.execute(query).fetchone()[0]


def test_appended_events_are_read_back_with_their_envelope(store: EventStore) -> None:
    first = opened()
    result = store.append("case-1", ExpectedVersion.NO_STREAM, [first, referral()])
    assert (result.stream_version, result.log_indexes) == (2, (1, 2))
    events = store.read_stream("case-1")
    assert [e.event_type for e in events] == ["intake.CaseOpened", "intake.ReferralMade"]
    assert events[0].event_id == first.event_id
    assert events[0].payload == {"country": "MK", "gender": "f"}
    assert events[0].origin == "mk.intake" and events[0].actor == Actor("cw-1", "org-1")
    assert events[0].occurred_at == first.occurred_at
    assert all(e.leaf_hash == e.computed_leaf_hash() for e in events)


@pytest.mark.parametrize(
    ("expected", "ok"),
    [(2, True), (1, False), (ExpectedVersion.ANY, True), (ExpectedVersion.NO_STREAM, False),
     (ExpectedVersion.STREAM_EXISTS, True)],
)  # fmt: skip
def test_the_expected_version_of_an_existing_stream_is_checked(
    store: EventStore, expected: int | ExpectedVersion, ok: bool
) -> None:
    store.append("case-1", ExpectedVersion.NO_STREAM, [opened(), referral()])
    if ok:
        assert store.append("case-1", expected, [referral()]).stream_version == 3
    else:
        with pytest.raises(ConcurrencyError, match="stream case-1 is at version 2"):
            store.append("case-1", expected, [referral()])
        assert count_events(store) == 2


def test_stream_exists_is_refused_for_a_new_stream(store: EventStore) -> None:
    with pytest.raises(ConcurrencyError, match="expected stream exists"):
        store.append("case-new", ExpectedVersion.STREAM_EXISTS, [opened()])


def test_two_writers_with_the_same_expected_version_one_wins_the_other_gets_a_conflict(
    store: EventStore,
) -> None:
    store.append("case-1", ExpectedVersion.NO_STREAM, [opened()])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write() -> None:
        barrier.wait()
        try:
            store.append("case-1", 1, [referral()])
            outcomes.append("won")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert [e.stream_version for e in store.read_stream("case-1")] == [1, 2]


def test_resending_the_same_events_records_nothing_and_returns_the_original_positions(
    store: EventStore,
) -> None:
    batch = [opened(), referral()]
    first = store.append("case-1", ExpectedVersion.NO_STREAM, batch)
    store.append("case-2", ExpectedVersion.NO_STREAM, [opened()])
    again = store.append("case-1", ExpectedVersion.NO_STREAM, batch)
    assert again.already_recorded
    assert (again.stream_version, again.log_indexes) == (first.stream_version, first.log_indexes)
    assert count_events(store) == 3


def test_resending_part_of_a_batch_is_refused(store: EventStore) -> None:
    batch = [opened(), referral()]
    store.append("case-1", ExpectedVersion.NO_STREAM, batch)
    with pytest.raises(DuplicateEventIds, match="1 of the 2 events"):
        store.append("case-1", 2, [batch[1], referral()])
    assert count_events(store) == 2


def test_a_batch_spanning_streams_is_all_or_nothing(store: EventStore) -> None:
    store.append("case-2", ExpectedVersion.NO_STREAM, [opened()])
    results = store.append_many([
        StreamWrite("case-1", ExpectedVersion.NO_STREAM, [opened(), referral()]),
        StreamWrite("case-2", 1, [referral()]),
    ])  # fmt: skip
    assert [(r.stream_id, r.log_indexes) for r in results] == [("case-1", (2, 3)), ("case-2", (4,))]
    with pytest.raises(ConcurrencyError):
        store.append_many([
            StreamWrite("case-3", ExpectedVersion.NO_STREAM, [opened()]),
            StreamWrite("case-2", 1, [referral()]),
        ])  # fmt: skip
    assert store.read_stream("case-3") == []
    assert count_events(store) == 4


def test_an_unknown_event_type_is_rejected_at_append_and_nothing_is_written(
    store: EventStore,
) -> None:
    with pytest.raises(UnknownEventType, match=r"unknown event type 'intake\.CaseTeleported'"):
        store.append(
            "case-1", ExpectedVersion.ANY, [opened(), NewEvent("intake.CaseTeleported", {})]
        )
    assert count_events(store) == 0


def test_an_invalid_payload_is_rejected_naming_the_fields(store: EventStore) -> None:
    bad = NewEvent("intake.ReferralMade", {"days_after_identification": "soon", "extra": 1})
    with pytest.raises(InvalidPayload) as caught:
        store.append("case-1", ExpectedVersion.ANY, [bad])
    assert set(caught.value.errors) == {"to_organisation", "days_after_identification", "extra"}
    assert count_events(store) == 0


def test_the_log_head_holds_the_merkle_root_of_every_stored_leaf(store: EventStore) -> None:
    for n in range(5):
        store.append(f"case-{n}", ExpectedVersion.NO_STREAM, [opened(), referral(n)])
    events = store.read_all(after=0, limit=100)
    head = store.head()
    assert head.size == 10 == len(events)
    assert [e.log_index for e in events] == list(range(1, 11))
    assert head.root == merkle.root_from_leaf_hashes([e.leaf_hash for e in events])


def test_four_concurrent_writers_and_a_tailing_reader_see_every_index_once_in_order(
    store: EventStore,
) -> None:
    writers, per_writer = 4, 150
    stop = threading.Event()
    seen: list[int] = []

    def tail() -> None:
        for batch in store.subscribe(after=0, batch_size=50, poll_interval=0.2, stop=stop):
            seen.extend(e.log_index for e in batch)

    def write(w: int) -> None:
        for n in range(per_writer):
            # a mix of single events and small batches, on a few shared streams
            events = [referral(n)] if n % 3 else [referral(n), referral(n + 1)]
            store.append(f"case-{(w + n) % 5}", ExpectedVersion.ANY, events)

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = store.head().size
    deadline = time.monotonic() + 30
    while len(seen) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    store.append("case-last", ExpectedVersion.ANY, [opened()])  # wakes the reader to stop
    reader.join(timeout=10)
    assert total > writers * per_writer
    assert seen[:total] == list(range(1, total + 1))
    assert len(seen) in (total, total + 1)


def test_a_subscription_is_woken_by_notify_without_waiting_for_the_poll(store: EventStore) -> None:
    stop = threading.Event()
    got = threading.Event()

    def tail() -> None:
        for _ in store.subscribe(after=0, poll_interval=30.0, stop=stop):
            got.set()
            stop.set()

    reader = threading.Thread(target=tail, daemon=True)
    reader.start()
    threading.Event().wait(0.5)  # the reader is now waiting on LISTEN
    store.append("case-1", ExpectedVersion.ANY, [opened()])
    assert got.wait(5.0)


def test_a_changed_stored_byte_no_longer_matches_its_leaf_hash(
    store: EventStore, database_url: str
) -> None:
    store.append("case-1", ExpectedVersion.NO_STREAM, [opened()])
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {}.events SET payload = set_byte(payload, 3, 88)").format(
            sql.Identifier(store.schema)))  # fmt: skip
    (event,) = store.read_all()
    assert event.leaf_hash != event.computed_leaf_hash()
    assert uuid.UUID(str(event.event_id))


def test_large_batches_taken_by_copy_keep_the_same_log_and_merkle_head(store: EventStore) -> None:
    store.append("case-small", ExpectedVersion.NO_STREAM, [opened(), referral()])
    big = [opened()] + [referral(n) for n in range(40)]
    result = store.append("case-big", ExpectedVersion.NO_STREAM, big)
    store.append("case-small", 2, [referral()])
    assert result.log_indexes == tuple(range(3, 44)) and result.stream_version == 41
    events = store.read_all(after=0, limit=100)
    assert [e.log_index for e in events] == list(range(1, 45))
    assert all(e.leaf_hash == e.computed_leaf_hash() for e in events)
    assert store.head().root == merkle.root_from_leaf_hashes([e.leaf_hash for e in events])


def test_a_large_batch_resent_or_in_conflict_records_nothing(store: EventStore) -> None:
    big = [referral(n) for n in range(20)]
    first = store.append("case-1", ExpectedVersion.NO_STREAM, big)
    assert store.append("case-1", ExpectedVersion.NO_STREAM, big).log_indexes == first.log_indexes
    with pytest.raises(ConcurrencyError, match="stream case-1 is at version 20"):
        store.append("case-1", 3, [referral(n) for n in range(20)])
    assert count_events(store) == 20


def test_appending_never_scans_the_whole_log_even_with_plans_cached_on_an_empty_table(
    database_url: str, schema: str
) -> None:
    # Regression: the idempotency probe was planned as a hash join over a scan of `events`
    # while the table was empty; PL/pgSQL kept that plan, and every append read the whole log.
    with create_pool(database_url, max_size=1, name="one-backend") as pool:
        store = EventStore(pool, schema, "mk.intake", example_registry())
        store.append("first", ExpectedVersion.NO_STREAM, [opened()])  # plans cached now
        for n in range(20):
            store.append(f"bulk-{n}", ExpectedVersion.NO_STREAM, [referral(k) for k in range(100)])

        def sequential_scans() -> int:
            with pool.connection() as conn:
                conn.execute("SELECT pg_stat_force_next_flush()")
                conn.execute("SELECT 1")  # the flush happens at the end of a transaction
                conn.execute("SELECT pg_stat_clear_snapshot()")
                return conn.execute(
                    "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = %s::regclass",
                    (f"{schema}.events",),
                ).fetchone()[0]

        before = sequential_scans()
        for n in range(20):
            store.append(f"case-{n}", ExpectedVersion.NO_STREAM, [opened()])
            store.append(f"case-{n}", 1, [referral(), referral()])
        assert sequential_scans() == before
