"""A whole national node for the access matrix: identity, intake, indicators and reporting built
in-process on a database and Kafka topics of their own (so the matrix's writes and revocations
reach no other test), each with its worker, so that a deactivation reaches every service the
way it does in production."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from services.identity.app import create_app as create_identity
from services.identity.bootstrap import Operator
from services.identity.credentials import Credentials
from services.identity.projections import Directory
from services.indicators.app import create_app as create_indicators
from services.indicators.assessment_views import Assessments, NationalProfiles
from services.indicators.cycle_views import Institutions, MonitoringCycles
from services.intake.app import create_app as create_intake
from services.intake.projections import CaseViews, SubmissionViews
from services.registry import REGISTRY
from services.reporting.app import create_app as create_reporting
from services.reporting.projections import Recommendations
from shared.backbone.projections import Projection
from shared.backbone.relay import ensure_topic
from shared.backbone.store import EventStore
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings
from tests.conftest import fresh_database
from tests.integration.conftest import People, settings_for

SERVICES = ("intake", "indicators", "reporting")


@dataclass
class Node:
    identity: Flask
    apps: dict[str, Flask]  # the services under test, by name
    people: People
    shared: dict[str, Any] = field(default_factory=dict)  # resources every test may read


def _serve(app: Flask, stack: ExitStack) -> str:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack.callback(server.shutdown)
    return f"http://127.0.0.1:{server.server_port}"


def _run_worker(settings: Settings, projections: list[Projection], stack: ExitStack) -> None:
    stop = threading.Event()
    pool = create_pool(settings.database_url, 4, name=f"access-{settings.service}-worker")
    threads = start_worker(settings, REGISTRY, pool, stop, projections)

    def finish() -> None:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        pool.close()

    stack.callback(finish)


def _build(service: str, settings: Settings, stack: ExitStack) -> Flask:
    migrate(settings.database_url, service, service_migrations(service))
    make = {"identity": create_identity, "intake": create_intake,
            "indicators": create_indicators, "reporting": create_reporting}[service]  # fmt: skip
    app = make(settings)
    stack.callback(app.extensions["actnow.db"].close)
    topic = settings.events_topic(service)
    # the read models the lists serve (and the institutions a cycle's requests can go to)
    institutions = Institutions(settings.events_topic("identity"))
    projections: dict[str, list[Projection]] = {
        "identity": [Directory(topic)], "intake": [CaseViews(topic), SubmissionViews(topic)],
        "indicators": [NationalProfiles(topic), Assessments(topic), MonitoringCycles(topic),
                       institutions],
        "reporting": [Recommendations(topic)],
    }  # fmt: skip
    _run_worker(settings, projections[service], stack)
    return app


@pytest.fixture(scope="package")
def node(
    postgres_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Node]:
    prefix = f"acc{uuid.uuid4().hex[:8]}."
    with fresh_database(postgres_url, "actnow_access") as database_url, ExitStack() as stack:

        def settings(service: str, **extra: object) -> Settings:
            state = Path(tmp_path_factory.mktemp(f"access-{service}"))
            return settings_for(service, database_url, kafka_bootstrap, state, prefix, **extra)

        identity_settings = settings("identity")
        for service in ("identity", *SERVICES):  # before any consumer subscribes to it
            topic = identity_settings.events_topic(service)
            ensure_topic(kafka_bootstrap, topic, identity_settings.kafka_partitions)
        identity = _build("identity", identity_settings, stack)
        jwks = f"{_serve(identity, stack)}/.well-known/jwks.json"
        intake = _build("intake", settings("intake", jwks_url=jwks, countries=("MK", "RS")), stack)
        indicators = _build("indicators", settings("indicators", jwks_url=jwks), stack)
        reporting = _build("reporting", settings(  # its own hub, as the local stack's node is
            "reporting", jwks_url=jwks, countries=("MK",), regional_sources=("mk",),
            service_urls=(("intake", _serve(intake, stack)),)), stack)  # fmt: skip
        pool = identity.extensions["actnow.db"]
        operator = Operator(EventStore(pool, "identity", identity_settings.origin, REGISTRY),
                            Credentials(pool, "identity"))  # fmt: skip
        people = People(operator, identity.extensions["actnow.key_ring"])
        apps = {"intake": intake, "indicators": indicators, "reporting": reporting}
        yield Node(identity, apps, people)
