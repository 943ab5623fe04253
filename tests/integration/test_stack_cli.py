"""`actnow stack up|status|down` starts, reports and stops the whole local stack.

The stack under test gets its own state folder and free ports, so a developer's running demo
stack is left alone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from shared.backbone.envelope import NewEvent
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.tamper import latest_checkpoint
from shared.settings import SERVICE_NAMES, WEB
from shared.stack.processes import free_port, pid_alive
from shared.stack.stack import DEFAULT_PORTS, ROOT, Stack, StackConfig, read_stack_env
from tests.integration.backbone.conftest import example_registry


def actnow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    ports: set[int] = set()
    while len(ports) < len(DEFAULT_PORTS):
        ports.add(free_port())
    env = {
        **os.environ,
        "ACTNOW_STATE_DIR": str(tmp_path_factory.mktemp("stack")),
        "GUNICORN_WORKERS": "1",
    }
    env.update(
        {
            f"ACTNOW_{name.upper()}_PORT": str(port)
            for name, port in zip(DEFAULT_PORTS, sorted(ports), strict=True)
        }
    )
    for var in ("DATABASE_URL", "KAFKA_BOOTSTRAP"):
        env.pop(var, None)
    yield env
    actnow(env, "stack", "down")
    # the cluster's data may live under /var/tmp when the state folder is private to root
    Stack(StackConfig.from_env(env)).postgres.destroy()


@pytest.fixture(scope="module")
def running_stack(stack_env: dict[str, str]) -> dict[str, str]:
    up = actnow(stack_env, "stack", "up")
    assert up.returncode == 0, up.stdout + up.stderr
    return read_stack_env(Path(stack_env["ACTNOW_STATE_DIR"]) / "stack.env")


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_stack_up_writes_the_connection_settings(running_stack: dict[str, str]) -> None:
    assert set(running_stack) >= {
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP",
        "IDENTITY_URL",
        "INTAKE_URL",
        "INDICATORS_URL",
        "REPORTING_URL",
    }


def test_status_lists_postgres_kafka_four_services_their_workers_and_the_web_as_running(
    running_stack: dict[str, str], stack_env: dict[str, str]
) -> None:
    status = actnow(stack_env, "stack", "status")
    assert status.returncode == 0, status.stdout
    lines = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:]}
    workers = {f"{service}-worker" for service in SERVICE_NAMES}
    assert set(lines) == {"postgres", "kafka", *SERVICE_NAMES, *workers, WEB}
    for row in lines.values():
        assert row[1] == "running" and pid_alive(int(row[2]))


def test_the_web_pages_answer_with_the_sign_in_page(running_stack: dict[str, str]) -> None:
    base = running_stack["WEB_URL"]
    status, _, body = get(f"{base}/readyz")
    assert status == 200 and json.loads(body)["checks"] == {"identity": "ok"}
    status, content_type, body = get(f"{base}/")  # redirected to the sign-in page
    assert status == 200 and content_type.startswith("text/html")
    assert b'name="password"' in body and b'<html lang="en">' in body


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_service_answers_health_readiness_metrics_and_openapi(
    running_stack: dict[str, str], service: str
) -> None:
    base = running_stack[f"{service.upper()}_URL"]
    status, _, body = get(f"{base}/healthz")
    assert status == 200 and json.loads(body)["service"] == service
    status, _, body = get(f"{base}/readyz")
    checks = json.loads(body)["checks"]
    assert status == 200
    assert checks == {"database": "ok", "kafka": "ok", "relay": "ok", "projections": "ok"}
    status, content_type, body = get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert b'actnow_http_requests_total{method="GET",route="/readyz"' in body
    # the worker process's samples are aggregated into its service's /metrics
    assert f'actnow_relay_lag_events{{topic="mk.{service}.events"}}'.encode() in body
    status, _, body = get(f"{base}/openapi.json")
    spec = json.loads(body)
    assert spec["openapi"].startswith("3.") and {"/healthz", "/readyz", "/metrics"} <= set(
        spec["paths"]
    )


def test_a_second_up_reuses_what_runs(
    running_stack: dict[str, str], stack_env: dict[str, str]
) -> None:
    before = actnow(stack_env, "stack", "status").stdout
    again = actnow(stack_env, "stack", "up")
    assert again.returncode == 0
    assert "starting" not in again.stdout
    assert actnow(stack_env, "stack", "status").stdout == before


def test_a_port_already_taken_ends_with_one_clear_sentence(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {**os.environ, "ACTNOW_STATE_DIR": str(tmp_path), "ACTNOW_POSTGRES_PORT": str(port)}
        result = actnow(env, "stack", "up")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"actnow: Port {port} for PostgreSQL is already taken by another program; "
        "stop it or choose another port (ACTNOW_POSTGRES_PORT)."
    )


def test_the_worker_relays_and_signs_and_verify_log_catches_a_changed_byte(
    running_stack: dict[str, str], stack_env: dict[str, str]
) -> None:
    pool = ConnectionPool(running_stack["DATABASE_URL"], min_size=1, max_size=2, open=True,
                          kwargs={"autocommit": True})  # fmt: skip
    try:
        store = EventStore(pool, "intake", "mk.intake", example_registry())
        for n in range(5):
            store.append(f"stack-case-{n}", ExpectedVersion.NO_STREAM, [
                NewEvent("intake.CaseOpened", {"country": "MK", "gender": "f"})
            ])  # fmt: skip
        relay = Relay(store, running_stack["KAFKA_BOOTSTRAP"])
        deadline = time.monotonic() + 30
        while (relay.position() < 5 or latest_checkpoint(store) is None) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert relay.position() == 5  # the worker's relay published them
        assert latest_checkpoint(store).checkpoint.size == 5  # and its signer signed the head

        verified = actnow(stack_env, "audit", "verify-log", "--service", "intake")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "5 events checked against checkpoint of size 5" in verified.stdout

        with pool.connection() as conn:
            conn.execute("UPDATE intake.events SET payload = set_byte(payload, 3, 65)"
                         " WHERE log_index = 2")  # fmt: skip
        tampered = actnow(stack_env, "audit", "verify-log", "--service", "intake")
        assert tampered.returncode == 1
        assert "event at log index 2 does not match its leaf hash" in tampered.stdout
    finally:
        pool.close()


# last: it stops the module's stack
def test_down_stops_every_process_it_started(
    running_stack: dict[str, str], stack_env: dict[str, str]
) -> None:
    status = actnow(stack_env, "stack", "status").stdout.splitlines()[1:]
    pids = [int(line.split()[2]) for line in status]
    down = actnow(stack_env, "stack", "down")
    assert down.returncode == 0, down.stderr
    assert not [pid for pid in pids if pid_alive(pid)]
    assert actnow(stack_env, "stack", "status").returncode == 3
