"""MirrorMaker 2 between national nodes' Kafka clusters and the hub's, from the Maven jars.

Only each node's `<node>.regional` topic is replicated (the disclosure-controlled values; case
data stay on the national cluster). The replication policy keeps topic names: `mk.regional` on
the MK cluster is `mk.regional` on the hub, since node names already tell countries apart.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from shared.stack.kafka import fetch_jars, jvm
from shared.stack.processes import (
    StackError,
    pid_alive,
    read_pid,
    stop_process_group,
    tail,
    write_pid,
)

MM2_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"
HUB = "hub"


def mm2_properties(sources: dict[str, str], hub_bootstrap: str, topic_prefix: str = "") -> str:
    """The dedicated-mode configuration: each source node's regional topic into the hub."""
    if not sources:
        raise StackError("MirrorMaker 2 needs at least one national node to replicate from")
    lines = [
        "# written by shared/stack/mirror.py; see deploy/kafka/README.md",
        f"clusters = {', '.join([*sources, HUB])}",
        *(f"{name}.bootstrap.servers = {bootstrap}" for name, bootstrap in sources.items()),
        f"{HUB}.bootstrap.servers = {hub_bootstrap}",
        # topic names stay as they are: node names already tell the countries apart
        "replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
    ]
    for name in sources:
        # java.util.Properties reads "\\." as "\." : a literal dot in the full-match regex
        topic = re.escape(f"{topic_prefix}{name}.regional").replace("\\", "\\\\")
        lines += [f"{name}->{HUB}.enabled = true", f"{name}->{HUB}.topics = {topic}"]
    lines += [
        # without it MM2 starts a herder for every ordered pair just to emit heartbeats
        "emit.heartbeats.enabled = false",
        "emit.checkpoints.enabled = false",
        "sync.group.offsets.enabled = false",
        # single-broker clusters: every default below is 2 or 3
        *(f"{setting} = 1" for setting in (
            "replication.factor", "offset-syncs.topic.replication.factor",
            "checkpoints.topic.replication.factor", "heartbeats.topic.replication.factor",
            "offset.storage.replication.factor", "status.storage.replication.factor",
            "config.storage.replication.factor", "offset.storage.partitions",
            "status.storage.partitions")),
        # topic discovery: the default refresh is 600 s
        "refresh.topics.interval.seconds = 5",
        "sync.topic.acls.enabled = false",
        # ServiceLoader manifests instead of a classpath scan: starts in ~3 s, not 9-13 s
        "plugin.discovery = service_load",
        f"{HUB}.plugin.discovery = service_load",
        # the regional topics are history too: keep them forever on the hub
        "sync.topic.configs.enabled = true",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


@dataclass
class MirrorMaker:
    workdir: Path
    sources: dict[str, str]
    hub_bootstrap: str
    topic_prefix: str = ""
    log_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.log_file = self.workdir / "mm2.log"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "mm2.pid"

    @property
    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if pid_alive(pid) else None

    def start(self) -> MirrorMaker:
        if self.pid is not None:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        props = self.workdir / "mm2.properties"
        props.write_text(mm2_properties(self.sources, self.hub_bootstrap, self.topic_prefix))
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                jvm(fetch_jars(), MM2_MAIN, str(props), heap="256m"),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        write_pid(self.pid_file, proc.pid)
        if proc.poll() is not None:
            raise StackError(f"MirrorMaker 2 exited at once; see {self.log_file}:\n"
                             + tail(self.log_file))  # fmt: skip
        return self

    def stop(self) -> None:
        pid = self.pid
        if pid is not None:
            stop_process_group(pid, 20)
        self.pid_file.unlink(missing_ok=True)

    def __enter__(self) -> MirrorMaker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
