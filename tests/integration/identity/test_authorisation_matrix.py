"""The authorisation matrix of the identity API: every endpoint, every role, for the resource's
own country and another, and every kind of bad token — only the entitled combinations succeed."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.identity.signing_keys import KeyRing
from shared.auth import ROLES
from tests.integration.conftest import PASSWORD, People, bearer

REGIONAL_ROLES = {"platform_admin", "regional_analyst"}
ADMINS = {("platform_admin", "regional"), ("national_admin", "MK")}
# auditors review who had access: of their country, or of all countries when regional
READERS = ADMINS | {("auditor", "MK"), ("auditor", "regional")}
ANYONE = "anyone with a valid token"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: Callable[[dict[str, str]], str]
    body: Callable[[dict[str, str]], dict | None]
    entitled: set[tuple[str, str]] | str


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", lambda t: "/api/v1/organisations",
                 lambda t: {"name": f"Org {uuid.uuid4().hex[:6]}", "country": "MK", "type": "cso"},
                 ADMINS),
        Endpoint("GET", lambda t: "/api/v1/organisations?country=MK", lambda t: None, READERS),
        Endpoint("GET", lambda t: f"/api/v1/organisations/{t['organisation']}", lambda t: None,
                 READERS),
        Endpoint("POST", lambda t: "/api/v1/users",
                 lambda t: {"username": f"m{uuid.uuid4().hex[:10]}", "display_name": "M",
                            "password": PASSWORD, "organisation_id": t["organisation"]},
                 ADMINS),
        Endpoint("GET", lambda t: "/api/v1/users?country=MK", lambda t: None, READERS),
        Endpoint("GET", lambda t: f"/api/v1/users/{t['user']}", lambda t: None, READERS),
        Endpoint("POST", lambda t: f"/api/v1/users/{t['user']}/grants",
                 lambda t: {"role": "monitor", "scope": "MK"}, ADMINS),
        Endpoint("DELETE", lambda t: f"/api/v1/users/{t['user']}/grants/monitor/MK",
                 lambda t: None, ADMINS),
        Endpoint("POST", lambda t: f"/api/v1/users/{t['user']}/deactivate",
                 lambda t: {"reason": "matrix"}, ADMINS),
        Endpoint("POST", lambda t: f"/api/v1/users/{t['user']}/reactivate", lambda t: None,
                 ADMINS),
        Endpoint("PUT", lambda t: f"/api/v1/users/{t['user']}/password",
                 lambda t: {"password": "a brand new passphrase"}, ADMINS),
        Endpoint("GET", lambda t: "/api/v1/auth/me", lambda t: None, ANYONE),
    ]  # fmt: skip


def callers() -> list[tuple[str, str]]:
    every = []
    for role in sorted(ROLES):
        scopes = ["regional"] if role in REGIONAL_ROLES else ["MK", "RS"]
        every += [(role, scope) for scope in scopes]
    return [*every, ("auditor", "regional")]


@pytest.fixture(scope="module")
def targets(people: People) -> dict[str, str]:
    user = people.user("case_worker", "MK")
    organisation = people.organisation("MK")
    return {"user": user, "organisation": str(organisation.organisation_id)}


def call(
    client: FlaskClient, endpoint: Endpoint, targets: dict[str, str], headers: dict
) -> TestResponse:
    return client.open(endpoint.path(targets), method=endpoint.method, headers=headers,
                       json=endpoint.body(targets))  # fmt: skip


def test_every_role_in_its_own_and_another_country_gets_exactly_its_entitlements(
    client: FlaskClient, people: People, targets: dict[str, str]
) -> None:
    unexpected = []
    for endpoint in endpoints():
        for role, scope in callers():
            token = people.token(f"caller-{role}-{scope}", (role, scope))
            answer = call(client, endpoint, targets, bearer(token))
            entitled = endpoint.entitled == ANYONE or (role, scope) in endpoint.entitled
            succeeded = 200 <= answer.status_code < 300
            if succeeded != entitled or (not entitled and answer.status_code != 403):
                unexpected.append((endpoint.method, endpoint.path(targets), role, scope,
                                   answer.status_code))  # fmt: skip
    assert unexpected == []


def bad_tokens(people: People, ring: KeyRing) -> dict[str, str | None]:
    grants = ("platform_admin", "regional")
    good = people.token("root", grants)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    past = KeyRing(ring.folder, ring.token_lifetime,
                   clock=lambda: datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    unsigned = jwt.encode({**claims, "sub": "root"}, None, algorithm="none")
    return {
        "no token": None,
        "expired": past.sign({"sub": "root", "grants": [{"role": grants[0], "scope": grants[1]}]}),
        "tampered": f"{header}.{forged}.{signature}",
        "alg=none": unsigned,
        "wrong audience": people.token("root", grants, aud="another-system"),
        "wrong issuer": people.token("root", grants, iss="someone-else"),
        "garbage": "not.a.token",
    }


def test_no_endpoint_accepts_a_missing_expired_tampered_unsigned_or_foreign_token(
    client: FlaskClient, people: People, targets: dict[str, str], identity_app: Flask
) -> None:
    ring = identity_app.extensions["actnow.key_ring"]
    accepted = []
    for name, token in bad_tokens(people, ring).items():
        for endpoint in endpoints():
            answer = call(client, endpoint, targets, bearer(token) if token else {})
            if answer.status_code != 401:
                accepted.append((name, endpoint.method, endpoint.path(targets), answer.status_code))
    assert accepted == []


def test_the_good_token_the_bad_ones_are_made_from_does_succeed(
    client: FlaskClient, people: People, targets: dict[str, str]
) -> None:
    # the negative matrix above proves something only if the same call with a good token works
    token = people.token("root", ("platform_admin", "regional"))
    for endpoint in endpoints():
        answer = call(client, endpoint, targets, bearer(token))
        assert 200 <= answer.status_code < 300, (endpoint.method, endpoint.path(targets))
