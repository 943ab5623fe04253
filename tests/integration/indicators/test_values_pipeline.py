"""From intake events to indicator values and the regional comparison, on the real servers:
the values the API serves equal an independent evaluation of the intake history, as-of views
are recomputed from history, a rebuild gives identical values, and what reaches the hub topic
carries nothing about a case."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from flask import Flask
from flask.testing import FlaskClient
from kafka import KafkaConsumer

from services.indicators.computing import ValuesComputer, cell_key, compute_country
from services.indicators.events import REGIONAL_EVENTS
from services.indicators.persons import person_from_case
from services.indicators.worker import regional_topic
from services.registry import REGISTRY
from shared.backbone.projections import ProjectionRunner, start_rebuild
from shared.backbone.store import EventStore
from tests.integration.conftest import People, bearer, eventually
from tests.integration.indicators.conftest import CATALOGUE, TODAY


def independent_values(store: EventStore, country: str, until: datetime | None = None) -> dict:
    """The values computed straight from the intake store, without any read model."""
    streams: dict[str, list] = {}
    submissions: dict[str, dict] = {}  # the latest version of each submission stream
    after = 0
    while page := store.read_all(after=after, limit=5000):
        for event in page:
            if until is not None and event.recorded_at > until:
                continue
            if event.stream_id.startswith(f"case-{country}-"):
                streams.setdefault(event.stream_id, []).append(event)
            elif event.event_type == "intake.AggregateSubmitted" and (
                event.payload["country"] == country
            ):
                submissions[event.stream_id] = {"period": event.payload["period"],
                                                 "figures": event.payload["figures"],
                                                 "recorded_at": event.recorded_at}  # fmt: skip
        after = page[-1].log_index
    records = [r for r in map(person_from_case, streams.values()) if r is not None]
    computed = compute_country(CATALOGUE, records, list(submissions.values()), country, TODAY)
    return {(p.period, v.indicator, cell_key(v.cell)): v.value for p in computed
            for v in p.national}  # fmt: skip


def served(api: FlaskClient, people: People, **params: str) -> dict:
    headers = bearer(people.token("me.monitor", ("monitor", "ME")))
    answer = api.get("/api/v1/values", query_string={"country": "ME", **params}, headers=headers)
    assert answer.status_code == 200, answer.json
    return {(v["period"], v["indicator"], cell_key(list(v["cell"].items()))): v["value"]
            for v in answer.json["values"]}  # fmt: skip


def computed_when_caught_up(computer: ValuesComputer, loaded: EventStore) -> None:
    size = loaded.head().size

    def caught_up() -> bool:
        computer.run_once(TODAY)
        with computer.pool.connection() as conn:
            row = conn.execute("SELECT max(intake_log_size) FROM indicators.indicator_values"
                               " WHERE country = 'ME'").fetchone()  # fmt: skip
        return bool(row and row[0] and row[0] >= size - 50)

    eventually(caught_up, timeout=60, every=0.5)


def test_the_served_values_equal_an_evaluation_of_the_intake_history(
    node: tuple[Flask, ValuesComputer], loaded: EventStore, people: People
) -> None:
    app, computer = node
    computed_when_caught_up(computer, loaded)
    expected = independent_values(loaded, "ME")
    got = served(app.test_client(), people)
    assert got == expected
    assert got[("2023", "ID-01", "")] and got[("2024", "ID-01", "")]  # there is something


def test_a_view_as_of_a_past_date_is_recomputed_from_the_history_recorded_by_then(
    node: tuple[Flask, ValuesComputer], loaded: EventStore, people: People
) -> None:
    app, computer = node
    computed_when_caught_up(computer, loaded)
    first = loaded.read_all(after=0, limit=1)[0].recorded_at
    as_of = served(app.test_client(), people, as_of=first.date().isoformat())
    until = datetime.combine(first.date(), datetime.max.time(), tzinfo=UTC)
    assert as_of == independent_values(loaded, "ME", until)


def test_values_need_a_national_role_of_the_country(
    node: tuple[Flask, ValuesComputer], people: People
) -> None:
    api = node[0].test_client()
    other = bearer(people.token("mk.monitor", ("monitor", "MK")))
    assert api.get("/api/v1/values?country=ME", headers=other).status_code == 403
    worker = bearer(people.token("me.worker", ("case_worker", "ME")))
    assert api.get("/api/v1/values?country=ME", headers=worker).status_code == 403


def test_rebuilding_the_history_from_offset_zero_gives_identical_values(
    node: tuple[Flask, ValuesComputer], loaded: EventStore, people: People
) -> None:
    app, computer = node
    computed_when_caught_up(computer, loaded)
    before = served(app.test_client(), people)
    settings = app.extensions["actnow.indicators"].settings
    history = app.extensions["actnow.indicators"].history
    generation = start_rebuild(computer.pool, settings.schema, history)
    runner = ProjectionRunner(history, computer.pool, settings.schema, settings.kafka_bootstrap,
                              REGISTRY, generation=generation.number,
                              group_prefix=f"{settings.topic_prefix}rebuild")  # fmt: skip
    runner.run(until_caught_up=True, timeout=120)
    computer.compute("ME", None, TODAY)
    assert served(app.test_client(), people) == before


def test_the_region_gets_suppressed_values_and_nothing_about_a_case(
    node: tuple[Flask, ValuesComputer], loaded: EventStore, people: People
) -> None:
    app, computer = node
    computed_when_caught_up(computer, loaded)
    analyst = bearer(people.token("hub.analyst", ("regional_analyst", "regional")))
    api = app.test_client()

    def compared() -> list:
        answer = api.get("/api/v1/regional/comparison?indicator=ID-01&period=2024&by=sex",
                         headers=analyst)  # fmt: skip
        return answer.json["countries"] if answer.status_code == 200 else []

    rows = eventually(compared, timeout=30)
    assert "ME" in {r["country"] for r in rows}  # other tests may have recorded other countries
    assert all(r["suppressed"] or (r["numerator"] or 0) in (0,) or r["numerator"] >= 5
               for r in rows)  # fmt: skip
    national = bearer(people.token("me.monitor", ("monitor", "ME")))
    assert api.get("/api/v1/regional/comparison?indicator=ID-01&period=2024",
                   headers=national).status_code == 403  # fmt: skip
    settings = app.extensions["actnow.indicators"].settings
    consumer = KafkaConsumer(regional_topic(settings), bootstrap_servers=settings.kafka_bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)  # fmt: skip
    records = [orjson.loads(r.value) for r in consumer]
    consumer.close()
    assert records
    case_level = ("person_id", "prs_", "vic_", "case_id", "ext_", "identifiers", "sealed")
    for record in records:
        text = orjson.dumps(record["payload"]).decode()
        assert record["event_type"] in REGIONAL_EVENTS
        assert not any(marker in text for marker in case_level), text[:200]


def test_an_indicator_a_profile_adapts_non_comparably_is_marked_at_the_hub(
    node: tuple[Flask, ValuesComputer], loaded: EventStore, people: People
) -> None:
    app, computer = node
    api = app.test_client()
    admin = bearer(people.token("me.admin", ("national_admin", "ME")))
    base = f"/api/v1/profiles/ME/{CATALOGUE.catalog_version}"
    changed = api.put(f"{base}/indicators/ID-02", headers=admin, json={
        "status": "adapted_noncomparable",
        "difference": "Counts victims identified by the NGO team as well."})  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert api.post(f"{base}/confirm", headers=admin).status_code == 200
    computer.compute("ME", None, TODAY)
    analyst = bearer(people.token("hub.analyst", ("regional_analyst", "regional")))

    def marked(code: str) -> list:
        answer = api.get(f"/api/v1/regional/comparison?indicator={code}&period=2024",
                         headers=analyst)  # fmt: skip
        return [r for r in answer.json["countries"] if r["country"] == "ME" and not r["cell"]]

    row = eventually(lambda: [r for r in marked("ID-02")
                              if r["profile_status"] == "adapted_noncomparable"])[0]  # fmt: skip
    assert row["comparable"] is False
    assert marked("ID-01")[0]["comparable"] is True
