"""A single-node KRaft Kafka broker started from jars fetched from Maven Central (no Docker).

Recipe and measured figures: deploy/kafka/README.md.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.stack.processes import (
    ROOT,
    StackError,
    free_port,
    pid_alive,
    port_open,
    read_pid,
    stop_process_group,
    tail,
    wait_until,
    write_pid,
)

KAFKA_DEPLOY = ROOT / "deploy" / "kafka"


def fetch_jars() -> Path:
    """Runs deploy/kafka/fetch.sh (idempotent, offline once fetched) and returns the lib folder."""
    if shutil.which("java") is None:
        raise StackError(
            "Java is not installed: install OpenJDK 17 (apt-get install openjdk-17-jdk-headless)."
        )
    if os.environ.get("KAFKA_LIB") and Path(os.environ["KAFKA_LIB"], ".complete").exists():
        return Path(os.environ["KAFKA_LIB"])
    run = subprocess.run(
        [str(KAFKA_DEPLOY / "fetch.sh")], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["fetch.sh failed"])[-1]
        raise StackError(f"Could not fetch the Kafka jars: {last}")
    return Path(run.stdout.strip().splitlines()[-1])


def new_cluster_id() -> str:
    # the random-uuid shape: 16 random bytes, URL-safe base64, no padding
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def jvm(lib: Path, main: str, *args: str, heap: str = "512m", quick: bool = False) -> list[str]:
    cmd = [
        "java",
        "-Xms128m",
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={KAFKA_DEPLOY / 'log4j2.properties'}",
    ]
    if quick:
        cmd.append("-XX:TieredStopAtLevel=1")  # short-lived tools start faster
    return [*cmd, "-cp", f"{lib}/*", main, *args]


def format_storage(lib: Path, props: Path, cluster_id: str) -> subprocess.CompletedProcess[str]:
    """Formats the broker's data folder (static quorum: no --standalone); output in .stdout."""
    return subprocess.run(
        jvm(lib, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
            "--config", str(props), heap="256m", quick=True),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180, check=False,
    )  # fmt: skip


@dataclass
class LocalKafka:
    """A broker whose data, config and PID live in workdir; its log goes to log_file."""

    workdir: Path
    port: int = 0
    controller_port: int = 0
    heap: str = "512m"
    log_file: Path | None = None

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.log_file = Path(self.log_file or self.workdir / "broker.log")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "broker.pid"

    @property
    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if pid_alive(pid) else None

    def running(self) -> bool:
        return self.pid is not None and port_open(self.port)

    def start(self, timeout: float = 120.0) -> LocalKafka:
        if self.running():
            return self
        for port, what in ((self.port, "broker"), (self.controller_port, "controller")):
            if port_open(port):
                raise StackError(
                    f"Port {port} for the Kafka {what} is already taken by another program; "
                    "stop it or choose other ports "
                    "(ACTNOW_KAFKA_PORT, ACTNOW_KAFKA_CONTROLLER_PORT)."
                )
        lib = fetch_jars()
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        props = self.workdir / "server.properties"
        template = (KAFKA_DEPLOY / "server.properties.tmpl").read_text()
        props.write_text(template.format(port=self.port, cport=self.controller_port, data=data))
        self._format_once(lib, props, data)
        assert self.log_file is not None
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:  # a file, never an undrained pipe
            proc = subprocess.Popen(
                jvm(lib, "kafka.Kafka", str(props), heap=self.heap),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        write_pid(self.pid_file, proc.pid)
        # the broker binds its fixed port only at the very end of start-up: open port = ready
        ready = wait_until(lambda: proc.poll() is not None or port_open(self.port), timeout, 0.25)
        if proc.poll() is not None:
            raise StackError(
                f"The Kafka broker exited with code {proc.returncode}; see {self.log_file}:\n"
                + tail(self.log_file)
            )
        if not ready:
            self.stop()
            raise StackError(
                f"The Kafka broker was not ready after {timeout:.0f} s; see {self.log_file}."
            )
        return self

    def _format_once(self, lib: Path, props: Path, data: Path) -> None:
        if (data / "meta.properties").exists():
            return  # formatted before: keep the data across restarts
        id_file = self.workdir / "cluster-id"
        if not id_file.exists():
            id_file.write_text(new_cluster_id())
        fmt = format_storage(lib, props, id_file.read_text().strip())
        (self.workdir / "format.log").write_text(fmt.stdout)
        if fmt.returncode != 0:
            raise StackError(
                f"Formatting the Kafka storage failed; see {self.workdir / 'format.log'}."
            )

    def stop(self, timeout: float = 20.0) -> None:
        pid = self.pid
        if pid is not None:
            stop_process_group(pid, timeout)
        self.pid_file.unlink(missing_ok=True)

    def __enter__(self) -> LocalKafka:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
