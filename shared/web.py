"""The web shell every service is built in: Flask + flask-smorest (OpenAPI from the marshmallow
schemas), problem+json errors, /healthz, /readyz, /metrics and /openapi.json."""

from __future__ import annotations

import http
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from apispec import BasePlugin
from flask import Flask, Response, g, jsonify, request
from flask_smorest import Api
from marshmallow import Schema
from marshmallow import fields as ma_fields
from psycopg_pool import ConnectionPool, PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from shared import audit_api, logs, metrics
from shared.auth import KeyLookup, Principal, TokenVerifier
from shared.backbone.envelope import SYSTEM, Actor
from shared.backbone.registry import EventRegistry
from shared.backbone.store import ConcurrencyError, EventStore
from shared.backbone.worker import worker_readiness
from shared.blueprint import Blueprint, refuse_nul_in_path
from shared.db import create_pool
from shared.errors import (
    PROBLEM_JSON,
    PreconditionFailed,
    Problem,
    ServiceUnavailable,
    ValidationProblem,
    problem_body,
)
from shared.revocations import Revocations, not_before_lookup
from shared.settings import Settings

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], None]  # raises (any exception) when not ready


class ProblemSchema(Schema):
    """The one error body (RFC 9457), as the OpenAPI document states it."""

    type = ma_fields.String(required=True)
    title = ma_fields.String(required=True)
    status = ma_fields.Integer(required=True)
    detail = ma_fields.String(required=True)
    instance = ma_fields.String()
    errors = ma_fields.Dict()


class Readiness(Schema):
    status = ma_fields.String(required=True)
    checks = ma_fields.Dict(keys=ma_fields.String(), values=ma_fields.String(), required=True)


class CommonProblems(BasePlugin):
    """Documents on each operation the problems any such operation answers before its own code
    runs: 404 where the path names a resource (it may not exist), 400 where a JSON body is read
    (it may not parse)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:  # fmt: skip
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            if path and "{" in path:
                responses.setdefault("404", "NOT_FOUND")
            if "requestBody" in operation:
                responses.setdefault("400", "BAD_REQUEST")


class ProblemApi(Api):
    """flask-smorest's Api with every HTTP error answered as RFC 9457 problem details, and
    documented so: application/problem+json with the problem's shape (not flask-smorest's)."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={"extra_plugins": [CommonProblems()]})

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "Default error response",
            "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}}, lazy=True)  # fmt: skip

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or _flatten_webargs(data.get("messages"))
        status = error.code or 500
        detail = data.get("message") or error.description or error.name
        if status == 422 and errors:
            detail = "The request has invalid fields: " + ", ".join(sorted(errors)) + "."
        return problem_response(
            problem_body(status, error.name, str(detail), _slug(error.name), errors, request.path),
            status,
            data.get("headers"),
        )


def _flatten_webargs(messages: dict[str, Any] | None) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want the field."""
    if not messages:
        return {}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if not isinstance(fields, dict):
            flat[location] = fields
            continue
        for name, msgs in fields.items():
            flat[name if location in ("json", "form", "json_or_form") else f"{location}.{name}"] = (
                msgs
            )
    return flat


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def problem_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def kafka_reachable(bootstrap: str, timeout: float = 1.0) -> ReadinessCheck:
    def check() -> None:
        for server in bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            with socket.create_connection((host, int(port)), timeout=timeout):
                return

    return check


def database_reachable(pool: ConnectionPool) -> ReadinessCheck:
    def check() -> None:
        with pool.connection(timeout=2.0) as conn:
            conn.execute("SELECT 1")

    return check


def create_service_app(
    settings: Settings,
    title: str,
    blueprints: Iterable[Blueprint] = (),
    readiness: dict[str, ReadinessCheck] | None = None,
    token_keys: KeyLookup | None = None,
) -> Flask:
    """Builds the Flask app of one service; each service's create_app calls this. Tokens are
    verified with the keys from the identity service's JWKS (or `token_keys` in identity)."""
    logs.configure(settings.service, settings.log_level)
    app = Flask(f"services.{settings.service}")
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.extensions["actnow.settings"] = settings
    pool = create_pool(settings.database_url, settings.db_pool_max, name=settings.service)
    app.extensions["actnow.db"] = pool
    if settings.jwks_url or token_keys:
        revocations = Revocations(settings.events_topic("identity"))
        app.extensions["actnow.tokens"] = TokenVerifier(
            settings.jwks_url,
            keys=token_keys,
            not_before=not_before_lookup(pool, settings.schema, revocations),
        )
    checks: dict[str, ReadinessCheck] = {
        "database": database_reachable(pool),
        "kafka": kafka_reachable(settings.kafka_bootstrap),
        **worker_readiness(pool, settings.schema),
        **(readiness or {}),
    }
    # the audit endpoints only read the log: no event types are needed to serve them
    app.extensions["actnow.audit_store"] = EventStore(
        pool, settings.schema, settings.origin, EventRegistry()
    )
    api = ProblemApi(app)
    api.register_blueprint(_operations_blueprint(settings, checks))
    api.register_blueprint(audit_api.blp)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.before_request(refuse_nul_in_path)
    _install_error_handlers(app)
    _install_correlation(app)
    _install_request_metrics(app, settings.service)
    _install_security_headers(app)
    return app


def _operations_blueprint(settings: Settings, checks: dict[str, ReadinessCheck]) -> Blueprint:
    ops = Blueprint("operations", __name__, description="Liveness, readiness and metrics")

    @ops.route("/healthz")
    @ops.doc(summary="The process is alive")
    @ops.response(200, description="Alive")
    def healthz() -> Response:
        return jsonify(status="ok", service=settings.service, origin=settings.origin)

    @ops.route("/readyz")
    @ops.doc(summary="Database and Kafka reachable; relay and projections reporting")
    @ops.response(200, Readiness, description="Ready")
    @ops.alt_response(503, schema=Readiness, description="Not ready: the failing checks named")
    def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a failing dependency is an answer here, not an error
                results[name] = f"failing: {type(exc).__name__}: {exc}"[:300]
        ready = all(value == "ok" for value in results.values())
        response = jsonify(status="ready" if ready else "not ready", checks=results)
        response.status_code = 200 if ready else 503
        return response

    @ops.route("/metrics")
    @ops.doc(summary="Prometheus metrics of every worker process")
    @ops.response(200, description="The metrics in Prometheus' text format")
    def prometheus_metrics() -> Response:
        body, content_type = metrics.render_metrics()
        return Response(body, content_type=content_type)

    return ops


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def handle_problem(problem: Problem) -> Response:
        return problem_response(problem.to_dict(request.path), problem.status, problem.headers())

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            raise exc
        if isinstance(exc, PoolTimeout | psycopg.OperationalError):
            # the database is restarting or out of reach: a known, passing condition the
            # client can retry (with If-Match where it writes), not an error of ours
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            unavailable = ServiceUnavailable("the database did not answer; try again in a few"
                                             " seconds")  # fmt: skip
            return handle_problem(unavailable)
        log.exception("unhandled error on %s %s", request.method, request.path)
        error = InternalServerError()
        return problem_response(
            problem_body(
                500,
                error.name,
                "An unexpected error occurred; it has been logged.",
                "internal",
                None,
                request.path,
            ),
            500,
        )


# an API answer is data, never a page to sniff, frame, cache or refer from; a view that serves
# a page (a rendered report) may set a policy of its own, which is kept
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # answers about victims must not stay in shared caches
}


def _install_security_headers(app: Flask) -> None:
    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


CORRELATION_HEADER = "X-Correlation-Id"


def _install_correlation(app: Flask) -> None:
    """Each request carries a correlation id (the caller's, when it sent a UUID) that goes into
    the events it records and back in the response, so one action can be followed across
    services."""

    @app.before_request
    def take_correlation_id() -> None:
        sent = request.headers.get(CORRELATION_HEADER, "")
        try:
            g.correlation_id = uuid.UUID(sent)
        except ValueError:
            g.correlation_id = uuid.uuid4()

    @app.after_request
    def echo_correlation_id(response: Response) -> Response:
        if "correlation_id" in g:
            response.headers[CORRELATION_HEADER] = str(g.correlation_id)
        return response


def event_context(principal: Principal | None) -> dict[str, Any]:
    """The actor and correlation id of the events a request records (NewEvent keywords)."""
    actor = (
        Actor(user=principal.user, organisation=principal.organisation or None)
        if principal
        else SYSTEM
    )
    return {"actor": actor, "correlation_id": g.get("correlation_id")}


def _install_request_metrics(app: Flask, service: str) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.HTTP_REQUESTS.labels(
            service, request.method, route, str(response.status_code)
        ).inc()
        started = g.pop("request_started", None)
        if started is not None:
            metrics.HTTP_LATENCY.labels(service, request.method, route).observe(
                time.perf_counter() - started
            )
        return response


def etag(stream_version: int) -> str:
    """The ETag of a stream at a version; clients send it back in If-Match."""
    return f'"{stream_version}"'


def if_match_version() -> int | None:
    """The stream version named by the request's If-Match header, if it has one."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationProblem(
            'If-Match must be the ETag of the resource, e.g. "3"',
            {"If-Match": ["Not an ETag this service issued."]},
        )
    return int(value)


@contextmanager
def stream_precondition(if_match: int | None) -> Iterator[None]:
    """A concurrency conflict is 412 when the client asked with If-Match, else 409."""
    try:
        yield
    except ConcurrencyError as conflict:
        if if_match is None:
            raise
        raise PreconditionFailed(str(conflict), conflict.errors) from conflict
