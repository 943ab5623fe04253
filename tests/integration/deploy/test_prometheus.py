"""A real Prometheus (Debian's `prometheus` package) scrapes the four services with the scrape
config and alert rules of deploy/prometheus, pointed at services this test serves on loopback;
`promtool` checks the rules, runs their unit tests and checks the config."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from werkzeug.serving import make_server

from services.indicators.app import create_app as create_indicators_app
from services.reporting.app import create_app as create_reporting_app
from shared.db import migrate, service_migrations
from shared.settings import SERVICE_NAMES, Settings
from shared.stack.processes import free_port, stop_process_group, tail
from tests.integration.conftest import settings_for
from tests.unit.deploy.promql import metric_names
from tests.unit.deploy.test_observability import DASHBOARD, PROMETHEUS, dashboard_panels

SCRAPE_SECONDS = 1
# Prometheus starts in about a second; a scrape and a rule evaluation each take one interval
WITHIN_SECONDS = 60.0


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: apt-get install prometheus (.ci/run installs it)")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


def test_the_alert_rules_pass_promtool_check_and_their_unit_tests():
    checked = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the unit tests name their rule file relative to themselves
    tested = subprocess.run(["promtool", "test", "rules", "alerts.test.yml"], cwd=PROMETHEUS,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def other_service(
    service: str, identity_settings: Settings, identity_url: str, state: Path
) -> Iterator[str]:
    """Indicators or reporting, served on loopback (the metrics need no worker)."""
    settings = settings_for(service, identity_settings.database_url,
                            identity_settings.kafka_bootstrap, state,
                            identity_settings.topic_prefix,
                            jwks_url=f"{identity_url}/.well-known/jwks.json")  # fmt: skip
    migrate(settings.database_url, service, service_migrations(service))
    create = create_indicators_app if service == "indicators" else create_reporting_app
    app = create(settings)
    yield from serve(app)
    app.extensions["actnow.db"].close()


@pytest.fixture(scope="module")
def targets(
    identity_app: Flask, identity_url: str, intake: Flask, identity_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:  # fmt: skip
    """service -> host:port of the four services (intake with its worker running)."""
    intake_serving = serve(intake)
    extra = {s: other_service(s, identity_settings, identity_url, tmp_path_factory.mktemp(s))
             for s in ("indicators", "reporting")}  # fmt: skip
    found = {"identity": identity_url.removeprefix("http://"), "intake": next(intake_serving)}
    found |= {service: next(serving) for service, serving in extra.items()}
    yield found
    for serving in (intake_serving, *extra.values()):
        next(serving, None)


def scrape_config_for(targets: dict[str, str], folder: Path) -> Path:
    """deploy/prometheus/prometheus.yml with its targets replaced by the test's, scraping and
    evaluating every second, and the alert rules by absolute path."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": f"{SCRAPE_SECONDS}s",
                         "evaluation_interval": f"{SCRAPE_SECONDS}s"}  # fmt: skip
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def prometheus(targets: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prometheus server on loopback scraping the targets; yields its URL."""
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is missing: apt-get install prometheus (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("prometheus")
    config = scrape_config_for(targets, folder)
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    port = free_port()
    log = folder / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _get(f"{url}/-/ready") is not None, f"Prometheus ready:\n{tail(log)}")
        yield url
    finally:
        stop_process_group(proc.pid, 10)


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bytes(response.read())
    except OSError:
        return None


def api(prometheus: str, path: str, **params: str) -> Any:
    body = _get(f"{prometheus}/api/v1/{path}?{urllib.parse.urlencode(params)}")
    assert body is not None, path
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return answer["data"]


def eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WITHIN_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {WITHIN_SECONDS:.0f} s: {what}")


def test_prometheus_scrapes_a_request_metric_from_each_service(prometheus, targets):
    for address in targets.values():
        assert _get(f"http://{address}/healthz") is not None
    for service in SERVICE_NAMES:
        query = f'actnow_http_requests_total{{job="{service}", service="{service}"}}'
        found = eventually(lambda q=query: api(prometheus, "query", query=q)["result"], query)
        assert {row["metric"]["job"] for row in found} == {service}
        assert any(float(row["value"][1]) >= 1 for row in found)


def test_prometheus_sees_every_target_up(prometheus, targets):
    def all_up() -> dict[str, str]:
        active = api(prometheus, "targets")["activeTargets"]
        up = {t["labels"]["job"]: t["health"] for t in active}
        return up if set(up.values()) == {"up"} and len(up) == len(targets) else {}

    assert set(eventually(all_up, "every target up")) == set(SERVICE_NAMES)


def test_prometheus_loads_the_alert_rules_and_evaluates_them_without_error(prometheus):
    expected = {r["alert"] for g in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
                ["groups"] for r in g["rules"]}  # fmt: skip

    def evaluated() -> list[dict[str, Any]]:
        rules = [r for g in api(prometheus, "rules")["groups"] for r in g["rules"]]
        done = all(r.get("health") in ("ok", "err") for r in rules)
        return rules if rules and done else []

    rules = eventually(evaluated, "every rule evaluated")
    assert {r["name"] for r in rules} == expected
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []


def test_every_dashboard_query_runs_on_prometheus(prometheus):
    assert DASHBOARD.exists()
    for panel in dashboard_panels():
        for target in panel["targets"]:
            # Grafana fills $__rate_interval in before Prometheus sees the query
            query = target["expr"].replace("$__rate_interval", "1m")
            assert metric_names(query), query
            api(prometheus, "query", query=query)
