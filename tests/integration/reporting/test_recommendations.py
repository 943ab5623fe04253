"""Recommendations followed up across years on the real servers: a published report's
recommendations get identities, the next year's cycle lists them (and a GRETA one) for
follow-up, assessing and confirming them gives the country's implementation rate, the rate
reaches the hub's read model over the regional topic, and the next year's report shows the
follow-up table and still verifies. Country AL: the other reporting tests publish ME."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.indicators.events import REGIONAL_EVENTS
from services.indicators.followup import ImplementationRatesInbox, RatesForwarder
from services.indicators.worker import regional_topic
from services.registry import REGISTRY
from services.reporting.app import create_app
from services.reporting.projections import Recommendations, RegionalImplementationRates
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.projections import ProjectionRunner
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore
from shared.backbone.tamper import issue_checkpoint, publish_verifier
from shared.backbone.worker import start_worker, supervised
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings
from tests.integration.conftest import People, bearer, eventually, settings_for

EVIDENCE = [{"kind": "document", "title": "Labour inspectorate annual report 2025",
             "reference": "https://example.org/li-2025.pdf", "date": "2026-02-01"}]  # fmt: skip


@pytest.fixture(scope="module")
def signed_intake(intake: Flask, loaded: EventStore) -> CheckpointSigner:
    settings = intake.extensions["actnow.intake"].settings
    signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
    publish_verifier(loaded, signer.verifier.to_string())
    issue_checkpoint(loaded, signer)
    return signer


@pytest.fixture(scope="module")
def reporting(
    identity_settings: Settings, identity_url: str, intake_url: str,
    signed_intake: CheckpointSigner, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:  # fmt: skip
    """The reporting service with its worker: the recommendations read model and, as at the
    hub, the implementation rates read from the node's regional topic."""
    settings = settings_for(
        "reporting", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("reporting-state")), identity_settings.topic_prefix,
        jwks_url=f"{identity_url}/.well-known/jwks.json", countries=("AL",),
        service_urls=(("intake", intake_url),),
    )  # fmt: skip
    migrate(settings.database_url, "reporting", service_migrations("reporting"))
    app = create_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="recommendation-tests") as pool:
        projections = [Recommendations(settings.events_topic("reporting")),
                       RegionalImplementationRates([regional_topic(settings)])]  # fmt: skip
        threads = start_worker(settings, REGISTRY, pool, stop, projections)
        yield app
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()


@pytest.fixture(scope="module")
def indicators_relay(identity_settings: Settings, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[EventStore]:  # fmt: skip
    """The indicators worker's part in it: the rates inbox, the forwarder into the indicators
    log and the relay of that log's regional events to `<node>.regional`."""
    settings = settings_for(
        "indicators", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("indicators-state")), identity_settings.topic_prefix,
    )  # fmt: skip
    migrate(settings.database_url, "indicators", service_migrations("indicators"))
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="rates-forwarder-tests") as pool:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        inbox = ImplementationRatesInbox(settings.events_topic("reporting"))
        group = f"{settings.topic_prefix}actnow"
        runner = ProjectionRunner(inbox, pool, settings.schema, settings.kafka_bootstrap,
                                  REGISTRY, group_prefix=group)  # fmt: skip
        relay = Relay(store, settings.kafka_bootstrap, partitions=1,
                      topic=regional_topic(settings), event_types=REGIONAL_EVENTS)  # fmt: skip
        forwarder = RatesForwarder(pool, settings.schema, store, inbox)
        threads = [supervised("inbox", runner.run, stop),
                   supervised("forwarder", lambda s: forwarder.run(s, every=0.2), stop),
                   supervised("regional relay", relay.run, stop)]  # fmt: skip
        yield store
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def as_(people: People, name: str, role: str, scope: str = "AL") -> dict[str, str]:
    return bearer(people.token(name, (role, scope)))


def sign_own_log(reporting: Flask) -> None:
    """What the worker's signer does every few seconds (the tests sign once an hour)."""
    service = reporting.extensions["actnow.reporting"]
    settings = service.settings
    signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
    publish_verifier(service.store, signer.verifier.to_string())
    issue_checkpoint(service.store, signer)


def publish(api: FlaskClient, people: People, period: str, narrative: dict) -> dict:
    monitor, reviewer = as_(people, "al.monitor", "monitor"), as_(people, "al.reviewer",
                                                                      "reviewer")  # fmt: skip
    drafted = api.post("/api/v1/reports", headers=monitor, json={
        "kind": "national", "country": "AL", "period": period,
        "title": f"Albania: monitoring report {period}"})  # fmt: skip
    assert drafted.status_code == 201, drafted.json
    base = f"/api/v1/reports/{drafted.json['report_id']}"
    assert api.patch(f"{base}/narrative", headers=monitor, json=narrative).status_code == 200
    assert api.post(f"{base}/submission", headers=monitor).status_code == 200
    assert api.post(f"{base}/approval", headers=reviewer).status_code == 200
    sign_own_log(api.application)
    done = api.post(f"{base}/publication", headers=monitor)
    assert done.status_code == 200, done.json
    return done.json


@pytest.fixture(scope="module")
def first_report(reporting: Flask, people: People) -> dict:
    return publish(reporting.test_client(), people, "2024", {
        "summary": "Follow-up test.",
        "recommendations": [
            {"id": "R1", "text": "Train labour inspectors to identify victims.",
             "indicators": ["ID-01"], "addressees": ["State Labour Inspectorate"]},
            {"id": "R2", "text": "Appoint guardians within three days.",
             "indicators": ["CH-01"], "addressees": ["Ministry of Social Affairs"]}]})  # fmt: skip


@pytest.fixture(scope="module")
def greta(reporting: Flask, people: People, first_report: dict) -> dict:
    entered = reporting.test_client().post(
        "/api/v1/recommendations", headers=as_(people, "al.monitor", "monitor"),
        json={"country": "AL", "round": "3", "paragraph": "112", "year": 2023,
              "text": "Ensure that victims receive compensation.",
              "addressees": ["Ministry of Justice"], "indicators": ["CO-05"]})  # fmt: skip
    assert entered.status_code == 201, entered.json
    return entered.json


def due_in(reporting: Flask, people: People, year: int) -> list[dict]:
    answer = reporting.test_client().get(f"/api/v1/recommendations?country=AL&year={year}",
                                         headers=as_(people, "al.auditor", "auditor"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_published_reports_recommendations_are_listed_for_next_years_follow_up(
    reporting: Flask, people: People, first_report: dict, greta: dict
) -> None:
    report_id = first_report["report_id"]
    wanted = {f"{report_id}-R1", f"{report_id}-R2", greta["recommendation_id"]}

    def all_listed() -> dict | None:  # the read model lags the log by a moment
        found = {r["recommendation_id"]: r for r in due_in(reporting, people, 2025)}
        return found if wanted <= set(found) else None

    listed = eventually(all_listed)
    r1 = listed[f"{report_id}-R1"]
    assert r1["addressees"] == ["State Labour Inspectorate"] and r1["indicators"] == ["ID-01"]
    assert r1["status_in_year"] == "not_assessed" and r1["issued_year"] == 2024
    assert listed[greta["recommendation_id"]]["reference"] == "GRETA round 3, paragraph 112"
    assert not {r["recommendation_id"] for r in due_in(reporting, people, 2024)} & {
        f"{report_id}-R1"
    }  # not followed up in the year it was made
    other = reporting.test_client().get(
        "/api/v1/recommendations?country=AL", headers=as_(people, "mk.monitor", "monitor", "MK")
    )
    assert other.status_code == 200 and other.json == []  # out of scope: not listed


def test_assessing_and_confirming_gives_the_rate_and_it_reaches_the_hub(
    reporting: Flask, people: People, first_report: dict, greta: dict,
    indicators_relay: EventStore,
) -> None:  # fmt: skip
    api = reporting.test_client()
    monitor, reviewer = as_(people, "al.monitor", "monitor"), as_(people, "al.reviewer",
                                                                      "reviewer")  # fmt: skip
    report_id = first_report["report_id"]
    plan = {f"{report_id}-R1": "implemented", f"{report_id}-R2": "not_implemented",
            greta["recommendation_id"]: "partly_implemented"}  # fmt: skip
    for rid, status in plan.items():
        base = f"/api/v1/recommendations/{rid}/follow-ups/2025"
        no_evidence = api.put(base, headers=monitor, json={"status": status, "evidence": []})
        assert no_evidence.status_code == 422 and "evidence" in str(no_evidence.json)
        assessed = api.put(base, headers=monitor, json={"status": status, "evidence": EVIDENCE})
        assert assessed.status_code == 200, assessed.json
        own = api.post(f"{base}/confirmation", headers=as_(people, "al.monitor", "reviewer"),
                       json={})  # fmt: skip
        assert own.status_code == 403  # the assessor never confirms
        if rid == greta["recommendation_id"]:
            returned = api.post(f"{base}/return", headers=reviewer,
                                json={"comment": "Cite the court decisions."})  # fmt: skip
            assert returned.status_code == 200, returned.json
            assert api.put(base, headers=monitor, json={
                "status": status, "evidence": EVIDENCE, "note": "Two awards in 2025."}
            ).status_code == 200  # fmt: skip
        confirmed = api.post(f"{base}/confirmation", headers=reviewer, json={})
        assert confirmed.status_code == 200, confirmed.json
        assert confirmed.json["follow_ups"][-1]["state"] == "confirmed"
    history = api.get(f"/api/v1/recommendations/{greta['recommendation_id']}", headers=monitor)
    assert [s["action"] for s in history.json["history"]] == [
        "assessed",
        "returned",
        "assessed",
        "confirmed",
    ]
    rates = api.get("/api/v1/recommendations/rates?country=AL&year=2025", headers=reviewer).json
    assert rates["counts"] == {"implemented": 1, "partly_implemented": 1, "not_implemented": 1,
                               "no_longer_relevant": 0, "not_assessed": 0}  # fmt: skip
    assert rates["implementation_rate"] == pytest.approx(1 / 3, abs=1e-4)

    analyst = as_(people, "hub.analyst", "regional_analyst", "regional")

    def at_hub() -> dict | None:
        answer = api.get("/api/v1/regional/recommendations?year=2025", headers=analyst)
        rows = [c for c in answer.json["countries"] if c["country"] == "AL"]
        return rows[0] if rows and rows[0]["counts"] == rates["counts"] else None

    row = eventually(at_hub, timeout=60)
    assert row["total"] == 3 and row["implementation_rate"] == rates["implementation_rate"]
    assert (
        api.get(
            "/api/v1/regional/recommendations?year=2025",
            headers=as_(people, "al.monitor", "monitor"),
        ).status_code
        == 403
    )
    regional = [
        e
        for e in indicators_relay.read_all(after=0, limit=100000)
        if e.event_type == "indicators.ImplementationRatesPublished"
    ]
    assert regional and set(regional[-1].payload) == {
        "country",
        "year",
        "total",
        "counts",
        "implementation_rate",
        "source_log_index",
    }


def test_the_next_report_shows_the_follow_up_table_and_still_verifies(
    reporting: Flask, people: People, first_report: dict, greta: dict,
) -> None:  # fmt: skip
    api = reporting.test_client()
    report = publish(api, people, "2025", {"summary": "The next year."})
    base = f"/api/v1/reports/{report['report_id']}/versions/1"
    auditor = as_(people, "al.auditor", "auditor")
    document = orjson.loads(api.get(f"{base}/json", headers=auditor).data)
    statuses = {row["recommendation"]: row["status"] for row in document["follow_up"]}
    report_id = first_report["report_id"]
    assert statuses[f"{report_id}-R1"] == "implemented"
    assert statuses[greta["recommendation_id"]] == "partly_implemented"
    html = api.get(f"{base}/html", headers=auditor).data.decode()
    assert "Follow-up of earlier recommendations" in html and "State Labour Inspectorate" in html
    assert "mk.reporting" in {log["origin"] for log in document["basis"]["logs"]}
    verified = api.get(f"/api/v1/reports/{report['report_id']}/verification", headers=auditor)
    assert verified.json["ok"], verified.json["steps"]
    assert {"replay mk.reporting", "consistency mk.reporting"} <= {
        s["name"] for s in verified.json["steps"]
    }
    first = api.get(f"/api/v1/reports/{report_id}/verification", headers=auditor)
    assert first.json["ok"], first.json["steps"]
