"""Signing in: tokens for a username and password, refresh with rotation, throttling, browser
sessions in HttpOnly cookies with CSRF protection — and every outcome recorded as an event."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from jwt import PyJWK
from werkzeug.test import TestResponse

from services.identity.bootstrap import Operator
from shared.auth import TokenVerifier
from tests.integration.conftest import PASSWORD, People, bearer


def login_events(operator: Operator, username: str) -> list[tuple[str, dict]]:
    return [(e.event_type, e.payload) for e in operator.store.read_stream(f"logins-{username}")]


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    body = {"grant_type": "password", "username": username, "password": password}
    return client.post("/api/v1/auth/token", json=body)


def test_a_password_sign_in_gives_a_token_with_the_users_grants_and_is_recorded(
    client: FlaskClient, people: People, identity_app: Flask, operator: Operator
) -> None:
    username = people.user("monitor", "AL")
    response = sign_in(client, username)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    principal = identity_app.extensions["actnow.tokens"].verify(body["access_token"])
    assert principal.user == username and principal.may(["monitor"], "AL")
    assert not principal.may(["monitor"], "MK")
    assert login_events(operator, username)[-1][0] == "identity.LoginSucceeded"


def test_the_token_verifies_in_another_service_against_the_published_keys(
    client: FlaskClient, people: People
) -> None:
    username = people.user("case_worker", "MK")
    token = sign_in(client, username).json["access_token"]
    jwks = client.get("/.well-known/jwks.json").json
    keys = {key["kid"]: key for key in jwks["keys"]}
    verifier = TokenVerifier(keys=lambda kid: PyJWK(keys[kid]).key)
    assert verifier.verify(token).may(["case_worker"], "MK")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer_and_are_both_recorded(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    username = people.user()
    wrong = sign_in(client, username, "not the password at all")
    unknown = sign_in(client, "nobody-with-this-name")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"] == "the username or password is wrong"
    assert wrong.headers["Content-Type"] == "application/problem+json"
    assert login_events(operator, username)[-1][1]["reason"] == "wrong_password"
    failures = [p for t, p in login_events(operator, "unknown") if t == "identity.LoginFailed"]
    assert failures[-1]["username"] == "nobody-with-this-name"
    assert failures[-1]["reason"] == "unknown_user"


def test_a_typed_password_in_the_username_field_is_not_recorded(
    client: FlaskClient, operator: Operator
) -> None:
    sign_in(client, "My Secret Passw0rd!")
    failures = [p for t, p in login_events(operator, "unknown") if t == "identity.LoginFailed"]
    assert failures[-1]["username"] is None


def test_brute_force_on_one_user_is_throttled_and_each_attempt_recorded(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    username = people.user()
    answers = [sign_in(client, username, f"guess number {n:04d}").status_code for n in range(5)]
    assert answers == [401] * 5
    throttled = sign_in(client, username)  # even the right password, while locked
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    reasons = [p["reason"] for t, p in login_events(operator, username)]
    assert reasons == ["wrong_password"] * 5 + ["throttled"]


def test_many_failures_from_one_address_are_throttled_across_usernames(
    client: FlaskClient,
) -> None:
    answers = [sign_in(client, f"someone{n:03d}", "whatever it is").status_code for n in range(21)]
    assert answers[:20] == [401] * 20 and answers[20] == 429


def test_a_missing_field_is_named(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", json={"grant_type": "password", "username": "x"})
    assert response.status_code == 422
    assert "password" in response.json["errors"]
    bad = client.post("/api/v1/auth/token", json={"grant_type": "magic"})
    assert bad.status_code == 422 and "grant_type" in bad.json["errors"]


def test_a_refresh_token_rotates_and_a_reused_one_ends_the_session(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    username = people.user()
    first = sign_in(client, username).json["refresh_token"]
    second = client.post("/api/v1/auth/token",
                         data={"grant_type": "refresh_token", "refresh_token": first})  # fmt: skip
    assert second.status_code == 200 and second.json["refresh_token"] != first
    replay = client.post("/api/v1/auth/token",
                         data={"grant_type": "refresh_token", "refresh_token": first})  # fmt: skip
    assert replay.status_code == 401 and "already used" in replay.json["detail"]
    # the thief's reuse revoked the whole family, the legitimate next token included
    after = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": second.json["refresh_token"]},
    )
    assert after.status_code == 401
    assert login_events(operator, username)[-1][0] == "identity.RefreshTokenReused"


def test_a_deactivated_user_cannot_sign_in_or_refresh(
    client: FlaskClient, people: People, operator: Operator
) -> None:
    username = people.user()
    refresh = sign_in(client, username).json["refresh_token"]
    operator.deactivate(username, "left the organisation")
    assert sign_in(client, username).status_code == 401
    again = client.post("/api/v1/auth/token",
                        json={"grant_type": "refresh_token", "refresh_token": refresh})  # fmt: skip
    assert again.status_code == 401 and "ended" in again.json["detail"]
    assert login_events(operator, username)[-1][1]["reason"] == "deactivated"


def test_a_browser_session_lives_in_httponly_lax_cookies(
    client: FlaskClient, people: People
) -> None:
    username = people.user()
    response = client.post(
        "/api/v1/auth/session", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.json
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    session = cookies["actnow_session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" in session
    assert "HttpOnly" in cookies["actnow_refresh"] and "Path=/api/v1/auth/session" in cookies[
        "actnow_refresh"]  # fmt: skip
    assert "HttpOnly" not in cookies["actnow_csrf"]  # the page's script echoes it
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json["username"] == username
    assert response.json["csrf_token"] and "access_token" not in response.json


def test_a_state_change_with_the_session_cookie_needs_the_csrf_token(
    client: FlaskClient, people: People
) -> None:
    username = people.user()
    session = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
    csrf = session.json["csrf_token"]
    change = {"current_password": PASSWORD, "new_password": "an entirely new passphrase"}
    forged = client.post("/api/v1/auth/password", json=change)
    assert forged.status_code == 403 and "csrf_token" in forged.json["errors"]
    wrong = client.post("/api/v1/auth/password", json=change, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    done = client.post("/api/v1/auth/password", json=change, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 204


def test_a_sign_in_form_must_carry_the_forms_csrf_token(
    client: FlaskClient, people: People
) -> None:
    username = people.user()
    form = {"username": username, "password": PASSWORD}
    assert client.post("/api/v1/auth/session", data=form).status_code == 403
    csrf = client.get("/api/v1/auth/session/csrf").json["csrf_token"]
    signed_in = client.post("/api/v1/auth/session", data={**form, "csrf_token": csrf})
    assert signed_in.status_code == 200


def test_signing_out_ends_the_session(client: FlaskClient, people: People) -> None:
    username = people.user()
    session = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
    csrf = session.json["csrf_token"]
    assert client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    refreshed = client.post("/api/v1/auth/session/refresh", headers={"X-CSRF-Token": csrf})
    assert refreshed.status_code in (401, 403)


def test_a_password_change_ends_earlier_tokens(client: FlaskClient, people: People) -> None:
    username = people.user()
    token = sign_in(client, username).json["access_token"]
    change = {"current_password": PASSWORD, "new_password": "another fine passphrase"}
    assert (
        client.post("/api/v1/auth/password", json=change, headers=bearer(token)).status_code == 204
    )
    assert sign_in(client, username, "another fine passphrase").status_code == 200
    assert sign_in(client, username).status_code == 401


def test_the_sign_in_bodies_are_in_the_openapi_document(client: FlaskClient) -> None:
    # they are read as JSON or a form post, a location flask-smorest leaves out of the document
    document = client.get("/openapi.json").json
    for path, field in (("/api/v1/auth/token", "grant_type"), ("/api/v1/auth/session", "username")):
        operation = document["paths"][path]["post"]
        assert "parameters" not in operation
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        assert field in schema["properties"]
