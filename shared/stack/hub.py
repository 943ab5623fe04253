"""The regional hub on the local stack (`actnow stack up --hub`): a Kafka cluster of its own,
MirrorMaker 2 replicating the national node's `<node>.regional` topic into it, and the hub's
indicators and reporting services (database `actnow_hub` on the same PostgreSQL server): the
regional comparison and the regional report, built from what arrives. The national node keeps
everything else; the hub's services accept the national identity service's tokens."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from shared.db import migrate, service_migrations
from shared.stack.kafka import LocalKafka
from shared.stack.mirror import MirrorMaker
from shared.stack.processes import ROOT, StackError, port_open, stop_process_group, wait_until
from shared.stack.stack import ComponentStatus, Stack, _answers_ok

HUB_PORTS = {"kafka": 59192, "kafka_controller": 59193, "indicators": 8113, "reporting": 8114}
HUB_SERVICES = ("indicators", "reporting")
HUB_DATABASE = "actnow_hub"


class HubStack:
    def __init__(self, national: Stack) -> None:
        self.national = national
        self.dir = national.config.state_dir / "hub"
        self.kafka = LocalKafka(self.dir / "kafka", _port("kafka"), _port("kafka_controller"),
                                log_file=national.config.logs / "hub-kafka.log")  # fmt: skip
        node = national.config.node
        self.mirror = MirrorMaker(self.dir / "mm2", {node: national.kafka.bootstrap},
                                  self.kafka.bootstrap)  # fmt: skip
        self.ports = {service: _port(service) for service in HUB_SERVICES}

    @property
    def database_url(self) -> str:
        return str(make_conninfo(self.national.postgres.url(), dbname=HUB_DATABASE))

    @property
    def url(self) -> str:
        """The hub's indicators service (the regional comparison)."""
        return self.service_url("indicators")

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def up(self, echo: Callable[[str], None] = print) -> None:
        echo(f"hub Kafka   {'running' if self.kafka.running() else 'starting'}"
             f" on port {self.kafka.port}")  # fmt: skip
        self.kafka.start()
        self._database()
        for service in HUB_SERVICES:
            migrate(self.database_url, service, service_migrations(service))
        echo("MirrorMaker 2 replicating "
             f"{self.national.config.node}.regional into the hub")  # fmt: skip
        self.mirror.log_file = self.national.config.logs / "mm2.log"
        self.mirror.start()
        for service in HUB_SERVICES:
            self._service(service, echo)

    def _database(self) -> None:
        with psycopg.connect(self.national.postgres.url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (HUB_DATABASE,)).fetchone()  # fmt: skip
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(HUB_DATABASE)))

    def _service(self, service: str, echo: Callable[[str], None], timeout: float = 60.0) -> None:
        name, port = f"hub-{service}", self.ports[service]
        if not self.national._pid(name) and port_open(port):
            raise StackError(f"Port {port} for the hub's {service} service is taken;"
                             f" choose another (ACTNOW_HUB_{service.upper()}_PORT).")  # fmt: skip
        env = {
            **os.environ, **self.national.environment(),
            "DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "ACTNOW_NODE": "hub", "ACTNOW_COUNTRIES": "",
            "REGIONAL_SOURCES": self.national.config.node,
            "ACTNOW_STATE_DIR": str(self.dir), "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "prometheus" / service),
        }  # fmt: skip
        for national_only in ("INTAKE_URL", "INDICATORS_URL"):  # the hub has no national history
            env.pop(national_only, None)
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        echo(f"hub         {service} on {self.service_url(service)} (with its worker)")
        self.national._spawn(f"{name}-worker", ["-m", f"services.{service}.worker"], env)
        self.national._spawn(name, [
            "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
            f"services.{service}.wsgi:app"], env)  # fmt: skip
        if not wait_until(lambda: _answers_ok(f"{self.service_url(service)}/healthz"), timeout,
                          0.3):  # fmt: skip
            raise StackError(f"The hub's {service} service did not start; see"
                             f" {self.national.config.logs / (name + '.log')}.")  # fmt: skip

    def status(self) -> list[ComponentStatus]:
        national = self.national
        return [
            ComponentStatus("hub-kafka", self.kafka.running(), self.kafka.pid, self.kafka.port,
                            self.kafka.bootstrap),
            ComponentStatus("mirrormaker2", self.mirror.pid is not None, self.mirror.pid, None,
                            f"{national.config.node}.regional -> hub"),
            *(row for service in HUB_SERVICES for row in self._service_status(service)),
        ]  # fmt: skip

    def _service_status(self, service: str) -> list[ComponentStatus]:
        pid = self.national._pid
        name = f"hub-{service}"
        what = {"indicators": "regional comparison read model",
                "reporting": "regional follow-up read model, signer"}[service]  # fmt: skip
        return [
            ComponentStatus(name, bool(pid(name)), pid(name), self.ports[service],
                            self.service_url(service)),
            ComponentStatus(f"{name}-worker", bool(pid(f"{name}-worker")), pid(f"{name}-worker"),
                            None, what),
        ]  # fmt: skip

    def running(self) -> bool:
        return any(row.running for row in self.status())

    def down(self, echo: Callable[[str], None] = print) -> None:
        for name in (n for s in HUB_SERVICES for n in (f"hub-{s}", f"hub-{s}-worker")):
            pid = self.national._pid(name)
            if pid:
                echo(f"stopping {name} (pid {pid})")
                stop_process_group(pid)
            self.national._pid_file(name).unlink(missing_ok=True)
        if self.mirror.pid:
            echo(f"stopping mirrormaker2 (pid {self.mirror.pid})")
            self.mirror.stop()
        if self.kafka.pid:
            echo(f"stopping hub kafka (pid {self.kafka.pid})")
            self.kafka.stop()


def _port(name: str) -> int:
    raw = os.environ.get(f"ACTNOW_HUB_{name.upper()}_PORT", str(HUB_PORTS[name]))
    if not raw.isdigit():
        raise StackError(f"ACTNOW_HUB_{name.upper()}_PORT={raw!r} is not a port number")
    return int(raw)
