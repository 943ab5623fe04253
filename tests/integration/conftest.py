"""The identity service on the real servers: its schema in this session's database, its worker
(relay, read models, revocations) in threads on Kafka topics of this session's own, an operator
to set people up, and tokens for any grant."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg_pool import ConnectionPool
from werkzeug.serving import make_server

from services.identity.app import create_app
from services.identity.bootstrap import Operator
from services.identity.credentials import Credentials
from services.identity.directory import Organisation
from services.identity.projections import Directory
from services.identity.signing_keys import KeyRing
from services.intake import demo
from services.intake.app import create_app as create_intake_app
from services.intake.projections import CaseViews, SubmissionViews, case_stream
from services.registry import REGISTRY
from shared.auth import Grant
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings

DEMO_DAY = date(2026, 11, 30)
PASSWORD = "correct horse battery staple"


def settings_for(service: str, database_url: str, kafka: str, state: Path, prefix: str,
                 **extra: Any) -> Settings:  # fmt: skip
    return Settings(service=service, node="mk", database_url=database_url, kafka_bootstrap=kafka,
                    state_dir=state, topic_prefix=prefix, checkpoint_interval=3600.0,
                    checkpoint_key_file=state / "keys" / f"{service}.key", **extra)  # fmt: skip


@pytest.fixture(scope="session")
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture(scope="session")
def identity_settings(
    database_url: str, kafka_bootstrap: str, topic_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:  # fmt: skip
    migrate(database_url, "identity", service_migrations("identity"))
    state = tmp_path_factory.mktemp("identity-state")
    return settings_for("identity", database_url, kafka_bootstrap, state, topic_prefix)


@pytest.fixture(scope="session")
def identity_app(identity_settings: Settings) -> Iterator[Flask]:
    app = create_app(identity_settings)
    yield app
    app.extensions["actnow.db"].close()


@pytest.fixture(scope="session")
def identity_pool(identity_settings: Settings) -> Iterator[ConnectionPool]:
    with create_pool(identity_settings.database_url, 6, name="identity-tests") as pool:
        yield pool


@pytest.fixture(scope="session")
def identity_worker(identity_settings: Settings, identity_pool: ConnectionPool) -> Iterator[None]:
    """The identity worker's relay and projections, running for the whole session."""
    stop = threading.Event()
    projections = [Directory(identity_settings.events_topic("identity"))]
    threads = start_worker(identity_settings, REGISTRY, identity_pool, stop, projections)
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def operator(identity_settings: Settings, identity_pool: ConnectionPool) -> Operator:
    store = EventStore(identity_pool, "identity", identity_settings.origin, REGISTRY)
    return Operator(store, Credentials(identity_pool, "identity"))


@pytest.fixture(scope="session")
def key_ring(identity_app: Flask) -> KeyRing:
    return identity_app.extensions["actnow.key_ring"]


@dataclass
class People:
    """Makes organisations and users with unique names, and tokens for them."""

    operator: Operator
    key_ring: KeyRing

    def organisation(self, country: str = "MK", type_: str = "cso") -> Organisation:
        return self.operator.organisation(f"Org {uuid.uuid4().hex[:8]}", country, type_)

    def user(self, role: str = "case_worker", scope: str = "MK", country: str | None = None,
             password: str = PASSWORD) -> str:  # fmt: skip
        organisation = self.organisation(country or (scope if scope != "regional" else "RS"))
        username = f"u{uuid.uuid4().hex[:10]}"
        self.operator.add_user(organisation, username, f"User {username}", password,
                               [Grant(role, scope)])  # fmt: skip
        return username

    def token(self, username: str, *grants: tuple[str, str], **claims: Any) -> str:
        """A token as the identity service would sign it, for any grants."""
        return self.key_ring.sign({"sub": username, "org": "", "csrf": "c",
                                   "grants": [{"role": r, "scope": s} for r, s in grants],
                                   **claims})  # fmt: skip


@pytest.fixture(scope="session")
def people(operator: Operator, key_ring: KeyRing) -> People:
    return People(operator, key_ring)


@pytest.fixture
def client(identity_app: Flask) -> FlaskClient:
    """A browser-like client over HTTPS (session cookies are Secure), from an address of its own
    so that per-address throttling in one test does not reach another."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    client = identity_app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "wsgi.url_scheme": "https"})
    return client


@pytest.fixture(scope="session")
def identity_url(identity_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, identity_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def intake(
    identity_settings: Settings, identity_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The intake service and its worker, trusting the identity service above."""
    settings = settings_for(
        "intake", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("intake-state")), identity_settings.topic_prefix,
        jwks_url=f"{identity_url}/.well-known/jwks.json", countries=("MK", "RS", "AL"),
    )  # fmt: skip
    migrate(settings.database_url, "intake", service_migrations("intake"))
    app = create_intake_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="intake-worker-tests") as pool:
        topic = settings.events_topic("intake")
        projections = [CaseViews(topic), SubmissionViews(topic)]
        threads = start_worker(settings, REGISTRY, pool, stop, projections)
        yield app
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()


@pytest.fixture(scope="session")
def loaded(intake: Flask) -> EventStore:
    """Two years of ME demo cases and submissions in the intake log."""
    store = intake.extensions["actnow.intake"].store
    for year in (2023, 2024):
        for case_id, builder in demo.generate("ME", year, DEMO_DAY):
            store.append(case_stream(case_id), ExpectedVersion.ANY, builder.events)
        for stream, event in demo.submissions("ME", year, 10, DEMO_DAY):
            store.append(stream, ExpectedVersion.ANY, [event])
    return store


@pytest.fixture(scope="session")
def intake_url(intake: Flask) -> Iterator[str]:
    """The intake service on loopback, for services that call it (reporting pins its log)."""
    server = make_server("127.0.0.1", 0, intake, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def eventually(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """Polls until check() returns something truthy (read models lag the log by design)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(every)
