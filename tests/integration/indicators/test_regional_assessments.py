"""Confirmed assessments at the hub, on the real servers: a score a reviewer confirms goes out
on the node's regional topic with nothing that names a person, and the hub's comparison of
that qualitative indicator shows it (the node is its own hub, as REGIONAL_SOURCES allows);
the hub keeps the newest publication of a country-year however often and in whatever order
MirrorMaker delivers them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from flask import Flask
from kafka import KafkaConsumer, TopicPartition
from psycopg import sql

from services.indicators.assessment_publication import AssessmentsPublisher, published_stream
from services.indicators.assessment_views import Assessments
from services.indicators.computing import ValuesComputer
from services.indicators.events import REGIONAL_ASSESSMENTS
from services.indicators.privacy import scan
from services.indicators.projections import RegionalAssessments
from services.indicators.worker import regional_topic
from services.registry import REGISTRY
from shared.backbone.envelope import Actor, RecordedEvent
from shared.backbone.store import EventStore
from shared.settings import Settings
from tests.integration.conftest import People, bearer, eventually
from tests.integration.indicators.conftest import CATALOGUE, TODAY

SOP = {"kind": "document", "title": "Report of the ombudsperson to Ana Berisha",
       "reference": "https://example.org/ombudsperson.pdf", "date": "2025-02-01"}  # fmt: skip
YEAR = 2025


def scored_and_confirmed(api: Any, people: People, code: str, body: dict[str, Any]) -> None:
    monitor = bearer(people.token("xk.monitor", ("monitor", "XK")))
    reviewer = bearer(people.token("xk.reviewer", ("reviewer", "XK")))
    path = f"/api/v1/assessments/XK/{YEAR}/{code}"
    scored = api.post(path, json=body, headers=monitor)
    assert scored.status_code == 200, scored.get_json()
    confirmed = api.post(f"{path}/confirm", json={"comment": "Agreed with Ana Berisha."},
                         headers=reviewer)  # fmt: skip
    assert confirmed.status_code == 200, confirmed.get_json()


def test_a_confirmed_score_reaches_the_hub_comparison_and_names_no_one(
    node: tuple[Flask, ValuesComputer], people: People
) -> None:
    app = node[0]
    api = app.test_client()
    settings = app.extensions["actnow.indicators"].settings
    store = EventStore(app.extensions["actnow.db"], settings.schema, settings.origin, REGISTRY)
    publisher = AssessmentsPublisher(
        app.extensions["actnow.db"],
        settings.schema,
        store,
        CATALOGUE,
        Assessments(settings.events_topic("indicators")),
    )
    scored_and_confirmed(api, people, "ID-07", {"score": 1, "evidence": [SOP],
                                                "rationale": "Only in Prishtina."})  # fmt: skip
    scored_and_confirmed(api, people, "CD-01", {"not_assessed_reason": "No data this year.",
                                                "evidence": [SOP]})  # fmt: skip

    def published() -> list[RecordedEvent]:
        publisher.run_once()
        events = store.read_stream(published_stream("XK", YEAR))
        return events if events and len(events[-1].payload["scores"]) == 2 else []

    last = eventually(published, timeout=60, every=0.5)[-1]
    assert [
        (s["code"], s["score"], s["not_assessed"], s["evidence_items"])
        for s in last.payload["scores"]
    ] == [("CD-01", None, True, 1), ("ID-07", 1, False, 1)]
    assert publisher.run_once() == 0  # nothing changed, nothing more to say

    analyst = bearer(people.token("hub.analyst", ("regional_analyst", "regional")))

    def compared(code: str) -> list[dict[str, Any]]:
        answer = api.get("/api/v1/regional/comparison",
                         query_string={"indicator": code, "period": str(YEAR)},
                         headers=analyst)  # fmt: skip
        assert answer.status_code == 200, answer.get_json()
        return [r for r in answer.json["countries"] if r["country"] == "XK"]

    [row] = eventually(lambda: compared("ID-07"), timeout=60, every=0.5)
    assert (row["value"], row["cell"], row["suppressed"], row["comparable"]) == (1, {}, False, True)
    assert row["assessment"] == {
        "score": 1,
        "not_assessed": False,
        "evidence_items": 1,
        "confirmed_on": last.payload["scores"][1]["confirmed_on"],
    }
    [row] = eventually(lambda: compared("CD-01"), timeout=60, every=0.5)
    assert (row["value"], row["assessment"]["not_assessed"]) == (None, True)

    def values() -> list[dict[str, Any]]:
        node[1].run_once(TODAY)  # the ME demo cases' values, once the intake history has them
        answer = api.get("/api/v1/regional/comparison?indicator=ID-01&period=2024",
                         headers=analyst)  # fmt: skip
        return answer.json["countries"]

    assert all(r["assessment"] is None for r in eventually(values, timeout=60, every=0.5))

    topic = regional_topic(settings)
    records = [(topic, offset, raw) for offset, raw in regional_records(settings)]
    mine = [orjson.loads(raw) for _, _, raw in records]
    mine = [r for r in mine if r["event_type"] == REGIONAL_ASSESSMENTS
            and r["payload"]["country"] == "XK"]  # fmt: skip
    assert mine and {r["actor"]["user"] for r in mine} == {"indicators"}
    assert scan(records, REGISTRY, 5, 11).findings == []
    text = orjson.dumps(mine).decode()
    assert not [word for word in ("xk.monitor", "xk.reviewer", "Ana", "Prishtina", "No data",
                                  "ombudsperson", "evidence\"") if word in text]  # fmt: skip


def regional_records(settings: Settings) -> list[tuple[int, bytes]]:
    """Every record on the node's regional topic now, by offset. The relay makes it with one
    partition, but a hub projection that subscribes first makes it with three: read them all."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                             enable_auto_commit=False)  # fmt: skip
    topic = regional_topic(settings)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    records: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + 60
    while any(consumer.position(p) < ends[p] for p in partitions) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=1000).values():
            records += [(r.offset, r.value) for r in batch]
    consumer.close()
    return records


def publication(version: int, score: int) -> RecordedEvent:
    payload = {"country": "BA", "year": 2023, "catalog_version": CATALOGUE.catalog_version,
               "content_hash": f"{version}" * 64,
               "scores": [{"code": "ID-06", "score": score, "not_assessed": False,
                           "evidence_items": 1, "confirmed_on": "2024-01-10"}],
               "profile_version": None, "profile": {"ID-06": "adopted"}}  # fmt: skip
    moment = datetime(2024, 1, 10, tzinfo=UTC)
    return RecordedEvent(
        event_id=uuid.uuid4(), event_type=REGIONAL_ASSESSMENTS, schema_version=1,
        stream_id=published_stream("BA", 2023), stream_version=version, origin="ba.indicators",
        log_index=version, occurred_at=moment, recorded_at=moment, actor=Actor("indicators"),
        correlation_id=None, causation_id=None, payload_bytes=orjson.dumps(payload),
        leaf_hash=b"",
    )  # fmt: skip


def test_the_hub_keeps_the_newest_publication_however_mirrormaker_delivers_them(
    node: tuple[Flask, ValuesComputer],
) -> None:
    settings = node[0].extensions["actnow.indicators"].settings
    view = RegionalAssessments(["ba.regional"])
    tables = {name: sql.Identifier(f"delivered_{name}") for name in view.tables}
    with psycopg.connect(settings.database_url) as conn:
        for name, columns in view.tables.items():
            conn.execute(sql.SQL("CREATE TEMP TABLE {} ").format(tables[name]) + sql.SQL(columns))
        first, second = publication(1, 0), publication(2, 2)
        # the second first, then a late copy of the first, then the second again
        for batch in ([second], [first], [second, first]):
            view.apply(conn, batch, tables)
        kept = conn.execute(
            sql.SQL("SELECT code, score, stream_version FROM {}")
            .format(tables["regional_assessments"])).fetchall()  # fmt: skip
        assert kept == [("ID-06", 2, 2)]
        view.apply(conn, [publication(3, 1)], tables)
        kept = conn.execute(
            sql.SQL("SELECT score FROM {}").format(tables["regional_assessments"])
        ).fetchall()
        assert kept == [(1,)]
