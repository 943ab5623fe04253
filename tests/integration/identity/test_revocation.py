"""Deactivations and revoked roles reach the other services through the identity events: a
token of a deactivated user stops working in another service within the minute promised."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.auth import Grant, TokenVerifier
from shared.errors import Unauthenticated
from tests.integration.conftest import PASSWORD, People, bearer

PROMISED_SECONDS = 60


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
