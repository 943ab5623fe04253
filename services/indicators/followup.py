"""The follow-up of recommendations on its way to the hub. The reporting service records each
country-year's counts per follow-up status (`reporting.ImplementationRatesPublished`); the
inbox keeps the latest of them from the reporting topic, and the forwarder copies each new one
into this service's log as `indicators.ImplementationRatesPublished`, which the regional relay
puts on `<node>.regional` — the one topic that leaves the country, written by one log only
(consumers drop a record whose log index they have passed, so two logs must not share it)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from threading import Event as StopFlag
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.indicators.events import RATES_RELAYED
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent
from shared.backbone.projections import Tables, query_read_model
from shared.backbone.store import EventStore, ExpectedVersion

log = logging.getLogger(__name__)
RATES = "reporting.ImplementationRatesPublished"


def relayed_stream(country: str, year: int) -> str:
    return f"implementation-rates-{country}-{year}"


class ImplementationRatesInbox:
    name = "implementation_rates_inbox"
    code_version = 1
    tables = {
        "implementation_rates_inbox": "(country text NOT NULL, year integer NOT NULL,"
        " payload jsonb NOT NULL, source_log_index bigint NOT NULL,"
        " PRIMARY KEY (country, year))",
    }

    def __init__(self, reporting_topic: str) -> None:
        self.topics = [reporting_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type != RATES:
                continue
            p = event.payload
            conn.execute(
                sql.SQL("INSERT INTO {} AS known VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (country, year) DO UPDATE SET payload = excluded.payload,"
                        " source_log_index = excluded.source_log_index"
                        " WHERE known.source_log_index < excluded.source_log_index")
                .format(tables["implementation_rates_inbox"]),
                (p["country"], p["year"], orjson.dumps(p).decode(), event.log_index),
            )  # fmt: skip


class RatesForwarder:
    """The worker task that copies what the inbox holds into this log, once per new rate."""

    def __init__(self, pool: ConnectionPool, schema: str, store: EventStore,
                 inbox: ImplementationRatesInbox) -> None:  # fmt: skip
        self.pool, self.schema, self.store, self.inbox = pool, schema, store, inbox
        self._sent: dict[tuple[str, int], int] = {}  # (country, year) -> source_log_index

    def run(self, stop: StopFlag, every: float = 2.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("forwarding implementation rates failed; trying again")
            stop.wait(every)

    def run_once(self) -> int:
        rows: list[dict[str, Any]] = query_read_model(
            self.pool, self.schema, self.inbox,
            "SELECT country, year, payload, source_log_index"
            " FROM {schema}.implementation_rates_inbox", ())  # fmt: skip
        sent = 0
        for row in rows:
            key, index = (row["country"], row["year"]), row["source_log_index"]
            if self._sent.get(key, 0) >= index or self._forwarded(key) >= index:
                self._sent[key] = max(self._sent.get(key, 0), index)
                continue
            event = NewEvent(RATES_RELAYED, {**row["payload"], "source_log_index": index},
                             actor=Actor(user="indicators"))  # fmt: skip
            self.store.append(relayed_stream(*key), ExpectedVersion.ANY, [event])
            self._sent[key] = index
            sent += 1
        return sent

    def _forwarded(self, key: tuple[str, int]) -> int:
        """The source log index this log last forwarded for the country-year (0: none)."""
        events = self.store.read_stream(relayed_stream(*key))
        return int(events[-1].payload["source_log_index"]) if events else 0
