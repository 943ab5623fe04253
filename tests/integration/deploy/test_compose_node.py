"""The compose `node` profile, brought up with pytest-docker: PostgreSQL, Kafka, the migrations,
the four services and their workers; each service's /readyz answers 200 and its /metrics
carries its worker's samples. Skipped, with the reason, where no Docker engine runs (this
machine and CI: the local stack runs without Docker)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from shared.settings import SERVICE_NAMES
from shared.stack.processes import ROOT, free_port

# building the image and the first start of Kafka and PostgreSQL take minutes on 2 cores
pytestmark = pytest.mark.timeout(1200)


def docker_engine_missing() -> str | None:
    """Why Docker cannot be used here, or None when an engine answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    if info.returncode != 0:
        last = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"`docker info` failed: {last}"
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True,
                             timeout=30, check=False)  # fmt: skip
    if compose.returncode != 0:
        return "the docker compose plugin is not installed"
    return None


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    return ["up --build --wait --wait-timeout 600"]


@pytest.fixture(scope="session")
def docker_cleanup() -> list[str]:
    # -v: the test's volumes (keys, data) go with it
    return ["down -v"]


@pytest.fixture(scope="session")
def node_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """What an operator's .env would hold: the node's name, a secrets folder with a fresh
    password, and free host ports (a local stack may hold the default ones)."""
    folder = tmp_path_factory.mktemp("secrets")
    (folder / "postgres_password").write_text(secrets.token_urlsafe(24))
    ports = {service: free_port() for service in SERVICE_NAMES}
    # COMPOSE_PROFILES rather than --profile: pytest-docker's `port` and `down` need it too
    settings = {"COMPOSE_PROFILES": "node", "ACTNOW_NODE": "mk", "ACTNOW_SECRETS_DIR": str(folder),
                "KAFKA_EXTERNAL_PUBLISH": f"127.0.0.1:{free_port()}",
                **{f"ACTNOW_{s.upper()}_PORT": str(p) for s, p in ports.items()}}  # fmt: skip
    before = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)  # pytest-docker runs `docker compose` with this environment
    yield ports
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def node(request: pytest.FixtureRequest, node_environment: dict[str, int]) -> dict[str, str]:
    """service -> base URL of the running node profile."""
    missing = docker_engine_missing()
    if missing:
        pytest.skip(f"no Docker engine: {missing}")
    services = request.getfixturevalue("docker_services")
    return {
        service: f"http://127.0.0.1:{services.port_for(service, 8000)}"
        for service in node_environment
    }


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_of_the_node_is_ready(node: dict[str, str], service: str):
    status, body = get(f"{node[service]}/readyz")
    answer: dict[str, Any] = json.loads(body)
    assert status == 200, answer
    assert answer["status"] == "ready"
    assert set(answer["checks"].values()) == {"ok"}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_reports_its_workers_metrics(node: dict[str, str], service: str):
    status, body = get(f"{node[service]}/metrics")
    assert status == 200
    # the relay runs in the worker container: its gauge on /metrics shows the shared folder
    assert b"actnow_relay_lag_events" in body


def test_identity_publishes_a_token_signing_key(node: dict[str, str]):
    status, body = get(f"{node['identity']}/.well-known/jwks.json")
    assert status == 200
    assert json.loads(body)["keys"], "identity published no token signing key"
