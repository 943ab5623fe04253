"""The relay and projections on a real broker: nothing lost, nothing applied twice, poison
records dead-lettered, and a rebuilt projection equal to the live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from psycopg import sql

from shared.backbone.envelope import NewEvent
from shared.backbone.projections import ProjectionRunner, start_rebuild
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore, ExpectedVersion, StreamWrite

from .conftest import example_registry
from .example_projection import CaseSummary

HERE = Path(__file__).parent


@pytest.fixture
def events_topic() -> str:
    return f"test.{uuid.uuid4().hex[:10]}.events"


def referral(n: int, org: str = "shelter") -> NewEvent:
    return NewEvent("intake.ReferralMade", {"to_organisation": org, "days_after_identification": n})


def append_cases(store: EventStore, cases: int, per_case: int, prefix: str = "case") -> None:
    writes = [
        StreamWrite(f"{prefix}-{c}", ExpectedVersion.ANY, [referral(n) for n in range(per_case)])
        for c in range(cases)
    ]
    for start in range(0, len(writes), 10):
        store.append_many(writes[start : start + 10])


def relay_all(store: EventStore, bootstrap: str, topic: str) -> None:
    relay = Relay(store, bootstrap, topic=topic)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop, 0.1))
    thread.start()
    deadline = time.monotonic() + 60
    while relay.position() < store.head().size and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert relay.position() == store.head().size


def read_topic(bootstrap: str, topic: str) -> list:
    """Every record of the topic (the iteration ends after two quiet seconds)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=2000)  # fmt: skip
    try:
        return list(consumer)
    finally:
        consumer.close()


def log_index(record) -> int:
    return int(record.value.split(b'"log_index":')[1].split(b",")[0])


def runner(store: EventStore, bootstrap: str, topic: str, **options) -> ProjectionRunner:
    return ProjectionRunner(CaseSummary([topic]), store.pool, store.schema, bootstrap,
                            example_registry(), **options)  # fmt: skip


def table(store: EventStore, name: str) -> list[tuple]:
    with store.pool.connection() as conn:
        query = sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(store.schema, name))
        return conn.execute(query).fetchall()


def test_the_relay_publishes_every_event_in_log_order_with_its_headers(
    store: EventStore, kafka_bootstrap: str, events_topic: str
) -> None:
    append_cases(store, cases=5, per_case=4)
    relay_all(store, kafka_bootstrap, events_topic)
    records = read_topic(kafka_bootstrap, events_topic)
    assert sorted(log_index(r) for r in records) == list(range(1, 21))
    headers = dict(records[0].headers)
    assert headers["event_type"] == b"intake.ReferralMade" and headers["schema_version"] == b"1"
    # one stream's events share a partition, so their order is kept
    assert len({r.partition for r in records if r.key == b"case-1"}) == 1


def test_a_relay_killed_mid_stream_loses_nothing_and_the_projection_counts_each_event_once(
    store: EventStore, kafka_bootstrap: str, events_topic: str, database_url: str
) -> None:
    command = [sys.executable, str(HERE / "relay_process.py"), database_url, store.schema,
               store.origin, kafka_bootstrap, events_topic]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[2])}
    relay = subprocess.Popen(command, env=env)
    try:
        append_cases(store, cases=50, per_case=60, prefix="first")  # 3,000 events
        position = Relay(store, kafka_bootstrap, topic=events_topic).position
        deadline = time.monotonic() + 30
        while position() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
        killed_at = position()
        append_cases(store, cases=100, per_case=70, prefix="second")  # 7,000 more
        assert 0 < killed_at < 10_000
        relay = subprocess.Popen(command, env=env)
        deadline = time.monotonic() + 60
        while position() < 10_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert position() == 10_000
    finally:
        relay.kill()
        relay.wait(10)

    records = read_topic(kafka_bootstrap, events_topic)
    assert {log_index(r) for r in records} == set(range(1, 10_001))

    stats = runner(store, kafka_bootstrap, events_topic).run(until_caught_up=True, timeout=120)
    assert stats.applied == 10_000
    assert stats.duplicates == len(records) - 10_000
    summary = table(store, "case_summary")
    assert sum(row[1] for row in summary) == 10_000
    assert {row[0]: row[1] for row in summary}["second-7"] == 70
    assert table(store, "referral_totals")[0][1] == 10_000


def test_redelivered_records_are_a_no_op(
    store: EventStore, kafka_bootstrap: str, events_topic: str
) -> None:
    append_cases(store, cases=4, per_case=5)
    relay_all(store, kafka_bootstrap, events_topic)
    Relay(store, kafka_bootstrap, topic=events_topic).publish(store.read_all(after=0, limit=100))
    first = runner(store, kafka_bootstrap, events_topic).run(until_caught_up=True, timeout=60)
    assert (first.applied, first.duplicates) == (20, 20)
    before = table(store, "case_summary")
    # the same generation again, from positions stored with the read model
    again = runner(store, kafka_bootstrap, events_topic, group_prefix="other").run(
        until_caught_up=True, timeout=60
    )
    assert again.applied == 0
    assert table(store, "case_summary") == before


def test_poison_records_go_to_the_dead_letter_topic_and_the_projection_carries_on(
    store: EventStore, kafka_bootstrap: str, events_topic: str
) -> None:
    append_cases(store, cases=2, per_case=3)
    relay_all(store, kafka_bootstrap, events_topic)
    good = store.read_all(after=0, limit=1)[0]
    unknown = good.to_json().replace(b"intake.ReferralMade", b"intake.ReferralTeleported")
    invalid = good.to_json().replace(b'"to_organisation":"shelter"', b'"to_organisation":7')
    altered = good.to_json().replace(
        b'"days_after_identification":0', b'"days_after_identification":9'
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for value in (b"\x00not json", b'{"event_id": 1}', unknown, invalid, altered):
        producer.send(events_topic, key=b"case-0", value=value)
    producer.flush()
    producer.close()
    append_cases(store, cases=1, per_case=2, prefix="after")
    relay_all(store, kafka_bootstrap, events_topic)

    stats = runner(store, kafka_bootstrap, events_topic).run(until_caught_up=True, timeout=60)
    assert stats.applied == 8 and stats.dead_letters == 5
    letters = read_topic(kafka_bootstrap, f"{events_topic}.deadletter")
    reasons = sorted(dict(r.headers)["reason"].decode() for r in letters)
    assert reasons == ["invalid_payload", "leaf_hash_mismatch", "undecodable", "undecodable",
                       "unknown_event_type"]  # fmt: skip
    assert dict(letters[0].headers)["source"].startswith(events_topic.encode())
    assert {row[0]: row[1] for row in table(store, "case_summary")}["after-0"] == 2


def test_a_rebuilt_projection_equals_the_live_one_table_for_table_and_takes_over(
    store: EventStore, kafka_bootstrap: str, events_topic: str
) -> None:
    append_cases(store, cases=30, per_case=7)
    relay_all(store, kafka_bootstrap, events_topic)
    live = runner(store, kafka_bootstrap, events_topic)
    live.run(until_caught_up=True, timeout=60)
    assert live.generation.number == 1
    generation = start_rebuild(store.pool, store.schema, CaseSummary([events_topic]))
    assert generation.number == 2
    # the views still show generation 1 while generation 2 is being built
    rebuilt = runner(store, kafka_bootstrap, events_topic, generation=2, per_event=True)
    assert table(store, "case_summary") == table(store, "case_summary_g1")
    rebuilt.run(until_caught_up=True, timeout=60)
    for name in ("case_summary", "referral_totals"):
        assert table(store, f"{name}_g2") == table(store, f"{name}_g1")
        assert table(store, f"{name}_g2")
    with store.pool.connection() as conn:
        states = conn.execute(
            sql.SQL("SELECT generation, state FROM {}.projection_generations ORDER BY 1").format(
                sql.Identifier(store.schema)
            )
        ).fetchall()
        view = conn.execute(
            "SELECT definition FROM pg_views WHERE schemaname = %s AND viewname = 'case_summary'",
            (store.schema,),
        ).fetchone()[0]
    assert states == [(1, "retired"), (2, "live")]
    assert "case_summary_g2" in view
