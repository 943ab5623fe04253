"""Backups of a node: a PostgreSQL dump (pg_dump, custom format) and every record of the node's
topics (Kafka is the history auditors replay), each file with its SHA-256 in `SHA256SUMS` and a
manifest. A restore checks every checksum before it touches anything, loads the dump and
republishes each topic record by record into its partition, into topics that must not hold
records yet (a restore never mixes two histories)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from shared.backbone.relay import ensure_topic
from shared.errors import Problem
from shared.stack.postgres import server_bin

SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"


class BackupError(Problem):
    status = 409
    title = "Backup refused"
    type_slug = "backup"


@dataclass(frozen=True)
class TopicExport:
    topic: str
    partitions: int
    records: int


def node_topics(bootstrap: str, prefix: str, node: str) -> list[str]:
    """The node's topics: its services' event logs and its regional topic."""
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        return sorted(t for t in admin.list_topics() if t.startswith(f"{prefix}{node}."))


def export_topic(bootstrap: str, topic: str, target: Path) -> TopicExport:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        numbers = sorted(consumer.partitions_for_topic(topic) or [])
        partitions = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        count = 0
        with open(target, "w", encoding="utf-8") as out:
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                for tp, records in consumer.poll(timeout_ms=500, max_records=5000).items():
                    for r in records:
                        if r.offset >= ends[tp]:
                            continue
                        out.write(json.dumps({
                            "partition": r.partition, "offset": r.offset,
                            "timestamp": r.timestamp,
                            "key": _b64(r.key), "value": _b64(r.value),
                            "headers": [[k, _b64(v)] for k, v in r.headers or []],
                        }, sort_keys=True) + "\n")  # fmt: skip
                        count += 1
        return TopicExport(topic, len(partitions), count)
    finally:
        consumer.close()


def backup(database_url: str, bootstrap: str, prefix: str, node: str, folder: Path,
           echo: Callable[[str], None] = print) -> dict[str, object]:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=False)
    dump = folder / "postgres.dump"
    result = subprocess.run([server_bin("pg_dump"), "--format=custom", "--no-owner",
                             f"--file={dump}", f"--dbname={database_url}"],
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[:300]}")
    echo(f"  database: {dump.stat().st_size:,} bytes")
    (folder / "kafka").mkdir()
    exports = []
    for topic in node_topics(bootstrap, prefix, node):
        exported = export_topic(bootstrap, topic, folder / "kafka" / f"{topic}.jsonl")
        exports.append(exported)
        echo(f"  topic {topic}: {exported.records:,} records")
    manifest = {"node": node, "topic_prefix": prefix,
                "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "topics": [e.__dict__ for e in exports]}  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS)
    (folder / SUMS).write_text("".join(f"{_sha256(p)}  {p.relative_to(folder)}\n" for p in files))
    return manifest


def check(folder: Path) -> None:
    """Every file listed in SHA256SUMS is there and unchanged; names the first that is not."""
    sums = folder / SUMS
    if not sums.exists():
        raise BackupError(f"{folder} holds no {SUMS}: not a backup of this tool")
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        path = folder / name
        if not path.exists():
            raise BackupError(f"{name} is missing from the backup")
        if _sha256(path) != digest:
            raise BackupError(f"{name} does not match its checksum: the backup was altered or"
                              " damaged; nothing was restored")  # fmt: skip


def restore(database_url: str, bootstrap: str, folder: Path,
            echo: Callable[[str], None] = print) -> None:  # fmt: skip
    check(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    for topic in manifest["topics"]:
        _require_empty(bootstrap, topic["topic"])
    result = subprocess.run([server_bin("pg_restore"), "--clean", "--if-exists", "--no-owner",
                             f"--dbname={database_url}", str(folder / "postgres.dump")],
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[:300]}")
    echo("  database restored")
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    try:
        for topic in manifest["topics"]:
            ensure_topic(bootstrap, topic["topic"], max(1, topic["partitions"]))
            with open(folder / "kafka" / f"{topic['topic']}.jsonl", encoding="utf-8") as lines:
                for line in lines:
                    r = json.loads(line)
                    producer.send(topic["topic"], partition=r["partition"],
                                  key=_unb64(r["key"]), value=_unb64(r["value"]),
                                  headers=[(k, _unb64(v) or b"") for k, v in r["headers"]],
                                  timestamp_ms=r["timestamp"])  # fmt: skip
            producer.flush()
            echo(f"  topic {topic['topic']}: {topic['records']:,} records republished")
    finally:
        producer.close()


def _require_empty(bootstrap: str, topic: str) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if partitions and any(consumer.end_offsets(partitions).values()):
            raise BackupError(f"the topic {topic} holds records already: restore into a"
                              " fresh broker (or delete the topic): two histories must never"
                              " mix")  # fmt: skip
    finally:
        consumer.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
