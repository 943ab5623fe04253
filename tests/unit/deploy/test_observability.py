"""The Prometheus alert rules, scrape config and Grafana dashboard in deploy/ name only metrics
the code exports, cover what an operator must be told about, and scrape what compose runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from shared.settings import SERVICE_NAMES
from shared.stack.processes import ROOT
from tests.unit.deploy.code_reads import exported_metrics, sample_names
from tests.unit.deploy.compose_file import load_compose
from tests.unit.deploy.promql import metric_names
from tests.unit.deploy.test_compose import OPERATOR_ENV

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "actnow.json"
# what an operator must hear about (issue 9): relay lag, projection lag, dead letters,
# checkpoint age, 5xx rate
MUST_ALERT_ON = {
    "actnow_relay_lag_events", "actnow_projection_lag_records", "actnow_dead_letters_total",
    "actnow_checkpoint_tree_size", "actnow_http_requests_total",
}  # fmt: skip


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def test_every_alert_names_only_metrics_the_code_exports():
    for rule in alert_rules():
        unknown = metric_names(rule["expr"]) - sample_names()
        assert not unknown, f"{rule['alert']} reads {sorted(unknown)}"


def test_the_alerts_cover_lags_dead_letters_checkpoints_and_server_errors():
    used = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))
    assert used >= MUST_ALERT_ON
    assert any('status=~"5.."' in rule["expr"] for rule in alert_rules())


def test_every_alert_tells_the_operator_what_is_wrong():
    for rule in alert_rules():
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule
        assert rule["labels"]["severity"] in ("warning", "critical"), rule


def test_every_dashboard_panel_queries_only_metrics_the_code_exports():
    for panel in dashboard_panels():
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names, f"{panel['title']}: {target['expr']} reads no metric"
            assert names <= sample_names(), f"{panel['title']} reads {names - sample_names()}"


def test_the_dashboard_shows_every_metric_family_of_the_code():
    used = set().union(*(metric_names(t["expr"]) for p in dashboard_panels() for t in p["targets"]))
    families = {name.removesuffix("_bucket").removesuffix("_total") for name in used}
    assert set(exported_metrics()) - {"actnow_append_seconds", "actnow_projection_applied"} <= (
        families
    )


def test_dashboard_panels_have_unique_ids_and_do_not_overlap():
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells = [(p["gridPos"]["x"] + dx, p["gridPos"]["y"] + dy) for p in panels
             for dx in range(p["gridPos"]["w"]) for dy in range(p["gridPos"]["h"])]  # fmt: skip
    assert len(cells) == len(set(cells))


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_prometheus_scrapes_each_service_where_compose_runs_it(service: str):
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    (target,) = [t for c in jobs[service]["static_configs"] for t in c["targets"]]
    host, port = target.split(":")
    spec = load_compose(OPERATOR_ENV)["services"][host]
    assert spec["command"][-1] == f"services.{service}.wsgi:app"
    assert spec["ports"][0].endswith(f":{port}")
    assert jobs[service].get("metrics_path", "/metrics") == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
