"""The test servers are real: a PostgreSQL query and a Kafka round trip through kafka-python."""

from __future__ import annotations

import psycopg
from kafka import KafkaConsumer, KafkaProducer


def test_postgresql_answers_a_query_in_the_sessions_own_database(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        version, database = conn.execute("SELECT version(), current_database()").fetchone()
    assert version.startswith("PostgreSQL 15")
    assert database.startswith("actnow_test_")


def test_records_produced_with_an_idempotent_producer_come_back_to_a_consumer_group(
    kafka_bootstrap: str, topic: str
) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    for n in range(100):
        producer.send(
            topic,
            key=f"stream-{n % 7}".encode(),
            value=f"event {n}".encode(),
            headers=[("event_type", b"test.Happened")],
        )
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topic}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=10_000,
        consumer_timeout_ms=20_000,
    )
    try:
        received = []
        for record in consumer:
            received.append(record)
            if len(received) == 100:
                break
    finally:
        consumer.close()

    assert [r.value.decode() for r in received] == [f"event {n}" for n in range(100)]
    assert received[0].headers == [("event_type", b"test.Happened")]
