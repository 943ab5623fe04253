"""A national node for hostile input: identity, intake, indicators and reporting built in-process
on a database and Kafka topics of their own, so that what schemathesis writes (thousands of
cases, reports, users) reaches no other test. No worker runs: the generated requests are
answered from the log and the read models as they are, and nothing needs to be relayed."""

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
from werkzeug.test import TestResponse

from services.identity.app import create_app as create_identity
from services.identity.bootstrap import Operator
from services.identity.credentials import Credentials
from services.indicators.app import create_app as create_indicators
from services.intake.app import create_app as create_intake
from services.registry import REGISTRY
from services.reporting.app import create_app as create_reporting
from shared.backbone.store import EventStore
from shared.db import migrate, service_migrations
from shared.settings import Settings
from tests.conftest import fresh_database
from tests.integration.access.recipes import OPENING
from tests.integration.conftest import People, bearer, settings_for

SERVICES = ("identity", "intake", "indicators", "reporting")


@dataclass
class HostileNode:
    apps: dict[str, Flask]  # every service, by name
    people: People
    # resources that exist, by the name of the path parameter that names them: generated ids
    # name nothing, so without these no request would reach the code behind the lookup
    known: dict[str, str] = field(default_factory=dict)


def _created(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 201, response.json
    return dict(response.json)


def seed(node: HostileNode) -> None:
    """One of each resource a path names, in MK, made through the APIs as a user would."""
    people, apps = node.people, node.apps

    def as_(role: str) -> dict[str, str]:
        return bearer(people.token(f"seed-{role}", (role, "MK")))

    organisation = _created(apps["identity"].test_client().post(
        "/api/v1/organisations", headers=as_("national_admin"),
        json={"name": "Hostile shelter", "country": "MK", "type": "cso"}))  # fmt: skip
    case = _created(apps["intake"].test_client().post(
        "/api/v1/cases", headers=as_("case_worker"), json=OPENING))  # fmt: skip
    reporting = apps["reporting"].test_client()
    report = _created(
        reporting.post(
            "/api/v1/reports",
            headers=as_("monitor"),
            json={"kind": "national", "country": "MK", "period": "2025", "title": "Hostile report"},
        )
    )
    recommendation = _created(reporting.post(
        "/api/v1/recommendations", headers=as_("monitor"),
        json={"country": "MK", "round": "3", "paragraph": "1", "year": 2025,
              "text": "Ensure that victims receive compensation.",
              "addressees": ["Ministry of Justice"], "indicators": ["CO-05"]}))  # fmt: skip
    node.known.update({
        "organisation_id": organisation["organisation_id"], "case_id": case["case_id"],
        "person_id": case["person_id"], "report_id": report["report_id"],
        "recommendation_id": recommendation["recommendation_id"],
        "username": people.user("case_worker", "MK")})  # fmt: skip


def _serve(app: Flask, stack: ExitStack) -> str:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack.callback(server.shutdown)
    return f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="package")
def hostile_node(
    postgres_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileNode]:
    prefix = f"hostile{uuid.uuid4().hex[:8]}."
    with fresh_database(postgres_url, "actnow_hostile") as database_url, ExitStack() as stack:

        def build(service: str, **extra: object) -> Flask:
            state = Path(tmp_path_factory.mktemp(f"hostile-{service}"))
            settings: Settings = settings_for(service, database_url, kafka_bootstrap, state,
                                              prefix, **extra)  # fmt: skip
            migrate(database_url, service, service_migrations(service))
            make = {"identity": create_identity, "intake": create_intake,
                    "indicators": create_indicators, "reporting": create_reporting}  # fmt: skip
            app = make[service](settings)
            stack.callback(app.extensions["actnow.db"].close)
            return app

        identity = build("identity")
        jwks = f"{_serve(identity, stack)}/.well-known/jwks.json"
        intake = build("intake", jwks_url=jwks, countries=("MK", "RS"))
        indicators = build("indicators", jwks_url=jwks)
        reporting = build("reporting", jwks_url=jwks, countries=("MK",),
                          service_urls=(("intake", _serve(intake, stack)),))  # fmt: skip
        pool = identity.extensions["actnow.db"]
        identity_settings: Settings = identity.extensions["actnow.settings"]
        operator = Operator(EventStore(pool, "identity", identity_settings.origin, REGISTRY),
                            Credentials(pool, "identity"))  # fmt: skip
        people = People(operator, identity.extensions["actnow.key_ring"])
        apps = {"identity": identity, "intake": intake, "indicators": indicators,
                "reporting": reporting}  # fmt: skip
        node = HostileNode(apps, people)
        seed(node)
        yield node
