"""The access matrix of intake, indicators and reporting: every endpoint of each service's OpenAPI
document, called by every role of the resource's own country, of another country and of the
region, and with every kind of bad token; only the callers `table.py` entitles succeed, and
each of them does. A request authenticated by the session cookie changes nothing without its
CSRF token, and every response carries the security headers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from flask import Flask
from werkzeug.test import TestResponse

from services.identity.signing_keys import KeyRing
from shared.auth import CSRF_HEADER, SESSION_COOKIE
from shared.errors import Unauthenticated
from tests.integration.access.conftest import SERVICES, Node
from tests.integration.access.recipes import RECIPES, Call, Recipe, Scene
from tests.integration.access.table import OWN, REGIONAL, TABLE, Rule, callers, operation
from tests.integration.conftest import People, bearer, eventually

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# every grant the table knows, so that a bad token made from it would be entitled everywhere
ALL_GRANTS = (("case_worker", OWN), ("data_provider", OWN), ("monitor", OWN),
              ("national_admin", OWN), ("reviewer", OWN), ("auditor", REGIONAL),
              ("regional_analyst", REGIONAL), ("platform_admin", REGIONAL))  # fmt: skip


@pytest.fixture
def scene(node: Node) -> Scene:
    return Scene(node)


def openapi_operations(app: Flask) -> set[str]:
    paths = app.test_client().get("/openapi.json").json["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item
            if method.upper() in ("GET", *STATE_CHANGING)}  # fmt: skip


def entries(service: str, slow: bool) -> Iterator[tuple[str, Rule, Recipe]]:
    for key, rule in TABLE[service].items():
        if RECIPES[service][key].slow == slow:
            yield key, rule, RECIPES[service][key]


# the endpoints that render or re-derive a report take seconds a call: they run apart
PARTS = pytest.mark.parametrize(("service", "slow"), [
    *((service, False) for service in SERVICES),
    pytest.param("indicators", True, marks=pytest.mark.slow, id="indicators-rendering"),
    pytest.param("reporting", True, marks=pytest.mark.slow, id="reporting-rendering"),
])  # fmt: skip


def send(app: Flask, call: Call, method: str, headers: dict[str, str],
         cookie: str | None = None) -> TestResponse:  # fmt: skip
    client = app.test_client()
    if cookie is not None:
        client.set_cookie(SESSION_COOKIE, cookie)
    return client.open(call.path, method=method, headers=headers, json=call.json,
                       data=call.data)  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_every_endpoint_in_the_openapi_document_has_an_expectation_and_a_recipe(
    node: Node, service: str
) -> None:
    app = node.apps[service]
    documented = openapi_operations(app)
    expected = {operation(key) for key in TABLE[service]}
    unknown = sorted(documented - expected)
    assert unknown == [], listing(
        f"{service}: endpoints with no expectation — add each to tests/integration/access/"
        "table.py (who may call it) and recipes.py (a valid call)", unknown)  # fmt: skip
    gone = sorted(expected - documented)
    assert gone == [], listing(f"{service}: expectations of no endpoint", gone)
    assert set(TABLE[service]) == set(RECIPES[service])
    routed = {f"{m} {rule.rule}" for rule in app.url_map.iter_rules()
              for m in rule.methods or () if m in ("GET", *STATE_CHANGING)}  # fmt: skip
    as_openapi = {r.replace("<", "{").replace(">", "}") for r in routed}
    as_openapi = {_strip_converters(r) for r in as_openapi}
    hidden = as_openapi - documented - {"GET /openapi.json", "GET /static/{filename}"}
    assert sorted(hidden) == [], listing(f"{service}: routes missing from the OpenAPI document",
                                         sorted(hidden))  # fmt: skip


def _strip_converters(route: str) -> str:
    """`GET /a/{int:year}` -> `GET /a/{year}`."""
    parts = route.split("{")
    return "{".join([parts[0], *(p.split(":", 1)[-1] for p in parts[1:])])


@PARTS
def test_every_role_in_its_own_another_country_and_the_region_gets_exactly_its_entitlements(
    node: Node, scene: Scene, service: str, slow: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    app, people = node.apps[service], node.people
    unauthorised, refused, failed = [], [], []
    count = 0
    for key, rule, recipe in entries(service, slow):
        method = operation(key).split(" ")[0]
        shared = None if recipe.fresh else recipe.make(scene)
        # the entitled last: a step that can be taken once is taken after every refusal
        for role, scope in sorted(callers(), key=lambda c: rule.entitles(*c)):
            call = recipe.make(scene) if shared is None else shared
            token = people.token(f"caller-{role}-{scope}", (role, scope), org=call.organisation)
            answer = send(app, call, method, bearer(token))
            count += 1
            where = (key, role, scope, answer.status_code)
            if not rule.entitles(role, scope):
                if call.succeeded(answer):
                    unauthorised.append(where)
            elif answer.status_code in (401, 403):
                refused.append(where)
            elif not call.succeeded(answer):
                failed.append((*where, (answer.get_json(silent=True) or {}).get("detail")))
    with capsys.disabled():
        print(f"\n  {service}: {count} role/scope calls")
    assert unauthorised == [], listing("unauthorised successes", unauthorised)
    assert refused == [], listing("entitled callers refused", refused)
    assert failed == [], listing("entitled callers whose valid call did not succeed", failed)


def listing(title: str, rows: list) -> str:
    return "\n".join([f"{title}:", *(f"  {row}" for row in rows)])


def bad_tokens(node: Node) -> dict[str, str | None]:
    people = node.people
    ring: KeyRing = node.identity.extensions["actnow.key_ring"]
    good = people.token("access.root", *ALL_GRANTS)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "sub": "someone-else"}).encode()).decode().rstrip("=")  # fmt: skip
    past = KeyRing(ring.folder, ring.token_lifetime,
                   clock=lambda: datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    return {
        "no token": None,
        "expired": past.sign({k: v for k, v in claims.items() if k not in ("iat", "exp")}),
        "tampered": f"{header}.{forged}.{signature}",
        "alg=none": jwt.encode(claims, None, algorithm="none"),
        "wrong audience": people.token("access.root", *ALL_GRANTS, aud="another-system"),
        "wrong issuer": people.token("access.root", *ALL_GRANTS, iss="someone-else"),
        "garbage": "not.a.token",
        "revoked user": revoked_token(node),
    }


def revoked_token(node: Node) -> str:
    """The token of a real user with every grant, signed before the user was deactivated, once
    every service has heard of the deactivation through the identity events."""
    people = node.people
    organisation = people.organisation(OWN)
    username = f"revoked-{organisation.organisation_id.hex[:8]}"
    people.operator.add_user(organisation, username, "Revoked", "a long enough passphrase",
                             [])  # fmt: skip
    token = people.token(username, *ALL_GRANTS)
    people.operator.deactivate(username, "left the organisation")

    def refused_everywhere() -> bool:
        for app in node.apps.values():
            try:
                app.extensions["actnow.tokens"].verify(token)
                return False
            except Unauthenticated:
                pass
        return True

    eventually(refused_everywhere, timeout=120)  # the workers may still be joining Kafka
    return token


@PARTS
def test_no_endpoint_accepts_a_missing_expired_tampered_unsigned_foreign_or_revoked_token(
    node: Node, scene: Scene, service: str, slow: bool
) -> None:
    app = node.apps[service]
    if "bad tokens" not in node.shared:  # a revocation takes a second or two to reach everyone
        node.shared["bad tokens"] = bad_tokens(node)
    tokens = node.shared["bad tokens"]
    accepted = []
    for key, rule, recipe in entries(service, slow):
        if rule.public:
            continue
        call, method = recipe.make(scene), operation(key).split(" ")[0]
        for name, token in tokens.items():
            answer = send(app, call, method, bearer(token) if token else {})
            if answer.status_code != 401:
                accepted.append((name, key, answer.status_code))
        good = send(app, call, method, bearer(scene.node.people.token("access.root", *ALL_GRANTS)))
        if good.status_code in (401, 403):  # the bad tokens are refused for being bad
            accepted.append(("the good token is refused", key, good.status_code))
    assert accepted == [], listing("bad tokens not refused with 401", accepted)


@PARTS
def test_a_state_change_with_the_session_cookie_needs_the_csrf_token(
    node: Node, scene: Scene, service: str, slow: bool
) -> None:
    app, people = node.apps[service], node.people
    wrong = []
    for key, rule, recipe in entries(service, slow):
        method = operation(key).split(" ")[0]
        if method not in STATE_CHANGING:
            continue
        caller = next(c for c in callers() if rule.entitles(*c))
        for headers in ({}, {CSRF_HEADER: "a-guess"}, bearer("")):
            call = recipe.make(scene)
            answer = send(app, call, method, headers, cookie=session(people, caller, call))
            if answer.status_code not in (401, 403) or (not headers and answer.status_code != 403):
                wrong.append((key, headers, answer.status_code))
        call = recipe.make(scene)  # with the token, the same call goes through
        answer = send(app, call, method, {CSRF_HEADER: "the-csrf-token"},
                      cookie=session(people, caller, call))  # fmt: skip
        if not call.succeeded(answer):
            wrong.append((key, "with the CSRF token", answer.status_code))
    assert wrong == [], listing("CSRF", wrong)


def session(people: People, caller: tuple[str, str], call: Call) -> str:
    """The session cookie of the caller, of the organisation the call is made for."""
    role, scope = caller
    return people.token(f"caller-{role}-{scope}", caller, csrf="the-csrf-token",
                        org=call.organisation)  # fmt: skip


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def missing_security_headers(answer: TestResponse, authenticated: bool) -> list[str]:
    missing = [name for name, value in SECURITY_HEADERS.items()
               if answer.headers.get(name) != value]  # fmt: skip
    if "frame-ancestors 'none'" not in answer.headers.get("Content-Security-Policy", ""):
        missing.append("Content-Security-Policy frame-ancestors")
    if authenticated and "no-store" not in answer.headers.get("Cache-Control", ""):
        missing.append("Cache-Control: no-store")
    return missing


@PARTS
def test_every_response_carries_the_security_headers(
    node: Node, scene: Scene, service: str, slow: bool
) -> None:
    app, people = node.apps[service], node.people
    lacking = []
    for path in ("/openapi.json", "/no/such/page"):
        answer = app.test_client().get(path)
        lacking += [(path, answer.status_code, m) for m in missing_security_headers(answer, False)]
    for key, rule, recipe in entries(service, slow):
        method = operation(key).split(" ")[0]
        role, scope = next(c for c in callers() if rule.entitles(*c))
        for who in (None, (role, scope), ("case_worker", "AL")):  # none, entitled, a stranger
            call = recipe.make(scene)
            headers: dict[str, str] = {}
            if who is not None:
                token = people.token(f"caller-{'-'.join(who)}", who, org=call.organisation)
                headers = bearer(token)
            answer = send(app, call, method, headers)
            lacking += [(key, answer.status_code, m)
                        for m in missing_security_headers(answer, bool(headers))]  # fmt: skip
    assert lacking == [], listing("security headers missing", lacking)
