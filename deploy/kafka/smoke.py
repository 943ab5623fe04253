"""One-time smoke test of the Maven-fetched Kafka broker and MirrorMaker 2 (no Docker).

Performs section 8 of the "Kafka without Docker" recipe against real JVMs, then prints a table
of measured figures and a verdict per check:

1. deploy/kafka/fetch.sh re-run on a complete lib folder (offline), size of the folder, and a
   `mvn dependency:tree` check (one Kafka version, SLF4J 1.7.36 with log4j-slf4j-impl);
2. one broker in a temp dir: storage format and start-to-port-open timed separately, RSS;
3. kafka-python 3.0.x: create/delete topics, 1,000 records through a consumer group, one
   aborted and one committed transaction read back with read_committed;
4. three brokers (mk, al, hub) and MirrorMaker 2 configured from deploy/kafka/mm2.properties.tmpl:
   MM2 start to first replicated record, RSS of every JVM;
5. everything is stopped, also on failure, and no broker or MM2 JVM may be left running.

Run from the repository root: .venv/bin/python deploy/kafka/smoke.py [--keep]
Exit code 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetSpec, TopicPartition
from kafka.errors import KafkaError

from shared.stack.kafka import KAFKA_DEPLOY, LocalKafka, format_storage, jvm, new_cluster_id
from shared.stack.processes import ROOT, pid_alive, stop_process_group, tail, wait_until

KAFKA_VERSION = "4.3.1"
SLF4J_VERSION = "1.7.36"
RECORDS = 1_000
MIRRORED = 10
MM2_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"


def now() -> float:
    return time.monotonic()


def secs(start: float, end: float | None = None) -> str:
    return f"{(end if end is not None else now()) - start:.2f} s"


@dataclass
class Report:
    """Measured figures and check verdicts, echoed as they come in and tabulated at the end."""

    figures: list[tuple[str, str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    section: str = ""

    def begin(self, section: str) -> None:
        self.section = section
        print(f"\n== {section}", flush=True)

    def figure(self, name: str, value: str) -> None:
        self.figures.append((self.section, name, value))
        print(f"   {name}: {value}", flush=True)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        print(
            f"   [{'PASS' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True
        )
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"   note: {text}", flush=True)

    def render(self) -> str:
        width = max((len(name) for _, name, _ in self.figures), default=10)
        lines = ["", "=" * 100, "FIGURES", "=" * 100]
        current = None
        for section, name, value in self.figures:
            if section != current:
                lines.append(f"-- {section}")
                current = section
            lines.append(f"   {name.ljust(width)}  {value}")
        lines += ["", "CHECKS"]
        for name, ok, detail in self.checks:
            lines.append(
                f"   [{'PASS' if ok else 'FAIL'}] {name}{'  (' + detail + ')' if detail else ''}"
            )
        if self.notes:
            lines += ["", "NOTES"]
            lines += [f"   - {text}" for text in self.notes]
        passed = sum(ok for _, ok, _ in self.checks)
        lines += ["", f"{passed}/{len(self.checks)} checks passed", "=" * 100]
        return "\n".join(lines)


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    out = subprocess.run(
        ["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout.strip()
    return int(out) / 1024 if out else None


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def wait_for_log(path: Path, text: str, timeout: float) -> bool:
    def found() -> bool:
        try:
            return text in path.read_text(errors="replace")
        except OSError:
            return False

    return wait_until(found, timeout, 0.25)


LOG_LINE = re.compile(r"^\[[^\]]+\] (WARN|ERROR) (.*)$")


def log_problems(path: Path) -> Counter[str]:
    """WARN/ERROR lines (numbers folded to #) and SLF4J complaints, counted by message."""
    problems: Counter[str] = Counter()
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return problems
    for line in lines:
        match = LOG_LINE.match(line)
        if match:
            problems[f"{match[1]} {re.sub(r'[0-9]+', '#', match[2])[:160]}"] += 1
        elif line.startswith(("SLF4J", "Exception in thread", "ERROR StatusLogger")):
            problems[line[:160]] += 1
    return problems


def report_logs(report: Report, logs: dict[str, Path]) -> None:
    for name, path in logs.items():
        problems = log_problems(path)
        warns = sum(n for key, n in problems.items() if key.startswith("WARN"))
        errors = sum(n for key, n in problems.items() if key.startswith("ERROR"))
        report.figure(f"{name} log WARN / ERROR lines", f"{warns} / {errors}  ({path})")
        for key, count in problems.most_common(8):
            report.note(f"{name} log x{count}: {key}")


# -- 1. jars ---------------------------------------------------------------------------------


def parse_tree(text: str) -> list[tuple[str, str, str]]:
    """(groupId, artifactId, version) of every node of a `mvn dependency:tree` output file."""
    coord = re.compile(
        r"([\w.\-]+):([\w.\-]+):[\w\-]+(?::[\w.\-]+)?:([\w.\-]+):(?:compile|runtime|provided|test|system)"
    )
    return [(m[1], m[2], m[3]) for m in map(coord.search, text.splitlines()) if m]


def step_jars(report: Report) -> Path:
    report.begin("1. jars (deploy/kafka/fetch.sh, dependency:tree)")
    start = now()
    run = subprocess.run(
        [str(KAFKA_DEPLOY / "fetch.sh")], capture_output=True, text=True, check=False, cwd=ROOT
    )
    report.figure("fetch.sh re-run (lib complete, offline)", f"{(now() - start) * 1000:.0f} ms")
    if not report.check("fetch.sh exits 0", run.returncode == 0, run.stderr.strip()[-300:]):
        raise RuntimeError("fetch.sh failed")
    lib = Path(run.stdout.strip().splitlines()[-1])
    jars = sorted(lib.glob("*.jar"))
    report.figure("lib folder", str(lib))
    report.figure(
        "jars / total size",
        f"{len(jars)} jars, {sum(j.stat().st_size for j in jars) / 2**20:.1f} MB",
    )
    slf4j_jars = [j.name for j in jars if j.name.startswith("slf4j-api-")]
    report.check(
        "lib: exactly one slf4j-api jar",
        slf4j_jars == [f"slf4j-api-{SLF4J_VERSION}.jar"],
        ", ".join(slf4j_jars),
    )

    tree_file = Path("/tmp/tree.txt")
    tree_file.unlink(missing_ok=True)
    start = now()
    mvn = subprocess.run(
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            "deploy/kafka/pom.xml",
            "dependency:tree",
            f"-DoutputFile={tree_file}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    report.figure("mvn dependency:tree", secs(start))
    if not report.check(
        "mvn dependency:tree exits 0",
        mvn.returncode == 0 and tree_file.exists(),
        "" if mvn.returncode == 0 else (mvn.stdout + mvn.stderr).strip()[-300:],
    ):
        return lib
    nodes = parse_tree(tree_file.read_text())
    report.figure("dependency:tree nodes", str(len(nodes)))
    kafka = {v for g, _, v in nodes if g == "org.apache.kafka"}
    slf4j = [v for g, a, v in nodes if (g, a) == ("org.slf4j", "slf4j-api")]
    artifacts = {a for _, a, _ in nodes}
    report.check(
        f"tree: single org.apache.kafka version ({KAFKA_VERSION})",
        kafka == {KAFKA_VERSION},
        ", ".join(sorted(kafka)),
    )
    report.check(
        f"tree: single slf4j-api ({SLF4J_VERSION})", slf4j == [SLF4J_VERSION], ", ".join(slf4j)
    )
    report.check("tree: log4j-slf4j-impl present", "log4j-slf4j-impl" in artifacts)
    bad = sorted(
        artifacts & {"log4j-slf4j2-impl", "slf4j-reload4j", "slf4j-log4j12", "slf4j-simple"}
    )
    report.check("tree: no log4j-slf4j2-impl / slf4j-reload4j", not bad, ", ".join(bad))
    return lib


# -- 2. one broker ---------------------------------------------------------------------------


def step_single_broker(report: Report, lib: Path, work: Path, stack: ExitStack) -> LocalKafka:
    report.begin("2. one broker")
    broker = LocalKafka(work / "single")
    stack.callback(broker.stop)
    data = broker.workdir / "data"
    data.mkdir(parents=True)
    props = broker.workdir / "server.properties"
    template = (KAFKA_DEPLOY / "server.properties.tmpl").read_text()
    props.write_text(template.format(port=broker.port, cport=broker.controller_port, data=data))
    cluster_id = new_cluster_id()
    (broker.workdir / "cluster-id").write_text(cluster_id)

    start = now()
    fmt = format_storage(lib, props, cluster_id)
    report.figure("storage format (StorageTool JVM)", secs(start))
    (broker.workdir / "format.log").write_text(fmt.stdout)
    report.check(
        "StorageTool format exits 0, meta.properties written",
        fmt.returncode == 0 and (data / "meta.properties").exists(),
        (fmt.stdout.strip().splitlines() or [""])[-1][-200:],
    )

    start = now()
    broker.start()  # meta.properties exists, so this only launches kafka.Kafka and waits
    report.figure("kafka.Kafka launch to port open", secs(start))
    report.figure("broker bootstrap", broker.bootstrap)
    assert broker.log_file is not None
    report.check(
        "broker.log contains 'Kafka Server started'",
        wait_for_log(broker.log_file, "Kafka Server started", 15),
        str(broker.log_file),
    )
    report.pids.append(broker.pid or 0)
    report.figure("broker RSS after start", fmt_mb(rss_mb(broker.pid)))
    return broker


# -- 3. kafka-python -------------------------------------------------------------------------


def read_all(
    bootstrap: str, topic: str, isolation: str = "read_uncommitted", timeout: float = 30.0
) -> list[bytes]:
    """Every record value of partition 0, from the beginning to the end offset, without a group."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        isolation_level=isolation,
        enable_auto_commit=False,
    )
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        values: list[bytes] = []
        deadline = now() + timeout
        while consumer.position(tp) < end and now() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def step_clients(report: Report, broker: LocalKafka) -> None:
    report.begin("3. kafka-python 3.0.x against one broker")
    bootstrap = broker.bootstrap
    one = {"num_partitions": 1, "replication_factor": 1}
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        start = now()
        admin.create_topics(
            {"smoke.events": one, "smoke.tx": one, "smoke.doomed": one}, wait_for_metadata=True
        )
        report.figure("create_topics x3 (dict form, wait_for_metadata=True)", secs(start))
        topics = set(admin.list_topics())
        report.check(
            "create_topics: all three topics listed",
            {"smoke.events", "smoke.tx", "smoke.doomed"} <= topics,
        )
        start = now()
        admin.delete_topics(["smoke.doomed"])
        gone = wait_until(lambda: "smoke.doomed" not in admin.list_topics(), 30, 0.2)
        report.figure("delete_topics until gone from metadata", secs(start))
        report.check("delete_topics: topic gone", gone)

    payload = b"x" * 100
    start = now()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    report.figure("KafkaProducer() incl. bootstrap", secs(start))
    try:
        start = now()
        futures = [
            producer.send("smoke.events", key=str(i).encode(), value=b"%d:" % i + payload)
            for i in range(RECORDS)
        ]
        producer.flush()
        last = futures[-1].get(timeout=10)
        elapsed = now() - start
    finally:
        producer.close()
    report.figure(
        f"produce {RECORDS:,} x ~105 B (idempotent, acks=all) + flush",
        f"{elapsed:.2f} s = {RECORDS / elapsed:,.0f} rec/s",
    )
    report.check("produce: last offset", last.offset == RECORDS - 1, f"offset {last.offset}")

    start = now()
    consumer = KafkaConsumer(
        "smoke.events",
        bootstrap_servers=bootstrap,
        group_id="smoke-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=10_000,
    )
    values: list[bytes] = []
    first: float | None = None
    try:
        deadline = now() + 90
        while len(values) < RECORDS and now() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                if records and first is None:
                    first = now()
                values.extend(r.value for r in records)
        total = now() - start
        consumer.commit()
        committed = consumer.committed(TopicPartition("smoke.events", 0))
    finally:
        consumer.close()
    if first is not None:
        report.figure("consumer: construct to first record (incl. group join)", secs(start, first))
        rest = total - (first - start)
        report.figure(
            f"consumer: all {RECORDS:,} records",
            f"{total:.2f} s total; {RECORDS / max(rest, 1e-3):,.0f} rec/s after the first",
        )
    expected = [b"%d:" % i + payload for i in range(RECORDS)]
    report.check(
        f"consumer group: {RECORDS:,} records, in order", values == expected, f"got {len(values)}"
    )
    report.check("consumer group: offset committed", committed == RECORDS, f"committed {committed}")

    start = now()
    tx = KafkaProducer(bootstrap_servers=bootstrap, transactional_id="smoke-tx")
    try:
        tx.init_transactions()
        report.figure("transactional producer: construct + init_transactions", secs(start))
        start = now()
        tx.begin_transaction()
        for i in range(5):
            tx.send("smoke.tx", value=b"aborted-%d" % i)
        tx.flush()  # the aborted records really reach the log, so the reader must skip them
        tx.abort_transaction()
        tx.begin_transaction()
        for i in range(5):
            tx.send("smoke.tx", value=b"committed-%d" % i)
        tx.commit_transaction()
        report.figure("abort (5 records) + commit (5 records)", secs(start))
    finally:
        tx.close()
    committed_values = read_all(bootstrap, "smoke.tx", "read_committed")
    all_values = read_all(bootstrap, "smoke.tx", "read_uncommitted")
    report.check(
        "read_committed sees only the 5 committed records",
        committed_values == [b"committed-%d" % i for i in range(5)],
        ", ".join(v.decode() for v in committed_values),
    )
    report.check(
        "read_uncommitted sees all 10 (aborted data is in the log)",
        len(all_values) == 10,
        f"got {len(all_values)}",
    )
    report.figure("broker RSS after the client tests", fmt_mb(rss_mb(broker.pid)))


# -- 4. three brokers + MirrorMaker 2 ---------------------------------------------------------


def hub_end_offsets(admin: KafkaAdminClient, topics: list[str]) -> dict[str, int]:
    """End offset of partition 0 of each topic that exists on hub (missing topics: absent)."""
    present = set(admin.list_topics())
    offsets: dict[str, int] = {}
    for topic in topics:
        if topic not in present:
            continue
        try:
            tp = TopicPartition(topic, 0)
            offsets[topic] = admin.list_partition_offsets({tp: OffsetSpec.LATEST})[tp].offset
        except KafkaError:
            pass  # just created, no leader yet
    return offsets


def wait_offsets(
    admin: KafkaAdminClient,
    wanted: dict[str, int],
    mm2: subprocess.Popen[bytes],
    mm2_log: Path,
    timeout: float,
    on_progress: Callable[[dict[str, int]], None] | None = None,
) -> bool:
    deadline = now() + timeout
    while now() < deadline:
        if mm2.poll() is not None:
            raise RuntimeError(f"MirrorMaker exited with {mm2.returncode}:\n{tail(mm2_log)}")
        offsets = hub_end_offsets(admin, list(wanted))
        if on_progress:
            on_progress(offsets)
        if all(offsets.get(t, 0) >= n for t, n in wanted.items()):
            return True
        time.sleep(0.25)
    return False


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        for value in values:
            producer.send(topic, value=value)
        producer.flush()


def step_mirror(
    report: Report, lib: Path, work: Path, stack: ExitStack, mm2_extra: list[str]
) -> None:
    report.begin("4. three brokers (mk, al, hub) + MirrorMaker 2")
    brokers = {name: LocalKafka(work / name) for name in ("mk", "al", "hub")}
    for broker in brokers.values():
        stack.callback(broker.stop)

    def timed_start(broker: LocalKafka) -> float:
        began = now()
        broker.start()
        return now() - began

    start = now()
    with ThreadPoolExecutor(3) as pool:
        took = dict(zip(brokers, pool.map(timed_start, brokers.values()), strict=True))
    report.figure("3 brokers format+start in parallel (wall)", secs(start))
    report.pids.extend(b.pid or 0 for b in brokers.values())
    for name, seconds in took.items():
        report.figure(f"  {name} format+start", f"{seconds:.2f} s")

    one = {"num_partitions": 1, "replication_factor": 1}
    for name in ("mk", "al"):
        with KafkaAdminClient(bootstrap_servers=brokers[name].bootstrap) as admin:
            admin.create_topics({"regional.events": one}, wait_for_metadata=True)
        produce(
            brokers[name].bootstrap,
            "regional.events",
            [b"%s-%d" % (name.encode(), i) for i in range(MIRRORED)],
        )

    mm2_dir = work / "mm2"
    mm2_dir.mkdir()
    mm2_props = mm2_dir / "mm2.properties"
    mm2_props.write_text(
        (KAFKA_DEPLOY / "mm2.properties.tmpl")
        .read_text()
        .format(
            mk_bootstrap=brokers["mk"].bootstrap,
            al_bootstrap=brokers["al"].bootstrap,
            hub_bootstrap=brokers["hub"].bootstrap,
        )
        + "".join(f"{setting}\n" for setting in mm2_extra)
    )
    if mm2_extra:
        report.figure("extra mm2.properties lines", "; ".join(mm2_extra))
    mm2_log = mm2_dir / "mm2.log"
    wanted = {"mk.regional.events": MIRRORED, "al.regional.events": MIRRORED}
    seen: dict[str, float] = {}

    start = now()
    with open(mm2_log, "ab") as log:
        mm2 = subprocess.Popen(
            jvm(lib, MM2_MAIN, str(mm2_props)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop_mm2() -> None:
        if mm2.poll() is None:
            stop_process_group(mm2.pid)
        mm2.wait(10)

    stack.callback(stop_mm2)
    report.pids.append(mm2.pid)

    def progress(offsets: dict[str, int]) -> None:
        t = now()
        if "started" not in seen and "Kafka MirrorMaker started" in mm2_log.read_text(
            errors="replace"
        ):
            seen["started"] = t
        for topic, offset in offsets.items():
            seen.setdefault(f"{topic} exists", t)
            if offset > 0:
                seen.setdefault("first record", t)

    with KafkaAdminClient(bootstrap_servers=brokers["hub"].bootstrap) as hub:
        done = wait_offsets(hub, wanted, mm2, mm2_log, 180, progress)
        finished = now()
        for key in (
            "started",
            "mk.regional.events exists",
            "al.regional.events exists",
            "first record",
        ):
            if key in seen:
                label = "'Kafka MirrorMaker started' logged" if key == "started" else key
                report.figure(f"MM2 launch to {label}", secs(start, seen[key]))
        report.figure(f"MM2 launch to all {2 * MIRRORED} records on hub", secs(start, finished))
        report.check(
            f"hub: mk.regional.events and al.regional.events reach {MIRRORED} records",
            done,
            str(hub_end_offsets(hub, list(wanted))),
        )
        for name in ("mk", "al"):
            values = read_all(brokers["hub"].bootstrap, f"{name}.regional.events")
            expected = [b"%s-%d" % (name.encode(), i) for i in range(MIRRORED)]
            report.check(
                f"hub {name}.regional.events holds exactly the {MIRRORED} source records",
                values == expected,
                f"got {len(values)}",
            )

        # steady state: one more record on a known topic, and a topic MM2 has to discover
        start = now()
        produce(brokers["mk"].bootstrap, "regional.events", [b"mk-live"])
        ok = wait_offsets(hub, {"mk.regional.events": MIRRORED + 1}, mm2, mm2_log, 60)
        report.figure("live record mk -> hub (MM2 running)", secs(start))
        report.check("live record replicated", ok)
        start = now()
        with KafkaAdminClient(bootstrap_servers=brokers["al"].bootstrap) as admin:
            admin.create_topics({"regional.late": one}, wait_for_metadata=True)
        produce(brokers["al"].bootstrap, "regional.late", [b"al-late"])
        ok = wait_offsets(hub, {"al.regional.late": 1}, mm2, mm2_log, 90)
        report.figure("new topic al regional.late -> hub (refresh 5 s)", secs(start))
        report.check("new topic discovered and replicated", ok)
        hub_topics = sorted(hub.list_topics())
    report.figure("hub topics", ", ".join(hub_topics))

    rss = {name: rss_mb(b.pid) for name, b in brokers.items()} | {"mm2": rss_mb(mm2.pid)}
    for name, value in rss.items():
        report.figure(f"RSS {name}", fmt_mb(value))
    report.figure("RSS total (3 brokers + MM2)", fmt_mb(sum(v or 0 for v in rss.values())))

    start = now()
    stop_mm2()
    report.figure("MM2 stop (SIGTERM to exit)", f"{secs(start)}, exit code {mm2.returncode}")
    report.check(
        "MM2 log has no ERROR lines",
        not any(k.startswith("ERROR") for k in log_problems(mm2_log)),
        str(mm2_log),
    )
    start = now()
    for broker in brokers.values():
        broker.stop()
    report.figure("3 brokers stop (sequential)", secs(start))
    assert all(b.log_file is not None for b in brokers.values())
    report_logs(
        report, {"mm2": mm2_log} | {n: b.log_file for n, b in brokers.items() if b.log_file}
    )


# -- main ------------------------------------------------------------------------------------


def pgrep(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with data and logs")
    parser.add_argument(
        "--mm2-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra line appended to mm2.properties (experiments), repeatable",
    )
    args = parser.parse_args()

    report = Report()
    work = Path(tempfile.mkdtemp(prefix="kafka-smoke-"))
    print(f"work dir: {work}", flush=True)
    failed = False
    try:
        with ExitStack() as stack:
            lib = step_jars(report)
            os.environ["KAFKA_LIB"] = str(lib)  # LocalKafka.start() then skips re-running fetch.sh
            broker = step_single_broker(report, lib, work, stack)
            try:
                step_clients(report, broker)
            finally:
                start = now()
                broker.stop()
                report.figure("broker stop (SIGTERM to exit)", secs(start))
                assert broker.log_file is not None
                report_logs(report, {"single broker": broker.log_file})
            step_mirror(report, lib, work, stack, args.mm2_set)
    except Exception:
        failed = True
        traceback.print_exc()
        report.check("smoke test ran to the end", False, traceback.format_exc().splitlines()[-1])
    finally:
        report.begin("5. teardown")
        leftovers = {"kafka.Kafka": pgrep("kafka.Kafka"), "MirrorMaker": pgrep("MirrorMaker")}
        for pattern, pids in leftovers.items():
            report.figure(f"pgrep -f {pattern}", ", ".join(map(str, pids)) or "none")
        report.check(
            "no broker / MM2 JVM left running",
            not any(leftovers.values()) and not any(pid_alive(p) for p in report.pids if p),
        )
    print(report.render(), flush=True)
    if args.keep or failed:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok for _, ok, _ in report.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
