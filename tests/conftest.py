"""Session fixtures for the real servers every integration test talks to.

A running local stack is reused when the environment (DATABASE_URL, KAFKA_BOOTSTRAP) or
`.local/stack.env` points at one that answers; otherwise throwaway PostgreSQL and Kafka servers
are started in a temporary folder and stopped at the end. Either way each test session gets its
own database and tests isolate themselves on Kafka with unique topic and group names.

Tests of the whole product (tests/browser) take `product` instead: a stack of its own with the
demo data, started once per session on free ports (tests/product.py).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaAdminClient
from psycopg import sql

from shared.stack.kafka import LocalKafka
from shared.stack.postgres import LocalPostgres
from shared.stack.processes import port_open
from shared.stack.stack import ROOT, with_stack_defaults
from tests.product import DEMO_TIMEOUT, UP_TIMEOUT, Product, running_product

# starting the product (stack and demo data) happens inside the first test that needs it
PRODUCT_TEST_TIMEOUT = UP_TIMEOUT + 2 * DEMO_TIMEOUT + 300


def _running_stack() -> dict[str, str]:
    return with_stack_defaults()


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance connection (reused or throwaway)."""
    url = _running_stack().get("DATABASE_URL")
    if url and _answers(url):
        yield url
        return
    # not under pytest's own temp folder: that is private to root, and initdb runs as `postgres`
    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="actnow-test-pg-")))
    try:
        yield server.start().url()
    finally:
        server.destroy()
        shutil.rmtree(server.workdir, ignore_errors=True)


@contextmanager
def fresh_database(postgres_url: str, prefix: str = "actnow_test") -> Iterator[str]:
    """A database of its own on the server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield str(psycopg.conninfo.make_conninfo(postgres_url, dbname=name))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_url(postgres_url: str) -> Iterator[str]:
    """A database of this test session's own, dropped at the end."""
    with fresh_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bootstrap = _running_stack().get("KAFKA_BOOTSTRAP")
    if bootstrap and port_open(int(bootstrap.rsplit(":", 1)[1])):
        yield bootstrap
        return
    with LocalKafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker.bootstrap


def unique_name(request: pytest.FixtureRequest, prefix: str = "") -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "_", request.node.name)[:50]
    return f"{prefix}{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def topic(kafka_bootstrap: str, request: pytest.FixtureRequest) -> str:
    """A fresh single-partition topic for one test."""
    name = unique_name(request, "test.")
    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        admin.create_topics(
            {name: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True
        )
    return name


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def product(pytestconfig: pytest.Config) -> Iterator[Product]:
    """The whole product with the demo data, on free ports of its own (tests/product.py)."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")

    def echo(line: str) -> None:
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)

    with running_product(echo) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        # web_stack may start the product too (tests/integration/web/conftest.py)
        if needs & {"product", "web_stack"} and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(PRODUCT_TEST_TIMEOUT))
