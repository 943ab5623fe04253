"""Deactivations and revoked roles reach the other services through the identity events: a
token of a deactivated user stops working in another service within the minute promised."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from services.intake.app import create_app as create_intake_app
from services.registry import REGISTRY
from shared.auth import Grant, TokenVerifier
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.errors import Unauthenticated
from shared.settings import Settings
from tests.integration.identity.conftest import PASSWORD, People, bearer, settings_for

PROMISED_SECONDS = 60


@pytest.fixture(scope="module")
def identity_url(identity_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, identity_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def intake(
    identity_settings: Settings, identity_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The intake service and its worker, trusting the identity service above."""
    settings = settings_for(
        "intake", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("intake-state")), identity_settings.topic_prefix,
        jwks_url=f"{identity_url}/.well-known/jwks.json",
    )  # fmt: skip
    migrate(settings.database_url, "intake", service_migrations("intake"))
    app = create_intake_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="intake-worker-tests") as pool:
        threads = start_worker(settings, REGISTRY, pool, stop)
        yield app
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()


def verifier(app: Flask) -> TokenVerifier:
    return app.extensions["actnow.tokens"]


def seconds_until_refused(app: Flask, token: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < PROMISED_SECONDS + 30:
        try:
            verifier(app).verify(token)
        except Unauthenticated:
            return time.monotonic() - started
        time.sleep(0.05)
    return float("inf")


def sign_in(client: FlaskClient, username: str) -> str:
    body = {"grant_type": "password", "username": username, "password": PASSWORD}
    return client.post("/api/v1/auth/token", json=body).json["access_token"]


def test_a_deactivated_users_token_stops_working_in_another_service_within_a_minute(
    client: FlaskClient, people: People, intake: Flask, identity_worker: None,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    username = people.user("case_worker", "MK")
    token = sign_in(client, username)
    assert verifier(intake).verify(token).user == username
    admin = bearer(people.token("root", ("platform_admin", "regional")))
    answer = client.post(f"/api/v1/users/{username}/deactivate", headers=admin,
                         json={"reason": "left the shelter"})  # fmt: skip
    assert answer.status_code == 200
    elapsed = seconds_until_refused(intake, token)
    with capsys.disabled():
        print(f"\n  deactivation reached the intake service's verifier in {elapsed:.2f} s")
    assert elapsed < PROMISED_SECONDS
    with pytest.raises(Unauthenticated, match="revoked"):
        verifier(intake).verify(token)


def test_a_revoked_role_ends_the_tokens_that_carry_it_but_a_new_sign_in_works(
    client: FlaskClient, people: People, intake: Flask, identity_worker: None
) -> None:
    username = people.user("monitor", "MK")
    token = sign_in(client, username)
    people.operator.grant(username, Grant("reviewer", "MK"))
    people.operator.revoke(username, Grant("monitor", "MK"))
    assert seconds_until_refused(intake, token) < PROMISED_SECONDS
    fresh = verifier(intake).verify(sign_in(client, username))
    assert fresh.may(["reviewer"], "MK") and not fresh.may(["monitor"], "MK")


def test_the_identity_service_itself_refuses_a_deactivated_users_token(
    client: FlaskClient, people: People, identity_app: Flask, identity_worker: None
) -> None:
    username = people.user("case_worker", "AL")
    token = sign_in(client, username)
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    people.operator.deactivate(username, "test")
    assert seconds_until_refused(identity_app, token) < PROMISED_SECONDS
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
