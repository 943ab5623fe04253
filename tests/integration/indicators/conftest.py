"""An indicators node on the real servers, fed with two years of ME demo cases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from services.indicators.app import create_app, regional_topics
from services.indicators.assessment_views import Assessments
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.computing import ValuesComputer
from services.indicators.events import REGIONAL_EVENTS
from services.indicators.projections import IntakeHistory, RegionalAssessments, RegionalValues
from services.indicators.regional_checkpoints import RegionalCheckpoints
from services.indicators.worker import regional_topic
from services.registry import REGISTRY
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings
from tests.integration.conftest import settings_for

TODAY = date(2026, 11, 30)
CATALOGUE = load_catalogue(SEED_PATH)


@pytest.fixture(scope="session")
def node(
    identity_settings: Settings, identity_url: str, loaded: EventStore,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Flask, ValuesComputer]]:  # fmt: skip
    settings = settings_for(
        "indicators", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("indicators-state")), identity_settings.topic_prefix,
        jwks_url=f"{identity_url}/.well-known/jwks.json", regional_sources=("mk",),
    )  # fmt: skip
    migrate(settings.database_url, "indicators", service_migrations("indicators"))
    app = create_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 6, name="indicators-worker-tests") as pool:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        projections = [IntakeHistory(settings.events_topic("intake"), settings.schema),
                       Assessments(settings.events_topic("indicators")),
                       RegionalValues(regional_topics(settings), 5, 11),
                       RegionalAssessments(regional_topics(settings))]  # fmt: skip
        relay = Relay(store, settings.kafka_bootstrap, partitions=1,
                      topic=regional_topic(settings), event_types=REGIONAL_EVENTS)  # fmt: skip
        tasks = {"regional relay": relay.run,
                 "regional checkpoints": RegionalCheckpoints(store).run}  # fmt: skip
        threads = start_worker(settings, REGISTRY, pool, stop, projections, tasks)
        computer = ValuesComputer(
            pool, settings.schema, store, CATALOGUE, min_interval=0, max_share=1
        )
        yield app, computer
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()
