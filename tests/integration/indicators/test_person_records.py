"""The person records the intake history read model keeps: built event by event (most events
only add a fact to the stored record, without folding the case's history again) they are the
records folded from each case's whole history — whatever the batches the events arrive in,
and when a batch is delivered again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace

import orjson
import psycopg
import pytest
from psycopg import sql

from services.indicators import projections
from services.indicators.projections import IntakeHistory
from services.intake import codes
from services.intake.cases import PERSONS_LINKED, SERVICE
from services.intake.events import CASE_CORRECTED
from services.intake.projections import CASE_STREAM_PREFIX
from shared.backbone.envelope import RecordedEvent
from shared.backbone.store import EventStore
from shared.db import migrate, service_migrations


def case_events(store: EventStore) -> list[RecordedEvent]:
    """The demo's case events, and after them, on two cases with services: a correction of a
    service and a link between the two persons, each followed by one more service."""
    found, after = [], 0
    while page := store.read_all(after=after, limit=5000):
        found += [e for e in page if e.stream_id.startswith(CASE_STREAM_PREFIX)]
        after = page[-1].log_index
    streams: dict[str, list[RecordedEvent]] = {}
    for event in found:
        streams.setdefault(event.stream_id, []).append(event)
    served = [s for s in streams.values() if any(e.event_type == SERVICE for e in s)][:2]
    first, second = served
    service = next(e for e in first if e.event_type == SERVICE)
    index = found[-1].log_index
    for stream, payload_type, payload in (
        (first, CASE_CORRECTED, {
            "superseded_event_ids": [str(service.event_id)], "corrected_event_type": SERVICE,
            "corrected_fields": {"provider_type": service.payload["provider_type"]},
            "reason": codes.CORRECTION_REASON[0]}),
        (second, PERSONS_LINKED, {
            "date": "2024-05-01", "basis": codes.LINK_BASIS[0],
            "linked_person_ids": [first[0].payload["person_id"]]}),
    ):  # fmt: skip
        for kind, body in ((payload_type, payload), (SERVICE, service.payload)):
            index += 1
            stream.append(replace(stream[-1], event_id=uuid.uuid4(), event_type=kind,
                                  stream_version=stream[-1].stream_version + 1, log_index=index,
                                  payload_bytes=orjson.dumps(body)))  # fmt: skip
            found.append(stream[-1])
    return found


@pytest.fixture
def empty_view(database_url: str) -> Iterator[tuple[psycopg.Connection, IntakeHistory, dict]]:
    migrate(database_url, "indicators", service_migrations("indicators"))  # pending_countries
    view = IntakeHistory("unused", "indicators")
    with psycopg.connect(database_url) as conn:
        tables = {name: sql.Identifier(f"records_{name}") for name in view.tables}
        for name, columns in view.tables.items():
            conn.execute(sql.SQL("CREATE TEMP TABLE {} ").format(tables[name]) + sql.SQL(columns))
        yield conn, view, tables
        conn.rollback()


def records(conn: psycopg.Connection, tables: dict) -> dict[str, tuple]:
    rows = conn.execute(sql.SQL("SELECT case_id, record, version FROM {}")
                        .format(tables["person_records"])).fetchall()  # fmt: skip
    return {case_id: (record, version) for case_id, record, version in rows}


def applied(view: IntakeHistory, conn: psycopg.Connection, tables: dict,
            batches: Sequence[Sequence[RecordedEvent]]) -> dict[str, tuple]:  # fmt: skip
    conn.execute(sql.SQL("TRUNCATE {}, {}").format(tables["person_records"],
                                                    tables["case_events"]))  # fmt: skip
    for batch in batches:
        with conn.pipeline():  # as the projection runner applies a batch
            view.apply(conn, batch, tables)
    return records(conn, tables)


def test_records_built_event_by_event_are_the_records_folded_from_whole_histories(
    empty_view: tuple[psycopg.Connection, IntakeHistory, dict], loaded: EventStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    conn, view, tables = empty_view
    events = case_events(loaded)
    folded = applied(view, conn, tables, [events])  # every case's whole history at once
    assert len(folded) > 20
    kinds = {e.event_type for e in events}
    assert {"intake.ServiceDelivered", "intake.CaseCorrected", "intake.PersonsLinked"} <= kinds
    refolds = []
    original = projections._stored
    monkeypatch.setattr(projections, "_stored", lambda *a: refolds.append(1) or original(*a))
    assert applied(view, conn, tables, [[e] for e in events]) == folded
    later = [e for e in events if e.stream_version > 1]
    assert 0 < len(refolds) < len(later) / 2  # most events only added a fact
    assert applied(view, conn, tables, [events[i:i + 7] for i in range(0, len(events), 7)]
                   ) == folded  # fmt: skip


def test_a_batch_delivered_again_changes_no_record(
    empty_view: tuple[psycopg.Connection, IntakeHistory, dict], loaded: EventStore
) -> None:
    conn, view, tables = empty_view
    events = case_events(loaded)
    folded = applied(view, conn, tables, [events])
    half = len(events) // 2
    again = applied(view, conn, tables, [events[:half], events[half - 40:half],
                                         events[half - 40:], events[half:]])  # fmt: skip
    assert again == folded
