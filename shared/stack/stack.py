"""`actnow stack up|status|down`: PostgreSQL, Kafka and the four services on fixed ports.

Everything the stack starts is recorded by PID under `<state>/run`, logs go to `<state>/logs`,
and `<state>/stack.env` tells tests and tools where to connect. A second `up` reuses what runs;
`down` stops exactly what `up` started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.db import migrate, service_migrations
from shared.settings import SERVICE_NAMES, WEB, SettingsError
from shared.stack.kafka import LocalKafka
from shared.stack.postgres import LocalPostgres
from shared.stack.processes import (
    ROOT,
    StackError,
    pid_alive,
    port_open,
    read_pid,
    stop_process_group,
    tail,
    wait_until,
    write_pid,
)

DEFAULT_PORTS = {
    "postgres": 55432,
    "kafka": 59092,
    "kafka_controller": 59093,
    "identity": 8101,
    "intake": 8102,
    "indicators": 8103,
    "reporting": 8104,
    "web": 8100,
}


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    node: str = "mk"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    gunicorn_workers: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StackConfig:
        env = os.environ if env is None else env
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            var = f"ACTNOW_{name.upper()}_PORT"
            raw = env.get(var, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise SettingsError(f"environment variable {var}={raw!r} is not a port number")
            ports[name] = int(raw)
        state = Path(env.get("ACTNOW_STATE_DIR", str(ROOT / ".local"))).resolve()
        workers = env.get("GUNICORN_WORKERS", "2")
        return cls(
            state_dir=state,
            node=env.get("ACTNOW_NODE", "mk").lower(),
            ports=ports,
            gunicorn_workers=int(workers) if workers.isdigit() else 2,
        )

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run(self) -> Path:
        return self.state_dir / "run"

    @property
    def env_file(self) -> Path:
        return self.state_dir / "stack.env"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    port: int | None
    address: str


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        pg_dir = Path(os.environ.get("ACTNOW_PG_DIR", str(config.state_dir / "pg")))
        self.postgres = LocalPostgres(
            pg_dir, config.ports["postgres"], config.logs / "postgres.log"
        )
        self.kafka = LocalKafka(
            config.state_dir / "kafka",
            config.ports["kafka"],
            config.ports["kafka_controller"],
            log_file=config.logs / "kafka.log",
        )

    # --- up -------------------------------------------------------------------------------
    def up(self, echo: Callable[[str], None] = print) -> None:
        self.config.logs.mkdir(parents=True, exist_ok=True)
        self.config.run.mkdir(parents=True, exist_ok=True)
        for name, server in (("PostgreSQL", self.postgres), ("Kafka", self.kafka)):
            state = "running" if server.running() else "starting"
            echo(f"{name:<11} {state} on port {server.port}")
            server.start()
        for service in SERVICE_NAMES:
            applied = migrate(self.postgres.url(), service, service_migrations(service))
            if applied:
                echo(f"migrated    {service}: {', '.join(applied)}")
        self.write_env()
        for service in SERVICE_NAMES:
            state = "running" if self._pid(service) else "starting"
            echo(f"{service:<11} {state} on {self.config.service_url(service)} (with its worker)")
            self.start_service(service)
        state = "running" if self._pid(WEB) else "starting"
        echo(f"{WEB:<11} {state} on {self.config.service_url(WEB)} (the pages people open)")
        self.start_service(WEB)

    def environment(self) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.postgres.url(),
            "KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "ACTNOW_NODE": self.config.node,
            "ACTNOW_STATE_DIR": str(self.config.state_dir),
            # one local node records the demo cases of all five partner countries
            "ACTNOW_COUNTRIES": os.environ.get("ACTNOW_COUNTRIES", "AL,BA,ME,MK,RS"),
            # and, being the only node, is its own regional hub for the comparison views
            "REGIONAL_SOURCES": os.environ.get("REGIONAL_SOURCES", self.config.node),
        }
        env.update({f"{s.upper()}_URL": self.config.service_url(s) for s in (*SERVICE_NAMES, WEB)})
        env["IDENTITY_JWKS_URL"] = f"{self.config.service_url('identity')}/.well-known/jwks.json"
        return env

    def write_env(self) -> None:
        lines = [f"{key}={value}" for key, value in self.environment().items()]
        self.config.env_file.write_text("\n".join(lines) + "\n")

    def start_service(self, service: str, timeout: float = 60.0) -> None:
        """Starts the service's worker (relay, signer, projections) and its gunicorn, and waits
        until /readyz answers 200, which needs the worker's relay heartbeat too."""
        port = self.config.ports[service]
        if not self._pid(service) and port_open(port):
            raise StackError(
                f"Port {port} for the {service} service is already taken by another program; "
                f"stop it or choose another port (ACTNOW_{service.upper()}_PORT)."
            )
        metrics_dir = self.config.run / "prometheus" / service
        if not self._pid(service) and not self._pid(f"{service}-worker"):
            shutil.rmtree(metrics_dir, ignore_errors=True)  # no stale samples from a last run
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **self.environment(),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(self.config.gunicorn_workers),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        # the web pages keep nothing, so they have no worker (relay, projections) of their own
        worker = None
        if service != WEB:
            worker = self._spawn(f"{service}-worker", ["-m", f"services.{service}.worker"], env)
        gunicorn = ["-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                    f"services.{service}.wsgi:app"]  # fmt: skip
        web = self._spawn(service, gunicorn, env)
        url = f"{self.config.service_url(service)}/readyz"

        def settled() -> bool:
            return any(p and p.poll() is not None for p in (worker, web)) or _answers_ok(url)

        if not wait_until(settled, timeout, 0.3) or not _answers_ok(url):
            for name in (service, f"{service}-worker"):
                pid = self._pid(name)
                if pid:
                    stop_process_group(pid)
                self._pid_file(name).unlink(missing_ok=True)
            log_file = self.config.logs / f"{service}.log"
            raise StackError(
                f"The {service} service did not become ready; see {log_file} and "
                f"{service}-worker.log:\n{tail(log_file, 10)}\n"
                f"{tail(self.config.logs / f'{service}-worker.log', 10)}"
            )

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen | None:
        """Starts `python args...` as a process group of its own, unless it runs already."""
        if self._pid(name):
            return None
        # glibc gives each thread that allocates an arena of its own (up to 8 per core); a
        # worker runs ~50 threads (relays, projections, Kafka clients, tasks), and the free
        # space each arena keeps after a burst adds up: under bench/load.py (issue 10) the
        # indicators worker's glibc heap went 38 -> 50 MB in 5 minutes, 25 -> 31 MB with two
        # arenas, the usual setting for threaded Python. The environment may set another.
        env = {"MALLOC_ARENA_MAX": "2", **env}
        with open(self.config.logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        write_pid(self._pid_file(name), proc.pid)
        return proc

    # --- status and down ------------------------------------------------------------------
    def status(self) -> list[ComponentStatus]:
        rows = [
            ComponentStatus(
                "postgres",
                self.postgres.running(),
                self.postgres.pid,
                self.postgres.port,
                self.postgres.url(),
            ),
            ComponentStatus(
                "kafka", self.kafka.running(), self.kafka.pid, self.kafka.port, self.kafka.bootstrap
            ),
        ]
        for service in (*SERVICE_NAMES, WEB):
            pid = self._pid(service)
            port = self.config.ports[service]
            rows.append(
                ComponentStatus(service, bool(pid) and port_open(port), pid, port,
                                self.config.service_url(service))
            )  # fmt: skip
        for service in SERVICE_NAMES:
            pid = self._pid(f"{service}-worker")
            rows.append(
                ComponentStatus(f"{service}-worker", bool(pid), pid, None,
                                "relay, checkpoint signer, projections")
            )  # fmt: skip
        return rows

    def down(self, echo: Callable[[str], None] = print) -> None:
        for service in reversed((*SERVICE_NAMES, WEB)):
            for name in (service, f"{service}-worker"):
                pid = self._pid(name)
                if pid:
                    echo(f"stopping {name} (pid {pid})")
                    stop_process_group(pid)
                self._pid_file(name).unlink(missing_ok=True)
        if self.kafka.pid:
            echo(f"stopping kafka (pid {self.kafka.pid})")
            self.kafka.stop()
        if self.postgres.pid:
            echo(f"stopping postgres (pid {self.postgres.pid})")
            self.postgres.stop()

    def _pid_file(self, name: str) -> Path:
        return self.config.run / f"{name}.pid"

    def _pid(self, name: str) -> int | None:
        pid = read_pid(self._pid_file(name))
        return pid if pid_alive(pid) else None


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def with_stack_defaults(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment, completed from the local stack's stack.env where it says nothing."""
    env = os.environ if env is None else env
    env_file = StackConfig.from_env(env).env_file
    defaults = read_stack_env(env_file) if env_file.exists() else {}
    return {**defaults, **env}


def read_stack_env(path: Path) -> dict[str, str]:
    """Parses a stack.env file (KEY=value lines)."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            env[key.strip()] = value.strip()
    return env
