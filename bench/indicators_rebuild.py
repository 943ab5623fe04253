"""Benchmark: rebuilding the indicators service's read models of the intake history from offset
0, for the demo data (five countries x five years) and for a synthetic history of `--events`
events (default 1,000,000; issue 6 target: <= 60 s for 1M events on 2 cores, 24 GB), and
computing the indicator values from them.

How: the local stack's PostgreSQL and Kafka (started if they are not running), a database and
topic prefix of the benchmark's own (dropped at the end). The intake log is filled (not timed)
with the demo cases, or with copies of them under fresh ids until the history holds `--events`
events, and published to Kafka as the relay would. Timed: the `intake_history` projection
(case events, each case's person record, submissions) from offset 0 until caught up, in events
per second; then the values of every country (demo) or of one country (synthetic) as the
worker computes them.

Run: `.venv/bin/python bench/indicators_rebuild.py [--events 1000000]`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from kafka import KafkaAdminClient  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from services.indicators.catalogue import SEED_PATH, load_catalogue  # noqa: E402
from services.indicators.computing import ValuesComputer, compute_country  # noqa: E402
from services.indicators.projections import IntakeHistory  # noqa: E402
from services.intake import demo  # noqa: E402
from services.intake.projections import case_stream  # noqa: E402
from services.registry import REGISTRY  # noqa: E402
from shared.backbone.envelope import NewEvent  # noqa: E402
from shared.backbone.projections import ProjectionRunner, prepare_generation  # noqa: E402
from shared.backbone.relay import Relay, ensure_topic  # noqa: E402
from shared.backbone.store import EventStore, ExpectedVersion, StreamWrite  # noqa: E402
from shared.db import create_pool, migrate, service_migrations  # noqa: E402
from shared.stack.stack import Stack, StackConfig  # noqa: E402

TODAY = date(2026, 11, 30)
COUNTRIES = list(demo.CASES_PER_YEAR)


def demo_cases() -> list[tuple[str, list[NewEvent]]]:
    return [(case_id, builder.events) for country in COUNTRIES for year in demo.YEARS
            for case_id, builder in demo.generate(country, year, TODAY)]  # fmt: skip


def copies(cases: list[tuple[str, list[NewEvent]]], wanted: int):
    """The demo cases again and again under fresh case, person and event ids."""
    made = 0
    while made < wanted:
        for case_id, events in cases:
            person = str(uuid.uuid4())
            country = case_id.split("-", 1)[0]
            fresh = [replace(e, event_id=uuid.uuid4(),
                             payload={**e.payload, "person_id": person}
                             if e.event_type == "intake.CaseOpened" else e.payload)
                     for e in events]  # fmt: skip
            yield f"{country}-{uuid.uuid4()}", fresh
            made += len(events)
            if made >= wanted:
                return


class Scratch:
    """A database and topic prefix of the benchmark's own, on the stack's servers."""

    def __init__(self, env: dict[str, str], label: str) -> None:
        self.env = env
        self.name = f"actnow_bench_{label}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = str(make_conninfo(env["DATABASE_URL"], dbname=self.name))
        for service in ("intake", "indicators"):
            migrate(self.url, service, service_migrations(service))
        self.prefix = f"{self.name}."
        self.topic = f"{self.prefix}mk.intake.events"
        self.pool = create_pool(self.url, 4, name="bench")

    def drop(self) -> None:
        self.pool.close()
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(self.name)))
        with KafkaAdminClient(bootstrap_servers=self.env["KAFKA_BOOTSTRAP"]) as admin:
            topics = [t for t in admin.list_topics() if t.startswith(self.prefix)]
            if topics:
                admin.delete_topics(topics)


def fill(scratch: Scratch, cases, with_submissions: bool) -> int:
    store = EventStore(scratch.pool, "intake", "mk.intake", REGISTRY)
    batch: list[StreamWrite] = []
    for case_id, events in cases:
        batch.append(StreamWrite(case_stream(case_id), ExpectedVersion.NO_STREAM, events))
        if len(batch) >= 500:
            store.append_many(batch)
            batch = []
    if batch:
        store.append_many(batch)
    if with_submissions:
        for country in COUNTRIES:
            for year in demo.YEARS:
                for stream, event in demo.submissions(country, year, 50, TODAY):
                    store.append(stream, ExpectedVersion.NO_STREAM, [event])
    relay = Relay(store, scratch.env["KAFKA_BOOTSTRAP"], topic=scratch.topic, batch_size=5000)
    ensure_topic(scratch.env["KAFKA_BOOTSTRAP"], scratch.topic, 3)
    after = 0
    while page := store.read_all(after=after, limit=5000):
        relay.publish(page)
        after = page[-1].log_index
    relay.close()
    return after


def rebuild(scratch: Scratch) -> tuple[int, float]:
    history = IntakeHistory(scratch.topic, "indicators")
    generation = prepare_generation(scratch.pool, "indicators", history)
    runner = ProjectionRunner(history, scratch.pool, "indicators", scratch.env["KAFKA_BOOTSTRAP"],
                              REGISTRY, generation=generation.number,
                              group_prefix=scratch.prefix)  # fmt: skip
    started = time.perf_counter()
    stats = runner.run(until_caught_up=True, timeout=3600)
    return stats.applied, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    stack = Stack(StackConfig.from_env())
    stack.postgres.start()
    stack.kafka.start()
    env = {"DATABASE_URL": stack.postgres.url(), "KAFKA_BOOTSTRAP": stack.kafka.bootstrap}
    catalogue = load_catalogue(SEED_PATH)
    cases = demo_cases()

    demo_run = Scratch(env, "demo")
    try:
        size = fill(demo_run, cases, with_submissions=True)
        applied, seconds = rebuild(demo_run)
        store = EventStore(demo_run.pool, "indicators", "mk.indicators", REGISTRY)
        computer = ValuesComputer(demo_run.pool, "indicators", store, catalogue, min_interval=0)
        started = time.perf_counter()
        for country in COUNTRIES:
            computer.compute(country, None, TODAY)
        values_seconds = time.perf_counter() - started
    finally:
        demo_run.drop()
    print(f"demo history ({len(cases)} cases, {size} events, 5 countries x 5 years):")
    print(f"  rebuild intake_history: {applied} events in {seconds:.1f} s"
          f" = {applied / seconds:,.0f} events/s")  # fmt: skip
    print(f"  values of all 5 countries (every year, indicator and one-way breakdown):"
          f" {values_seconds:.1f} s")  # fmt: skip

    synthetic = Scratch(env, "syn")
    try:
        started = time.perf_counter()
        size = fill(synthetic, copies(cases, args.events), with_submissions=False)
        filled = time.perf_counter() - started
        applied, seconds = rebuild(synthetic)
        computer = ValuesComputer(synthetic.pool, "indicators", EventStore(
            synthetic.pool, "indicators", "mk.indicators", REGISTRY), catalogue)  # fmt: skip
        records, _, _ = computer._inputs("ME")
        started = time.perf_counter()
        compute_country(catalogue, records, [], "ME", date(2024, 12, 31))
        me_seconds = time.perf_counter() - started
    finally:
        synthetic.drop()
    print(f"synthetic history ({size:,} events; filled and published in {filled:.0f} s,"
          " not timed):")  # fmt: skip
    print(f"  rebuild intake_history: {applied:,} events in {seconds:.1f} s"
          f" = {applied / seconds:,.0f} events/s  (target: 1M in <= 60 s)")  # fmt: skip
    print(f"  values of ME ({len(records):,} persons, every year up to 2024): {me_seconds:.1f} s")


if __name__ == "__main__":
    main()
