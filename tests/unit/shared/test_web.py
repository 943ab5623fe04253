"""The web shell: one problem+json error shape, and readiness that tells the truth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from marshmallow import Schema, fields

from shared.backbone.store import ConcurrencyError
from shared.blueprint import Blueprint
from shared.errors import Conflict
from shared.settings import Settings
from shared.web import create_service_app, etag, if_match_version, stream_precondition

# nothing listens on port 9: the database and Kafka are unreachable in unit tests
UNREACHABLE = Settings(
    service="intake",
    node="mk",
    database_url="postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
    kafka_bootstrap="127.0.0.1:9",
)


class GreetingSchema(Schema):
    name = fields.String(required=True)
    age = fields.Integer()


def _example_blueprint() -> Blueprint:
    blp = Blueprint("example", __name__, url_prefix="/api/v1/example")

    @blp.route("/greetings", methods=["POST"])
    @blp.arguments(GreetingSchema)
    def greet(body: dict) -> dict:
        return {"hello": body["name"]}

    @blp.route("/conflict")
    def conflict() -> None:
        raise Conflict("stream case-1 is at version 3, not 2", {"If-Match": ["stale"]})

    @blp.route("/cases/<case_id>", methods=["PUT"])
    def update_case(case_id: str) -> dict:
        expected = if_match_version()
        with stream_precondition(expected):
            raise ConcurrencyError(case_id, expected if expected is not None else 1, 4)

    @blp.route("/database")
    def database() -> None:
        with current_app.extensions["actnow.db"].connection(timeout=0.5):
            pass  # never reached: nothing answers on port 9

    @blp.route("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return blp


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_service_app(UNREACHABLE, "test", [_example_blueprint()])
    yield app
    app.extensions["actnow.db"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_an_invalid_body_names_each_bad_field(client: FlaskClient) -> None:
    response = client.post("/api/v1/example/greetings", json={"age": "old"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body["errors"]) == {"name", "age"}
    assert body["detail"] == "The request has invalid fields: age, name."
    assert body["status"] == 422 and body["instance"] == "/api/v1/example/greetings"


def test_a_domain_problem_keeps_its_status_and_detail(client: FlaskClient) -> None:
    response = client.get("/api/v1/example/conflict")
    assert response.status_code == 409
    assert response.get_json()["detail"] == "stream case-1 is at version 3, not 2"


def test_an_unknown_path_is_a_problem_too(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_an_unexpected_error_is_500_without_leaking_internals(client: FlaskClient) -> None:
    response = client.get("/api/v1/example/boom")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


def test_a_database_out_of_reach_is_503_to_try_again_not_an_unexpected_500(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/example/database")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert "database did not answer" in response.get_json()["detail"]


def test_healthz_answers_even_when_dependencies_are_down(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "service": "intake",
        "origin": "mk.intake",
    }


def test_readyz_is_503_and_names_each_failing_dependency(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"].startswith("failing:")
    assert checks["kafka"].startswith("failing:")


def test_the_openapi_document_describes_the_service_endpoints(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert "/api/v1/example/greetings" in spec["paths"]
    assert "/readyz" in spec["paths"]


def test_metrics_count_answered_requests(client: FlaskClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'actnow_http_requests_total{method="GET",route="/healthz",service="intake",status="200"}'
        in text
    )


def test_a_stale_if_match_is_412_and_a_plain_conflict_409(client: FlaskClient) -> None:
    stale = client.put("/api/v1/example/cases/case-1", headers={"If-Match": etag(3)})
    assert stale.status_code == 412
    assert stale.get_json()["detail"] == "stream case-1 is at version 4, expected version 3"
    assert client.put("/api/v1/example/cases/case-1").status_code == 409


def test_an_if_match_that_is_no_etag_names_the_header(client: FlaskClient) -> None:
    response = client.put("/api/v1/example/cases/case-1", headers={"If-Match": "yesterday"})
    assert response.status_code == 422
    assert "If-Match" in response.get_json()["errors"]


def test_a_service_with_a_jwks_url_verifies_tokens_and_one_without_refuses_them() -> None:
    from dataclasses import replace

    from shared.auth import TokenVerifier

    with_keys = create_service_app(replace(UNREACHABLE, jwks_url="http://127.0.0.1:9/jwks"), "t")
    without = create_service_app(UNREACHABLE, "t")
    try:
        assert isinstance(with_keys.extensions["actnow.tokens"], TokenVerifier)
        assert "actnow.tokens" not in without.extensions
    finally:
        with_keys.extensions["actnow.db"].close()
        without.extensions["actnow.db"].close()


def _documented(spec: dict, path: str, method: str, status: str) -> dict:
    """The response an operation documents for a status, with a component reference followed."""
    response = spec["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def test_error_responses_are_documented_as_problem_json_not_as_flask_smorests_error(
    client: FlaskClient,
) -> None:
    spec = client.get("/openapi.json").get_json()
    answer = client.post("/api/v1/example/greetings", json={"age": "old"})
    for status in ("422", "default"):
        content = _documented(spec, "/api/v1/example/greetings", "post", status)["content"]
        assert list(content) == [answer.mimetype] == ["application/problem+json"]
        name = content[answer.mimetype]["schema"]["$ref"].rsplit("/", 1)[1]
        documented = spec["components"]["schemas"][name]
        assert set(answer.get_json()) <= set(documented["properties"])
        assert documented["properties"]["status"]["type"] == "integer"


def test_a_path_naming_a_resource_documents_404_and_a_json_body_400(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert "404" in spec["paths"]["/api/v1/example/cases/{case_id}"]["put"]["responses"]
    greetings = spec["paths"]["/api/v1/example/greetings"]["post"]["responses"]
    assert "400" in greetings and "404" not in greetings
    assert client.post("/api/v1/example/greetings", data="{", content_type="application/json"
                       ).status_code == 400  # fmt: skip


def test_liveness_readiness_and_metrics_document_what_they_answer(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert {"200", "503"} <= set(spec["paths"]["/readyz"]["get"]["responses"])
    ready = _documented(spec, "/readyz", "get", "503")["content"]
    assert list(ready) == ["application/json"]  # a readiness report, not a problem
    for path in ("/healthz", "/metrics"):
        assert "200" in spec["paths"][path]["get"]["responses"]
