"""The hub's MirrorMaker 2 config (deploy/kafka/mm2-hub.properties, as the compose `hub` profile
runs it) on real brokers from the local stack's jars: every node's `<node>.regional` topic
arrives on the hub under its own name, and nothing else leaves the national cluster."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from shared.stack.kafka import LocalKafka, fetch_jars, jvm
from shared.stack.mirror import MM2_MAIN
from shared.stack.processes import ROOT, stop_process_group, tail

CONFIG = ROOT / "deploy" / "kafka" / "mm2-hub.properties"
NODES = ("al", "ba", "me", "mk", "rs")
REGIONAL = ("mk.regional", "al.regional")
NATIONAL_ONLY = "mk.intake.events"
# measured: 9.5 s from launch to the first replicated record with five source clusters
WITHIN_SECONDS = 90.0


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A national cluster (every node's address points at it) and the hub's."""
    with (
        LocalKafka(tmp_path_factory.mktemp("national")) as national,
        LocalKafka(tmp_path_factory.mktemp("hub")) as hub,
    ):
        yield national.bootstrap, hub.bootstrap


@pytest.fixture(scope="module")
def mirrormaker(
    clusters: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    national, hub = clusters
    with KafkaAdminClient(bootstrap_servers=national) as admin:
        single = {"num_partitions": 1, "replication_factor": 1}
        admin.create_topics({t: single for t in (*REGIONAL, NATIONAL_ONLY)}, wait_for_metadata=True)
    with KafkaProducer(bootstrap_servers=national) as producer:
        for topic in (*REGIONAL, NATIONAL_ONLY):
            producer.send(topic, topic.encode())
        producer.flush()
    # the addresses the compose file passes, as the env config provider reads them
    env = {**os.environ, "MM2_HUB_BOOTSTRAP": hub,
           **{f"MM2_{node.upper()}_BOOTSTRAP": national for node in NODES}}  # fmt: skip
    log = tmp_path_factory.mktemp("mm2") / "mm2.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(jvm(fetch_jars(), MM2_MAIN, str(CONFIG), heap="256m"), env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip
    yield log
    stop_process_group(proc.pid, 20)


@pytest.fixture(scope="module")
def arrived(clusters: tuple[str, str], mirrormaker: Path) -> dict[str, bytes]:
    """topic -> record, of the regional topics as they arrive on the hub."""
    found: dict[str, bytes] = {}
    with KafkaConsumer(bootstrap_servers=clusters[1], auto_offset_reset="earliest") as consumer:
        deadline = time.monotonic() + WITHIN_SECONDS
        while len(found) < len(REGIONAL) and time.monotonic() < deadline:
            present = [t for t in consumer.topics() if t in REGIONAL]
            if present and set(present) != consumer.subscription():
                consumer.subscribe(present)
            for partition, records in consumer.poll(500).items():
                found[partition.topic] = records[-1].value
            time.sleep(0 if present else 0.5)
    return found


def test_each_regional_topic_arrives_on_the_hub_under_its_own_name(arrived, mirrormaker):
    assert arrived == {t: t.encode() for t in REGIONAL}, tail(mirrormaker)


def test_nothing_but_the_regional_topics_leaves_the_national_cluster(clusters, arrived):
    assert arrived
    time.sleep(6)  # one more topic refresh (refresh.topics.interval.seconds = 5)
    with KafkaAdminClient(bootstrap_servers=clusters[1]) as admin:
        topics = set(admin.list_topics())
    copied = {t for t in topics if not t.startswith(("mm2-", "heartbeats", "__"))}
    assert copied == set(REGIONAL)
