"""The regional hub on the local stack (`actnow stack up --hub`): a Kafka cluster of its own,
MirrorMaker 2 replicating the national node's `<node>.regional` topic into it, and the hub's
indicators service (database `actnow_hub` on the same PostgreSQL server) building the regional
comparison from what arrives. The national node keeps everything else."""

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

HUB_PORTS = {"kafka": 59192, "kafka_controller": 59193, "indicators": 8113}
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
        self.port = _port("indicators")

    @property
    def database_url(self) -> str:
        return str(make_conninfo(self.national.postgres.url(), dbname=HUB_DATABASE))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self, echo: Callable[[str], None] = print) -> None:
        echo(f"hub Kafka   {'running' if self.kafka.running() else 'starting'}"
             f" on port {self.kafka.port}")  # fmt: skip
        self.kafka.start()
        self._database()
        migrate(self.database_url, "indicators", service_migrations("indicators"))
        echo("MirrorMaker 2 replicating "
             f"{self.national.config.node}.regional into the hub")  # fmt: skip
        self.mirror.log_file = self.national.config.logs / "mm2.log"
        self.mirror.start()
        self._service(echo)

    def _database(self) -> None:
        with psycopg.connect(self.national.postgres.url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (HUB_DATABASE,)).fetchone()  # fmt: skip
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(HUB_DATABASE)))

    def _service(self, echo: Callable[[str], None], timeout: float = 60.0) -> None:
        if not self.national._pid("hub-indicators") and port_open(self.port):
            raise StackError(f"Port {self.port} for the hub's indicators service is taken;"
                             " choose another (ACTNOW_HUB_INDICATORS_PORT).")  # fmt: skip
        env = {
            **os.environ, **self.national.environment(),
            "DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "ACTNOW_NODE": "hub", "ACTNOW_COUNTRIES": "",
            "REGIONAL_SOURCES": self.national.config.node,
            "ACTNOW_STATE_DIR": str(self.dir), "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "prometheus"),
        }  # fmt: skip
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        echo(f"hub         indicators on {self.url} (with its worker)")
        self.national._spawn("hub-indicators-worker", ["-m", "services.indicators.worker"], env)
        self.national._spawn("hub-indicators", [
            "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
            "services.indicators.wsgi:app"], env)  # fmt: skip
        if not wait_until(lambda: _answers_ok(f"{self.url}/healthz"), timeout, 0.3):
            raise StackError("The hub's indicators service did not start; see"
                             f" {self.national.config.logs / 'hub-indicators.log'}.")  # fmt: skip

    def status(self) -> list[ComponentStatus]:
        national = self.national
        return [
            ComponentStatus("hub-kafka", self.kafka.running(), self.kafka.pid, self.kafka.port,
                            self.kafka.bootstrap),
            ComponentStatus("mirrormaker2", self.mirror.pid is not None, self.mirror.pid, None,
                            f"{national.config.node}.regional -> hub"),
            ComponentStatus("hub-indicators", bool(national._pid("hub-indicators")),
                            national._pid("hub-indicators"), self.port, self.url),
            ComponentStatus("hub-indicators-worker", bool(national._pid("hub-indicators-worker")),
                            national._pid("hub-indicators-worker"), None,
                            "regional comparison read model"),
        ]  # fmt: skip

    def running(self) -> bool:
        return any(row.running for row in self.status())

    def down(self, echo: Callable[[str], None] = print) -> None:
        for name in ("hub-indicators", "hub-indicators-worker"):
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
