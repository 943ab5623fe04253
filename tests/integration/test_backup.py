"""A backup holds the database and every record of the node's topics with checksums; a changed
byte makes the restore refuse before it touches anything; a restore into an empty database and
broker gives back the same log, which still verifies."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from services.registry import REGISTRY
from shared.backbone.envelope import NewEvent
from shared.backbone.relay import Relay, ensure_topic
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.tamper import verify
from shared.backup import BackupError, backup, restore
from shared.db import create_pool, migrate, service_migrations
from tests.conftest import fresh_database
from tests.integration.conftest import eventually


def a_node(url: str, bootstrap: str, prefix: str) -> EventStore:
    """An identity log of a few events, relayed to its topic."""
    migrate(url, "identity", service_migrations("identity"))
    pool = create_pool(url, 2, name="backup-tests")
    store = EventStore(pool, "identity", "mk.identity", REGISTRY)
    for n in range(5):
        store.append(f"organisation-{uuid.uuid4()}", ExpectedVersion.NO_STREAM, [NewEvent(
            "identity.OrganisationRegistered", {"organisation_id": str(uuid.uuid4()),
            "name": f"Org {n}", "country": "MK", "type": "cso"})])  # fmt: skip
    topic = f"{prefix}mk.identity.events"
    ensure_topic(bootstrap, topic, 3)
    relay = Relay(store, bootstrap, partitions=3, topic=topic)
    relay.publish(store.read_all())
    relay.close()
    return store


def test_a_backup_restores_the_same_history_and_a_changed_byte_is_refused(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"b{uuid.uuid4().hex[:6]}."
    with fresh_database(postgres_url) as source_url:
        store = a_node(source_url, kafka_bootstrap, prefix)
        manifest = backup(source_url, kafka_bootstrap, prefix, "mk", tmp_path / "b",
                          echo=lambda _: None)  # fmt: skip
        original = [e.leaf_hash for e in store.read_all()]
        store.pool.close()
    assert [t["records"] for t in manifest["topics"]] == [5]

    dump = tmp_path / "b" / "postgres.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 1
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"postgres\.dump does not match its checksum"):
        restore(source_url, kafka_bootstrap, tmp_path / "b", echo=lambda _: None)
    data[len(data) // 2] ^= 1
    dump.write_bytes(bytes(data))

    with pytest.raises(BackupError, match="holds records already"):
        restore(source_url, kafka_bootstrap, tmp_path / "b", echo=lambda _: None)
    topic = f"{prefix}mk.identity.events"
    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        admin.delete_topics([topic])
        eventually(lambda: topic not in admin.list_topics())  # deletion is asynchronous
    with fresh_database(postgres_url) as target_url:
        restore(target_url, kafka_bootstrap, tmp_path / "b", echo=lambda _: None)
        pool = create_pool(target_url, 2, name="backup-tests")
        restored = EventStore(pool, "identity", "mk.identity", REGISTRY)
        assert [e.leaf_hash for e in restored.read_all()] == original
        assert verify(restored).ok
        pool.close()
