"""A stack of the benchmark's own for bench/faults.py and bench/load.py: PostgreSQL, Kafka and
the four services with their workers (no web front) on free ports, state in a temporary folder,
so a developer's stack on the default ports (`.local`) is never touched. Also what both
benchmarks read from it: tokens, process memory, projection lag. And, for bench/faults.py, the
regional hub next to it (`start_hub`: a Kafka cluster of its own, MirrorMaker 2, the hub's
indicators and reporting services with their workers, on free ports too).

This process's environment becomes the stack's (as `tests/product.py` builds it), because
`Stack.start_service` passes `os.environ` on to what it starts; a benchmark is a process of its
own, so nothing else sees the change.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from services.identity.signing_keys import KeyRing  # noqa: E402
from shared.db import migrate, service_migrations  # noqa: E402
from shared.settings import SERVICE_NAMES  # noqa: E402
from shared.stack.postgres import LocalPostgres  # noqa: E402
from shared.stack.processes import pid_alive, read_pid  # noqa: E402
from shared.stack.stack import Stack, StackConfig  # noqa: E402
from tests.product import free_ports, product_environment  # noqa: E402

if TYPE_CHECKING:
    from shared.stack.hub import HubStack

COUNTRY = "MK"
sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in a log


def start_own_stack(prefix: str, echo=print) -> Stack:  # type: ignore[no-untyped-def]
    """Starts PostgreSQL, Kafka and every service with its worker in a new temporary folder."""
    state_dir = Path(tempfile.mkdtemp(prefix=f"actnow-{prefix}-"))
    state_dir.chmod(0o755)  # the cluster in state_dir/pg runs as `postgres` when we are root
    env = product_environment(state_dir)
    env.update({"ACTNOW_COUNTRIES": COUNTRY, "GUNICORN_ACCESSLOG": "", "LOG_LEVEL": "warning"})
    os.environ.clear()
    os.environ.update(env)
    stack = Stack(StackConfig.from_env(env))
    stack.config.logs.mkdir(parents=True, exist_ok=True)
    stack.config.run.mkdir(parents=True, exist_ok=True)
    try:
        stack.postgres.start()
        stack.kafka.start()
        for service in SERVICE_NAMES:
            migrate(stack.postgres.url(), service, service_migrations(service))
        stack.write_env()
        for service in SERVICE_NAMES:
            echo(f"starting {service} on {stack.config.service_url(service)}")
            # generous: on a busy two-core machine a service took over 4 minutes to be ready
            stack.start_service(service, timeout=600)
    except BaseException:
        stop_own_stack(stack)
        raise
    echo(f"stack of its own up: state in {state_dir}")
    return stack


def stop_own_stack(stack: Stack, keep: bool = False) -> None:
    """Stops everything the stack started and (unless kept) deletes its data. A throwaway
    stack needs no clean shutdown: its processes are killed at once."""
    if keep:
        stack.down(echo=lambda _: None)
        return
    for name in (*SERVICE_NAMES, *(f"{s}-worker" for s in SERVICE_NAMES)):
        pid = leader_pid(stack, name)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    kafka = stack.kafka.pid
    if kafka:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(kafka, signal.SIGKILL)
    LocalPostgres(stack.config.state_dir / "pg", stack.config.ports["postgres"]).destroy()
    shutil.rmtree(stack.config.state_dir, ignore_errors=True)


def start_hub(stack: Stack, echo=print) -> HubStack:  # type: ignore[no-untyped-def]
    """Starts the regional hub next to the bench's own national stack: its Kafka, MirrorMaker 2
    from the node's regional topic, and the hub's services with their workers (database
    `actnow_hub` on the stack's PostgreSQL), on free ports (ACTNOW_HUB_*_PORT in this process's
    environment, which the hub's processes inherit), never a developer's hub ports."""
    from shared.stack.hub import HUB_PORTS, HUB_SERVICES, HubStack  # bench/load.py needs no hub

    class BenchHub(HubStack):
        """The hub as `actnow stack up --hub` starts it, but waiting up to 10 minutes (not 60 s)
        for each of its services to answer: on the busy two-core machine one took over 4."""

        def _service(self, service: str, echo: Callable[[str], None], timeout: float = 600.0
                     ) -> None:  # fmt: skip
            super()._service(service, echo, max(timeout, 600.0))

    taken = {*HUB_PORTS.values(), *stack.config.ports.values()}  # the web port is not bound
    ports: list[int] = []
    while len(ports) < len(HUB_PORTS):
        ports += [p for p in free_ports(1) if p not in taken and p not in ports]
    os.environ.update({f"ACTNOW_HUB_{name.upper()}_PORT": str(port)
                       for name, port in zip(HUB_PORTS, ports, strict=True)})  # fmt: skip
    hub = BenchHub(stack)
    try:
        hub.kafka.start(timeout=300)  # before up(), which would wait only 120 s for it
        hub.up(echo)
    except BaseException:
        stop_hub(stack, hub)
        raise
    echo(f"hub up: Kafka {hub.kafka.bootstrap}, "
         + ", ".join(f"{s} {hub.service_url(s)}" for s in HUB_SERVICES))  # fmt: skip
    return hub


def stop_hub(stack: Stack, hub: HubStack, keep: bool = False) -> None:
    """Stops everything the hub started (SIGKILL, as for the national stack: its data go with
    the stack's folder and PostgreSQL cluster), or with `keep` shuts it down cleanly."""
    from shared.stack.hub import HUB_SERVICES

    if keep:
        hub.down(echo=lambda _: None)
        return
    names = [n for s in HUB_SERVICES for n in (f"hub-{s}", f"hub-{s}-worker")]
    leaders = [leader_pid(stack, name) for name in names]
    for pid in (*leaders, hub.mirror.pid, hub.kafka.pid):
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def token(stack: Stack, user: str, role: str) -> str:
    """A bearer token for `user` with `role` in the country, signed as a sign-in would be."""
    ring = KeyRing(stack.config.state_dir / "keys" / "identity-tokens", timedelta(hours=3))
    return ring.sign({"sub": user, "org": "", "grants": [{"role": role, "scope": COUNTRY}]})


def leader_pid(stack: Stack, name: str) -> int | None:
    """The process-group leader the stack recorded for `name` (a service or `<service>-worker`)."""
    pid = read_pid(stack.config.run / f"{name}.pid")
    return pid if pid_alive(pid) else None


def group_members(leader: int) -> list[int]:
    """The processes of a process group: a gunicorn master and its workers, or a worker."""
    return _live_processes(PGRP, leader)


def children_of(parent: int) -> list[int]:
    """The live child processes of `parent` (PostgreSQL's backends and helpers)."""
    return _live_processes(PPID, parent)


# positions in /proc/<pid>/stat after the command name (proc(5): state, ppid, pgrp, ...)
STATE, PPID, PGRP = 0, 1, 2


def _live_processes(position: int, value: int) -> list[int]:
    """The processes (not zombies) whose stat field at `position` is `value`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[position]) == value and fields[STATE] != "Z":
            found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process; with `children`, also of the children it has
    waited for (a gunicorn master's exited workers, PostgreSQL's exited backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[11:15] are utime, stime, cutime, cstime in clock ticks (proc(5), from field 14)
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each part of the stack: every service's gunicorn (master and
    workers) and worker, PostgreSQL (the postmaster and every backend) and the Kafka broker."""
    found: dict[str, float] = {}
    leaders = {name: leader_pid(stack, name)
               for service in SERVICE_NAMES for name in (service, f"{service}-worker")}  # fmt: skip
    leaders["kafka"] = stack.kafka.pid
    leaders["postgresql"] = stack.postgres.pid
    for name, leader in leaders.items():
        if leader is None:
            continue
        members = children_of(leader) if name == "postgresql" else group_members(leader)
        found[name] = cpu_seconds(leader, children=True) + sum(
            cpu_seconds(pid) for pid in members if pid != leader
        )
    return found


def process_rss(stack: Stack) -> dict[str, float]:
    """RSS in MB of every process the services run: `intake` (gunicorn master), `intake[123]`
    (a gunicorn worker), `intake-worker`."""
    found: dict[str, float] = {}
    for service in SERVICE_NAMES:
        for name in (service, f"{service}-worker"):
            leader = leader_pid(stack, name)
            if leader is None:
                continue
            for pid in group_members(leader):
                rss = rss_mb(pid)
                if rss is not None:
                    found[name if pid == leader else f"{name}[{pid}]"] = rss
    return found


def projection_lags(conn: psycopg.Connection) -> dict[str, int]:
    """Each live projection's lag in records, as its runner last reported it (heartbeat), and
    each relay's: events in the log not yet acknowledged by Kafka."""
    lags: dict[str, int] = {}
    for service in SERVICE_NAMES:
        q = sql.Identifier(service)
        live = sql.SQL(
            "SELECT projection, coalesce(lag, -1) FROM {}.projection_generations"
            " WHERE state = 'live'"
        ).format(q)
        rows = conn.execute(live).fetchall()
        lags.update({f"{service}.{name}": int(lag) for name, lag in rows})
        row = conn.execute(
            sql.SQL("SELECT (SELECT coalesce(max(log_index), 0) FROM {0}.events)"
                    " - coalesce((SELECT max(log_index) FROM {0}.relay_position"
                    " WHERE topic LIKE '%.events'), 0)").format(q)
        ).fetchone()  # fmt: skip
        lags[f"{service}.relay"] = int(row[0]) if row else -1
    return lags
