"""Tokens are verified locally against the identity service's JWKS, and endpoints state the
roles and the country they need."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, g
from jwt.algorithms import OKPAlgorithm

from shared.auth import TokenVerifier, Unauthenticated, requires
from shared.errors import Problem


class KeyServer:
    """A JWKS endpoint on loopback whose keys a test can rotate."""

    def __init__(self) -> None:
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = json.dumps({"keys": [
                    {**json.loads(OKPAlgorithm.to_jwk(k.public_key())), "kid": kid, "alg": "EdDSA",
                     "use": "sig"} for kid, k in server.keys.items()
                ]}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"

    def add_key(self, kid: str) -> None:
        self.keys[kid] = Ed25519PrivateKey.generate()

    def token(self, kid: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": "actnow-identity", "aud": "actnow", "sub": "user-1", "org": "org-1",
                  "iat": now, "exp": now + 300,
                  "grants": [{"role": "case_worker", "scope": "MK"}], **overrides}  # fmt: skip
        return jwt.encode(claims, self.keys[kid], algorithm="EdDSA", headers={"kid": kid})


@pytest.fixture
def keys() -> Iterator[KeyServer]:
    server = KeyServer()
    server.add_key("k1")
    yield server
    server.httpd.shutdown()


def test_a_valid_token_gives_the_principal_and_its_grants(keys: KeyServer) -> None:
    principal = TokenVerifier(keys.url).verify(keys.token("k1"))
    assert (principal.user, principal.organisation) == ("user-1", "org-1")
    assert principal.may(["case_worker"], "mk") and not principal.may(["case_worker"], "RS")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "someone-else"}, "Invalid issuer"),
        ({"aud": "another-app"}, "Audience doesn't match"),
        ({"exp": int(time.time()) - 10}, "Signature has expired"),
    ],
)
def test_wrong_issuer_audience_or_expiry_is_refused(
    keys: KeyServer, overrides: dict, reason: str
) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        TokenVerifier(keys.url).verify(keys.token("k1", **overrides))


def test_a_tampered_token_is_refused(keys: KeyServer) -> None:
    header, payload, signature = keys.token("k1").split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["grants"] = [{"role": "platform_admin", "scope": "regional"}]
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(Unauthenticated, match="Signature verification failed"):
        TokenVerifier(keys.url).verify(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused(keys: KeyServer) -> None:
    unsigned = jwt.encode(jwt.decode(keys.token("k1"), options={"verify_signature": False}),
                          key=None, algorithm="none", headers={"kid": "k1"})  # fmt: skip
    with pytest.raises(Unauthenticated, match="the token was refused"):
        TokenVerifier(keys.url).verify(unsigned)


def test_a_key_added_by_rotation_is_fetched_once_when_a_token_names_it(keys: KeyServer) -> None:
    verifier = TokenVerifier(keys.url, refetch_cooldown=0)
    verifier.verify(keys.token("k1"))
    verifier.verify(keys.token("k1"))
    assert keys.fetches == 1  # cached
    keys.add_key("k2")
    assert verifier.verify(keys.token("k2")).user == "user-1"
    assert keys.fetches == 2


def test_a_token_of_an_unknown_key_is_refused(keys: KeyServer) -> None:
    keys.add_key("k9")
    token = keys.token("k9")
    del keys.keys["k9"]
    with pytest.raises(Unauthenticated, match="the token was refused"):
        TokenVerifier(keys.url).verify(token)


@pytest.fixture
def app(keys: KeyServer) -> Flask:
    app = Flask("test")
    app.extensions["actnow.tokens"] = TokenVerifier(keys.url)

    @app.errorhandler(Problem)
    def problem(exc: Problem) -> tuple[dict, int]:
        return exc.to_dict(), exc.status

    @app.get("/countries/<country>/cases")
    @requires("case_worker", "monitor", country=lambda country: country)
    def cases(country: str) -> dict:
        return {"country": country, "user": g.principal.user}

    @app.get("/comparisons")
    @requires("regional_analyst")
    def comparisons() -> dict:
        return {"ok": True}

    return app


def test_a_case_worker_reads_her_own_country_but_not_another(app: Flask, keys: KeyServer) -> None:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {keys.token('k1')}"}
    assert client.get("/countries/MK/cases", headers=auth).status_code == 200
    refused = client.get("/countries/RS/cases", headers=auth)
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "this needs the role case_worker or monitor for RS"


def test_no_token_is_401_and_a_missing_role_403(app: Flask, keys: KeyServer) -> None:
    client = app.test_client()
    assert client.get("/countries/MK/cases").status_code == 401
    auth = {"Authorization": f"Bearer {keys.token('k1')}"}
    assert client.get("/comparisons", headers=auth).status_code == 403
    analyst = keys.token("k1", grants=[{"role": "regional_analyst", "scope": "regional"}])
    assert client.get("/comparisons", headers={"Authorization": f"Bearer {analyst}"}).json == {
        "ok": True
    }


def test_an_unknown_role_in_a_decorator_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        requires("superuser")
